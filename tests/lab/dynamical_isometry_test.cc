// Dynamical isometry (Pennington, Schoenholz & Ganguli 2017): the mean squared singular value of a
// deep Dense stack's Jacobian against chi_1^L, and the study's arms.
#include "gradlab/lab/dynamical_isometry.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/error.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/theory/gaussian_expectation.h"
#include "gradlab/theory/scalar_activation.h"

namespace gradlab {
namespace {

double mean_squared_of_network(const std::string& activation, const GaussianInit& init, int64_t width, int depth, uint64_t seed) {
  const theory::ScalarActivation& phi = theory::scalar_activation(activation);
  const theory::GradientPropagation p = theory::gradient_propagation(phi, {init.sigma_w2, init.sigma_b2});
  const double q_in = std::isfinite(p.q_star) && p.q_star > 0 ? p.q_star : 1.0;
  Rng rng(seed);
  std::vector<double> z = normal({1, width}, rng, 0.0, 1.0, DType::float64).to_vector();
  for (double& v : z) v = phi.value(std::sqrt(q_in) * v);
  const Tensor example = from_values({1, width}, z, DType::float64);
  std::vector<Dense> layers;
  Tensor h = example;
  for (int k = 0; k < depth; ++k) {
    Dense layer(width, {.activation = activation, .kernel_initializer = gaussian_kernel(init), .bias_initializer = gaussian_bias(init)});
    layer.impl().set_rng(&rng);
    h = layer(h);
    layers.push_back(layer);
  }
  const std::vector<int> depths = {depth};
  return dense_stack_jacobians(layers, example, depths).front().spectrum.mean_squared;
}

// Pennington et al. 2017, eq. 8: at q*, the mean squared singular value of J after L layers has
// expectation chi_1^L. One network's estimate (1/N) tr(JJᵀ) multiplies L per-layer factors, each the
// mean over N units of phi'(h_i)^2 times a chi-square-like weight term, so its relative variance is
// about L v / N with v = kappa + 2 (1 + kappa) / N, kappa = E[phi'^4] / E[phi'^2]^2 - 1 at q* (relu:
// kappa = 1; measured over 40 networks at N = 256, L = 6: std 0.157 against sqrt(6 / 256) = 0.153).
// The mean over K networks gets 4 standard deviations (false-failure rate about 6e-5 per arm under a
// normal approximation) plus L / N for the O(1/N)-per-layer finite-width bias of q^l around q*.
// relu with sigma_w2 = 4 (chi_1 = 2, exact at any width: relu halves E[(w.u)^2] whatever the input)
// and tanh in the ordered phase near q* = 0 (chi_1 about 0.68) are both far enough from 1 that
// chi_1^(L +- 1) falls outside the tolerance.
TEST(DynamicalIsometry, MeanSquaredSingularValueIsChiOneToTheDepth) {
  const int64_t width = 256;
  const int depth = 6, networks = 4;
  for (const auto& [activation, init] : {std::pair<std::string, GaussianInit>{"relu", {4.0, 0.0}}, {"tanh", {0.7, 0.01}}}) {
    const theory::ScalarActivation& phi = theory::scalar_activation(activation);
    const theory::GradientPropagation p = theory::gradient_propagation(phi, {init.sigma_w2, init.sigma_b2});
    const double q = std::isfinite(p.q_star) && p.q_star > 0 ? p.q_star : 1.0;
    const double m2 = theory::gaussian_expectation([&](double x) { return std::pow(phi.derivative(x), 2); },
                                                   {.stddev = std::sqrt(q), .kinks = phi.kinks});
    const double m4 = theory::gaussian_expectation([&](double x) { return std::pow(phi.derivative(x), 4); },
                                                   {.stddev = std::sqrt(q), .kinks = phi.kinks});
    const double kappa = m4 / (m2 * m2) - 1;
    const double v = kappa + 2 * (1 + kappa) / width;
    const double tolerance = 4 * std::sqrt(depth * v / width / networks) + static_cast<double>(depth) / width;
    const double expected = std::pow(p.chi_1, depth);
    double mean = 0;
    for (int k = 0; k < networks; ++k) mean += mean_squared_of_network(activation, init, width, depth, 100 + k) / networks;
    EXPECT_NEAR(mean / expected, 1.0, tolerance) << activation << ": chi_1 = " << p.chi_1 << ", kappa = " << kappa;
    // The neighbours' powers are ruled out.
    EXPECT_GT(std::abs(p.chi_1 - 1), tolerance) << activation;
  }
}

TEST(DynamicalIsometry, ArmsSitOnTheCriticalLineWithBothKindsOfWeights) {
  const DynamicalIsometry d = run_dynamical_isometry({.width = 16, .depths = {4, 1, 8}, .sigma_b2 = 0.05, .seed = 2});
  EXPECT_EQ(d.options.depths, (std::vector<int>{1, 4, 8}));
  ASSERT_EQ(d.arms.size(), 4u);
  EXPECT_EQ(d.arms[0].activation, "tanh");
  EXPECT_EQ(d.arms[0].weights, IsometryWeights::gaussian);
  EXPECT_EQ(d.arms[1].weights, IsometryWeights::orthogonal);
  EXPECT_EQ(d.arms[3].activation, "relu");
  EXPECT_NEAR(d.arms[0].variances.sigma_w2, 1.76, 0.01);  // Schoenholz et al. 2017, Fig. 1
  EXPECT_NEAR(d.arms[0].propagation.chi_1, 1.0, 1e-8);
  EXPECT_DOUBLE_EQ(d.arms[2].variances.sigma_w2, d.arms[3].variances.sigma_w2);
  EXPECT_NEAR(d.arms[3].variances.sigma_w2, 2.0, 1e-9);
  for (const IsometryArm& arm : d.arms) {
    ASSERT_EQ(arm.depths.size(), 3u);
    EXPECT_EQ(arm.depths[2].depth, 8);
    EXPECT_EQ(arm.depths[0].spectrum.singular_values.size(), 16u);
    // relu's chi does not depend on the length: the prediction is exactly chi_1^L = 1.
    if (arm.activation == "relu") EXPECT_NEAR(arm.depths[2].predicted_mean_squared, 1.0, 1e-9);
    EXPECT_GT(arm.depths[1].spectrum.mean_squared, 0.0);
  }
  // Same seed, same figures.
  const DynamicalIsometry again = run_dynamical_isometry({.width = 16, .depths = {1, 4, 8}, .sigma_b2 = 0.05, .seed = 2});
  EXPECT_EQ(again.arms[1].depths[2].spectrum.singular_values, d.arms[1].depths[2].spectrum.singular_values);
}

TEST(DynamicalIsometry, RefusesBadOptions) {
  EXPECT_THROW(validate(DynamicalIsometryOptions{.width = 0}), Error);
  EXPECT_THROW(validate(DynamicalIsometryOptions{.depths = {}}), Error);
  EXPECT_THROW(validate(DynamicalIsometryOptions{.depths = {4, 4}}), Error);
  EXPECT_THROW(validate(DynamicalIsometryOptions{.depths = {0}}), Error);
  EXPECT_THROW(validate(DynamicalIsometryOptions{.activations = {"softmax"}}), Error);
  EXPECT_THROW(validate(DynamicalIsometryOptions{.activations = {"sigmoid"}, .sigma_b2 = -1}), Error);
  // linear is critical at sigma_w2 = 1 for every sigma_b2.
  EXPECT_NO_THROW(validate(DynamicalIsometryOptions{.activations = {"linear"}}));
}

}  // namespace
}  // namespace gradlab
