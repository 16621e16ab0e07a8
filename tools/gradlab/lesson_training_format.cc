#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lesson_training_claims.h"
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

}  // namespace

std::string format_lesson_training(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  std::string out = fmt::format("Training study on {}: {} epochs, batch {}, {:.0f} s in total\n\n",
                                r.data, o.epochs, o.batch_size, r.seconds);
  out += run_line(r.mlp);
  out += run_line(r.vanishing);
  for (const LessonRun& run : r.remedies) out += run_line(run);
  out += run_line(r.exploding);
  out += run_line(r.exploding_clipped);

  out += fmt::format("\nMeasured with seed {}, one run per arm (each run against the one it changes):\n", o.seed);
  out += "  " + vanishing_claim(r) + "\n";
  for (const auto& [run, baseline] : compared_runs(r)) {
    if (run != &r.exploding_clipped) out += "  " + comparison_claim(*run, *baseline) + "\n";
  }
  out += "  " + clipping_claim(r) + "\n";
  return out;
}

}  // namespace gradlab::cli
