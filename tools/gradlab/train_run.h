#pragma once
// One training run as `gradlab train` and gradlab.train (Python) make it: the optimizer and loss
// settings in the command's words, the checks, fit() and the test evaluation. Where the model and
// data come from, checkpoints and output files stay with the callers.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"
#include "gradlab/train/dataset.h"
#include "gradlab/train/fit.h"
#include "train_output.h"

namespace gradlab::cli {

/// The settings of a run, with `gradlab train`'s defaults.
struct TrainRunSettings {
  std::string loss = "sparse_categorical_crossentropy";
  /// sgd, adam, adamw, rmsprop or adagrad, and a schedule as --schedule writes it.
  std::string optimizer = "adam", schedule = "constant";
  /// Unset: the optimizer's (0.01 for sgd, 0.001 otherwise).
  std::optional<double> learning_rate, momentum, weight_decay, clipnorm, clipvalue, global_clipnorm;
  bool nesterov = false;
  /// Unset: inferred from the output layer (infer_from_logits), with a note on standard error when
  /// that makes it false.
  std::optional<bool> from_logits;
  int64_t epochs = 10, batch_size = 32, sample_every = 0;
  std::optional<int64_t> max_steps;
  uint64_t seed = 0;
  bool anomaly_check = true;
  /// Where the data came from, for the summary ("fashion-mnist", "houses.csv", "arrays").
  std::string data_name;
};

/// The loss names `gradlab train` accepts: the canonical names and Keras's short mse and mae.
std::vector<std::string> train_loss_names();

/// Checks that a functional `model` takes one input shaped as `data`'s examples; a UsageError
/// otherwise. Other layers (a Sequential) are built from the first batch, so any shape passes here.
void check_features(const Layer& model, const Dataset& data);

/// The optimizer of `settings`; a UsageError for an unknown name, schedule or option.
std::shared_ptr<Optimizer> make_train_optimizer(const TrainRunSettings& settings);

/// A finished (or stopped) run: what the summary shows, and fit()'s history.
struct TrainRun {
  TrainSummary summary;
  History history;
  /// The from_logits the loss used (given or inferred).
  bool from_logits = true;
};

/// Everything about the run except its data and callbacks: the caller's FitOptions start from these.
struct TrainPlan {
  FitOptions fit;
  std::shared_ptr<Optimizer> optimizer;
};

/// Checks `model` against `train_set` and the loss, and makes the optimizer and fit() options (the
/// caller adds validation data, callbacks, should_stop and resume). Bad settings are UsageErrors.
TrainPlan plan_training(const TrainRunSettings& settings, const Layer& model, const Dataset& train_set);

/// Runs fit() with `plan`, then evaluates on `test` (when not empty and no anomaly stopped the run).
TrainRun run_training(const TrainRunSettings& settings, const Layer& model, const Dataset& train_set,
                      const std::optional<Dataset>& validation, const Dataset& test, TrainPlan plan);

}  // namespace gradlab::cli
