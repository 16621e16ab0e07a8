// The time axis of `gradlab probe` and `gradlab sweep`: the recurrent layers' state gradients
// through time, their kernels beside Pascanu et al. 2013's bound and their gates, as text, JSON and CSV.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "json_number.h"
#include "probe_report.h"
#include "text_table.h"

namespace gradlab::cli {
namespace {

using nlohmann::ordered_json;

std::string sci(double v) {
  if (v == 0) return "0";
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.2e}", v);
}
std::string num(double v) { return std::isfinite(v) && std::abs(v) >= 1e-3 && std::abs(v) < 1e4 ? fmt::format("{:.4g}", v) : sci(v); }
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:.9g}", v);
}

// "f 0.0% shut, 12.5% open; i ..." for the gates with any saturation; "none" otherwise.
std::string saturated_gates(const RecurrentLayerThroughTime& r) {
  if (r.gates.empty()) return "-";
  std::string out;
  for (const GateSaturation& g : r.gates) {
    if (g.near_zero == 0 && g.near_one == 0) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{} {:.1f}% shut, {:.1f}% open", g.gate, 100 * g.near_zero, 100 * g.near_one);
  }
  return out.empty() ? "none" : out;
}

// The steps shown in the text grid: `columns` evenly spaced from 0 to T-1, both ends included.
std::vector<int64_t> shown_steps(int64_t steps, int columns) {
  std::vector<int64_t> out;
  const int64_t n = std::min<int64_t>(steps, std::max(columns, 2));
  for (int64_t k = 0; k < n; ++k) {
    const int64_t t = n == 1 ? 0 : static_cast<int64_t>(std::llround(static_cast<double>(k) * (steps - 1) / (n - 1)));
    if (out.empty() || out.back() != t) out.push_back(t);
  }
  return out;
}

const GateSaturation* forget_gate(const RecurrentLayerThroughTime& r) {
  for (const GateSaturation& g : r.gates) {
    if (g.gate == "f") return &g;
  }
  return nullptr;
}

}  // namespace

ordered_json through_time_json(const ThroughTimeRecord& record) {
  if (record.layers.empty()) return nullptr;
  ordered_json layers = ordered_json::array();
  for (const RecurrentLayerThroughTime& r : record.layers) {
    ordered_json norms = ordered_json::array(), spectrum = ordered_json::array(), gates = ordered_json::array();
    for (double g : r.grad_norm) norms.push_back(json_number(g));
    for (const GateSpectrum& g : r.spectrum.gates) {
      spectrum.push_back({{"gate", g.gate},
                          {"largest_singular_value", json_number(g.largest_singular_value)},
                          {"spectral_radius", json_number(g.spectral_radius)}});
    }
    for (const GateSaturation& g : r.gates) gates.push_back({{"gate", g.gate}, {"near_zero", g.near_zero}, {"near_one", g.near_one}});
    layers.push_back({{"layer", r.layer},
                      {"cell", r.cell},
                      {"time_steps", r.time_steps},
                      {"layer_norm", r.layer_norm},
                      {"state_grad_norm", r.grad_norm.empty() ? ordered_json(nullptr) : norms},
                      {"gain_per_step", json_number(r.gain_per_step)},
                      {"first_to_last_ratio", json_number(r.first_to_last_ratio)},
                      {"verdict", r.grad_norm.empty() ? ordered_json(nullptr) : ordered_json(flow_verdict_name(r.verdict))},
                      {"spectrum",
                       {{"gates", spectrum},
                        {"pascanu_bound", json_number(r.spectrum.pascanu_bound)},
                        {"vanishing_guaranteed", r.spectrum.vanishing_guaranteed}}},
                      {"gates", gates}});
  }
  const bool measured = !record.reason.empty();
  return {{"verdict", measured ? ordered_json(flow_verdict_name(record.verdict)) : ordered_json(nullptr)},
          {"reason", record.reason},
          {"first_to_last_ratio", json_number(record.first_to_last_ratio)},
          {"layers", layers}};
}

std::string through_time_csv(const ThroughTimeRecord& record) {
  std::string out = "layer,cell,step,state_grad_norm\n";
  for (const RecurrentLayerThroughTime& r : record.layers) {
    for (std::size_t t = 0; t < r.grad_norm.size(); ++t) out += fmt::format("{},{},{},{}\n", r.layer, r.cell, t, number(r.grad_norm[t]));
  }
  return out;
}

std::string through_time_csv_columns() {
  return "time_steps,gain_per_step,time_first_to_last_ratio,time_verdict,recurrent_largest_singular_value,"
         "pascanu_bound,forget_gate_near_zero,forget_gate_near_one";
}

