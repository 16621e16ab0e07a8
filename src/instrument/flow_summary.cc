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

// exp(-slope) of the least-squares line through (k, ln g_k) over finite, positive norms.
double mean_gain(const std::vector<double>& norms) {
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

}  // namespace

const char* flow_verdict_name(FlowVerdict verdict) {
  switch (verdict) {
    case FlowVerdict::vanishing: return "vanishing";
    case FlowVerdict::exploding: return "exploding";
    case FlowVerdict::healthy: return "healthy";
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
  s.mean_gain = mean_gain(s.grad_norms);
  const double first = s.grad_norms.front(), last = s.grad_norms.back();
  const bool finite = std::isfinite(first) && std::isfinite(last);
  if (s.grad_norms.size() == 1) {
    s.first_to_last_ratio = 1;
  } else {
    s.first_to_last_ratio = finite && last != 0 ? first / last : kNaN;
  }
  const std::string& first_name = pass.layers[s.depth_layers.front()].layer;
  const std::string& last_name = pass.layers[s.depth_layers.back()].layer;

  std::optional<std::size_t> overflow;
  for (std::size_t k = 0; k < s.grad_norms.size() && !overflow; ++k) {
    if (!std::isfinite(s.grad_norms[k])) overflow = k;
  }
  const std::string figures =
      fmt::format("{} gets {:.3g} times the gradient norm of {} (mean gain per layer {:.3g})", first_name,
                  s.first_to_last_ratio, last_name, s.mean_gain);
  if (overflow) {
    s.verdict = FlowVerdict::exploding;
    s.reason = fmt::format("the gradient overflowed: its norm is not finite at {}",
                           pass.layers[s.depth_layers[*overflow]].layer);
  } else if (first == 0 && s.grad_norms.size() > 1) {
    s.verdict = FlowVerdict::vanishing;
    s.reason = fmt::format("no gradient reaches {}: its gradient norm is exactly 0", first_name);
  } else if (s.first_to_last_ratio < thresholds.vanishing_ratio) {
    s.verdict = FlowVerdict::vanishing;
    s.reason = fmt::format("{}, below {:g}", figures, thresholds.vanishing_ratio);
  } else if (s.first_to_last_ratio > thresholds.exploding_ratio) {
    s.verdict = FlowVerdict::exploding;
    s.reason = fmt::format("{}, above {:g}", figures, thresholds.exploding_ratio);
  } else {
    s.verdict = FlowVerdict::healthy;
    s.reason = fmt::format("{}, within [{:g}, {:g}]", figures, thresholds.vanishing_ratio, thresholds.exploding_ratio);
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
