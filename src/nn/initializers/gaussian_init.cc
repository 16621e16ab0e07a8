#include "gradlab/nn/gaussian_init.h"

#include <cmath>

#include "gradlab/error.h"

namespace gradlab {

// Zero variance gives zeros rather than a draw of stddev 0: the same values without consuming the
// generator, so sigma_b2 = 0 draws exactly what Keras's default zero bias does.
Initializer gaussian_kernel(const GaussianInit& init) {
  if (!std::isfinite(init.sigma_w2) || init.sigma_w2 < 0) {
    fail("sigma_w2 (the weight variance times fan_in) must be finite and >= 0, got {}", init.sigma_w2);
  }
  if (init.sigma_w2 == 0) return zeros_initializer();
  return variance_scaling(
      {.scale = init.sigma_w2, .mode = FanMode::fan_in, .distribution = Distribution::untruncated_normal});
}

Initializer gaussian_bias(const GaussianInit& init) {
  if (!std::isfinite(init.sigma_b2) || init.sigma_b2 < 0) {
    fail("sigma_b2 (the bias variance) must be finite and >= 0, got {}", init.sigma_b2);
  }
  if (init.sigma_b2 == 0) return zeros_initializer();
  return random_normal(0.0, std::sqrt(init.sigma_b2));
}

}  // namespace gradlab
