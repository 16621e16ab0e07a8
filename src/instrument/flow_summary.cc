#include "gradlab/instrument/flow_summary.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::size_t> depth_axis(const PassRecord& pass) {
  for (const auto keep : {+[](const LayerCallRecord& c) { return c.has_kernel; },
                          +[](const LayerCallRecord& c) { return c.has_variables; }}) {
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < pass.layers.size(); ++i) {
      if (keep(pass.layers[i])) chosen.push_back(i);
    }
    if (!chosen.empty()) return chosen;
  }
  std::vector<std::size_t> all(pass.layers.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

}  // namespace

double fitted_norm_gain(const std::vector<double>& norms) {
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t k = 0; k < norms.size(); ++k) {
    if (!(norms[k] > 0) || !std::isfinite(norms[k])) continue;
    const double x = static_cast<double>(k), y = std::log(norms[k]);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double denominator = n * sxx - sx * sx;
  if (n < 2 || denominator == 0) return kNaN;
  return std::exp(-(n * sxy - sx * sy) / denominator);
}

double squared_gain_of_ratio(double ratio, int layers_apart) {
  if (layers_apart < 1 || !(ratio > 0) || !std::isfinite(ratio)) return kNaN;
  return std::pow(ratio, 2.0 / layers_apart);
}

double gain_depth_scale(double squared_gain) {
  if (std::isnan(squared_gain)) return kNaN;
  const double log_gain = std::abs(std::log(squared_gain));
  return log_gain == 0 ? std::numeric_limits<double>::infinity() : 1 / log_gain;
}

std::string flow_verdict_rule(const FlowThresholds& thresholds) {
  return fmt::format(
      "vanishing (g < 1) or exploding (g > 1) when the network is deeper than {:g} xi, with g the per-layer gain of the "
      "squared gradient norm (fit on a log scale over the weight layers) and xi = 1/|ln g| its depth scale "
      "(Schoenholz et al. 2017: trainable up to about 6 xi); nonfinite when a gradient norm is infinite or NaN; zero "
      "when no gradient reaches the first layer; healthy otherwise",
      thresholds.trainable_depth_scales);
}

FlowVerdict verdict_of_gain(double squared_gain, int depth, const FlowThresholds& thresholds) {
  // L > k xi written as L |ln g| > k, which stays exact at g = 1 (xi infinite) and never divides.
  if (!(squared_gain > 0) || !std::isfinite(squared_gain)) return FlowVerdict::healthy;
  const double log_gain = std::log(squared_gain);
  if (depth * std::abs(log_gain) <= thresholds.trainable_depth_scales) return FlowVerdict::healthy;
  return log_gain < 0 ? FlowVerdict::vanishing : FlowVerdict::exploding;
}

const char* flow_verdict_name(FlowVerdict verdict) {
  switch (verdict) {
    case FlowVerdict::vanishing: return "vanishing";
    case FlowVerdict::exploding: return "exploding";
    case FlowVerdict::healthy: return "healthy";
    case FlowVerdict::nonfinite: return "nonfinite";
    case FlowVerdict::zero: return "zero";
  }
  return "unknown";
}

FlowSummary summarize_flow(const PassRecord& pass, const FlowThresholds& thresholds) {
  if (pass.layers.empty()) fail("summarize_flow: the pass recorded no layer calls");
  FlowSummary s;
  s.thresholds = thresholds;
  s.depth_layers = depth_axis(pass);
  bool all_inputs = true;
  for (std::size_t i : s.depth_layers) all_inputs &= pass.layers[i].input_grad.has_value();
  s.measure = all_inputs ? FlowMeasure::input_grad : FlowMeasure::output_grad;
  for (std::size_t i : s.depth_layers) {
    const LayerCallRecord& call = pass.layers[i];
    const std::optional<GradientStats>& g = all_inputs ? call.input_grad : call.output_grad;
    s.grad_norms.push_back(g ? g->l2_norm : 0.0);
  }
  s.mean_gain = fitted_norm_gain(s.grad_norms);
  s.squared_gain = s.mean_gain * s.mean_gain;
  s.depth_scale = gain_depth_scale(s.squared_gain);
  s.depth = static_cast<int>(s.grad_norms.size());
  for (std::size_t k = 0; k < s.grad_norms.size(); ++k) {
    const double below = s.grad_norms[k], above = k + 1 < s.grad_norms.size() ? s.grad_norms[k + 1] : kNaN;
    const bool usable = std::isfinite(below) && std::isfinite(above) && above > 0;
    s.layer_gains.push_back(usable ? (below / above) * (below / above) : kNaN);
  }
  const double first = s.grad_norms.front(), last = s.grad_norms.back();
  const bool finite = std::isfinite(first) && std::isfinite(last);
  if (s.grad_norms.size() == 1) {
    s.first_to_last_ratio = 1;
  } else {
    s.first_to_last_ratio = finite && last != 0 ? first / last : kNaN;
  }
  const std::string& first_name = pass.layers[s.depth_layers.front()].layer;

  std::optional<std::size_t> overflow;
  for (std::size_t k = 0; k < s.grad_norms.size() && !overflow; ++k) {
    if (!std::isfinite(s.grad_norms[k])) overflow = k;
  }
  bool all_zero = true;
  for (double g : s.grad_norms) all_zero &= g == 0;
  if (overflow) {
    s.verdict = FlowVerdict::nonfinite;
    s.reason = fmt::format("the gradient overflowed or met a NaN: its norm is not finite at {}",
                           pass.layers[s.depth_layers[*overflow]].layer);
  } else if (first == 0) {
    s.verdict = FlowVerdict::zero;
    s.reason = all_zero ? std::string("every layer's gradient norm is exactly 0: nothing trains")
                        : fmt::format("no gradient reaches {}: its gradient norm is exactly 0", first_name);
  } else if (std::isnan(s.squared_gain)) {
    s.verdict = FlowVerdict::healthy;
    s.reason = s.depth == 1 ? std::string("a single layer: no depth for the gradient to be lost over")
                            : std::string("fewer than two layers have a usable gradient norm: no gain to fit");
  } else {
    s.verdict = verdict_of_gain(s.squared_gain, s.depth, thresholds);
    const double limit = thresholds.trainable_depth_scales * s.depth_scale;
    const std::string figures = fmt::format(
        "the squared gradient norm changes by {:.3g} per layer toward the input (depth scale {:.3g} layers, {})", s.squared_gain,
        s.depth_scale, s.squared_gain < 1 ? "shrinking" : s.squared_gain > 1 ? "growing" : "steady");
    s.reason = fmt::format("{}: {} layers {} {:g} x {:.3g} = {:.3g} layers (trainable up to about 6 depth scales, Schoenholz et al. 2017)",
                           figures, s.depth, s.verdict == FlowVerdict::healthy ? "within" : "exceed",
                           thresholds.trainable_depth_scales, s.depth_scale, limit);
  }

  for (const LayerCallRecord& call : pass.layers) {
    const ForwardStats& f = call.output;
    if (!s.saturation_begins && f.saturated_fraction && *f.saturated_fraction > thresholds.saturated_fraction) {
      s.saturation_begins = call.layer;
    }
    if (!s.dead_units_begin && call.dead_fraction && *call.dead_fraction > thresholds.dead_fraction) {
      s.dead_units_begin = call.layer;
    }
  }
  return s;
}

}  // namespace gradlab
