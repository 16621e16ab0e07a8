#include "kernels/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GRADLAB_STATS_AVX2 1
#endif

namespace gradlab::kernels {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kFloat32MinNormal = static_cast<double>(std::numeric_limits<float>::min());

// ---- Careful tier: lanes in double ------------------------------------------------------------

// Sixteen independent accumulators break the dependency chain of one running sum, so several
// additions are in flight at once (a compiler may not reorder one floating-point sum by itself). With
// eight, the vectorized scans waited on the latency of their two chains of double additions.
constexpr int kLanes = 16;

// sum + d^2 as one fused multiply-add wherever the machine has one, in the plain loop and in the
// vectorized one alike: left to the compiler, whether it fuses depends on the optimization level,
// and the two paths would then round differently.
inline double add_square(double sum, double d) {
#if defined(__FMA__)
  return std::fma(d, d, sum);
#else
  return sum + d * d;
#endif
}

bool is_saturated(double v, const SaturationBounds& b) { return (std::abs(v) > b.symmetric) | (v < b.low) | (v > b.high); }

// Partial forward totals, one set per lane. The AVX2 scan keeps exactly this assignment and order,
// so its results are bit for bit those of the plain loop (and of the same values in float64).
struct ForwardLanes {
  explicit ForwardLanes(double shift) : shift_(shift) {
    std::fill(lo, lo + kLanes, shift);
    std::fill(hi, hi + kLanes, shift);
  }
  void visit(int lane, double v, const SaturationBounds& b) {
    const double d = v - shift_;
    sum[lane] += d;
    sum_sq[lane] = add_square(sum_sq[lane], d);
    lo[lane] = std::min(lo[lane], v);
    hi[lane] = std::max(hi[lane], v);
    zeros[lane] += v == 0;
    saturated[lane] += is_saturated(v, b);
  }
  ForwardTotals total() const {
    ForwardTotals t{.shift = shift_, .min = lo[0], .max = hi[0]};
    for (int l = 0; l < kLanes; ++l) {
      t.sum += sum[l];
      t.sum_sq += sum_sq[l];
      t.min = std::min(t.min, lo[l]);
      t.max = std::max(t.max, hi[l]);
      t.zeros += zeros[l];
      t.saturated += saturated[l];
    }
    return t;
  }
  double sum[kLanes] = {}, sum_sq[kLanes] = {}, lo[kLanes], hi[kLanes];
  int64_t zeros[kLanes] = {}, saturated[kLanes] = {};

 private:
  double shift_;
};

struct GradientLanes {
  void visit(int lane, double a) {
    sum_sq[lane] = add_square(sum_sq[lane], a);
    max_abs[lane] = std::max(max_abs[lane], a);
    zeros[lane] += a == 0;
    tiny[lane] += (a > 0) & (a < kFloat32MinNormal);
  }
  double sum_sq[kLanes] = {}, max_abs[kLanes] = {};
  int64_t zeros[kLanes] = {}, tiny[kLanes] = {};
};

// The whole groups of kLanes elements, lane by lane; returns where the tail starts.
template <typename T>
int64_t forward_lanes(const T* y, int64_t n, const SaturationBounds& b, ForwardLanes& lanes) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes.visit(l, static_cast<double>(y[i + l]), b);
  }
  return i;
}

// ---- AVX2 helpers, shared by both tiers -------------------------------------------------------

#if GRADLAB_STATS_AVX2
// The fast tier: summing in double costs a conversion and a double operation per four elements;
// summing in float, eight at a time, halves the work, and short blocks keep float's rounding below
// 1e-6. A step is four vectors, added pairwise so that each accumulator waits on one addition per
// step rather than four.
constexpr int64_t kStep = 32;
// Each float lane adds four terms per step: sixteen per block before the block goes to double.
constexpr int64_t kBlockSteps = 4;
// Counts are int32 per lane, flushed every kCountFlush values (at most 2^28 per lane).
constexpr int64_t kCountFlush = int64_t{1} << 30;

