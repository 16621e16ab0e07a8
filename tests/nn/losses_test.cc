// Losses: Keras values on hand-computed cases, reductions, label smoothing, ignore_class, stability
// at extreme logits, gradient checks for every loss in both from_logits modes, and the accuracy
// metrics.
#include "gradlab/nn/losses.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/metrics.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

Tensor t(const Shape& shape, const std::vector<double>& values, DType dtype = DType::float64) {
  return from_values(shape, values, dtype);
}

TEST(Losses, MeanSquaredAndAbsoluteError) {
  const Tensor y = t({2, 2}, {0, 1, 1, 1});
  const Tensor p = t({2, 2}, {1, 1, 1, -1});
  EXPECT_DOUBLE_EQ(mean_squared_error(y, p).item(), (0.5 + 2.0) / 2);
  EXPECT_DOUBLE_EQ(mean_squared_error(y, p, Reduction::sum).item(), 2.5);
  EXPECT_TRUE(test::all_close(mean_squared_error(y, p, Reduction::none), Shape{2}, {0.5, 2.0}));
  EXPECT_DOUBLE_EQ(mean_absolute_error(y, p).item(), (0.5 + 1.0) / 2);
  // Labels [N] against predictions [N, 1] are expanded, as Keras does.
  EXPECT_TRUE(test::all_close(mean_squared_error(t({2}, {1, 2}), t({2, 1}, {0, 0}), Reduction::none),
                              Shape{2}, {1, 4}));
  // Float32 labels with float64 predictions are cast.
  EXPECT_DOUBLE_EQ(mean_squared_error(t({1, 2}, {1, 1}, DType::float32), t({1, 2}, {0, 0})).item(), 1.0);
  EXPECT_NE(error_of([&] {
              mean_squared_error(t({3}, {1, 2, 3}), t({2}, {1, 2}));
            }).find("y_true has shape [3]"),
            std::string::npos);
}

TEST(Losses, BinaryCrossentropyFromProbabilities) {
  const Tensor y = t({1, 2}, {1, 0});
  EXPECT_NEAR(binary_crossentropy(y, t({1, 2}, {0.9, 0.2})).item(), (-std::log(0.9) - std::log(0.8)) / 2,
              1e-15);
  // Probabilities are clipped to [1e-7, 1 - 1e-7]: a confident miss costs -log(1e-7), not infinity.
  EXPECT_NEAR(binary_crossentropy(t({1}, {1}), t({1}, {0.0})).item(), -std::log(1e-7), 1e-9);
  EXPECT_NEAR(binary_crossentropy(t({1}, {1}), t({1}, {1.0})).item(), -std::log1p(-1e-7), 1e-15);
}

TEST(Losses, BinaryCrossentropyFromLogitsIsStable) {
  const Tensor x = t({1, 4}, {-3, 0, 2, 5});
  const Tensor y = t({1, 4}, {0, 1, 1, 0});
  EXPECT_NEAR(binary_crossentropy(y, x, {.from_logits = true}).item(),
              binary_crossentropy(y, sigmoid(x)).item(), 1e-12);
  // max(x, 0) - x z + log(1 + exp(-|x|)) is exact where sigmoid would round to 0 or 1.
  const Tensor big = binary_crossentropy(t({1, 2}, {0, 1}), t({1, 2}, {800, -800}),
                                         {.from_logits = true, .reduction = Reduction::sum});
  EXPECT_DOUBLE_EQ(big.item(), 800.0);  // each element 800, averaged over the 2 elements of the row
  const Tensor f32 =
      binary_crossentropy(t({1}, {1}, DType::float32), t({1}, {-100}, DType::float32), {.from_logits = true});
  EXPECT_FLOAT_EQ(static_cast<float>(f32.item()), 100.0f);
}

TEST(Losses, BinaryLabelSmoothing) {
  // Targets 1 and 0 become 0.95 and 0.05 with label_smoothing 0.1.
  const Tensor x = t({1, 2}, {1.5, -0.5});
  const double expected = binary_crossentropy(t({1, 2}, {0.95, 0.05}), x, {.from_logits = true}).item();
  EXPECT_NEAR(binary_crossentropy(t({1, 2}, {1, 0}), x, {.from_logits = true, .label_smoothing = 0.1}).item(),
              expected, 1e-15);
  EXPECT_THROW(binary_crossentropy(t({1}, {1}), t({1}, {0.5}), {.label_smoothing = 1.5}), Error);
}

