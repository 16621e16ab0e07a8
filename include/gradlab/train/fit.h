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
/// Data-parallel: with `replicas` (train/replicas.h) of n processes, each runs fit() on the same data
/// and options and takes its share of every batch's rows; the shares' gradients, losses and correct
/// counts are summed over the replicas, weighted by share, so every replica applies the same update
/// and records the same epochs. Dropout draws each share's rows of the whole batch's mask, so
/// without batch normalization an n-replica run differs from the one-process run only by the order
/// of float sums. Batch normalization normalizes each share by its own statistics, and replica 0's
/// moving statistics are copied to the others after each step (PyTorch's DistributedDataParallel
/// without SyncBatchNorm). A stop (should_stop, an anomaly on any replica) is agreed on by all
/// replicas. A sampled step's per-layer figures are of each replica's own share (its loss and
/// global norm are the batch's). With n = 1 the run is the one-process run, bit for bit; for a
/// given n it is the same run after run.
///
/// The history's rows and epoch metrics are described in train/history.h, the callbacks in
/// train/callbacks.h; this header includes both.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"
#include "gradlab/nn/losses.h"
#include "gradlab/optim/optimizer.h"
#include "gradlab/train/callbacks.h"
#include "gradlab/train/dataset.h"
#include "gradlab/train/history.h"
#include "gradlab/train/replicas.h"

namespace gradlab {

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
  /// Train data-parallel on these replicas (not owned; see the file comment); none: one process.
  Replicas* replicas = nullptr;
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
  /// Evaluate data-parallel: replica r takes batches r, r + n, ... and the sums are shared.
  Replicas* replicas = nullptr;
};

/// The mean loss and accuracy of `model` (training = false) over `data`, in batches, each batch's
/// mean weighted by its size (keras model.evaluate).
EvalResult evaluate(const Layer& model, const Dataset& data, const EvaluateOptions& options = {});

}  // namespace gradlab
