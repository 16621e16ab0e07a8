#include "gradlab/lab/adding_study.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "gradlab/gradlab.h"
#include "gradlab/train/adding_problem.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Issue 17's bar for "solves the adding problem": test MSE below 0.01 (chance is about 0.17).
constexpr double kSolvedMse = 0.01;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_options(const AddingStudyOptions& o) {
  auto require = [](bool ok, const char* what, double value, const char* expected) {
    if (!ok) fail("adding study: {} = {} is out of range (expected {})", what, value, expected);
  };
  if (o.time_steps.empty()) fail("adding study: no time steps to compare (expected at least one T)");
  for (int64_t t : o.time_steps)
    require(t >= 2 && t <= kMaxAddingTimeSteps, "time_steps", double(t), "in [2, 100000]");
  require(o.exploding_time_steps >= 2 && o.exploding_time_steps <= kMaxAddingTimeSteps,
          "exploding_time_steps", double(o.exploding_time_steps), "in [2, 100000]");
  require(o.units > 0, "units", double(o.units), "> 0");
  require(o.train_examples > 0, "train_examples", double(o.train_examples), "> 0");
  require(o.test_examples > 0, "test_examples", double(o.test_examples), "> 0");
  require(o.epochs > 0, "epochs", double(o.epochs), "> 0");
  require(o.batch_size > 0, "batch_size", double(o.batch_size), "> 0");
  require(o.learning_rate > 0, "learning_rate", o.learning_rate, "> 0");
  require(o.exploding_learning_rate > 0, "exploding_learning_rate", o.exploding_learning_rate, "> 0");
  require(o.exploding_gain > 0, "exploding_gain", o.exploding_gain, "> 0");
  require(o.clipnorm > 0, "clipnorm", o.clipnorm, "> 0");
  require(o.sample_every > 0, "sample_every", double(o.sample_every), "> 0");
  require(o.seeds >= 1 && o.seeds <= 1000, "seeds", double(o.seeds), "in [1, 1000]");
}

// The MSE of predicting the test targets' mean: the chance level of that test set.
double target_variance(const Dataset& test) {
  const float* y = test.labels.data<float>();
  const auto n = static_cast<double>(test.size());
  double sum = 0, squares = 0;
  for (int64_t i = 0; i < test.size(); ++i) sum += y[i];
  const double mean = sum / n;
  for (int64_t i = 0; i < test.size(); ++i) squares += (y[i] - mean) * (y[i] - mean);
  return squares / n;
}

Layer cell_layer(const std::string& cell, int64_t units, RecurrentOptions options) {
  options.name = cell;
  if (cell == "lstm") return LSTM(units, options);
  if (cell == "gru") return GRU(units, options);
  return SimpleRNN(units, options);
}

std::string cell_title(const std::string& cell) {
  return cell == "lstm" ? "LSTM" : cell == "gru" ? "GRU" : "SimpleRNN";
}

// One arm's plan: how to build its network and optimizer, and its data.
struct ArmPlan {
  AddingArm arm;
  std::function<Layer()> build;
  std::function<std::shared_ptr<Optimizer>()> optimizer;
  const DataSplits* data = nullptr;
};

}  // namespace

uint64_t adding_run_seed(uint64_t study_seed, int64_t index) {
  return Rng(study_seed).fork(static_cast<uint64_t>(index)).seed();
}

double AddingRun::final_test_mse() const {
  if (history.epochs.empty() || !history.epochs.back().val_loss) return kNaN;
  return *history.epochs.back().val_loss;
}

SeedSpread AddingArm::test_mse() const {
  std::vector<double> values;
  for (const AddingRun& run : runs) values.push_back(run.final_test_mse());
  return seed_spread(values);
}

int64_t AddingArm::runs_stopped_by_anomaly() const {
  return std::count_if(runs.begin(), runs.end(),
                       [](const AddingRun& run) { return run.stopped_by_anomaly(); });
}

AddingReading read_adding(const SeedSpread& mse, double chance) {
  if (mse.count == 0) return AddingReading::not_measured;
  if (mse.count < mse.runs) return AddingReading::mixed;  // some runs ended without a finite loss
  if (mse.max < kSolvedMse) return AddingReading::solved;
  if (mse.max < 0.5 * chance) return AddingReading::learned;
  if (mse.min >= 0.9 * chance && mse.max <= 1.1 * chance) return AddingReading::at_chance;
  if (mse.min > 1.1 * chance) return AddingReading::worse;
  return AddingReading::mixed;
}

const AddingArm& AddingStudyResult::arm(std::string_view name, int64_t time_steps) const {
  for (const AddingArm& a : arms) {
    if (a.name == name && a.time_steps == time_steps) return a;
  }
  fail("adding study: no arm '{}' at T = {}", name, time_steps);
}

