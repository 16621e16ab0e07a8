#include "gradlab/instrument/layer_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <type_traits>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GRADLAB_STATS_AVX2 1
#endif

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/recurrent.h"
#include "instrument/float32_scans.h"

namespace gradlab {
namespace {

// The saturation of `activation` as the table of activations gives it; none for an unknown name.
Saturation saturation_of(std::string_view activation) {
  const ActivationFacts* facts = find_activation_facts(activation);
  return facts == nullptr ? Saturation::none : facts->saturation;
}

// Sixteen independent accumulators break the dependency chain of one running sum, so several
// additions are in flight at once (a compiler may not reorder one floating-point sum by itself). With
// eight, the vectorized scans below waited on the latency of their two chains of double additions.
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

// Partial forward statistics, one set per lane: element i of the main loop goes to lane i % kLanes,
// the tail to lane 0, and the lanes are combined in order. The exact float32 scan below keeps exactly
// this assignment and order, so its results are bit for bit those of the plain loop (and of the same
// values in float64).
struct ForwardLanes {
  explicit ForwardLanes(double shift) {
    std::fill(lo, lo + kLanes, shift);
    std::fill(hi, hi + kLanes, shift);
    shift_ = shift;
  }
  void visit(int lane, double v, double symmetric, double low, double high) {
    const double d = v - shift_;
    sum[lane] += d;
    sum_sq[lane] = add_square(sum_sq[lane], d);
    lo[lane] = std::min(lo[lane], v);
    hi[lane] = std::max(hi[lane], v);
    zeros[lane] += v == 0;
    saturated[lane] += (std::abs(v) > symmetric) | (v < low) | (v > high);
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

// The main loop over whole groups of kLanes elements; returns where the tail starts.
template <typename T>
int64_t forward_lanes_plain(const T* y, int64_t n, double symmetric, double low, double high,
                            ForwardLanes& lanes) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes.visit(l, static_cast<double>(y[i + l]), symmetric, low, high);
  }
  return i;
}

template <typename T>
int64_t gradient_lanes_plain(const T* g, int64_t n, GradientLanes& lanes) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes.visit(l, std::abs(static_cast<double>(g[i + l])));
  }
  return i;
}

template <typename T>
int64_t forward_lanes_fast(const T* y, int64_t n, double, double symmetric, double low, double high,
                           ForwardLanes& lanes) {
  return forward_lanes_plain(y, n, symmetric, low, high, lanes);
}

#if GRADLAB_STATS_AVX2
// The exact forward scan of float32 values, taken when the float32 block sums of float32_scans.h
// cannot vouch for theirs (an exploding or vanishing signal). Sixteen elements per step in AVX2: the
// sums in double, four vectors of four lanes (squares added with a fused multiply-add, as the plain
// loop does); the comparisons, minimum and maximum in float, where they are exact, two vectors of
// eight lanes. It reads its tensor twice, sums then the rest, because all its accumulators at once do
// not fit AVX2's sixteen registers, and spilling them cost more than a second read from L1. Counts
// are exact in any lane, so they are kept in one 32-bit vector, flushed to lane 0 every kFlushSteps
// steps.
constexpr int64_t kFlushSteps = int64_t{1} << 28;

int64_t total_of(__m256i counts) {
  alignas(32) int32_t c[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(c), counts);
  int64_t total = 0;
  for (int32_t x : c) total += x;
  return total;
}

void store_lanes(__m256 a, __m256 b, double* lanes) {
  alignas(32) float f[16];
  _mm256_store_ps(f, a);
  _mm256_store_ps(f + 8, b);
  for (int l = 0; l < 16; ++l) lanes[l] = f[l];
}

void store_lanes(__m256d a, __m256d b, __m256d c, __m256d d, double* lanes) {
  _mm256_storeu_pd(lanes, a);
  _mm256_storeu_pd(lanes + 4, b);
  _mm256_storeu_pd(lanes + 8, c);
  _mm256_storeu_pd(lanes + 12, d);
}

// Four floats as doubles, converted straight from memory (cheaper than splitting a loaded vector).
__m256d quarter(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }

