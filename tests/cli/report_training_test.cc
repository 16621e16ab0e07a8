#include "report_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "lesson_training_claims.h"
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
  r.remedies[0].baseline = "deep_sigmoid";
  r.remedies[0].change = "relu instead of sigmoid, he_uniform instead of glorot_uniform";
  return r;
}

// A result whose sigmoid stack's gradients did not vanish: early/late near 1.
LessonTrainingResult healthy_sigmoid_result() {
  LessonTrainingResult r = small_result();
  r.vanishing = run_with("deep_sigmoid", {{0.5, 0.5, 0.5, 1, 1, 1}});
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
        "exploding_clipped", "stopped by the anomaly check: step", "global_clipnorm 1", "chance 0.333",
        "vanishing (the squared norm's gain per layer", "= 0.1 long"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

// Issue 14, item 5: "vanishing" and sigmoid's slope bound only where the measured ratio is below 1e-2.
TEST(LessonTrainingClaims, VanishingOnlyWhereMeasured) {
  const std::string vanished = vanishing_claim(small_result());
  EXPECT_NE(vanished.find("vanishing (the squared norm's gain per layer"), std::string::npos) << vanished;
  EXPECT_NE(vanished.find("deeper than 6 depth scales: Schoenholz et al. 2017"), std::string::npos) << vanished;
  EXPECT_NE(vanished.find("at most 1/4"), std::string::npos) << vanished;
  const std::string healthy = vanishing_claim(healthy_sigmoid_result());
  EXPECT_NE(healthy.find("5.0e-01"), std::string::npos) << healthy;
  EXPECT_NE(healthy.find("not vanishing at this setting (healthy)"), std::string::npos) << healthy;
  EXPECT_EQ(healthy.find("1/4"), std::string::npos) << healthy;
  for (const std::string& text : {format_lesson_training(healthy_sigmoid_result()), [] {
         HtmlReport page("report");
         add_training_section(page, healthy_sigmoid_result());
         return page.render();
       }()}) {
    EXPECT_EQ(text.find("vanishing (below"), std::string::npos);
    EXPECT_EQ(text.find("lesson's claim"), std::string::npos);
    EXPECT_EQ(text.find("lesson&#39;s claim"), std::string::npos);
  }
  EXPECT_EQ(format_lesson_training(healthy_sigmoid_result()).find("remedy"), std::string::npos);
}

// Issue 14, item 4: a run is compared as the measured gap to the run it changes, every change named.
TEST(LessonTrainingClaims, ComparisonIsTheMeasuredGap) {
  LessonTrainingResult r = small_result();
  r.vanishing.history.epochs.back().val_accuracy = 0.1;
  const std::string text = comparison_claim(r.remedies[0], r.vanishing);
  EXPECT_NE(text.find("relu instead of sigmoid, he_uniform instead of glorot_uniform"), std::string::npos) << text;
  EXPECT_NE(text.find("test accuracy 0.750, 0.650 above deep_sigmoid's 0.100"), std::string::npos) << text;
  const std::string reverse = comparison_claim(r.vanishing, r.remedies[0]);
  EXPECT_NE(reverse.find("0.650 below deep_relu_he's 0.750"), std::string::npos) << reverse;
}

// Issue 14, item 1: with momentum 0.9 a clipped update can reach 10 x lr x c; the longest measured
// update (root of the sum of the layers' squared update norms) is printed beside the bound.
TEST(LessonTrainingClaims, ClippingStatesTheBoundThatHoldsAndTheLongestUpdate) {
  LessonTrainingResult r = small_result();
  r.exploding_clipped.history.samples[0].layers[0].update_norm = 0.03;
  r.exploding_clipped.history.samples[0].layers[1].update_norm = 0.04;
  const auto [longest, step] = r.exploding_clipped.largest_update();
  EXPECT_DOUBLE_EQ(longest, 0.05);
  EXPECT_EQ(step, 0);
  EXPECT_DOUBLE_EQ(clipped_update_bound(0.01, 1.0, 0.9), 0.1);
  const std::string text = clipping_claim(r);
  EXPECT_NE(text.find("at most 0.01 x 1 / (1 - 0.9) = 0.1 long"), std::string::npos) << text;
  EXPECT_NE(text.find("the longest update measured was 0.05 (step 0)"), std::string::npos) << text;
  EXPECT_EQ(text.find("no update is longer than"), std::string::npos) << text;
}

TEST(LessonTrainingClaims, LargestUpdateSkipsNonFiniteSteps) {
  LessonRun run = run_with("r", {std::vector<double>(6, 1.0)}, true);
  run.history.samples.back().layers[0].update_norm = 5;  // the overflowed step (loss NaN)
  EXPECT_EQ(run.largest_update().second, 0);
  EXPECT_EQ(LessonRun{}.largest_update().second, -1);
}

TEST(TrainingSection, ShowsEveryRunTheVanishingRatioAndTheAnomaly) {
  HtmlReport page("report");
  add_training_section(page, small_result());
  EXPECT_EQ(page.chart_count(), 6);
  const std::string html = page.render();
  for (const char* text :
       {"deep_sigmoid", "deep_residual_norm", "exploding_clipped", "layer &#39;dense_4&#39;",
        "step 20, dense_4", "0.750", "chance 0.333", "for all 0 steps", "vanishing (the squared norm&#39;s gain per layer",
        "deep_relu_he (relu instead of sigmoid, he_uniform instead of glorot_uniform): early/late",
        "(then non-finite at step 20 in layer &#39;dense_4&#39;; the anomaly check stopped it)"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace gradlab::cli
