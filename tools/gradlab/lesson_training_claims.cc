#include "lesson_training_claims.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradlab::cli {
namespace {

std::string accuracy(double value) { return std::isnan(value) ? std::string("-") : fmt::format("{:.3f}", value); }

std::string reading(const LessonRun& run) {
  const std::optional<FlowVerdict> v = run.gradient_reading();
  return v ? flow_verdict_name(*v) : "not measured";
}

std::string outcome(const LessonRun& run) {
  if (run.history.anomaly)
    return fmt::format("non-finite at step {} (layer '{}')", run.history.anomaly->step, run.history.anomaly->layer);
  return fmt::format("finite for all {} steps, test accuracy {}", run.history.progress.global_step,
                     accuracy(run.final_test_accuracy()));
}

}  // namespace

std::string vanishing_claim(const LessonTrainingResult& r) {
  const LessonRun& v = r.vanishing;
  const FlowThresholds t;
  const double ratio = v.early_to_late_gradient_ratio();
  const std::optional<FlowVerdict> reading = v.gradient_reading();
  std::string text = fmt::format(
      "{}: the first three Dense layers' gradients are {:.1e} of the last three's (median over training): ",
      v.name, ratio);
  if (reading == FlowVerdict::vanishing) {
    const double gain = v.early_to_late_squared_gain();
    text += fmt::format(
        "vanishing (the squared norm's gain per layer {:.3g}, depth scale {:.3g} layers, and its {} Dense layers are "
        "deeper than {:g} depth scales: Schoenholz et al. 2017), as expected where sigmoid's slope is at most 1/4, "
        "which multiplies the backward signal by at most 1/4 x the weights' gain per layer",
        gain, gain_depth_scale(gain), v.dense_depth(), t.trainable_depth_scales);
  } else if (reading) {
    text += fmt::format("not vanishing at this setting ({})", flow_verdict_name(*reading));
  } else {
    text += "not measured (no finite sample)";
  }
  text += fmt::format("; test accuracy {}, chance {}", accuracy(v.final_test_accuracy()),
                      accuracy(1.0 / static_cast<double>(std::max<int64_t>(r.classes, 1))));
  return text;
}

std::string comparison_claim(const LessonRun& run, const LessonRun& baseline) {
  std::string text = fmt::format("{} ({}): early/late {:.1e} ({}), ", run.name, run.change,
                                 run.early_to_late_gradient_ratio(), reading(run));
  const double a = run.final_test_accuracy(), b = baseline.final_test_accuracy();
  text += fmt::format("test accuracy {}", accuracy(a));
  if (!std::isnan(a) && !std::isnan(b)) {
    text += fmt::format(", {:.3f} {} {}'s {}", std::abs(a - b), a >= b ? "above" : "below", baseline.name,
                        accuracy(b));
  }
  if (run.history.anomaly) {
    text += fmt::format(" (then non-finite at step {} in layer '{}'; the anomaly check stopped it)",
                        run.history.anomaly->step, run.history.anomaly->layer);
  }
  return text;
}

std::string clipping_claim(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  const LessonRun& c = r.exploding_clipped;
  std::string text = fmt::format("{}: {}; with global_clipnorm {:g}: {}", r.exploding.name, outcome(r.exploding),
                                 o.clipnorm, outcome(c));
  const auto [longest, step] = c.largest_update();
  text += fmt::format(
      ". Clipping bounds each step's gradient by {:g}, so with momentum {:g} an update is at most "
      "{:g} x {:g} / (1 - {:g}) = {:.3g} long",
      o.clipnorm, o.sgd_momentum, o.sgd_learning_rate, o.clipnorm, o.sgd_momentum,
      clipped_update_bound(o.sgd_learning_rate, o.clipnorm, o.sgd_momentum));
  if (step >= 0) text += fmt::format("; the longest update measured was {:.3g} (step {})", longest, step);
  return text;
}

std::vector<std::pair<const LessonRun*, const LessonRun*>> compared_runs(const LessonTrainingResult& r) {
  std::vector<std::pair<const LessonRun*, const LessonRun*>> pairs;
  const LessonRun* previous = &r.vanishing;
  for (const LessonRun& run : r.remedies) {
    pairs.emplace_back(&run, previous);
    previous = &run;
  }
  pairs.emplace_back(&r.exploding_clipped, &r.exploding);
  return pairs;
}

}  // namespace gradlab::cli
