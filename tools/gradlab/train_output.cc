#include "train_output.h"

#include <fmt/format.h>

#include <cmath>

#include "text_table.h"

namespace gradlab::cli {
namespace {

std::string metrics_text(double loss, const std::optional<double>& accuracy, const char* prefix = "") {
  std::string out = fmt::format("{}loss {:.4f}", prefix, loss);
  if (accuracy) out += fmt::format("  {}acc {:.4f}", prefix, *accuracy);
  return out;
}

std::string fraction(const std::optional<double>& value) { return value ? fmt::format("{:.3f}", *value) : "-"; }

std::string stop_text(const History& h) {
  const TrainingProgress& p = h.progress;
  switch (h.stop_reason) {
    case StopReason::completed: return fmt::format("completed {} epochs ({} steps)", h.epochs.size(), p.global_step);
    case StopReason::max_steps: return fmt::format("stopped at --max-steps after {} steps", p.global_step);
    case StopReason::should_stop: return fmt::format("interrupted after {} steps", p.global_step);
    case StopReason::stopped: return fmt::format("stopped by a callback after {} steps", p.global_step);
    case StopReason::anomaly: return fmt::format("stopped by the anomaly check at step {}", p.global_step);
  }
  return "";
}

}  // namespace

std::string throughput_text(int64_t examples, double seconds) {
  // Over a few microseconds (the first redraw of an epoch) the clock's resolution is the rate.
  if (examples <= 0 || !(seconds >= kMinRateSeconds)) return "";
  return fmt::format("  {:.0f} ex/s", static_cast<double>(examples) / seconds);
}

ProgressCallback::ProgressCallback(std::string checkpoint_path, ProgressMode mode)
    : checkpoint_path_(std::move(checkpoint_path)), mode_(mode) {}

void ProgressCallback::start_bar() {
  const TrainingRun& r = run();
  bar_ = std::make_unique<ProgressBar>(fmt::format("epoch {}/{}", r.history.progress.epoch + 1, r.epochs),
                                       r.steps_per_epoch, mode_);
  examples_ = 0;
  timed_examples_ = 0;
  start_ = std::chrono::steady_clock::now();
}

void ProgressCallback::on_batch_end(int64_t, const BatchLogs& logs) {
  // The bar starts when the epoch's first batch has ended, so the rate counts the batches after it.
  const bool first = !bar_;
  if (first) start_bar();
  examples_ += logs.batch_size;
  if (!first) timed_examples_ += logs.batch_size;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  last_detail_ = metrics_text(logs.loss, logs.accuracy);
  bar_->update(logs.step_in_epoch, last_detail_ + throughput_text(timed_examples_, seconds));
}

void ProgressCallback::on_epoch_end(int64_t, const EpochLogs& logs) {
  if (!bar_) start_bar();
  std::string detail = metrics_text(logs.loss, logs.accuracy);
  if (logs.val_loss) detail += "  " + metrics_text(*logs.val_loss, logs.val_accuracy, "val_");
  detail += throughput_text(examples_, logs.seconds);
  if (!checkpoint_path_.empty()) detail += "  checkpoint saved";
  bar_->finish(detail);
  bar_.reset();
}

void ProgressCallback::on_train_end() {
  if (!bar_) return;
  std::string detail = last_detail_ + "  " + stop_reason_name(run().history.stop_reason);
  if (!checkpoint_path_.empty()) detail += "  checkpoint saved";
  bar_->finish(detail);
  bar_.reset();
}

std::string gradient_flow_table(const History& h) {
  if (h.samples.empty()) return "";
  const TrainingSample& first = h.samples.front();
  const TrainingSample& last = h.samples.back();
  TextTable table({{"layer"},
                   {"grad norm (step " + std::to_string(first.step) + ")", Align::right},
                   {"grad norm (step " + std::to_string(last.step) + ")", Align::right},
                   {"update ratio", Align::right},
                   {"|dL/d out|", Align::right},
                   {"dead", Align::right},
                   {"saturated", Align::right}});
  for (std::size_t i = 0; i < last.layers.size(); ++i) {
    const LayerSample& l = last.layers[i];
    const double before = i < first.layers.size() && first.layers[i].layer == l.layer ? first.layers[i].grad_norm : NAN;
    // A layer without variables has no weight gradient or update: say so rather than print a dead 0.
    const auto own = [&](double v) { return l.has_variables ? fmt::format("{:.3e}", v) : std::string("no variables"); };
    table.add_row({l.layer, l.has_variables ? fmt::format("{:.3e}", before) : own(0), own(l.grad_norm), own(l.update_ratio),
                   l.output_grad_norm ? fmt::format("{:.3e}", *l.output_grad_norm) : "-", fraction(l.dead_fraction),
                   fraction(l.saturated_fraction)});
  }
  return table.render("  ");
}

std::string summary_text(const TrainSummary& s, const History& h) {
  std::string out = fmt::format("model {} ({} parameters) on {}: {} training, {} validation examples\n", s.model,
                                s.parameters, s.data, s.train_examples, s.validation_examples);
  out += fmt::format("optimizer {}\n", s.optimizer);
  out += stop_text(h) + "\n";
  if (!h.epochs.empty()) {
    const EpochLogs& e = h.epochs.back();
    out += fmt::format("epoch {}: {}", e.epoch + 1, metrics_text(e.loss, e.accuracy));
    if (e.val_loss) out += "  " + metrics_text(*e.val_loss, e.val_accuracy, "val_");
    out += "\n";
  }
  if (s.test) out += fmt::format("test: {} ({} examples)\n", metrics_text(s.test->loss, s.test->accuracy), s.test->examples);
  if (h.anomaly) out += "anomaly: " + h.anomaly->describe() + "\n";
  if (!s.checkpoint.empty()) out += "checkpoint: " + s.checkpoint + "\n";
  if (!h.samples.empty()) {
    out += fmt::format("gradient flow over {} samples:\n", h.samples.size());
    out += gradient_flow_table(h);
  }
  return out;
}

nlohmann::ordered_json summary_json(const TrainSummary& s, const History& h) {
  nlohmann::ordered_json j;
  j["model"] = s.model;
  j["parameters"] = s.parameters;
  j["data"] = s.data;
  j["train_examples"] = s.train_examples;
  j["validation_examples"] = s.validation_examples;
  j["optimizer"] = s.optimizer;
  j["stop_reason"] = stop_reason_name(h.stop_reason);
  j["global_step"] = h.progress.global_step;
  if (s.test) {
    j["test"] = {{"loss", s.test->loss}, {"examples", s.test->examples}};
    if (s.test->accuracy) j["test"]["accuracy"] = *s.test->accuracy;
  } else {
    j["test"] = nullptr;
  }
  j["anomaly"] = h.anomaly ? nlohmann::ordered_json(h.anomaly->describe()) : nlohmann::ordered_json(nullptr);
  j["checkpoint"] = s.checkpoint.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s.checkpoint);
  j["history"] = nlohmann::ordered_json::parse(h.to_json());
  return j;
}

}  // namespace gradlab::cli
