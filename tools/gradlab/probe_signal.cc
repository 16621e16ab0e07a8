// signal_rows and mean_field_sentence: the forward signal and gain per weight layer beside the
// mean-field theory, once for every form of `gradlab probe` (text, CSV, JSON, HTML).
#include <cmath>

#include <fmt/format.h>

#include "probe_report.h"

namespace gradlab::cli {

std::vector<SignalRow> signal_rows(const ProbeReport& r) {
  std::vector<SignalRow> rows;
  const FlowSummary& s = r.summary;
  for (std::size_t k = 0; k < s.depth_layers.size(); ++k) {
    const LayerCallRecord& call = r.pass.layers[s.depth_layers[k]];
    SignalRow row{call.layer, call.pre_activation, s.layer_gains[k], std::nullopt};
    if (r.mean_field) row.theory = r.mean_field->layers[k];
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string mean_field_sentence(const ProbeReport& r) {
  if (!r.mean_field) return "";
  const MeanFieldComparison& m = *r.mean_field;
  const theory::GradientPropagation& g = m.fixed_point.gradient;
  std::string out = fmt::format(
      "mean-field theory (Poole et al. 2016; Schoenholz et al. 2017): q* = {:.4g}, chi_1 = {:.4g} ({} phase), "
      "depth scales xi_grad = {:.4g}, xi_c = {:.4g} layers",
      g.q_star, g.chi_1, theory::phase_name(g.phase), g.depth_gradient, m.fixed_point.depth_correlation);
  if (std::isnan(m.measured_mean_gain)) {
    out += "; no layer past the transient to compare the gain with chi_1";
  } else {
    out += fmt::format("; measured mean gain over the {} layers past the transient (from layer {}): {:.4g}, "
                       "{:.4g} x chi_1",
                       m.gain_layers, m.transient + 1, m.measured_mean_gain, m.measured_mean_gain / g.chi_1);
  }
  if (r.pass.loss_kind != ProbeLoss::random_projection) {
    out += fmt::format(
        ". The probe loss {} gives every example the same upstream gradient, aligned with the forward signal: "
        "outside the theory's gradient independence assumption (Schoenholz et al. 2017, section 4); "
        "--probe-loss random_projection is the loss the theory's gain describes",
        probe_loss_label(r.pass.loss_kind));
  }
  return out;
}

}  // namespace gradlab::cli
