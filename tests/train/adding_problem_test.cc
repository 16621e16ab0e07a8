#include "gradlab/train/adding_problem.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "gradlab/nn/dense.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/optim/factory.h"
#include "gradlab/train/fit.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

TEST(AddingProblem, TwoMarkersOneInEachHalfAndTheTargetIsTheirSum) {
  for (int64_t steps : {2, 3, 50, 101}) {
    const Dataset d = adding_problem(steps, 200, 7, 0, "adding");
    ASSERT_EQ(d.feature_shape(), (Shape{200, steps, 2}));
    ASSERT_EQ(d.labels.shape(), (Shape{200, 1}));
    EXPECT_EQ(d.classes, 0);
    check_dataset(d);
    const int64_t half = steps / 2;
    for (int64_t i = 0; i < 200; ++i) {
      std::vector<int64_t> marked;
      for (int64_t t = 0; t < steps; ++t) {
        const float value = d.features.at({i, t, 0}), marker = d.features.at({i, t, 1});
        ASSERT_GE(value, 0.0F);
        ASSERT_LT(value, 1.0F);
        ASSERT_TRUE(marker == 0.0F || marker == 1.0F);
        if (marker == 1.0F) marked.push_back(t);
      }
      ASSERT_EQ(marked.size(), 2u) << "example " << i << " of T = " << steps;
      EXPECT_LT(marked[0], half);
      EXPECT_GE(marked[1], half);
      // The target is the float32 sum of the two float32 values.
      const auto a = static_cast<float>(d.features.at({i, marked[0], 0}));
      const auto b = static_cast<float>(d.features.at({i, marked[1], 0}));
      EXPECT_EQ(d.labels.at({i, 0}), static_cast<double>(a + b));
    }
  }
}

// The markers cover both halves: with 2000 examples of T = 10 every position of each half is marked
// (each has probability 1/5 per example; the chance that one is never marked is 5 x 0.8^2000, < 1e-190).
TEST(AddingProblem, MarkersFallOnEveryPositionOfTheirHalf) {
  const Dataset d = adding_problem(10, 2000, 3, 0, "adding");
  std::vector<int64_t> count(10, 0);
  for (int64_t i = 0; i < 2000; ++i) {
    for (int64_t t = 0; t < 10; ++t) count[static_cast<std::size_t>(t)] += d.features.at({i, t, 1}) == 1.0F;
  }
  for (int64_t t = 0; t < 10; ++t) EXPECT_GT(count[static_cast<std::size_t>(t)], 0) << "position " << t;
}

TEST(AddingProblem, TheSeedDeterminesTheDataAndSplitsDiffer) {
  const DataSplits a = load_adding_problem({.time_steps = 20, .train_examples = 50, .test_examples = 30, .seed = 4});
  const DataSplits again = load_adding_problem({.time_steps = 20, .train_examples = 50, .test_examples = 30, .seed = 4});
  const DataSplits other = load_adding_problem({.time_steps = 20, .train_examples = 50, .test_examples = 30, .seed = 5});
  const auto bytes = [](const Tensor& t) { return static_cast<std::size_t>(t.numel()) * sizeof(float); };
  EXPECT_EQ(0, std::memcmp(a.train.features.data<float>(), again.train.features.data<float>(), bytes(a.train.features)));
  EXPECT_EQ(0, std::memcmp(a.test.labels.data<float>(), again.test.labels.data<float>(), bytes(a.test.labels)));
  EXPECT_NE(0, std::memcmp(a.train.features.data<float>(), other.train.features.data<float>(), bytes(a.train.features)));
  // The test split is drawn from its own stream, not a copy of the training examples.
  EXPECT_NE(0, std::memcmp(a.train.features.data<float>(), a.test.features.data<float>(), bytes(a.test.features)));
  // Example i does not depend on how many are drawn.
  const Dataset fewer = adding_problem(20, 10, 4, 0, "fewer");
  EXPECT_EQ(0, std::memcmp(fewer.features.data<float>(), a.train.features.data<float>(), bytes(fewer.features)));
  EXPECT_EQ(a.train.name, "adding-problem-T20/train");
}

// Predicting the mean, 1, scores the target's variance, 1/6. Over 20000 examples the sample MSE has a
// standard deviation of sqrt((E[(S-1)^4] - 1/36) / 20000) = sqrt((1/15 - 1/36) / 20000) ~ 0.0014
// (the fourth central moment of a sum of two U(0, 1) is 1/15), so 0.01 is 7 standard deviations: a false
// failure would be below 1e-11 (and the seed is fixed).
TEST(AddingProblem, PredictingTheMeanScoresTheChanceMse) {
  const Dataset d = adding_problem(4, 20000, 11, 0, "adding");
  double squares = 0;
  for (int64_t i = 0; i < d.size(); ++i) squares += std::pow(d.labels.at({i, 0}) - 1.0, 2);
  EXPECT_NEAR(squares / static_cast<double>(d.size()), adding_problem_chance_mse(), 0.01);
  EXPECT_DOUBLE_EQ(adding_problem_chance_mse(), 1.0 / 6.0);
}

