// Keras initializers as sigma_w2: He is critical for relu, and the variance-scaling rule holds for
// every mode and distribution.
#include "gradlab/theory/initializer_variances.h"

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

TEST(InitializerVariances, VarianceScalingGivesScaleTimesFanInOverFan) {
  const Fans fans{.fan_in = 784, .fan_out = 256, .layer_fan_in = 784};
  for (Distribution d : {Distribution::truncated_normal, Distribution::untruncated_normal, Distribution::uniform}) {
    EXPECT_NEAR(kernel_sigma_w2(variance_scaling({.scale = 2, .mode = FanMode::fan_in, .distribution = d}), fans), 2.0, 1e-14);
    EXPECT_NEAR(kernel_sigma_w2(variance_scaling({.scale = 1, .mode = FanMode::fan_out, .distribution = d}), fans),
                784.0 / 256, 1e-14);
    EXPECT_NEAR(kernel_sigma_w2(variance_scaling({.scale = 1, .mode = FanMode::fan_avg, .distribution = d}), fans),
                784.0 / 520, 1e-14);
  }
  EXPECT_NEAR(kernel_sigma_w2(random_normal(0, 0.05), fans), 784 * 0.0025, 1e-12);
  EXPECT_NEAR(bias_sigma_b2(random_normal(0, 0.1), fans), 0.01, 1e-16);
  EXPECT_EQ(bias_sigma_b2(zeros_initializer(), fans), 0.0);
  EXPECT_THROW(kernel_sigma_w2(orthogonal(), fans), Error);
  EXPECT_THROW(bias_sigma_b2(ones_initializer(), fans), Error);
  EXPECT_THROW(kernel_sigma_w2(he_normal(), {.fan_in = 0, .fan_out = 3}), Error);
}

TEST(InitializerVariances, HeIsCriticalForReluAndGlorotOrdersTanhOnASquareLayer) {
  const Fans square{.fan_in = 256, .fan_out = 256, .layer_fan_in = 256};
  bool saw_he = false, saw_glorot = false;
  for (const InitializerPlacement& p : place_keras_initializers(scalar_activation("relu"), square, 0.0)) {
    if (p.initializer == "he_uniform" || p.initializer == "he_normal") {
      EXPECT_EQ(p.propagation.phase, Phase::critical) << p.initializer;
      saw_he = true;
    }
  }
  for (const InitializerPlacement& p : place_keras_initializers(scalar_activation("tanh"), square, 0.0)) {
    if (p.initializer == "glorot_uniform") {
      // sigma_w2 = 1, sigma_b2 = 0: the start of tanh's critical line.
      EXPECT_NEAR(p.variances.sigma_w2, 1.0, 1e-14);
      EXPECT_NEAR(p.propagation.chi_1, 1.0, 1e-8);
      saw_glorot = true;
    }
  }
  EXPECT_TRUE(saw_he && saw_glorot);
}

}  // namespace
}  // namespace gradlab::theory
