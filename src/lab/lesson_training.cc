#include "gradlab/lab/lesson_training.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <utility>

#include "gradlab/gradlab.h"
#include "gradlab/nn/layer_normalization.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A model and its Dense layers, input side first: the layers whose gradient norms the study compares.
struct StudyModel {
  Layer model;
  std::vector<Dense> dense;
};

std::string dense_name(int64_t index) { return fmt::format("dense_{}", index); }

// Dense(units[i], activation) for each i, then a linear output layer "logits": the MLP and the deep
// plain stacks.
StudyModel dense_stack(const std::vector<int64_t>& units, const std::string& activation,
                       const Initializer& init, int64_t classes) {
  StudyModel m;
  std::vector<Layer> layers;
  for (std::size_t i = 0; i < units.size(); ++i) {
    m.dense.push_back(Dense(units[i], {.activation = activation,
                                       .kernel_initializer = init,
                                       .name = dense_name(static_cast<int64_t>(i) + 1)}));
    layers.push_back(m.dense.back());
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = init, .name = "logits"}));
  layers.push_back(m.dense.back());
  m.model = Sequential(layers);
  return m;
}

StudyModel plain_stack(const LessonTrainingOptions& o, int64_t classes, const std::string& activation,
                       const Initializer& init) {
  return dense_stack(std::vector<int64_t>(static_cast<std::size_t>(o.depth), o.width), activation, init,
                     classes);
}

// dense_1 maps the input to `width`; each later layer adds a residual branch x + Dense(relu)(x), or
// x + Dense(relu)(LayerNormalization(x)) with `normalize`. With `scaled` the branch kernels have He's
// variance divided by depth (scale 2 / depth; standard deviation He's / sqrt(depth)): with plain He every
// branch adds as much variance as x already has, so x doubles in variance per block and a 30-block stack
// overflows after one SGD step (the exploding case again). Dividing the variance by the number of
// residual layers is GPT-2's rule (Radford et al. 2019, weights scaled by 1 / sqrt(N)); Fixup (Zhang et
// al. 2019) scales differently, by L^(-1/(2m-2)). The sum then grows by at most (1 + 1/depth)^depth ~ e.
StudyModel residual_stack(const LessonTrainingOptions& o, int64_t features, int64_t classes, bool scaled,
                          bool normalize) {
  StudyModel m;
  const SymbolicTensor inputs = Input({features});
  m.dense.push_back(
      Dense(o.width, {.activation = "relu", .kernel_initializer = he_uniform(), .name = dense_name(1)}));
  SymbolicTensor x = m.dense.back()(inputs);
  const Initializer branch_init = scaled ? variance_scaling({.scale = 2.0 / static_cast<double>(o.depth),
                                                             .mode = FanMode::fan_in,
                                                             .distribution = Distribution::uniform})
                                         : he_uniform();
  for (int64_t i = 2; i <= o.depth; ++i) {
    m.dense.push_back(
        Dense(o.width, {.activation = "relu", .kernel_initializer = branch_init, .name = dense_name(i)}));
    const SymbolicTensor h = normalize ? LayerNormalization({.name = fmt::format("layer_norm_{}", i)})(x) : x;
    x = x + m.dense.back()(h);
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = he_uniform(), .name = "logits"}));
  m.model = Model(inputs, m.dense.back()(x),
                  normalize ? "deep_residual_norm"
                  : scaled  ? "deep_residual"
                            : "deep_residual_unscaled");
  return m;
}

// Trains `m` with `optimizer` through fit(), the test set as validation data, instruments sampled
// every `sample_every` steps and the anomaly check on.
LessonRun train(LessonRun run, const StudyModel& m, std::shared_ptr<Optimizer> optimizer,
                const DataSplits& data, const LessonTrainingOptions& o, int64_t sample_every,
                const StudyProgressCallback& progress, int run_index, int runs) {
  for (const Dense& d : m.dense) run.dense_layers.push_back(d.name());
  StudyProgressReporter reporter(
      progress, {.run = run.name, .seed_index = run.seed_index, .run_index = run_index, .runs = runs});
  std::vector<Callback*> callbacks;
  if (progress) callbacks.push_back(&reporter);
  const auto start = std::chrono::steady_clock::now();
  run.history = fit(m.model, data.train,
                    {.optimizer = std::move(optimizer),
                     .epochs = o.epochs,
                     .batch_size = o.batch_size,
                     .seed = run.seed,
                     .validation_data = data.test,
                     .callbacks = callbacks,
                     .sample_every = sample_every,
                     .detect_anomalies = true});
  run.seconds = seconds_since(start);
  return run;
}

