#pragma once
// Totals of raw buffers for the instruments' statistics (instrument/layer_stats.cc gives them their
// meaning): sums, extremes and counts of a layer's output, and of a gradient. Two tiers:
//
//   fast     float32 only: sums in float32 within short blocks and in double across them, one read
//            (AVX2). It vouches for its totals only where float32 arithmetic cannot lose them and
//            returns false otherwise, and always on a machine built without AVX2 and FMA.
//   careful  float32 and float64: every element accumulated in double, in kLanes lanes (element i
//            of the whole groups to lane i % kLanes, the tail to lane 0, lanes combined in order),
//            so AVX2 and the plain loop give the same bits; and, when a total is not finite, a pass
//            that skips NaN and infinity.
#include <cstdint>

namespace gradlab::kernels {

/// Where an output counts as saturated: |y| > symmetric, y < low or y > high. An infinite bound is
/// never crossed (+inf for symmetric and high, -inf for low: no saturation).
struct SaturationBounds {
  double symmetric = 0, low = 0, high = 0;
};

/// Totals of an output y: sums of d = y - shift, extremes and counts.
struct ForwardTotals {
  double shift = 0;
  double sum = 0;     ///< sum of d
  double sum_sq = 0;  ///< sum of d^2
  double min = 0, max = 0;
  int64_t zeros = 0;      ///< elements exactly 0
  int64_t saturated = 0;  ///< elements past the SaturationBounds
  int64_t nonfinite = 0;  ///< NaN or infinite elements (counted, and skipped, by finite_forward_totals only)
};

/// Totals of a gradient g.
struct GradientTotals {
  double sum_sq = 0;      ///< sum of g^2
  double max_abs = 0;     ///< max |g|
  int64_t zeros = 0;      ///< elements exactly 0
  int64_t tiny = 0;       ///< non-zero elements below float32's smallest normal number, 2^-126
  int64_t nonfinite = 0;  ///< NaN or infinite elements (counted, and skipped, by finite_gradient_totals only)
};

/// Fast tier: the totals of the n float32 values y, or false. The shift is the mean of the first 32
/// values; each float32 lane adds at most 16 terms before its sum goes to double, so the sums are
/// within a relative 1e-6 of exact ones. False for fewer than 32 values, a NaN or infinity, or a
/// spread max |y - shift| outside [2^-40, 2^60] (and not 0), where float32 squares would underflow
/// or overflow. Min, max and the counts are exact.
bool fast_forward_totals(const float* y, int64_t n, const SaturationBounds& bounds, ForwardTotals& totals);

/// Fast tier: the totals of the n float32 values g, or false. The squares are summed as they are when
/// the largest |g| lies in [2^-40, 2^50), and otherwise as (|g| 2^-e)^2 with 2^e the largest |g|'s
/// power of two, so tiny gradients neither underflow nor lose precision and huge ones do not
/// overflow; each float32 lane adds at most 16 terms before its sum goes to double (within a
/// relative 1e-6 of exact). False for fewer than 32 values, a NaN or infinity, or a largest |g| that
/// is subnormal or at least 2^127. Max and counts are exact.
bool fast_gradient_totals(const float* g, int64_t n, GradientTotals& totals);

/// Fast tier: the sum of squares of the n float32 values x, or false. Summed as they are in float32
/// blocks (16 terms per lane) and then in double: false for fewer than 32 values or a sum that is not
/// finite or below 2^-60, where squares below float32's normal range could matter; otherwise within
/// a relative 1e-6 of the exact sum. For a norm alone (a weight's), a third of the work of
/// fast_gradient_totals.
bool fast_sum_of_squares(const float* x, int64_t n, double& sum);

/// Careful tier: the totals of the n > 0 values y in double, around shift = y[0] (so that a large
/// mean does not cancel the variance). A NaN or infinity makes a sum or an extreme non-finite; then
/// take finite_forward_totals.
template <typename T>
ForwardTotals careful_forward_totals(const T* y, int64_t n, const SaturationBounds& bounds);

/// Careful tier: the totals of the finite values among the n values y, around the first finite one
/// (min and max are +inf and -inf when there is none); nonfinite counts the others.
template <typename T>
ForwardTotals finite_forward_totals(const T* y, int64_t n, const SaturationBounds& bounds);

/// Careful tier: the totals of the n values g in double. A NaN or infinity makes sum_sq non-finite;
/// then take finite_gradient_totals.
template <typename T>
GradientTotals careful_gradient_totals(const T* g, int64_t n);

/// Careful tier: the totals of the finite values among the n values g; nonfinite counts the others.
template <typename T>
GradientTotals finite_gradient_totals(const T* g, int64_t n);

/// The units (last axis) of y [rows, units] whose value is 0 in every row; NaN counts as non-zero.
template <typename T>
int64_t dead_units(const T* y, int64_t rows, int64_t units);

/// Sets active[c] to 1 for each unit c (last axis) of y [rows, units] that is non-zero in some row
/// (NaN counts as non-zero); leaves the other entries as they were, so calls accumulate.
template <typename T>
void mark_active_units(const T* y, int64_t rows, int64_t units, uint8_t* active);

}  // namespace gradlab::kernels
