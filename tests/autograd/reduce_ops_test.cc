#include "gradlab/autograd/reduce_ops.h"

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
using test::random_tensor;
using test::iota;
using ::testing::HasSubstr;

TEST(ReduceOps, SumOverAxes) {
  for (DType dtype : {DType::float32, DType::float64}) {
    const Tensor x = iota({2, 3}, dtype);
    EXPECT_TRUE(all_close(sum(x), {}, {15}));
    EXPECT_TRUE(all_close(sum(x, {0}), {3}, {3, 5, 7}));
    EXPECT_TRUE(all_close(sum(x, {1}), {2}, {3, 12}));
    EXPECT_TRUE(all_close(sum(x, {-1}, true), {2, 1}, {3, 12}));
    EXPECT_TRUE(all_close(sum(x, {0, 1}, true), {1, 1}, {15}));
  }
  const Tensor y = iota({2, 3, 4});
  // Axes 0 and 2 are separated by a kept axis.
  EXPECT_TRUE(all_close(sum(y, {0, 2}), {3}, {0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
                                               8 + 9 + 10 + 11 + 20 + 21 + 22 + 23}));
  EXPECT_TRUE(all_close(sum(y, {1}), {2, 4}, {12, 15, 18, 21, 48, 51, 54, 57}));
  EXPECT_TRUE(all_close(sum(scalar(2.5, DType::float64)), {}, {2.5}));
}

TEST(ReduceOps, MeanVarianceNorm) {
  const Tensor x = from_values({2, 3}, {1, 2, 3, 4, 6, 8}, DType::float64);
  EXPECT_TRUE(all_close(mean(x), {}, {4}));
  EXPECT_TRUE(all_close(mean(x, {0}), {3}, {2.5, 4, 5.5}));
  EXPECT_TRUE(all_close(mean(x, {1}, true), {2, 1}, {2, 6}));
  // Biased: row 0 deviations -1, 0, 1 -> 2/3; row 1 deviations -2, 0, 2 -> 8/3.
  EXPECT_TRUE(all_close(variance(x, {1}), {2}, {2.0 / 3, 8.0 / 3}));
  // All elements: mean 4, squared deviations 9 4 1 0 4 16 -> 34/6.
  EXPECT_TRUE(all_close(variance(x), {}, {34.0 / 6}));
  EXPECT_TRUE(all_close(norm(from_values({2}, {3, 4}, DType::float32)), {}, {5}));
  EXPECT_TRUE(all_close(norm(x, {1}, true), {2, 1}, {std::sqrt(14.0), std::sqrt(116.0)}));
}

TEST(ReduceOps, VarianceIsAccurateForLargeOffsets) {
  // E[x^2] - E[x]^2 would lose every digit here.
  const Tensor x = from_values({4}, {1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4}, DType::float64);
  EXPECT_TRUE(all_close(variance(x), {}, {1.25}, 1e-9));
}

TEST(ReduceOps, ReduceMax) {
  const Tensor x = from_values({2, 3}, {1, 7, 3, -4, -2, -9}, DType::float32);
  EXPECT_TRUE(all_close(reduce_max(x), {}, {7}));
  EXPECT_TRUE(all_close(reduce_max(x, {0}), {3}, {1, 7, 3}));
  EXPECT_TRUE(all_close(reduce_max(x, {1}, true), {2, 1}, {7, -2}));
}

TEST(ReduceOps, Float32SumAccumulatesAccurately) {
  // 2^20 values of 0.1f: a float accumulator drifts by ~1e-4 relative; double accumulation does not.
  const Tensor x = full({1 << 20}, 0.1, DType::float32);
  const double exact = static_cast<double>(0.1f);
  EXPECT_NEAR(mean(x).item(), exact, exact * 1e-6);
  EXPECT_NEAR(sum(x).item(), exact * (1 << 20), exact * (1 << 20) * 1e-6);
}

