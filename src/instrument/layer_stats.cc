#include "gradlab/instrument/layer_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"

namespace gradlab {
namespace {

enum class Saturation { none, symmetric, unit_interval };

Saturation saturation_of(std::string_view activation) {
  if (activation == "tanh" || activation == "softsign") return Saturation::symmetric;
  if (activation == "sigmoid" || activation == "hard_sigmoid") return Saturation::unit_interval;
  return Saturation::none;
}

// Eight independent accumulators break the dependency chain of one running sum, so the compiler can
// keep several additions in flight (it may not reorder one floating-point sum by itself).
constexpr int kLanes = 8;

// The careful forward statistics, which skip non-finite values; used only when the fast pass saw one.
template <typename T>
ForwardStats forward_stats_careful(const T* y, int64_t n, const SaturationThresholds& thresholds, Saturation saturation) {
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
    s.min = lo;
    s.max = hi;
  }
  s.zero_fraction = static_cast<double>(zeros) / static_cast<double>(n);
  if (saturation != Saturation::none) s.saturated_fraction = static_cast<double>(saturated) / static_cast<double>(n);
  return s;
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
  // Sums are taken around the first value so that a large mean does not cancel the variance.
  const double shift = static_cast<double>(y[0]);
  double sum[kLanes] = {}, sum_sq[kLanes] = {}, lo[kLanes], hi[kLanes];
  int64_t zeros[kLanes] = {}, saturated[kLanes] = {};
  std::fill(lo, lo + kLanes, shift);
  std::fill(hi, hi + kLanes, shift);
  const auto visit = [&](int lane, double v) {
    const double d = v - shift;
    sum[lane] += d;
    sum_sq[lane] += d * d;
    lo[lane] = std::min(lo[lane], v);
    hi[lane] = std::max(hi[lane], v);
    zeros[lane] += v == 0;
    saturated[lane] += (std::abs(v) > symmetric) | (v < low) | (v > high);
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) visit(l, static_cast<double>(y[i + l]));
  }
  for (; i < n; ++i) visit(0, static_cast<double>(y[i]));
  double total = 0, total_sq = 0, min = lo[0], max = hi[0];
  int64_t zero_count = 0, saturated_count = 0;
  for (int l = 0; l < kLanes; ++l) {
    total += sum[l];
    total_sq += sum_sq[l];
    min = std::min(min, lo[l]);
    max = std::max(max, hi[l]);
    zero_count += zeros[l];
    saturated_count += saturated[l];
  }
  ForwardStats s;
  if (std::isfinite(total) && std::isfinite(total_sq) && std::isfinite(min) && std::isfinite(max)) {
    s.count = n;
    const double m = total / static_cast<double>(n);
    s.mean = shift + m;
    s.std = std::sqrt(std::max(0.0, total_sq / static_cast<double>(n) - m * m));
    s.min = min;
    s.max = max;
    s.zero_fraction = static_cast<double>(zero_count) / static_cast<double>(n);
    if (saturation != Saturation::none) s.saturated_fraction = static_cast<double>(saturated_count) / static_cast<double>(n);
  } else {
    s = forward_stats_careful(y, n, thresholds, saturation);
  }
  if (activation == "relu") {
    // A unit is alive when some example (and position) gives it a non-zero output, NaN included.
    std::vector<char> alive(static_cast<std::size_t>(units), 0);
    for (int64_t row = 0; row < n / units; ++row) {
      const T* r = y + row * units;
      for (int64_t c = 0; c < units; ++c) alive[static_cast<std::size_t>(c)] |= r[c] != 0;
    }
    s.dead_fraction = static_cast<double>(std::count(alive.begin(), alive.end(), 0)) / static_cast<double>(units);
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
  double sum_sq[kLanes] = {}, max_abs[kLanes] = {};
  int64_t zeros[kLanes] = {}, tiny[kLanes] = {};
  const auto visit = [&](int lane, double a) {
    sum_sq[lane] += a * a;
    max_abs[lane] = std::max(max_abs[lane], a);
    zeros[lane] += a == 0;
    tiny[lane] += (a > 0) & (a < kFloat32MinNormal);
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) visit(l, std::abs(static_cast<double>(g[i + l])));
  }
  for (; i < n; ++i) visit(0, std::abs(static_cast<double>(g[i])));
  GradientStats s;
  s.count = n;
  double total = 0;
  for (int l = 0; l < kLanes; ++l) {
    total += sum_sq[l];
    s.max_abs = std::max(s.max_abs, max_abs[l]);
    s.zero_count += zeros[l];
    s.below_float32_normal_count += tiny[l];
  }
  // NaN and infinity both make the sum of squares non-finite; only then is the careful pass needed.
  if (!std::isfinite(total)) return gradient_stats_careful(g, n);
  s.l2_norm = std::sqrt(total);
  s.rms = n > 0 ? s.l2_norm / std::sqrt(static_cast<double>(n)) : 0.0;
  return s;
}

double l2_norm_of(const Tensor& t) { return t.defined() ? gradient_stats(t).l2_norm : 0.0; }

}  // namespace

std::string layer_activation(const LayerImpl& layer) {
  if (const auto* dense = dynamic_cast<const DenseImpl*>(&layer)) return dense->options().activation;
  if (const auto* activation = dynamic_cast<const ActivationImpl*>(&layer)) return activation->activation();
  return "linear";
}

ForwardStats forward_stats(const Tensor& output, std::string_view activation, const SaturationThresholds& thresholds) {
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
