#pragma once
/// Summaries of repeated measurements: percentiles, and where a single figure falls among them.
///
///   std::vector<double> norms = ...;                    // one input-gradient norm per trial
///   SampleSummary s = summarize(norms);                 // s.median, s.p5, s.p95, ...
///   double at = percentile_of_score(norms, 0.0202);     // 0..100: the lesson's figure among ours

#include <cstdint>
#include <span>

namespace gradlab {

/// Order statistics and moments of a sample.
struct SampleSummary {
  int64_t count = 0;
  double mean = 0;
  double min = 0;
  double p5 = 0;      ///< 5th percentile
  double median = 0;  ///< 50th percentile
  double p95 = 0;     ///< 95th percentile
  double max = 0;
  /// Fraction of values exactly zero (a gradient that vanished completely, or underflowed).
  double zero_fraction = 0;
  /// Fraction of values that are infinite (a gradient that overflowed).
  double infinite_fraction = 0;
};

/// The q-th percentile (q in [0, 100]) of `values`, interpolating linearly between order statistics
/// (NumPy's default, "linear"): rank = q/100 * (n - 1). Throws Error for an empty sample or q outside
/// [0, 100].
double percentile(std::span<const double> values, double q);

/// Where `score` falls among `values`, in percent: the share of values below it, counting values equal
/// to it as half (scipy.stats.percentileofscore, kind="mean"). 0 when every value is above, 100 when
/// every value is below. Throws Error for an empty sample.
double percentile_of_score(std::span<const double> values, double score);

/// Count, mean, min, 5th/50th/95th percentiles, max, zero and infinite fractions of `values`. Throws Error for
/// an empty sample or one holding NaN (percentile and percentile_of_score do too).
SampleSummary summarize(std::span<const double> values);

}  // namespace gradlab