// The largest float not above t: for a float v, v > t exactly when v > float_at_or_below(t).
float float_at_or_below(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// The smallest float not below t: for a float v, v < t exactly when v < float_at_or_above(t).
float float_at_or_above(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

// Reductions with shuffles, not through an array: GCC otherwise keeps the accumulator that is
// stored at the end in memory for the whole loop.
int64_t total_of(__m256i counts) {
  const __m256i wide = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(counts)),
                                        _mm256_cvtepi32_epi64(_mm256_extracti128_si256(counts, 1)));
  const __m128i half = _mm_add_epi64(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
  return _mm_cvtsi128_si64(_mm_add_epi64(half, _mm_unpackhi_epi64(half, half)));
}

double total_of(__m256d v) {
  const __m128d half = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(half, _mm_unpackhi_pd(half, half)));
}

float least_of(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_min_ss(m, _mm_movehdup_ps(m)));
}

float most_of(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

int32_t least_of(__m256i v) {
  __m128i m = _mm_min_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_min_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  return _mm_cvtsi128_si32(_mm_min_epi32(m, _mm_shuffle_epi32(m, 0xB1)));
}

int32_t most_of(__m256i v) {
  __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  return _mm_cvtsi128_si32(_mm_max_epi32(m, _mm_shuffle_epi32(m, 0xB1)));
}

__m256 abs_mask() { return _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)); }

// A comparison mask as counts to subtract: -1 where it holds.
__m256i as_count(__m256 mask) { return _mm256_castps_si256(mask); }

