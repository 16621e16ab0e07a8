// Vega-Lite specs of gradient flow. Each builder writes rows of plain values and an encoding; the
// browser does the drawing (vega-embed), so there is no plotting code here.
#include "report_charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "gradlab/error.h"
#include "gradlab/instrument/learning_variable.h"
#include "gradlab/instrument/statistics.h"
#include "json_number.h"

namespace gradlab::cli {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";

// A value a log axis can show, else null (counted in `left_out`).
json log_value(double v, int& left_out) {
  if (std::isfinite(v) && v > 0) return v;
  ++left_out;
  return nullptr;
}

std::string with_left_out(std::string caption, int left_out, const char* what) {
  if (left_out > 0) {
    caption += fmt::format(" {} {} {} zero or not finite and cannot be shown on a log scale; they are left out.",
                           left_out, what, left_out == 1 ? "was" : "were");
  }
  return caption;
}

// Configuration keys in order of first appearance, with their values in order of first appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> config_keys(const std::vector<FlowRun>& runs) {
  std::vector<std::pair<std::string, std::vector<std::string>>> keys;
  for (const FlowRun& run : runs) {
    for (const auto& [key, value] : run.config) {
      auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == key; });
      if (it == keys.end()) it = keys.insert(keys.end(), {key, {}});
      if (std::find(it->second.begin(), it->second.end(), value) == it->second.end()) it->second.push_back(value);
    }
  }
  return keys;
}

// Configuration values go in fields cfg_0, cfg_1, ... so that a key can be any text.
void add_config_fields(json& row, const FlowRun& run, const std::vector<std::pair<std::string, std::vector<std::string>>>& keys) {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto it = std::find_if(run.config.begin(), run.config.end(), [&](const auto& c) { return c.first == keys[i].first; });
    row[fmt::format("cfg_{}", i)] = it == run.config.end() ? "" : it->second;
  }
}

json config_tooltips(const std::vector<std::pair<std::string, std::vector<std::string>>>& keys) {
  json tips = json::array();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    tips.push_back({{"field", fmt::format("cfg_{}", i)}, {"type", "nominal"}, {"title", keys[i].first}});
  }
  return tips;
}

// A drop-down per configuration key that varies, filtering the rows; and a legend click that
// highlights one run.
void add_filters(json& spec, const std::vector<FlowRun>& runs, const FlowSectionOptions& options) {
  const auto keys = config_keys(runs);
  json params = json::array();
  json transforms = json::array();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& [key, values] = keys[i];
    if (values.size() < 2) continue;
    std::string initial = "all";
    for (const auto& [k, v] : options.initial_filter) {
      if (k == key && std::find(values.begin(), values.end(), v) != values.end()) initial = v;
    }
    json choices = json::array({"all"});
    for (const std::string& v : values) choices.push_back(v);
    const std::string name = fmt::format("filter_{}", i);
    params.push_back({{"name", name}, {"value", initial}, {"bind", {{"input", "select"}, {"options", choices}, {"name", key + " "}}}});
    transforms.push_back({{"filter", fmt::format("{0} == 'all' || datum.cfg_{1} == {0}", name, i)}});
  }
  params.push_back({{"name", "pick"}, {"select", {{"type", "point"}, {"fields", {"run"}}}}, {"bind", "legend"}});
  spec["params"] = params;
  if (!transforms.empty()) spec["transform"] = transforms;
}

json run_color(const std::vector<FlowRun>& runs) {
  json color = {{"field", "run"}, {"type", "nominal"}, {"sort", nullptr}, {"title", "run (click to highlight)"}};
  color["legend"] = {{"symbolLimit", 0}, {"labelLimit", 320}};
  if (runs.size() > 10) color["scale"] = {{"scheme", "category20"}};
  return color;
}

// One meaning of k in every chart: the k-th weight layer from the input; ticks at whole layers only
// (a 3-layer run would otherwise be ticked 1.0, 1.2, ...). Tooltips name the layer.
constexpr const char* kDepthTitle = "weight layer k (1 = first, next to the input)";

