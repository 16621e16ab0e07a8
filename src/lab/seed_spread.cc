#include "gradlab/lab/seed_spread.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gradlab {

SeedSpread seed_spread(const std::vector<double>& values) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  SeedSpread s{.runs = static_cast<int64_t>(values.size()), .mean = kNaN, .min = kNaN, .max = kNaN};
  double sum = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    s.min = s.count == 0 ? v : std::min(s.min, v);
    s.max = s.count == 0 ? v : std::max(s.max, v);
    sum += v;
    ++s.count;
  }
  if (s.count > 0) s.mean = sum / static_cast<double>(s.count);
  return s;
}

GapReading read_gap(const SeedSpread& arm, const SeedSpread& baseline) {
  if (arm.count == 0 || baseline.count == 0) return GapReading::not_measured;
  if (arm.min > baseline.max) return GapReading::above;
  if (arm.max < baseline.min) return GapReading::below;
  return GapReading::overlapping;
}

}  // namespace gradlab
