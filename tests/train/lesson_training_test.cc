#include "gradlab/train/lesson_training.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

// Three Gaussian blobs in 16 dimensions, one per class: learnable in a few steps.
LessonData blobs(int64_t train, int64_t test) {
  constexpr int64_t kFeatures = 16, kClasses = 3;
  Rng rng(5);
  auto make = [&](int64_t n, Tensor& x, Tensor& y) {
    x = normal({n, kFeatures}, rng);
    std::vector<double> labels(static_cast<std::size_t>(n));
    float* px = x.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = i % kClasses;
      labels[static_cast<std::size_t>(i)] = static_cast<double>(c);
      px[i * kFeatures + c] += 3.0f;  // the class moves its own coordinate
    }
    y = from_values({n}, labels);
  };
  LessonData d;
  make(train, d.train_images, d.train_labels);
  make(test, d.test_images, d.test_labels);
  d.classes = kClasses;
  d.description = "blobs";
  return d;
}

LessonTrainingOptions tiny_options() {
  LessonTrainingOptions o;
  o.epochs = 2;
  o.batch_size = 32;
  o.depth = 8;
  o.width = 16;
  o.sample_every = 2;
  o.exploding_stddev = 2.0;
  return o;
}

class LessonTrainingStudy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { result_ = new LessonTrainingResult(run_lesson_training(blobs(192, 60), tiny_options())); }
  static void TearDownTestSuite() {
    delete result_;
    result_ = nullptr;
  }
  static const LessonTrainingResult& result() { return *result_; }

 private:
  static inline LessonTrainingResult* result_ = nullptr;
};

TEST_F(LessonTrainingStudy, RunsEveryCaseOfTheLessonInOrder) {
  const LessonTrainingResult& r = result();
  EXPECT_EQ(r.mlp.name, "mlp");
  EXPECT_EQ(r.vanishing.name, "deep_sigmoid");
  ASSERT_EQ(r.remedies.size(), 3u);
  EXPECT_EQ(r.remedies[0].name, "deep_relu_he");
  EXPECT_EQ(r.remedies[1].name, "deep_residual");
  EXPECT_EQ(r.remedies[2].name, "deep_residual_norm");
  EXPECT_EQ(r.exploding.name, "exploding");
  EXPECT_EQ(r.exploding_clipped.name, "exploding_clipped");
  EXPECT_EQ(r.data, "blobs");
}

TEST_F(LessonTrainingStudy, SamplesEveryDenseKernelOnSchedule) {
  const LessonTrainingResult& r = result();
  // 192 examples in batches of 32: 6 steps per epoch, 12 in all, sampled at 0, 2, ..., 10.
  for (const TrainingRun* run : {&r.vanishing, &r.remedies[0], &r.remedies[1], &r.remedies[2], &r.exploding_clipped}) {
    SCOPED_TRACE(run->name);
    ASSERT_EQ(run->layers.size(), 9u);  // depth 8 and the output layer
    EXPECT_EQ(run->layers.front(), "dense_1");
    EXPECT_EQ(run->layers.back(), "logits");
    EXPECT_EQ(run->steps, 12);
    ASSERT_EQ(run->epochs.size(), 2u);
    EXPECT_EQ(run->epochs[1].epoch, 2);
    ASSERT_EQ(run->samples.size(), 6u);
    for (std::size_t i = 0; i < run->samples.size(); ++i) {
      EXPECT_EQ(run->samples[i].step, static_cast<int64_t>(2 * i));
      EXPECT_EQ(run->samples[i].kernel_grad_norms.size(), 9u);
      EXPECT_GT(run->samples[i].global_norm, 0.0);
    }
    EXPECT_FALSE(run->diverged);
    EXPECT_FALSE(run->anomaly.has_value()) << run->anomaly->describe();
  }
  ASSERT_EQ(r.mlp.layers.size(), 4u);
  EXPECT_TRUE(std::isnan(r.mlp.early_to_late_gradient_ratio()));  // too shallow to compare ends
}

TEST_F(LessonTrainingStudy, DeepSigmoidStackHasVanishingGradientsAndTheRemediesDoNot) {
  const LessonTrainingResult& r = result();
  EXPECT_LT(r.vanishing.early_to_late_gradient_ratio(), 1e-2);
  for (const TrainingRun& run : r.remedies) {
    EXPECT_GT(run.early_to_late_gradient_ratio(), 0.1) << run.name;
  }
}

