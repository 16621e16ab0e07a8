#include "gradlab/theory/initializer_variances.h"

#include <cmath>
#include <optional>

#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

double variance_of(const Initializer& init, const Fans& fans, const char* role) {
  const std::optional<double> variance = init.variance(fans);
  if (!variance) {
    fail("{} initializer {} draws no independent mean-0 values, so the mean-field theory gives it no {}",
         role, init.description(), role[0] == 'k' ? "sigma_w2" : "sigma_b2");
  }
  return *variance;
}

void check_fans(const Fans& fans) {
  if (!(fans.fan_in >= 1) || !(fans.fan_out >= 1) || !std::isfinite(fans.fan_in) || !std::isfinite(fans.fan_out)) {
    fail("fans must be finite and >= 1, got fan_in={}, fan_out={}", fans.fan_in, fans.fan_out);
  }
}

}  // namespace

double kernel_sigma_w2(const Initializer& kernel, const Fans& fans) {
  check_fans(fans);
  return fans.fan_in * variance_of(kernel, fans, "kernel");
}

double bias_sigma_b2(const Initializer& bias, const Fans& fans) {
  check_fans(fans);
  return variance_of(bias, fans, "bias");
}

std::vector<InitializerPlacement> place_keras_initializers(const ScalarActivation& phi, const Fans& fans,
                                                           double sigma_b2) {
  check_variances({.sigma_w2 = 0.0, .sigma_b2 = sigma_b2});
  std::vector<InitializerPlacement> placements;
  for (const char* name : {"glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                           "lecun_normal", "random_normal", "random_uniform", "truncated_normal"}) {
    const InitVariances v{.sigma_w2 = kernel_sigma_w2(Initializer(name), fans), .sigma_b2 = sigma_b2};
    placements.push_back({.initializer = name, .variances = v, .propagation = gradient_propagation(phi, v)});
  }
  return placements;
}

}  // namespace gradlab::theory