template <>
int64_t forward_lanes_fast<float>(const float* y, int64_t n, double shift, double symmetric, double low,
                                  double high, ForwardLanes& lanes) {
  static_assert(kLanes == 16);
  const int64_t whole = n / kLanes * kLanes;
  {
    const __m256d s = _mm256_set1_pd(shift);
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
  }
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 symmetric_f = _mm256_set1_ps(detail::float_at_or_below(symmetric));
  const __m256 low_f = _mm256_set1_ps(detail::float_at_or_above(low));
  const __m256 high_f = _mm256_set1_ps(detail::float_at_or_below(high));
  const __m256 zero = _mm256_setzero_ps();
  __m256 lo0 = _mm256_set1_ps(static_cast<float>(shift)), lo1 = lo0, hi0 = lo0, hi1 = lo0;
  // Which tests can hold is known before the loop: an infinite threshold is never crossed.
  const bool test_symmetric = symmetric != std::numeric_limits<double>::infinity();
  const bool test_interval =
      low != -std::numeric_limits<double>::infinity() || high != std::numeric_limits<double>::infinity();
  const auto scan = [&](auto symmetric_test, auto interval_test) {
    const auto saturated = [&](__m256 v) {
      __m256 out = _mm256_setzero_ps();
      if constexpr (decltype(symmetric_test)::value)
        out = _mm256_cmp_ps(_mm256_and_ps(v, abs_mask), symmetric_f, _CMP_GT_OQ);
      if constexpr (decltype(interval_test)::value) {
        out = _mm256_or_ps(
            out, _mm256_or_ps(_mm256_cmp_ps(v, low_f, _CMP_LT_OQ), _mm256_cmp_ps(v, high_f, _CMP_GT_OQ)));
      }
      return out;
    };
    for (int64_t i = 0; i < whole;) {
      __m256i zeros = _mm256_setzero_si256(), out = zeros;
      for (const int64_t end = std::min(whole, i + kFlushSteps * kLanes); i < end; i += kLanes) {
        const __m256 a = _mm256_loadu_ps(y + i), b = _mm256_loadu_ps(y + i + 8);
        // Operands in this order pick as std::min(lo, v) and std::max(hi, v) do, down to the sign of a zero.
        lo0 = _mm256_min_ps(a, lo0);
        lo1 = _mm256_min_ps(b, lo1);
        hi0 = _mm256_max_ps(a, hi0);
        hi1 = _mm256_max_ps(b, hi1);
        zeros = _mm256_sub_epi32(zeros, _mm256_castps_si256(_mm256_cmp_ps(a, zero, _CMP_EQ_OQ)));
        zeros = _mm256_sub_epi32(zeros, _mm256_castps_si256(_mm256_cmp_ps(b, zero, _CMP_EQ_OQ)));
        if constexpr (decltype(symmetric_test)::value || decltype(interval_test)::value) {
          out = _mm256_sub_epi32(out, _mm256_castps_si256(saturated(a)));
          out = _mm256_sub_epi32(out, _mm256_castps_si256(saturated(b)));
        }
      }
      lanes.zeros[0] += total_of(zeros);
      lanes.saturated[0] += total_of(out);
    }
  };
  using yes = std::true_type;
  using no = std::false_type;
  if (test_symmetric && test_interval)
    scan(yes{}, yes{});
  else if (test_symmetric)
    scan(yes{}, no{});
  else if (test_interval)
    scan(no{}, yes{});
  else
    scan(no{}, no{});
  // A NaN may leave min/max unordered here; the caller then takes the careful pass, which skips it.
  store_lanes(lo0, lo1, lanes.lo);
  store_lanes(hi0, hi1, lanes.hi);
  return whole;
}

#endif

// The careful forward statistics, which skip non-finite values; used only when the fast pass saw one.
template <typename T>
ForwardStats forward_stats_careful(const T* y, int64_t n, const SaturationThresholds& thresholds,
                                   Saturation saturation) {
  ForwardStats s;
  s.count = n;
  double shift = 0, sum = 0, sum_sq = 0;
  bool have_shift = false;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  int64_t finite = 0, zeros = 0, saturated = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(y[i]);
    if (!std::isfinite(v)) {
      ++s.nonfinite_count;
      continue;
    }
    if (!have_shift) {
      shift = v;
      have_shift = true;
    }
    ++finite;
    sum += v - shift;
    sum_sq += (v - shift) * (v - shift);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    zeros += v == 0;
    if (saturation == Saturation::symmetric) saturated += std::abs(v) > thresholds.symmetric;
    if (saturation == Saturation::unit_interval) saturated += v < thresholds.low || v > thresholds.high;
  }
  if (finite > 0) {
    const double m = sum / static_cast<double>(finite);
    s.mean = shift + m;
    s.std = std::sqrt(std::max(0.0, sum_sq / static_cast<double>(finite) - m * m));
    s.min = lo + 0.0;
    s.max = hi + 0.0;
  }
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n);
  if (saturation != Saturation::none)
    s.saturated_fraction = static_cast<double>(saturated) / static_cast<double>(n);
  return s;
}

