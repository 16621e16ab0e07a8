#pragma once
// The JSON form of `gradlab lesson --json`.

#include <nlohmann/json.hpp>

#include "gradlab/lab/lesson_study.h"

namespace gradlab::cli {

/// The study as one object: "command", "version", "options", "kernel_variance", "initializer_theory",
/// "skip_connections" and "depth_grid" (see docs/lesson.md for every field). Keys keep this order;
/// an infinite statistic (a gradient that overflowed; see infinite_fraction) becomes null.
nlohmann::ordered_json lesson_json(const LessonStudy& study);

}  // namespace gradlab::cli
