#include "gradlab/optim/factory.h"

#include <gtest/gtest.h>

#include "gradlab/optim/optimizers.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

TEST(OptimizerFactory, MakesEachOptimizerWithItsOptions) {
  auto sgd = make_optimizer("SGD", {.learning_rate = 0.1, .momentum = 0.9, .nesterov = true, .clipnorm = 1.0});
  const auto* s = dynamic_cast<SGD*>(sgd.get());
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->options().momentum, 0.9);
  EXPECT_TRUE(s->options().nesterov);
  EXPECT_EQ(s->config().clipnorm, 1.0);
  EXPECT_EQ(s->current_learning_rate(), 0.1);
  EXPECT_NE(dynamic_cast<Adam*>(make_optimizer("adam").get()), nullptr);
  EXPECT_EQ(dynamic_cast<AdamW*>(make_optimizer("adamw").get())->config().weight_decay, 0.004);
  EXPECT_EQ(dynamic_cast<RMSprop*>(make_optimizer("rmsprop", {.momentum = 0.5}).get())->options().momentum, 0.5);
  EXPECT_NE(dynamic_cast<Adagrad*>(make_optimizer("adagrad", {.global_clipnorm = 2.0}).get()), nullptr);
  EXPECT_EQ(make_optimizer("adam")->current_learning_rate(), 0.001);  // Keras's default kept
}

TEST(OptimizerFactory, UnknownNamesAndOptionsListTheValidOnes) {
  EXPECT_EQ(error_of([] { make_optimizer("lamb"); }), "unknown optimizer 'lamb'; valid names are sgd, adam, adamw, rmsprop, adagrad");
  EXPECT_EQ(error_of([] { make_optimizer("adam", {.momentum = 0.9}); }),
            "optimizer 'adam' has no option 'momentum'; its options are learning_rate, weight_decay, clipnorm, clipvalue, "
            "global_clipnorm");
  EXPECT_EQ(error_of([] { make_optimizer("rmsprop", {.nesterov = true}); }),
            "optimizer 'rmsprop' has no option 'nesterov'; its options are learning_rate, weight_decay, clipnorm, "
            "clipvalue, global_clipnorm, momentum");
}

TEST(OptimizerFactory, SchedulesFromText) {
  EXPECT_EQ(parse_schedule("constant", 0.5).at(100), 0.5);
  EXPECT_DOUBLE_EQ(parse_schedule("step:step_size=10,gamma=0.5", 1.0).at(25), 0.25);
  EXPECT_DOUBLE_EQ(parse_schedule("exponential:decay_steps=10,decay_rate=0.5,staircase=true", 1.0).at(15), 0.5);
  EXPECT_DOUBLE_EQ(parse_schedule("cosine:decay_steps=10", 1.0).at(10), 0.0);
  EXPECT_DOUBLE_EQ(parse_schedule("cosine:decay_steps=10,warmup_steps=4,warmup_target=2", 0.0).at(2), 1.0);
  EXPECT_EQ(error_of([] { parse_schedule("linear", 1.0); }), "unknown schedule 'linear'; valid kinds are constant, exponential, step, cosine");
  EXPECT_EQ(error_of([] { parse_schedule("step:step_size=10", 1.0); }), "schedule 'step' needs 'gamma=<number>'");
  EXPECT_EQ(error_of([] { parse_schedule("step:step_size=10,gama=2", 1.0); }), "schedule 'step' has no key 'gama'; keys are step_size, gamma");
  EXPECT_EQ(error_of([] { parse_schedule("step:step_size=x,gamma=2", 1.0); }), "schedule 'step': step_size='x' is not a number");
  EXPECT_EQ(error_of([] { parse_schedule("step:step_size=1.5,gamma=2", 1.0); }),
            "schedule 'step': step_size must be a non-negative whole number, got 1.5");
}

}  // namespace
}  // namespace gradlab
