#pragma once
// The training study's result (gradlab/lab/lesson_training.h) as text for a terminal.

#include <string>

#include "gradlab/lab/lesson_training.h"

namespace gradlab::cli {

/// A terminal summary: per arm, the test accuracy over its seeds (mean and range), the last training
/// loss's mean, the early/late gradient ratio's mean, how many runs the anomaly check stopped and the
/// seconds; then what each comparison measured (lesson_training_claims.h).
std::string format_lesson_training(const LessonTrainingResult& result);

}  // namespace gradlab::cli
