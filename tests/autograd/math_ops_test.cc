#include "gradlab/autograd/math_ops.h"

#include <array>
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::all_close;
using test::check_gradients;
using test::random_tensor;
using ::testing::HasSubstr;

using Fn = test::GradCheckFn;

// --- forward values -------------------------------------------------------------------------------

TEST(MathOps, AddBroadcastsRankThreeWithRankTwo) {
  const Tensor a = from_values({2, 1, 3}, {1, 2, 3, 4, 5, 6}, DType::float64);
  const Tensor b = from_values({2, 1}, {10, 20}, DType::float64);
  EXPECT_TRUE(all_close(a + b, {2, 2, 3}, {11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26}));
  EXPECT_TRUE(all_close(b + a, {2, 2, 3}, {11, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26}));
}

TEST(MathOps, BiasBroadcastInBothDtypes) {
  for (DType dtype : {DType::float32, DType::float64}) {
    const Tensor x = from_values({2, 3}, {1, 2, 3, 4, 5, 6}, dtype);
    const Tensor b = from_values({3}, {0.5, -1, 2}, dtype);
    EXPECT_TRUE(all_close(x + b, {2, 3}, {1.5, 1, 5, 4.5, 4, 8}));
    EXPECT_TRUE(all_close(x - b, {2, 3}, {0.5, 3, 1, 3.5, 6, 4}));
    EXPECT_TRUE(all_close(x * b, {2, 3}, {0.5, -2, 6, 2, -5, 12}));
    EXPECT_TRUE(all_close(x / b, {2, 3}, {2, -2, 1.5, 8, -5, 3}));
    EXPECT_EQ((x + b).dtype(), dtype);
  }
}

TEST(MathOps, ColumnBroadcastAndOuterBroadcast) {
  const Tensor col = from_values({2, 1}, {1, 2}, DType::float64);
  const Tensor row = from_values({1, 3}, {10, 20, 30}, DType::float64);
  EXPECT_TRUE(all_close(col * row, {2, 3}, {10, 20, 30, 20, 40, 60}));
  const Tensor x = from_values({2, 3}, {1, 2, 3, 4, 5, 6}, DType::float64);
  EXPECT_TRUE(all_close(x - col, {2, 3}, {0, 1, 2, 2, 3, 4}));
}

TEST(MathOps, ScalarTensorsBroadcastBothWays) {
  const Tensor s = scalar(2.0, DType::float64);
  const Tensor x = from_values({3}, {1, 2, 4}, DType::float64);
  EXPECT_TRUE(all_close(s / x, {3}, {2, 1, 0.5}));
  EXPECT_TRUE(all_close(x / s, {3}, {0.5, 1, 2}));
  EXPECT_TRUE(all_close(s * s, {}, {4}));
}

TEST(MathOps, ScalarConstants) {
  const Tensor x = from_values({3}, {1, -2, 4}, DType::float32);
  EXPECT_TRUE(all_close(x + 2.0, {3}, {3, 0, 6}));
  EXPECT_TRUE(all_close(2.0 + x, {3}, {3, 0, 6}));
  EXPECT_TRUE(all_close(x - 1.0, {3}, {0, -3, 3}));
  EXPECT_TRUE(all_close(1.0 - x, {3}, {0, 3, -3}));
  EXPECT_TRUE(all_close(x * 3.0, {3}, {3, -6, 12}));
  EXPECT_TRUE(all_close(0.5 * x, {3}, {0.5, -1, 2}));
  EXPECT_TRUE(all_close(x / 4.0, {3}, {0.25, -0.5, 1}));
  EXPECT_TRUE(all_close(-x, {3}, {-1, 2, -4}));
  EXPECT_EQ((x * 3.0).dtype(), DType::float32);
}

TEST(MathOps, ElementwiseFunctions) {
  const Tensor x = from_values({3}, {0.25, 1, 4}, DType::float64);
  EXPECT_TRUE(all_close(exp(x), {3}, {std::exp(0.25), 2.718281828459045, std::exp(4.0)}));
  EXPECT_TRUE(all_close(log(x), {3}, {-1.3862943611198906, 0, 1.3862943611198906}));
  EXPECT_TRUE(all_close(sqrt(x), {3}, {0.5, 1, 2}));
  EXPECT_TRUE(all_close(square(x), {3}, {0.0625, 1, 16}));
  EXPECT_TRUE(all_close(pow(x, 1.5), {3}, {0.125, 1, 8}));
  EXPECT_TRUE(all_close(pow(x, -1.0), {3}, {4, 1, 0.25}));
  EXPECT_TRUE(all_close(pow(x, 0.0), {3}, {1, 1, 1}));
  const Tensor y = from_values({3}, {-3, 0, 2}, DType::float32);
  EXPECT_TRUE(all_close(abs(y), {3}, {3, 0, 2}));
  EXPECT_TRUE(all_close(pow(y, 3.0), {3}, {-27, 0, 8}));
  EXPECT_TRUE(all_close(pow(y, 2.0), {3}, {9, 0, 4}));
}