// Adds the eight float lanes of v to two double accumulators (lanes 0-3 and 4-7).
void flush(__m256 v, __m256d& low, __m256d& high) {
  low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// The squares of one step's four vectors, added pairwise.
__m256 step_squares(__m256 a, __m256 b, __m256 c, __m256 d) {
  return _mm256_add_ps(_mm256_fmadd_ps(a, a, _mm256_mul_ps(b, b)), _mm256_fmadd_ps(c, c, _mm256_mul_ps(d, d)));
}

// Calls f(symmetric_test, interval_test) with each as std::true_type or std::false_type: which tests
// can hold is known before a loop, since an infinite bound is never crossed.
template <typename F>
void with_saturation_tests(const SaturationBounds& b, F&& f) {
  const bool symmetric = b.symmetric != kInfinity, interval = b.low != -kInfinity || b.high != kInfinity;
  using yes = std::true_type;
  using no = std::false_type;
  if (symmetric && interval) {
    f(yes{}, yes{});
  } else if (symmetric) {
    f(yes{}, no{});
  } else if (interval) {
    f(no{}, yes{});
  } else {
    f(no{}, no{});
  }
}

// Extremes, zeros and saturated values of the first `whole` floats (a multiple of 16), sixteen per
// step, exact in float (the bounds rounded to floats that decide every comparison as the double
// bounds do). A second read from L1 costs less than the spills one loop with the sums as well would
// need. The running extremes start at y[0]; with them as the second operand, a NaN never replaces
// them (a NaN makes the sums non-finite, and the caller takes another path anyway).
template <bool kSymmetric, bool kInterval>
void extremes_and_counts(const float* y, int64_t whole, const SaturationBounds& bounds, ForwardTotals& t) {
  const __m256 zero = _mm256_setzero_ps(), magnitude = abs_mask();
  const __m256 symmetric = _mm256_set1_ps(float_at_or_below(bounds.symmetric));
  const __m256 low = _mm256_set1_ps(float_at_or_above(bounds.low)), high = _mm256_set1_ps(float_at_or_below(bounds.high));
  const auto saturated = [=](__m256 v) {
    __m256 out = zero;
    if constexpr (kSymmetric) out = _mm256_cmp_ps(_mm256_and_ps(v, magnitude), symmetric, _CMP_GT_OQ);
    if constexpr (kInterval) {
      out = _mm256_or_ps(out, _mm256_or_ps(_mm256_cmp_ps(v, low, _CMP_LT_OQ), _mm256_cmp_ps(v, high, _CMP_GT_OQ)));
    }
    return as_count(out);
  };
  const auto is_zero = [=](__m256 v) { return as_count(_mm256_cmp_ps(v, zero, _CMP_EQ_OQ)); };
  __m256 lo = _mm256_set1_ps(y[0]), hi = lo;
  for (int64_t i = 0; i < whole;) {
    __m256i zeros = _mm256_setzero_si256(), out = zeros;
    for (const int64_t end = std::min(whole, i + kCountFlush); i < end; i += 16) {
      const __m256 a = _mm256_loadu_ps(y + i), b = _mm256_loadu_ps(y + i + 8);
      lo = _mm256_min_ps(_mm256_min_ps(a, b), lo);
      hi = _mm256_max_ps(_mm256_max_ps(a, b), hi);
      zeros = _mm256_sub_epi32(zeros, _mm256_add_epi32(is_zero(a), is_zero(b)));
      if constexpr (kSymmetric || kInterval) out = _mm256_sub_epi32(out, _mm256_add_epi32(saturated(a), saturated(b)));
    }
    t.zeros += total_of(zeros);
    t.saturated += total_of(out);
  }
  t.min = least_of(lo);
  t.max = most_of(hi);
}

void extremes_and_counts(const float* y, int64_t whole, const SaturationBounds& bounds, ForwardTotals& t) {
  with_saturation_tests(bounds, [&](auto symmetric, auto interval) {
    extremes_and_counts<decltype(symmetric)::value, decltype(interval)::value>(y, whole, bounds, t);
  });
}

// ---- Fast tier ----------------------------------------------------------------------------------

// The sum of (x scale)^2 over the first `whole` values (a multiple of kStep): blocks in float32, then
// double.
template <bool kScaled>
double block_sum_of_squares(const float* x, int64_t whole, float scale) {
  const __m256 s = _mm256_set1_ps(scale);
  const auto load = [s](const float* p) {
    if constexpr (kScaled) return _mm256_mul_ps(_mm256_loadu_ps(p), s);
    return _mm256_loadu_ps(p);
  };
  __m256d sq_low = _mm256_setzero_pd(), sq_high = sq_low;
  for (int64_t i = 0; i < whole;) {
    __m256 sq = _mm256_setzero_ps();
    for (const int64_t end = std::min(whole, i + kBlockSteps * kStep); i < end; i += kStep) {
      sq = _mm256_add_ps(sq, step_squares(load(x + i), load(x + i + 8), load(x + i + 16), load(x + i + 24)));
    }
    flush(sq, sq_low, sq_high);
  }
  return total_of(_mm256_add_pd(sq_low, sq_high));
}

// Sums of d = y - shift and of d^2 over the first `whole` values (a multiple of kStep), in float32
// blocks.
void block_sums(const float* y, int64_t whole, float shift, ForwardTotals& t) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256d sum_low = _mm256_setzero_pd(), sum_high = sum_low, sq_low = sum_low, sq_high = sum_low;
  for (int64_t i = 0; i < whole;) {
    __m256 sum = _mm256_setzero_ps(), sq = sum;
    for (const int64_t end = std::min(whole, i + kBlockSteps * kStep); i < end; i += kStep) {
      const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(y + i), s), b = _mm256_sub_ps(_mm256_loadu_ps(y + i + 8), s);
      const __m256 c = _mm256_sub_ps(_mm256_loadu_ps(y + i + 16), s), d = _mm256_sub_ps(_mm256_loadu_ps(y + i + 24), s);
      sum = _mm256_add_ps(sum, _mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
      sq = _mm256_add_ps(sq, step_squares(a, b, c, d));
    }
    flush(sum, sum_low, sum_high);
    flush(sq, sq_low, sq_high);
  }
  t.sum = total_of(_mm256_add_pd(sum_low, sum_high));
  t.sum_sq = total_of(_mm256_add_pd(sq_low, sq_high));
}