json depth_axis() {
  return {{"field", "k"},
          {"type", "quantitative"},
          {"scale", {{"nice", false}}},
          {"axis", {{"tickMinStep", 1}, {"format", "d"}}},
          {"title", kDepthTitle}};
}

// The depth position (1-based) of each layer call: that of the nearest weight layer at or before it.
std::vector<int> call_depths(const FlowRun& run) {
  std::vector<int> depth(run.pass.layers.size(), 0);
  int k = 0;
  std::size_t next = 0;
  for (std::size_t i = 0; i < depth.size(); ++i) {
    while (next < run.summary.depth_layers.size() && run.summary.depth_layers[next] <= i) {
      ++next;
      k = static_cast<int>(next);
    }
    depth[i] = k;
  }
  return depth;
}

const char* measure_words(FlowMeasure measure) {
  return measure == FlowMeasure::input_grad ? "||dL/d input||" : "||dL/d output||";
}

}  // namespace

CellTone verdict_tone(FlowVerdict verdict) {
  switch (verdict) {
    case FlowVerdict::vanishing:
    case FlowVerdict::zero: return CellTone::vanishing;
    case FlowVerdict::exploding:
    case FlowVerdict::nonfinite: return CellTone::exploding;
    case FlowVerdict::healthy: break;
  }
  return CellTone::healthy;
}

std::string table_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return "0";
  return fmt::format("{:.2e}", value);
}

Chart gradient_norm_chart(const std::vector<FlowRun>& runs, const FlowSectionOptions& options) {
  const auto keys = config_keys(runs);
  int left_out = 0;
  json rows = json::array();
  for (const FlowRun& run : runs) {
    for (std::size_t k = 0; k < run.summary.grad_norms.size(); ++k) {
      json row = {{"run", run.label},
                  {"k", k + 1},
                  {"layer", run.pass.layers.at(run.summary.depth_layers.at(k)).layer},
                  {"norm", log_value(run.summary.grad_norms[k], left_out)}};
      add_config_fields(row, run, keys);
      rows.push_back(row);
    }
  }
  json tooltip = json::array({{{"field", "run"}, {"type", "nominal"}},
                              {{"field", "layer"}, {"type", "nominal"}},
                              {{"field", "k"}, {"type", "quantitative"}, {"title", "weight layer k"}},
                              {{"field", "norm"}, {"type", "quantitative"}, {"format", ".3e"}, {"title", "gradient norm"}}});
  for (const json& t : config_tooltips(keys)) tooltip.push_back(t);
  const std::string measure = runs.empty() ? "||dL/d input||" : measure_words(runs.front().summary.measure);
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", 340},
               {"data", {{"values", rows}}},
               {"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
               {"encoding",
                {{"x", depth_axis()},
                 {"y", {{"field", "norm"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}},
                        {"axis", {{"format", ".0e"}}}, {"title", "gradient norm " + measure + " of layer k (log)"}}},
                 {"color", run_color(runs)},
                 {"opacity", {{"condition", {{"param", "pick"}, {"value", 1}}}, {"value", 0.12}}},
                 {"tooltip", tooltip}}}};
  add_filters(spec, runs, options);
  return {spec, with_left_out("Gradient norm of each layer against its depth, log axis: a line falling toward the input "
                              "(left) is a vanishing gradient, a rising one an exploding gradient, a flat one healthy.",
                              left_out, "norms")};
}