TEST(MathOps, MatmulWithEveryTransposeCombination) {
  const Tensor a = from_values({2, 2}, {1, 2, 3, 4}, DType::float64);
  const Tensor b = from_values({2, 2}, {5, 6, 7, 8}, DType::float64);
  EXPECT_TRUE(all_close(matmul(a, b), {2, 2}, {19, 22, 43, 50}));
  EXPECT_TRUE(all_close(matmul(a, b, true, false), {2, 2}, {26, 30, 38, 44}));
  EXPECT_TRUE(all_close(matmul(a, b, false, true), {2, 2}, {17, 23, 39, 53}));
  EXPECT_TRUE(all_close(matmul(a, b, true, true), {2, 2}, {23, 31, 34, 46}));
}

TEST(MathOps, MatmulRectangularFloat32) {
  const Tensor a = from_values({2, 3}, {1, 2, 3, 4, 5, 6}, DType::float32);
  const Tensor b = from_values({3, 1}, {1, 0, -1}, DType::float32);
  EXPECT_TRUE(all_close(matmul(a, b), {2, 1}, {-2, -2}));
  // [3, 2]^T x [3, 1]: a stored transposed.
  const Tensor at = from_values({3, 2}, {1, 4, 2, 5, 3, 6}, DType::float32);
  EXPECT_TRUE(all_close(matmul(at, b, true, false), {2, 1}, {-2, -2}));
}

TEST(MathOps, Float32MatmulWithTransposedBMatchesFloat64) {
  // Small float products a * b^T go through a transposed copy of b (kernels/blas.cc) when the
  // shapes allow it; these cover that path (multiples of 8, as in the lesson probe's backward) and
  // the direct call beside it.
  for (const auto& [m, n, k] : {std::array<int64_t, 3>{32, 128, 32}, {8, 16, 24}, {5, 16, 8}, {3, 7, 5}}) {
    const Tensor a = random_tensor({m, k}, 30, -1, 1, DType::float32);
    const Tensor b = random_tensor({n, k}, 31, -1, 1, DType::float32);
    const Tensor expected = matmul(a.to(DType::float64), b.to(DType::float64), false, true);
    EXPECT_TRUE(all_close(matmul(a, b, false, true), {m, n}, expected.to_vector(), 1e-5))
        << m << " x " << n << " x " << k;
  }
}

TEST(MathOps, MatmulWithEmptyInnerDimensionIsZero) {
  const Tensor a = zeros({2, 0}, DType::float64);
  const Tensor b = zeros({0, 3}, DType::float64);
  EXPECT_TRUE(all_close(matmul(a, b), {2, 3}, {0, 0, 0, 0, 0, 0}));
}

