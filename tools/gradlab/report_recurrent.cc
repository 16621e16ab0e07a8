// The recurrent section of `gradlab report`: the lesson's "layers times time-steps" measured
// (lab/recurrent_depth_study.h) as two charts of the gradient reaching the first time step, a
// layers x time heatmap of |dL/dh_t| and the findings with their figures.
#include <cmath>

#include <fmt/format.h>

#include "recurrent_study_output.h"
#include "report_study.h"

namespace gradlab::cli {
namespace {

using nlohmann::json;

// A zero or non-finite median has no place on a log scale: such points are left out (and counted).
bool on_log_scale(double v) { return std::isfinite(v) && v > 0; }

// Median and range over the seeds of every case along one axis, as a line with a band.
json axis_chart(const RecurrentDepthStudy& s, bool over_time, int& left_out) {
  json rows = json::array();
  for (const RecurrentDepthCaseResult& c : s.cases) {
    for (const RecurrentDepthPoint& p : over_time ? c.over_time : c.over_layers) {
      if (!on_log_scale(p.ratio.median) || !on_log_scale(p.ratio.min)) {
        ++left_out;
        continue;
      }
      rows.push_back({{"network", c.network.label},
                      {"x", over_time ? p.time_steps : p.layers},
                      {"median", p.ratio.median},
                      {"min", p.ratio.min},
                      {"max", p.ratio.max}});
    }
  }
  const std::string x_title = over_time ? "time steps T (1 layer)" : fmt::format("layers (T = {})", s.options.layers_time_steps);
  const json x = {{"field", "x"}, {"type", "quantitative"}, {"title", x_title},
                  {"scale", over_time ? json{{"type", "log"}} : json{{"type", "linear"}}}};
  const json y_scale = {{"type", "log"}};
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"width", 520},
          {"height", 300},
          {"data", {{"values", rows}}},
          {"encoding", {{"x", x}, {"color", {{"field", "network"}, {"type", "nominal"}, {"legend", {{"labelLimit", 360}}}}}}},
          {"layer",
           json::array({{{"mark", {{"type", "area"}, {"opacity", 0.15}}},
                         {"encoding", {{"y", {{"field", "min"}, {"type", "quantitative"}, {"scale", y_scale}}},
                                       {"y2", {{"field", "max"}}}}}},
                        {{"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
                         {"encoding",
                          {{"y", {{"field", "median"}, {"type", "quantitative"}, {"scale", y_scale},
                                  {"title", "|dL/dh_0| / |dL/dh_T-1| (median, range over seeds)"},
                                  {"axis", {{"format", ".0e"}}}}}}}}})}};
}

json heatmap_chart(const RecurrentDepthStudy& s, int& left_out) {
  json rows = json::array();
  for (const RecurrentLayerThroughTime& l : s.heatmap.layers) {
    for (std::size_t t = 0; t < l.grad_norm.size(); ++t) {
      if (!on_log_scale(l.grad_norm[t])) {
        ++left_out;
        continue;
      }
      rows.push_back({{"layer", l.layer}, {"step", t}, {"norm", l.grad_norm[t]}});
    }
  }
  json layer_order = json::array();
  for (auto it = s.heatmap.layers.rbegin(); it != s.heatmap.layers.rend(); ++it) layer_order.push_back(it->layer);
  return {{"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
          {"width", 560},
          {"height", {{"step", 28}}},
          {"data", {{"values", rows}}},
          {"mark", {{"type", "rect"}, {"tooltip", true}}},
          {"encoding",
           {{"x", {{"field", "step"}, {"type", "ordinal"}, {"title", "time step t (0 ran first)"},
                   {"axis", {{"labelOverlap", true}}}}},
            {"y", {{"field", "layer"}, {"type", "nominal"}, {"sort", layer_order}, {"title", "layer (top first)"}}},
            {"color", {{"field", "norm"}, {"type", "quantitative"}, {"scale", {{"type", "log"}, {"scheme", "viridis"}}},
                       {"legend", {{"format", ".0e"}}}, {"title", "|dL/dh_t|"}}}}}};
}

}  // namespace

void add_recurrent_section(HtmlReport& page, const RecurrentDepthStudy& s) {
  const RecurrentDepthStudyOptions& o = s.options;
  page.add_heading("Recurrent networks: layers times time steps");
  page.add_paragraph(fmt::format(
      "{} Measured: the gradient reaching the first time step of the bottom layer, |dL/dh_0|, over the one the loss "
      "gives the top layer's last step, |dL/dh_T-1| (L = mean of the output, inference mode), for SimpleRNN (tanh; "
      "glorot_uniform or orthogonal recurrent kernel; with and without layer norm, Ba et al. 2016), LSTM and GRU of "
      "{} units, batch {}, input U[0, 1) with 128 features, {}; median and range over {} seeds (gradlab sweep --cell "
      "runs any point again).",
      kRecurrentDepthClaim, o.units, o.batch, dtype_name(o.dtype), o.trials));
  int left_time = 0, left_layers = 0, left_heat = 0;
  const json time = axis_chart(s, true, left_time);
  const json layers = axis_chart(s, false, left_layers);
  const auto blank = [](int n) {
    return n > 0 ? fmt::format(" {} point(s) with a zero or non-finite ratio are left out.", n) : std::string();
  };
  page.add_chart(time, "The share of the gradient reaching the first time step against the number of time steps, one "
                       "layer; log-log, the band is the range over the seeds." + blank(left_time));
  page.add_chart(layers, fmt::format("The same share against the number of stacked layers at T = {}.", o.layers_time_steps) +
                             blank(left_layers));
  page.add_chart(heatmap_chart(s, left_heat),
                 fmt::format("|dL/dh_t| of every layer (rows) and step (columns) of {}, trial 0; colour on a log scale.",
                             s.heatmap_label) + blank(left_heat));
  std::vector<std::vector<TableCell>> rows;
  for (const RecurrentFinding& f : s.findings) rows.push_back({f.text, f.figures});
  page.add_table({"what the measurements say", "figures"}, rows,
                 "Each sentence is chosen by comparing the measured medians (a change counts above a factor of 10).");
}

}  // namespace gradlab::cli