Chart trial_band_chart(const std::vector<TrialGroup>& groups) {
  int left_out = 0;
  json rows = json::array();
  for (const TrialGroup& group : groups) {
    if (group.trials.empty()) continue;
    const FlowRun& first = *group.trials.front();
    std::size_t depth = first.summary.grad_norms.size();
    for (const FlowRun* trial : group.trials) depth = std::min(depth, trial->summary.grad_norms.size());
    for (std::size_t k = 0; k < depth; ++k) {
      // NaN (no gradient) has no place in an order; it counts as 0, which the log axis leaves out.
      std::vector<double> norms;
      for (const FlowRun* trial : group.trials) {
        const double g = trial->summary.grad_norms[k];
        norms.push_back(std::isnan(g) ? 0.0 : g);
      }
      std::sort(norms.begin(), norms.end());
      rows.push_back({{"configuration", group.label},
                      {"k", k + 1},
                      {"layer", first.pass.layers.at(first.summary.depth_layers.at(k)).layer},
                      {"median", log_value(percentile(norms, 50), left_out)},
                      {"q1", log_value(percentile(norms, 25), left_out)},
                      {"q3", log_value(percentile(norms, 75), left_out)},
                      {"min", log_value(norms.front(), left_out)},
                      {"max", log_value(norms.back(), left_out)},
                      {"trials", norms.size()}});
    }
  }
  if (rows.empty()) return {nullptr, ""};
  const json color = {{"field", "configuration"}, {"type", "nominal"}, {"sort", nullptr},
                      {"title", "configuration (click to highlight)"},
                      // Every layer shares this legend; its symbols stay opaque whatever the faint bands' opacity.
                      {"legend", {{"symbolLimit", 0}, {"labelLimit", 320}, {"symbolOpacity", 1}}}};
  const json y = {{"field", "median"}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}, {"axis", {{"format", ".0e"}}},
                  {"title", "gradient norm of layer k over trials (log)"}};
  const json tooltip = json::array({{{"field", "configuration"}, {"type", "nominal"}},
                                    {{"field", "layer"}, {"type", "nominal"}},
                                    {{"field", "k"}, {"type", "quantitative"}, {"title", "weight layer k"}},
                                    {{"field", "median"}, {"type", "quantitative"}, {"format", ".3e"}},
                                    {{"field", "q1"}, {"type", "quantitative"}, {"format", ".3e"}, {"title", "25th percentile"}},
                                    {{"field", "q3"}, {"type", "quantitative"}, {"format", ".3e"}, {"title", "75th percentile"}},
                                    {{"field", "min"}, {"type", "quantitative"}, {"format", ".3e"}},
                                    {{"field", "max"}, {"type", "quantitative"}, {"format", ".3e"}},
                                    {{"field", "trials"}, {"type", "quantitative"}}});
  const json highlight = {{"condition", {{"param", "pick"}, {"value", 1}}}, {"value", 0.12}};
  const auto band = [&](const char* low, const char* high, double opacity) {
    return json{{"mark", {{"type", "area"}, {"opacity", opacity}}},
                {"encoding",
                 {{"x", depth_axis()},
                  {"y", {{"field", low}, {"type", "quantitative"}, {"scale", {{"type", "log"}}}}},
                  {"y2", {{"field", high}}},
                  {"color", color}}}};
  };
  json line = {{"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
               {"params", json::array({{{"name", "pick"}, {"select", {{"type", "point"}, {"fields", {"configuration"}}}}, {"bind", "legend"}}})},
               {"encoding", {{"x", depth_axis()}, {"y", y}, {"color", color}, {"opacity", highlight}, {"tooltip", tooltip}}}};
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", 340},
               {"data", {{"values", rows}}},
               {"layer", json::array({band("min", "max", 0.12), band("q1", "q3", 0.3), line})}};
  return {spec, with_left_out("Gradient norm of each layer against its depth over the trials of each configuration, log "
                              "axis: the line is the median, the darker band the middle half of the trials (25th to 75th "
                              "percentile), the lighter band the smallest to the largest trial. A wide band means the "
                              "verdict depends on the draw.",
                              left_out, "values")};
}

