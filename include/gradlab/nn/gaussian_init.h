#pragma once
/// Initialization by variances, as the mean-field theory describes a network (Poole et al. 2016,
/// "Exponential expressivity in deep neural networks through transient chaos"; Schoenholz et al.
/// 2017, "Deep Information Propagation"): weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2).
///
///   GaussianInit init{.sigma_w2 = 2, .sigma_b2 = 0.05};
///   Dense(256, {.activation = "relu", .kernel_initializer = gaussian_kernel(init),
///               .bias_initializer = gaussian_bias(init)});

#include "gradlab/nn/initializers.h"

namespace gradlab {

/// The variances of a Gaussian initialization; both must be finite and >= 0. (theory::InitVariances
/// holds the same two numbers for the theory's formulas.)
struct GaussianInit {
  double sigma_w2 = 1.0;
  double sigma_b2 = 0.0;
};

/// Weights N(0, sigma_w2 / fan_in): variance_scaling(sigma_w2, fan_in, untruncated_normal), or zeros
/// when sigma_w2 is 0. Throws Error naming sigma_w2 when it is negative or not finite.
Initializer gaussian_kernel(const GaussianInit& init);
/// Biases N(0, sigma_b2): random_normal(0, sqrt(sigma_b2)), or zeros when sigma_b2 is 0 (no draws).
/// Throws Error naming sigma_b2 when it is negative or not finite.
Initializer gaussian_bias(const GaussianInit& init);

}  // namespace gradlab
