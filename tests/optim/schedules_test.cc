// Learning-rate schedules at known steps (Keras 3's definitions), and their argument checks.
#include "gradlab/optim/schedules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "gradlab/error.h"

namespace gradlab {
namespace {

TEST(Schedules, ConstantAndLearningRate) {
  EXPECT_EQ((*constant_schedule(0.3))(1000), 0.3);
  LearningRate fixed = 0.01;
  EXPECT_EQ(fixed.at(0), 0.01);
  EXPECT_EQ(fixed.at(1 << 20), 0.01);
  EXPECT_EQ(fixed.schedule(), nullptr);
  LearningRate scheduled = exponential_decay(1.0, 1, 0.5);
  EXPECT_EQ(scheduled.at(3), 0.125);
}

TEST(Schedules, ExponentialDecay) {
  const Schedule smooth = exponential_decay(0.1, 10, 0.5);
  EXPECT_DOUBLE_EQ((*smooth)(0), 0.1);
  EXPECT_DOUBLE_EQ((*smooth)(5), 0.1 * std::sqrt(0.5));
  EXPECT_DOUBLE_EQ((*smooth)(10), 0.05);
  const Schedule stairs = exponential_decay(0.1, 10, 0.5, true);
  EXPECT_DOUBLE_EQ((*stairs)(9), 0.1);
  EXPECT_DOUBLE_EQ((*stairs)(15), 0.05);
  EXPECT_DOUBLE_EQ((*stairs)(20), 0.025);
  EXPECT_EQ(stairs->description(),
            "exponential_decay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=true)");
}

TEST(Schedules, StepDecayIsStaircaseExponential) {
  const Schedule step = step_decay(1.0, 3, 0.1);
  EXPECT_DOUBLE_EQ((*step)(2), 1.0);
  EXPECT_DOUBLE_EQ((*step)(3), 0.1);
  EXPECT_NEAR((*step)(7), 0.01, 1e-17);
}

TEST(Schedules, PiecewiseConstantIncludesTheBoundaryInTheEarlierPiece) {
  const Schedule p = piecewise_constant_decay({10, 20}, {1.0, 0.5, 0.1});
  EXPECT_EQ((*p)(0), 1.0);
  EXPECT_EQ((*p)(10), 1.0);
  EXPECT_EQ((*p)(11), 0.5);
  EXPECT_EQ((*p)(20), 0.5);
  EXPECT_EQ((*p)(21), 0.1);
}

TEST(Schedules, CosineDecay) {
  const Schedule c = cosine_decay({.initial_learning_rate = 1.0, .decay_steps = 10});
  EXPECT_DOUBLE_EQ((*c)(0), 1.0);
  EXPECT_NEAR((*c)(5), 0.5, 1e-15);
  EXPECT_NEAR((*c)(10), 0.0, 1e-15);
  EXPECT_NEAR((*c)(25), 0.0, 1e-15);  // held at the end
  const Schedule floor = cosine_decay({.initial_learning_rate = 2.0, .decay_steps = 10, .alpha = 0.1});
  EXPECT_NEAR((*floor)(10), 0.2, 1e-15);
  EXPECT_NEAR((*floor)(5), 2.0 * (0.9 * 0.5 + 0.1), 1e-15);
}

TEST(Schedules, CosineDecayWithWarmup) {
  const Schedule c = cosine_decay(
      {.initial_learning_rate = 0.0, .decay_steps = 10, .warmup_target = 1.0, .warmup_steps = 4});
  EXPECT_DOUBLE_EQ((*c)(0), 0.0);
  EXPECT_DOUBLE_EQ((*c)(2), 0.5);
  EXPECT_DOUBLE_EQ((*c)(4), 1.0);
  EXPECT_NEAR((*c)(9), 0.5, 1e-15);
  EXPECT_NEAR((*c)(14), 0.0, 1e-15);
  EXPECT_NEAR((*c)(100), 0.0, 1e-15);
  // Without a warm-up target, warmup_steps is ignored, as in Keras.
  const Schedule plain = cosine_decay({.initial_learning_rate = 1.0, .decay_steps = 10, .warmup_steps = 4});
  EXPECT_DOUBLE_EQ((*plain)(0), 1.0);
}

TEST(Schedules, RejectBadArguments) {
  EXPECT_THROW(exponential_decay(0.1, 0, 0.5), Error);
  EXPECT_THROW(step_decay(0.1, -1, 0.5), Error);
  EXPECT_THROW(piecewise_constant_decay({10, 10}, {1, 2, 3}), Error);
  EXPECT_THROW(piecewise_constant_decay({10}, {1}), Error);
  EXPECT_THROW(cosine_decay({.initial_learning_rate = 1.0, .decay_steps = 0}), Error);
  EXPECT_THROW(LearningRate{Schedule{}}, Error);
}

}  // namespace
}  // namespace gradlab
