#include "report_training.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace gradlab::cli {
namespace {

TrainingRun run_with(std::string name, std::vector<std::vector<double>> norms, bool diverged = false) {
  TrainingRun run;
  run.name = std::move(name);
  run.description = run.name + " model";
  run.layers = {"dense_1", "dense_2", "dense_3", "dense_4", "dense_5", "logits"};
  for (std::size_t i = 0; i < norms.size(); ++i) {
    run.samples.push_back({.step = static_cast<int64_t>(10 * i), .loss = 1.0, .kernel_grad_norms = norms[i], .global_norm = 2});
  }
  run.epochs.push_back({.epoch = 1, .loss = 0.5, .accuracy = 0.8, .test_loss = 0.6, .test_accuracy = 0.75});
  if (diverged) {
    run.samples.push_back({.step = 20, .loss = NAN, .kernel_grad_norms = std::vector<double>(6, NAN), .global_norm = NAN});
    run.diverged = true;
    run.diverged_at_step = 20;
    run.anomaly = Anomaly{.step = 20, .layer = "dense_4", .op = "dense", .tensor = "float32[8, 4]", .nonfinite_count = 3};
  }
  return run;
}

LessonTrainingResult small_result() {
  const std::vector<double> level(6, 1.0);
  LessonTrainingResult r;
  r.data = "blobs";
  r.classes = 3;
  r.mlp = run_with("mlp", {level});
  r.vanishing = run_with("deep_sigmoid", {{1e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}, {3e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}});
  for (const char* name : {"deep_relu_he", "deep_residual", "deep_residual_norm"}) r.remedies.push_back(run_with(name, {level}));
  r.exploding = run_with("exploding", {level}, true);
  r.exploding_clipped = run_with("exploding_clipped", {level});
  return r;
}

TEST(MedianKernelGradNorms, OnePointPerLayerLeavingOutNonFiniteSteps) {
  const TrainingRun run = run_with("r", {{1, 2, 3, 4, 5, 6}, {3, 2, 3, 4, 5, 6}, {2, 2, 3, 4, 5, 6}}, true);
  const std::vector<LinePoint> p = median_kernel_grad_norms(run);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].series, "r");
  EXPECT_EQ(p[0].x, 1.0);
  EXPECT_EQ(p[0].y, 2.0);  // median of 1, 3, 2; the diverged step's NaN is left out
  EXPECT_EQ(p[5].x, 6.0);
  EXPECT_EQ(p[5].y, 6.0);
}

TEST(TrainingSection, ShowsEveryRunTheVanishingRatioAndTheAnomaly) {
  HtmlReport page("report");
  add_training_section(page, small_result());
  EXPECT_EQ(page.chart_count(), 6);
  const std::string html = page.render();
  for (const char* text : {"deep_sigmoid", "deep_residual_norm", "exploding_clipped", "layer &#39;dense_4&#39;",
                           "the loss is non-finite at step 20", "0.750", "chance is 0.333"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace gradlab::cli
