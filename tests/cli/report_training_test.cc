#include "report_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lesson_training_format.h"

namespace gradlab::cli {
namespace {

const std::vector<std::string> kLayers = {"dense_1", "dense_2", "dense_3", "dense_4", "dense_5", "logits"};

TrainingSample sample_of(int64_t step, const std::vector<double>& norms, double loss = 1.0) {
  TrainingSample s{.step = step, .loss = loss, .global_grad_norm = 2};
  for (std::size_t k = 0; k < norms.size(); ++k)
    s.layers.push_back({.layer = kLayers[k], .grad_norm = norms[k]});
  return s;
}

LessonRun run_with(std::string name, const std::vector<std::vector<double>>& norms, bool overflowed = false) {
  LessonRun run;
  run.name = std::move(name);
  run.description = run.name + " model";
  run.dense_layers = kLayers;
  for (std::size_t i = 0; i < norms.size(); ++i)
    run.history.samples.push_back(sample_of(static_cast<int64_t>(10 * i), norms[i]));
  run.history.epochs.push_back(
      {.epoch = 0, .loss = 0.5, .accuracy = 0.8, .val_loss = 0.6, .val_accuracy = 0.75});
  if (overflowed) {
    run.history.samples.push_back(sample_of(20, std::vector<double>(6, NAN), NAN));
    run.history.stop_reason = StopReason::anomaly;
    run.history.anomaly = Anomaly{
        .step = 20, .layer = "dense_4", .op = "dense", .tensor = "float32[8, 4]", .nonfinite_count = 3};
  }
  return run;
}

LessonTrainingResult small_result() {
  const std::vector<double> level(6, 1.0);
  LessonTrainingResult r;
  r.data = "blobs";
  r.classes = 3;
  r.mlp = run_with("mlp", {level});
  r.vanishing =
      run_with("deep_sigmoid", {{1e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}, {3e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}});
  r.remedies.push_back(run_with("deep_relu_he", {level}, true));
  for (const char* name : {"deep_residual", "deep_residual_norm"})
    r.remedies.push_back(run_with(name, {level}));
  r.exploding = run_with("exploding", {level}, true);
  r.exploding_clipped = run_with("exploding_clipped", {level});
  return r;
}

TEST(MedianDenseGradNorms, OnePointPerLayerLeavingOutNonFiniteSteps) {
  const LessonRun run = run_with("r", {{1, 2, 3, 4, 5, 6}, {3, 2, 3, 4, 5, 6}, {2, 2, 3, 4, 5, 6}}, true);
  const std::vector<LinePoint> p = median_dense_grad_norms(run);
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].series, "r");
  EXPECT_EQ(p[0].x, 1.0);
  EXPECT_EQ(p[0].y, 2.0);  // median of 1, 3, 2; the overflowed step's NaN is left out
  EXPECT_EQ(p[5].x, 6.0);
  EXPECT_EQ(p[5].y, 6.0);
}

// The terminal summary (tools/gradlab/lesson_training_format.cc) of the same kind of result.
TEST(LessonTrainingSummary, NamesEveryRunAndTheAnomaly) {
  const std::string text = format_lesson_training(small_result());
  for (const char* name :
       {"mlp", "deep_sigmoid", "deep_relu_he", "deep_residual", "deep_residual_norm", "exploding",
        "exploding_clipped", "stopped by the anomaly check: step", "global_clipnorm 1", "chance is 0.333"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

TEST(TrainingSection, ShowsEveryRunTheVanishingRatioAndTheAnomaly) {
  HtmlReport page("report");
  add_training_section(page, small_result());
  EXPECT_EQ(page.chart_count(), 6);
  const std::string html = page.render();
  for (const char* text :
       {"deep_sigmoid", "deep_residual_norm", "exploding_clipped", "layer &#39;dense_4&#39;",
        "step 20, dense_4", "0.750", "chance is 0.333", "for all 0 steps",
        "deep_relu_he reaches 0.750 test accuracy (then overflowed at step 20 in layer &#39;dense_4&#39;"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace gradlab::cli
