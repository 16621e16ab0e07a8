// Optimizers: Keras 3's update rules on hand-computed steps, weight decay, clipping inside apply(),
// the iteration counter and schedules, skipped and non-finite gradients, state round trips and
// argument errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradlab/optim/optimizers.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

Variable var(const std::string& name, const std::vector<double>& values, DType dtype = DType::float64) {
  return Variable(name, from_values(Shape{static_cast<int64_t>(values.size())}, values, dtype));
}

Tensor vec(const std::vector<double>& values, DType dtype = DType::float64) {
  return from_values(Shape{static_cast<int64_t>(values.size())}, values, dtype);
}

TEST(SGD, PlainStepIsLearningRateTimesGradient) {
  Variable w = var("w", {1.0, -2.0});
  SGD sgd({.learning_rate = 0.1});
  EXPECT_TRUE(sgd.slot_names().empty());
  sgd.apply({vec({0.5, -1.0})}, {w});
  EXPECT_TRUE(test::all_close(w.value(), Shape{2}, {0.95, -1.9}));
}

TEST(SGD, MomentumFollowsKerasVelocity) {
  // v = 0.9 v - 0.1 g; w += v. Step 1: v = -0.05, w = 0.95. Step 2: v = -0.045 - 0.05, w = 0.855.
  Variable w = var("w", {1.0});
  SGD sgd({.learning_rate = 0.1, .momentum = 0.9});
  sgd.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 0.95, 1e-15);
  sgd.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 0.855, 1e-15);
  EXPECT_EQ(sgd.iterations(), 2);
}

TEST(SGD, NesterovLooksAhead) {
  // Step 1: v = -0.05; w += 0.9 v - 0.1 g = -0.045 - 0.05.
  Variable w = var("w", {1.0});
  SGD sgd({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
  sgd.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 0.905, 1e-15);
}

TEST(SGD, KerasAndPyTorchMomentumDifferOnceTheRateChanges) {
  // Keras: v2 = 0.9 v1 - lr2 g with v1 = -lr1 g; PyTorch: w -= lr2 (0.9 g + g). With lr1 = 1, lr2 = 0.5
  // and g = 1: Keras moves -1 - 1.4 = -2.4, PyTorch -1 - 0.95 = -1.95.
  Variable w = var("w", {0.0});
  SGD sgd({.learning_rate = piecewise_constant_decay({0}, {1.0, 0.5}), .momentum = 0.9});
  sgd.apply({vec({1.0})}, {w});
  sgd.apply({vec({1.0})}, {w});
  EXPECT_NEAR(w.value().item(), -2.4, 1e-15);
}

TEST(Adam, FirstStepMovesByAboutTheLearningRate) {
  // m = 0.05, v = 0.00025, alpha = 0.1 sqrt(0.001) / 0.1; alpha m / sqrt(v) = 0.1 exactly, so
  // w = 1 - 0.1 s / (s + 1e-7) with s = sqrt(0.00025).
  Variable w = var("w", {1.0});
  Adam adam({.learning_rate = 0.1});
  adam.apply({vec({0.5})}, {w});
  const double s = std::sqrt(0.00025);
  EXPECT_NEAR(w.value().item(), 1.0 - 0.1 * s / (s + 1e-7), 1e-15);
  EXPECT_NEAR(w.value().item(), 0.900000632451532, 1e-15);
  adam.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 0.8000010797749725, 1e-15);
  EXPECT_EQ(adam.slot_names(), (std::vector<std::string>{"momentum", "velocity"}));
}

TEST(Adam, EpsilonIsAddedAfterTheRootNotAfterBiasCorrection) {
  // With a gradient far below epsilon the two conventions differ visibly: Keras's step is
  // alpha m / (sqrt(v) + eps) = 0.1 * 1e-7 / 2e-7 = 0.05 at step 1 (sqrt(v) = sqrt(0.001) g), while
  // PyTorch's lr m_hat / (sqrt(v_hat) + eps) would be 0.1 * 1e-8 / (1e-8 + 1e-7) with g = 1e-8.
  const double g = 1e-7 / std::sqrt(0.001);
  Variable w = var("w", {0.0});
  Adam adam({.learning_rate = 0.1});
  adam.apply({vec({g})}, {w});
  EXPECT_NEAR(w.value().item(), -0.05, 1e-12);
}

