#pragma once
// p10 and p90 beside Google Benchmark's mean and median, so bench/compare.py can quote a spread on a
// noisy shared machine. Header-only: every benchmark program is one source file.
#include <algorithm>
#include <cstddef>
#include <vector>

#include <benchmark/benchmark.h>

namespace gradlab::bench {

/// The q-quantile of `v` (0 <= q <= 1), linearly interpolated between order statistics.
inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

/// Adds the "p10" and "p90" statistics over the repetitions to `b`.
inline benchmark::internal::Benchmark* with_percentiles(benchmark::internal::Benchmark* b) {
  return b->ComputeStatistics("p10", [](const std::vector<double>& v) { return quantile(v, 0.1); })
      ->ComputeStatistics("p90", [](const std::vector<double>& v) { return quantile(v, 0.9); });
}

}  // namespace gradlab::bench