TEST(Losses, CategoricalCrossentropy) {
  const Tensor logits = t({2, 3}, {1, 2, 3, 0, 0, 0});
  const Tensor y = t({2, 3}, {0, 0, 1, 1, 0, 0});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const Tensor per = categorical_crossentropy(y, logits, {.from_logits = true, .reduction = Reduction::none});
  EXPECT_TRUE(test::all_close(per, Shape{2}, {lse - 3.0, std::log(3.0)}));
  EXPECT_NEAR(categorical_crossentropy(y, softmax(logits)).item(), (lse - 3.0 + std::log(3.0)) / 2, 1e-15);
  // Probabilities are divided by their sum first: [2, 2] is [0.5, 0.5].
  EXPECT_NEAR(categorical_crossentropy(t({1, 2}, {1, 0}), t({1, 2}, {2, 2})).item(), std::log(2.0), 1e-15);
  // Logits of 1000 do not overflow.
  EXPECT_NEAR(categorical_crossentropy(t({1, 2}, {0, 1}), t({1, 2}, {1000, 0}), {.from_logits = true}).item(),
              1000.0, 1e-12);
  // A class axis other than the last: [N, classes, T] with axis 1.
  const Tensor by_axis =
      categorical_crossentropy(transpose(y, {1, 0}), transpose(logits, {1, 0}),
                               {.from_logits = true, .axis = 0, .reduction = Reduction::none});
  EXPECT_TRUE(test::all_close(by_axis, Shape{2}, {lse - 3.0, std::log(3.0)}));
}

TEST(Losses, CategoricalLabelSmoothingSpreadsOverTheClasses) {
  // y (1 - 0.3) + 0.3 / 3: [1, 0, 0] becomes [0.8, 0.1, 0.1], as in Keras and PyTorch.
  const Tensor logits = t({1, 3}, {0.5, -1, 2});
  const double expected =
      categorical_crossentropy(t({1, 3}, {0.8, 0.1, 0.1}), logits, {.from_logits = true}).item();
  EXPECT_NEAR(
      categorical_crossentropy(t({1, 3}, {1, 0, 0}), logits, {.from_logits = true, .label_smoothing = 0.3})
          .item(),
      expected, 1e-15);
}

TEST(Losses, SparseCategoricalCrossentropyMatchesOneHot) {
  const Tensor logits = t({3, 4}, {0.1, 2, -1, 0.5, 3, 0, 0, 1, -2, -2, 4, 0});
  const Tensor labels = t({3}, {1, 0, 2});
  const Tensor onehot = t({3, 4}, {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0});
  EXPECT_NEAR(sparse_categorical_crossentropy(labels, logits, {.from_logits = true}).item(),
              categorical_crossentropy(onehot, logits, {.from_logits = true}).item(), 1e-15);
  EXPECT_NEAR(sparse_categorical_crossentropy(labels, softmax(logits)).item(),
              categorical_crossentropy(onehot, softmax(logits)).item(), 1e-15);
  // Labels [N, 1] work too.
  EXPECT_NEAR(sparse_categorical_crossentropy(t({3, 1}, {1, 0, 2}), logits, {.from_logits = true}).item(),
              sparse_categorical_crossentropy(labels, logits, {.from_logits = true}).item(), 0);
}

