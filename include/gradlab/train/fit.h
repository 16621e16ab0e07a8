#pragma once
/// fit: Keras's training loop (model.fit) for any gradlab model, with callbacks, validation, a
/// history, resumable progress and gradient-flow instruments sampled during training.
///
///   Sequential model({Dense(256, {.activation = "relu", .kernel_initializer = he_uniform()}), Dense(10)});
///   DataSplits data = load_dataset("fashion-mnist");
///   History history = fit(model, data.train, {.optimizer = make_optimizer("adam", {.learning_rate = 1e-3}),
///                                             .epochs = 10, .batch_size = 128,
///                                             .validation_split = 0.1, .seed = 1, .sample_every = 100});
///   EvalResult test = evaluate(model, data.test);                     // test.accuracy
///   write_file_atomically("history.json", history.to_json());
///
/// One step: gather the batch (epoch_order(N, seed, epoch), dataset.h) → forward with training=true
/// under a GradientTape → loss → gradients → optimizer.apply → metrics → callbacks' on_batch_end →
/// should_stop(). Every `sample_every` steps the step runs under a GradientProbe, which returns the
/// tape's own gradients, so a sampled step updates the weights exactly as an unsampled one; it also
/// copies the weights before the update to measure the update-to-weight ratio.
///
/// With `detect_anomalies`, an AnomalyDetector watches every step's ops and backward rules; at the
/// first NaN or infinity training stops BEFORE that step's update (the weights stay finite) and
/// History::anomaly names the layer, op and step — the lesson's exploding case.
///
/// Resume: History::progress says where a run stopped (epoch, step within it, the epoch's running
/// sums); a run given `resume` = that history (from load_checkpoint(), checkpoint.h, which also
/// restores weights, optimizer state and random generators) continues with the same batches and
/// ends bit-identical to an uninterrupted run with the same seed and thread count (except the
/// `seconds` column, which is wall time).
///
/// Epoch metrics, as Keras reports them: `loss` and `accuracy` are means over the epoch's training
/// batches, weighted by batch size, measured during the epoch (before each batch's update);
/// `val_loss` and `val_accuracy` are over the validation set after the epoch (training = false).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/anomaly.h"
#include "gradlab/nn/layer.h"
#include "gradlab/nn/losses.h"
#include "gradlab/optim/optimizer.h"
#include "gradlab/train/dataset.h"

