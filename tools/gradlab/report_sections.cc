// The page sections of `gradlab report`, one function each, from a ReportStudy.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "report_study.h"

namespace gradlab::cli {
namespace {

std::string skip_norm_label(const RemedyConfig& c) {
  if (!c.model.empty()) return "model " + c.model;
  return fmt::format("{}, {}", skip_connection_label(c.skip),
                     c.normalization == SkipNormalization::none ? std::string("no norm")
                                                                : fmt::format("{} norm", skip_normalization_name(c.normalization)));
}

// "relu / he": the initializer's family is enough in a column heading.
std::string act_init_label(const RemedyConfig& c) {
  return c.activation + " / " + c.initializer.substr(0, c.initializer.find('_'));
}

std::string fixed4(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

void add_glance_section(HtmlReport& page, const ReportStudy& study) {
  const std::vector<const RemedyCell*> cells = study.deepest();
  if (cells.empty()) return;
  const int depth = cells.front()->depth;
  // Columns: activation / initializer; rows: skip, normalization — both in the study's order.
  std::vector<std::string> columns, rows;
  for (const RemedyCell* c : cells) {
    const std::string col = act_init_label(c->config), row = skip_norm_label(c->config);
    if (std::find(columns.begin(), columns.end(), col) == columns.end()) columns.push_back(col);
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
  }
  std::vector<std::vector<TableCell>> table(rows.size(), std::vector<TableCell>(columns.size() + 1, TableCell("-")));
  for (std::size_t r = 0; r < rows.size(); ++r) table[r][0] = rows[r];
  int healthy = 0;
  for (const RemedyCell* c : cells) {
    const std::size_t r = std::find(rows.begin(), rows.end(), skip_norm_label(c->config)) - rows.begin();
    const std::size_t col = std::find(columns.begin(), columns.end(), act_init_label(c->config)) - columns.begin();
    table[r][col + 1] = TableCell(fmt::format("{} {}", flow_verdict_name(c->verdict), table_number(c->input_grad_median)),
                                  verdict_tone(c->verdict));
    if (c->verdict == FlowVerdict::healthy) ++healthy;
  }
  std::vector<std::string> headings{study.options.model ? "model" : "skip, normalization"};
  headings.insert(headings.end(), columns.begin(), columns.end());

  if (const auto& model = study.options.model) {
    page.add_heading(fmt::format("At a glance: which initializers and activations keep the gradients of {} healthy", model->name));
    page.add_paragraph(fmt::format(
        "{} of {} variants of the model {} ({}) keep their gradients healthy. Each cell is the model with the kernel of "
        "every Dense layer drawn from the column's initializer and every non-linear hidden activation replaced by the "
        "column's activation (as gradlab sweep --model does; outputs keep theirs), input U[0, 1) of 32 rows, loss = "
        "mean of the output, training mode: the verdict of the most common of {} trial(s), then the median norm of the "
        "gradient reaching the input, ||dL/dx||. Verdict: {}.",
        healthy, cells.size(), model->name, model->source, study.options.trials, flow_verdict_rule()));
    page.add_table(headings, table, "Columns: activation / kernel initializer.");
    return;
  }
  page.add_heading(fmt::format("At a glance: which remedies keep gradients healthy at depth {}", depth));
  page.add_paragraph(fmt::format(
      "{} of {} networks of depth {} keep their gradients healthy. Each cell is a stack of {} Dense layers of 32 units "
      "(input U[0, 1) of 32 x 128, loss = {}, training mode) with one choice per remedy: the verdict "
      "of the most common of {} trial(s), then the median norm of the gradient reaching the input, ||dL/dx||. "
      "Verdict: {}.",
      healthy, cells.size(), depth, depth, probe_loss_label(study.options.probe_loss), study.options.trials,
      flow_verdict_rule()));
  page.add_table(headings, table, "Rows: skip connections and normalization; columns: activation / kernel initializer "
                                 "(glorot_uniform or he_uniform).");
}

void add_lesson_section(HtmlReport& page, const LessonStudy& lesson) {
  page.add_heading("The lesson's networks");
  page.add_paragraph(fmt::format(
      "The lesson's cells over {} seeds (gradlab lesson has the full study): the variance of freshly initialized "
      "kernels beside theory (limit^2 / 3) and the lesson's single draw, then the input-gradient norm of its three "
      "4-layer relu networks.",
      lesson.options.trials));
  std::vector<std::vector<TableCell>> kernels;
  for (const KernelVarianceResult& r : lesson.kernel_variance) {
    kernels.push_back({r.layer.initializer, fmt::format("{} x {}", r.layer.fan_in, r.layer.units), fixed4(r.theory),
                       fixed4(r.measured.median), fixed4(r.measured.p5), fixed4(r.measured.p95), fixed4(r.lesson),
                       fmt::format("{:.1f}%", r.lesson_percentile)});
  }
  page.add_table({"initializer", "in x out", "theory", "median", "5%", "95%", "lesson", "lesson at"}, kernels,
                 "Initializer variance: Var(kernel) of one Dense layer (In [15], In [16]).");
  std::vector<std::vector<TableCell>> networks;
  for (const GradientNormResult& r : lesson.skip_connections) {
    networks.push_back({std::string(skip_connection_label(r.skip)), fixed4(r.measured.median), fixed4(r.measured.p5),
                        fixed4(r.measured.p95), r.lesson ? fixed4(*r.lesson) : "-",
                        r.lesson_percentile ? fmt::format("{:.1f}%", *r.lesson_percentile) : "-"});
  }
  page.add_table({"network", "median", "5%", "95%", "lesson", "lesson at"}, networks,
                 "||d mean(output) / d input||_2 of 4 x Dense(32, relu), glorot_uniform (In [192]-[194]).");
}

void add_model_section(HtmlReport& page, const ReportStudy& study) {
  const std::vector<const RemedyCell*> cells = study.deepest();
  if (cells.empty()) return;
  std::vector<FlowRun> runs;
  for (const RemedyCell* c : cells) runs.push_back(c->first);
  page.add_heading(fmt::format("Layer by layer: {}", study.options.model->name));
  page.add_paragraph(
      "The first trial of every variant, probed layer by layer. The drop-downs above the per-layer charts choose which "
      "variants they show; click a legend entry to highlight one.");
  const RemedyConfig& first = cells.front()->config;
  add_flow_section(page, runs, {.initial_filter = {{"activation", first.activation}, {"initializer", first.initializer}}});
}

void add_depth_section(HtmlReport& page, const ReportStudy& study) {
  page.add_heading("Input-gradient norm against depth");
  nlohmann::json rows = nlohmann::json::array();
  int left_out = 0;
  for (const RemedyCell& c : study.cells) {
    const bool shown = std::isfinite(c.input_grad_median) && c.input_grad_median > 0;
    if (!shown) ++left_out;
    nlohmann::json row = {{"configuration", remedy_label(c.config)},
                          {"depth", c.depth},
                          {"norm", shown ? nlohmann::json(c.input_grad_median) : nlohmann::json(nullptr)},
                          {"verdict", flow_verdict_name(c.verdict)}};
    for (const auto& [key, value] : remedy_pairs(c.config)) row[key] = value;
    rows.push_back(row);
  }
  const nlohmann::json spec = {
      {"$schema", "https://vega.github.io/schema/vega-lite/v6.json"},
      {"width", {{"step", 56}}},
      {"height", {{"step", 13}}},
      {"data", {{"values", rows}}},
      {"mark", {{"type", "rect"}, {"tooltip", true}}},
      {"encoding",
       {{"x", {{"field", "depth"}, {"type", "ordinal"}, {"title", "network depth (Dense layers)"}}},
        {"y", {{"field", "configuration"}, {"type", "nominal"}, {"sort", nullptr}, {"title", nullptr},
               {"axis", {{"labelLimit", 360}}}}},
        {"color", {{"field", "norm"}, {"type", "quantitative"}, {"scale", {{"type", "log"}, {"scheme", "viridis"}}},
                   {"legend", {{"format", ".0e"}}}, {"title", "median ||dL/dx||"}}},
        {"tooltip", nlohmann::json::array({{{"field", "configuration"}, {"type", "nominal"}},
                                           {{"field", "depth"}, {"type", "ordinal"}},
                                           {{"field", "norm"}, {"type", "quantitative"}, {"format", ".3e"}, {"title", "median ||dL/dx||"}},
                                           {{"field", "verdict"}, {"type", "nominal"}}})}}}};
  std::string caption =
      "Median norm of the gradient reaching the input, over network depth (columns) and configuration (rows), colour "
      "on a log scale: a row that turns dark to the right loses its gradient as the network grows.";
  if (left_out > 0) caption += fmt::format(" {} cell(s) had a zero or non-finite median and are left blank.", left_out);
  page.add_chart(spec, caption);

  const std::vector<const RemedyCell*> deepest = study.deepest();
  std::vector<FlowRun> runs;
  for (const RemedyCell* c : deepest) runs.push_back(c->first);
  page.add_heading(fmt::format("Layer by layer at depth {}", deepest.front()->depth));
  page.add_paragraph(
      "The first trial of every configuration at the deepest depth, probed layer by layer. The drop-downs above the "
      "per-layer charts choose which configurations they show; click a legend entry to highlight one.");
  const RemedyConfig& first = deepest.front()->config;
  add_flow_section(page, runs, {.initial_filter = {{"activation", first.activation}, {"initializer", first.initializer}}});
}

}  // namespace gradlab::cli