TEST_F(LessonTrainingStudy, TheRemediesAndTheMlpLearn) {
  const LessonTrainingResult& r = result();
  // Three well-separated blobs: chance is 1/3.
  EXPECT_GT(r.mlp.final_test_accuracy(), 0.9);
  EXPECT_GT(r.remedies[2].final_test_accuracy(), 0.6);
}

TEST_F(LessonTrainingStudy, ExplodingRunDivergesWithTheAnomalyNamingALayerAndClippingKeepsItFinite) {
  const LessonTrainingResult& r = result();
  EXPECT_TRUE(r.exploding.diverged);
  EXPECT_GE(r.exploding.diverged_at_step, 1);  // step 0's loss is finite; its update throws the weights out
  ASSERT_TRUE(r.exploding.anomaly.has_value());
  const Anomaly& a = *r.exploding.anomaly;
  EXPECT_TRUE(a.layer.rfind("dense_", 0) == 0 || a.layer == "logits") << a.describe();
  EXPECT_GE(a.nonfinite_count, 1);
  EXPECT_LE(a.step, r.exploding.diverged_at_step);
  EXPECT_TRUE(std::isnan(r.exploding.epochs.back().loss));

  EXPECT_FALSE(r.exploding_clipped.diverged);
  for (const GradientSample& s : r.exploding_clipped.samples) EXPECT_TRUE(std::isfinite(s.loss)) << s.step;
  // Same initialization: both runs start from the same loss.
  ASSERT_FALSE(r.exploding.samples.empty());
  EXPECT_EQ(r.exploding.samples[0].loss, r.exploding_clipped.samples[0].loss);
}

TEST_F(LessonTrainingStudy, SummaryNamesEveryRunAndTheDivergence) {
  const std::string text = format_lesson_training(result());
  for (const char* name : {"mlp", "deep_sigmoid", "deep_relu_he", "deep_residual", "deep_residual_norm",
                           "exploding", "exploding_clipped", "anomaly: step", "global_clipnorm 1", "chance is 0.333"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
  }
}

TEST(EarlyToLateGradientRatio, IsTheMedianOfFirstThreeOverLastThree) {
  TrainingRun run;
  auto sample = [](double early, double late) {
    return GradientSample{.loss = 1, .kernel_grad_norms = {early, early, early, 1, 1, late, late, late}};
  };
  run.samples = {sample(1e-6, 1), sample(1e-4, 1), sample(1, 1e-2)};
  EXPECT_DOUBLE_EQ(run.early_to_late_gradient_ratio(), 1e-4);
  // Samples with a non-finite loss are left out.
  run.samples.push_back({.loss = NAN, .kernel_grad_norms = std::vector<double>(8, 1.0)});
  EXPECT_DOUBLE_EQ(run.early_to_late_gradient_ratio(), 1e-4);
  EXPECT_TRUE(std::isnan(TrainingRun{}.early_to_late_gradient_ratio()));
}

TEST(LessonTraining, RejectsOptionsOutOfRangeNamingThem) {
  const LessonData data = blobs(12, 6);
  LessonTrainingOptions o = tiny_options();
  o.depth = 3;
  EXPECT_NE(error_of([&] { run_lesson_training(data, o); }).find("depth = 3"), std::string::npos);
  o = tiny_options();
  o.batch_size = 0;
  EXPECT_NE(error_of([&] { run_lesson_training(data, o); }).find("batch_size = 0"), std::string::npos);
  o = tiny_options();
  o.clipnorm = -1;
  EXPECT_NE(error_of([&] { run_lesson_training(data, o); }).find("clipnorm = -1"), std::string::npos);
}

TEST(LessonTraining, RejectsMismatchedData) {
  LessonData data = blobs(12, 6);
  data.test_images = zeros({6, 5});
  EXPECT_NE(error_of([&] { run_lesson_training(data, tiny_options()); }).find("16 features but test images 5"),
            std::string::npos);
  data = blobs(12, 6);
  data.train_labels = zeros({11});
  EXPECT_NE(error_of([&] { run_lesson_training(data, tiny_options()); }).find("train labels must be float32 [12]"),
            std::string::npos);
}

TEST(LessonTraining, MissingDataDirectoryIsAnErrorNamingTheFile) {
  LessonTrainingOptions o;
  o.data_dir = "/nonexistent/fashion";
  EXPECT_NE(error_of([&] { load_lesson_data(o); }).find("/nonexistent/fashion"), std::string::npos);
}

}  // namespace
}  // namespace gradlab
