#pragma once
// The terminal tables of `gradlab lesson`.

#include <string>

#include "gradlab/lab/lesson_study.h"

namespace gradlab::cli {

/// The study as aligned tables, one per experiment, each introduced by what it measures and the
/// lesson's point in one sentence.
std::string lesson_text(const LessonStudy& study);

}  // namespace gradlab::cli
