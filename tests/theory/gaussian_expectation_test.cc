// Gaussian quadrature against closed forms: the accuracy every theory figure rests on.
#include "gradlab/theory/gaussian_expectation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

constexpr double kPi = std::numbers::pi;

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }
double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2 * kPi); }

void expect_relative(double got, double want, double tolerance = 1e-10) {
  // Values that are 0 in closed form are held to 1e-14 absolute.
  EXPECT_NEAR(got, want, std::max(tolerance * std::abs(want), 1e-14)) << "relative error " << (got - want) / want;
}

TEST(GaussLegendre, RuleIsExactForPolynomialsOfDegree39) {
  const QuadratureRule r = gauss_legendre_rule(20);
  ASSERT_EQ(r.nodes.size(), 20u);
  double sum = 0, x38 = 0, x39 = 0;
  for (std::size_t i = 0; i < r.nodes.size(); ++i) {
    sum += r.weights[i];
    x38 += r.weights[i] * std::pow(r.nodes[i], 38);
    x39 += r.weights[i] * std::pow(r.nodes[i], 39);
    if (i > 0) {
      EXPECT_LT(r.nodes[i - 1], r.nodes[i]);
    }
  }
  EXPECT_NEAR(sum, 2.0, 1e-14);
  EXPECT_NEAR(x38, 2.0 / 39.0, 1e-14);
  EXPECT_NEAR(x39, 0.0, 1e-14);
  // The 3-point rule's nodes are 0 and +-sqrt(3/5), weights 8/9 and 5/9.
  const QuadratureRule three = gauss_legendre_rule(3);
  EXPECT_NEAR(three.nodes[2], std::sqrt(0.6), 1e-15);
  EXPECT_NEAR(three.nodes[1], 0.0, 1e-15);
  EXPECT_NEAR(three.weights[1], 8.0 / 9.0, 1e-15);
  EXPECT_THROW(gauss_legendre_rule(0), Error);
}

TEST(GaussianExpectation, MatchesClosedFormsOfSmoothFunctions) {
  for (double s : {1e-3, 0.3, 1.0, 4.0, 30.0}) {
    expect_relative(gaussian_expectation([](double x) { return x * x; }, {.stddev = s}), s * s);
    expect_relative(gaussian_expectation([](double x) { return x * x * x * x; }, {.stddev = s}), 3 * std::pow(s, 4));
    expect_relative(gaussian_expectation([](double x) { return std::cos(x); }, {.stddev = s}), std::exp(-s * s / 2),
                    s > 5 ? 1e-3 : 1e-10);
  }
  expect_relative(gaussian_expectation([](double x) { return std::exp(x); }, {.mean = 0.5, .stddev = 2.0}),
                  std::exp(0.5 + 2.0));
  // erf(x)^2 with x ~ N(0, q): (2/pi) arcsin(2q / (1 + 2q)).
  for (double q : {0.01, 0.5, 3.0, 100.0}) {
    expect_relative(gaussian_expectation([](double x) { return std::erf(x) * std::erf(x); }, {.stddev = std::sqrt(q)}),
                    2 / kPi * std::asin(2 * q / (1 + 2 * q)));
  }
}

TEST(GaussianExpectation, SplitsAtKinksForRelu) {
  const double kink[] = {0.0};
  for (double m : {-3.0, -0.4, 0.0, 1.7}) {
    for (double s : {0.05, 1.0, 6.0}) {
      const double want = m * normal_cdf(m / s) + s * normal_pdf(m / s);  // E[relu(x)]
      expect_relative(gaussian_expectation([](double x) { return x > 0 ? x : 0.0; }, {.mean = m, .stddev = s, .kinks = kink}),
                      want);
      // E[step(x)] = Phi(m / s): a jump, exact only because the integral is split there.
      expect_relative(gaussian_expectation([](double x) { return x > 0 ? 1.0 : 0.0; },
                                           {.mean = m, .stddev = s, .kinks = kink}),
                      normal_cdf(m / s));
    }
  }
}

TEST(GaussianExpectation, ZeroStddevIsTheValueAtTheMean) {
  EXPECT_EQ(gaussian_expectation([](double x) { return 3 * x; }, {.mean = 2.0, .stddev = 0.0}), 6.0);
}

TEST(GaussianExpectation, RefusesBadArguments) {
  EXPECT_THROW(gaussian_expectation([](double x) { return x; }, {.stddev = -1}), Error);
  EXPECT_THROW(gaussian_expectation([](double x) { return x; }, {.mean = NAN}), Error);
  EXPECT_THROW(bivariate_gaussian_expectation([](double x) { return x; }, [](double x) { return x; },
                                              {.variance = 1, .correlation = 1.5}),
               Error);
}

TEST(BivariateGaussianExpectation, MatchesArcCosineAndArcSineKernels) {
  const double kink[] = {0.0};
  const auto relu = [](double x) { return x > 0 ? x : 0.0; };
  for (double q : {0.2, 1.0, 9.0}) {
    for (double c : {-1.0, -0.6, 0.0, 0.3, 0.9, 0.999, 1.0}) {
      const BivariateNormal u{.variance = q, .correlation = c, .f_kinks = kink, .g_kinks = kink};
      // Cho & Saul (2009): E[relu(u1) relu(u2)] = q (sin t + (pi - t) cos t) / (2 pi), t = arccos c.
      const double t = std::acos(c);
      expect_relative(bivariate_gaussian_expectation(relu, relu, u), q * (std::sin(t) + (kPi - t) * c) / (2 * kPi));
      expect_relative(bivariate_gaussian_expectation([](double x) { return x; }, [](double x) { return x; },
                                                     {.variance = q, .correlation = c}),
                      q * c, 1e-9);
      // Williams (1997): E[erf(u1) erf(u2)] = (2/pi) arcsin(2qc / (1 + 2q)).
      expect_relative(bivariate_gaussian_expectation([](double x) { return std::erf(x); },
                                                     [](double x) { return std::erf(x); },
                                                     {.variance = q, .correlation = c}),
                      2 / kPi * std::asin(2 * q * c / (1 + 2 * q)));
    }
  }
}

}  // namespace
}  // namespace gradlab::theory
