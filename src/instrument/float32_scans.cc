#include "instrument/float32_scans.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GRADLAB_FLOAT32_SCANS 1
#endif

namespace gradlab::detail {

float float_at_or_below(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) > t) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

float float_at_or_above(double t) {
  float f = static_cast<float>(t);
  if (static_cast<double>(f) < t) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

#if GRADLAB_FLOAT32_SCANS
namespace {

// The probe reads every output and gradient of a pass, so these scans are most of what it costs on
// the lesson's small networks. Summing in double costs a conversion and a double operation per four
// elements; summing in float, eight at a time, halves the work, and short blocks keep float's
// rounding below 1e-6. A step is four vectors, added pairwise so that each accumulator waits on one
// addition per step rather than four.
constexpr int64_t kStep = 32;
// Each float lane adds four terms per step: sixteen per block before the block goes to double.
constexpr int64_t kBlockSteps = 4;
// Counts are int32 per lane, flushed every kCountSteps * kStep values (2^30: at most 2^28 per lane).
constexpr int64_t kCountSteps = int64_t{1} << 25;

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

// Adds the eight float lanes of v to two double accumulators (lanes 0-3 and 4-7).
void flush(__m256 v, __m256d& low, __m256d& high) {
  low = _mm256_add_pd(low, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  high = _mm256_add_pd(high, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

// The squares of one step's four vectors, added pairwise.
__m256 step_squares(__m256 a, __m256 b, __m256 c, __m256 d) {
  return _mm256_add_ps(_mm256_fmadd_ps(a, a, _mm256_mul_ps(b, b)), _mm256_fmadd_ps(c, c, _mm256_mul_ps(d, d)));
}

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

__m256i as_count(__m256 mask) { return _mm256_castps_si256(mask); }

// Sums of d = y - shift and of d^2 over the first `whole` values (a multiple of kStep).
void forward_sums(const float* y, int64_t whole, float shift, ForwardTotals& t) {
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

// Extremes, zeros and saturated values over the first `whole` values, sixteen per step: a second
// read from L1 costs less than the spills one loop with every accumulator would need.
template <bool kSymmetric, bool kInterval>
void forward_extremes(const float* y, int64_t whole, float symmetric, float low, float high, ForwardTotals& t) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 symmetric_v = _mm256_set1_ps(symmetric), low_v = _mm256_set1_ps(low), high_v = _mm256_set1_ps(high);
  const auto saturated = [=](__m256 v) {
    __m256 out = zero;
    if constexpr (kSymmetric) out = _mm256_cmp_ps(_mm256_and_ps(v, abs_mask), symmetric_v, _CMP_GT_OQ);
    if constexpr (kInterval) {
      out = _mm256_or_ps(out, _mm256_or_ps(_mm256_cmp_ps(v, low_v, _CMP_LT_OQ), _mm256_cmp_ps(v, high_v, _CMP_GT_OQ)));
    }
    return as_count(out);
  };
  const auto is_zero = [=](__m256 v) { return as_count(_mm256_cmp_ps(v, zero, _CMP_EQ_OQ)); };
  __m256 lo = _mm256_set1_ps(y[0]), hi = lo;
  for (int64_t i = 0; i < whole;) {
    __m256i zeros = _mm256_setzero_si256(), out = zeros;
    for (const int64_t end = std::min(whole, i + kCountSteps * kStep); i < end; i += 16) {
      const __m256 a = _mm256_loadu_ps(y + i), b = _mm256_loadu_ps(y + i + 8);
      // With the running extreme as the second operand, a NaN never replaces it (the NaN makes the
      // sums non-finite and the caller takes the exact path anyway).
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

// Zeros and subnormals among the first `whole` values (a multiple of kStep), as |g|'s bits: 0, and 1
// to 0x007fffff.
void count_small(const float* g, int64_t whole, GradientTotals& t) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i min_normal = _mm256_set1_epi32(0x00800000);
  const __m256i none = _mm256_setzero_si256();
  const auto bits = [abs_mask](const float* p) { return _mm256_castps_si256(_mm256_and_ps(_mm256_loadu_ps(p), abs_mask)); };
  for (int64_t i = 0; i < whole;) {
    __m256i zeros = none, small = none;
    for (const int64_t end = std::min(whole, i + kCountSteps * kStep); i < end; i += 8) {
      const __m256i a = bits(g + i);
      zeros = _mm256_sub_epi32(zeros, _mm256_cmpeq_epi32(a, none));
      small = _mm256_sub_epi32(small, _mm256_cmpgt_epi32(min_normal, a));
    }
    const int64_t z = total_of(zeros);
    t.zeros += z;
    t.tiny += total_of(small) - z;
  }
}

}  // namespace

bool forward_totals_float32(const float* y, int64_t n, double symmetric, double low, double high,
                            ForwardTotals& t) {
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
  const float symmetric_f = float_at_or_below(symmetric), low_f = float_at_or_above(low),
              high_f = float_at_or_below(high);
  const double inf = std::numeric_limits<double>::infinity();
  const bool test_symmetric = symmetric != inf, test_interval = low != -inf || high != inf;
  forward_sums(y, whole, shift, t);
  if (test_symmetric && test_interval) {
    forward_extremes<true, true>(y, whole, symmetric_f, low_f, high_f, t);
  } else if (test_symmetric) {
    forward_extremes<true, false>(y, whole, symmetric_f, low_f, high_f, t);
  } else if (test_interval) {
    forward_extremes<false, true>(y, whole, symmetric_f, low_f, high_f, t);
  } else {
    forward_extremes<false, false>(y, whole, symmetric_f, low_f, high_f, t);
  }
  for (int64_t i = whole; i < n; ++i) {
    const double v = static_cast<double>(y[i]), d = v - t.shift;
    t.sum += d;
    t.sum_sq += d * d;
    t.min = std::min(t.min, v);
    t.max = std::max(t.max, v);
    t.zeros += v == 0;
    t.saturated += (std::abs(v) > symmetric) | (v < low) | (v > high);
  }
  if (!std::isfinite(t.sum) || !std::isfinite(t.sum_sq) || std::isnan(t.min) || std::isnan(t.max)) return false;
  const double spread = std::max(t.max - t.shift, t.shift - t.min);
  return spread == 0 || (spread >= 0x1p-40 && spread <= 0x1p60);
}

bool gradient_totals_float32(const float* g, int64_t n, GradientTotals& t) {
  const int64_t whole = n / kStep * kStep;
  if (whole == 0) return false;
  // One read gives the extremes of |g| and the squares as they are; a second, with the squares scaled
  // by 2^-e, is needed only when the largest |g| is outside [2^-40, 2^50), where float32 squares could
  // overflow or lose the norm (below 2^-40 a square under 2^-126 is not negligible any more).
  // |g| as bits orders as |g| does, NaN above infinity above every number.
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256i most = _mm256_setzero_si256(), least = _mm256_castps_si256(abs_mask);
  __m256d sq_low = _mm256_setzero_pd(), sq_high = sq_low;
  for (int64_t i = 0; i < whole;) {
    __m256 sq = _mm256_setzero_ps();
    for (const int64_t end = std::min(whole, i + kBlockSteps * kStep); i < end; i += kStep) {
      // Loaded as floats: an integer load may alias anything, and GCC then keeps the running
      // extremes in memory rather than registers.
      const __m256 a = _mm256_loadu_ps(g + i), b = _mm256_loadu_ps(g + i + 8);
      const __m256 c = _mm256_loadu_ps(g + i + 16), d = _mm256_loadu_ps(g + i + 24);
      const __m256i ab = _mm256_castps_si256(_mm256_and_ps(a, abs_mask)), bb = _mm256_castps_si256(_mm256_and_ps(b, abs_mask));
      const __m256i cb = _mm256_castps_si256(_mm256_and_ps(c, abs_mask)), db = _mm256_castps_si256(_mm256_and_ps(d, abs_mask));
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

bool sum_of_squares_float32(const float* x, int64_t n, double& sum) {
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

bool sum_of_squares_float32(const float*, int64_t, double&) { return false; }
bool forward_totals_float32(const float*, int64_t, double, double, double, ForwardTotals&) { return false; }
bool gradient_totals_float32(const float*, int64_t, GradientTotals&) { return false; }

#endif

}  // namespace gradlab::detail
