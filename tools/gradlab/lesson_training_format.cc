#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lesson_training_format.h"

namespace gradlab::cli {
namespace {

std::string fixed(double value) {
  return std::isnan(value) ? std::string("-") : fmt::format("{:.3f}", value);
}

std::string run_line(const LessonRun& run) {
  const EpochLogs* last = run.history.epochs.empty() ? nullptr : &run.history.epochs.back();
  std::string line =
      fmt::format("  {:<19} test acc {:>6}  train loss {:>9}  early/late grad {:>8}  {:6.1f} s  {}\n",
                  run.name, fixed(run.final_test_accuracy()), last ? fmt::format("{:.3g}", last->loss) : "-",
                  fmt::format("{:.1e}", run.early_to_late_gradient_ratio()), run.seconds, run.description);
  if (run.history.anomaly)
    line += fmt::format("  {:<19} stopped by the anomaly check: {}\n", "", run.history.anomaly->describe());
  return line;
}

std::string outcome(const LessonRun& run) {
  if (run.history.anomaly)
    return fmt::format("non-finite at step {} (layer '{}')", run.history.anomaly->step,
                       run.history.anomaly->layer);
  return fmt::format("finite for all {} steps, test accuracy {}", run.history.progress.global_step,
                     fixed(run.final_test_accuracy()));
}

}  // namespace

std::string format_lesson_training(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  std::string out = fmt::format("The lesson's claims on {}: {} epochs, batch {}, {:.0f} s in total\n\n",
                                r.data, o.epochs, o.batch_size, r.seconds);
  out += run_line(r.mlp);
  out += run_line(r.vanishing);
  for (const LessonRun& run : r.remedies) out += run_line(run);
  out += run_line(r.exploding);
  out += run_line(r.exploding_clipped);

  out += "\nWhat it shows:\n";
  out += fmt::format(
      "  vanishing: the first layers' gradients are {:.1e} of the last layers' (median over training) "
      "and the stack reaches {} test accuracy; chance is {}\n",
      r.vanishing.early_to_late_gradient_ratio(), fixed(r.vanishing.final_test_accuracy()),
      fixed(1.0 / static_cast<double>(std::max<int64_t>(r.classes, 1))));
  for (const LessonRun& run : r.remedies) {
    out += fmt::format("  remedy {:<19} early/late {:.1e}, test accuracy {}\n", run.name,
                       run.early_to_late_gradient_ratio(), fixed(run.final_test_accuracy()));
  }
  out += fmt::format("  exploding: {}; with global_clipnorm {:g}: {}\n", outcome(r.exploding), o.clipnorm,
                     outcome(r.exploding_clipped));
  return out;
}

}  // namespace gradlab::cli