void check_options(const LessonTrainingOptions& o) {
  auto require = [](bool ok, const char* what, double value, const char* expected) {
    if (!ok) fail("lesson training: {} = {} is out of range (expected {})", what, value, expected);
  };
  require(o.epochs > 0, "epochs", double(o.epochs), "> 0");
  require(o.batch_size > 0, "batch_size", double(o.batch_size), "> 0");
  require(o.depth >= 6, "depth", double(o.depth), ">= 6, so that first and last three layers differ");
  require(o.width > 0, "width", double(o.width), "> 0");
  require(o.sample_every > 0, "sample_every", double(o.sample_every), "> 0");
  require(o.sgd_learning_rate > 0, "sgd_learning_rate", o.sgd_learning_rate, "> 0");
  require(o.sgd_momentum >= 0 && o.sgd_momentum < 1, "sgd_momentum", o.sgd_momentum, "in [0, 1)");
  require(o.exploding_stddev > 0, "exploding_stddev", o.exploding_stddev, "> 0");
  require(o.clipnorm > 0, "clipnorm", o.clipnorm, "> 0");
  require(o.train_examples >= 0, "train_examples", double(o.train_examples), ">= 0");
  require(o.test_examples >= 0, "test_examples", double(o.test_examples), ">= 0");
  require(o.seeds >= 1 && o.seeds <= kMaxLessonSeeds, "seeds", double(o.seeds), "in [1, 1000]");
}

void check_data(const DataSplits& d) {
  check_dataset(d.train);
  check_dataset(d.test);
  for (const Dataset* set : {&d.train, &d.test}) {
    if (set->size() == 0 || set->feature_shape().rank() != 2) {
      fail("lesson training: {} must have at least one example of rank-1 features, got features {}",
           set->name, set->size() == 0 ? std::string("none") : set->feature_shape().to_string());
    }
  }
  if (d.train.classes < 2)
    fail("lesson training: {} has {} classes (expected class ids of 2 or more)", d.train.name,
         d.train.classes);
  if (d.test.feature_shape()[1] != d.train.feature_shape()[1]) {
    fail("lesson training: {} has {} features but {} has {}", d.train.name, d.train.feature_shape()[1],
         d.test.name, d.test.feature_shape()[1]);
  }
}

std::string sgd_description(double lr, double momentum, std::optional<double> clipnorm = std::nullopt) {
  std::string s = fmt::format("SGD({:g}, momentum {:g}", lr, momentum);
  if (clipnorm) s += fmt::format(", global_clipnorm {:g}", *clipnorm);
  return s + ")";
}

}  // namespace

DataSplits load_lesson_data(const LessonTrainingOptions& options) {
  check_options(options);
  DataOptions d{.fashion_mnist_dir = options.data_dir};
  if (options.train_examples > 0) d.limit = options.train_examples;
  DataSplits data = load_dataset("fashion-mnist", d);
  if (options.test_examples > 0 && options.test_examples < data.test.size()) {
    data.test = data.test.slice(0, options.test_examples);
  }
  return data;
}

uint64_t lesson_run_seed(uint64_t study_seed, int64_t index) {
  return Rng(study_seed).fork(static_cast<uint64_t>(index)).seed();
}

