// The CSV form of `gradlab probe --csv`: one row per layer call, a recurrent layer's with its time axis in brief.
#include <cmath>

#include <fmt/format.h>

#include "probe_report.h"

namespace gradlab::cli {
namespace {

std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.9g}", v);
}
std::string optional_number(const std::optional<double>& v) { return v ? number(*v) : ""; }

// RFC 4180: a field with a comma, quote or newline is quoted, quotes doubled.
std::string field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

const VariableGradientStats* kernel_of(const LayerCallRecord& call) {
  for (const VariableGradientStats& v : call.variables) {
    if (v.role == "kernel") return &v;
  }
  return nullptr;
}

}  // namespace

std::string probe_csv(const ProbeReport& r) {
  std::string out =
      std::string(
          "index,layer,type,activation,output_shape,mean,std,min,max,zero_fraction,silent_fraction,dead_fraction,"
          "saturated_fraction,nonfinite_count,output_grad_norm,output_grad_rms,input_grad_norm,input_grad_rms,"
          "kernel_grad_norm,kernel_max_abs_grad,kernel_grad_to_weight_ratio,q,c,gain,q_theory,c_theory,gain_theory,") +
      through_time_csv_columns() + "\n";
  // The signal columns belong to the weight layers (the summary's depth axis) and stay empty elsewhere.
  const std::vector<SignalRow> rows = signal_rows(r);
  std::vector<const SignalRow*> row_of(r.pass.layers.size(), nullptr);
  for (std::size_t k = 0; k < rows.size(); ++k) row_of[r.summary.depth_layers[k]] = &rows[k];
  for (std::size_t i = 0; i < r.pass.layers.size(); ++i) {
    const LayerCallRecord& c = r.pass.layers[i];
    const ForwardStats& f = c.output;
    const VariableGradientStats* k = kernel_of(c);
    const SignalRow* s = row_of[i];
    const bool measured = s && s->measured, theory = s && s->theory;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i, field(c.layer), field(c.type),
                       field(c.activation), field(c.output_shape), number(f.mean), number(f.std), number(f.min),
                       number(f.max), number(f.zero_fraction), optional_number(f.silent_fraction), optional_number(c.dead_fraction),
                       optional_number(f.saturated_fraction), f.nonfinite_count,
                       c.output_grad ? number(c.output_grad->l2_norm) : "", c.output_grad ? number(c.output_grad->rms) : "",
                       c.input_grad ? number(c.input_grad->l2_norm) : "", c.input_grad ? number(c.input_grad->rms) : "",
                       k ? number(k->grad_norm) : "", k ? number(k->max_abs_grad) : "",
                       k ? number(k->grad_to_weight_ratio) : "", measured ? number(s->measured->mean_square) : "",
                       measured ? optional_number(s->measured->correlation) : "", s ? number(s->gain) : "",
                       theory ? number(s->theory->q) : "", theory ? number(s->theory->c) : "",
                       theory ? number(s->theory->gain) : "", through_time_csv_fields(r.through_time, c.layer));
  }
  return out;
}

}  // namespace gradlab::cli
