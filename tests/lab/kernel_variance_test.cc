#include "gradlab/lab/kernel_variance.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

TEST(TheoreticalKernelVariance, IsScaleOverFan) {
  EXPECT_DOUBLE_EQ(theoretical_kernel_variance("he_uniform", 10, 32), 0.2);
  EXPECT_DOUBLE_EQ(theoretical_kernel_variance("he_normal", 100, 128), 0.02);
  EXPECT_DOUBLE_EQ(theoretical_kernel_variance("glorot_uniform", 10, 32), 2.0 / 42);
  EXPECT_DOUBLE_EQ(theoretical_kernel_variance("glorot_normal", 100, 128), 2.0 / 228);
  EXPECT_DOUBLE_EQ(theoretical_kernel_variance("lecun_uniform", 50, 1), 0.02);
  // limit^2 / 3 with He's limit sqrt(6 / fan_in), as the lesson defines it.
  const double limit = std::sqrt(6.0 / 10);
  EXPECT_NEAR(theoretical_kernel_variance("he_uniform", 10, 32), limit * limit / 3, 1e-15);
}

TEST(TheoreticalKernelVariance, RefusesUnknownInitializersAndBadFans) {
  EXPECT_THROW(theoretical_kernel_variance("orthogonal", 10, 32), Error);
  EXPECT_THROW(theoretical_kernel_variance("he_uniform", 0, 32), Error);
  EXPECT_THROW(theoretical_kernel_variance("he_uniform", 10, -1), Error);
}

// One draw of 100 x 128 = 12,800 uniform values: the sample variance's standard deviation is
// sqrt((1/5 - 1/9) limit^4 / n), about 0.8% of the variance; 5 of them bound it (false-failure rate
// below 1e-6, and the seeds are fixed).
TEST(KernelVariance, MatchesTheoryForTheLessonsLargeLayers) {
  for (const char* init : {"he_uniform", "glorot_uniform"}) {
    Rng rng = Rng(11).fork(1);
    const double theory = theoretical_kernel_variance(init, 100, 128);
    const double limit4 = 9 * theory * theory;
    const double sd = std::sqrt((1.0 / 5 - 1.0 / 9) * limit4 / 12800);
    EXPECT_NEAR(kernel_variance({.initializer = init, .fan_in = 100, .units = 128}, rng), theory, 5 * sd)
        << init;
  }
}

TEST(KernelVariance, IsTheKernelsVarianceNotTheBiasOrInput) {
  // A zero bias and U[0,1) inputs (variance 1/12) would both give something far from 0.2.
  Rng rng(3);
  const double v = kernel_variance({.initializer = "he_uniform", .fan_in = 10, .units = 32}, rng);
  EXPECT_GT(v, 0.15);
  EXPECT_LT(v, 0.25);
}

TEST(KernelVariance, IsDeterministicInTheGenerator) {
  KernelVarianceCase c{.initializer = "glorot_uniform", .fan_in = 10, .units = 32};
  Rng a = Rng(5).fork(7), b = Rng(5).fork(7), other = Rng(5).fork(8);
  const double va = kernel_variance(c, a);
  EXPECT_EQ(va, kernel_variance(c, b));
  EXPECT_NE(va, kernel_variance(c, other));
}

TEST(KernelVariance, RefusesBadSizesAndNames) {
  Rng rng(0);
  EXPECT_THROW(kernel_variance({.fan_in = 0}, rng), Error);
  EXPECT_THROW(kernel_variance({.initializer = "no_such_initializer"}, rng), Error);
}

}  // namespace
}  // namespace gradlab
