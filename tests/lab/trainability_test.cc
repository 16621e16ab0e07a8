// Trainability against depth scale (lab/trainability.h): a shallow network at the edge of chaos learns
// in a short budget, a network far deeper than its correlation depth scale in the ordered phase does
// not; the budget is checked and recorded; the cost model prices training.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/lab/sweep_shares.h"
#include "gradlab/lab/trainability.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

using test::error_of;

const TrainabilityTask& task() {
  static const TrainabilityTask t = [] {
    TrainabilityTask task{.settings = {.steps = 150, .train_examples = 1000, .test_examples = 500}};
    task.data = std::make_shared<const DataSplits>(load_trainability_data(task.settings));
    return task;
  }();
  return t;
}

SkipNetworkOptions tanh_network(int depth, double sigma_w2) {
  return {.depth = depth, .units = 32, .activation = "tanh", .gaussian_init = GaussianInit{.sigma_w2 = sigma_w2, .sigma_b2 = 0.05}};
}

// Critical tanh (sigma_w2 = 1.76 at sigma_b2 = 0.05, Schoenholz et al. 2017) at depth 3 is a small MLP:
// 150 SGD steps take Fashion-MNIST's loss from ln 10 = 2.30 to about 1 and its accuracy far above
// chance (the margins below are several times what the seed changes). At sigma_w2 = 0.5 the network
// is deep in the ordered phase: the theory's xi_c is under 2 layers, so two inputs' pre-activations
// at layer 60 differ by a factor of about chi^60 ~ 1e-20 of their size, far below float32's resolution
// (1e-7): every image gives the same logits, and the gradient reaching the first layers is as small.
// Only the output bias can learn, so the network predicts one class: chance (0.1 on balanced classes),
// a fact of arithmetic rather than of the seed.
TEST(Trainability, ShallowCriticalNetworkLearnsAndDeepOrderedNetworkStaysAtChance) {
  const TrainingOutcome critical = train_network(tanh_network(3, 1.76), 11, task());
  EXPECT_EQ(critical.steps_run, 150);
  EXPECT_FALSE(critical.diverged);
  EXPECT_LT(critical.train_loss, 0.75 * std::log(10.0));
  EXPECT_GT(critical.train_accuracy, 0.5);
  EXPECT_GT(critical.test_accuracy, 0.5);
  EXPECT_GT(critical.xi_c, 100);  // at the critical line the depth scale diverges

  const TrainingOutcome ordered = train_network(tanh_network(60, 0.5), 11, task());
  EXPECT_EQ(ordered.steps_run, 150);
  EXPECT_FALSE(ordered.diverged);
  EXPECT_LT(ordered.xi_c, 2);
  EXPECT_GT(60, 6 * ordered.xi_c);
  EXPECT_GT(ordered.train_loss, 0.95 * std::log(10.0));
  EXPECT_LT(ordered.test_accuracy, 0.2);
  EXPECT_LT(ordered.train_accuracy, 0.2);
}

TEST(Trainability, SameSeedSameOutcome) {
  const TrainingOutcome a = train_network(tanh_network(4, 1.5), 3, task());
  const TrainingOutcome b = train_network(tanh_network(4, 1.5), 3, task());
  EXPECT_EQ(a.train_loss, b.train_loss);
  EXPECT_EQ(a.test_accuracy, b.test_accuracy);
  const TrainingOutcome c = train_network(tanh_network(4, 1.5), 4, task());
  EXPECT_NE(a.train_loss, c.train_loss);
}

TEST(Trainability, RefusesWhatItCannotTrainAndBadSettings) {
  SkipNetworkOptions by_name = tanh_network(3, 1.5);
  by_name.gaussian_init.reset();
  EXPECT_NE(error_of([&] { train_network(by_name, 0, task()); }).find("sigma_w2"), std::string::npos);
  SkipNetworkOptions residual = tanh_network(3, 1.5);
  residual.skip = SkipConnection::residual;
  EXPECT_NE(error_of([&] { train_network(residual, 0, task()); }).find("skip 'residual'"), std::string::npos);
  EXPECT_NE(error_of([] { check_trainability_settings({.steps = 0}); }).find("steps"), std::string::npos);
  EXPECT_NE(error_of([] { check_trainability_settings({.learning_rate = -1}); }).find("learning rate"), std::string::npos);
  EXPECT_NE(error_of([] { load_trainability_data({.data_dir = "/nonexistent/fashion"}); }).find("/nonexistent/fashion"),
            std::string::npos);
  EXPECT_EQ(trainability_budget({}), "steps=150;batch=32;lr=0.01;train=2000;test=1000");
}

TEST(Trainability, DataIsCutToEachSubsetsOwnSize) {
  const DataSplits more_test = load_trainability_data({.train_examples = 100, .test_examples = 300});
  EXPECT_EQ(more_test.train.size(), 100);
  EXPECT_EQ(more_test.test.size(), 300);
  const DataSplits more_train = load_trainability_data({.train_examples = 300, .test_examples = 100});
  EXPECT_EQ(more_train.train.size(), 300);
  EXPECT_EQ(more_train.test.size(), 100);
}

TEST(Trainability, GridTrainsOnlyPlainFloat32NetworksInitializedByVariances) {
  auto t = std::make_shared<const TrainabilityTask>(task());
  EXPECT_NE(error_of([&] { validate_grid({.training = t}); }).find("sigma_w2"), std::string::npos);
  EXPECT_NE(error_of([&] { validate_grid({.sigma_w2s = {1}, .skips = {SkipConnection::concat}, .training = t}); })
                .find("'skip' must be none"), std::string::npos);
  EXPECT_NE(error_of([&] { validate_grid({.sigma_w2s = {1}, .dtypes = {DType::float64}, .training = t}); })
                .find("float32"), std::string::npos);
  const std::vector<SweepConfig> configs = expand_grid({.sigma_w2s = {1}, .training = t});
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].training, t);
}

TEST(Trainability, CostModelPricesTrainingAsStepsTimesDepthTimesWidthSquared) {
  auto t = std::make_shared<const TrainabilityTask>(task());
  SweepConfig probed;
  probed.network = tanh_network(32, 1.5);
  SweepConfig trained = probed;
  trained.training = t;
  EXPECT_EQ(training_cost(probed), 0);
  EXPECT_GT(expected_cost(trained), 20 * expected_cost(probed));  // 150 steps of 32 examples against one probe
  SweepConfig deeper = trained, wider = trained;
  deeper.network.depth = 64;
  wider.network.units = 64;
  EXPECT_GT(training_cost(deeper), 1.7 * training_cost(trained));
  EXPECT_GT(training_cost(wider), 2.5 * training_cost(trained));
  auto longer = std::make_shared<TrainabilityTask>(task());
  longer->settings.steps = 300;
  SweepConfig more_steps = trained;
  more_steps.training = longer;
  EXPECT_GT(training_cost(more_steps), 1.8 * training_cost(trained));
}

}  // namespace
}  // namespace gradlab