TEST(MathOps, CastConvertsValuesAndGradientDtype) {
  const Tensor x = from_values({2}, {1.5, -2.25}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = cast(x, DType::float32);
  EXPECT_EQ(y.dtype(), DType::float32);
  EXPECT_TRUE(all_close(y, {2}, {1.5, -2.25}));
  const Tensor loss = sum(y * from_values({2}, {3, 4}, DType::float32));
  const Tensor g = tape.gradient(loss, x);
  EXPECT_EQ(g.dtype(), DType::float64);
  EXPECT_TRUE(all_close(g, {2}, {3, 4}));
}

TEST(MathOps, StopGradientPassesValuesButNoGradient) {
  const Tensor x = from_values({2}, {1, 2}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = x * stop_gradient(x);  // d/dx = stop_gradient(x) = x, not 2x
  EXPECT_TRUE(all_close(y, {2}, {1, 4}));
  EXPECT_TRUE(all_close(tape.gradient(sum(y), x), {2}, {1, 2}));
}

TEST(MathOps, StopGradientAloneGivesUnconnectedSource) {
  const Tensor x = from_values({2}, {1, 2}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor y = stop_gradient(x) * 3.0;
  EXPECT_FALSE(tape.gradient(sum(y), x).defined());
}

TEST(MathOps, SqrtGradientAtZeroIsInfinite) {
  const Tensor x = from_values({2}, {0, 4}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  const Tensor g = tape.gradient(sum(sqrt(x)), x);
  EXPECT_EQ(g.at({0}), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(g.at({1}), 0.25);
}

TEST(MathOps, AbsGradientAtZeroIsZero) {
  const Tensor x = from_values({3}, {-2, 0, 3}, DType::float32);
  GradientTape tape;
  tape.watch(x);
  EXPECT_TRUE(all_close(tape.gradient(sum(abs(x)), x), {3}, {-1, 0, 1}));
}

// --- errors ---------------------------------------------------------------------------------------

TEST(MathOps, NonBroadcastingShapesNameOpAndShapes) {
  const Tensor a = zeros({3, 4});
  const Tensor b = zeros({5});
  for (auto op : {+[](const Tensor& u, const Tensor& v) { return add(u, v); },
                  +[](const Tensor& u, const Tensor& v) { return sub(u, v); },
                  +[](const Tensor& u, const Tensor& v) { return mul(u, v); },
                  +[](const Tensor& u, const Tensor& v) { return div(u, v); }}) {
    try {
      op(a, b);
      ADD_FAILURE() << "expected an Error";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("shapes [3, 4] and [5] do not broadcast"));
    }
  }
  try {
    add(a, b);
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("add: "));
  }
}

TEST(MathOps, MatmulInnerDimensionMismatch) {
  try {
    matmul(zeros({32, 128}), zeros({64, 32}));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "matmul: inner dimensions differ: a is [32, 128], b is [64, 32]");
  }
  EXPECT_THROW(matmul(zeros({2, 3}), zeros({2, 3}), false, false), Error);
  EXPECT_NO_THROW(matmul(zeros({2, 3}), zeros({2, 3}), false, true));
  EXPECT_NO_THROW(matmul(zeros({2, 3}), zeros({2, 3}), true, false));
}

TEST(MathOps, MatmulNeedsRankTwo) {
  try {
    matmul(zeros({2, 3, 4}), zeros({4, 2}));
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("matmul: expected rank-2 tensors, got a [2, 3, 4] and b [4, 2]"));
  }
}

TEST(MathOps, DtypeMismatchIsAnError) {
  const Tensor a = zeros({2}, DType::float32);
  const Tensor b = zeros({2}, DType::float64);
  try {
    add(a, b);
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("add: inputs have different dtypes float32 [2] and float64 [2]"));
  }
  EXPECT_THROW(mul(a, b), Error);
  EXPECT_THROW(matmul(zeros({2, 2}, DType::float32), zeros({2, 2}, DType::float64)), Error);
}

TEST(MathOps, UndefinedInputIsAnError) {
  try {
    exp(Tensor());
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "exp: input is an undefined tensor");
  }
  EXPECT_THROW(add(Tensor(), zeros({1})), Error);
}

// --- gradients ------------------------------------------------------------------------------------

struct ShapePair {
  Shape a, b;
};

const std::vector<ShapePair> kBroadcastPairs = {
    {{3, 4}, {3, 4}}, {{4, 1, 3}, {5, 1}}, {{5, 1}, {4, 1, 3}}, {{6, 4}, {4}}, {{4}, {6, 4}},
    {{3, 4}, {}},     {{}, {2, 3}},        {{2, 1}, {1, 3}},    {{2, 3, 4}, {3, 1}}, {{1}, {1}},
};

TEST(MathOpsGradients, AddSubMulDivWithBroadcasting) {
  const std::vector<std::pair<const char*, Fn>> ops = {
      {"add", [](const std::vector<Tensor>& in) { return in[0] + in[1]; }},
      {"sub", [](const std::vector<Tensor>& in) { return in[0] - in[1]; }},
      {"mul", [](const std::vector<Tensor>& in) { return in[0] * in[1]; }},
      {"div", [](const std::vector<Tensor>& in) { return in[0] / in[1]; }},
  };
  uint64_t seed = 1;
  for (const auto& [name, f] : ops) {
    for (const ShapePair& p : kBroadcastPairs) {
      const Tensor a = random_tensor(p.a, seed++);
      // Divisors kept away from zero, where the quotient and its derivatives blow up.
      const Tensor b = random_tensor(p.b, seed++, 0.5, 1.5);
      EXPECT_TRUE(check_gradients(f, {a, b})) << name << " " << p.a.to_string() << " with " << p.b.to_string();
    }
  }
}