TEST(Losses, SparseIgnoreClass) {
  const Tensor logits = t({3, 2}, {1, 0, 0, 1, 5, -5});
  const Tensor per = sparse_categorical_crossentropy(
      t({3}, {0, -1, 1}), logits, {.from_logits = true, .ignore_class = -1, .reduction = Reduction::none});
  const double a = std::log1p(std::exp(-1.0)), c = 10 + std::log1p(std::exp(-10.0));
  EXPECT_TRUE(test::all_close(per, Shape{3}, {a, 0.0, c}));
  // sum_over_batch_size divides by the 2 valid labels (plus Keras's epsilon).
  EXPECT_NEAR(
      sparse_categorical_crossentropy(t({3}, {0, -1, 1}), logits, {.from_logits = true, .ignore_class = -1})
          .item(),
      (a + c) / (2 + 1e-7), 1e-15);
  EXPECT_EQ(sparse_categorical_crossentropy(t({1}, {-1}), t({1, 2}, {1, 0}),
                                            {.from_logits = true, .ignore_class = -1})
                .item(),
            0.0);
  // No gradient reaches an ignored row.
  Tensor x = logits.clone();
  GradientTape tape;
  tape.watch(x);
  Tensor loss =
      sparse_categorical_crossentropy(t({3}, {0, -1, 1}), x, {.from_logits = true, .ignore_class = -1});
  const Tensor g = tape.gradient(loss, x);
  EXPECT_EQ(g.at({1, 0}), 0.0);
  EXPECT_EQ(g.at({1, 1}), 0.0);
}

TEST(Losses, SparseRejectsBadLabels) {
  const Tensor logits = t({2, 3}, {0, 0, 0, 0, 0, 0});
  EXPECT_NE(error_of([&] {
              sparse_categorical_crossentropy(t({2}, {0, 3}), logits);
            }).find("label 3 at index 1 is not a class index in [0, 3)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              sparse_categorical_crossentropy(t({2}, {0.5, 1}), logits);
            }).find("label 0.5"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              sparse_categorical_crossentropy(t({3}, {0, 1, 2}), logits);
            }).find("does not match"),
            std::string::npos);
}

TEST(Losses, FusedSoftmaxCrossEntropyGradientIsSoftmaxMinusOneHot) {
  Tensor x = zeros({1, 3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = sparse_categorical_crossentropy(t({1}, {0}), x, {.from_logits = true});
  EXPECT_TRUE(test::all_close(tape.gradient(loss, x), Shape{1, 3}, {1.0 / 3 - 1, 1.0 / 3, 1.0 / 3}));
}

TEST(Losses, ClippedProbabilitiesGetNoGradient) {
  Tensor p = t({1, 2}, {0.0, 0.5});
  GradientTape tape;
  tape.watch(p);
  const Tensor loss = binary_crossentropy(t({1, 2}, {1, 1}), p);
  const Tensor g = tape.gradient(loss, p);
  EXPECT_EQ(g.at({0, 0}), 0.0);
  EXPECT_NEAR(g.at({0, 1}), -1.0 / 0.5 / 2, 1e-15);
}

TEST(Losses, GetLossByName) {
  const Tensor y = t({2, 2}, {0, 1, 1, 0});
  const Tensor p = t({2, 2}, {0.2, 0.8, 0.6, 0.4});
  EXPECT_EQ(get_loss("mse")(y, p).item(), mean_squared_error(y, p).item());
  EXPECT_EQ(get_loss("categorical_crossentropy", {.from_logits = true})(y, p).item(),
            categorical_crossentropy(y, p, {.from_logits = true}).item());
  EXPECT_EQ(
      get_loss("sparse_categorical_crossentropy", {.reduction = Reduction::sum})(t({2}, {1, 0}), p).item(),
      sparse_categorical_crossentropy(t({2}, {1, 0}), p, {.reduction = Reduction::sum}).item());
  EXPECT_NE(error_of([] { get_loss("hinge"); }).find("valid names: mean_squared_error"), std::string::npos);
  EXPECT_THROW(get_loss("mae", {.from_logits = true}), Error);
  EXPECT_EQ(loss_names().size(), 5u);
  EXPECT_EQ(parse_reduction("mean"), Reduction::sum_over_batch_size);
  EXPECT_EQ(reduction_name(parse_reduction("none")), "none");
  EXPECT_THROW(parse_reduction("avg"), Error);
}

// ----- gradient checks (float64, random projection of the per-sample losses) -----

TEST(LossGradients, RegressionLosses) {
  const Tensor y = test::random_tensor({4, 3}, 1);
  const Tensor p = test::random_tensor({4, 3}, 2);
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) { return mean_squared_error(in[0], in[1], Reduction::none); },
      {y, p}));
  // MAE has a kink where y_pred == y_true: keep the difference away from 0.
  const Tensor shifted = y + test::away_from_kinks(p - y, {0.0}, 1e-2);
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) { return mean_absolute_error(in[0], in[1], Reduction::none); },
      {y, shifted}));
}

