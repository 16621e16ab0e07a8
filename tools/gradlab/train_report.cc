#include "train_report.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>

#include "html_report.h"
#include "report_charts.h"

namespace gradlab::cli {
namespace {

// One line per (series, optional value) over the epochs.
std::vector<LinePoint> epoch_points(const History& h, const std::vector<std::pair<std::string, std::function<std::optional<double>(const EpochLogs&)>>>& series) {
  std::vector<LinePoint> points;
  for (const auto& [name, get] : series) {
    for (const EpochLogs& e : h.epochs) {
      if (const std::optional<double> v = get(e)) points.push_back({name, static_cast<double>(e.epoch + 1), *v});
    }
  }
  return points;
}

// The sampled batches' losses on the epoch axis: global step s (from 0) ends at epoch
// (s + 1) / steps_per_epoch, so epoch e's batches lie in (e - 1, e], where its mean is drawn.
std::vector<LinePoint> sampled_batch_losses(const History& h) {
  std::vector<LinePoint> points;
  const TrainingProgress& p = h.progress;
  if (p.batch_size < 1 || p.train_size < 1) return points;
  const auto steps_per_epoch = static_cast<double>(batch_count(p.train_size, p.batch_size));
  for (const TrainingSample& s : h.samples) {
    points.push_back({"batch loss (sampled)", static_cast<double>(s.step + 1) / steps_per_epoch, s.loss});
  }
  return points;
}

// One line per layer over the sampled steps.
std::vector<LinePoint> layer_points(const History& h, const std::function<std::optional<double>(const LayerSample&)>& get) {
  std::vector<LinePoint> points;
  for (const TrainingSample& s : h.samples) {
    for (const LayerSample& l : s.layers) {
      if (const std::optional<double> v = get(l)) points.push_back({l.layer, static_cast<double>(s.step), *v});
    }
  }
  return points;
}

// "; add_1 and concat have no variables" for a caption, or "".
std::string without_variables(const History& h) {
  std::vector<std::string> names;
  if (!h.samples.empty()) {
    for (const LayerSample& l : h.samples.back().layers) {
      if (!l.has_variables) names.push_back(l.layer);
    }
  }
  if (names.empty()) return "";
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i) list += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return "; " + list + (names.size() == 1 ? " has no variables and is left out" : " have no variables and are left out");
}

void add(HtmlReport& page, const Chart& chart) { page.add_chart(chart.spec, chart.caption); }

}  // namespace

std::string train_report_html(const TrainSummary& summary, const History& h) {
  HtmlReport page("gradlab train: " + summary.model + " on " + summary.data);
  page.add_preformatted(summary_text(summary, h));

  page.add_heading("Learning curves");
  if (h.epochs.empty()) {
    page.add_paragraph("No epoch finished, so there are no learning curves.");
  } else {
    std::vector<LinePoint> losses = epoch_points(h, {{"loss", [](const EpochLogs& e) { return std::optional<double>(e.loss); }},
                                                     {"val_loss", [](const EpochLogs& e) { return e.val_loss; }}});
    const std::vector<LinePoint> batches = sampled_batch_losses(h);
    losses.insert(losses.end(), batches.begin(), batches.end());
    add(page, line_chart(losses, {.x_title = "epoch", .y_title = "loss", .series_title = "", .log_y = true, .integer_x_ticks = true,
                                  .caption = "Training loss (mean over each epoch's batches, at the epoch's end) and validation "
                                             "loss (after the epoch)" +
                                             std::string(batches.empty() ? "; run with --sample-every N to see batch losses within epochs"
                                                                         : ", with the loss of each sampled batch at its place in "
                                                                           "its epoch") +
                                             "."}));
    const std::vector<LinePoint> accuracy =
        epoch_points(h, {{"accuracy", [](const EpochLogs& e) { return e.accuracy; }},
                         {"val_accuracy", [](const EpochLogs& e) { return e.val_accuracy; }}});
    if (!accuracy.empty()) {
      add(page, line_chart(accuracy, {.x_title = "epoch", .y_title = "accuracy", .series_title = "", .integer_x_ticks = true,
                                      .caption = "Training and validation accuracy per epoch."}));
    }
  }

  page.add_heading("Gradient flow over training");
  if (h.samples.empty()) {
    page.add_paragraph("No instrument samples: run with --sample-every N to record the gradient flow every N steps.");
  } else {
    page.add_paragraph(fmt::format(
        "{} samples, steps {} to {}. Lines far apart on the log scale mean some layers learn much more slowly than "
        "others: early layers orders of magnitude below the last ones is the lesson's vanishing gradient; norms "
        "growing step after step, its exploding one.",
        h.samples.size(), h.samples.front().step, h.samples.back().step));
    // Layers without variables have no weight gradient or update: left out by name, not as values a
    // log axis cannot show.
    add(page, line_chart(layer_points(h, [](const LayerSample& l) { return l.has_variables ? std::optional<double>(l.grad_norm) : std::nullopt; }),
                         {.x_title = "step", .y_title = "gradient norm", .series_title = "layer", .log_y = true,
                          .caption = "Norm of each layer's weight gradients at the sampled steps" + without_variables(h) + "."}));
    const std::vector<LinePoint> output_grads = layer_points(h, [](const LayerSample& l) { return l.output_grad_norm; });
    if (!output_grads.empty()) {
      add(page, line_chart(output_grads, {.x_title = "step", .y_title = "||dL/d output||", .series_title = "layer", .log_y = true,
                                          .caption = "Norm of the loss gradient at each layer's output, every layer (with or without variables)."}));
    }
    add(page, line_chart(layer_points(h, [](const LayerSample& l) { return l.has_variables ? std::optional<double>(l.update_ratio) : std::nullopt; }),
                         {.x_title = "step", .y_title = "update / weight", .series_title = "layer", .log_y = true,
                          .caption = "||w_after - w_before|| / ||w_before|| of each layer's step (about 1e-3 is healthy)."}));
    const std::vector<LinePoint> dead = layer_points(h, [](const LayerSample& l) { return l.dead_fraction; });
    if (!dead.empty()) {
      add(page, line_chart(dead, {.x_title = "step", .y_title = "dead fraction", .series_title = "layer",
                                  .caption = "Share of ReLU units that output 0 for the whole batch."}));
    }
    const std::vector<LinePoint> saturated = layer_points(h, [](const LayerSample& l) { return l.saturated_fraction; });
    if (!saturated.empty()) {
      add(page, line_chart(saturated, {.x_title = "step", .y_title = "saturated fraction", .series_title = "layer",
                                       .caption = "Share of outputs in the activation's flat range."}));
    }
  }
  return page.render();
}

}  // namespace gradlab::cli
