#include "lesson_training_claims.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace gradlab::cli {
namespace {

std::string fixed(double value, int decimals) {
  return std::isfinite(value) ? fmt::format("{:.{}f}", value, decimals) : std::string("-");
}

// "healthy in 3 of 3 runs", the readings that occurred, most frequent first.
std::string readings(const LessonArm& arm) {
  std::vector<std::pair<int64_t, FlowVerdict>> counts;
  for (FlowVerdict v : {FlowVerdict::vanishing, FlowVerdict::healthy, FlowVerdict::exploding}) {
    if (const int64_t n = arm.runs_read_as(v); n > 0) counts.emplace_back(n, v);
  }
  std::stable_sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (counts.empty()) return "not measured";
  std::string text;
  for (const auto& [n, v] : counts) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} in {} of {} runs", flow_verdict_name(v), n, arm.runs.size());
  }
  return text;
}

std::string anomalies(const LessonArm& arm) {
  const int64_t stopped = arm.runs_stopped_by_anomaly();
  if (stopped == 0) return "";
  for (const LessonRun& run : arm.runs) {
    if (run.history.anomaly) {
      return fmt::format("; non-finite in {} of {} runs, first at step {} in layer '{}' (seed index {}; the anomaly "
                         "check stopped it)",
                         stopped, arm.runs.size(), run.history.anomaly->step, run.history.anomaly->layer,
                         run.seed_index);
    }
  }
  return "";
}

}  // namespace

std::string spread_text(const SeedSpread& s, int decimals) {
  if (s.count == 0) return "-";
  const std::string seeds = s.count == s.runs ? fmt::format("{} seed{}", s.runs, s.runs == 1 ? "" : "s")
                                              : fmt::format("{} of {} seeds", s.count, s.runs);
  if (s.count == 1) return fmt::format("{} ({})", fixed(s.mean, decimals), seeds);
  return fmt::format("{} (range {}-{}, {})", fixed(s.mean, decimals), fixed(s.min, decimals), fixed(s.max, decimals),
                     seeds);
}

std::string vanishing_claim(const LessonTrainingResult& r) {
  const LessonArm& v = r.arm("deep_sigmoid");
  const FlowThresholds t;
  const SeedSpread ratio = v.early_to_late_gradient_ratio();
  std::string text = fmt::format("{}: the first three Dense layers' gradients are ", v.name);
  if (ratio.count == 0) {
    text += "not measured (no finite sample)";
  } else {
    text += fmt::format("{:.1e} of the last three's (median over training; mean over {} of {} runs, range {:.1e}-{:.1e}): ",
                        ratio.mean, ratio.count, ratio.runs, ratio.min, ratio.max);
    const int64_t vanished = v.runs_read_as(FlowVerdict::vanishing);
    // The rule each run is read by (instrument/flow_summary.h).
    const std::string rule = fmt::format(
        "its {} Dense layers deeper than {:g} depth scales of the squared norm's gain per layer: Schoenholz et al. 2017",
        v.runs.front().dense_depth(), t.trainable_depth_scales);
    if (vanished == static_cast<int64_t>(v.runs.size())) {
      text += fmt::format(
          "vanishing in {} of {} runs ({}), as expected where sigmoid's slope is at most 1/4, which multiplies "
          "the backward signal by at most 1/4 x the weights' gain per layer",
          vanished, v.runs.size(), rule);
    } else if (vanished > 0) {
      text += fmt::format("vanishing ({}) in only {} of {} runs: {}", rule, vanished, v.runs.size(), readings(v));
    } else {
      text += fmt::format("not vanishing at this setting ({})", readings(v));
    }
  }
  text += fmt::format("; test accuracy {}, chance {}", spread_text(v.test_accuracy()),
                      fixed(1.0 / static_cast<double>(std::max<int64_t>(r.classes, 1)), 3));
  return text;
}

std::string comparison_claim(const LessonArm& arm, const LessonArm& baseline) {
  const SeedSpread ratio = arm.early_to_late_gradient_ratio();
  std::string text = fmt::format("{} ({}): early/late {} ({}), ", arm.name, arm.change,
                                 ratio.count ? fmt::format("{:.1e}", ratio.mean) : "-", readings(arm));
  const SeedSpread a = arm.test_accuracy(), b = baseline.test_accuracy();
  text += fmt::format("test accuracy {} against {}'s {}", spread_text(a), baseline.name, spread_text(b));
  switch (read_gap(a, b)) {
    case GapReading::above:
      text += fmt::format(": {:.3f} above, every run above every run of {}", a.mean - b.mean, baseline.name);
      break;
    case GapReading::below:
      text += fmt::format(": {:.3f} below, every run below every run of {}", b.mean - a.mean, baseline.name);
      break;
    case GapReading::overlapping:
      text += fmt::format(": means {:.3f} apart, not distinguishable at this setting (the ranges overlap)",
                          std::abs(a.mean - b.mean));
      break;
    case GapReading::not_measured:
      text += fmt::format(": no gap measured ({} finished no epoch in any run)", a.count == 0 ? arm.name : baseline.name);
      break;
  }
  return text + anomalies(arm);
}

std::string clipping_claim(const LessonTrainingResult& r) {
  const LessonTrainingOptions& o = r.options;
  const LessonArm& e = r.arm("exploding");
  const LessonArm& c = r.arm("exploding_clipped");
  const auto outcome = [](const LessonArm& arm) {
    const int64_t stopped = arm.runs_stopped_by_anomaly();
    std::string text;
    if (stopped > 0) {
      text = fmt::format("non-finite in {} of {} runs", stopped, arm.runs.size());
      for (const LessonRun& run : arm.runs) {
        if (run.history.anomaly) {
          text += fmt::format(" (seed index {}: step {}, layer '{}')", run.seed_index, run.history.anomaly->step,
                              run.history.anomaly->layer);
          break;
        }
      }
    } else {
      text = fmt::format("finite in all {} runs", arm.runs.size());
    }
    if (arm.test_accuracy().count > 0) text += fmt::format(", test accuracy {}", spread_text(arm.test_accuracy()));
    return text;
  };
  std::string text =
      fmt::format("{}: {}; with global_clipnorm {:g}: {}", e.name, outcome(e), o.clipnorm, outcome(c));
  text += fmt::format(
      ". Clipping bounds each step's gradient by {:g}, so with momentum {:g} an update is at most "
      "{:g} x {:g} / (1 - {:g}) = {:.3g} long",
      o.clipnorm, o.sgd_momentum, o.sgd_learning_rate, o.clipnorm, o.sgd_momentum,
      clipped_update_bound(o.sgd_learning_rate, o.clipnorm, o.sgd_momentum));
  std::pair<double, int64_t> longest{0, -1};
  int64_t seed_index = -1;
  for (const LessonRun& run : c.runs) {
    const auto update = run.largest_update();
    if (update.second >= 0 && (longest.second < 0 || update.first > longest.first)) {
      longest = update;
      seed_index = run.seed_index;
    }
  }
  if (longest.second >= 0) {
    text += fmt::format("; the longest update measured was {:.3g} (seed index {}, step {})", longest.first, seed_index,
                        longest.second);
  }
  return text;
}

std::string reference_claim(const LessonTrainingResult& r) {
  const LessonArm& m = r.arm("mlp");
  return fmt::format("{} reaches test accuracy {}; it is a reference (another shape, Adam), not one change away from "
                     "any arm",
                     m.name, spread_text(m.test_accuracy()));
}

}  // namespace gradlab::cli
