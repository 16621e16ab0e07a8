#include "gradlab/instrument/layer_stats.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/layer_normalization.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ForwardStats, MomentsZerosAndDeadUnitsOfARelu) {
  // Unit 0 is zero for every example (dead); units 1-3 fire at least once.
  const Tensor y = from_values({3, 4}, {0, 1, 0, 2,  //
                                        0, 3, 0, 0,  //
                                        0, 0, 5, 1});
  const ForwardStats s = forward_stats(y, "relu");
  EXPECT_EQ(s.count, 12);
  EXPECT_DOUBLE_EQ(s.mean, 1.0);                               // 12 / 12
  EXPECT_NEAR(s.std, std::sqrt(40.0 / 12.0 - 1.0), 1e-12);     // E[y^2] - mean^2
  EXPECT_EQ(s.min, 0.0);
  EXPECT_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 7.0 / 12.0);
  ASSERT_TRUE(s.silent_fraction.has_value());
  EXPECT_DOUBLE_EQ(*s.silent_fraction, 0.25);
  EXPECT_FALSE(s.saturated_fraction.has_value());
  EXPECT_EQ(s.nonfinite_count, 0);
}

TEST(ForwardStats, DeadUnitsCountOverEveryPositionOfASequence) {
  // [N=2, T=2, C=2]: unit 1 fires only at example 1, step 0; unit 0 never.
  const Tensor y = from_values({2, 2, 2}, {0, 0, 0, 0, 0, 4, 0, 0});
  EXPECT_DOUBLE_EQ(*forward_stats(y, "relu").silent_fraction, 0.5);
}

TEST(ForwardStats, SaturationOfTanhAndSigmoidUsesStrictThresholds) {
  // 0.99 itself is not saturated; 0.995 and -0.999 are.
  const Tensor t = from_values({1, 4}, {0.995, -0.999, 0.5, 0.99}, DType::float64);
  EXPECT_DOUBLE_EQ(*forward_stats(t, "tanh").saturated_fraction, 0.5);
  // 0.005 and 0.995 are saturated; 0.01 and 0.5 are not.
  const Tensor s = from_values({1, 4}, {0.005, 0.995, 0.5, 0.01}, DType::float64);
  EXPECT_DOUBLE_EQ(*forward_stats(s, "sigmoid").saturated_fraction, 0.5);
  EXPECT_DOUBLE_EQ(*forward_stats(s, "hard_sigmoid").saturated_fraction, 0.5);
  EXPECT_DOUBLE_EQ(*forward_stats(s, "sigmoid", {.low = 0.2, .high = 0.8}).saturated_fraction, 0.75);
  EXPECT_DOUBLE_EQ(*forward_stats(s, "sigmoid", {.low = 0.001, .high = 0.999}).saturated_fraction, 0.0);
  EXPECT_FALSE(forward_stats(s, "relu").saturated_fraction.has_value());
  EXPECT_FALSE(forward_stats(s, "tanh").silent_fraction.has_value());
}

TEST(ForwardStats, NonFiniteValuesAreCountedAndLeftOutOfTheMoments) {
  const Tensor y = from_values({1, 5}, {1, kNaN, kInf, 3, -kInf}, DType::float64);
  const ForwardStats s = forward_stats(y, "linear");
  EXPECT_EQ(s.nonfinite_count, 3);
  EXPECT_DOUBLE_EQ(s.mean, 2.0);
  EXPECT_DOUBLE_EQ(s.std, 1.0);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 3.0);
}

TEST(ForwardStats, LargeOffsetDoesNotCancelTheSpread) {
  const Tensor y = from_values({1, 4}, {1e9 + 1, 1e9 - 1, 1e9 + 1, 1e9 - 1}, DType::float64);
  EXPECT_NEAR(forward_stats(y, "linear").std, 1.0, 1e-9);
}

