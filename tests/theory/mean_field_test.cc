// The mean-field figures against closed forms (relu, erf, linear) and published values (tanh).
#include "gradlab/theory/mean_field.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "gradlab/error.h"
#include "gradlab/theory/critical_line.h"

namespace gradlab::theory {
namespace {

constexpr double kPi = std::numbers::pi;

// erf is not one of gradlab's activations, but its maps have closed forms (Williams 1997), which
// makes it the smooth, saturating check of the whole chain; the theory takes any ScalarActivation.
const ScalarActivation& erf_activation() {
  static const ScalarActivation erf{
      "erf", [](double x) { return std::erf(x); },
      [](double x) { return 2 / std::sqrt(kPi) * std::exp(-x * x); }, {}, false};
  return erf;
}

void expect_relative(double got, double want, double tolerance = 1e-8) {
  EXPECT_NEAR(got, want, std::max(tolerance * std::abs(want), 1e-14)) << "relative error " << (got - want) / want;
}

TEST(MeanField, ReluLengthMapGainAndFixedPointAreClosedForms) {
  const ScalarActivation& relu = scalar_activation("relu");
  for (double w2 : {0.5, 1.3, 2.0, 3.0}) {
    for (double b2 : {0.0, 0.05, 0.4}) {
      const InitVariances v{.sigma_w2 = w2, .sigma_b2 = b2};
      for (double q : {0.01, 1.0, 25.0}) {
        expect_relative(length_map(relu, v, q), w2 * q / 2 + b2);
        expect_relative(gradient_gain(relu, v, q), w2 / 2);
        expect_relative(length_slope(relu, v, q), w2 / 2);
      }
      const GradientPropagation g = gradient_propagation(relu, v);
      expect_relative(g.chi_1, w2 / 2);
      if (w2 < 2) {
        expect_relative(g.q_star, b2 / (1 - w2 / 2), 1e-10);
      }
      if (w2 > 2 || (w2 == 2 && b2 > 0)) {
        EXPECT_TRUE(std::isinf(g.q_star));
      }
    }
  }
  EXPECT_EQ(gradient_propagation(relu, {.sigma_w2 = 2.0, .sigma_b2 = 0.0}).phase, Phase::critical);  // He
  EXPECT_EQ(gradient_propagation(relu, {.sigma_w2 = 1.0, .sigma_b2 = 0.0}).phase, Phase::ordered);   // LeCun
  EXPECT_EQ(gradient_propagation(relu, {.sigma_w2 = 2.5, .sigma_b2 = 0.1}).phase, Phase::chaotic);
}

TEST(MeanField, ReluCorrelationMapIsTheArcCosineKernel) {
  const ScalarActivation& relu = scalar_activation("relu");
  const InitVariances v{.sigma_w2 = 1.6, .sigma_b2 = 0.1};
  const double q = length_fixed_point(relu, v);
  for (double c : {-0.9, 0.0, 0.5, 0.99}) {
    const double t = std::acos(c);
    // Cho & Saul (2009), arc-cosine kernel of degree 1, halved for a Gaussian weight vector.
    const double joint = q * (std::sin(t) + (kPi - t) * c) / (2 * kPi);
    expect_relative(correlation_map(relu, v, q, c), (v.sigma_w2 * joint + v.sigma_b2) / q);
    // d/dc of the kernel: q (pi - t) / (2 pi).
    expect_relative(correlation_slope(relu, v, q, c), v.sigma_w2 * (kPi - t) / (2 * kPi));
  }
  const SignalPropagation s = signal_propagation(relu, v);
  EXPECT_EQ(s.c_star, 1.0);
  expect_relative(s.chi_c, 0.8);
  expect_relative(s.depth_correlation, -1 / std::log(0.8));
}

TEST(MeanField, ErfLengthMapFixedPointAndGainAreClosedForms) {
  const ScalarActivation& erf = erf_activation();
  for (double w2 : {0.5, 1.0, 2.0, 4.0}) {
    for (double b2 : {0.0, 0.05, 0.3}) {
      const InitVariances v{.sigma_w2 = w2, .sigma_b2 = b2};
      for (double q : {0.02, 1.0, 10.0}) {
        expect_relative(length_map(erf, v, q), w2 * 2 / kPi * std::asin(2 * q / (1 + 2 * q)) + b2);
        expect_relative(gradient_gain(erf, v, q), w2 * (4 / kPi) / std::sqrt(1 + 4 * q));
      }
      const GradientPropagation g = gradient_propagation(erf, v);
      if (g.q_star > 0) {
        // q* is a fixed point of the closed-form map, and chi_1 is the closed form at it.
        expect_relative(w2 * 2 / kPi * std::asin(2 * g.q_star / (1 + 2 * g.q_star)) + b2, g.q_star, 1e-10);
        expect_relative(g.chi_1, w2 * (4 / kPi) / std::sqrt(1 + 4 * g.q_star));
      }
    }
  }
  // With sigma_b2 = 0 and erf'(0)^2 sigma_w2 = 4 sigma_w2 / pi <= 1, the signal dies: q* = 0.
  EXPECT_EQ(length_fixed_point(erf, {.sigma_w2 = 0.7, .sigma_b2 = 0.0}), 0.0);
  EXPECT_GT(length_fixed_point(erf, {.sigma_w2 = 0.8, .sigma_b2 = 0.0}), 0.0);
}

TEST(MeanField, ErfCorrelationMapIsTheArcSineKernel) {
  const ScalarActivation& erf = erf_activation();
  const InitVariances v{.sigma_w2 = 3.0, .sigma_b2 = 0.05};
  const SignalPropagation s = signal_propagation(erf, v);
  ASSERT_EQ(s.gradient.phase, Phase::chaotic);
  const double q = s.gradient.q_star;
  const auto closed_map = [&](double c) { return (v.sigma_w2 * 2 / kPi * std::asin(2 * q * c / (1 + 2 * q)) + v.sigma_b2) / q; };
  for (double c : {-0.5, 0.2, 0.9}) expect_relative(correlation_map(erf, v, q, c), closed_map(c));
  // c* is a fixed point of the closed-form map, and chi_c its slope there.
  ASSERT_LT(s.c_star, 1.0);
  EXPECT_NEAR(closed_map(s.c_star), s.c_star, 1e-9);
  const double x = 2 * q / (1 + 2 * q);
  expect_relative(s.chi_c, v.sigma_w2 * 2 / kPi * x / std::sqrt(1 - x * x * s.c_star * s.c_star) / q, 1e-7);
}

TEST(MeanField, SlopesAreTheDerivativesOfTheMaps) {
  for (const char* name : {"tanh", "gelu", "elu", "softplus", "swish", "selu"}) {
    SCOPED_TRACE(name);
    const ScalarActivation& phi = scalar_activation(name);
    const InitVariances v{.sigma_w2 = 1.7, .sigma_b2 = 0.2};
    const double q = 0.9, c = 0.4, h = 1e-5;
    expect_relative(length_slope(phi, v, q), (length_map(phi, v, q + h) - length_map(phi, v, q - h)) / (2 * h), 1e-7);
    expect_relative(correlation_slope(phi, v, q, c),
                    (correlation_map(phi, v, q, c + h) - correlation_map(phi, v, q, c - h)) / (2 * h), 1e-7);
  }
}

TEST(MeanField, TanhCriticalLineMatchesPublishedValues) {
  const ScalarActivation& tanh = scalar_activation("tanh");
  // sigma_b2 = 0: q* = 0 on the ordered side and chi_1 = sigma_w2 tanh'(0)^2, so the line starts at 1.
  EXPECT_NEAR(critical_sigma_w2(tanh, 0.0), 1.0, 1e-8);
  // Schoenholz et al. (2017), Fig. 1 and section 3; Poole et al. (2016), Fig. 2: sigma_w2 ~ 1.76 at
  // sigma_b2 = 0.05.
  EXPECT_NEAR(critical_sigma_w2(tanh, 0.05), 1.76, 0.01);
  const double w2 = critical_sigma_w2(tanh, 0.05);
  expect_relative(gradient_propagation(tanh, {.sigma_w2 = w2, .sigma_b2 = 0.05}).chi_1, 1.0, 1e-8);
  EXPECT_EQ(gradient_propagation(tanh, {.sigma_w2 = 1.5, .sigma_b2 = 0.05}).phase, Phase::ordered);
  EXPECT_EQ(gradient_propagation(tanh, {.sigma_w2 = 2.5, .sigma_b2 = 0.05}).phase, Phase::chaotic);
  // The relu line is sigma_w2 = 2 whatever sigma_b2.
  EXPECT_NEAR(critical_sigma_w2(scalar_activation("relu"), 0.3), 2.0, 1e-8);
}

TEST(MeanField, TanhChaoticPhaseHasAStableCorrelationBelowOne) {
  const ScalarActivation& tanh = scalar_activation("tanh");
  const InitVariances v{.sigma_w2 = 2.5, .sigma_b2 = 0.05};
  const SignalPropagation s = signal_propagation(tanh, v);
  ASSERT_LT(s.c_star, 1.0);
  EXPECT_GT(s.c_star, 0.0);
  EXPECT_NEAR(correlation_map(tanh, v, s.gradient.q_star, s.c_star), s.c_star, 1e-9);
  EXPECT_LT(s.chi_c, 1.0);  // stable
  EXPECT_GT(s.depth_correlation, 0.0);
  EXPECT_LT(s.gradient.depth_gradient, 0.0);  // gradients grow
  // The ordered phase: c* = 1 and chi_c = chi_1, so xi_c = xi_grad.
  const SignalPropagation o = signal_propagation(tanh, {.sigma_w2 = 1.2, .sigma_b2 = 0.05});
  EXPECT_EQ(o.c_star, 1.0);
  expect_relative(o.chi_c, o.gradient.chi_1);
}

TEST(MeanField, LinearNetworkGainIsSigmaW2) {
  const ScalarActivation& linear = scalar_activation("linear");
  const GradientPropagation g = gradient_propagation(linear, {.sigma_w2 = 0.81, .sigma_b2 = 0.1});
  expect_relative(g.chi_1, 0.81);
  expect_relative(g.q_star, 0.1 / (1 - 0.81), 1e-10);
  expect_relative(g.depth_gradient, -1 / std::log(0.81));
}

TEST(MeanField, DepthScale) {
  EXPECT_NEAR(depth_scale(std::exp(-0.1)), 10.0, 1e-12);
  EXPECT_NEAR(depth_scale(std::exp(0.25)), -4.0, 1e-12);
  EXPECT_TRUE(std::isinf(depth_scale(1.0)));
  EXPECT_EQ(depth_scale(0.0), 0.0);
  EXPECT_TRUE(std::isnan(depth_scale(NAN)));
}

TEST(MeanField, UnboundedLengthWithoutAHomogeneousActivationHasNoFigures) {
  const GradientPropagation g = gradient_propagation(scalar_activation("elu"), {.sigma_w2 = 3.0, .sigma_b2 = 0.1});
  EXPECT_TRUE(std::isinf(g.q_star));
  EXPECT_EQ(g.phase, Phase::unbounded);
  EXPECT_TRUE(std::isnan(g.chi_1));
}

TEST(MeanField, RefusesBadVariances) {
  const ScalarActivation& tanh = scalar_activation("tanh");
  EXPECT_THROW(gradient_propagation(tanh, {.sigma_w2 = -1, .sigma_b2 = 0}), Error);
  EXPECT_THROW(gradient_propagation(tanh, {.sigma_w2 = 1, .sigma_b2 = -0.1}), Error);
  EXPECT_THROW(gradient_propagation(tanh, {.sigma_w2 = INFINITY, .sigma_b2 = 0}), Error);
  EXPECT_THROW(length_map(tanh, {}, -1.0), Error);
  EXPECT_THROW(critical_sigma_w2(tanh, NAN), Error);
  EXPECT_THROW(phase_diagram(tanh, {.sigma_w2_points = 0}), Error);
  EXPECT_THROW(phase_diagram(tanh, {.sigma_w2_min = 3, .sigma_w2_max = 1}), Error);
}

}  // namespace
}  // namespace gradlab::theory
