#include "gradlab/lab/lesson_training.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>
#include <string>
#include <vector>

#include "gradlab/error.h"
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
  o.seeds = 3;
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

const std::vector<std::string> kArms = {"mlp",
                                        "deep_sigmoid",
                                        "deep_relu_glorot",
                                        "deep_relu_he",
                                        "deep_residual_unscaled",
                                        "deep_residual",
                                        "deep_residual_norm",
                                        "exploding",
                                        "exploding_clipped"};

TEST_F(LessonTrainingStudy, RunsEveryArmOncePerSeedInOrder) {
  const LessonTrainingResult& r = result();
  std::vector<std::string> names;
  for (const LessonArm& arm : r.arms) names.push_back(arm.name);
  EXPECT_EQ(names, kArms);
  EXPECT_EQ(r.data, "blobs (192 training, 60 test examples)");
  EXPECT_EQ(r.classes, 3);
  // Seeds come from the study seed and the run index only, are distinct, and run i of every arm has seed i.
  ASSERT_EQ(r.seeds.size(), 3u);
  EXPECT_EQ(r.seeds, (std::vector<uint64_t>{lesson_run_seed(0, 0), lesson_run_seed(0, 1), lesson_run_seed(0, 2)}));
  EXPECT_NE(r.seeds[0], r.seeds[1]);
  EXPECT_NE(r.seeds[1], r.seeds[2]);
  EXPECT_NE(r.seeds[0], r.seeds[2]);
  EXPECT_NE(lesson_run_seed(1, 0), lesson_run_seed(0, 0));
  for (const LessonArm& arm : r.arms) {
    ASSERT_EQ(arm.runs.size(), 3u) << arm.name;
    for (std::size_t i = 0; i < arm.runs.size(); ++i) {
      EXPECT_EQ(arm.runs[i].name, arm.name);
      EXPECT_EQ(arm.runs[i].seed, r.seeds[i]);
      EXPECT_EQ(arm.runs[i].seed_index, static_cast<int64_t>(i));
    }
  }
  // Different seeds, different runs: the first sampled loss differs.
  const LessonArm& sigmoid = r.arm("deep_sigmoid");
  EXPECT_NE(sigmoid.runs[0].history.samples.at(0).loss, sigmoid.runs[1].history.samples.at(0).loss);
  EXPECT_THROW(r.arm("no_such_arm"), Error);
}

TEST_F(LessonTrainingStudy, EveryComparisonChangesOneNamedThing) {
  const LessonTrainingResult& r = result();
  std::vector<std::tuple<std::string, std::string, std::string>> pairs;
  for (const auto& [arm, baseline] : r.comparisons()) pairs.emplace_back(arm->name, baseline->name, arm->change);
  const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
      {"deep_relu_glorot", "deep_sigmoid", "relu instead of sigmoid"},
      {"deep_relu_he", "deep_relu_glorot", "he_uniform instead of glorot_uniform"},
      {"deep_residual_unscaled", "deep_relu_he", "residual connections x + Dense(x) from the second layer on"},
      {"deep_residual", "deep_residual_unscaled", "branch kernels with He's variance / 8"},
      {"deep_residual_norm", "deep_residual", "layer normalization before each branch"},
      {"exploding_clipped", "exploding", "global_clipnorm 1"}};
  EXPECT_EQ(pairs, expected);
  // The reference MLP (Adam, another shape) is compared with nothing.
  EXPECT_TRUE(r.arm("mlp").baseline.empty());
  EXPECT_TRUE(r.arm("mlp").change.empty());
  // The descriptions differ in exactly the named thing.
  EXPECT_NE(r.arm("deep_relu_glorot").description.find("relu"), std::string::npos);
  EXPECT_NE(r.arm("deep_relu_glorot").description.find("glorot_uniform"), std::string::npos);
  EXPECT_NE(r.arm("deep_residual_unscaled").description.find("branches he_uniform)"), std::string::npos);
  EXPECT_NE(r.arm("deep_residual").description.find("branches he_uniform / 8"), std::string::npos);
}

TEST_F(LessonTrainingStudy, SpreadsAreComputedFromTheRuns) {
  const LessonTrainingResult& r = result();
  for (const LessonArm& arm : r.arms) {
    SCOPED_TRACE(arm.name);
    std::vector<double> accuracies;
    for (const LessonRun& run : arm.runs) {
      if (std::isfinite(run.final_test_accuracy())) accuracies.push_back(run.final_test_accuracy());
    }
    const SeedSpread s = arm.test_accuracy();
    EXPECT_EQ(s.runs, 3);
    ASSERT_EQ(s.count, static_cast<int64_t>(accuracies.size()));
    if (accuracies.empty()) continue;
    double sum = 0;
    for (double a : accuracies) sum += a;
    EXPECT_DOUBLE_EQ(s.mean, sum / static_cast<double>(accuracies.size()));
    EXPECT_EQ(s.min, *std::min_element(accuracies.begin(), accuracies.end()));
    EXPECT_EQ(s.max, *std::max_element(accuracies.begin(), accuracies.end()));
  }
  EXPECT_EQ(r.arm("exploding").runs_stopped_by_anomaly(), 3);
}