// Zeros and subnormals among the first `whole` values (a multiple of kStep), as |g|'s bits: 0, and 1
// to 0x007fffff.
void count_small(const float* g, int64_t whole, GradientTotals& t) {
  const __m256 magnitude = abs_mask();
  const __m256i min_normal = _mm256_set1_epi32(0x00800000);
  const __m256i none = _mm256_setzero_si256();
  const auto bits = [magnitude](const float* p) { return _mm256_castps_si256(_mm256_and_ps(_mm256_loadu_ps(p), magnitude)); };
  for (int64_t i = 0; i < whole;) {
    __m256i zeros = none, small = none;
    for (const int64_t end = std::min(whole, i + kCountFlush); i < end; i += 8) {
      const __m256i a = bits(g + i);
      zeros = _mm256_sub_epi32(zeros, _mm256_cmpeq_epi32(a, none));
      small = _mm256_sub_epi32(small, _mm256_cmpgt_epi32(min_normal, a));
    }
    const int64_t z = total_of(zeros);
    t.zeros += z;
    t.tiny += total_of(small) - z;
  }
}

// ---- Careful tier in AVX2 -----------------------------------------------------------------------

// Four floats as doubles, converted straight from memory (cheaper than splitting a loaded vector).
__m256d quarter(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }

void store_lanes(__m256d a, __m256d b, __m256d c, __m256d d, double* lanes) {
  _mm256_storeu_pd(lanes, a);
  _mm256_storeu_pd(lanes + 4, b);
  _mm256_storeu_pd(lanes + 8, c);
  _mm256_storeu_pd(lanes + 12, d);
}

// The careful tier's sums of float32 values, sixteen elements per step: four vectors of four double
// lanes, squares added with a fused multiply-add as the plain loop does, so lane l holds exactly what
// ForwardLanes::visit would. The extremes and counts, exact in float, come from a second read.
template <>
int64_t forward_lanes<float>(const float* y, int64_t n, const SaturationBounds& bounds, ForwardLanes& lanes) {
  static_assert(kLanes == 16);
  const int64_t whole = n / kLanes * kLanes;
  const __m256d s = _mm256_set1_pd(static_cast<double>(y[0]));
  __m256d sum0 = _mm256_setzero_pd(), sum1 = sum0, sum2 = sum0, sum3 = sum0;
  __m256d sq0 = sum0, sq1 = sum0, sq2 = sum0, sq3 = sum0;
  for (int64_t i = 0; i < whole; i += kLanes) {
    const __m256d d0 = _mm256_sub_pd(quarter(y + i), s), d1 = _mm256_sub_pd(quarter(y + i + 4), s);
    const __m256d d2 = _mm256_sub_pd(quarter(y + i + 8), s), d3 = _mm256_sub_pd(quarter(y + i + 12), s);
    sum0 = _mm256_add_pd(sum0, d0);
    sum1 = _mm256_add_pd(sum1, d1);
    sum2 = _mm256_add_pd(sum2, d2);
    sum3 = _mm256_add_pd(sum3, d3);
    sq0 = _mm256_fmadd_pd(d0, d0, sq0);
    sq1 = _mm256_fmadd_pd(d1, d1, sq1);
    sq2 = _mm256_fmadd_pd(d2, d2, sq2);
    sq3 = _mm256_fmadd_pd(d3, d3, sq3);
  }
  store_lanes(sum0, sum1, sum2, sum3, lanes.sum);
  store_lanes(sq0, sq1, sq2, sq3, lanes.sum_sq);
  if (whole > 0) {
    // Lane 0 stands for all sixteen: the totals combine lanes by min, max and integer sums, where
    // the assignment cannot change a result.
    ForwardTotals t;
    extremes_and_counts(y, whole, bounds, t);
    lanes.lo[0] = std::min(lanes.lo[0], t.min);
    lanes.hi[0] = std::max(lanes.hi[0], t.max);
    lanes.zeros[0] += t.zeros;
    lanes.saturated[0] += t.saturated;
  }
  return whole;
}

