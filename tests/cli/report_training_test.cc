#include "report_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// An arm of one run per accuracy, every run with the same gradient norms.
LessonArm arm_with(std::string name, const std::vector<double>& accuracies, const std::vector<std::vector<double>>& norms,
                   bool overflowed = false) {
  LessonArm arm{.name = name, .description = name + " model"};
  for (std::size_t i = 0; i < accuracies.size(); ++i) {
    LessonRun run = run_with(name, norms, overflowed);
    run.seed = 100 + i;
    run.seed_index = static_cast<int64_t>(i);
    run.history.epochs.back().val_accuracy = accuracies[i];
    arm.runs.push_back(std::move(run));
  }
  return arm;
}

LessonTrainingResult small_result() {
  const std::vector<double> level(6, 1.0);
  LessonTrainingResult r;
  r.data = "blobs";
  r.classes = 3;
  r.seeds = {100, 101, 102};
  const std::vector<std::vector<double>> vanishing = {{1e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}, {3e-9, 1e-8, 1e-6, 1e-3, 0.1, 1}};
  r.arms = {arm_with("mlp", {0.9, 0.91, 0.92}, {level}),
            arm_with("deep_sigmoid", {0.33, 0.34, 0.33}, vanishing),
            arm_with("deep_relu_glorot", {0.40, 0.70, 0.50}, {level}),
            arm_with("deep_relu_he", {0.75, 0.76, 0.74}, {level}, true),
            arm_with("deep_residual_unscaled", {0.8, 0.8, 0.8}, {level}),
            arm_with("deep_residual", {0.8, 0.8, 0.8}, {level}),
            arm_with("deep_residual_norm", {0.85, 0.86, 0.87}, {level}),
            arm_with("exploding", {NAN, NAN, NAN}, {level}, true),
            arm_with("exploding_clipped", {0.6, 0.6, 0.6}, {level})};
  const std::pair<const char*, const char*> baselines[] = {{"deep_relu_glorot", "deep_sigmoid"},
                                                           {"deep_relu_he", "deep_relu_glorot"},
                                                           {"deep_residual_unscaled", "deep_relu_he"},
                                                           {"deep_residual", "deep_residual_unscaled"},
                                                           {"deep_residual_norm", "deep_residual"},
                                                           {"exploding_clipped", "exploding"}};
  for (const auto& [arm, baseline] : baselines) {
    for (LessonArm& a : r.arms) {
      if (a.name == arm) {
        a.baseline = baseline;
        a.change = std::string("the change of ") + arm;
      }
    }
  }
  return r;
}

LessonArm& arm_of(LessonTrainingResult& r, const std::string& name) {
  for (LessonArm& a : r.arms) {
    if (a.name == name) return a;
  }
  throw std::runtime_error(name);
}

