#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "gradlab/train/lesson_training.h"

namespace gradlab {
namespace {

std::string run_line(const TrainingRun& run) {
  const EpochRecord* last = run.epochs.empty() ? nullptr : &run.epochs.back();
  std::string line = fmt::format("  {:<19} test acc {:>6}  train loss {:>9}  early/late grad {:>8}  {:6.1f} s  {}\n",
                                 run.name, last ? fmt::format("{:.3f}", last->test_accuracy) : "-",
                                 last ? fmt::format("{:.3g}", last->loss) : "-",
                                 fmt::format("{:.1e}", run.early_to_late_gradient_ratio()), run.seconds,
                                 run.description);
  if (run.diverged) line += fmt::format("  {:<19} loss non-finite at step {}\n", "", run.diverged_at_step);
  if (run.anomaly) line += fmt::format("  {:<19} anomaly: {}\n", "", run.anomaly->describe());
  return line;
}

}  // namespace

std::string format_lesson_training(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  std::string out = fmt::format("The lesson's claims on {}: {} epochs, batch {}, {:.0f} s in total\n\n", r.data,
                                o.epochs, o.batch_size, r.seconds);
  out += run_line(r.mlp);
  out += run_line(r.vanishing);
  for (const TrainingRun& run : r.remedies) out += run_line(run);
  out += run_line(r.exploding);
  out += run_line(r.exploding_clipped);

  out += "\nWhat it shows:\n";
  out += fmt::format("  vanishing: the first layers' kernel gradients are {:.1e} of the last layers' (median over "
                     "training) and the stack reaches {:.3f} test accuracy; chance is {:.3f}\n",
                     r.vanishing.early_to_late_gradient_ratio(), r.vanishing.final_test_accuracy(),
                     1.0 / static_cast<double>(std::max<int64_t>(r.classes, 1)));
  for (const TrainingRun& run : r.remedies) {
    out += fmt::format("  remedy {:<19} early/late {:.1e}, test accuracy {:.3f}\n", run.name,
                       run.early_to_late_gradient_ratio(), run.final_test_accuracy());
  }
  out += fmt::format("  exploding: {}; with global_clipnorm {:g}: {}\n",
                     r.exploding.diverged ? fmt::format("non-finite loss at step {}", r.exploding.diverged_at_step)
                                          : std::string("stayed finite"),
                     o.clipnorm,
                     r.exploding_clipped.diverged
                         ? fmt::format("non-finite loss at step {}", r.exploding_clipped.diverged_at_step)
                         : fmt::format("finite for all {} steps, test accuracy {:.3f}", r.exploding_clipped.steps,
                                       r.exploding_clipped.final_test_accuracy()));
  return out;
}

}  // namespace gradlab
