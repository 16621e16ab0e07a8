#include "gradlab/lab/lesson_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "gradlab/io/model_spec.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

// Three Gaussian blobs in 16 dimensions, one per class: learnable in a few steps.
DataSplits blobs(int64_t train, int64_t test) {
  constexpr int64_t kFeatures = 16, kClasses = 3;
  Rng rng(5);
  auto make = [&](int64_t n, const char* name) {
    Tensor x = normal({n, kFeatures}, rng);
    std::vector<double> labels(static_cast<std::size_t>(n));
    float* px = x.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = i % kClasses;
      labels[static_cast<std::size_t>(i)] = static_cast<double>(c);
      px[i * kFeatures + c] += 3.0f;  // the class moves its own coordinate
    }
    return Dataset{.features = x, .labels = from_values({n}, labels), .classes = kClasses, .name = name};
  };
  return {.train = make(train, "blobs"), .test = make(test, "blobs/test")};
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
  static void SetUpTestSuite() {
    result_ = new LessonTrainingResult(run_lesson_training(blobs(192, 60), tiny_options()));
  }
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
  EXPECT_EQ(r.data, "blobs (192 training, 60 test examples)");
  EXPECT_EQ(r.classes, 3);
}

TEST_F(LessonTrainingStudy, SamplesEveryDenseLayerOnSchedule) {
  const LessonTrainingResult& r = result();
  // 192 examples in batches of 32: 6 steps per epoch, 12 in all, sampled at 0, 2, ..., 10.
  for (const LessonRun* run : {&r.vanishing, &r.remedies[0], &r.remedies[1], &r.remedies[2]}) {
    SCOPED_TRACE(run->name);
    ASSERT_EQ(run->dense_layers.size(), 9u);  // depth 8 and the output layer
    EXPECT_EQ(run->dense_layers.front(), "dense_1");
    EXPECT_EQ(run->dense_layers.back(), "logits");
    EXPECT_EQ(run->history.progress.global_step, 12);
    EXPECT_EQ(run->history.stop_reason, StopReason::completed);
    ASSERT_EQ(run->history.epochs.size(), 2u);
    EXPECT_TRUE(run->history.epochs[1].val_accuracy.has_value());
    ASSERT_EQ(run->history.samples.size(), 6u);
    for (std::size_t i = 0; i < run->history.samples.size(); ++i) {
      const TrainingSample& s = run->history.samples[i];
      EXPECT_EQ(s.step, static_cast<int64_t>(2 * i));
      const std::vector<double> norms = run->dense_grad_norms(s);
      ASSERT_EQ(norms.size(), 9u);
      for (double n : norms) EXPECT_TRUE(std::isfinite(n) && n > 0) << n;
    }
    EXPECT_FALSE(run->stopped_by_anomaly());
  }
  ASSERT_EQ(r.mlp.dense_layers.size(), 4u);
  EXPECT_TRUE(std::isnan(r.mlp.early_to_late_gradient_ratio()));  // too shallow to compare ends
}

TEST_F(LessonTrainingStudy, DeepSigmoidStackHasVanishingGradientsAndTheRemediesDoNot) {
  const LessonTrainingResult& r = result();
  EXPECT_LT(r.vanishing.early_to_late_gradient_ratio(), 1e-2);
  for (const LessonRun& run : r.remedies) {
    EXPECT_GT(run.early_to_late_gradient_ratio(), 0.1) << run.name;
  }
}

TEST_F(LessonTrainingStudy, TheMlpAndTheNormalizedResidualStackLearn) {
  const LessonTrainingResult& r = result();
  // Three well-separated blobs: chance is 1/3.
  EXPECT_GT(r.mlp.final_test_accuracy(), 0.9);
  EXPECT_GT(r.remedies[2].final_test_accuracy(), 0.6);
}

TEST_F(LessonTrainingStudy, ExplodingRunIsStoppedByTheAnomalyCheckNamingALayerAndClippingKeepsItFinite) {
  const LessonTrainingResult& r = result();
  ASSERT_TRUE(r.exploding.stopped_by_anomaly());
  ASSERT_TRUE(r.exploding.history.anomaly.has_value());
  const Anomaly& a = *r.exploding.history.anomaly;
  EXPECT_GE(a.step, 1);  // step 0 is finite; its update throws the weights out
  EXPECT_TRUE(a.layer.rfind("dense_", 0) == 0 || a.layer == "logits") << a.describe();
  EXPECT_GE(a.nonfinite_count, 1);
  EXPECT_LT(r.exploding.history.progress.global_step, 12);

  EXPECT_FALSE(r.exploding_clipped.stopped_by_anomaly());
  EXPECT_EQ(r.exploding_clipped.history.progress.global_step, 12);
  // The exploding pair is sampled at every step, up to the overflow.
  EXPECT_EQ(r.exploding_clipped.history.samples.size(), 12u);
  EXPECT_EQ(static_cast<int64_t>(r.exploding.history.samples.size()), a.step);
  for (const TrainingSample& s : r.exploding_clipped.history.samples)
    EXPECT_TRUE(std::isfinite(s.loss)) << s.step;
  // Same initialization: both runs start from the same loss.
  ASSERT_FALSE(r.exploding.history.samples.empty());
  EXPECT_EQ(r.exploding.history.samples[0].loss, r.exploding_clipped.history.samples[0].loss);
}