Chart gradient_heatmap(const std::vector<FlowRun>& runs) {
  int left_out = 0;
  json rows = json::array();
  for (const FlowRun& run : runs) {
    for (std::size_t k = 0; k < run.summary.grad_norms.size(); ++k) {
      rows.push_back({{"run", run.label},
                      {"k", k + 1},
                      {"layer", run.pass.layers.at(run.summary.depth_layers.at(k)).layer},
                      {"norm", log_value(run.summary.grad_norms[k], left_out)}});
    }
  }
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", {{"step", 14}}},
               {"data", {{"values", rows}}},
               {"mark", {{"type", "rect"}, {"tooltip", true}}},
               {"encoding",
                {{"x", {{"field", "k"}, {"type", "ordinal"}, {"title", kDepthTitle}}},
                 {"y", {{"field", "run"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr}, {"axis", {{"labelLimit", 360}}}}},
                 {"color", {{"field", "norm"}, {"type", "quantitative"}, {"scale", {{"type", "log"}, {"scheme", "viridis"}}},
                            {"legend", {{"format", ".0e"}}}, {"title", "gradient norm"}}},
                 {"tooltip", json::array({{{"field", "run"}, {"type", "nominal"}},
                                          {{"field", "layer"}, {"type", "nominal"}},
                                          {{"field", "norm"}, {"type", "quantitative"}, {"format", ".3e"}}})}}}};
  return {spec, with_left_out("Gradient norm over depth (columns) and run (rows), colour on a log scale: dark cells on "
                              "the left of a row are layers the gradient hardly reaches.",
                              left_out, "cells")};
}

Chart through_time_heatmap(const ThroughTimeRecord& record) {
  int left_out = 0;
  json rows = json::array(), order = json::array();
  for (auto it = record.layers.rbegin(); it != record.layers.rend(); ++it) {
    if (it->grad_norm.empty()) continue;
    order.push_back(it->layer);
    for (std::size_t t = 0; t < it->grad_norm.size(); ++t) {
      rows.push_back({{"layer", it->layer}, {"step", t}, {"norm", log_value(it->grad_norm[t], left_out)}});
    }
  }
  if (order.empty()) return {nullptr, ""};
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", {{"step", 24}}},
               {"data", {{"values", rows}}},
               {"mark", {{"type", "rect"}, {"tooltip", true}}},
               {"encoding",
                {{"x", {{"field", "step"}, {"type", "quantitative"}, {"bin", {{"maxbins", 200}}}, {"title", "time step t (0 ran first)"}}},
                 {"y", {{"field", "layer"}, {"type", "nominal"}, {"sort", order}, {"title", nullptr}}},
                 {"color", {{"aggregate", "mean"}, {"field", "norm"}, {"type", "quantitative"}, {"scale", {{"type", "log"}, {"scheme", "viridis"}}},
                            {"legend", {{"format", ".0e"}}}, {"title", "|dL/dh_t|"}}}}}};
  return {spec, with_left_out("The gradient of each step's state over layers (rows, top layer first) and time (columns), "
                              "colour on a log scale (mean over a bin of steps when there are more than 200): dark cells "
                              "at the bottom left are where the gradient hardly reaches.",
                              left_out, "cells")};
}

Chart activity_chart(const std::vector<FlowRun>& runs, const FlowSectionOptions& options) {
  const auto keys = config_keys(runs);
  json rows = json::array();
  for (const FlowRun& run : runs) {
    const std::vector<int> depth = call_depths(run);
    for (std::size_t i = 0; i < run.pass.layers.size(); ++i) {
      const LayerCallRecord& call = run.pass.layers[i];
      const std::pair<const char*, std::optional<double>> measures[] = {{"saturated", call.output.saturated_fraction},
                                                                        {"silent on the batch", call.output.silent_fraction},
                                                                        {"dead over the examples", call.dead_fraction}};
      for (const auto& [measure, value] : measures) {
        if (!value) continue;
        json row = {{"run", run.label}, {"k", std::max(depth[i], 1)}, {"layer", call.layer},
                    {"measure", measure}, {"fraction", json_number(value)}};
        add_config_fields(row, run, keys);
        rows.push_back(row);
      }
    }
  }
  if (rows.empty()) return {nullptr, ""};
  json tooltip = json::array({{{"field", "run"}, {"type", "nominal"}},
                              {{"field", "layer"}, {"type", "nominal"}},
                              {{"field", "measure"}, {"type", "nominal"}},
                              {{"field", "fraction"}, {"type", "quantitative"}, {"format", ".1%"}}});
  for (const json& t : config_tooltips(keys)) tooltip.push_back(t);
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", 260},
               {"data", {{"values", rows}}},
               {"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
               {"encoding",
                {{"x", depth_axis()},
                 {"y", {{"field", "fraction"}, {"type", "quantitative"}, {"scale", {{"domain", {0, 1}}}},
                        {"axis", {{"format", ".0%"}}}, {"title", "share of the layer's outputs"}}},
                 {"color", run_color(runs)},
                 {"strokeDash", {{"field", "measure"}, {"type", "nominal"}, {"title", "measure"}}},
                 {"opacity", {{"condition", {{"param", "pick"}, {"value", 1}}}, {"value", 0.12}}},
                 {"tooltip", tooltip}}}};
  add_filters(spec, runs, options);
  return {spec,
          "Saturated outputs (tanh |y| > 0.99, sigmoid near 0 or 1: their derivative is nearly 0), relu units silent on "
          "the probed batch (0 for every row of it: they pass it no gradient) and relu units dead over the examples (0 "
          "for every one of several batches, Lu et al. 2019's dead units; the examples are named in the layer table) at "
          "each depth. A unit active on 5% of inputs is silent on a batch of 32 with probability 0.95^32 = 19%, dead over "
          "256 examples with probability 2e-6."};
}