// Units (last axis) whose output is 0 in every row: a unit is alive when some row (example and
// position) gives it a non-zero output, NaN included. Eight units at a time, down all the rows, so the
// masks stay in a register instead of going through memory once per row.
template <typename T>
int64_t dead_units(const T* y, int64_t rows, int64_t units) {
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

#if GRADLAB_STATS_AVX2
// The same for float in AVX2, four vectors of eight units at a time, on the bits: a unit is alive
// when the OR of its values' bits, sign left out, is not 0 (any non-zero value, NaN included, has a
// non-zero exponent or mantissa).
template <>
int64_t dead_units<float>(const float* y, int64_t rows, int64_t units) {
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
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

// Forward totals with every element accumulated in double: lane by lane, around the first value.
template <typename T>
detail::ForwardTotals exact_forward_totals(const T* y, int64_t n, double symmetric, double low, double high) {
  // Sums are taken around the first value so that a large mean does not cancel the variance.
  const double shift = static_cast<double>(y[0]);
  ForwardLanes lanes(shift);
  const int64_t i = forward_lanes_fast(y, n, shift, symmetric, low, high, lanes);
  for (int64_t j = i; j < n; ++j) lanes.visit(0, static_cast<double>(y[j]), symmetric, low, high);
  detail::ForwardTotals t{.shift = shift, .min = lanes.lo[0], .max = lanes.hi[0]};
  for (int l = 0; l < kLanes; ++l) {
    t.sum += lanes.sum[l];
    t.sum_sq += lanes.sum_sq[l];
    t.min = std::min(t.min, lanes.lo[l]);
    t.max = std::max(t.max, lanes.hi[l]);
    t.zeros += lanes.zeros[l];
    t.saturated += lanes.saturated[l];
  }
  return t;
}

template <typename T>
ForwardStats forward_stats_of(const T* y, int64_t n, int64_t units, std::string_view activation,
                              const SaturationThresholds& thresholds) {
  if (n == 0) return {};
  const Saturation saturation = saturation_of(activation);
  // Thresholds that can never be crossed stand in for "does not saturate", keeping the loop branch-free.
  const double inf = std::numeric_limits<double>::infinity();
  const double symmetric = saturation == Saturation::symmetric ? thresholds.symmetric : inf;
  const double low = saturation == Saturation::unit_interval ? thresholds.low : -inf;
  const double high = saturation == Saturation::unit_interval ? thresholds.high : inf;
  detail::ForwardTotals t;
  bool fast = false;
  if constexpr (std::is_same_v<T, float>) fast = detail::forward_totals_float32(y, n, symmetric, low, high, t);
  if (!fast) t = exact_forward_totals(y, n, symmetric, low, high);
  ForwardStats s;
  if (std::isfinite(t.sum) && std::isfinite(t.sum_sq) && std::isfinite(t.min) && std::isfinite(t.max)) {
    s.count = n;
    const double m = t.sum / static_cast<double>(n);
    s.mean = t.shift + m;
    s.std = std::sqrt(std::max(0.0, t.sum_sq / static_cast<double>(n) - m * m));
    // + 0.0 turns a -0.0 extreme into 0: which zero a scan keeps depends on its order.
    s.min = t.min + 0.0;
    s.max = t.max + 0.0;
    s.zero_fraction = static_cast<double>(t.zeros) / static_cast<double>(n);
    if (saturation != Saturation::none)
      s.saturated_fraction = static_cast<double>(t.saturated) / static_cast<double>(n);
  } else {
    s = forward_stats_careful(y, n, thresholds, saturation);
  }
  if (const ActivationFacts* facts = find_activation_facts(activation); facts != nullptr && facts->dead_units) {
    s.dead_fraction = static_cast<double>(dead_units(y, n / units, units)) / static_cast<double>(units);
  }
  return s;
}

template <typename T>
GradientStats gradient_stats_careful(const T* g, int64_t n) {
  GradientStats s;
  s.count = n;
  double sum_sq = 0, max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = std::abs(static_cast<double>(g[i]));
    if (!std::isfinite(a)) {
      ++s.nonfinite_count;
      continue;
    }
    sum_sq += a * a;
    max_abs = std::max(max_abs, a);
    s.zero_count += a == 0;
    s.below_float32_normal_count += a > 0 && a < kFloat32MinNormal;
  }
  const double inf = std::numeric_limits<double>::infinity();
  s.l2_norm = s.nonfinite_count ? inf : std::sqrt(sum_sq);
  s.max_abs = s.nonfinite_count ? inf : max_abs;
  s.rms = n > 0 ? s.l2_norm / std::sqrt(static_cast<double>(n)) : 0.0;
  return s;
}

template <typename T>
GradientStats gradient_stats_of(const T* g, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    detail::GradientTotals t;
    if (detail::gradient_totals_float32(g, n, t)) {
      GradientStats s{.count = n, .l2_norm = std::sqrt(t.sum_sq), .max_abs = t.max_abs, .zero_count = t.zeros,
                      .below_float32_normal_count = t.tiny};
      s.rms = s.l2_norm / std::sqrt(static_cast<double>(n));
      return s;
    }
  }
  GradientLanes lanes;
  const int64_t i = gradient_lanes_plain(g, n, lanes);
  for (int64_t j = i; j < n; ++j) lanes.visit(0, std::abs(static_cast<double>(g[j])));
  GradientStats s;
  s.count = n;
  double total = 0;
  for (int l = 0; l < kLanes; ++l) {
    total += lanes.sum_sq[l];
    s.max_abs = std::max(s.max_abs, lanes.max_abs[l]);
    s.zero_count += lanes.zeros[l];
    s.below_float32_normal_count += lanes.tiny[l];
  }
  // NaN and infinity both make the sum of squares non-finite; only then is the careful pass needed.
  if (!std::isfinite(total)) return gradient_stats_careful(g, n);
  s.l2_norm = std::sqrt(total);
  s.rms = n > 0 ? s.l2_norm / std::sqrt(static_cast<double>(n)) : 0.0;
  return s;
}

