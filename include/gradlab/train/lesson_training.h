#pragma once
/// The lesson's claims about vanishing and exploding gradients, shown by training on real data
/// (Fashion-MNIST) rather than by probing untrained networks: the study behind the training section
/// of `gradlab report` (issue 7, item 6).
///
///   LessonTrainingOptions options;                       // a few minutes on two cores
///   LessonData data = load_lesson_data(options);         // a subsample of Fashion-MNIST
///   LessonTrainingResult result = run_lesson_training(data, options);
///   std::cout << format_lesson_training(result);
///
/// Runs, all on the same data and batches:
///   mlp                the lesson's MLP 784-256-128-100-10 (ReLU, He uniform, Adam 1e-3): it learns
///                      (the full 10-epoch run reaches >= 0.88 test accuracy: docs/training.md);
///   deep_sigmoid       `depth` Dense(width, sigmoid) layers, Glorot uniform, SGD: the vanishing case.
///                      Sigmoid's slope is at most 1/4, so each layer shrinks the backward signal and
///                      the first layers' kernel gradients are orders of magnitude below the last's;
///                      the network barely learns;
///   deep_relu_he       the same depth with ReLU and He uniform (He et al. 2015): the first remedy;
///   deep_residual      + residual connections x + Dense(relu)(x) (He et al. 2016);
///   deep_residual_norm + layer normalization before each Dense (Ba et al. 2016), pre-norm style;
///   exploding          deep_relu_he with too large an initializer scale (random normal, stddev
///                      `exploding_stddev`): activations and gradients grow layer by layer, the
///                      first SGD step throws the weights far out and the loss becomes non-finite;
///                      the anomaly check (instrument/anomaly.h) names the first op and layer that
///                      overflowed;
///   exploding_clipped  the same run with global_clipnorm (Pascanu et al. 2013): it stays finite.
///
/// Every run samples, every `sample_every` steps, each Dense layer's kernel gradient norm and the
/// global gradient norm (before clipping) with the training loss of that step: the gradient-flow
/// picture over training. Each epoch records the mean training loss and accuracy and the test loss
/// and accuracy. A run stops at the first non-finite loss.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/instrument/anomaly.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Settings of the study. The defaults keep the whole study to a few minutes on two cores.
struct LessonTrainingOptions {
  /// Directory of Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist).
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  /// The first `train_examples` training images (of 60,000) and `test_examples` test images (of
  /// 10,000); 0 means all.
  int64_t train_examples = 10000;
  int64_t test_examples = 2000;
  /// Epochs of every run (the exploding runs stop earlier when they diverge).
  int64_t epochs = 4;
  int64_t batch_size = 64;
  /// Dense layers of the deep stacks, before the 10-unit output layer; and their width.
  int64_t depth = 30;
  int64_t width = 64;
  /// SGD of the deep runs (momentum 0.9; the lesson's "SGD").
  double sgd_learning_rate = 0.01;
  /// Kernel initializer of the exploding run: random normal with this standard deviation.
  double exploding_stddev = 0.2;
  /// global_clipnorm of the clipped exploding run.
  double clipnorm = 1.0;
  /// Steps between gradient-norm samples (the first step is always sampled).
  int64_t sample_every = 20;
  /// Seeds the initializers and the per-epoch shuffles; every run uses the same batches.
  uint64_t seed = 0;
};

/// Features and class ids for the study: float32 [N, features] and float32 [N] of ids in [0, classes).
struct LessonData {
  Tensor train_images;
  Tensor train_labels;
  Tensor test_images;
  Tensor test_labels;
  int64_t classes = 10;
  /// "fashion-mnist (10000 train, 2000 test)", for printers.
  std::string description;
};

/// Fashion-MNIST from options.data_dir, cut to options.train_examples / test_examples. A missing or
/// corrupt file is an Error naming it.
LessonData load_lesson_data(const LessonTrainingOptions& options);

/// One epoch's figures.
struct EpochRecord {
  /// 1-based.
  int64_t epoch = 0;
  /// Mean training loss and accuracy over the epoch's steps (NaN once the loss is non-finite).
  double loss = 0;
  double accuracy = 0;
  /// On the test set, after the epoch, in inference mode.
  double test_loss = 0;
  double test_accuracy = 0;
  double seconds = 0;
};

/// The gradient flow at one training step.
struct GradientSample {
  /// 0-based optimizer step.
  int64_t step = 0;
  /// Training loss of that step's batch.
  double loss = 0;
  /// ||d loss / d kernel||_2 of each Dense layer, input side first (TrainingRun::layers).
  std::vector<double> kernel_grad_norms;
  /// sqrt(sum of squared norms of every gradient), before clipping.
  double global_norm = 0;
};

/// One training run of the study.
struct TrainingRun {
  /// "deep_sigmoid", ...: see the file comment.
  std::string name;
  /// What the model and optimizer are: "30 x Dense(64, sigmoid), glorot_uniform; SGD(0.01, momentum 0.9)".
  std::string description;
  /// The Dense layers whose kernel gradients are sampled, input side first.
  std::vector<std::string> layers;
  std::vector<EpochRecord> epochs;
  std::vector<GradientSample> samples;
  /// The first non-finite value the anomaly check saw, if any.
  std::optional<Anomaly> anomaly;
  /// True when a training loss became non-finite (the run stopped there).
  bool diverged = false;
  /// Step at which the loss was first non-finite; -1 if never.
  int64_t diverged_at_step = -1;
  int64_t steps = 0;
  double seconds = 0;

  /// The last epoch's test accuracy (0 when no epoch finished).
  double final_test_accuracy() const;
  /// Over the samples taken before divergence: the median of (mean kernel gradient norm of the
  /// first three layers) / (mean of the last three). Far below 1 means vanishing gradients; NaN
  /// without samples.
  double early_to_late_gradient_ratio() const;
};

/// Everything the study measured.
struct LessonTrainingResult {
  LessonTrainingOptions options;
  /// LessonData::description and LessonData::classes.
  std::string data;
  int64_t classes = 0;
  TrainingRun mlp;
  /// deep_sigmoid.
  TrainingRun vanishing;
  /// deep_relu_he, deep_residual, deep_residual_norm: each remedy added to the previous one.
  std::vector<TrainingRun> remedies;
  TrainingRun exploding;
  TrainingRun exploding_clipped;
  double seconds = 0;
};

/// Runs the whole study on `data` (see the file comment). Throws Error for options out of range
/// (non-positive epochs, batch size, depth < 6, width, sample_every) or data with mismatched shapes.
LessonTrainingResult run_lesson_training(const LessonData& data, const LessonTrainingOptions& options);

/// A terminal summary: per run, final accuracies, the early/late gradient ratio, divergence and the
/// anomaly; then what each claim looks like ("vanishing: first layers' gradients 1e-5 of the last").
std::string format_lesson_training(const LessonTrainingResult& result);

}  // namespace gradlab
