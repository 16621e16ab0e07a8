// Sweeps of recurrent networks (RecurrentSweepGrid): the documented order, ids and seeds, the
// refusals, results that do not depend on the workers, the time axis of a row, and the cost model.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "gradlab/error.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_run.h"
#include "gradlab/lab/sweep_shares.h"

namespace gradlab {
namespace {

RecurrentSweepGrid small_grid() {
  return {.cells = {RecurrentCell::simple_rnn, RecurrentCell::lstm},
          .layers = {1, 2},
          .units = {6},
          .time_steps = {4, 10},
          .batches = {3},
          .trials = 2,
          .seed = 11};
}

TEST(RecurrentSweep, ExpandsInTheDocumentedOrderWithIdsAndSeedsOfTheirOwn) {
  const std::vector<SweepConfig> configs = expand_recurrent_grid(small_grid());
  ASSERT_EQ(configs.size(), 16u);
  EXPECT_EQ(recurrent_grid_size(small_grid()), 16);
  EXPECT_EQ(configs[0].id,
            "cell=simple_rnn,layers=1,units=6,time_steps=4,activation=tanh,init=glorot_uniform,recurrent_init=orthogonal,"
            "norm=none,batch=3,dtype=float32,trial=0");
  EXPECT_EQ(configs[1].trial, 1);
  EXPECT_EQ(configs[2].recurrent->time_steps, 10);  // time steps inside layers inside cells
  EXPECT_EQ(configs[4].recurrent->layers, 2);
  EXPECT_EQ(configs[8].recurrent->cell, RecurrentCell::lstm);
  EXPECT_EQ(configs[8].recurrent->input_features, 128);
  for (const SweepConfig& c : configs) EXPECT_EQ(c.seed, sweep_config_seed(11, c.id));
  std::map<uint64_t, int> seeds;
  for (const SweepConfig& c : configs) ++seeds[c.seed];
  EXPECT_EQ(seeds.size(), configs.size());
  const auto parameters = sweep_config_parameters(configs[8]);
  ASSERT_EQ(parameters.size(), 10u);
  EXPECT_EQ(parameters[0], (std::pair<std::string, std::string>{"cell", "lstm"}));
  EXPECT_EQ(parameters[7], (std::pair<std::string, std::string>{"norm", "none"}));
}

TEST(RecurrentSweep, RefusesWhatCannotBeExpanded) {
  const auto refused = [](RecurrentSweepGrid g, const std::string& fragment) {
    try {
      validate_recurrent_grid(g);
      ADD_FAILURE() << "accepted; expected " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  RecurrentSweepGrid g = small_grid();
  g.time_steps = {0};
  refused(g, "'time_steps' value 0 is out of range; expected 1 to 100000");
  g = small_grid();
  g.cells = {};
  refused(g, "'cell' is empty");
  g = small_grid();
  g.layer_norms = {true, true};
  refused(g, "'norm' lists 'layer' twice");
  g = small_grid();
  g.recurrent_initializers = {"orthogonal", "Orthogonal"};
  refused(g, "'recurrent_init' lists 'orthogonal' twice");
  g = small_grid();
  g.activations = {"tanhh"};
  refused(g, "'activation' value 'tanhh' is unknown");
}

TEST(RecurrentSweep, ResultsDoNotDependOnTheWorkersAndCarryTheTimeAxis) {
  RecurrentSweepGrid g = small_grid();
  g.cells = {RecurrentCell::simple_rnn, RecurrentCell::gru};
  g.layer_norms = {false, true};
  const std::vector<SweepConfig> configs = expand_recurrent_grid(g);
  std::map<std::string, SweepResult> one, three;
  run_sweep(configs, {.workers = 1}, [&](const SweepResult& r) { one.emplace(r.config.id, r); });
  run_sweep(configs, {.workers = 3}, [&](const SweepResult& r) { three.emplace(r.config.id, r); });
  ASSERT_EQ(one.size(), configs.size());
  for (const SweepConfig& c : configs) {
    const SweepResult& a = one.at(c.id);
    const SweepResult& b = three.at(c.id);
    ASSERT_TRUE(a.time_axis && b.time_axis) << c.id;
    EXPECT_EQ(a.input_grad_norm, b.input_grad_norm) << c.id;
    EXPECT_EQ(a.time_axis->first_step_grad_norm, b.time_axis->first_step_grad_norm) << c.id;
    EXPECT_EQ(a.time_axis->gain_per_step, b.time_axis->gain_per_step) << c.id;
    EXPECT_EQ(a.time_axis->time_steps, c.recurrent->time_steps);
    EXPECT_EQ(a.time_axis->recurrent_layers, c.recurrent->layers);
    EXPECT_GT(a.time_axis->first_step_grad_norm, 0) << c.id;
    EXPECT_EQ(a.verdict, a.time_axis->verdict);
    EXPECT_EQ(a.first_to_last_ratio, a.time_axis->first_to_last_ratio);
    EXPECT_FALSE(a.through_time) << "kept only with keep_pass";
  }
  const SweepResult kept = run_sweep_config(configs[3], {}, true);
  ASSERT_TRUE(kept.through_time);
  ASSERT_EQ(kept.through_time->layers.size(), static_cast<std::size_t>(configs[3].recurrent->layers));
  EXPECT_EQ(kept.through_time->layers.front().grad_norm.front(), one.at(configs[3].id).time_axis->first_step_grad_norm);
}

TEST(RecurrentSweep, ExpectedCostGrowsWithTimeStepsLayersUnitsSquaredAndGates) {
  SweepConfig base;
  base.recurrent = RecurrentNetworkOptions{.cell = RecurrentCell::simple_rnn, .layers = 2, .units = 256, .time_steps = 100};
  const double fixed = expected_cost(SweepConfig{.recurrent = RecurrentNetworkOptions{.units = 1, .time_steps = 1, .batch = 1,
                                                                                       .input_features = 1}});
  const auto work = [&](const SweepConfig& c) { return expected_cost(c) - fixed; };
  SweepConfig longer = base;
  longer.recurrent->time_steps = 1000;
  EXPECT_NEAR(work(longer) / work(base), 10.0, 0.01);
  SweepConfig lstm = base;
  lstm.recurrent->cell = RecurrentCell::lstm;
  EXPECT_NEAR(work(lstm) / work(base), 4.0, 0.01);
  SweepConfig gru = base;
  gru.recurrent->cell = RecurrentCell::gru;
  EXPECT_NEAR(work(gru) / work(base), 3.0, 0.01);
  SweepConfig wide = base;
  wide.recurrent->units = 1024;  // units^2 dominates the 128 input features
  EXPECT_GT(work(wide) / work(base), 12.0);
  SweepConfig deep = base;
  deep.recurrent->layers = 8;
  EXPECT_GT(work(deep) / work(base), 3.0);
  SweepConfig f64 = base;
  f64.recurrent->dtype = DType::float64;
  EXPECT_NEAR(work(f64) / work(base), 2.0, 0.01);
}

}  // namespace
}  // namespace gradlab