namespace gradlab {

/// The metrics of one finished epoch (one row of the history).
struct EpochLogs {
  /// 0-based epoch number.
  int64_t epoch = 0;
  /// Mean training loss over the epoch's batches (weighted by batch size).
  double loss = 0;
  /// Mean training accuracy, when the run measures accuracy.
  std::optional<double> accuracy;
  /// Loss and accuracy on the validation data, when there is some.
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;
  /// The learning rate of the epoch's last update (the schedule at that step).
  double learning_rate = 0;
  /// Wall time of the epoch, validation included (summed over the parts of an interrupted epoch).
  double seconds = 0;
};

/// What is known after a step (the running means of the epoch so far).
struct BatchLogs {
  /// Steps done in this epoch (1 after the first batch).
  int64_t step_in_epoch = 0;
  /// Steps per epoch (the last partial batch included).
  int64_t steps_per_epoch = 0;
  /// The loss of this batch.
  double batch_loss = 0;
  /// Running means over the epoch so far.
  double loss = 0;
  std::optional<double> accuracy;
  /// Examples in this batch.
  int64_t batch_size = 0;
};

/// One layer's gradient flow at a sampled step.
struct LayerSample {
  /// "dense_3".
  std::string layer;
  /// sqrt(sum of the squared gradient norms of the layer's trainable variables); 0 without variables.
  double grad_norm = 0;
  /// ||w_after - w_before|| / ||w_before|| over the layer's trainable variables taken together: how
  /// much the step changed the layer (about 1e-3 is healthy); 0 without variables, +inf from zeros.
  double update_ratio = 0;
  /// False for a layer without variables of its own (Add, Activation, Concatenate): its grad_norm and
  /// update_ratio are 0 because there is nothing to measure, not because it is dead.
  bool has_variables = true;
  /// ||dL/d output|| of the layer's call (what every layer has, variables or not); unset when the
  /// output was not on the tape.
  std::optional<double> output_grad_norm;
  /// ||w_after - w_before|| over the layer's trainable variables taken together: the length of the
  /// step's update of this layer (0 without variables). The whole step's update length is the root of
  /// the sum of the layers' squares.
  double update_norm = 0;
  /// Share of units that output exactly 0 for the whole batch (ReLU layers; unset for others).
  std::optional<double> dead_fraction;
  /// Share of outputs in the activation's saturated range (sigmoid, tanh...; unset for others).
  std::optional<double> saturated_fraction;
};

/// The instruments' reading at one sampled step.
struct TrainingSample {
  /// Global step (0-based) of the sampled update, and its epoch.
  int64_t step = 0;
  int64_t epoch = 0;
  /// The batch loss at that step.
  double loss = 0;
  /// The optimizer's global gradient norm before clipping.
  double global_grad_norm = 0;
  /// Layers in call order (those with trainable variables, and activation-only layers).
  std::vector<LayerSample> layers;
};

/// Why fit() returned.
enum class StopReason {
  completed,       ///< every epoch ran
  stopped,         ///< a callback set stop_training (early stopping, TerminateOnNaN) at an epoch end or step
  should_stop,     ///< FitOptions::should_stop returned true after a step (an interruption)
  anomaly,         ///< the anomaly check found a NaN or infinity (History::anomaly says where)
  max_steps,       ///< FitOptions::max_steps updates were made
};
/// "completed", "stopped", "should_stop", "anomaly", "max_steps".
const char* stop_reason_name(StopReason reason);

/// Where a run stands: enough to continue it exactly.
struct TrainingProgress {
  /// The epoch in progress or next to run (0-based): equal to `epochs` when finished.
  int64_t epoch = 0;
  /// Steps of that epoch already done (0 at an epoch boundary).
  int64_t step_in_epoch = 0;
  /// Updates made since the start of training.
  int64_t global_step = 0;
  /// The partial epoch's running sums: loss x batch size, correct predictions, examples seen, and
  /// its wall time so far.
  double loss_sum = 0;
  double correct = 0;
  int64_t examples = 0;
  double seconds = 0;
  /// The settings that fix the batches; a resumed run must use the same.
  uint64_t seed = 0;
  int64_t batch_size = 0;
  int64_t train_size = 0;
};

/// The record of a run: one EpochLogs per finished epoch, the instrument samples, where it stopped.
struct History {
  std::vector<EpochLogs> epochs;
  std::vector<TrainingSample> samples;
  TrainingProgress progress;
  StopReason stop_reason = StopReason::completed;
  /// The first NaN or infinity, when the anomaly check stopped the run.
  std::optional<Anomaly> anomaly;

  /// Keras's history.history as JSON columns: {"epoch": [...], "loss": [...], "accuracy": [...],
  /// "val_loss": [...], "val_accuracy": [...], "learning_rate": [...], "seconds": [...]} (a column
  /// only when some epoch has it), plus "samples", "progress", "stop_reason" and "anomaly".
  /// Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity". Doubles round-trip.
  std::string to_json() const;
  /// Reads what to_json() wrote; Error naming `source` for anything else.
  static History from_json(const std::string& text, const std::string& source = "<memory>");
  /// One line per epoch: "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds" (the
  /// columns to_json() would write), as Keras's CSVLogger.
  std::string to_csv() const;
};

struct TrainingRun;

/// Hooks into fit(), as keras.callbacks.Callback. Each has an empty default. `run()` is the run in
/// progress (set before on_train_begin): its model, optimizer, history, and `stop_training`.
class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin() {}
  virtual void on_train_end() {}
  virtual void on_epoch_begin(int64_t epoch) { (void)epoch; }
  virtual void on_epoch_end(int64_t epoch, const EpochLogs& logs) {
    (void)epoch;
    (void)logs;
  }
  /// After each update; `step` is the global step (0-based) of that update.
  virtual void on_batch_end(int64_t step, const BatchLogs& logs) {
    (void)step;
    (void)logs;
  }
  /// Set by fit() before on_train_begin.
  void set_run(TrainingRun* run) { run_ = run; }
  /// The run in progress; Error outside fit().
  TrainingRun& run() const;

 private:
  TrainingRun* run_ = nullptr;
};