TEST(Adam, AmsgradKeepsTheLargestSecondMoment) {
  Variable w = var("w", {0.0});
  Adam adam({.learning_rate = 0.1, .amsgrad = true});
  adam.apply({vec({10.0})}, {w});
  adam.apply({vec({0.0})}, {w});
  const NamedTensors state = adam.state();
  ASSERT_EQ(state.size(), 4u);
  EXPECT_EQ(state[2].first, "w/velocity_hat");
  // v after step 1 is 0.1; after step 2 it decays to 0.0999 but v_hat keeps 0.1.
  EXPECT_NEAR(state[1].second.item(), 0.0999, 1e-15);
  EXPECT_NEAR(state[2].second.item(), 0.1, 1e-15);
}

TEST(AdamW, DecaysBeforeTheAdamStep) {
  // g = 0 leaves m = v = 0, so only the decay acts: w = 2 - 2 * 0.004 * 0.5.
  Variable w = var("w", {2.0});
  AdamW adamw({.learning_rate = 0.5});
  adamw.apply({vec({0.0})}, {w});
  EXPECT_NEAR(w.value().item(), 2.0 - 2.0 * 0.004 * 0.5, 1e-15);
  EXPECT_EQ(adamw.name(), "adamw");
  EXPECT_EQ(*adamw.config().weight_decay, 0.004);
}

TEST(WeightDecay, IsDecoupledInEveryOptimizer) {
  // w -= w * wd * lr with the schedule's current rate, whatever the optimizer's own rule.
  Variable a = var("a", {1.0}), b = var("b", {1.0}), c = var("c", {1.0});
  SGD sgd({.learning_rate = 0.1, .weight_decay = 0.5});
  RMSprop rms({.learning_rate = 0.1, .weight_decay = 0.5});
  Adagrad ada({.learning_rate = 0.1, .weight_decay = 0.5});
  sgd.apply({vec({0.0})}, {a});
  rms.apply({vec({0.0})}, {b});
  ada.apply({vec({0.0})}, {c});
  for (const Variable& v : {a, b, c}) EXPECT_NEAR(v.value().item(), 0.95, 1e-15) << v.name();
}

