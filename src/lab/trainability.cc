// Trainability against depth scale: one short training run of a network initialized by variances.
#include "gradlab/lab/trainability.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>

#include <fmt/format.h>

#include "gradlab/error.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/model.h"
#include "gradlab/optim/factory.h"
#include "gradlab/theory/mean_field.h"
#include "gradlab/theory/scalar_activation.h"
#include "gradlab/train/fit.h"

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kMaxSteps = 10'000'000;

// The theory's depth scales, or NaN for an activation it does not model (softmax, for one): the run
// still trains, only the comparison is missing. Near the critical line on the chaotic side the
// correlation map's fixed point takes seconds of quadrature, so each (activation, sigma_w2, sigma_b2)
// is computed once per process and shared by every configuration and worker that has it.
void add_depth_scales(const SkipNetworkOptions& n, TrainingOutcome& o) {
  const DepthScales d = depth_scales(n.activation, *n.gaussian_init);
  o.xi_c = d.xi_c;
  o.xi_grad = d.xi_grad;
}

}  // namespace

DepthScales depth_scales(const std::string& activation, const GaussianInit& init) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, double, double>, DepthScales> known;
  const auto key = std::make_tuple(activation, init.sigma_w2, init.sigma_b2);
  {
    const std::lock_guard lock(mutex);
    if (const auto it = known.find(key); it != known.end()) return it->second;
  }
  DepthScales d{kNaN, kNaN};
  const std::vector<std::string> modelled = theory::scalar_activation_names();
  if (std::find(modelled.begin(), modelled.end(), activation) != modelled.end()) {
    const theory::SignalPropagation s = theory::signal_propagation(theory::scalar_activation(activation),
                                                                   {.sigma_w2 = init.sigma_w2, .sigma_b2 = init.sigma_b2});
    d = {s.depth_correlation, s.gradient.depth_gradient};
  }
  // Two workers may compute the same point at once; both get the same figures, the first is kept.
  const std::lock_guard lock(mutex);
  return known.emplace(key, d).first->second;
}

void check_trainability_settings(const TrainabilitySettings& s) {
  if (s.steps < 1 || s.steps > kMaxSteps) fail("training steps must be in [1, {}], got {}", kMaxSteps, s.steps);
  if (s.train_examples < 1) fail("training examples must be at least 1, got {}", s.train_examples);
  if (s.test_examples < 1) fail("test examples must be at least 1, got {}", s.test_examples);
  if (s.batch_size < 1) fail("training batch size must be at least 1, got {}", s.batch_size);
  if (!std::isfinite(s.learning_rate) || s.learning_rate <= 0) {
    fail("learning rate must be finite and above 0, got {}", s.learning_rate);
  }
}

std::string trainability_budget(const TrainabilitySettings& s) {
  return fmt::format("steps={};batch={};lr={};train={};test={}", s.steps, s.batch_size, s.learning_rate,
                     s.train_examples, s.test_examples);
}

DataSplits load_trainability_data(const TrainabilitySettings& s) {
  check_trainability_settings(s);
  // load_dataset's limit cuts both sets alike; each is then cut to its own size.
  DataSplits data = load_dataset(
      "fashion-mnist", {.limit = std::max(s.train_examples, s.test_examples), .fashion_mnist_dir = s.data_dir});
  if (s.train_examples < data.train.size()) data.train = data.train.slice(0, s.train_examples);
  if (s.test_examples < data.test.size()) data.test = data.test.slice(0, s.test_examples);
  return data;
}

TrainingOutcome train_network(const SkipNetworkOptions& n, uint64_t seed, const TrainabilityTask& task) {
  if (!n.gaussian_init) fail("a trained network is initialized by variances: give sigma_w2 (and sigma_b2)");
  if (n.normalization != SkipNormalization::none || n.skip != SkipConnection::none) {
    fail("a trained network is a plain stack of Dense layers: normalization '{}' and skip '{}' are not trained "
         "(use norm none, skip none)", skip_normalization_name(n.normalization), skip_connection_name(n.skip));
  }
  if (n.dtype != DType::float32) fail("a trained network trains in float32, not {}", dtype_name(n.dtype));
  if (!task.data) fail("a trainability run needs its data");
  const TrainabilitySettings& s = task.settings;
  check_trainability_settings(s);
  const DataSplits& data = *task.data;

  // Every layer draws from this generator when fit() builds it on the first batch, so the weights are a
  // function of the seed alone, whichever thread runs the configuration.
  Rng rng(seed);
  const Initializer kernel = gaussian_kernel(*n.gaussian_init), bias = gaussian_bias(*n.gaussian_init);
  std::vector<Layer> layers;
  for (int k = 1; k <= n.depth + 1; ++k) {
    const bool output = k == n.depth + 1;
    Dense dense(output ? data.train.classes : n.units,
                {.activation = output ? "linear" : n.activation, .kernel_initializer = kernel,
                 .bias_initializer = bias, .name = output ? std::string("logits") : fmt::format("layer{}", k)});
    dense.impl().set_rng(&rng);
    layers.push_back(dense);
  }
  const Sequential model(layers, "trained");

  const int64_t per_epoch = batch_count(data.train.size(), s.batch_size);
  const History history = fit(model, data.train,
                              {.optimizer = make_optimizer("sgd", {.learning_rate = s.learning_rate}),
                               .epochs = (s.steps + per_epoch - 1) / per_epoch,
                               .batch_size = s.batch_size,
                               .seed = seed,
                               .max_steps = s.steps,
                               .detect_anomalies = true});

  TrainingOutcome o;
  o.steps_run = history.progress.global_step;
  o.diverged = history.stop_reason == StopReason::anomaly;
  o.train_loss = o.train_accuracy = o.test_accuracy = kNaN;
  if (!o.diverged) {
    const EvalResult train = evaluate(model, data.train);
    o.train_loss = train.loss;
    o.train_accuracy = train.accuracy.value_or(kNaN);
    o.diverged = !std::isfinite(train.loss);
    if (!o.diverged) o.test_accuracy = evaluate(model, data.test).accuracy.value_or(kNaN);
  }
  add_depth_scales(n, o);
  return o;
}

}  // namespace gradlab