// Float32 tensors of 32 values or more take the fast float32 tier (kernels/stats.h), which sums in
// float32 over short blocks; the same values in float64 take the exact double loop. Min, max, counts
// and fractions must agree to the bit; mean, std and norms to a relative 1e-6 — for every length
// (whole steps of 32 and a tail), with zeros of both signs, subnormals and values on either side of
// each threshold.
std::vector<double> awkward_values(int64_t n) {
  constexpr float kDenormMin = std::numeric_limits<float>::denorm_min();
  const float edges[] = {0.99f, -0.99f, 0.01f, 0.5f, 1.0f};
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) {
    const float e = edges[i % 5];
    switch (i % 7) {
      case 0: v.push_back(0.0); break;
      case 1: v.push_back(-0.0); break;
      case 2: v.push_back(std::nextafter(e, 2.0f)); break;
      case 3: v.push_back(std::nextafter(e, -2.0f)); break;
      case 4: v.push_back(static_cast<double>(kDenormMin) * static_cast<double>(i)); break;
      case 5: v.push_back(e); break;
      default: v.push_back(static_cast<double>(static_cast<float>(std::sin(static_cast<double>(i)) * 3.0)));
    }
  }
  return v;
}

// a within a relative `tolerance` of b, or equal (infinities included).
bool close_to(double a, double b, double tolerance) { return a == b || std::abs(a - b) <= tolerance * std::abs(b); }

void expect_same(const ForwardStats& a, const ForwardStats& b) {
  EXPECT_EQ(a.count, b.count);
  EXPECT_NEAR(a.mean, b.mean, 1e-6 * (std::abs(b.mean) + b.std));
  EXPECT_NEAR(a.std, b.std, 1e-6 * b.std);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  // A zero extreme is reported as 0, never -0.
  EXPECT_EQ(std::signbit(a.min), a.min < 0);
  EXPECT_EQ(std::signbit(a.max), a.max < 0);
  EXPECT_EQ(a.zero_fraction, b.zero_fraction);
  EXPECT_EQ(a.silent_fraction, b.silent_fraction);
  EXPECT_EQ(a.saturated_fraction, b.saturated_fraction);
  EXPECT_EQ(a.nonfinite_count, b.nonfinite_count);
}

TEST(ForwardStats, Float32ScanAgreesWithFloat64) {
  // Three kinds of sample: awkward values, with a NaN, and made non-negative as a relu's outputs are
  // (0 is then the minimum, so the sign of the zero it reports shows).
  for (int64_t n : {1, 7, 8, 9, 31, 32, 33, 63, 64, 301}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<double> values = awkward_values(n);
      if (kind == 1) values[static_cast<std::size_t>(n / 2)] = kNaN;
      if (kind == 2) {
        for (double& v : values) v = v < 0 ? -v : v;
      }
      const Tensor y64 = from_values({n}, values, DType::float64);
      const Tensor y32 = y64.to(DType::float32);
      for (const char* activation : {"linear", "relu", "tanh", "sigmoid"}) {
        for (SaturationThresholds t :
             {SaturationThresholds{}, SaturationThresholds{.symmetric = 0.5, .low = 0.1, .high = 0.3}}) {
          SCOPED_TRACE(testing::Message() << "n = " << n << ", kind " << kind << ", " << activation);
          expect_same(forward_stats(y32, activation, t), forward_stats(y64, activation, t));
        }
      }
    }
  }
}