TEST(LossGradients, BinaryCrossentropyBothModes) {
  const Tensor z = test::random_tensor({4, 3}, 3, 0.0, 1.0);
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return binary_crossentropy(
            in[0], in[1], {.from_logits = true, .label_smoothing = 0.1, .reduction = Reduction::none});
      },
      {z, test::random_tensor({4, 3}, 4, -4.0, 4.0)}));
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return binary_crossentropy(in[0], in[1], {.reduction = Reduction::none});
      },
      {z, test::random_tensor({4, 3}, 5, 0.05, 0.95)}));
}

TEST(LossGradients, CategoricalCrossentropyBothModes) {
  const Tensor soft = softmax(test::random_tensor({4, 5}, 6, -2.0, 2.0));
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return categorical_crossentropy(
            in[0], in[1], {.from_logits = true, .label_smoothing = 0.2, .reduction = Reduction::none});
      },
      {soft, test::random_tensor({4, 5}, 7, -3.0, 3.0)}));
  // Unnormalized positive probabilities exercise the division by their sum.
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return categorical_crossentropy(in[0], in[1], {.reduction = Reduction::none});
      },
      {soft, test::random_tensor({4, 5}, 8, 0.1, 1.0)}));
  // A middle class axis: [2, 4, 3] with the classes on axis 1.
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return categorical_crossentropy(in[0], in[1],
                                        {.from_logits = true, .axis = 1, .reduction = Reduction::none});
      },
      {test::random_tensor({2, 4, 3}, 9, 0.0, 1.0), test::random_tensor({2, 4, 3}, 10)}));
  EXPECT_TRUE(test::check_gradients(
      [](const std::vector<Tensor>& in) {
        return categorical_crossentropy(in[0], in[1], {.axis = 1, .reduction = Reduction::none});
      },
      {test::random_tensor({2, 4, 3}, 11, 0.0, 1.0), test::random_tensor({2, 4, 3}, 12, 0.1, 1.0)}));
}

TEST(LossGradients, SparseCategoricalCrossentropyBothModes) {
  const Tensor labels = t({2, 3}, {0, 4, 2, 1, 3, 0});
  EXPECT_TRUE(test::check_gradients(
      [labels](const std::vector<Tensor>& in) {
        return sparse_categorical_crossentropy(labels, in[0],
                                               {.from_logits = true, .reduction = Reduction::none});
      },
      {test::random_tensor({2, 3, 5}, 13, -3.0, 3.0)}));
  EXPECT_TRUE(test::check_gradients(
      [labels](const std::vector<Tensor>& in) {
        return sparse_categorical_crossentropy(labels, in[0], {.ignore_class = 4});
      },
      {test::random_tensor({2, 3, 5}, 14, 0.1, 1.0)}));
}

// ----- metrics -----

TEST(Metrics, Accuracies) {
  const Tensor logits = t({3, 3}, {0.1, 2, -1, 3, 3, 0, -2, -2, 4});
  EXPECT_TRUE(test::all_close(sparse_categorical_accuracy(t({3}, {1, 1, 2}), logits), Shape{3}, {1, 0, 1}));
  EXPECT_TRUE(
      test::all_close(sparse_categorical_accuracy(t({3, 1}, {1, 0, 0}), logits), Shape{3}, {1, 1, 0}));
  EXPECT_TRUE(test::all_close(categorical_accuracy(t({3, 3}, {0, 1, 0, 1, 0, 0, 0, 1, 0}), logits), Shape{3},
                              {1, 1, 0}));
  EXPECT_TRUE(test::all_close(binary_accuracy(t({2, 2}, {1, 0, 1, 1}), t({2, 2}, {0.7, 0.2, 0.4, 0.9})),
                              Shape{2}, {1, 0.5}));
  EXPECT_TRUE(test::all_close(binary_accuracy(t({2}, {1, 0}), t({2, 1}, {2.0, 1.0}), 0.0), Shape{2}, {1, 0}));
  EXPECT_THROW(sparse_categorical_accuracy(t({2}, {1, 1}), logits), Error);
}

}  // namespace
}  // namespace gradlab
