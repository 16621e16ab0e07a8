#include "gradlab/lab/lesson_training.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
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
// x + Dense(relu)(LayerNormalization(x)) with `normalize`. The branch kernels have He's variance
// divided by depth (scale 2 / depth; standard deviation He's / sqrt(depth)): with plain He every branch
// adds as much variance as x already has, so x doubles in variance per block and a 30-block stack
// overflows after one SGD step (the exploding case again). Dividing the variance by the number of
// residual layers is GPT-2's rule (Radford et al. 2019, weights scaled by 1 / sqrt(N)); Fixup (Zhang et
// al. 2019) scales differently, by L^(-1/(2m-2)). The sum then grows by at most (1 + 1/depth)^depth ~ e.
StudyModel residual_stack(const LessonTrainingOptions& o, int64_t features, int64_t classes, bool normalize) {
  StudyModel m;
  const SymbolicTensor inputs = Input({features});
  m.dense.push_back(
      Dense(o.width, {.activation = "relu", .kernel_initializer = he_uniform(), .name = dense_name(1)}));
  SymbolicTensor x = m.dense.back()(inputs);
  const Initializer branch_init = variance_scaling({.scale = 2.0 / static_cast<double>(o.depth),
                                                    .mode = FanMode::fan_in,
                                                    .distribution = Distribution::uniform});
  for (int64_t i = 2; i <= o.depth; ++i) {
    m.dense.push_back(
        Dense(o.width, {.activation = "relu", .kernel_initializer = branch_init, .name = dense_name(i)}));
    const SymbolicTensor h = normalize ? LayerNormalization({.name = fmt::format("layer_norm_{}", i)})(x) : x;
    x = x + m.dense.back()(h);
  }
  m.dense.push_back(Dense(classes, {.kernel_initializer = he_uniform(), .name = "logits"}));
  m.model = Model(inputs, m.dense.back()(x), normalize ? "deep_residual_norm" : "deep_residual");
  return m;
}

constexpr int kRuns = 7;

// Reports each step of the run in progress to the study's progress callback.
class ProgressCallback : public Callback {
 public:
  ProgressCallback(const LessonTrainingCallback& callback, LessonTrainingProgress progress)
      : callback_(callback), progress_(std::move(progress)) {}
  void on_train_begin() override { progress_.steps = run().epochs * run().steps_per_epoch; }
  void on_batch_end(int64_t step, const BatchLogs&) override {
    progress_.step = step + 1;
    callback_(progress_);
  }

 private:
  const LessonTrainingCallback& callback_;
  LessonTrainingProgress progress_;
};