TEST(MathOpsGradients, FanOutAccumulates) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return in[0] * in[0] + in[0]; },
                              {random_tensor({3, 4}, 11)}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return in[0] / (in[0] * in[0] + 1.0); },
                              {random_tensor({5}, 12)}));
}

TEST(MathOpsGradients, SameTensorAsBothOperands) {
  const Tensor x = from_values({3}, {1, -2, 3}, DType::float64);
  GradientTape tape;
  tape.watch(x);
  EXPECT_TRUE(all_close(tape.gradient(sum(x * x), x), {3}, {2, -4, 6}));
}

TEST(MathOpsGradients, ScalarConstants) {
  const std::vector<Fn> fns = {
      [](const std::vector<Tensor>& in) { return in[0] + 2.5; },
      [](const std::vector<Tensor>& in) { return 2.5 + in[0]; },
      [](const std::vector<Tensor>& in) { return in[0] - 1.5; },
      [](const std::vector<Tensor>& in) { return 1.5 - in[0]; },
      [](const std::vector<Tensor>& in) { return in[0] * -3.0; },
      [](const std::vector<Tensor>& in) { return -3.0 * in[0]; },
      [](const std::vector<Tensor>& in) { return in[0] / 4.0; },
      [](const std::vector<Tensor>& in) { return -in[0]; },
      [](const std::vector<Tensor>& in) { return neg(in[0]); },
  };
  for (std::size_t i = 0; i < fns.size(); ++i) {
    EXPECT_TRUE(check_gradients(fns[i], {random_tensor({2, 3}, 20 + i)})) << "function " << i;
  }
}

TEST(MathOpsGradients, ElementwiseFunctions) {
  const Tensor any = random_tensor({3, 4}, 31, -2, 2);
  const Tensor positive = random_tensor({3, 4}, 32, 0.2, 3);
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return exp(in[0]); }, {any}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return log(in[0]); }, {positive}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return sqrt(in[0]); }, {positive}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return square(in[0]); }, {any}));
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return abs(in[0]); },
                              {test::away_from_kinks(any, {0.0})}));
  for (double e : {3.0, 2.0, 1.0, 0.0, -1.0}) {
    EXPECT_TRUE(check_gradients([e](const std::vector<Tensor>& in) { return pow(in[0], e); }, {any}))
        << "exponent " << e;
  }
  for (double e : {0.5, 1.5, -1.5}) {
    EXPECT_TRUE(check_gradients([e](const std::vector<Tensor>& in) { return pow(in[0], e); }, {positive}))
        << "exponent " << e;
  }
}

TEST(MathOpsGradients, MatmulEveryTransposeCombination) {
  const int64_t m = 3, k = 4, n = 5;
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      const Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, 40 + ta);
      const Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, 42 + tb);
      EXPECT_TRUE(check_gradients(
          [ta, tb](const std::vector<Tensor>& in) { return matmul(in[0], in[1], ta, tb); }, {a, b}))
          << "transpose_a " << ta << " transpose_b " << tb;
    }
  }
}

TEST(MathOpsGradients, MatmulOfATensorWithItself) {
  EXPECT_TRUE(check_gradients([](const std::vector<Tensor>& in) { return matmul(in[0], in[0], true, false); },
                              {random_tensor({4, 3}, 44)}));
}

TEST(MathOpsGradients, DenseLayerComposition) {
  // relu(x W + b), the lesson's Dense layer, with every piece a source.
  EXPECT_TRUE(check_gradients(
      [](const std::vector<Tensor>& in) { return sqrt(square(matmul(in[0], in[1]) + in[2]) + 1.0); },
      {random_tensor({6, 4}, 50), random_tensor({4, 3}, 51), random_tensor({3}, 52)}));
}

TEST(MathOpsGradients, Float32GradientsMatchFloat64) {
  const Tensor a64 = random_tensor({4, 3}, 60);
  const Tensor b64 = random_tensor({3}, 61, 0.5, 1.5);
  auto grads = [](const Tensor& a, const Tensor& b) {
    GradientTape tape;
    tape.watch(a);
    tape.watch(b);
    const Tensor y = sum(exp(a) / b * a - b);
    return tape.gradient(y, std::vector<Tensor>{a, b});
  };
  const std::vector<Tensor> g64 = grads(a64, b64);
  const std::vector<Tensor> g32 = grads(a64.to(DType::float32), b64.to(DType::float32));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(g32[i].dtype(), DType::float32);
    EXPECT_TRUE(all_close(g32[i], g64[i].shape(), g64[i].to_vector(), 1e-5)) << "input " << i;
  }
}

}  // namespace
}  // namespace gradlab
