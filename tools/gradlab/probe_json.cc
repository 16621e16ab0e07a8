// The JSON form of `gradlab probe --json`.
#include "json_number.h"
#include "probe_report.h"

namespace gradlab::cli {
namespace {

using nlohmann::ordered_json;

ordered_json forward_json(const ForwardStats& f) {
  return {{"count", f.count},
          {"mean", json_number(f.mean)},
          {"std", json_number(f.std)},
          {"min", json_number(f.min)},
          {"max", json_number(f.max)},
          {"zero_fraction", json_number(f.zero_fraction)},
          {"silent_fraction", json_number(f.silent_fraction)},
          {"saturated_fraction", json_number(f.saturated_fraction)},
          {"nonfinite_count", f.nonfinite_count}};
}

ordered_json gradient_json(const std::optional<GradientStats>& g) {
  if (!g) return nullptr;
  return {{"count", g->count},
          {"l2_norm", json_number(g->l2_norm)},
          {"rms", json_number(g->rms)},
          {"max_abs", json_number(g->max_abs)},
          {"zero_count", g->zero_count},
          {"below_float32_normal_count", g->below_float32_normal_count},
          {"nonfinite_count", g->nonfinite_count}};
}

ordered_json layer_json(const LayerCallRecord& call) {
  ordered_json variables = ordered_json::array();
  for (const VariableGradientStats& v : call.variables) {
    variables.push_back({{"name", v.name},
                         {"grad_norm", json_number(v.grad_norm)},
                         {"max_abs_grad", json_number(v.max_abs_grad)},
                         {"weight_norm", json_number(v.weight_norm)},
                         {"grad_to_weight_ratio", json_number(v.grad_to_weight_ratio)}});
  }
  return {{"layer", call.layer},
          {"type", call.type},
          {"activation", call.activation},
          {"output_shape", call.output_shape},
          {"output", forward_json(call.output)},
          {"std_across_examples", json_number(call.std_across_examples)},
          {"dead_fraction", json_number(call.dead_fraction)},
          {"output_grad", gradient_json(call.output_grad)},
          {"input_grad", gradient_json(call.input_grad)},
          {"variables", variables}};
}

ordered_json summary_json(const PassRecord& pass, const FlowSummary& s) {
  ordered_json layers = ordered_json::array(), norms = ordered_json::array();
  for (std::size_t i : s.depth_layers) layers.push_back(pass.layers[i].layer);
  for (double g : s.grad_norms) norms.push_back(json_number(g));
  ordered_json gains = ordered_json::array();
  for (double g : s.layer_gains) gains.push_back(json_number(g));
  const auto name = [](const std::optional<std::string>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); };
  return {{"measure", s.measure == FlowMeasure::input_grad ? "input_grad" : "output_grad"},
          {"depth_layers", layers},
          {"grad_norms", norms},
          {"layer_gains", gains},
          {"mean_gain", json_number(s.mean_gain)},
          {"squared_gain", json_number(s.squared_gain)},
          {"depth_scale", json_number(s.depth_scale)},
          {"depth", s.depth},
          {"first_to_last_ratio", json_number(s.first_to_last_ratio)},
          {"verdict", flow_verdict_name(s.verdict)},
          {"reason", s.reason},
          {"saturation_begins", name(s.saturation_begins)},
          {"dead_units_begin", name(s.dead_units_begin)},
          {"thresholds",
           {{"trainable_depth_scales", s.thresholds.trainable_depth_scales},
            {"saturated_fraction", s.thresholds.saturated_fraction},
            {"dead_fraction", s.thresholds.dead_fraction}}}};
}

ordered_json anomaly_json(const std::optional<Anomaly>& a) {
  if (!a) return nullptr;
  return {{"phase", pass_phase_name(a->phase)},
          {"step", a->step},
          {"layer", a->layer},
          {"op", a->op},
          {"input_index", a->phase == PassPhase::backward ? ordered_json(a->input_index) : ordered_json(nullptr)},
          {"tensor", a->tensor},
          {"nonfinite_count", a->nonfinite_count},
          {"first_index", a->first_index},
          {"first_value", std::isnan(a->first_value) ? "nan" : a->first_value > 0 ? "inf" : "-inf"},
          {"message", a->describe()}};
}

ordered_json signal_json(const std::optional<SignalStats>& s) {
  if (!s) return nullptr;
  return {{"q", json_number(s->mean_square)}, {"c", json_number(s->correlation)}};
}

// The forward signal and the gain per weight layer, and the theory beside them when it applies.
ordered_json mean_field_json(const ProbeReport& r) {
  ordered_json layers = ordered_json::array();
  for (const SignalRow& row : signal_rows(r)) {
    ordered_json theory = nullptr;
    if (row.theory) {
      theory = {{"q", json_number(row.theory->q)}, {"c", json_number(row.theory->c)}, {"gain", json_number(row.theory->gain)}};
    }
    layers.push_back({{"layer", row.layer}, {"measured", signal_json(row.measured)}, {"gain", json_number(row.gain)},
                      {"theory", theory}});
  }
  ordered_json theory = nullptr;
  if (r.mean_field) {
    const MeanFieldComparison& m = *r.mean_field;
    const theory::GradientPropagation& g = m.fixed_point.gradient;
    theory = {{"q_star", json_number(g.q_star)},
              {"chi_1", json_number(g.chi_1)},
              {"phase", theory::phase_name(g.phase)},
              {"depth_gradient", json_number(g.depth_gradient)},
              {"c_star", json_number(m.fixed_point.c_star)},
              {"chi_c", json_number(m.fixed_point.chi_c)},
              {"depth_correlation", json_number(m.fixed_point.depth_correlation)},
              {"transient_layers", m.transient},
              {"measured_mean_gain", json_number(m.measured_mean_gain)},
              {"gain_layers", m.gain_layers},
              {"sentence", mean_field_sentence(r)}};
  }
  return {{"input", signal_json(r.pass.input_signal)}, {"layers", layers}, {"theory", theory}};
}

}  // namespace

