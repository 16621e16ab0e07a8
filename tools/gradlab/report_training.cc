#include "report_training.h"
#include "json_number.h"
#include "lesson_training_claims.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace gradlab::cli {
namespace {

// Accuracies read better in fixed notation than table_number's scientific one.
std::string fixed(double value) {
  return std::isfinite(value) ? fmt::format("{:.3f}", value) : table_number(value);
}

std::vector<const LessonRun*> all_runs(const LessonTrainingResult& r) {
  std::vector<const LessonRun*> runs = {&r.mlp, &r.vanishing};
  for (const LessonRun& run : r.remedies) runs.push_back(&run);
  runs.push_back(&r.exploding);
  runs.push_back(&r.exploding_clipped);
  return runs;
}

// The report's verdict colours, from LessonRun::gradient_reading().
TableCell ratio_cell(const LessonRun& run) {
  const std::optional<FlowVerdict> reading = run.gradient_reading();
  if (!reading) return {"-", CellTone::muted};
  return {table_number(run.early_to_late_gradient_ratio()),
          *reading == FlowVerdict::vanishing
              ? CellTone::vanishing
              : (*reading == FlowVerdict::exploding ? CellTone::exploding : CellTone::healthy)};
}

void add_runs_table(HtmlReport& page, const LessonTrainingResult& r) {
  std::vector<std::vector<TableCell>> rows;
  for (const LessonRun* run : all_runs(r)) {
    const History& h = run->history;
    rows.push_back({run->name, run->description, fixed(run->final_test_accuracy()),
                    h.epochs.empty() ? std::string("-") : fixed(h.epochs.back().loss), ratio_cell(*run),
                    h.anomaly ? TableCell(fmt::format("step {}, {}", h.anomaly->step, h.anomaly->layer),
                                          CellTone::exploding)
                              : TableCell("none", CellTone::healthy),
                    fmt::format("{:.1f}", run->seconds)});
  }
  page.add_table(
      {"run", "model and optimizer", "test accuracy", "train loss", "early/late gradient",
       "first non-finite value", "seconds"},
      rows,
      "test accuracy and train loss: the last epoch's. early/late gradient: median over training of the mean "
      "gradient norm of the first three Dense layers over that of the last three. first non-finite value: "
      "where "
      "the anomaly check stopped the run.");
}

// One point per sample of `value(sample)` against the step, for each run.
template <typename F>
std::vector<LinePoint> over_steps(const std::vector<const LessonRun*>& runs, F value) {
  std::vector<LinePoint> points;
  for (const LessonRun* run : runs) {
    for (const TrainingSample& s : run->history.samples)
      points.push_back({run->name, static_cast<double>(s.step), value(s)});
  }
  return points;
}

void add_chart(HtmlReport& page, const Chart& chart) { page.add_chart(chart.spec, chart.caption); }

void add_vanishing(HtmlReport& page, const LessonTrainingResult& r) {
  const LessonRun& v = r.vanishing;
  const std::optional<FlowVerdict> reading = v.gradient_reading();
  page.add_heading(fmt::format("A deep sigmoid stack: gradients {} (measured)",
                               reading ? flow_verdict_name(*reading) : "not measured"),
                   3);
  page.add_paragraph(fmt::format("{}. {}.", v.description, vanishing_claim(r)));
  std::vector<LinePoint> by_layer = median_dense_grad_norms(v);
  for (const LessonRun& run : r.remedies) {
    const std::vector<LinePoint> p = median_dense_grad_norms(run);
    by_layer.insert(by_layer.end(), p.begin(), p.end());
  }
  add_chart(
      page,
      line_chart(
          by_layer,
          {.x_title = "Dense layer (1 = input side)",
           .y_title = "median layer gradient norm",
           .series_title = "run",
           .log_y = true,
           .caption = "Gradient norm (kernel and bias) per Dense layer, median over the sampled training "
                      "steps. A line falling toward layer 1 is a vanishing gradient: the "
                      "early layers get almost no signal to learn from."}));
  std::vector<LinePoint> ends;
  if (!v.dense_layers.empty()) {
    const std::size_t n = v.dense_layers.size();
    for (std::size_t k : {std::size_t{0}, n / 2, n - 1}) {
      for (const TrainingSample& s : v.history.samples) {
        ends.push_back({v.dense_layers[k], static_cast<double>(s.step), v.dense_grad_norms(s)[k]});
      }
    }
  }
  add_chart(page,
            line_chart(ends, {.x_title = "step",
                              .y_title = "layer gradient norm",
                              .series_title = "layer",
                              .log_y = true,
                              .caption = fmt::format("{}: the first, middle and last Dense layers' gradient "
                                                     "norms (kernel and bias) over training.",
                                                     v.name)}));
}

void add_remedies(HtmlReport& page, const LessonTrainingResult& r) {
  page.add_heading("ReLU with He initialization, residual connections, normalization: measured gaps", 3);
  std::string text =
      "The same depth, optimizer and batches, one seed; each run against the run it changes (a change of two "
      "things at once is named as two):";
  for (const auto& [run, baseline] : compared_runs(r)) {
    if (run != &r.exploding_clipped) text += " " + comparison_claim(*run, *baseline) + ";";
  }
  text.back() = '.';
  page.add_paragraph(text);
  std::vector<const LessonRun*> curves = {&r.vanishing};
  for (const LessonRun& run : r.remedies) curves.push_back(&run);
  add_chart(page,
            line_chart(over_steps(curves, [](const TrainingSample& s) { return s.loss; }),
                       {.x_title = "step",
                        .y_title = "training loss (batch)",
                        .series_title = "run",
                        .log_y = true,
                        .caption = "Learning curves: the training loss of the sampled steps, one line per "
                                   "remedy."}));
  curves.push_back(&r.mlp);  // last, so the other runs keep their colours from the chart above
  std::vector<LinePoint> accuracy;
  for (const LessonRun* run : curves) {
    for (const EpochLogs& e : run->history.epochs) {
      accuracy.push_back(
          {run->name, static_cast<double>(e.epoch + 1), e.val_accuracy.value_or(std::nan(""))});
    }
  }
  add_chart(page,
            line_chart(accuracy,
                       {.x_title = "epoch",
                        .y_title = "test accuracy",
                        .series_title = "run",
                        .caption = "Test accuracy after each epoch; mlp is a reference 784-256-128-100-10 "
                                   "MLP with Adam (the Fashion-MNIST benchmark's MLP shape), not a run "
                                   "of the lesson's."}));
}

void add_exploding(HtmlReport& page, const LessonTrainingResult& r) {
  const LessonRun& e = r.exploding;
  const LessonRun& c = r.exploding_clipped;
  page.add_heading("Too large an initial weight scale, and gradient clipping (Pascanu et al. 2013)", 3);
  page.add_paragraph(fmt::format("{}. {}.", e.description, clipping_claim(r)));
  const std::vector<const LessonRun*> runs = {&e, &c};
  add_chart(page,
            line_chart(over_steps(runs, [](const TrainingSample& s) { return s.loss; }),
                       {.x_title = "step",
                        .y_title = "training loss (batch)",
                        .series_title = "run",
                        .log_y = true,
                        .caption = "Training loss of the sampled steps with and without clipping; a run the "
                                   "anomaly check stopped ends at its last finite step."}));
  add_chart(page, line_chart(over_steps(runs, [](const TrainingSample& s) { return s.global_grad_norm; }),
                             {.x_title = "step",
                              .y_title = "global gradient norm (before clipping)",
                              .series_title = "run",
                              .log_y = true,
                              .caption = "The global gradient norm each step measured before clipping."}));
}

}  // namespace

