#include "gradlab/lab/mean_field_comparison.h"

#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "gradlab/lab/probe_configuration.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/theory/gaussian_expectation.h"

namespace gradlab {
namespace {

struct Measured {
  ConfigurationProbe probe;
  MeanFieldComparison theory;
};

Measured measure(const std::string& activation, GaussianInit init, int depth, int64_t width, int64_t batch, uint64_t seed) {
  const SkipNetworkOptions network{.depth = depth, .units = width, .activation = activation, .gaussian_init = init, .batch = batch};
  auto rng = std::make_shared<Rng>(seed);
  const Tensor x = draw_probe_input(network, InputDistribution::uniform, *rng);
  Measured m{probe_subject(skip_network_subject(network, x, rng),
                           {.pass = {.training = true,
                                     .probe = {.variables = false, .signal = true},
                                     .loss = ProbeLoss::random_projection,
                                     .projection_seed = seed},
                            .check_underflow = false}),
             {}};
  m.theory = *compare_with_mean_field(m.probe.pass, m.probe.summary, activation, init);
  return m;
}

// kappa = Var(phi'(u)^2) / E[phi'(u)^2]^2 for u ~ N(0, q): the relative spread of one unit's slope.
double slope_spread(const std::string& activation, double q) {
  const theory::ScalarActivation& phi = theory::scalar_activation(activation);
  const theory::NormalVariable u{.stddev = std::sqrt(q), .kinks = phi.kinks};
  const double m2 = theory::gaussian_expectation([&](double x) { return std::pow(phi.derivative(x), 2); }, u);
  const double m4 = theory::gaussian_expectation([&](double x) { return std::pow(phi.derivative(x), 4); }, u);
  return m4 / (m2 * m2) - 1;
}

// Issue 16, item 3: at width N = 1024 the measured mean gain of the squared gradient norm matches
// chi_1 (Poole et al. 2016, eq. 7; Schoenholz et al. 2017, eq. 9) within 5%.
//
// The tolerance, derived rather than tuned. Through layer l the measured gain is
// ||W^T delta||^2 / ||u||^2, u = dL/d output, delta = phi'(h) * u, W ~ N(0, sigma_w2 / N). Under the
// gradient independence assumption (W independent of delta; random_projection makes u independent
// of the forward pass, which mean(output) does not: it measured 0-10% above chi_1 at width 512):
//   A = ||W^T delta||^2 / (sigma_w2 ||delta||^2) has mean 1 and relative variance
//       2 tr((D D^T)^2) / (N tr(D D^T)^2) <= 2 / N (D: the B examples' delta; equality when all
//       are parallel, 2 / (N B) when orthogonal);
//   S = ||delta||^2 / ||u||^2 is a mean of phi'^2 weighted by u^2, with mean E[phi'^2] and relative
//       variance <= kappa (1 + 2 / B) / N (kappa = Var(phi'^2) / E[phi'^2]^2; the bound holds
//       even when every example's pre-activations are the same, c = 1, so only the N units differ;
//       the 2 / B is the spread of the Gaussian weights u^2 summed over the B examples).
// The weights of different layers are independent draws, so over the L' layers past the transient
// the mean gain has relative standard deviation at most s = sqrt((2 + kappa (1 + 2 / B)) / (N L')).
// Finite-width corrections to the mean are O(1 / N) ~ 0.1%, inside the tolerance. The test
// accepts |mean / chi_1 - 1| <= 3.9 s, which a correct implementation fails with probability
// below 1e-4 (two-sided normal tail at 3.9 sigma) for the seed drawn, and asserts 3.9 s <= 5%.
TEST(MeanFieldComparison, MeasuredGainMatchesChiOneAtWidth1024) {
  constexpr int64_t kWidth = 1024, kBatch = 64;
  constexpr int kDepth = 32;
  constexpr double kZ = 3.9;
  struct Case {
    const char* activation;
    GaussianInit init;
  };
  for (const Case& c : {Case{"relu", {.sigma_w2 = 2.0, .sigma_b2 = 0.0}}, Case{"tanh", {.sigma_w2 = 1.5, .sigma_b2 = 0.05}},
                        Case{"tanh", {.sigma_w2 = 2.5, .sigma_b2 = 0.05}}}) {
    const Measured m = measure(c.activation, c.init, kDepth, kWidth, kBatch, 7);
    const double chi_1 = m.theory.fixed_point.gradient.chi_1;
    const double q_star = m.theory.fixed_point.gradient.q_star;
    ASSERT_TRUE(std::isfinite(chi_1)) << c.activation;
    // The transient is short next to the depth (relu's gain does not depend on q: none at all).
    EXPECT_LE(m.theory.transient, kDepth / 4) << c.activation << " " << c.init.sigma_w2;
    ASSERT_GE(m.theory.gain_layers, 3 * kDepth / 4 - 1);
    // relu's q* is 0 or infinite (sigma_b2 = 0); its slope spread does not depend on q.
    const double kappa = slope_spread(c.activation, std::isfinite(q_star) && q_star > 0 ? q_star : 1.0);
    const double s = std::sqrt((2 + kappa * (1 + 2.0 / kBatch)) / (kWidth * m.theory.gain_layers));
    EXPECT_LE(kZ * s, 0.05) << "the derived tolerance must be within the issue's 5%";
    EXPECT_NEAR(m.theory.measured_mean_gain / chi_1, 1.0, kZ * s)
        << c.activation << " sigma_w2 " << c.init.sigma_w2 << ": measured " << m.theory.measured_mean_gain
        << ", chi_1 " << chi_1 << ", tolerance " << kZ * s;
  }
}

// The first layer's pre-activations h = x W + b with W ~ N(0, sigma_w2 / n): q^1 = sigma_w2 q^0 +
// sigma_b2 exactly in expectation. Each unit j contributes ||X w_j||^2, whose relative variance is
// at most 2 (all examples parallel), so the mean over N units has relative sd <= sqrt(2 / N); the
// same bound holds for the cross terms of c^1. At 3.9 sd (false failure < 1e-4) the tolerance is 17%
// at N = 1024: loose, but a wrong unit (q per example instead of per element, fan_out instead of
// fan_in, c not normalized) is off by far more.
TEST(MeanFieldComparison, FirstLayerSignalMatchesTheInput) {
  constexpr int64_t kWidth = 1024;
  const Measured m = measure("tanh", {.sigma_w2 = 1.5, .sigma_b2 = 0.05}, 4, kWidth, 64, 11);
  const LayerCallRecord& first = m.probe.pass.layers[m.probe.summary.depth_layers.front()];
  ASSERT_TRUE(first.pre_activation && first.pre_activation->correlation);
  ASSERT_TRUE(m.probe.pass.input_signal);
  // U[0, 1) inputs: q^0 = E[x^2] = 1/3 and c^0 = E[x]^2 / E[x^2] = 3/4 up to sampling.
  EXPECT_NEAR(m.probe.pass.input_signal->mean_square, 1.0 / 3, 0.01);
  EXPECT_NEAR(*m.probe.pass.input_signal->correlation, 0.75, 0.02);
  const double tolerance = 3.9 * std::sqrt(2.0 / kWidth);
  EXPECT_NEAR(first.pre_activation->mean_square / m.theory.layers[0].q, 1.0, tolerance);
  EXPECT_NEAR(*first.pre_activation->correlation / m.theory.layers[0].c, 1.0, tolerance);
  EXPECT_NEAR(m.theory.layers[0].q, 1.5 * m.probe.pass.input_signal->mean_square + 0.05, 1e-12);
}

TEST(MeanFieldComparison, NeedsTheInputSignal) {
  PassRecord pass;
  FlowSummary summary;
  EXPECT_FALSE(compare_with_mean_field(pass, summary, "tanh", {}).has_value());
}

TEST(SignalStats, CorrelationOfIdenticalAndOppositeExamples) {
  const Tensor same = from_values({2, 2}, {1.0, 2.0, 1.0, 2.0}, DType::float64);
  EXPECT_DOUBLE_EQ(signal_stats(same).mean_square, 2.5);
  EXPECT_DOUBLE_EQ(*signal_stats(same).correlation, 1.0);
  const Tensor opposite = from_values({2, 2}, {1.0, 2.0, -1.0, -2.0}, DType::float64);
  EXPECT_DOUBLE_EQ(*signal_stats(opposite).correlation, -1.0);
  const Tensor orthogonal = from_values({2, 2}, {1.0, 0.0, 0.0, 3.0}, DType::float64);
  EXPECT_DOUBLE_EQ(*signal_stats(orthogonal).correlation, 0.0);
  EXPECT_FALSE(signal_stats(from_values({1, 2}, {1.0, 2.0}, DType::float64)).correlation.has_value());
}

}  // namespace
}  // namespace gradlab
