#include "gradlab/instrument/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// NaN has no place in an order statistic (and breaks std::sort's ordering), so it is refused.
void check_sample(std::span<const double> values, const char* what) {
  if (values.empty()) fail("{}: the sample is empty", what);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) fail("{}: value {} of {} is NaN", what, i, values.size());
  }
}

// Interpolates within an already sorted sample, so summarize() sorts once for all percentiles.
double sorted_percentile(const std::vector<double>& sorted, double q) {
  double rank = q / 100.0 * static_cast<double>(sorted.size() - 1);
  auto below = static_cast<std::size_t>(std::floor(rank));
  std::size_t above = std::min(below + 1, sorted.size() - 1);
  double weight = rank - static_cast<double>(below);
  // Exact ranks and equal neighbours return the order statistic itself: inf - inf would give NaN.
  if (weight == 0.0 || sorted[below] == sorted[above]) return sorted[below];
  return sorted[below] + weight * (sorted[above] - sorted[below]);
}

}  // namespace

double percentile(std::span<const double> values, double q) {
  check_sample(values, "percentile");
  if (!(q >= 0.0 && q <= 100.0)) fail("percentile: q must be in [0, 100], got {}", q);
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted_percentile(sorted, q);
}

double percentile_of_score(std::span<const double> values, double score) {
  check_sample(values, "percentile_of_score");
  double below = 0, equal = 0;
  for (double v : values) {
    if (v < score) ++below;
    else if (v == score) ++equal;
  }
  return 100.0 * (below + 0.5 * equal) / static_cast<double>(values.size());
}

SampleSummary summarize(std::span<const double> values) {
  check_sample(values, "summarize");
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  SampleSummary s;
  s.count = static_cast<int64_t>(sorted.size());
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(s.count);
  s.min = sorted.front();
  s.max = sorted.back();
  s.p5 = sorted_percentile(sorted, 5);
  s.median = sorted_percentile(sorted, 50);
  s.p95 = sorted_percentile(sorted, 95);
  auto zeros = std::count(sorted.begin(), sorted.end(), 0.0);
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(s.count);
  auto infinite = std::count_if(sorted.begin(), sorted.end(), [](double v) { return std::isinf(v); });
  s.infinite_fraction = static_cast<double>(infinite) / static_cast<double>(s.count);
  return s;
}

}  // namespace gradlab