// The same for float in AVX2, four vectors of eight units at a time, on the bits: a unit is alive
// when the OR of its values' bits, sign left out, is not 0 (any non-zero value, NaN included, has a
// non-zero exponent or mantissa).
int64_t dead_units_avx2(const float* y, int64_t rows, int64_t units) {
  const __m256 magnitude = abs_mask();
  const auto dead_of = [&](__m256 bits) {
    const __m256 alive = _mm256_cmp_ps(_mm256_and_ps(bits, magnitude), _mm256_setzero_ps(), _CMP_NEQ_UQ);
    return 8 - std::popcount(static_cast<unsigned>(_mm256_movemask_ps(alive)));
  };
  int64_t dead = 0, c = 0;
  for (; c + 32 <= units; c += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (const float* p = y + c; p < y + rows * units; p += units) {
      a0 = _mm256_or_ps(a0, _mm256_loadu_ps(p));
      a1 = _mm256_or_ps(a1, _mm256_loadu_ps(p + 8));
      a2 = _mm256_or_ps(a2, _mm256_loadu_ps(p + 16));
      a3 = _mm256_or_ps(a3, _mm256_loadu_ps(p + 24));
    }
    dead += dead_of(a0) + dead_of(a1) + dead_of(a2) + dead_of(a3);
  }
  for (; c + 8 <= units; c += 8) {
    __m256 a = _mm256_setzero_ps();
    for (const float* p = y + c; p < y + rows * units; p += units) a = _mm256_or_ps(a, _mm256_loadu_ps(p));
    dead += dead_of(a);
  }
  for (; c < units; ++c) {
    bool any = false;
    for (int64_t r = 0; r < rows; ++r) any |= y[r * units + c] != 0;
    dead += !any;
  }
  return dead;
}
#endif

}  // namespace

// ---- Fast tier ------------------------------------------------------------------------------------

#if GRADLAB_STATS_AVX2
bool fast_forward_totals(const float* y, int64_t n, const SaturationBounds& bounds, ForwardTotals& t) {
  const int64_t whole = n / kStep * kStep;
  if (whole == 0) return false;
  // A shift near the mean keeps the sum of squares from cancelling the variance; the first step's
  // mean is one close enough for a relative error in the variance of about (1 + 1/32) times float's.
  // (Any shift is exact; this one is summed in float, as a tree, which is cheaper than a chain.)
  const __m256 first = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(y), _mm256_loadu_ps(y + 8)),
                                     _mm256_add_ps(_mm256_loadu_ps(y + 16), _mm256_loadu_ps(y + 24)));
  const float shift = static_cast<float>(total_of(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(first)),
                                                                _mm256_cvtps_pd(_mm256_extractf128_ps(first, 1)))) /
                                         kStep);
  if (!std::isfinite(shift)) return false;
  t = ForwardTotals{};
  t.shift = shift;
  block_sums(y, whole, shift, t);
  extremes_and_counts(y, whole, bounds, t);
  for (int64_t i = whole; i < n; ++i) {
    const double v = static_cast<double>(y[i]), d = v - t.shift;
    t.sum += d;
    t.sum_sq += d * d;
    t.min = std::min(t.min, v);
    t.max = std::max(t.max, v);
    t.zeros += v == 0;
    t.saturated += is_saturated(v, bounds);
  }
  if (!std::isfinite(t.sum) || !std::isfinite(t.sum_sq) || std::isnan(t.min) || std::isnan(t.max)) return false;
  const double spread = std::max(t.max - t.shift, t.shift - t.min);
  return spread == 0 || (spread >= 0x1p-40 && spread <= 0x1p60);
}

