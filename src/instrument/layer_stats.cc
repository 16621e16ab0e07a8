#include "gradlab/instrument/layer_stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/conv.h"
#include "gradlab/nn/depthwise_conv.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/recurrent.h"
#include "kernels/stats.h"

namespace gradlab {
namespace {

// The saturation of `activation` as the table of activations gives it; none for an unknown name.
Saturation saturation_of(std::string_view activation) {
  const ActivationFacts* facts = find_activation_facts(activation);
  return facts == nullptr ? Saturation::none : facts->saturation;
}

// Bounds that can never be crossed stand in for "does not saturate", keeping the scans branch-free.
kernels::SaturationBounds bounds_of(Saturation saturation, const SaturationThresholds& thresholds) {
  const double inf = std::numeric_limits<double>::infinity();
  return {.symmetric = saturation == Saturation::symmetric ? thresholds.symmetric : inf,
          .low = saturation == Saturation::unit_interval ? thresholds.low : -inf,
          .high = saturation == Saturation::unit_interval ? thresholds.high : inf};
}

// Mean, standard deviation, extremes and fractions of n elements from the totals of `finite` of
// them, the others NaN or infinite.
ForwardStats forward_stats_from(const kernels::ForwardTotals& t, int64_t n, int64_t finite, Saturation saturation) {
  ForwardStats s;
  s.count = n;
  s.nonfinite_count = n - finite;
  if (finite > 0) {
    const double m = t.sum / static_cast<double>(finite);
    s.mean = t.shift + m;
    s.std = std::sqrt(std::max(0.0, t.sum_sq / static_cast<double>(finite) - m * m));
    // + 0.0 turns a -0.0 extreme into 0: which zero a scan keeps depends on its order.
    s.min = t.min + 0.0;
    s.max = t.max + 0.0;
  }
  s.zero_fraction = static_cast<double>(t.zeros) / static_cast<double>(n);
  if (saturation != Saturation::none) s.saturated_fraction = static_cast<double>(t.saturated) / static_cast<double>(n);
  return s;
}

template <typename T>
ForwardStats forward_stats_of(const T* y, int64_t n, int64_t units, std::string_view activation,
                              const SaturationThresholds& thresholds) {
  if (n == 0) return {};
  const Saturation saturation = saturation_of(activation);
  const kernels::SaturationBounds bounds = bounds_of(saturation, thresholds);
  kernels::ForwardTotals t;
  bool fast = false;
  if constexpr (std::is_same_v<T, float>) fast = kernels::fast_forward_totals(y, n, bounds, t);
  if (!fast) t = kernels::careful_forward_totals(y, n, bounds);
  ForwardStats s;
  if (std::isfinite(t.sum) && std::isfinite(t.sum_sq) && std::isfinite(t.min) && std::isfinite(t.max)) {
    s = forward_stats_from(t, n, n, saturation);
  } else {
    t = kernels::finite_forward_totals(y, n, bounds);
    s = forward_stats_from(t, n, n - t.nonfinite, saturation);
  }
  if (const ActivationFacts* facts = find_activation_facts(activation); facts != nullptr && facts->dead_units) {
    s.silent_fraction = static_cast<double>(kernels::dead_units(y, n / units, units)) / static_cast<double>(units);
  }
  return s;
}

GradientStats gradient_stats_from(const kernels::GradientTotals& t, int64_t n) {
  const double inf = std::numeric_limits<double>::infinity();
  GradientStats s{.count = n, .zero_count = t.zeros, .below_float32_normal_count = t.tiny, .nonfinite_count = t.nonfinite};
  s.l2_norm = t.nonfinite ? inf : std::sqrt(t.sum_sq);
  s.max_abs = t.nonfinite ? inf : t.max_abs;
  s.rms = n > 0 ? s.l2_norm / std::sqrt(static_cast<double>(n)) : 0.0;
  return s;
}

template <typename T>
GradientStats gradient_stats_of(const T* g, int64_t n) {
  kernels::GradientTotals t;
  if constexpr (std::is_same_v<T, float>) {
    if (kernels::fast_gradient_totals(g, n, t)) return gradient_stats_from(t, n);
  }
  t = kernels::careful_gradient_totals(g, n);
  // NaN and infinity both make the sum of squares non-finite; only then is the finite pass needed.
  if (!std::isfinite(t.sum_sq)) t = kernels::finite_gradient_totals(g, n);
  return gradient_stats_from(t, n);
}

double l2_norm_of(const Tensor& t) {
  if (!t.defined()) return 0.0;
  double sum = 0;
  if (t.dtype() == DType::float32 && kernels::fast_sum_of_squares(t.data<float>(), t.numel(), sum)) return std::sqrt(sum);
  return gradient_stats(t).l2_norm;
}

}  // namespace

std::string layer_activation(const LayerImpl& layer) {
  // The type says which cast can succeed: one dynamic_cast per call at most.
  if (layer.type() == "dense") {
    if (const auto* dense = dynamic_cast<const DenseImpl*>(&layer)) return dense->options().activation;
  } else if (layer.type() == "activation") {
    if (const auto* activation = dynamic_cast<const ActivationImpl*>(&layer)) return activation->activation();
  } else if (layer.type() == "conv2d" || layer.type() == "conv1d") {
    if (const auto* conv = dynamic_cast<const ConvImpl*>(&layer)) return conv->options().activation;
  } else if (layer.type() == "depthwise_conv2d") {
    if (const auto* conv = dynamic_cast<const DepthwiseConv2DImpl*>(&layer)) return conv->options().activation;
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

std::string variable_role(std::string_view layer, std::string_view variable) {
  if (!layer.empty() && variable.size() > layer.size() && variable.starts_with(layer) && variable[layer.size()] == '/') {
    variable.remove_prefix(layer.size() + 1);
  }
  return std::string(variable);
}

VariableGradientStats variable_gradient_stats(const Variable& variable, const Tensor& grad, std::string_view layer) {
  VariableGradientStats s;
  s.name = variable.name();
  s.role = variable_role(layer, s.name);
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