double AddingStudyResult::chance_at(int64_t time_steps) const {
  for (std::size_t i = 0; i < options.time_steps.size(); ++i) {
    if (options.time_steps[i] == time_steps) return chance[i];
  }
  if (time_steps == options.exploding_time_steps) return exploding_chance;
  fail("adding study: T = {} was not measured", time_steps);
}

AddingStudyResult run_adding_study(const AddingStudyOptions& o, const StudyProgressCallback& progress) {
  check_options(o);
  const auto start = std::chrono::steady_clock::now();
  AddingStudyResult r;
  r.options = o;
  for (int64_t i = 0; i < o.seeds; ++i) r.seeds.push_back(adding_run_seed(o.seed, i));
  const auto load = [&](int64_t t) {
    return load_adding_problem({.time_steps = t,
                                .train_examples = o.train_examples,
                                .test_examples = o.test_examples,
                                .seed = o.seed});
  };
  std::vector<DataSplits> data;
  for (int64_t t : o.time_steps) {
    data.push_back(load(t));
    r.chance.push_back(target_variance(data.back().test));
  }
  const DataSplits exploding_data = load(o.exploding_time_steps);
  r.exploding_chance = target_variance(exploding_data.test);

  std::vector<ArmPlan> plans;
  const std::string adam = fmt::format("Adam({:g})", o.learning_rate);
  for (std::size_t k = 0; k < o.time_steps.size(); ++k) {
    for (const char* cell : {"simple_rnn", "lstm", "gru"}) {
      plans.push_back(
          {.arm = {.name = cell,
                   .time_steps = o.time_steps[k],
                   .description = fmt::format("{}({}) -> Dense(1); {}", cell_title(cell), o.units, adam)},
           .build =
               [cell, &o] {
                 return Layer(Sequential({cell_layer(cell, o.units, {}), Dense(1, {.name = "sum"})}));
               },
           .optimizer =
               [&o] { return std::make_shared<Adam>(AdamOptions{.learning_rate = o.learning_rate}); },
           .data = &data[k]});
    }
  }
  // The exploding pair: relu, so nothing bounds the state, and a recurrent kernel whose singular values
  // are all exploding_gain; SGD without momentum, so the clip alone bounds each update (lr x clipnorm).
  const std::string exploding =
      fmt::format("SimpleRNN({}, relu, recurrent orthogonal(gain {:g})) -> Dense(1); SGD({:g}", o.units,
                  o.exploding_gain, o.exploding_learning_rate);
  for (bool clipped : {false, true}) {
    plans.push_back(
        {.arm = {.name = clipped ? "exploding_clipped" : "exploding",
                 .time_steps = o.exploding_time_steps,
                 .description =
                     exploding + (clipped ? fmt::format(", global_clipnorm {:g})", o.clipnorm) : ")")},
         .build =
             [&o] {
               return Layer(
                   Sequential({SimpleRNN(o.units, {.activation = "relu",
                                                   .recurrent_initializer = orthogonal(o.exploding_gain),
                                                   .name = "simple_rnn"}),
                               Dense(1, {.name = "sum"})}));
             },
         .optimizer =
             [&o, clipped] {
               return std::make_shared<SGD>(
                   SGDOptions{.learning_rate = o.exploding_learning_rate,
                              .global_clipnorm = clipped ? std::optional<double>(o.clipnorm) : std::nullopt});
             },
         .data = &exploding_data});
  }

  const int runs = static_cast<int>(plans.size() * static_cast<std::size_t>(o.seeds));
  int next_run = 0;
  for (ArmPlan& plan : plans) {
    AddingArm a = std::move(plan.arm);
    for (int64_t i = 0; i < o.seeds; ++i) {
      AddingRun run{.seed = r.seeds[static_cast<std::size_t>(i)]};
      // Built right after set_seed(seed): run i of the two exploding arms starts from the same weights.
      set_seed(run.seed);
      const Layer model = plan.build();
      StudyProgressReporter reporter(progress, {.run = fmt::format("{} T={}", a.name, a.time_steps),
                                                .seed_index = i,
                                                .run_index = next_run++,
                                                .runs = runs});
      std::vector<Callback*> callbacks;
      if (progress) callbacks.push_back(&reporter);
      const auto run_start = std::chrono::steady_clock::now();
      run.history = fit(model, plan.data->train,
                        {.optimizer = plan.optimizer(),
                         .loss = "mean_squared_error",
                         .metrics = {},
                         .epochs = o.epochs,
                         .batch_size = o.batch_size,
                         .seed = run.seed,
                         .validation_data = plan.data->test,
                         .callbacks = callbacks,
                         .sample_every = o.sample_every,
                         .detect_anomalies = true});
      run.seconds = seconds_since(run_start);
      a.runs.push_back(std::move(run));
    }
    r.arms.push_back(std::move(a));
  }
  r.seconds = seconds_since(start);
  return r;
}

}  // namespace gradlab