LessonTrainingResult run_lesson_training(const DataSplits& data, const LessonTrainingOptions& o,
                                         const StudyProgressCallback& progress) {
  check_options(o);
  check_data(data);
  const auto start = std::chrono::steady_clock::now();
  const int64_t features = data.train.feature_shape()[1], classes = data.train.classes;
  LessonTrainingResult r;
  r.options = o;
  r.data =
      fmt::format("{} ({} training, {} test examples)", data.train.name, data.train.size(), data.test.size());
  r.classes = classes;
  for (int64_t i = 0; i < o.seeds; ++i) r.seeds.push_back(lesson_run_seed(o.seed, i));

  // "Dense(64, relu) x 30, he_uniform; SGD(0.01, momentum 0.9)"
  auto deep = [&](const char* activation, const std::string& rest) {
    return fmt::format("Dense({}, {}) x {}, {}", o.width, activation, o.depth, rest);
  };
  const std::string sgd_text = sgd_description(o.sgd_learning_rate, o.sgd_momentum);
  const std::string exploding = fmt::format("random_normal(stddev {:g}); ", o.exploding_stddev);
  const std::string branches = fmt::format("branches he_uniform / {}", o.depth);
  // Each arm: what it is, the arm it changes and the one change, how to build it, its optimizer and
  // its sampling interval. The exploding pair samples every step: the unclipped run overflows within
  // a few.
  struct ArmPlan {
    LessonArm arm;
    std::function<StudyModel()> build;
    std::function<std::shared_ptr<Optimizer>()> optimizer;
    int64_t sample_every;
  };
  auto sgd = [&](std::optional<double> clipnorm = std::nullopt) {
    return [&o, clipnorm]() -> std::shared_ptr<Optimizer> {
      return std::make_shared<SGD>(SGDOptions{
          .learning_rate = o.sgd_learning_rate, .momentum = o.sgd_momentum, .global_clipnorm = clipnorm});
    };
  };
  auto arm = [](std::string name, std::string description, std::string baseline = {},
                std::string change = {}) {
    return LessonArm{.name = std::move(name),
                     .description = std::move(description),
                     .baseline = std::move(baseline),
                     .change = std::move(change)};
  };
  auto plain = [&](const char* activation, Initializer init) {
    return [&o, classes, activation, init] { return plain_stack(o, classes, activation, init); };
  };
  auto residual = [&](bool scaled, bool normalize) {
    return [&o, features, classes, scaled, normalize] {
      return residual_stack(o, features, classes, scaled, normalize);
    };
  };
  const std::vector<ArmPlan> plans = {
      {arm("mlp", fmt::format("MLP {}-256-128-100-{}, relu, he_uniform; Adam(0.001)", features, classes)),
       [&] {
         return dense_stack({256, 128, 100}, "relu", he_uniform(), classes);
       },
       [] { return std::make_shared<Adam>(AdamOptions{.learning_rate = 1e-3}); }, o.sample_every},
      {arm("deep_sigmoid", deep("sigmoid", "glorot_uniform; " + sgd_text)),
       plain("sigmoid", glorot_uniform()), sgd(), o.sample_every},
      {arm("deep_relu_glorot", deep("relu", "glorot_uniform; " + sgd_text), "deep_sigmoid",
           "relu instead of sigmoid"),
       plain("relu", glorot_uniform()), sgd(), o.sample_every},
      {arm("deep_relu_he", deep("relu", "he_uniform; " + sgd_text), "deep_relu_glorot",
           "he_uniform instead of glorot_uniform"),
       plain("relu", he_uniform()), sgd(), o.sample_every},
      {arm("deep_residual_unscaled", deep("relu", "he_uniform, residual (branches he_uniform); " + sgd_text),
           "deep_relu_he", "residual connections x + Dense(x) from the second layer on"),
       residual(false, false), sgd(), o.sample_every},
      {arm("deep_residual", deep("relu", "he_uniform, residual (" + branches + "); " + sgd_text),
           "deep_residual_unscaled", fmt::format("branch kernels with He's variance / {}", o.depth)),
       residual(true, false), sgd(), o.sample_every},
      {arm("deep_residual_norm",
           deep("relu", "he_uniform, residual (" + branches + "), layer normalization; " + sgd_text),
           "deep_residual", "layer normalization before each branch"),
       residual(true, true), sgd(), o.sample_every},
      {arm("exploding", deep("relu", exploding + sgd_text)),
       plain("relu", random_normal(0.0, o.exploding_stddev)), sgd(), 1},
      {arm("exploding_clipped",
           deep("relu", exploding + sgd_description(o.sgd_learning_rate, o.sgd_momentum, o.clipnorm)),
           "exploding", fmt::format("global_clipnorm {:g}", o.clipnorm)),
       plain("relu", random_normal(0.0, o.exploding_stddev)), sgd(o.clipnorm), 1},
  };

  const int runs = static_cast<int>(plans.size() * static_cast<std::size_t>(o.seeds));
  int next_run = 0;
  for (const ArmPlan& plan : plans) {
    LessonArm a = plan.arm;
    for (int64_t i = 0; i < o.seeds; ++i) {
      LessonRun run{.name = a.name,
                    .description = a.description,
                    .seed = r.seeds[static_cast<std::size_t>(i)],
                    .seed_index = i};
      // Every model is built right after set_seed(seed), so run i of the two exploding arms starts from
      // the same weights.
      set_seed(run.seed);
      const StudyModel model = plan.build();
      a.runs.push_back(train(std::move(run), model, plan.optimizer(), data, o, plan.sample_every, progress,
                             next_run++, runs));
    }
    r.arms.push_back(std::move(a));
  }
  r.seconds = seconds_since(start);
  return r;
}