TEST(LessonTraining, ReportsEveryStepOfEveryRunAndLetsTheCallerAbandonIt) {
  std::vector<LessonTrainingProgress> calls;
  run_lesson_training(blobs(64, 12), tiny_options(),
                      [&](const LessonTrainingProgress& p) { calls.push_back(p); });
  // 64 examples in batches of 32: 2 steps per epoch, 4 per run; the unclipped exploding run stops early.
  std::vector<std::string> runs;
  for (const LessonTrainingProgress& p : calls) {
    EXPECT_EQ(p.runs, 7);
    EXPECT_EQ(p.steps, 4);
    if (runs.empty() || runs.back() != p.run) {
      runs.push_back(p.run);
      EXPECT_EQ(p.run_index, static_cast<int>(runs.size()) - 1) << p.run;
      EXPECT_EQ(p.step, 1) << p.run;
    }
  }
  EXPECT_EQ(runs, (std::vector<std::string>{"mlp", "deep_sigmoid", "deep_relu_he", "deep_residual",
                                            "deep_residual_norm", "exploding", "exploding_clipped"}));
  EXPECT_EQ(calls.back().step, 4);

  struct Stop {};
  int seen = 0;
  EXPECT_THROW(run_lesson_training(blobs(64, 12), tiny_options(),
                                   [&](const LessonTrainingProgress& p) {
                                     ++seen;
                                     if (p.run_index == 1) throw Stop{};
                                   }),
               Stop);
  EXPECT_EQ(seen, 5);  // the MLP's 4 steps, then the first step of the next run
}

TEST(EarlyToLateGradientRatio, IsTheMedianOfFirstThreeOverLastThreeDenseLayers) {
  LessonRun run;
  run.dense_layers = {"d1", "d2", "d3", "d4", "d5", "d6"};
  auto sample = [](double early, double late, double loss = 1) {
    TrainingSample s{.loss = loss};
    for (const char* name : {"d1", "d2", "d3"}) s.layers.push_back({.layer = name, .grad_norm = early});
    s.layers.push_back({.layer = "layer_norm", .grad_norm = 1e9});  // not a Dense layer: ignored
    for (const char* name : {"d4", "d5", "d6"}) s.layers.push_back({.layer = name, .grad_norm = late});
    return s;
  };
  run.history.samples = {sample(1e-6, 1), sample(1e-4, 1), sample(1, 1e-2)};
  EXPECT_DOUBLE_EQ(run.early_to_late_gradient_ratio(), 1e-4);
  // Samples with a non-finite loss are left out.
  run.history.samples.push_back(sample(1, 1, NAN));
  EXPECT_DOUBLE_EQ(run.early_to_late_gradient_ratio(), 1e-4);
  EXPECT_TRUE(std::isnan(LessonRun{}.early_to_late_gradient_ratio()));
  EXPECT_TRUE(std::isnan(run.dense_grad_norms(TrainingSample{})[0]));
}

TEST(LessonTraining, RejectsOptionsOutOfRangeNamingThem) {
  const DataSplits data = blobs(12, 6);
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

TEST(LessonTraining, RejectsMismatchedOrEmptyData) {
  DataSplits data = blobs(12, 6);
  data.test.features = zeros({6, 5});
  EXPECT_NE(error_of([&] {
              run_lesson_training(data, tiny_options());
            }).find("blobs has 16 features but blobs/test has 5"),
            std::string::npos);
  data = blobs(12, 6);
  data.test = data.test.slice(0, 0);
  EXPECT_NE(error_of([&] {
              run_lesson_training(data, tiny_options());
            }).find("blobs/test must have at least one example"),
            std::string::npos);
}

TEST(LessonTraining, MissingDataDirectoryIsAnErrorNamingTheFile) {
  LessonTrainingOptions o;
  o.data_dir = "/nonexistent/fashion";
  EXPECT_NE(error_of([&] { load_lesson_data(o); }).find("/nonexistent/fashion"), std::string::npos);
}

// The specs behind the documented `gradlab train` commands (docs/training.md) build the study's
// models: the same Dense layer names, and the same shapes.
TEST(LessonTrainingSpecs, BuildTheStudysModels) {
  const std::string dir = std::string(GRADLAB_SOURCE_DIR) + "/examples/specs/";
  auto dense_names = [](const Model& model) {
    std::vector<std::string> names;
    for (const Layer& layer : model.impl().layers()) {
      if (layer.impl().type() == "dense") names.push_back(layer.name());
    }
    return names;
  };
  auto parameters = [](const Model& model) {
    int64_t n = 0;
    for (const Variable& v : model.trainable_variables()) n += v.value().numel();
    return n;
  };
  std::vector<std::string> deep;
  for (int i = 1; i <= 30; ++i) deep.push_back("dense_" + std::to_string(i));
  deep.push_back("logits");
  const int64_t deep_parameters = (784 * 64 + 64) + 29 * (64 * 64 + 64) + (64 * 10 + 10);
  for (const char* name : {"deep_sigmoid", "deep_relu_he", "deep_residual", "exploding"}) {
    const Model model = build_model(read_model_spec(dir + name + ".json"));
    EXPECT_EQ(dense_names(model), deep) << name;
    EXPECT_EQ(parameters(model), deep_parameters) << name;
  }
  const Model normalized = build_model(read_model_spec(dir + "deep_residual_norm.json"));
  EXPECT_EQ(dense_names(normalized), deep);
  EXPECT_EQ(parameters(normalized), deep_parameters + 29 * 2 * 64);  // gamma and beta per block
  const Model mlp = build_model(read_model_spec(dir + "fashion_mlp.json"));
  EXPECT_EQ(dense_names(mlp), (std::vector<std::string>{"dense_1", "dense_2", "dense_3", "logits"}));
  EXPECT_EQ(parameters(mlp), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 100 + 100 + 100 * 10 + 10);
}

}  // namespace
}  // namespace gradlab