TEST(AddingProblem, BadSizesAreRefused) {
  EXPECT_EQ(error_of([] { adding_problem(1, 5, 0, 0, "adding"); }),
            "adding: time steps must be in [2, 100000] (one marker in each half of the sequence), got 1");
  EXPECT_EQ(error_of([] { adding_problem(0, 5, 0, 0, "adding"); }),
            "adding: time steps must be in [2, 100000] (one marker in each half of the sequence), got 0");
  EXPECT_EQ(error_of([] { adding_problem(100001, 5, 0, 0, "adding"); }),
            "adding: time steps must be in [2, 100000] (one marker in each half of the sequence), got 100001");
  EXPECT_EQ(error_of([] { adding_problem(10, -1, 0, 0, "adding"); }), "adding: the number of examples must be >= 0, got -1");
  EXPECT_EQ(error_of([] { adding_problem(100000, 1 << 20, 0, 0, "adding"); }),
            "adding: 1048576 examples of 100000 steps are too many (at most 21474)");
  EXPECT_EQ(error_of([] { load_adding_problem({.train_examples = 0}); }),
            "adding-problem-T100: at least 1 training example is needed, got 0");
  EXPECT_EQ(error_of([] { load_dataset("fashion-mnist", {.time_steps = 50}); }),
            "fashion-mnist: time steps can be chosen for the adding problem only (fashion-mnist-sequence has 28)");
}

TEST(AddingProblem, LoadedByName) {
  const DataSplits s = load_dataset("adding-problem", {.limit = 40, .time_steps = 30, .data_seed = 2});
  EXPECT_EQ(s.train.feature_shape(), (Shape{40, 30, 2}));
  EXPECT_EQ(s.test.feature_shape(), (Shape{40, 30, 2}));
  const DataSplits direct = load_adding_problem({.time_steps = 30, .train_examples = 40, .test_examples = 40, .seed = 2});
  EXPECT_EQ(0, std::memcmp(s.train.labels.data<float>(), direct.train.labels.data<float>(), 40 * sizeof(float)));
  EXPECT_EQ(load_dataset("adding-problem", {}).train.feature_shape(), (Shape{10000, 100, 2}));
}

TEST(SequenceFashionMnist, ImagesAsTwentyEightStepsOfTwentyEightPixels) {
  const DataSplits seq = load_dataset("fashion-mnist-sequence", {.limit = 20});
  const DataSplits flat = load_dataset("fashion-mnist", {.limit = 20});
  ASSERT_EQ(seq.train.feature_shape(), (Shape{20, 28, 28}));
  ASSERT_EQ(seq.test.feature_shape(), (Shape{20, 28, 28}));
  EXPECT_EQ(seq.train.classes, 10);
  EXPECT_EQ(seq.train.name, "fashion-mnist-sequence/train");
  // Step t holds the image's row t: the same pixels in the same order as the flat images.
  const std::vector<int64_t> rows{3, 0, 19};
  const Tensor a = seq.train.feature_rows(rows), b = flat.train.feature_rows(rows);
  EXPECT_EQ(a.shape(), (Shape{3, 28, 28}));
  EXPECT_EQ(0, std::memcmp(a.data<float>(), b.data<float>(), 3 * 784 * sizeof(float)));
  EXPECT_EQ(a.at({1, 14, 13}), b.at({1, 14 * 28 + 13}));
}

TEST(ImageFashionMnist, ImagesAsChannelsLastTwentyEightByTwentyEightByOne) {
  const DataSplits images = load_dataset("fashion-mnist-images", {.limit = 20});
  const DataSplits flat = load_dataset("fashion-mnist", {.limit = 20});
  ASSERT_EQ(images.train.feature_shape(), (Shape{20, 28, 28, 1}));
  ASSERT_EQ(images.test.feature_shape(), (Shape{20, 28, 28, 1}));
  EXPECT_EQ(images.train.classes, 10);
  EXPECT_EQ(images.train.name, "fashion-mnist-images/train");
  // The bytes stay bytes, as for the flat view: no float copy of the set is made.
  EXPECT_FALSE(images.train.features.defined());
  EXPECT_EQ(images.train.feature_bytes.rows, 20);
  // Pixel (y, x) of image i is flat element y * 28 + x, its one channel last.
  const std::vector<int64_t> rows{3, 0, 19};
  const Tensor a = images.train.feature_rows(rows), b = flat.train.feature_rows(rows);
  EXPECT_EQ(a.shape(), (Shape{3, 28, 28, 1}));
  EXPECT_EQ(0, std::memcmp(a.data<float>(), b.data<float>(), 3 * 784 * sizeof(float)));
  EXPECT_EQ(a.at({1, 14, 13, 0}), b.at({1, 14 * 28 + 13}));
  EXPECT_EQ(load_dataset("fashion_mnist_images", {.limit = 2}).train.feature_shape(), (Shape{2, 28, 28, 1}));
}

// A short run of an LSTM with a Dense(1) head on the last state, MSE loss, at T = 10: the test loss
// falls below chance (1/6). Deterministic (fixed seeds, fixed data).
TEST(AddingProblem, ShortLstmRunBeatsChance) {
  const DataSplits data = load_adding_problem({.time_steps = 10, .train_examples = 1024, .test_examples = 256, .seed = 1});
  set_seed(3);
  Sequential model({LSTM(16), Dense(1)});
  const History h = fit(model, data.train,
                        {.optimizer = make_optimizer("adam", {.learning_rate = 0.01}),
                         .loss = "mean_squared_error",
                         .metrics = {},
                         .epochs = 6,
                         .batch_size = 32,
                         .seed = 3,
                         .validation_data = data.test});
  ASSERT_EQ(h.stop_reason, StopReason::completed);
  EXPECT_LT(*h.epochs.back().val_loss, 0.5 * adding_problem_chance_mse());
  EXPECT_LT(h.epochs.back().loss, h.epochs.front().loss);
}

}  // namespace
}  // namespace gradlab