// Trains `m` with `optimizer` through fit(), the test set as validation data, instruments sampled
// every `sample_every` steps and the anomaly check on.
LessonRun train(std::string name, std::string description, const StudyModel& m,
                std::shared_ptr<Optimizer> optimizer, const DataSplits& data, const LessonTrainingOptions& o,
                int64_t sample_every, const LessonTrainingCallback& progress, int run_index) {
  LessonRun run;
  run.name = std::move(name);
  run.description = std::move(description);
  for (const Dense& d : m.dense) run.dense_layers.push_back(d.name());
  ProgressCallback reporter(progress, {.run = run.name, .run_index = run_index, .runs = kRuns});
  std::vector<Callback*> callbacks;
  if (progress) callbacks.push_back(&reporter);
  const auto start = std::chrono::steady_clock::now();
  run.history = fit(m.model, data.train,
                    {.optimizer = std::move(optimizer),
                     .epochs = o.epochs,
                     .batch_size = o.batch_size,
                     .seed = o.seed,
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

LessonTrainingResult run_lesson_training(const DataSplits& data, const LessonTrainingOptions& o,
                                         const LessonTrainingCallback& progress) {
  check_options(o);
  check_data(data);
  const auto start = std::chrono::steady_clock::now();
  const int64_t features = data.train.feature_shape()[1], classes = data.train.classes;
  LessonTrainingResult r;
  r.options = o;
  r.data =
      fmt::format("{} ({} training, {} test examples)", data.train.name, data.train.size(), data.test.size());
  r.classes = classes;
  // "Dense(64, relu) x 30, he_uniform; SGD(0.01, momentum 0.9)"
  auto deep = [&](const char* activation, const std::string& rest) {
    return fmt::format("Dense({}, {}) x {}, {}", o.width, activation, o.depth, rest);
  };
  auto sgd = [&](std::optional<double> clipnorm = std::nullopt) {
    return std::make_shared<SGD>(
        SGDOptions{.learning_rate = o.sgd_learning_rate, .momentum = o.sgd_momentum, .global_clipnorm = clipnorm});
  };
  // Every model is built right after set_seed(seed), so the two exploding runs start from the same
  // weights.
  int next_run = 0;
  auto run = [&](const char* name, const std::string& description, auto build,
                 std::shared_ptr<Optimizer> optimizer, int64_t sample_every) {
    set_seed(o.seed);
    return train(name, description, build(), std::move(optimizer), data, o, sample_every, progress,
                 next_run++);
  };
  const std::string sgd_text = sgd_description(o.sgd_learning_rate, o.sgd_momentum);
  r.mlp = run(
      "mlp", fmt::format("MLP {}-256-128-100-{}, relu, he_uniform; Adam(0.001)", features, classes),
      [&] {
        return dense_stack({256, 128, 100}, "relu", he_uniform(), classes);
      },
      std::make_shared<Adam>(AdamOptions{.learning_rate = 1e-3}), o.sample_every);
  r.vanishing = run(
      "deep_sigmoid", deep("sigmoid", "glorot_uniform; " + sgd_text),
      [&] { return plain_stack(o, classes, "sigmoid", glorot_uniform()); }, sgd(), o.sample_every);
  r.remedies.push_back(run(
      "deep_relu_he", deep("relu", "he_uniform; " + sgd_text),
      [&] { return plain_stack(o, classes, "relu", he_uniform()); }, sgd(), o.sample_every));
  r.remedies.push_back(run(
      "deep_residual", deep("relu", "he_uniform, residual (branches he_uniform / depth); " + sgd_text),
      [&] { return residual_stack(o, features, classes, false); }, sgd(), o.sample_every));
  r.remedies.push_back(run(
      "deep_residual_norm",
      deep("relu", "he_uniform, residual (branches he_uniform / depth), layer normalization; " + sgd_text),
      [&] { return residual_stack(o, features, classes, true); }, sgd(), o.sample_every));
  auto compare = [](LessonRun& run, const std::string& baseline, std::string change) {
    run.baseline = baseline;
    run.change = std::move(change);
  };
  compare(r.remedies[0], r.vanishing.name, "relu instead of sigmoid, he_uniform instead of glorot_uniform");
  compare(r.remedies[1], r.remedies[0].name,
          "residual connections x + Dense(x), branch kernels with He's variance / depth");
  compare(r.remedies[2], r.remedies[1].name, "layer normalization before each branch");
  // The exploding pair samples every step: the unclipped run overflows within a few.
  const std::string exploding = fmt::format("random_normal(stddev {:g}); ", o.exploding_stddev);
  auto exploding_stack = [&] {
    return plain_stack(o, classes, "relu", random_normal(0.0, o.exploding_stddev));
  };
  r.exploding = run("exploding", deep("relu", exploding + sgd_text), exploding_stack, sgd(), 1);
  r.exploding_clipped =
      run("exploding_clipped", deep("relu", exploding + sgd_description(o.sgd_learning_rate, o.sgd_momentum, o.clipnorm)),
          exploding_stack, sgd(o.clipnorm), 1);
  compare(r.exploding_clipped, r.exploding.name, fmt::format("global_clipnorm {:g}", o.clipnorm));
  r.seconds = seconds_since(start);
  return r;
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
