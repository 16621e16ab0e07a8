// The fused cross-entropy ops: values against the textbook formulas, float64 central-difference
// checks of each backward rule for both inputs, ignored rows of the sparse op, and argument errors.
#include "gradlab/autograd/loss_ops.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::error_of;
using test::random_tensor;
using ::testing::HasSubstr;

constexpr double kEpsilon = 1e-7;

TEST(LossOps, ValuesMatchTheFormulas) {
  const Tensor z = from_values({1, 2}, {0.25, 0.75}, DType::float64);
  const Tensor x = from_values({1, 2}, {1.0, -2.0}, DType::float64);
  const double lse = std::log(std::exp(1.0) + std::exp(-2.0));
  EXPECT_TRUE(all_close(softmax_cross_entropy(z, x, -1), {1}, {-(0.25 * (1.0 - lse) + 0.75 * (-2.0 - lse))}));
  const double s1 = 1.0 / (1.0 + std::exp(-1.0)), s2 = 1.0 / (1.0 + std::exp(2.0));
  EXPECT_TRUE(all_close(sigmoid_cross_entropy(z, x), {1, 2},
                        {-(0.25 * std::log(s1) + 0.75 * std::log(1 - s1)),
                         -(0.75 * std::log(s2) + 0.25 * std::log(1 - s2))}));
  const Tensor p = from_values({1, 2}, {0.2, 0.6}, DType::float64);
  EXPECT_TRUE(all_close(binary_cross_entropy(z, p, kEpsilon), {1, 2},
                        {-(0.25 * std::log(0.2) + 0.75 * std::log(0.8)),
                         -(0.75 * std::log(0.6) + 0.25 * std::log(0.4))}));
  // Probabilities are divided by their sum first: [0.25, 0.75].
  EXPECT_TRUE(all_close(probability_cross_entropy(z, p, -1, kEpsilon), {1},
                        {-(0.25 * std::log(0.25) + 0.75 * std::log(0.75))}));
  EXPECT_TRUE(all_close(sparse_softmax_cross_entropy({1}, x, Shape{1}), {1}, {-(-2.0 - lse)}));
}

TEST(LossOps, GradientsOfBothInputs) {
  const Tensor z = random_tensor({3, 4}, 1, 0.0, 1.0);
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return softmax_cross_entropy(in[0], in[1], -1); },
                              {z, random_tensor({3, 4}, 2, -3.0, 3.0)}));
  // A middle axis: [2, 3, 2] with the classes on axis 1.
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return softmax_cross_entropy(in[0], in[1], 1); },
                              {random_tensor({2, 3, 2}, 3, 0.0, 1.0), random_tensor({2, 3, 2}, 4)}));
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return probability_cross_entropy(in[0], in[1], 0, kEpsilon); },
      {z, random_tensor({3, 4}, 5, 0.1, 1.0)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return sigmoid_cross_entropy(in[0], in[1]); },
                              {z, random_tensor({3, 4}, 6, -4.0, 4.0)}));
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return binary_cross_entropy(in[0], in[1], kEpsilon); },
      {z, random_tensor({3, 4}, 7, 0.05, 0.95)}));
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return sparse_softmax_cross_entropy({2, -1, 0}, in[0], Shape{3}); },
      {random_tensor({3, 4}, 8, -3.0, 3.0)}));
}

TEST(LossOps, IgnoredRowsGiveZeroLossAndGradient) {
  Tensor x = random_tensor({2, 3}, 9);
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = sparse_softmax_cross_entropy({-1, 1}, x, Shape{2});
  EXPECT_EQ(loss.at({0}), 0.0);
  const Tensor g = tape.gradient(sum(loss), x);
  for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(g.at({0, c}), 0.0);
  EXPECT_NE(g.at({1, 1}), 0.0);
}

TEST(LossOps, RejectsMismatchedArguments) {
  const Tensor x = zeros({2, 3}, DType::float64);
  EXPECT_THAT(error_of([&] { softmax_cross_entropy(zeros({3, 2}, DType::float64), x, -1); }),
              HasSubstr("softmax_cross_entropy: targets have shape [3, 2] but predictions have shape [2, 3]"));
  EXPECT_THAT(error_of([&] { sigmoid_cross_entropy(zeros({2, 3}), x); }), HasSubstr("different dtypes"));
  EXPECT_THAT(error_of([&] { softmax_cross_entropy(x, x, 2, "categorical_crossentropy"); }),
              HasSubstr("categorical_crossentropy: axis 2 is out of range for y_pred of shape [2, 3]"));
  EXPECT_THAT(error_of([&] { loss_axis(Shape{}, -1, "some_loss"); }),
              HasSubstr("some_loss: y_pred must have rank 1 or more"));
  EXPECT_EQ(loss_axis(Shape{2, 3}, -1, "some_loss"), 1);
  EXPECT_THAT(error_of([&] { sparse_softmax_cross_entropy({0, 3}, x, Shape{2}); }),
              HasSubstr("label 3 at index 1 is not a class index in [0, 3)"));
  EXPECT_THAT(error_of([&] { sparse_softmax_cross_entropy({0}, x, Shape{1}); }),
              HasSubstr("1 labels do not match logits of shape [2, 3]"));
}

}  // namespace
}  // namespace gradlab