double l2_norm_of(const Tensor& t) {
  if (!t.defined()) return 0.0;
  double sum = 0;
  if (t.dtype() == DType::float32 && detail::sum_of_squares_float32(t.data<float>(), t.numel(), sum)) return std::sqrt(sum);
  return gradient_stats(t).l2_norm;
}

}  // namespace

std::string layer_activation(const LayerImpl& layer) {
  // The type says which cast can succeed: one dynamic_cast per call at most.
  if (layer.type() == "dense") {
    if (const auto* dense = dynamic_cast<const DenseImpl*>(&layer)) return dense->options().activation;
  } else if (layer.type() == "activation") {
    if (const auto* activation = dynamic_cast<const ActivationImpl*>(&layer)) return activation->activation();
  } else if (layer.type() == "simple_rnn") {
    // A SimpleRNN's output is its activation's output; an LSTM's or GRU's mixes gates and states.
    if (const auto* rnn = dynamic_cast<const RecurrentImpl*>(&layer)) return rnn->options().activation;
  }
  return "linear";
}

ForwardStats forward_stats(const Tensor& output, std::string_view activation,
                           const SaturationThresholds& thresholds) {
  if (!output.defined()) return {};
  const int64_t units = output.rank() == 0 ? 1 : std::max<int64_t>(output.dim(-1), 1);
  return dispatch(output.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return forward_stats_of(output.data<T>(), output.numel(), units, activation, thresholds);
  });
}

GradientStats gradient_stats(const Tensor& grad) {
  if (!grad.defined()) return {};
  return dispatch(grad.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return gradient_stats_of(grad.data<T>(), grad.numel());
  });
}

GradientStats combine(const std::vector<GradientStats>& parts) {
  GradientStats s;
  double sum_sq = 0;
  for (const GradientStats& p : parts) {
    s.count += p.count;
    sum_sq += p.l2_norm * p.l2_norm;
    s.max_abs = std::max(s.max_abs, p.max_abs);
    s.zero_count += p.zero_count;
    s.below_float32_normal_count += p.below_float32_normal_count;
    s.nonfinite_count += p.nonfinite_count;
  }
  s.l2_norm = std::sqrt(sum_sq);
  s.rms = s.count > 0 ? s.l2_norm / std::sqrt(static_cast<double>(s.count)) : 0.0;
  return s;
}

VariableGradientStats variable_gradient_stats(const Variable& variable, const Tensor& grad) {
  VariableGradientStats s;
  s.name = variable.name();
  const GradientStats g = gradient_stats(grad);
  s.grad_norm = g.l2_norm;
  s.max_abs_grad = g.max_abs;
  s.weight_norm = l2_norm_of(variable.value());
  if (s.grad_norm == 0) {
    s.grad_to_weight_ratio = 0;
  } else if (s.weight_norm == 0) {
    s.grad_to_weight_ratio = std::numeric_limits<double>::infinity();
  } else {
    s.grad_to_weight_ratio = s.grad_norm / s.weight_norm;
  }
  return s;
}

}  // namespace gradlab