ordered_json probe_json(const ProbeReport& r) {
  ordered_json layers = ordered_json::array();
  for (const LayerCallRecord& call : r.pass.layers) layers.push_back(layer_json(call));
  const Float32Underflow& u = r.underflow;
  return {{"command", "probe"},
          {"version", GRADLAB_VERSION},
          {"network", r.network},
          {"sigma_w2", r.gaussian_init ? ordered_json(r.gaussian_init->sigma_w2) : ordered_json(nullptr)},
          {"sigma_b2", r.gaussian_init ? ordered_json(r.gaussian_init->sigma_b2) : ordered_json(nullptr)},
          {"input", r.input},
          {"dtype", dtype_name(r.pass.dtype)},
          {"mode", r.mode},
          {"seed", r.seed},
          {"probe_loss", probe_loss_name(r.pass.loss_kind)},
          {"loss", json_number(r.pass.loss)},
          {"input_grad", gradient_json(r.pass.input_grad)},
          {"layers", layers},
          {"dead_units", {{"examples", r.pass.dead_unit_examples}, {"batches", r.pass.dead_unit_batches}}},
          {"summary", summary_json(r.pass, r.summary)},
          {"signal", mean_field_json(r)},
          {"jacobian_spectrum", jacobian_json(r)},
          {"underflow",
           {{"underflowed", u.underflowed},
            {"measured_in_float64", u.measured_in_float64},
            {"compared_with_float64", r.compared_with_float64},
            {"layers", u.layers},
            {"elements", u.elements},
            {"float64_min_norm", json_number(u.float64_min_norm)},
            {"message", u.message}}},
          {"anomaly", anomaly_json(r.pass.anomaly)},
          {"through_time", through_time_json(r.through_time)}};
}

}  // namespace gradlab::cli