// A result whose sigmoid stack's gradients did not vanish: early/late near 1.
LessonTrainingResult healthy_sigmoid_result() {
  LessonTrainingResult r = small_result();
  arm_of(r, "deep_sigmoid") = arm_with("deep_sigmoid", {0.33, 0.34, 0.33}, {{0.5, 0.5, 0.5, 1, 1, 1}});
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
TEST(LessonTrainingSummary, NamesEveryArmTheSpreadAndTheAnomaly) {
  const std::string text = format_lesson_training(small_result());
  for (const char* name :
       {"mlp", "deep_sigmoid", "deep_relu_glorot", "deep_relu_he", "deep_residual_unscaled", "deep_residual_norm",
        "exploding", "exploding_clipped", "3 seeds per arm", "100, 101, 102",
        "seed index 0 stopped by the anomaly check: step", "global_clipnorm 1", "chance 0.333",
        "vanishing in 3 of 3 runs (its ", "= 0.1 long", "0.533 (range 0.400-0.700, 3 seeds)",
        "not one change away from any arm"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
  EXPECT_EQ(text.find("fixes"), std::string::npos) << text;
}

// Issue 14, item 5: "vanishing" and sigmoid's slope bound only where the measured ratio is below 1e-2.
TEST(LessonTrainingClaims, VanishingOnlyWhereMeasured) {
  const std::string vanished = vanishing_claim(small_result());
  EXPECT_NE(vanished.find("vanishing in 3 of 3 runs (its "), std::string::npos) << vanished;
  EXPECT_NE(vanished.find("deeper than 6 depth scales of the squared norm's gain per layer: Schoenholz et al. 2017"),
            std::string::npos) << vanished;
  EXPECT_NE(vanished.find("at most 1/4"), std::string::npos) << vanished;
  const std::string healthy = vanishing_claim(healthy_sigmoid_result());
  EXPECT_NE(healthy.find("5.0e-01"), std::string::npos) << healthy;
  EXPECT_NE(healthy.find("not vanishing at this setting (healthy in 3 of 3 runs)"), std::string::npos) << healthy;
  EXPECT_EQ(healthy.find("1/4"), std::string::npos) << healthy;
  // One of three runs vanishing: said as such, without the mechanism.
  LessonTrainingResult mixed = healthy_sigmoid_result();
  LessonTrainingResult vanished_result = small_result();
  arm_of(mixed, "deep_sigmoid").runs[1] = arm_of(vanished_result, "deep_sigmoid").runs[1];
  const std::string some = vanishing_claim(mixed);
  EXPECT_NE(some.find("Schoenholz et al. 2017) in only 1 of 3 runs: healthy in 2 of 3 runs, vanishing in 1 of 3 runs"),
            std::string::npos)
      << some;
  EXPECT_EQ(some.find("1/4"), std::string::npos) << some;
  for (const std::string& text : {format_lesson_training(healthy_sigmoid_result()), [] {
         HtmlReport page("report");
         add_training_section(page, healthy_sigmoid_result());
         return page.render();
       }()}) {
    EXPECT_EQ(text.find("vanishing in 3"), std::string::npos);
    EXPECT_EQ(text.find("lesson's claim"), std::string::npos);
    EXPECT_EQ(text.find("lesson&#39;s claim"), std::string::npos);
  }
  EXPECT_EQ(format_lesson_training(healthy_sigmoid_result()).find("remedy"), std::string::npos);
}

// Issue 14, item 4: an arm is compared as the measured gap to the arm it changes, with both spreads;
// above or below only when the ranges over the seeds do not overlap.
TEST(LessonTrainingClaims, ComparisonWordsTheGapFromTheSpreads) {
  LessonTrainingResult r = small_result();
  const LessonArm& sigmoid = arm_of(r, "deep_sigmoid");
  const LessonArm& glorot = arm_of(r, "deep_relu_glorot");
  const LessonArm& he = arm_of(r, "deep_relu_he");
  // 0.40-0.70 against 0.33-0.34: every run above.
  const std::string above = comparison_claim(glorot, sigmoid);
  EXPECT_NE(above.find("deep_relu_glorot (the change of deep_relu_glorot)"), std::string::npos) << above;
  EXPECT_NE(above.find("test accuracy 0.533 (range 0.400-0.700, 3 seeds) against deep_sigmoid's 0.333 (range "
                       "0.330-0.340, 3 seeds): 0.200 above, every run above every run of deep_sigmoid"),
            std::string::npos)
      << above;
  const std::string below = comparison_claim(sigmoid, glorot);
  EXPECT_NE(below.find(": 0.200 below, every run below every run of deep_relu_glorot"), std::string::npos) << below;
  // 0.74-0.76 against 0.40-0.70: the means are 0.217 apart but the ranges do not overlap: above.
  EXPECT_NE(comparison_claim(he, glorot).find("0.217 above"), std::string::npos);
  // A gap inside the spread: 0.45-0.75 against 0.40-0.70.
  arm_of(r, "deep_relu_he") = arm_with("deep_relu_he", {0.45, 0.75, 0.60}, {std::vector<double>(6, 1.0)});
  const std::string inside = comparison_claim(arm_of(r, "deep_relu_he"), glorot);
  EXPECT_NE(inside.find(": means 0.067 apart, not distinguishable at this setting (the ranges overlap)"),
            std::string::npos)
      << inside;
  EXPECT_EQ(inside.find("above"), std::string::npos) << inside;
  // Identical results: not distinguishable, never "fixes".
  const std::string same = comparison_claim(arm_of(r, "deep_residual"), arm_of(r, "deep_residual_unscaled"));
  EXPECT_NE(same.find("means 0.000 apart, not distinguishable at this setting"), std::string::npos) << same;
  // A baseline that never finished an epoch: no gap.
  const std::string none = comparison_claim(arm_of(r, "exploding_clipped"), arm_of(r, "exploding"));
  EXPECT_NE(none.find("no gap measured (exploding finished no epoch in any run)"), std::string::npos) << none;
  // Overflowed runs are counted.
  LessonTrainingResult original = small_result();
  const std::string overflowed = comparison_claim(arm_of(original, "deep_relu_he"), arm_of(original, "deep_relu_glorot"));
  EXPECT_NE(overflowed.find("non-finite in 3 of 3 runs, first at step 20 in layer 'dense_4' (seed index 0"),
            std::string::npos)
      << overflowed;
}

TEST(LessonTrainingClaims, SpreadTextSaysHowManySeedsGaveAValue) {
  EXPECT_EQ(spread_text(seed_spread({0.5, 0.7})), "0.600 (range 0.500-0.700, 2 seeds)");
  EXPECT_EQ(spread_text(seed_spread({0.5, NAN})), "0.500 (1 of 2 seeds)");
  EXPECT_EQ(spread_text(seed_spread({NAN})), "-");
}

// Issue 14, item 1: with momentum 0.9 a clipped update can reach 10 x lr x c; the longest measured
// update (root of the sum of the layers' squared update norms) is printed beside the bound.
TEST(LessonTrainingClaims, ClippingStatesTheBoundThatHoldsAndTheLongestUpdate) {
  LessonTrainingResult r = small_result();
  LessonRun& clipped = arm_of(r, "exploding_clipped").runs[1];
  clipped.history.samples[0].layers[0].update_norm = 0.03;
  clipped.history.samples[0].layers[1].update_norm = 0.04;
  const auto [longest, step] = clipped.largest_update();
  EXPECT_DOUBLE_EQ(longest, 0.05);
  EXPECT_EQ(step, 0);
  EXPECT_DOUBLE_EQ(clipped_update_bound(0.01, 1.0, 0.9), 0.1);
  const std::string text = clipping_claim(r);
  EXPECT_NE(text.find("at most 0.01 x 1 / (1 - 0.9) = 0.1 long"), std::string::npos) << text;
  EXPECT_NE(text.find("the longest update measured was 0.05 (seed index 1, step 0)"), std::string::npos) << text;
  EXPECT_NE(text.find("exploding: non-finite in 3 of 3 runs (seed index 0: step 20, layer 'dense_4')"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("no update is longer than"), std::string::npos) << text;
}

TEST(LessonTrainingClaims, LargestUpdateSkipsNonFiniteSteps) {
  LessonRun run = run_with("r", {std::vector<double>(6, 1.0)}, true);
  run.history.samples.back().layers[0].update_norm = 5;  // the overflowed step (loss NaN)
  EXPECT_EQ(run.largest_update().second, 0);
  EXPECT_EQ(LessonRun{}.largest_update().second, -1);
}

TEST(TrainingSection, ShowsEveryArmTheVanishingRatioAndTheAnomaly) {
  HtmlReport page("report");
  add_training_section(page, small_result());
  EXPECT_EQ(page.chart_count(), 6);
  const std::string html = page.render();
  for (const char* text :
       {"deep_sigmoid", "deep_relu_glorot", "deep_residual_unscaled", "deep_residual_norm", "exploding_clipped",
        "layer &#39;dense_4&#39;", "3 of 3 runs; first: step 20, dense_4", "0.750 (range 0.740-0.760, 3 seeds)",
        "chance 0.333", "vanishing in 3 of 3 runs (its ", "One change at a time: measured gaps over 3 seeds",
        "deep_relu_he (the change of deep_relu_he): early/late",
        "non-finite in 3 of 3 runs, first at step 20 in layer &#39;dense_4&#39;"}) {
    EXPECT_NE(html.find(text), std::string::npos) << text;
  }
}

TEST(TrainingJson, OneObjectPerArmWithItsSpreadAndRuns) {
  const nlohmann::ordered_json json = training_json(small_result());
  ASSERT_EQ(json["arms"].size(), 9u);
  EXPECT_EQ(json["seeds"], nlohmann::ordered_json({100, 101, 102}));
  const nlohmann::ordered_json& glorot = json["arms"][2];
  EXPECT_EQ(glorot["name"], "deep_relu_glorot");
  EXPECT_EQ(glorot["baseline"], "deep_sigmoid");
  EXPECT_DOUBLE_EQ(glorot["test_accuracy"]["min"].get<double>(), 0.4);
  EXPECT_DOUBLE_EQ(glorot["test_accuracy"]["max"].get<double>(), 0.7);
  EXPECT_EQ(glorot["runs"].size(), 3u);
  EXPECT_EQ(glorot["runs"][1]["seed"], 101);
  EXPECT_TRUE(json["arms"][0]["baseline"].is_null());
  EXPECT_TRUE(json["arms"][7]["test_accuracy"]["mean"].is_null());
}

}  // namespace
}  // namespace gradlab::cli
