#pragma once
/// The sentences the training study's summaries (terminal and report page) say about each arm, each
/// chosen from the arm's measurements over its seeds and printed with them (issue 14, items 1, 4, 5):
/// "vanishing" only where the early/late gradient ratio is below FlowThresholds' 1e-2, and in how many
/// runs; an arm's effect only as the measured gap in test accuracy to the arm it changes, with both
/// ranges over the seeds, read as above or below only when the ranges do not overlap (read_gap); and
/// clipping's bound as what holds for SGD with momentum beside the longest update measured.

#include <string>

#include "gradlab/lab/lesson_training.h"

namespace gradlab::cli {

/// "0.812 (0.80-0.83, 3 seeds)": a spread's mean and range, or "-" when nothing finite was measured;
/// "(... 2 of 3 seeds)" when some runs gave no value.
std::string spread_text(const SeedSpread& spread, int decimals = 3);

/// What the deep sigmoid arm's gradients did: "the first three Dense layers' gradients are 4.0e-18 of
/// the last three's (median over training; mean over 3 seeds, range ...): vanishing in 3 of 3 runs
/// (below 1e-2)"; with every run vanishing it adds the measured mechanism's bound: sigmoid's slope is
/// at most 1/4. Then the test accuracy beside chance (1 / classes).
std::string vanishing_claim(const LessonTrainingResult& r);

/// An arm against its baseline (LessonArm::baseline), the gap chosen by read_gap: "deep_relu_he
/// (he_uniform instead of glorot_uniform): early/late 1.2e+00 (healthy in 3 of 3 runs), test accuracy
/// 0.586 (0.55-0.60, 3 seeds) against deep_relu_glorot's 0.31 (...): 0.276 above, every run above
/// every run of deep_relu_glorot" — or "0.012 apart, not distinguishable at this setting (the ranges
/// overlap)"; the anomalies when runs overflowed.
std::string comparison_claim(const LessonArm& arm, const LessonArm& baseline);

/// The exploding pair: in how many runs the unclipped arm overflowed (and where, first run), the
/// clipped arm's outcome, the bound that holds (clipped_update_bound) and the longest update measured
/// over the clipped runs, e.g. "... so with momentum 0.9 an update is at most 0.01 x 1 / (1 - 0.9) =
/// 0.1 long; the longest measured was 0.0634 (seed index 1, step 12)".
std::string clipping_claim(const LessonTrainingResult& r);

/// One clause on the reference MLP: its test accuracy, and that it is not one change away from any
/// arm (another shape, Adam).
std::string reference_claim(const LessonTrainingResult& r);

}  // namespace gradlab::cli