TEST(RMSprop, EpsilonSitsUnderTheRoot) {
  // v = 0.1 g^2; w -= lr g / sqrt(v + eps).
  Variable w = var("w", {1.0});
  RMSprop rms({.learning_rate = 0.01});
  rms.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 1.0 - 0.01 * 0.5 / std::sqrt(0.025 + 1e-7), 1e-15);
  EXPECT_EQ(RMSprop({.momentum = 0.5, .centered = true}).slot_names(),
            (std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
}

TEST(Adagrad, AccumulatorStartsAtItsInitialValue) {
  Variable w = var("w", {1.0});
  Adagrad ada({.learning_rate = 0.1});
  ada.apply({vec({0.5})}, {w});
  EXPECT_NEAR(w.value().item(), 1.0 - 0.1 * 0.5 / std::sqrt(0.35 + 1e-7), 1e-15);
  EXPECT_NEAR(ada.state()[0].second.item(), 0.35, 1e-15);
}

TEST(Clipping, ClipnormScalesEachVariableOnItsOwn) {
  // Norms 5 and 12 with clipnorm 1: each gradient becomes a unit vector; the reported norm is 13.
  Variable a = var("a", {0.0, 0.0}), b = var("b", {0.0});
  SGD sgd({.learning_rate = 1.0, .clipnorm = 1.0});
  EXPECT_DOUBLE_EQ(sgd.apply({vec({3.0, 4.0}), vec({12.0})}, {a, b}), 13.0);
  EXPECT_TRUE(test::all_close(a.value(), Shape{2}, {-0.6, -0.8}));
  EXPECT_TRUE(test::all_close(b.value(), Shape{1}, {-1.0}));
  EXPECT_DOUBLE_EQ(sgd.last_global_norm(), 13.0);
}

TEST(Clipping, GlobalClipnormKeepsTheJointDirection) {
  // N = 13, c = 6.5: every gradient is halved.
  Variable a = var("a", {0.0, 0.0}), b = var("b", {0.0});
  SGD sgd({.learning_rate = 1.0, .global_clipnorm = 6.5});
  EXPECT_DOUBLE_EQ(sgd.apply({vec({3.0, 4.0}), vec({12.0})}, {a, b}), 13.0);
  EXPECT_TRUE(test::all_close(a.value(), Shape{2}, {-1.5, -2.0}));
  EXPECT_TRUE(test::all_close(b.value(), Shape{1}, {-6.0}));
  // Below the threshold nothing changes.
  SGD loose({.learning_rate = 1.0, .global_clipnorm = 100.0});
  Variable c = var("c", {0.0, 0.0});
  loose.apply({vec({3.0, 4.0})}, {c});
  EXPECT_TRUE(test::all_close(c.value(), Shape{2}, {-3.0, -4.0}));
}

TEST(Clipping, ClipvalueClampsElements) {
  Variable a = var("a", {0.0, 0.0, 0.0});
  SGD sgd({.learning_rate = 1.0, .clipvalue = 2.0});
  EXPECT_DOUBLE_EQ(sgd.apply({vec({3.0, -4.0, 1.0})}, {a}), std::sqrt(26.0));
  EXPECT_TRUE(test::all_close(a.value(), Shape{3}, {-2.0, 2.0, -1.0}));
}

TEST(Clipping, WorksInFloat32) {
  Variable a = var("a", {0.0, 0.0}, DType::float32);
  SGD sgd({.learning_rate = 1.0, .clipnorm = 1.0});
  sgd.apply({vec({3.0, 4.0}, DType::float32)}, {a});
  EXPECT_TRUE(test::all_close(a.value(), Shape{2}, {-0.6, -0.8}));
}

TEST(Optimizer, FollowsItsScheduleByIterations) {
  Variable w = var("w", {0.0});
  SGD sgd({.learning_rate = piecewise_constant_decay({0, 1}, {1.0, 0.5, 0.25})});
  EXPECT_EQ(sgd.current_learning_rate(), 1.0);
  sgd.apply({vec({1.0})}, {w});
  EXPECT_EQ(sgd.current_learning_rate(), 0.5);
  sgd.apply({vec({1.0})}, {w});
  sgd.apply({vec({1.0})}, {w});
  EXPECT_NEAR(w.value().item(), -1.75, 1e-15);
  EXPECT_EQ(sgd.iterations(), 3);
}

TEST(Optimizer, SkipsUndefinedGradientsAndRejectsAllUndefined) {
  Variable a = var("a", {1.0}), b = var("b", {1.0});
  SGD sgd({.learning_rate = 0.5});
  sgd.apply({Tensor(), vec({1.0})}, {a, b});
  EXPECT_EQ(a.value().item(), 1.0);
  EXPECT_EQ(b.value().item(), 0.5);
  EXPECT_NE(error_of([&] {
              sgd.apply({Tensor(), Tensor()}, {a, b});
            }).find("no gradients provided"),
            std::string::npos);
  EXPECT_EQ(sgd.iterations(), 1);
}

TEST(Optimizer, AppliesNonFiniteGradientsButReportsThem) {
  const double inf = std::numeric_limits<double>::infinity();
  Variable a = var("a", {1.0, 1.0});
  SGD sgd({.learning_rate = 0.5});
  EXPECT_TRUE(sgd.last_gradients_finite());
  EXPECT_TRUE(std::isnan(sgd.last_global_norm()));
  sgd.apply({vec({inf, 1.0})}, {a});
  EXPECT_FALSE(sgd.last_gradients_finite());
  EXPECT_TRUE(std::isinf(sgd.last_global_norm()));
  EXPECT_EQ(a.value().at({0}), -inf);
  EXPECT_EQ(a.value().at({1}), 0.5);
  sgd.apply({vec({1.0, 1.0})}, {a});
  EXPECT_TRUE(sgd.last_gradients_finite());

  // global_clipnorm turns every gradient into NaN when the norm is not finite, as TensorFlow does.
  Variable b = var("b", {1.0}), c = var("c", {1.0});
  SGD clipped({.learning_rate = 0.5, .global_clipnorm = 1.0});
  clipped.apply({vec({std::nan("")}), vec({1.0})}, {b, c});
  EXPECT_TRUE(std::isnan(b.value().item()));
  EXPECT_TRUE(std::isnan(c.value().item()));
}

TEST(Optimizer, StateRoundTripResumesExactly) {
  Variable a1 = var("d/kernel", {1.0, 2.0}), b1 = var("d/bias", {0.5});
  Variable a2 = var("d/kernel", {1.0, 2.0}), b2 = var("d/bias", {0.5});
  Adam first({.learning_rate = 0.1, .amsgrad = true});
  for (int i = 0; i < 3; ++i) first.apply({vec({0.3 * i, -1.0}), vec({0.7})}, {a1, b1});
  a2.assign(a1.value());
  b2.assign(b1.value());
  const NamedTensors state = first.state();
  ASSERT_EQ(state.size(), 7u);
  EXPECT_EQ(state[0].first, "d/kernel/momentum");
  EXPECT_EQ(state[3].first, "d/bias/momentum");
  EXPECT_EQ(state.back().first, "iterations");
  EXPECT_EQ(state.back().second.item(), 3.0);

  Adam second({.learning_rate = 0.1, .amsgrad = true});
  second.load_state(state, {a2, b2});
  EXPECT_EQ(second.iterations(), 3);
  first.apply({vec({0.2, 0.1}), vec({-0.4})}, {a1, b1});
  second.apply({vec({0.2, 0.1}), vec({-0.4})}, {a2, b2});
  EXPECT_EQ(a1.value().to_vector(), a2.value().to_vector());
  EXPECT_EQ(b1.value().to_vector(), b2.value().to_vector());
}

TEST(Optimizer, LoadStateRejectsBadEntriesAndChangesNothing) {
  Variable a = var("a", {1.0, 2.0});
  SGD source({.momentum = 0.9});
  source.apply({vec({1.0, 1.0})}, {a});
  NamedTensors state = source.state();

  SGD target({.momentum = 0.9});
  NamedTensors missing = {state.back()};
  EXPECT_NE(error_of([&] { target.load_state(missing, {a}); }).find("has no 'a/momentum'"),
            std::string::npos);
  NamedTensors misshapen = state;
  misshapen[0].second = vec({1.0});
  EXPECT_NE(error_of([&] { target.load_state(misshapen, {a}); }).find("'a/momentum' is float64[1]"),
            std::string::npos);
  NamedTensors extra = state;
  extra.emplace_back("b/momentum", vec({1.0}));
  EXPECT_NE(error_of([&] { target.load_state(extra, {a}); }).find("'b/momentum', which belongs to none"),
            std::string::npos);
  NamedTensors no_iterations = {state.front()};
  EXPECT_NE(error_of([&] { target.load_state(no_iterations, {a}); }).find("no 'iterations'"),
            std::string::npos);
  EXPECT_EQ(target.iterations(), 0);
  EXPECT_EQ(target.state().front().second.to_vector(), (std::vector<double>{0.0, 0.0}));
}

TEST(Optimizer, RejectsBadArguments) {
  Variable a = var("a", {1.0, 2.0});
  SGD sgd;
  EXPECT_NE(error_of([&] { sgd.apply({vec({1.0})}, {a}); }).find("the gradient of a is float64[1]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              sgd.apply({vec({1.0, 1.0}, DType::float32)}, {a});
            }).find("float32[2]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { sgd.apply({}, {a}); }).find("got 0 gradients for 1 variables"), std::string::npos);
  EXPECT_NE(error_of([] { SGD({.clipnorm = 1.0, .global_clipnorm = 1.0}); }).find("at most one"),
            std::string::npos);
  EXPECT_NE(error_of([] { SGD({.clipvalue = 1.0, .global_clipnorm = 1.0}); }).find("at most one"),
            std::string::npos);
  EXPECT_NE(error_of([] { SGD({.clipnorm = -1.0}); }).find("clipnorm must be a positive number"),
            std::string::npos);
  EXPECT_NE(error_of([] { SGD({.momentum = 1.5}); }).find("SGD: momentum must be in [0, 1]"),
            std::string::npos);
  EXPECT_NE(error_of([] { Adam({.beta_1 = 1.0}); }).find("adam: beta_1 must be in [0, 1)"),
            std::string::npos);
  EXPECT_NE(error_of([] { RMSprop({.epsilon = -1.0}); }).find("epsilon must be >= 0"), std::string::npos);
  EXPECT_NE(error_of([] { AdamW({.weight_decay = -0.1}); }).find("weight_decay must be a non-negative"),
            std::string::npos);
  EXPECT_NE(error_of([] { Adagrad({.learning_rate = std::nan("")}); }).find("learning_rate must be finite"),
            std::string::npos);
}

TEST(Optimizer, DescriptionsNameTheSettings) {
  EXPECT_EQ(SGD({.learning_rate = 0.1, .momentum = 0.9, .clipnorm = 1.0}).description(),
            "SGD(learning_rate=0.1, clipnorm=1, momentum=0.9, nesterov=false)");
  EXPECT_EQ(Adam().description(),
            "adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=false)");
  EXPECT_NE(AdamW().description().find("adamw(learning_rate=0.001, weight_decay=0.004"), std::string::npos);
}

}  // namespace
}  // namespace gradlab
