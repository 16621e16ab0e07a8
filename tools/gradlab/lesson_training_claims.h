#pragma once
/// The sentences the training study's summaries (terminal and report page) say about each run, each
/// chosen from the run's measurements and printed with them (issue 14, items 1, 4, 5): "vanishing"
/// only where the early/late gradient ratio is below FlowThresholds' 1e-2, a remedy's effect only
/// as the measured gap to the run it changes, and clipping's bound as what holds for SGD with
/// momentum beside the longest update measured.

#include <string>
#include <utility>
#include <vector>

#include "gradlab/lab/lesson_training.h"

namespace gradlab::cli {

/// What the deep sigmoid run's gradients did: "the first three Dense layers' gradients are 4.0e-18
/// of the last three's (median over training): vanishing (below 1e-2)" or "...: not vanishing at
/// this setting (1e-2 or more)"; then its test accuracy beside chance (1 / classes). With the
/// vanishing reading it adds the measured mechanism's bound: sigmoid's slope is at most 1/4.
std::string vanishing_claim(const LessonTrainingResult& r);

/// A run against its baseline (LessonRun::baseline): "deep_relu_he (relu instead of sigmoid, ...):
/// early/late 1.2e+00 (healthy), test accuracy 0.586, 0.489 above deep_sigmoid's 0.097"; "below" when
/// the gap is negative; the anomaly when the run overflowed. `baseline` is the run named there.
std::string comparison_claim(const LessonRun& run, const LessonRun& baseline);

/// The exploding pair: where the unclipped run overflowed (or that it stayed finite), and the
/// clipped run's outcome with the bound that holds (clipped_update_bound) and the longest update
/// measured, e.g. "global_clipnorm 1 bounds each gradient's length by 1, so with momentum 0.9 an
/// update is at most 0.01 x 1 / (1 - 0.9) = 0.1 long; the longest measured was 0.0634 (step 12)".
std::string clipping_claim(const LessonTrainingResult& r);

/// The runs compared with a baseline, in the study's order: the three deep variants and the clipped
/// exploding run, each with its baseline.
std::vector<std::pair<const LessonRun*, const LessonRun*>> compared_runs(const LessonTrainingResult& r);

}  // namespace gradlab::cli