SeedSpread LessonArm::test_accuracy() const {
  std::vector<double> values;
  for (const LessonRun& run : runs) values.push_back(run.final_test_accuracy());
  return seed_spread(values);
}

SeedSpread LessonArm::early_to_late_gradient_ratio() const {
  std::vector<double> values;
  for (const LessonRun& run : runs) values.push_back(run.early_to_late_gradient_ratio());
  return seed_spread(values);
}

int64_t LessonArm::runs_stopped_by_anomaly() const {
  return std::count_if(runs.begin(), runs.end(),
                       [](const LessonRun& run) { return run.stopped_by_anomaly(); });
}

int64_t LessonArm::runs_read_as(FlowVerdict verdict) const {
  return std::count_if(runs.begin(), runs.end(),
                       [&](const LessonRun& run) { return run.gradient_reading() == verdict; });
}

const LessonArm& LessonTrainingResult::arm(std::string_view name) const {
  for (const LessonArm& a : arms) {
    if (a.name == name) return a;
  }
  fail("lesson training: no arm named '{}'", name);
}

std::vector<std::pair<const LessonArm*, const LessonArm*>> LessonTrainingResult::comparisons() const {
  std::vector<std::pair<const LessonArm*, const LessonArm*>> pairs;
  for (const LessonArm& a : arms) {
    if (!a.baseline.empty()) pairs.emplace_back(&a, &arm(a.baseline));
  }
  return pairs;
}

double LessonRun::final_test_accuracy() const {
  if (history.epochs.empty() || !history.epochs.back().val_accuracy) return kNaN;
  return *history.epochs.back().val_accuracy;
}

std::vector<double> LessonRun::dense_grad_norms(const TrainingSample& sample) const {
  std::vector<double> norms;
  for (const std::string& layer : dense_layers) {
    const auto it = std::find_if(sample.layers.begin(), sample.layers.end(),
                                 [&](const LayerSample& l) { return l.layer == layer; });
    norms.push_back(it == sample.layers.end() ? kNaN : it->grad_norm);
  }
  return norms;
}

double LessonRun::early_to_late_gradient_ratio() const {
  std::vector<double> ratios;
  for (const TrainingSample& s : history.samples) {
    const std::vector<double> g = dense_grad_norms(s);
    const std::size_t n = g.size();
    if (n < 6 || !std::isfinite(s.loss)) continue;
    const double early = (g[0] + g[1] + g[2]) / 3;
    const double late = (g[n - 1] + g[n - 2] + g[n - 3]) / 3;
    if (late > 0 && std::isfinite(early) && std::isfinite(late)) ratios.push_back(early / late);
  }
  if (ratios.empty()) return kNaN;
  std::nth_element(ratios.begin(), ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2),
                   ratios.end());
  return ratios[ratios.size() / 2];
}

std::pair<double, int64_t> LessonRun::largest_update() const {
  std::pair<double, int64_t> best{kNaN, -1};
  for (const TrainingSample& s : history.samples) {
    if (!std::isfinite(s.loss)) continue;
    double squares = 0;
    for (const LayerSample& l : s.layers) squares += l.update_norm * l.update_norm;
    const double length = std::sqrt(squares);
    if (best.second < 0 || length > best.first) best = {length, s.step};
  }
  return best;
}

int LessonRun::dense_depth() const {
  for (const TrainingSample& s : history.samples) {
    const std::size_t n = dense_grad_norms(s).size();
    if (n > 0) return static_cast<int>(n);
  }
  return 0;
}

double LessonRun::early_to_late_squared_gain() const {
  const double ratio = early_to_late_gradient_ratio();
  const int n = dense_depth();
  // The two means are centred on layers 2 and n - 1: n - 3 layers apart.
  return n < 6 ? kNaN : squared_gain_of_ratio(ratio, n - 3);
}

std::optional<FlowVerdict> LessonRun::gradient_reading() const {
  const double ratio = early_to_late_gradient_ratio();
  if (std::isnan(ratio)) return std::nullopt;
  if (ratio == 0) return FlowVerdict::zero;
  return verdict_of_gain(early_to_late_squared_gain(), dense_depth());
}

double clipped_update_bound(double learning_rate, double clipnorm, double momentum) {
  return learning_rate * clipnorm / (1.0 - momentum);
}

}  // namespace gradlab
