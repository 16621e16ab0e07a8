#pragma once
// The fast float32 scans behind forward_stats and gradient_stats: one read of the tensor, sums in
// float32 within short blocks and in double across them. They vouch for their results only when
// float32 arithmetic cannot lose them (see each function); otherwise they return false and the
// caller takes the exact path, which accumulates every element in double.

#include <cstdint>

namespace gradlab::detail {

/// Forward totals of y: sums of d = y - shift, extremes and counts.
struct ForwardTotals {
  double shift = 0;
  double sum = 0;     ///< sum of d
  double sum_sq = 0;  ///< sum of d^2
  double min = 0, max = 0;
  int64_t zeros = 0;      ///< elements exactly 0
  int64_t saturated = 0;  ///< elements with |y| > symmetric, y < low or y > high
};

/// Forward totals of the n float32 values y, or false. The shift is the mean of the first 32
/// values; each float32 lane adds at most 16 terms before its sum goes to double, so the sums are
/// within a relative 1e-6 of exact ones. False for fewer than 32 values, a NaN or infinity, or a
/// spread max |y - shift| outside [2^-40, 2^60] (and not 0), where float32 squares would underflow
/// or overflow. Min, max and the counts are exact.
bool forward_totals_float32(const float* y, int64_t n, double symmetric, double low, double high,
                            ForwardTotals& totals);

/// Gradient totals of g.
struct GradientTotals {
  double sum_sq = 0;   ///< sum of g^2
  double max_abs = 0;  ///< max |g|
  int64_t zeros = 0;   ///< elements exactly 0
  int64_t tiny = 0;    ///< non-zero elements below float32's smallest normal number
};

/// Gradient totals of the n float32 values g, or false. The squares are summed as they are when the
/// largest |g| lies in [2^-40, 2^50), and otherwise as (|g| 2^-e)^2 with 2^e the largest |g|'s power
/// of two, so tiny gradients neither underflow nor lose precision and huge ones do not overflow; each
/// float32 lane adds at most 16 terms before its sum goes to double (within a relative 1e-6 of
/// exact). False for fewer than 32 values, a NaN or infinity, or a largest |g| that is subnormal or
/// at least 2^127. Max and counts are exact.
bool gradient_totals_float32(const float* g, int64_t n, GradientTotals& totals);

/// The sum of squares of the n float32 values x, or false. Summed as they are in float32 blocks (16
/// terms per lane) and then in double: false for fewer than 32 values or a sum that is not finite or
/// below 2^-60, where squares below float32's normal range could matter; otherwise within a relative
/// 1e-6 of the exact sum. For a norm alone (a weight's), a third of the work of
/// gradient_totals_float32.
bool sum_of_squares_float32(const float* x, int64_t n, double& sum);

/// The largest float not above t: for a float v, v > t exactly when v > float_at_or_below(t).
float float_at_or_below(double t);
/// The smallest float not below t: for a float v, v < t exactly when v < float_at_or_above(t).
float float_at_or_above(double t);

}  // namespace gradlab::detail