Chart line_chart(const std::vector<LinePoint>& points, const LineChartOptions& options) {
  int left_out = 0;
  json rows = json::array();
  for (const LinePoint& p : points) {
    const bool x_ok = std::isfinite(p.x) && (!options.log_x || p.x > 0);
    const bool y_ok = std::isfinite(p.y) && (!options.log_y || p.y > 0);
    if (!x_ok || !y_ok) ++left_out;
    rows.push_back({{"series", p.series}, {"x", x_ok ? json(p.x) : json(nullptr)}, {"y", y_ok ? json(p.y) : json(nullptr)}});
  }
  const auto axis = [](const std::string& field, const std::string& title, bool log) {
    json a = {{"field", field}, {"type", "quantitative"}, {"title", title}};
    if (log) a["scale"] = {{"type", "log"}};
    return a;
  };
  // Vega-Lite would tick a 2-epoch run at 1.00, 1.05, ...: whole numbers only, printed as integers.
  const auto integer_axis = [](json a) {
    a["axis"] = {{"tickMinStep", 1}, {"format", "d"}};
    return a;
  };
  json spec = {{"$schema", kSchema},
               {"width", 720},
               {"height", 300},
               {"data", {{"values", rows}}},
               {"mark", {{"type", "line"}, {"point", true}, {"tooltip", true}}},
               {"encoding",
                {{"x", options.integer_x_ticks ? integer_axis(axis("x", options.x_title, options.log_x))
                                               : axis("x", options.x_title, options.log_x)},
                 {"y", axis("y", options.y_title, options.log_y)},
                 {"color", {{"field", "series"}, {"type", "nominal"}, {"sort", nullptr}, {"title", options.series_title}}},
                 {"tooltip", json::array({{{"field", "series"}, {"type", "nominal"}, {"title", options.series_title}},
                                          {{"field", "x"}, {"type", "quantitative"}, {"title", options.x_title}},
                                          {{"field", "y"}, {"type", "quantitative"}, {"title", options.y_title}}})}}}};
  std::string caption = options.caption;
  if (left_out > 0) {
    caption += fmt::format(" {} {} not finite{} and {} left out.", left_out, left_out == 1 ? "point was" : "points were",
                           options.log_x || options.log_y ? " or not positive on a log axis" : "",
                           left_out == 1 ? "is" : "are");
  }
  return {spec, caption};
}

