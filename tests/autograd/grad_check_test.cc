// The gradient checker is itself tested: it must fail on wrong rules, or the op tests prove nothing.
#include "support/grad_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

using test::check_gradients;
using test::GradCheckOptions;
using test::random_tensor;
using ::testing::HasSubstr;

// x^2 whose backward rule multiplies by `factor` * x instead of 2x.
Tensor square_with_factor(const Tensor& x, double factor) {
  Tensor y;
  {
    NoRecording pause;
    y = x * x;
  }
  if (should_record({x})) {
    record("square_with_factor", {x}, y, [x, factor](const Tensor& g, std::span<const bool>) {
      return std::vector<Tensor>{g * x * factor};
    });
  }
  return y;
}

// softmax whose backward rule forgets everything: its true gradient sums to zero along the axis,
// so a plain-sum check cannot tell the difference.
Tensor softmax_without_gradient(const Tensor& x) {
  Tensor y;
  {
    NoRecording pause;
    y = softmax(x);
  }
  if (should_record({x})) {
    record("softmax_without_gradient", {x}, y,
           [shape = x.shape()](const Tensor&, std::span<const bool>) { return std::vector<Tensor>{zeros(shape, DType::float64)}; });
  }
  return y;
}

TEST(GradCheck, AcceptsACorrectRule) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return square_with_factor(in[0], 2.0); },
                              {random_tensor({3, 4}, 1)}));
}

TEST(GradCheck, RejectsAWrongRuleAndReportsTheWorstElement) {
  const ::testing::AssertionResult result = check_gradients(
      [](const std::vector<Tensor>& in) { return square_with_factor(in[0], 2.001); }, {random_tensor({3, 4}, 1)});
  ASSERT_FALSE(result);
  const std::string message = result.message();
  EXPECT_THAT(message, HasSubstr("input 0 float64[3, 4] at index ["));
  EXPECT_THAT(message, HasSubstr("analytic "));
  EXPECT_THAT(message, HasSubstr("numeric "));
  EXPECT_THAT(message, HasSubstr("of 12 elements"));
}

TEST(GradCheck, RandomProjectionCatchesWhatAPlainSumHides) {
  const auto f = [](const std::vector<Tensor>& in) { return softmax_without_gradient(in[0]); };
  const Tensor x = random_tensor({3, 5}, 2, -2, 2);
  EXPECT_TRUE(check_gradients(f, {x}, GradCheckOptions{.random_projection = false}));
  EXPECT_FALSE(check_gradients(f, {x}));
}

TEST(GradCheck, ChecksVariables) {
  Variable w("w", random_tensor({4, 3}, 3));
  const Tensor x = random_tensor({2, 4}, 4);
  EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return tanh(matmul(in[0], w.value())); }, {x}, {},
                              {w}));
  // A rule that drops the variable's gradient is caught and the variable is named.
  const auto drops_w = [&](const std::vector<Tensor>& in) {
    Tensor y;
    {
      NoRecording pause;
      y = matmul(in[0], w.value());
    }
    if (should_record({in[0], w.value()})) {
      record("matmul_without_kernel_gradient", {in[0], w.value()}, y,
             [w_value = w.value()](const Tensor& g, std::span<const bool> needs) {
               return std::vector<Tensor>{needs[0] ? matmul(g, w_value, false, true) : Tensor(), Tensor()};
             });
    }
    return y;
  };
  const ::testing::AssertionResult result = check_gradients(drops_w, {x}, {}, {w});
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()), HasSubstr("variable 'w'"));
  // The perturbations restored every value exactly.
  EXPECT_EQ(w.value().to_vector(), random_tensor({4, 3}, 3).to_vector());
}

TEST(GradCheck, RefusesFloat32Variables) {
  Variable w("w32", random_tensor({2}, 5, -1, 1, DType::float32));
  const ::testing::AssertionResult result = check_gradients(
      [&](const std::vector<Tensor>& in) { return in[0] * cast(w.value(), DType::float64); }, {random_tensor({2}, 6)},
      {}, {w});
  ASSERT_FALSE(result);
  EXPECT_THAT(std::string(result.message()), HasSubstr("needs float64 variables"));
}

TEST(GradCheck, AwayFromKinks) {
  const Tensor x = from_values({5}, {-1e-4, 0, 2.9999, 3.5, -7}, DType::float64);
  const std::vector<double> moved = test::away_from_kinks(x, {0.0, 3.0}, 1e-3).to_vector();
  EXPECT_EQ(moved, (std::vector<double>{-1e-3, 1e-3, 2.999, 3.5, -7}));
}

TEST(GradCheck, RandomTensorIsSeededAndInRange) {
  const std::vector<double> a = random_tensor({1000}, 9, -2, 3).to_vector();
  EXPECT_EQ(a, random_tensor({1000}, 9, -2, 3).to_vector());
  EXPECT_NE(a, random_tensor({1000}, 10, -2, 3).to_vector());
  double lo = a[0], hi = a[0];
  for (double v : a) lo = std::min(lo, v), hi = std::max(hi, v);
  EXPECT_GE(lo, -2);
  EXPECT_LT(hi, 3);
  EXPECT_LT(lo, -1.9);  // 1000 draws reach both ends (miss probability ~ 0.98^1000 per end)
  EXPECT_GT(hi, 2.9);
}

TEST(GradCheck, AllCloseReportsTheFirstWrongElement) {
  const Tensor x = from_values({2, 2}, {1, 2, 3, 4}, DType::float64);
  EXPECT_TRUE(test::all_close(x, {2, 2}, {1, 2, 3, 4}));
  const ::testing::AssertionResult wrong = test::all_close(x, {2, 2}, {1, 2, 3.5, 4});
  ASSERT_FALSE(wrong);
  EXPECT_THAT(std::string(wrong.message()), HasSubstr("at index [1, 0]: got 3, expected 3.5"));
  EXPECT_FALSE(test::all_close(x, {4}, {1, 2, 3, 4}));
}

}  // namespace
}  // namespace gradlab
