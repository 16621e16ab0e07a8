// The float32 tanh and sigmoid (src/kernels/fast_math.h) through the public ops, against the
// double-precision functions. The exhaustive check over all 2^32 floats is a one-off command
// (bench/README.md, "Accuracy of the float32 tanh and sigmoid"); here a sweep of every 4096th bit
// pattern plus the special values keeps the test well under a second.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/dense_op.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// The distance from got to the exact value in units of the float spacing at the exact value.
double ulp_error(float got, double exact) {
  const float rounded = static_cast<float>(exact);
  const float a = std::fabs(rounded);
  float spacing = std::nextafter(a, std::numeric_limits<float>::infinity()) - a;
  if (std::fabs(exact) < a) spacing = a - std::nextafter(a, 0.0f);
  return std::fabs(static_cast<double>(got) - exact) / spacing;
}

// Every 4096th finite float32 bit pattern of both signs (about a million values).
std::vector<float> sweep() {
  std::vector<float> xs;
  for (uint64_t bits = 0; bits < 0x7f800000u; bits += 4096) {
    xs.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
    xs.push_back(-xs.back());
  }
  return xs;
}

Tensor float_tensor(const std::vector<float>& xs) {
  Tensor t = zeros({static_cast<int64_t>(xs.size())});
  std::copy(xs.begin(), xs.end(), t.data<float>());
  return t;
}

TEST(FastMath, TanhIsWithinOneUlpOverASweepOfAllFloats) {
  const std::vector<float> xs = sweep();
  const Tensor y = tanh(float_tensor(xs));
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    worst = std::max(worst, ulp_error(y.data<float>()[i], std::tanh(static_cast<double>(xs[i]))));
  }
  EXPECT_LE(worst, 1.0);
}

TEST(FastMath, SigmoidIsWithinOneUlpOverASweepOfAllFloats) {
  const std::vector<float> xs = sweep();
  const Tensor y = sigmoid(float_tensor(xs));
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(xs[i])));
    if (exact < std::numeric_limits<float>::min()) {
      // Subnormal results: an absolute error of one spacing of the smallest subnormal.
      EXPECT_LE(std::fabs(y.data<float>()[i] - exact), 0x1p-149) << xs[i];
      continue;
    }
    worst = std::max(worst, ulp_error(y.data<float>()[i], exact));
  }
  EXPECT_LE(worst, 1.0);
}

TEST(FastMath, TanhIsExactAtZeroOddAndSaturatesToOne) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> xs = {0.0f, -0.0f, 1e-30f, -1e-30f, 0.3f, -0.3f, 9.1f, -9.1f, 20.0f, -20.0f,
                                 3e38f, -3e38f, inf, -inf};
  const Tensor y = tanh(float_tensor(xs));
  const float* p = y.data<float>();
  EXPECT_EQ(std::bit_cast<uint32_t>(p[0]), std::bit_cast<uint32_t>(0.0f));
  EXPECT_EQ(std::bit_cast<uint32_t>(p[1]), std::bit_cast<uint32_t>(-0.0f));
  EXPECT_EQ(p[2], 1e-30f);
  for (size_t i = 0; i < xs.size(); i += 2) EXPECT_EQ(p[i + 1], -p[i]) << xs[i];
  for (size_t i = 6; i < xs.size(); i += 2) EXPECT_EQ(p[i], 1.0f) << xs[i];
}

TEST(FastMath, NanStaysNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(tanh(float_tensor({nan, -nan})).data<float>()[0]));
  EXPECT_TRUE(std::isnan(tanh(float_tensor({nan, -nan})).data<float>()[1]));
  EXPECT_TRUE(std::isnan(sigmoid(float_tensor({nan, -nan})).data<float>()[0]));
  EXPECT_TRUE(std::isnan(sigmoid(float_tensor({nan, -nan})).data<float>()[1]));
}

TEST(FastMath, SigmoidSaturatesToZeroAndOne) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor y = sigmoid(float_tensor({-inf, -1000.0f, 0.0f, 1000.0f, inf}));
  EXPECT_EQ(y.to_vector(), (std::vector<double>{0.0, 0.0, 0.5, 1.0, 1.0}));
}

// The fused Dense op and the unfused activation share one definition, so they agree bit for bit.
TEST(FastMath, FusedDenseTanhAndSigmoidEqualTheActivationsBitForBit) {
  const std::vector<float> xs = sweep();
  const int64_t n = 1024;
  std::vector<float> inputs;  // spread over the whole sweep, tiny to huge, both signs
  for (int64_t i = 0; i < n; ++i) inputs.push_back(xs[i * (xs.size() / n) + (i % 2)]);
  const Tensor x = from_values({n, 1}, std::vector<double>(inputs.begin(), inputs.end()));
  const Tensor identity = ones({1, 1});
  for (const char* activation : {"tanh", "sigmoid"}) {
    const Tensor fused = dense(x, identity, Tensor(), activation);
    const Tensor separate = std::string(activation) == "tanh" ? tanh(x) : sigmoid(x);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(fused.data<float>()[i]), std::bit_cast<uint32_t>(separate.data<float>()[i]))
          << activation << " at " << inputs[i];
    }
  }
}

}  // namespace
}  // namespace gradlab