std::string through_time_csv_fields(const ThroughTimeRecord& record, const std::string& layer) {
  for (const RecurrentLayerThroughTime& r : record.layers) {
    if (r.layer != layer) continue;
    const GateSaturation* f = forget_gate(r);
    return fmt::format("{},{},{},{},{},{},{},{}", r.time_steps, r.grad_norm.empty() ? "" : number(r.gain_per_step),
                       r.grad_norm.empty() ? "" : number(r.first_to_last_ratio),
                       r.grad_norm.empty() ? "" : flow_verdict_name(r.verdict),
                       r.spectrum.gates.empty() ? "" : number(r.spectrum.gates.front().largest_singular_value),
                       std::isnan(r.spectrum.pascanu_bound) ? "" : number(r.spectrum.pascanu_bound),
                       f ? number(f->near_zero) : "", f ? number(f->near_one) : "");
  }
  return ",,,,,,,";
}

std::string through_time_text(const ThroughTimeRecord& record, int columns) {
  if (record.layers.empty()) return "";
  std::string out = "\nthrough time (L = mean of the output, inference mode; |dL/dh_t| of each step t, step 0 ran first):\n";
  TextTable layers({{"layer"},
                    {"cell"},
                    {"steps", Align::right},
                    {"gain/step", Align::right},
                    {"first/last", Align::right},
                    {"in time"},
                    {"sigma_max", Align::right},
                    {"rho", Align::right},
                    {"1/gamma", Align::right},
                    {"saturated gates"}});
  for (const RecurrentLayerThroughTime& r : record.layers) {
    std::string sigma, rho;
    for (const GateSpectrum& g : r.spectrum.gates) {
      sigma += (sigma.empty() ? "" : " ") + (r.spectrum.gates.size() > 1 ? g.gate + " " : "") + num(g.largest_singular_value);
      rho += (rho.empty() ? "" : " ") + (r.spectrum.gates.size() > 1 ? g.gate + " " : "") + num(g.spectral_radius);
    }
    const bool measured = !r.grad_norm.empty();
    layers.add_row({r.layer + (r.layer_norm ? " (layer norm)" : ""), r.cell, std::to_string(r.time_steps),
                    measured ? num(r.gain_per_step) : "-", measured ? sci(r.first_to_last_ratio) : "-",
                    measured ? flow_verdict_name(r.verdict) : "not measured", sigma, rho,
                    std::isnan(r.spectrum.pascanu_bound) ? "-" : num(r.spectrum.pascanu_bound), saturated_gates(r)});
  }
  out += layers.render("  ");
  out += "  gain/step: the norm's factor per step back in time (least squares on log |dL/dh_t|); first/last: |dL/dh_0| / |dL/dh_T-1|\n";
  out += "  sigma_max, rho: largest singular value and spectral radius of each gate's block of the recurrent kernel;\n"
         "  1/gamma: Pascanu et al. 2013's bound: sigma_max below it guarantees vanishing (a SimpleRNN's recurrence)\n";
  for (const RecurrentLayerThroughTime& r : record.layers) {
    if (r.spectrum.vanishing_guaranteed) {
      out += fmt::format("  {}: sigma_max {} < 1/gamma {}: the gradient must vanish through time (Pascanu et al. 2013)\n", r.layer,
                         num(r.spectrum.gates.front().largest_singular_value), num(r.spectrum.pascanu_bound));
    }
  }
  for (const RecurrentLayerThroughTime& r : record.layers) {
    if (r.layer_norm && r.cell != "simple_rnn") out += fmt::format("  {}: the gates of a layer-normalized cell are not measured\n", r.layer);
  }
  // The grid: a row per measured layer, top layer first as it sits above the bottom one.
  int64_t steps = 0;
  for (const RecurrentLayerThroughTime& r : record.layers) steps = std::max<int64_t>(steps, static_cast<int64_t>(r.grad_norm.size()));
  if (steps > 0) {
    const std::vector<int64_t> ts = shown_steps(steps, columns);
    std::vector<Column> heads{{"layer \\ step"}};
    for (int64_t t : ts) heads.push_back({std::to_string(t), Align::right});
    TextTable grid(heads);
    for (auto it = record.layers.rbegin(); it != record.layers.rend(); ++it) {
      if (it->grad_norm.empty()) continue;
      std::vector<std::string> row{it->layer};
      for (int64_t t : ts) row.push_back(t < static_cast<int64_t>(it->grad_norm.size()) ? sci(it->grad_norm[t]) : "");
      grid.add_row(row);
    }
    out += fmt::format("\n  |dL/dh_t| over layers x time (top layer first; {} of {} steps shown; --json or --grid-csv for all):\n",
                       ts.size(), steps);
    out += grid.render("  ");
  }
  if (!record.reason.empty()) {
    std::string verdict = flow_verdict_name(record.verdict);
    std::transform(verdict.begin(), verdict.end(), verdict.begin(), [](unsigned char c) { return std::toupper(c); });
    out += fmt::format("verdict in time: {}: {}\n", verdict, record.reason);
  }
  return out;
}

}  // namespace gradlab::cli