nlohmann::ordered_json training_json(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  nlohmann::ordered_json json;
  json["data"] = r.data;
  json["epochs"] = o.epochs;
  json["batch_size"] = o.batch_size;
  json["depth"] = o.depth;
  json["width"] = o.width;
  json["seed"] = o.seed;
  json["seconds"] = r.seconds;
  json["runs"] = nlohmann::ordered_json::array();
  for (const LessonRun* run : all_runs(r)) {
    nlohmann::ordered_json a;
    if (run->history.anomaly) {
      const Anomaly& an = *run->history.anomaly;
      a = {{"step", an.step}, {"layer", an.layer}, {"op", an.op}, {"nonfinite_count", an.nonfinite_count}};
    }
    json["runs"].push_back({{"name", run->name},
                            {"description", run->description},
                            {"test_accuracy", json_number(run->final_test_accuracy())},
                            {"early_to_late_gradient_ratio", json_number(run->early_to_late_gradient_ratio())},
                            {"stop_reason", stop_reason_name(run->history.stop_reason)},
                            {"anomaly", a},
                            {"seconds", run->seconds}});
  }
  return json;
}

std::vector<LinePoint> median_dense_grad_norms(const LessonRun& run) {
  std::vector<std::vector<double>> per_layer(run.dense_layers.size());
  for (const TrainingSample& s : run.history.samples) {
    if (!std::isfinite(s.loss)) continue;
    const std::vector<double> norms = run.dense_grad_norms(s);
    for (std::size_t k = 0; k < norms.size(); ++k) {
      if (std::isfinite(norms[k])) per_layer[k].push_back(norms[k]);
    }
  }
  std::vector<LinePoint> points;
  for (std::size_t k = 0; k < per_layer.size(); ++k) {
    std::vector<double>& values = per_layer[k];
    if (values.empty()) continue;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2),
                     values.end());
    points.push_back({run.name, static_cast<double>(k + 1), values[values.size() / 2]});
  }
  return points;
}

void add_training_section(HtmlReport& page, const LessonTrainingResult& r) {
  page.add_heading("Training: the lesson's cases on real data (gradlab's extension)");
  page.add_paragraph(
      fmt::format("{}, {} epochs, batch {}, deep stacks of {} Dense layers of {} units; gradient norms "
                  "sampled every {} steps "
                  "with the anomaly check on; {:.0f} s in all. The full 10-epoch MLP run and a command for "
                  "each case are in "
                  "docs/training.md.",
                  r.data, r.options.epochs, r.options.batch_size, r.options.depth, r.options.width,
                  r.options.sample_every, r.seconds));
  add_runs_table(page, r);
  add_vanishing(page, r);
  add_remedies(page, r);
  add_exploding(page, r);
}

}  // namespace gradlab::cli
