#include "report_training.h"
#include "json_number.h"
#include "lesson_training_claims.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>

namespace gradlab::cli {
namespace {

// Accuracies read better in fixed notation than table_number's scientific one.
std::string fixed(double value) {
  return std::isfinite(value) ? fmt::format("{:.3f}", value) : table_number(value);
}

// The first run (seed index 0) of an arm: what the charts draw, one line per arm.
const LessonRun* first_run(const LessonTrainingResult& r, std::string_view name) {
  const LessonArm& arm = r.arm(name);
  return arm.runs.empty() ? nullptr : &arm.runs.front();
}

// The report's verdict colours: the reading (LessonRun::gradient_reading) of most of the arm's runs.
TableCell ratio_cell(const LessonArm& arm) {
  const SeedSpread ratio = arm.early_to_late_gradient_ratio();
  if (ratio.count == 0) return {"-", CellTone::muted};
  const auto most = [&](FlowVerdict v) { return 2 * arm.runs_read_as(v) > static_cast<int64_t>(arm.runs.size()); };
  const std::string text = ratio.count == 1 ? table_number(ratio.mean)
                                            : fmt::format("{} ({}-{})", table_number(ratio.mean), table_number(ratio.min),
                                                          table_number(ratio.max));
  return {text, most(FlowVerdict::vanishing)   ? CellTone::vanishing
                : most(FlowVerdict::exploding) ? CellTone::exploding
                                               : CellTone::healthy};
}

void add_runs_table(HtmlReport& page, const LessonTrainingResult& r) {
  std::vector<std::vector<TableCell>> rows;
  for (const LessonArm& arm : r.arms) {
    std::vector<double> losses;
    const Anomaly* first = nullptr;
    for (const LessonRun& run : arm.runs) {
      losses.push_back(run.history.epochs.empty() ? std::nan("") : run.history.epochs.back().loss);
      if (!first && run.history.anomaly) first = &*run.history.anomaly;
    }
    const SeedSpread loss = seed_spread(losses);
    const int64_t stopped = arm.runs_stopped_by_anomaly();
    rows.push_back({arm.name, arm.description, spread_text(arm.test_accuracy()),
                    loss.count ? fixed(loss.mean) : std::string("-"), ratio_cell(arm),
                    first ? TableCell(fmt::format("{} of {} runs; first: step {}, {}", stopped, arm.runs.size(),
                                                  first->step, first->layer),
                                      CellTone::exploding)
                          : TableCell("none", CellTone::healthy)});
  }
  page.add_table(
      {"arm", "model and optimizer", "test accuracy", "train loss", "early/late gradient", "non-finite values"},
      rows,
      "test accuracy: the last epoch's, mean over the seeds, then the range (min-max). train loss: the last epoch's, mean "
      "over the seeds. early/late gradient: per run, the median over training of the mean gradient norm of the first "
      "three Dense layers over that of the last three; the mean over the runs, then the range. non-finite values: runs "
      "the anomaly check stopped.");
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
  const LessonArm& v = r.arm("deep_sigmoid");
  const int64_t vanished = v.runs_read_as(FlowVerdict::vanishing);
  page.add_heading(vanished > 0 ? fmt::format("A deep sigmoid stack: gradients vanishing in {} of {} runs (measured)",
                                              vanished, v.runs.size())
                                : fmt::format("A deep sigmoid stack: gradients not vanishing in any of {} runs (measured)",
                                              v.runs.size()),
                   3);
  page.add_paragraph(fmt::format("{}. {}.", v.description, vanishing_claim(r)));
  std::vector<LinePoint> by_layer;
  for (const char* name : {"deep_sigmoid", "deep_relu_glorot", "deep_relu_he", "deep_residual_unscaled", "deep_residual",
                           "deep_residual_norm"}) {
    if (const LessonRun* run = first_run(r, name)) {
      const std::vector<LinePoint> p = median_dense_grad_norms(*run);
      by_layer.insert(by_layer.end(), p.begin(), p.end());
    }
  }
  add_chart(
      page,
      line_chart(
          by_layer,
          {.x_title = "Dense layer (1 = input side)",
           .y_title = "median layer gradient norm",
           .series_title = "arm",
           .log_y = true,
           .caption = "Gradient norm (kernel and bias) per Dense layer, median over the sampled training "
                      "steps of each arm's first run (seed index 0). A line falling toward layer 1 is a vanishing "
                      "gradient: the early layers get almost no signal to learn from."}));
  std::vector<LinePoint> ends;
  if (const LessonRun* run = first_run(r, "deep_sigmoid"); run && !run->dense_layers.empty()) {
    const std::size_t n = run->dense_layers.size();
    for (std::size_t k : {std::size_t{0}, n / 2, n - 1}) {
      for (const TrainingSample& s : run->history.samples) {
        ends.push_back({run->dense_layers[k], static_cast<double>(s.step), run->dense_grad_norms(s)[k]});
      }
    }
  }
  add_chart(page,
            line_chart(ends, {.x_title = "step",
                              .y_title = "layer gradient norm",
                              .series_title = "layer",
                              .log_y = true,
                              .caption = fmt::format("{} (seed index 0): the first, middle and last Dense layers' "
                                                     "gradient norms (kernel and bias) over training.",
                                                     v.name)}));
}

void add_comparisons(HtmlReport& page, const LessonTrainingResult& r) {
  page.add_heading(fmt::format("One change at a time: measured gaps over {} seeds", r.seeds.size()), 3);
  std::string text =
      "The same depth, optimizer and batches; run i of every arm uses seed i. Each arm against the arm it changes in "
      "one thing; a gap is read as above or below only when the ranges over the seeds do not overlap, otherwise the "
      "arms are not distinguishable at this setting:";
  for (const auto& [arm, baseline] : r.comparisons()) {
    if (arm->name != "exploding_clipped") text += " " + comparison_claim(*arm, *baseline) + ";";
  }
  text += " " + reference_claim(r) + ".";
  page.add_paragraph(text);
  std::vector<const LessonRun*> curves;
  for (const char* name : {"deep_sigmoid", "deep_relu_glorot", "deep_relu_he", "deep_residual_unscaled", "deep_residual",
                           "deep_residual_norm"}) {
    if (const LessonRun* run = first_run(r, name)) curves.push_back(run);
  }
  add_chart(page,
            line_chart(over_steps(curves, [](const TrainingSample& s) { return s.loss; }),
                       {.x_title = "step",
                        .y_title = "training loss (batch)",
                        .series_title = "arm",
                        .log_y = true,
                        .caption = "Learning curves: the training loss of the sampled steps of each arm's first run "
                                   "(seed index 0); a run the anomaly check stopped ends at its last finite step."}));
  if (const LessonRun* mlp = first_run(r, "mlp")) curves.push_back(mlp);  // last: the others keep their colours
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
                        .series_title = "arm",
                        .caption = "Test accuracy after each epoch of each arm's first run (seed index 0; the table "
                                   "gives every seed's range); mlp is a reference 784-256-128-100-10 MLP with Adam "
                                   "(the Fashion-MNIST benchmark's MLP shape), not a run of the lesson's."}));
}