TEST(ReduceOps, EmptyReductions) {
  EXPECT_TRUE(all_close(sum(zeros({0, 3}, DType::float64), {0}), {3}, {0, 0, 0}));
  EXPECT_TRUE(std::isnan(mean(zeros({0}, DType::float64)).item()));
  try {
    reduce_max(zeros({2, 0}), {1});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("reduce_max: cannot reduce axis 1 of shape [2, 0]"));
  }
}

TEST(ReduceOps, AxisErrors) {
  try {
    sum(zeros({2, 3}), {2});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "sum: axis 2 is out of range for shape [2, 3] (rank 2)");
  }
  EXPECT_THROW(mean(zeros({2, 3}), {-3}), Error);
  try {
    variance(zeros({2, 3}), {1, -1});
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("variance: axis -1 is listed twice"));
  }
}

TEST(ReduceOps, NormGradientAtZeroIsZero) {
  const Tensor x = zeros({2, 3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor g = tape.gradient(norm(x), x);
  EXPECT_TRUE(all_close(g, {2, 3}, {0, 0, 0, 0, 0, 0}));
  // Per-row norms: one zero row, one non-zero row.
  const Tensor y = from_values({2, 2}, {0, 0, 3, 4}, DType::float64);
  GradientTape tape2;
  tape2.watch(y);
  EXPECT_TRUE(all_close(tape2.gradient(sum(norm(y, {1})), y), {2, 2}, {0, 0, 0.6, 0.8}));
}

TEST(ReduceOps, ReduceMaxGradientGoesToFirstMaximum) {
  const Tensor x = from_values({2, 3}, {5, 1, 5, 2, 2, 2}, DType::float64);
  GradientTape tape(TapeOptions{.persistent = true});
  tape.watch(x);
  EXPECT_TRUE(all_close(tape.gradient(reduce_max(x, {1}), x), {2, 3}, {1, 0, 0, 1, 0, 0}));
  EXPECT_TRUE(all_close(tape.gradient(reduce_max(x), x), {2, 3}, {1, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(all_close(tape.gradient(sum(reduce_max(x, {0}) * from_values({3}, {1, 2, 3}, DType::float64)), x),
                        {2, 3}, {1, 0, 3, 0, 2, 0}));
}

TEST(ReduceOpsGradients, EveryAxisCombination) {
  const std::vector<std::vector<int64_t>> axis_sets = {{}, {0}, {1}, {2}, {-1}, {0, 2}, {0, 1}, {1, 2}, {2, 0, 1}};
  uint64_t seed = 100;
  for (const auto& axes : axis_sets) {
    for (bool keepdims : {false, true}) {
      const Tensor x = random_tensor({2, 3, 4}, seed++);
      const std::string what = ::testing::PrintToString(axes) + (keepdims ? " keepdims" : "");
      EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return sum(in[0], axes, keepdims); }, {x}))
          << "sum " << what;
      EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return mean(in[0], axes, keepdims); }, {x}))
          << "mean " << what;
      EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return variance(in[0], axes, keepdims); }, {x}))
          << "variance " << what;
      EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return norm(in[0], axes, keepdims); }, {x}))
          << "norm " << what;
      // Random draws have distinct values, so the maximum is unique and differentiable.
      EXPECT_TRUE(check_gradients([&](const std::vector<Tensor>& in) { return reduce_max(in[0], axes, keepdims); }, {x}))
          << "reduce_max " << what;
    }
  }
}

TEST(ReduceOpsGradients, NormalizationComposition) {
  // (x - mean) / sqrt(var + eps) over the feature axis: the layer-normalization core, whose
  // gradient sums to zero along the axis (exactly what a plain-sum check would miss).
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) {
        return (in[0] - mean(in[0], {-1}, true)) / sqrt(variance(in[0], {-1}, true) + 1e-3);
      },
      {random_tensor({3, 5}, 200)}));
}

}  // namespace
}  // namespace gradlab