void add_flow_section(HtmlReport& page, const std::vector<FlowRun>& runs, const FlowSectionOptions& options) {
  if (runs.empty()) throw Error("add_flow_section: no runs to show");
  std::vector<std::vector<TableCell>> rows;
  for (const FlowRun& run : runs) {
    const FlowSummary& s = run.summary;
    const double input_norm = run.pass.input_grad ? run.pass.input_grad->l2_norm
                                                  : (s.grad_norms.empty() ? std::nan("") : s.grad_norms.front());
    rows.push_back({run.label, {flow_verdict_name(s.verdict), verdict_tone(s.verdict)}, table_number(input_norm),
                    table_number(s.first_to_last_ratio), table_number(s.mean_gain), table_number(s.squared_gain),
                    table_number(s.depth_scale), s.saturation_begins.value_or("-"),
                    s.dead_units_begin.value_or("-")});
  }
  const FlowThresholds& t = runs.front().summary.thresholds;
  page.add_paragraph(fmt::format(
      "||dL/dx||: norm of the gradient reaching the input. first/last: g_1 / g_n, the first layer's gradient norm over "
      "the last's. gain per layer: the factor by which the norm changes per layer toward the input (fit on a log "
      "scale); g, its square, the squared norm's factor (what the mean-field chi_1 predicts); xi = 1 / |ln g|, the "
      "depth scale in layers. Verdict: vanishing (g < 1) or exploding (g > 1) when the network is deeper than {:g} xi "
      "(Schoenholz et al. 2017: trainable up to about 6 xi); nonfinite or zero when a gradient norm is. Saturation and "
      "dead units begin at the first layer where more than {:g}% of outputs are saturated, or {:g}% of units are dead: "
      "0 for every example of several batches (Lu et al. 2019; 256 examples unless the layer table says otherwise).",
      t.trainable_depth_scales, 100 * t.saturated_fraction, 100 * t.dead_fraction));
  page.add_table({"run", "verdict", "||dL/dx||", "first/last", "gain per layer", "g", "xi", "saturation begins",
                  "dead units begin"},
                 rows);
  // A heatmap of one run says nothing the line chart does not.
  const Chart heatmap = runs.size() > 1 ? gradient_heatmap(runs) : Chart{nullptr, ""};
  for (const Chart& chart : {gradient_norm_chart(runs, options), heatmap, activity_chart(runs, options)}) {
    if (!chart.spec.is_null()) page.add_chart(chart.spec, chart.caption);
  }
}

void add_layer_table(HtmlReport& page, const FlowRun& run) {
  std::vector<std::vector<TableCell>> rows;
  const auto optional_number = [](const auto& stats, auto member) {
    return stats ? table_number((*stats).*member) : std::string("-");
  };
  const auto optional_percent = [](std::optional<double> v) {
    return v ? fmt::format("{:.1f}%", 100 * *v) : std::string("-");
  };
  for (const LayerCallRecord& call : run.pass.layers) {
    // The terminal's figure (learning_variable); an all-zero weight has no ratio to show.
    const VariableGradientStats* v = learning_variable(call);
    const std::string ratio = !v ? "-" : v->weight_norm == 0 ? "w = 0" : table_number(v->grad_to_weight_ratio);
    rows.push_back({call.layer, call.type, call.activation, call.output_shape, table_number(call.output.mean),
                    table_number(call.output.std), optional_percent(call.output.saturated_fraction),
                    optional_percent(call.output.silent_fraction), optional_percent(call.dead_fraction),
                    optional_number(call.input_grad, &GradientStats::l2_norm),
                    optional_number(call.output_grad, &GradientStats::l2_norm),
                    ratio});
  }
  page.add_table({"layer", "type", "activation", "output shape", "output mean", "output std", "saturated",
                  "silent on the batch",
                  run.pass.dead_unit_examples > 0 ? fmt::format("dead over {} examples", run.pass.dead_unit_examples)
                                                  : std::string("dead over the examples"),
                  "||dL/d input||", "||dL/d output||", "kernel ||dL/dW|| / ||W||"},
                 rows, "Every layer call of " + run.label + ", in the order it ran. silent on the batch: relu units 0 for "
                           "every row of the probed batch; dead: 0 for every one of the examples (" +
                           std::to_string(run.pass.dead_unit_batches) + " batches; Lu et al. 2019).");
}

}  // namespace gradlab::cli