void add_exploding(HtmlReport& page, const LessonTrainingResult& r) {
  const LessonArm& e = r.arm("exploding");
  page.add_heading("Too large an initial weight scale, and gradient clipping (Pascanu et al. 2013)", 3);
  page.add_paragraph(fmt::format("{}. {}.", e.description, clipping_claim(r)));
  std::vector<const LessonRun*> runs;
  for (const char* name : {"exploding", "exploding_clipped"}) {
    if (const LessonRun* run = first_run(r, name)) runs.push_back(run);
  }
  add_chart(page,
            line_chart(over_steps(runs, [](const TrainingSample& s) { return s.loss; }),
                       {.x_title = "step",
                        .y_title = "training loss (batch)",
                        .series_title = "arm",
                        .log_y = true,
                        .caption = "Training loss of the sampled steps with and without clipping (seed index 0, the "
                                   "same initial weights); a run the anomaly check stopped ends at its last finite "
                                   "step."}));
  add_chart(page, line_chart(over_steps(runs, [](const TrainingSample& s) { return s.global_grad_norm; }),
                             {.x_title = "step",
                              .y_title = "global gradient norm (before clipping)",
                              .series_title = "arm",
                              .log_y = true,
                              .caption = "The global gradient norm each step measured before clipping (seed index 0)."}));
}

}  // namespace

nlohmann::ordered_json training_json(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  const auto spread_json = [](const SeedSpread& s) {
    return nlohmann::ordered_json{{"mean", json_number(s.mean)},
                                  {"min", json_number(s.min)},
                                  {"max", json_number(s.max)},
                                  {"count", s.count},
                                  {"runs", s.runs}};
  };
  nlohmann::ordered_json json;
  json["data"] = r.data;
  json["epochs"] = o.epochs;
  json["batch_size"] = o.batch_size;
  json["depth"] = o.depth;
  json["width"] = o.width;
  json["seed"] = o.seed;
  json["seeds"] = r.seeds;
  json["arms"] = nlohmann::ordered_json::array();
  for (const LessonArm& arm : r.arms) {
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const LessonRun& run : arm.runs) {
      nlohmann::ordered_json a;
      if (run.history.anomaly) {
        const Anomaly& an = *run.history.anomaly;
        a = {{"step", an.step}, {"layer", an.layer}, {"op", an.op}, {"nonfinite_count", an.nonfinite_count}};
      }
      runs.push_back({{"seed", run.seed},
                      {"test_accuracy", json_number(run.final_test_accuracy())},
                      {"early_to_late_gradient_ratio", json_number(run.early_to_late_gradient_ratio())},
                      {"stop_reason", stop_reason_name(run.history.stop_reason)},
                      {"anomaly", a}});
    }
    json["arms"].push_back({{"name", arm.name},
                            {"description", arm.description},
                            {"baseline", arm.baseline.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(arm.baseline)},
                            {"change", arm.change.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(arm.change)},
                            {"test_accuracy", spread_json(arm.test_accuracy())},
                            {"early_to_late_gradient_ratio", spread_json(arm.early_to_late_gradient_ratio())},
                            {"runs", runs}});
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
      fmt::format("{}, {} epochs, batch {}, deep stacks of {} Dense layers of {} units, {} seeds per arm; gradient "
                  "norms sampled every {} steps with the anomaly check on. The full 10-epoch MLP run "
                  "and a command for each case are in docs/training.md.",
                  r.data, r.options.epochs, r.options.batch_size, r.options.depth, r.options.width, r.seeds.size(),
                  r.options.sample_every));
  add_runs_table(page, r);
  add_vanishing(page, r);
  add_comparisons(page, r);
  add_exploding(page, r);
}

}  // namespace gradlab::cli
