#pragma once
/// Callbacks: hooks into fit() (keras.callbacks), and the two Keras ships that gradlab needs.
///
///   EarlyStopping early({.monitor = "val_loss", .patience = 3});
///   TerminateOnNaN nan_stop;
///   History history = fit(model, data.train, {.optimizer = make_optimizer("adam"), .epochs = 50,
///                                             .validation_split = 0.1, .callbacks = {&early, &nan_stop}});
///
/// A callback of your own derives from Callback and overrides the hooks it needs; run() (its fields
/// are in train/fit.h's TrainingRun) gives the model, optimizer and history, and setting
/// run().stop_training = true ends training after the current step.

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/train/history.h"

namespace gradlab {

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

/// The state of a fit() in progress (train/fit.h).
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

}  // namespace gradlab
