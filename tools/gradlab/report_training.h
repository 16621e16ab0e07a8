#pragma once
// The training section of `gradlab report`: the lesson's cases as trained on Fashion-MNIST (gradlab's extension)
// (gradlab/lab/lesson_training.h), as tables and learning-curve charts on an HtmlReport page.
//
//   LessonTrainingResult result = run_lesson_training(load_lesson_data(options), options);
//   HtmlReport page("gradlab report");
//   add_training_section(page, result);
//
// The section shows, in order: a table of every run (test accuracy, final loss, the early/late
// gradient ratio, divergence); the vanishing case (median kernel gradient norm per layer of the deep
// sigmoid stack beside the remedies, and its first and last layers' norms over training); the
// remedies' learning curves in one chart (training loss over steps, test accuracy per epoch); and
// the exploding case (loss and pre-clip global gradient norm over steps, with and without
// global_clipnorm) with the anomaly check's finding.
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/lab/lesson_training.h"
#include "html_report.h"
#include "report_charts.h"

namespace gradlab::cli {

/// Adds the section (one level-2 heading, then level-3 headings per claim) to `page`.
void add_training_section(HtmlReport& page, const LessonTrainingResult& result);

/// The study as JSON for `gradlab report --json`: its settings, then one object per run (name,
/// description, final test accuracy, early/late gradient ratio, stop reason, the anomaly if any).
/// Non-finite numbers become null.
nlohmann::ordered_json training_json(const LessonTrainingResult& result);

/// Median over a run's samples (those with a finite loss) of each Dense layer's gradient norm
/// (LessonRun::dense_grad_norms): one point per layer, x = layer position (1 = input side), series =
/// the run's name; a layer with no finite value is left out.
std::vector<LinePoint> median_dense_grad_norms(const LessonRun& run);

}  // namespace gradlab::cli