bool fast_gradient_totals(const float* g, int64_t n, GradientTotals& t) {
  const int64_t whole = n / kStep * kStep;
  if (whole == 0) return false;
  // One read gives the extremes of |g| and the squares as they are; a second, with the squares scaled
  // by 2^-e, is needed only when the largest |g| is outside [2^-40, 2^50), where float32 squares could
  // overflow or lose the norm (below 2^-40 a square under 2^-126 is not negligible any more).
  // |g| as bits orders as |g| does, NaN above infinity above every number.
  const __m256 magnitude = abs_mask();
  __m256i most = _mm256_setzero_si256(), least = _mm256_castps_si256(magnitude);
  __m256d sq_low = _mm256_setzero_pd(), sq_high = sq_low;
  for (int64_t i = 0; i < whole;) {
    __m256 sq = _mm256_setzero_ps();
    for (const int64_t end = std::min(whole, i + kBlockSteps * kStep); i < end; i += kStep) {
      // Loaded as floats: an integer load may alias anything, and GCC then keeps the running
      // extremes in memory rather than registers.
      const __m256 a = _mm256_loadu_ps(g + i), b = _mm256_loadu_ps(g + i + 8);
      const __m256 c = _mm256_loadu_ps(g + i + 16), d = _mm256_loadu_ps(g + i + 24);
      const __m256i ab = _mm256_castps_si256(_mm256_and_ps(a, magnitude)), bb = _mm256_castps_si256(_mm256_and_ps(b, magnitude));
      const __m256i cb = _mm256_castps_si256(_mm256_and_ps(c, magnitude)), db = _mm256_castps_si256(_mm256_and_ps(d, magnitude));
      most = _mm256_max_epi32(_mm256_max_epi32(_mm256_max_epi32(ab, bb), _mm256_max_epi32(cb, db)), most);
      least = _mm256_min_epi32(_mm256_min_epi32(_mm256_min_epi32(ab, bb), _mm256_min_epi32(cb, db)), least);
      sq = _mm256_add_ps(sq, step_squares(a, b, c, d));
    }
    flush(sq, sq_low, sq_high);
  }
  int32_t top = most_of(most);
  int32_t bottom = least_of(least);
  for (int64_t i = whole; i < n; ++i) {
    const int32_t b = std::bit_cast<int32_t>(g[i]) & 0x7fffffff;
    top = std::max(top, b);
    bottom = std::min(bottom, b);
  }
  constexpr int32_t kInfinityBits = 0x7f800000, kMinNormalBits = 0x00800000;
  if (top >= kInfinityBits) return false;
  t = GradientTotals{};
  if (top == 0) {
    t.zeros = n;
    return true;
  }
  const int e = (top >> 23) - 127;  // 2^e <= max |g| < 2^(e + 1)
  if (top < kMinNormalBits || e >= 127) return false;
  if (e >= -40 && e < 50) {
    t.sum_sq = total_of(_mm256_add_pd(sq_low, sq_high));
  } else {
    // 2^-e and 2^(2e) built from their exponent bits (std::ldexp is a library call).
    const float scale = std::bit_cast<float>(static_cast<uint32_t>(127 - e) << 23);
    t.sum_sq = block_sum_of_squares<true>(g, whole, scale) * std::bit_cast<double>(static_cast<uint64_t>(1023 + 2 * e) << 52);
  }
  for (int64_t i = whole; i < n; ++i) {
    const double v = static_cast<double>(g[i]);
    t.sum_sq += v * v;
  }
  t.max_abs = static_cast<double>(std::bit_cast<float>(top));
  if (bottom < kMinNormalBits) {
    count_small(g, whole, t);
    for (int64_t i = whole; i < n; ++i) {
      const float a = std::abs(g[i]);
      t.zeros += a == 0;
      t.tiny += a > 0 && a < std::numeric_limits<float>::min();
    }
  }
  return true;
}

bool fast_sum_of_squares(const float* x, int64_t n, double& sum) {
  const int64_t whole = n / kStep * kStep;
  if (whole == 0) return false;
  // No scaling and no extremes: every square is at most the sum, so a finite sum means none
  // overflowed, and with the sum at least 2^-60 the squares that fell below float32's normal range
  // (each off by at most 2^-149) weigh less than n 2^-89 of it.
  sum = block_sum_of_squares<false>(x, whole, 1.0f);
  for (int64_t i = whole; i < n; ++i) sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  return std::isfinite(sum) && sum >= 0x1p-60;
}
#else
bool fast_forward_totals(const float*, int64_t, const SaturationBounds&, ForwardTotals&) { return false; }
bool fast_gradient_totals(const float*, int64_t, GradientTotals&) { return false; }
bool fast_sum_of_squares(const float*, int64_t, double&) { return false; }
#endif

// ---- Careful tier ---------------------------------------------------------------------------------

template <typename T>
ForwardTotals careful_forward_totals(const T* y, int64_t n, const SaturationBounds& bounds) {
  ForwardLanes lanes(static_cast<double>(y[0]));
  const int64_t i = forward_lanes(y, n, bounds, lanes);
  for (int64_t j = i; j < n; ++j) lanes.visit(0, static_cast<double>(y[j]), bounds);
  return lanes.total();
}

