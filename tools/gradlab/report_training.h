#pragma once
// The training section of `gradlab report`: the lesson's cases as trained on Fashion-MNIST (gradlab's extension)
// (gradlab/lab/lesson_training.h), as tables and learning-curve charts on an HtmlReport page.
//
//   LessonTrainingResult result = run_lesson_training(load_lesson_data(options), options);
//   HtmlReport page("gradlab report");
//   add_training_section(page, result);
//
// The section shows, in order: a table of every arm over its seeds (test accuracy as mean and range,
// final loss, the early/late gradient ratio, runs the anomaly check stopped); the vanishing case
// (median gradient norm per Dense layer of the deep sigmoid arm beside the other deep arms, and its
// first and last layers' norms over training); each one-change comparison as its measured gap
// (lesson_training_claims.h) with the deep arms' learning curves (training loss over steps, test
// accuracy per epoch); and the exploding case (loss and pre-clip global gradient norm over steps,
// with and without global_clipnorm) with the anomaly check's finding. The charts draw each arm's
// first run (seed index 0); the tables and sentences use every run.
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/lab/lesson_training.h"
#include "html_report.h"
#include "report_charts.h"

namespace gradlab::cli {

/// Adds the section (one level-2 heading, then level-3 headings per claim) to `page`.
void add_training_section(HtmlReport& page, const LessonTrainingResult& result);

/// The study as JSON for `gradlab report --json`: its settings and seeds, then one object per arm
/// (name, description, baseline and change, the test accuracy's and early/late ratio's spread over
/// the seeds: mean, min, max, count of finite values, runs) with its runs (seed, final test accuracy,
/// early/late gradient ratio, stop reason, the anomaly if any). Non-finite numbers become null.
nlohmann::ordered_json training_json(const LessonTrainingResult& result);

/// Median over a run's samples (those with a finite loss) of each Dense layer's gradient norm
/// (LessonRun::dense_grad_norms): one point per layer, x = layer position (1 = input side), series =
/// the run's name; a layer with no finite value is left out.
std::vector<LinePoint> median_dense_grad_norms(const LessonRun& run);

}  // namespace gradlab::cli
