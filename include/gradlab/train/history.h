#pragma once
/// History: the record of a fit() run (keras.callbacks.History's history.history, and more): one row
/// of metrics per finished epoch, the gradient-flow instruments' samples, where the run stands (to
/// resume it exactly) and why it stopped.
///
///   History history = fit(model, data.train, options);             // train/fit.h
///   std::optional<double> last_val_loss = history.epochs.back().val_loss;
///   write_file_atomically("history.json", history.to_json());
///   History again = History::from_json(read_file("history.json"), "history.json");
///
/// Epoch metrics, as Keras reports them: `loss` and `accuracy` are means over the epoch's training
/// batches, weighted by batch size, measured during the epoch (before each batch's update);
/// `val_loss` and `val_accuracy` are over the validation set after the epoch (training = false).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/anomaly.h"

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
  /// Share of units that output exactly 0 for the whole batch (ReLU layers; unset for others): units
  /// silent on the batch (ForwardStats::silent_fraction), not necessarily dead over the data.
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

}  // namespace gradlab