template <typename T>
ForwardTotals finite_forward_totals(const T* y, int64_t n, const SaturationBounds& bounds) {
  ForwardTotals t{.min = kInfinity, .max = -kInfinity};
  bool have_shift = false;
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(y[i]);
    if (!std::isfinite(v)) {
      ++t.nonfinite;
      continue;
    }
    if (!have_shift) {
      t.shift = v;
      have_shift = true;
    }
    t.sum += v - t.shift;
    t.sum_sq += (v - t.shift) * (v - t.shift);
    t.min = std::min(t.min, v);
    t.max = std::max(t.max, v);
    t.zeros += v == 0;
    t.saturated += is_saturated(v, bounds);
  }
  return t;
}

template <typename T>
GradientTotals careful_gradient_totals(const T* g, int64_t n) {
  GradientLanes lanes;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes.visit(l, std::abs(static_cast<double>(g[i + l])));
  }
  for (; i < n; ++i) lanes.visit(0, std::abs(static_cast<double>(g[i])));
  GradientTotals t;
  for (int l = 0; l < kLanes; ++l) {
    t.sum_sq += lanes.sum_sq[l];
    t.max_abs = std::max(t.max_abs, lanes.max_abs[l]);
    t.zeros += lanes.zeros[l];
    t.tiny += lanes.tiny[l];
  }
  return t;
}

template <typename T>
GradientTotals finite_gradient_totals(const T* g, int64_t n) {
  GradientTotals t;
  for (int64_t i = 0; i < n; ++i) {
    const double a = std::abs(static_cast<double>(g[i]));
    if (!std::isfinite(a)) {
      ++t.nonfinite;
      continue;
    }
    t.sum_sq += a * a;
    t.max_abs = std::max(t.max_abs, a);
    t.zeros += a == 0;
    t.tiny += a > 0 && a < kFloat32MinNormal;
  }
  return t;
}

// Eight units at a time, down all the rows, so the masks stay in a register instead of going
// through memory once per row.
template <typename T>
int64_t dead_units(const T* y, int64_t rows, int64_t units) {
#if GRADLAB_STATS_AVX2
  if constexpr (std::is_same_v<T, float>) return dead_units_avx2(y, rows, units);
#endif
  constexpr int64_t kBlock = 8;
  int64_t dead = 0, c = 0;
  for (; c + kBlock <= units; c += kBlock) {
    uint32_t alive[kBlock] = {};
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = y + r * units + c;
      for (int64_t j = 0; j < kBlock; ++j) alive[j] |= p[j] != 0 ? ~0u : 0u;
    }
    for (uint32_t a : alive) dead += a == 0;
  }
  for (; c < units; ++c) {
    bool alive = false;
    for (int64_t r = 0; r < rows; ++r) alive |= y[r * units + c] != 0;
    dead += !alive;
  }
  return dead;
}

template <typename T>
void mark_active_units(const T* y, int64_t rows, int64_t units, uint8_t* active) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = y + r * units;
    for (int64_t c = 0; c < units; ++c) active[c] |= row[c] != 0 ? 1 : 0;
  }
}

#define GRADLAB_STATS_INSTANTIATE(T)                                                           \
  template ForwardTotals careful_forward_totals<T>(const T*, int64_t, const SaturationBounds&); \
  template ForwardTotals finite_forward_totals<T>(const T*, int64_t, const SaturationBounds&);  \
  template GradientTotals careful_gradient_totals<T>(const T*, int64_t);                       \
  template GradientTotals finite_gradient_totals<T>(const T*, int64_t);                        \
  template int64_t dead_units<T>(const T*, int64_t, int64_t);                                  \
  template void mark_active_units<T>(const T*, int64_t, int64_t, uint8_t*);
GRADLAB_STATS_INSTANTIATE(float)
GRADLAB_STATS_INSTANTIATE(double)
#undef GRADLAB_STATS_INSTANTIATE

}  // namespace gradlab::kernels
