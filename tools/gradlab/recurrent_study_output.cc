// The recurrent section of `gradlab lesson` and `gradlab report` as text and JSON.
#include "recurrent_study_output.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "json_number.h"
#include "text_table.h"

namespace gradlab::cli {

const char* const kRecurrentDepthClaim =
    "\"This is especially important for recurrent neural networks as here the effective depth is not just the "
    "number of layers but the number of layers times the number of time-steps!\" (the lesson)";

namespace {

using nlohmann::ordered_json;

std::string sci(double v) {
  if (v == 0) return "0";
  if (std::isnan(v)) return "-";
  return fmt::format("{:.1e}", v);
}

std::string cell_of(const SampleSummary& s) {
  if (s.count < 2 || s.min == s.max) return sci(s.median);
  return fmt::format("{} [{}, {}]", sci(s.median), sci(s.min), sci(s.max));
}

ordered_json summary_json(const SampleSummary& s) {
  return {{"median", json_number(s.median)}, {"min", json_number(s.min)}, {"max", json_number(s.max)}, {"count", s.count}};
}

ordered_json points_json(const std::vector<RecurrentDepthPoint>& points) {
  ordered_json out = ordered_json::array();
  for (const RecurrentDepthPoint& p : points) {
    out.push_back({{"layers", p.layers},
                   {"time_steps", p.time_steps},
                   {"first_to_last_ratio", summary_json(p.ratio)},
                   {"gain_per_step", summary_json(p.gain_per_step)}});
  }
  return out;
}

}  // namespace

std::string recurrent_study_text(const RecurrentDepthStudy& s, const std::string& number) {
  const RecurrentDepthStudyOptions& o = s.options;
  std::string out = fmt::format(
      "\n{}Recurrent networks. {}\n"
      "   Measured: |dL/dh_0| of the bottom layer over |dL/dh_T-1| of the top layer (L = mean of the output), the\n"
      "   share of the gradient that crosses the layers x time steps, median [range] over {} seeds; {} units,\n"
      "   batch {}, input U[0, 1) with 128 features, tanh, {}. Against T with 1 layer:\n\n",
      number.empty() ? std::string() : number + " ", kRecurrentDepthClaim, o.trials, o.units, o.batch, dtype_name(o.dtype));
  std::vector<Column> heads{{"network"}};
  for (const int64_t t : o.time_steps) heads.push_back({fmt::format("T = {}", t), Align::right});
  TextTable time(heads);
  for (const RecurrentDepthCaseResult& c : s.cases) {
    std::vector<std::string> row{c.network.label};
    for (const RecurrentDepthPoint& p : c.over_time) row.push_back(cell_of(p.ratio));
    time.add_row(row);
  }
  out += time.render("   ");
  out += fmt::format("\n   Against layers at T = {}:\n\n", o.layers_time_steps);
  std::vector<Column> layer_heads{{"network"}};
  for (const int l : o.layers) layer_heads.push_back({fmt::format("{} layer{}", l, l == 1 ? "" : "s"), Align::right});
  TextTable layers(layer_heads);
  for (const RecurrentDepthCaseResult& c : s.cases) {
    std::vector<std::string> row{c.network.label};
    for (const RecurrentDepthPoint& p : c.over_layers) row.push_back(cell_of(p.ratio));
    layers.add_row(row);
  }
  out += layers.render("   ");
  if (!s.heatmap.layers.empty()) {
    const int64_t steps = static_cast<int64_t>(s.heatmap.layers.front().grad_norm.size());
    std::vector<int64_t> shown;
    for (int k = 0; k < 6 && steps > 0; ++k) {
      const int64_t t = static_cast<int64_t>(std::llround(static_cast<double>(k) * (steps - 1) / 5.0));
      if (shown.empty() || shown.back() != t) shown.push_back(t);
    }
    std::vector<Column> grid_heads{{"layer \\ step"}};
    for (const int64_t t : shown) grid_heads.push_back({std::to_string(t), Align::right});
    TextTable grid(grid_heads);
    for (auto it = s.heatmap.layers.rbegin(); it != s.heatmap.layers.rend(); ++it) {
      std::vector<std::string> row{it->layer};
      for (const int64_t t : shown) row.push_back(t < static_cast<int64_t>(it->grad_norm.size()) ? sci(it->grad_norm[t]) : "");
      grid.add_row(row);
    }
    out += fmt::format("\n   |dL/dh_t| over layers x time of {} (seed of trial 0; top layer first):\n\n", s.heatmap_label);
    out += grid.render("   ");
  }
  out += "\n   What the measurements say:\n";
  for (const RecurrentFinding& f : s.findings) out += fmt::format("   - {}\n     ({})\n", f.text, f.figures);
  return out;
}

ordered_json recurrent_study_json(const RecurrentDepthStudy& s) {
  const RecurrentDepthStudyOptions& o = s.options;
  ordered_json cases = ordered_json::array();
  for (const RecurrentDepthCaseResult& c : s.cases) {
    cases.push_back({{"network", c.network.label},
                     {"cell", std::string(cell_name(c.network.cell))},
                     {"recurrent_init", c.network.recurrent_initializer},
                     {"layer_norm", c.network.layer_norm},
                     {"over_time", points_json(c.over_time)},
                     {"over_layers", points_json(c.over_layers)}});
  }
  ordered_json heatmap = ordered_json::array();
  for (const RecurrentLayerThroughTime& l : s.heatmap.layers) {
    ordered_json norms = ordered_json::array();
    for (const double g : l.grad_norm) norms.push_back(json_number(g));
    heatmap.push_back({{"layer", l.layer}, {"state_grad_norm", norms}});
  }
  ordered_json findings = ordered_json::array();
  for (const RecurrentFinding& f : s.findings) findings.push_back({{"text", f.text}, {"figures", f.figures}});
  return {{"claim", kRecurrentDepthClaim},
          {"options",
           {{"time_steps", o.time_steps},
            {"layers", o.layers},
            {"layers_time_steps", o.layers_time_steps},
            {"trials", o.trials},
            {"units", o.units},
            {"batch", o.batch},
            {"dtype", std::string(dtype_name(o.dtype))},
            {"seed", o.seed}}},
          {"cases", cases},
          {"heatmap", {{"network", s.heatmap_label}, {"layers", heatmap}}},
          {"findings", findings}};
}

}  // namespace gradlab::cli
