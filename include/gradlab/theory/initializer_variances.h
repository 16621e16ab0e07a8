#pragma once
/// Where Keras's initializers put a Dense layer in the mean-field picture: a kernel initializer's
/// variance times the layer's fan-in is sigma_w2, a bias initializer's variance is sigma_b2.
///
///   double w2 = kernel_sigma_w2(he_uniform(), {.fan_in = 256, .fan_out = 256});   // 2: critical for relu
///   double w2g = kernel_sigma_w2(glorot_uniform(), {.fan_in = 784, .fan_out = 256});  // 2 * 784 / 1040
///
/// The theory assumes Gaussian weights; uniform and truncated-normal draws with the same variance give
/// the same Gaussian pre-activations as the width grows (central limit theorem), so they sit at the
/// same sigma_w2. VarianceScaling gives variance scale / max(1, fan) for all three distributions
/// (Keras divides the truncated normal's stddev by 0.87962566103423978 to that end), so
/// sigma_w2 = scale * fan_in / max(1, fan(mode)).

#include <string>
#include <vector>

#include "gradlab/nn/initializers.h"
#include "gradlab/theory/mean_field.h"

namespace gradlab::theory {

/// sigma_w2 = fan_in * Var(kernel entries) for a Dense kernel of shape (fan_in, fan_out). Throws
/// Error naming the initializer when it has no mean-field variance (ones, orthogonal, a nonzero mean).
double kernel_sigma_w2(const Initializer& kernel, const Fans& fans);

/// sigma_b2 = Var(bias entries) for the bias of a Dense layer with these fans. Throws as above.
double bias_sigma_b2(const Initializer& bias, const Fans& fans);

/// One of Keras's kernel initializers placed in the mean-field picture.
struct InitializerPlacement {
  std::string initializer;  ///< its Keras name, e.g. "he_uniform"
  InitVariances variances;  ///< sigma_w2 from the initializer, sigma_b2 as given
  GradientPropagation propagation;
};

/// The Keras initializers whose variance follows from the fans (glorot, he, lecun in both
/// distributions, and the defaults of random_normal, random_uniform, truncated_normal) on a Dense
/// layer with these fans, each with its sigma_w2 and the theory's figures at sigma_b2.
std::vector<InitializerPlacement> place_keras_initializers(const ScalarActivation& phi, const Fans& fans,
                                                           double sigma_b2);

}  // namespace gradlab::theory
