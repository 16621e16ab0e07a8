#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "lesson_training_claims.h"
#include "lesson_training_format.h"

namespace gradlab::cli {
namespace {

// The mean over the runs of the last finished epoch's training loss; "-" without one.
std::string last_loss(const LessonArm& arm) {
  std::vector<double> losses;
  for (const LessonRun& run : arm.runs) {
    losses.push_back(run.history.epochs.empty() ? std::nan("") : run.history.epochs.back().loss);
  }
  const SeedSpread s = seed_spread(losses);
  return s.count ? fmt::format("{:.3g}", s.mean) : "-";
}

std::string arm_line(const LessonArm& arm) {
  const SeedSpread ratio = arm.early_to_late_gradient_ratio();
  double seconds = 0;
  for (const LessonRun& run : arm.runs) seconds += run.seconds;
  std::string line = fmt::format(
      "  {:<22} test acc {:<32}  train loss {:>8}  early/late {:>8}  anomaly {}/{}  {:5.1f} s  {}\n", arm.name,
      spread_text(arm.test_accuracy()), last_loss(arm), ratio.count ? fmt::format("{:.1e}", ratio.mean) : "-",
      arm.runs_stopped_by_anomaly(), arm.runs.size(), seconds, arm.description);
  for (const LessonRun& run : arm.runs) {
    if (run.history.anomaly) {
      line += fmt::format("  {:<22} seed index {} stopped by the anomaly check: {}\n", "", run.seed_index,
                          run.history.anomaly->describe());
      break;
    }
  }
  return line;
}

}  // namespace

std::string format_lesson_training(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  std::string seeds;
  for (uint64_t s : r.seeds) seeds += (seeds.empty() ? "" : ", ") + std::to_string(s);
  std::string out = fmt::format(
      "Training study on {}: {} epochs, batch {}, {} seeds per arm (from study seed {}: {}), {:.0f} s in total\n"
      "test acc: mean over the seeds, then the range (min-max); early/late: mean of each run's median ratio\n\n",
      r.data, o.epochs, o.batch_size, r.seeds.size(), o.seed, seeds, r.seconds);
  for (const LessonArm& arm : r.arms) out += arm_line(arm);

  out += "\nMeasured (each arm against the arm it changes in one thing; the gap is read as above or below only when "
         "the ranges over the seeds do not overlap):\n";
  out += "  " + vanishing_claim(r) + "\n";
  for (const auto& [arm, baseline] : r.comparisons()) {
    if (arm->name != "exploding_clipped") out += "  " + comparison_claim(*arm, *baseline) + "\n";
  }
  out += "  " + clipping_claim(r) + "\n";
  out += "  " + reference_claim(r) + "\n";
  return out;
}

}  // namespace gradlab::cli
