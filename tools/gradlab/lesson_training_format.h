#pragma once
// The training study's result (gradlab/lab/lesson_training.h) as text for a terminal.

#include <string>

#include "gradlab/lab/lesson_training.h"

namespace gradlab::cli {

/// A terminal summary: per run, the final test accuracy and training loss, the early/late gradient
/// ratio and where the anomaly check stopped it; then what each claim looks like ("vanishing: the
/// first layers' gradients are 4.0e-18 of the last layers'").
std::string format_lesson_training(const LessonTrainingResult& result);

}  // namespace gradlab::cli