// The float32 scans scale or step aside where float32 arithmetic would lose the statistic: gradients
// far below 1e-19 (whose squares underflow in float32) or above 1e19 (overflow), and activations
// spread by less than 2^-40 or more than 2^60 around their mean. At every scale the result agrees
// with the exact float64 one.
TEST(LayerStats, Float32AgreesWithFloat64AtEveryScale) {
  Rng rng(7);
  const Tensor base = normal({64, 33}, rng, 0.0, 1.0, DType::float64);  // 2112 values: 66 steps of 32
  for (double scale : {1e-44, 1e-38, 1e-30, 1e-15, 1e-3, 1.0, 1e3, 1e15, 1e25, 1e36}) {
    for (double offset : {0.0, 1.0, 1e4}) {
      SCOPED_TRACE(testing::Message() << "scale " << scale << ", offset " << offset);
      const Tensor y64 = (base * scale + offset).to(DType::float32).to(DType::float64);
      const Tensor y32 = y64.to(DType::float32);
      const ForwardStats a = forward_stats(y32, "linear"), b = forward_stats(y64, "linear");
      EXPECT_EQ(a.min, b.min);
      EXPECT_EQ(a.max, b.max);
      EXPECT_PRED3(close_to, a.mean, b.mean, 1e-6 * (1 + b.std / std::abs(b.mean)));
      EXPECT_PRED3(close_to, a.std, b.std, 1e-5);
      const GradientStats ga = gradient_stats(y32), gb = gradient_stats(y64);
      EXPECT_PRED3(close_to, ga.l2_norm, gb.l2_norm, 1e-6);
      EXPECT_EQ(ga.max_abs, gb.max_abs);
      EXPECT_EQ(ga.zero_count, gb.zero_count);
      EXPECT_EQ(ga.below_float32_normal_count, gb.below_float32_normal_count);
      // A weight's norm takes a cheaper scan of its own (fast_sum_of_squares).
      const double weight32 = variable_gradient_stats(Variable("w", y32), Tensor()).weight_norm;
      const double weight64 = variable_gradient_stats(Variable("w", y64), Tensor()).weight_norm;
      EXPECT_PRED3(close_to, weight32, weight64, 1e-6);
      EXPECT_PRED3(close_to, weight32, gb.l2_norm, 1e-6);
    }
  }
}

TEST(GradientStats, Float32ScanAgreesWithFloat64) {
  for (int64_t n : {1, 7, 8, 9, 31, 32, 33, 63, 64, 301}) {
    for (double odd : {1.0, kNaN, kInf}) {
      std::vector<double> values = awkward_values(n);
      values[static_cast<std::size_t>(n / 2)] = odd;
      const GradientStats a = gradient_stats(from_values({n}, values, DType::float32));
      const GradientStats b = gradient_stats(from_values({n}, values, DType::float64));
      SCOPED_TRACE(testing::Message() << "n = " << n << ", odd value " << odd);
      EXPECT_EQ(a.count, b.count);
      EXPECT_PRED3(close_to, a.l2_norm, b.l2_norm, 1e-6);
      EXPECT_PRED3(close_to, a.rms, b.rms, 1e-6);
      EXPECT_EQ(a.max_abs, b.max_abs);
      EXPECT_EQ(a.zero_count, b.zero_count);
      EXPECT_EQ(a.below_float32_normal_count, b.below_float32_normal_count);
      EXPECT_EQ(a.nonfinite_count, b.nonfinite_count);
    }
  }
}

TEST(GradientStats, NormRmsZerosAndValuesBelowFloat32Normal) {
  const Tensor g = from_values({4}, {3, -4, 0, 1e-40}, DType::float64);
  const GradientStats s = gradient_stats(g);
  EXPECT_EQ(s.count, 4);
  EXPECT_DOUBLE_EQ(s.l2_norm, 5.0);
  EXPECT_DOUBLE_EQ(s.rms, 2.5);
  EXPECT_DOUBLE_EQ(s.max_abs, 4.0);
  EXPECT_EQ(s.zero_count, 1);
  EXPECT_EQ(s.below_float32_normal_count, 1);
  // In float32, 1e-40 is a subnormal: still counted.
  EXPECT_EQ(gradient_stats(g.to(DType::float32)).below_float32_normal_count, 1);
}