TEST_F(LessonTrainingStudy, SamplesEveryDenseLayerOnSchedule) {
  const LessonTrainingResult& r = result();
  // 192 examples in batches of 32: 6 steps per epoch, 12 in all, sampled at 0, 2, ..., 10.
  for (const char* name : {"deep_sigmoid", "deep_relu_glorot", "deep_relu_he", "deep_residual", "deep_residual_norm"}) {
    for (const LessonRun& run_ref : r.arm(name).runs) {
      const LessonRun* run = &run_ref;
      SCOPED_TRACE(run->name + " seed index " + std::to_string(run->seed_index));
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
  }
  ASSERT_EQ(r.arm("mlp").runs[0].dense_layers.size(), 4u);
  EXPECT_TRUE(std::isnan(r.arm("mlp").runs[0].early_to_late_gradient_ratio()));  // too shallow to compare ends
}

TEST_F(LessonTrainingStudy, DeepSigmoidStackHasVanishingGradientsAndTheHeArmsDoNot) {
  const LessonTrainingResult& r = result();
  EXPECT_EQ(r.arm("deep_sigmoid").runs_read_as(FlowVerdict::vanishing), 3);
  EXPECT_LT(r.arm("deep_sigmoid").early_to_late_gradient_ratio().max, 1e-2);
  for (const char* name : {"deep_relu_he", "deep_residual", "deep_residual_norm"}) {
    EXPECT_GT(r.arm(name).early_to_late_gradient_ratio().min, 0.1) << name;
  }
}

TEST_F(LessonTrainingStudy, TheMlpAndTheNormalizedResidualStackLearn) {
  const LessonTrainingResult& r = result();
  // Three well-separated blobs: chance is 1/3.
  EXPECT_GT(r.arm("mlp").test_accuracy().min, 0.9);
  EXPECT_GT(r.arm("deep_residual_norm").test_accuracy().mean, 0.6);
}

TEST_F(LessonTrainingStudy, ExplodingRunIsStoppedByTheAnomalyCheckNamingALayerAndClippingKeepsItFinite) {
  const LessonTrainingResult& r = result();
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const LessonRun& exploding = r.arm("exploding").runs[i];
    const LessonRun& clipped = r.arm("exploding_clipped").runs[i];
    ASSERT_TRUE(exploding.stopped_by_anomaly());
    ASSERT_TRUE(exploding.history.anomaly.has_value());
    const Anomaly& a = *exploding.history.anomaly;
    EXPECT_GE(a.step, 1);  // step 0 is finite; its update throws the weights out
    EXPECT_TRUE(a.layer.rfind("dense_", 0) == 0 || a.layer == "logits") << a.describe();
    EXPECT_GE(a.nonfinite_count, 1);
    EXPECT_LT(exploding.history.progress.global_step, 12);

    EXPECT_FALSE(clipped.stopped_by_anomaly());
    EXPECT_EQ(clipped.history.progress.global_step, 12);
    // The exploding pair is sampled at every step, up to the overflow.
    EXPECT_EQ(clipped.history.samples.size(), 12u);
    EXPECT_EQ(static_cast<int64_t>(exploding.history.samples.size()), a.step);
    for (const TrainingSample& s : clipped.history.samples) EXPECT_TRUE(std::isfinite(s.loss)) << s.step;
    // Same seed, same initialization: both runs start from the same loss.
    ASSERT_FALSE(exploding.history.samples.empty());
    EXPECT_EQ(exploding.history.samples[0].loss, clipped.history.samples[0].loss);
  }
}

TEST(LessonTraining, ReportsEveryStepOfEveryRunAndLetsTheCallerAbandonIt) {
  std::vector<StudyProgress> calls;
  LessonTrainingOptions o = tiny_options();
  o.seeds = 2;
  run_lesson_training(blobs(64, 12), o, [&](const StudyProgress& p) { calls.push_back(p); });
  // 64 examples in batches of 32: 2 steps per epoch, 4 per run; the unclipped exploding runs stop early.
  std::vector<std::pair<std::string, int64_t>> runs;
  for (const StudyProgress& p : calls) {
    EXPECT_EQ(p.runs, 18);
    EXPECT_EQ(p.steps, 4);
    if (runs.empty() || runs.back() != std::make_pair(p.run, p.seed_index)) {
      runs.emplace_back(p.run, p.seed_index);
      EXPECT_EQ(p.run_index, static_cast<int>(runs.size()) - 1) << p.run;
      EXPECT_EQ(p.step, 1) << p.run;
    }
  }
  std::vector<std::pair<std::string, int64_t>> expected;
  for (const std::string& arm : kArms) {
    for (int64_t i = 0; i < 2; ++i) expected.emplace_back(arm, i);
  }
  EXPECT_EQ(runs, expected);
  EXPECT_EQ(calls.back().step, 4);

  struct Stop {};
  int seen = 0;
  EXPECT_THROW(run_lesson_training(blobs(64, 12), o,
                                   [&](const StudyProgress& p) {
                                     ++seen;
                                     if (p.run_index == 1) throw Stop{};
                                   }),
               Stop);
  EXPECT_EQ(seen, 5);  // the first MLP run's 4 steps, then the first step of the next run
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
  o.seeds = 0;
  EXPECT_NE(error_of([&] { run_lesson_training(data, o); }).find("seeds = 0"), std::string::npos);
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
  for (const char* name : {"deep_sigmoid", "deep_relu_glorot", "deep_relu_he", "deep_residual_unscaled", "deep_residual", "exploding"}) {
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