/// Stops training at the first batch whose loss is NaN or infinite (keras.callbacks.TerminateOnNaN);
/// that batch's update has already been applied, as in Keras. The anomaly check stops earlier.
class TerminateOnNaN : public Callback {
 public:
  void on_batch_end(int64_t step, const BatchLogs& logs) override;
};

/// Options of EarlyStopping (keras.callbacks.EarlyStopping's).
struct EarlyStoppingOptions {
  /// "val_loss", "loss", "val_accuracy" or "accuracy".
  std::string monitor = "val_loss";
  /// An improvement must exceed this.
  double min_delta = 0;
  /// Epochs without improvement before stopping.
  int64_t patience = 0;
};

/// Stops when `monitor` has not improved for `patience` epochs (lower is better for losses,
/// higher for accuracies).
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  void on_train_begin() override;
  void on_epoch_end(int64_t epoch, const EpochLogs& logs) override;

 private:
  EarlyStoppingOptions options_;
  std::optional<double> best_;
  int64_t wait_ = 0;
};

/// Options of fit().
struct FitOptions {
  /// The optimizer (optim/factory.h's make_optimizer, or any Optimizer); required.
  std::shared_ptr<Optimizer> optimizer;
  /// A loss by Keras name (get_loss) with from_logits, used unless `loss_fn` is set.
  std::string loss = "sparse_categorical_crossentropy";
  bool from_logits = true;
  /// A custom loss (y_true, y_pred) -> scalar; overrides `loss`.
  LossFn loss_fn;
  /// "accuracy" (resolved from the label and prediction shapes as Keras does: sparse, categorical
  /// or binary), or none.
  std::vector<std::string> metrics = {"accuracy"};
  int64_t epochs = 1;
  int64_t batch_size = 32;
  /// Shuffle the training examples each epoch (from seed and epoch; see dataset.h).
  bool shuffle = true;
  uint64_t seed = 0;
  /// Validation data, or the last `validation_split` of the training data (before shuffling). As in
  /// Keras, validation_data wins when both are given: the split is then ignored and every example
  /// trains.
  std::optional<Dataset> validation_data;
  double validation_split = 0;
  /// Called in order; not owned.
  std::vector<Callback*> callbacks;
  /// Polled after every step; true stops training after that step (the CLI passes
  /// interrupt_requested). History::progress then says where to resume.
  std::function<bool()> should_stop;
  /// Stop after this many updates in total (global step), for demos and tests.
  std::optional<int64_t> max_steps;
  /// Run every `sample_every`-th step (global step 0, N, 2N, ...) under a GradientProbe and record a
  /// TrainingSample; 0 records none.
  int64_t sample_every = 0;
  /// Check every op and backward rule for NaN and infinity; stop before the update at the first.
  bool detect_anomalies = true;
  /// Continue the run this history (from a checkpoint) recorded; see the file comment.
  std::optional<History> resume;
};

/// The state of a fit() in progress, for callbacks.
struct TrainingRun {
  Layer model;
  Optimizer* optimizer = nullptr;
  const FitOptions* options = nullptr;
  /// Grows as epochs finish; progress is kept current after every step.
  History history;
  /// Set to stop after the current step (Keras's model.stop_training).
  bool stop_training = false;
  /// The number of epochs and steps per epoch of this run.
  int64_t epochs = 0;
  int64_t steps_per_epoch = 0;
};

/// Trains `model` on `train`; see the file comment. Returns the history (also of a run stopped early).
/// Throws Error for bad options (no optimizer, batch_size < 1, an unknown loss or metric, a resume
/// history from different settings) before any update.
History fit(const Layer& model, const Dataset& train, FitOptions options);

/// Loss and accuracy on a whole dataset.
struct EvalResult {
  double loss = 0;
  /// When the run measures accuracy.
  std::optional<double> accuracy;
  int64_t examples = 0;
};

/// Options of evaluate().
struct EvaluateOptions {
  std::string loss = "sparse_categorical_crossentropy";
  bool from_logits = true;
  LossFn loss_fn;
  std::vector<std::string> metrics = {"accuracy"};
  int64_t batch_size = 256;
};

/// The mean loss and accuracy of `model` (training = false) over `data`, in batches, each batch's
/// mean weighted by its size (keras model.evaluate).
EvalResult evaluate(const Layer& model, const Dataset& data, const EvaluateOptions& options = {});

}  // namespace gradlab