TEST(GradientStats, NormOfTinyFloat32GradientDoesNotUnderflow) {
  // 1e-25 squared underflows float32; the norm is accumulated in double.
  const Tensor g = full({100}, 1e-25, DType::float32);
  EXPECT_NEAR(gradient_stats(g).l2_norm / 1e-24, 1.0, 1e-6);
}

TEST(GradientStats, NonFiniteGradientHasAnInfiniteNorm) {
  const GradientStats s = gradient_stats(from_values({2}, {1, kNaN}, DType::float64));
  EXPECT_EQ(s.nonfinite_count, 1);
  EXPECT_EQ(s.l2_norm, kInf);
}

TEST(GradientStats, UndefinedGradientIsEmpty) { EXPECT_EQ(gradient_stats(Tensor()).l2_norm, 0.0); }

TEST(GradientStats, CombineAddsInQuadrature) {
  const GradientStats a = gradient_stats(from_values({2}, {3, 0}, DType::float64));
  const GradientStats b = gradient_stats(from_values({2}, {0, 4}, DType::float64));
  const GradientStats c = combine({a, b});
  EXPECT_DOUBLE_EQ(c.l2_norm, 5.0);
  EXPECT_EQ(c.count, 4);
  EXPECT_DOUBLE_EQ(c.rms, 2.5);
  EXPECT_EQ(c.zero_count, 2);
  EXPECT_DOUBLE_EQ(c.max_abs, 4.0);
}

TEST(VariableGradientStats, RoleIsTheNameWithoutTheLayersPath) {
  EXPECT_EQ(variable_role("dense_1", "dense_1/kernel"), "kernel");
  EXPECT_EQ(variable_role("lstm", "lstm/kernel_norm/gamma"), "kernel_norm/gamma");
  EXPECT_EQ(variable_role("dense", "dense_1/kernel"), "dense_1/kernel");  // another layer's prefix
  EXPECT_EQ(variable_role("", "w"), "w");
  const Variable w("bn/gamma", from_values({2}, {1, 1}, DType::float64));
  EXPECT_EQ(variable_gradient_stats(w, Tensor(), "bn").role, "gamma");
  EXPECT_EQ(variable_gradient_stats(w, Tensor()).role, "bn/gamma");
}

TEST(VariableGradientStats, RatioOfGradientToWeightNorm) {
  const Variable w("d/kernel", from_values({2}, {3, 4}, DType::float64));
  const VariableGradientStats s = variable_gradient_stats(w, from_values({2}, {0.3, -0.4}, DType::float64));
  EXPECT_EQ(s.name, "d/kernel");
  EXPECT_DOUBLE_EQ(s.grad_norm, 0.5);
  EXPECT_DOUBLE_EQ(s.max_abs_grad, 0.4);
  EXPECT_DOUBLE_EQ(s.weight_norm, 5.0);
  EXPECT_DOUBLE_EQ(s.grad_to_weight_ratio, 0.1);
  const Variable bias("d/bias", zeros({2}, DType::float64));
  EXPECT_EQ(variable_gradient_stats(bias, from_values({2}, {1, 0}, DType::float64)).grad_to_weight_ratio, kInf);
  EXPECT_EQ(variable_gradient_stats(bias, Tensor()).grad_to_weight_ratio, 0.0);
}

TEST(LayerActivation, ReadsDenseAndActivationLayers) {
  EXPECT_EQ(layer_activation(Dense(3, {.activation = "tanh"}).impl()), "tanh");
  EXPECT_EQ(layer_activation(Activation("sigmoid").impl()), "sigmoid");
  EXPECT_EQ(layer_activation(LayerNormalization().impl()), "linear");
  EXPECT_EQ(layer_activation(SimpleRNN(3, {.activation = "relu"}).impl()), "relu");
  EXPECT_EQ(layer_activation(LSTM(3).impl()), "linear");  // h = o * tanh(c) mixes a gate and a state
}

}  // namespace
}  // namespace gradlab
