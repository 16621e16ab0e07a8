#pragma once
/// Training on real data (Fashion-MNIST) the cases the lesson probes on untrained networks: the study
/// behind the training section of `gradlab report` (issue 7, item 6). The lesson itself trains
/// nothing; the runs, the MLP, the optimizers and clipping are gradlab's extension (sources below).
///
///   LessonTrainingOptions options;                       // about a minute of CPU time
///   DataSplits data = load_lesson_data(options);         // a subsample of Fashion-MNIST
///   LessonTrainingResult result = run_lesson_training(data, options);
///   // tools/gradlab/lesson_training_format.h prints it for people.
///
/// Arms, all on the same data; run i of every arm uses seed i of the study (lesson_run_seed), so the
/// arms' runs are paired: the same batches, and the exploding pair the same initial weights. Each
/// deep arm changes ONE thing against the arm it is compared with (its `baseline`):
///   mlp                    a reference MLP 784-256-128-100-10 (ReLU, He uniform, Adam 1e-3), the
///                          shape of the Fashion-MNIST benchmark's MLP (Xiao et al. 2017): another
///                          shape and optimizer, so it is compared with no arm;
///   deep_sigmoid           `depth` Dense(width, sigmoid) layers, Glorot uniform, SGD with momentum;
///   deep_relu_glorot       relu instead of sigmoid (against deep_sigmoid);
///   deep_relu_he           he_uniform instead of glorot_uniform (He et al. 2015; against
///                          deep_relu_glorot);
///   deep_residual_unscaled residual connections x + Dense(relu)(x) (He et al. 2016), branch kernels
///                          he_uniform as before (against deep_relu_he);
///   deep_residual          the branch kernels drawn with He's variance divided by `depth` (standard
///                          deviation / sqrt(depth), as GPT-2 scales residual weights by 1/sqrt(N),
///                          Radford et al. 2019; against deep_residual_unscaled, whose branches double
///                          the variance per block);
///   deep_residual_norm     layer normalization before each branch (Ba et al. 2016), pre-norm style
///                          (against deep_residual);
///   exploding              deep_relu_he with too large an initializer scale (random normal, stddev
///                          `exploding_stddev`);
///   exploding_clipped      the same with global_clipnorm (Pascanu et al. 2013; against exploding).
/// What each arm did (vanished, learned, overflowed) is measured, never assumed: the formatters
/// choose their sentences from early_to_late_gradient_ratio(), the test accuracies over the seeds
/// (SeedSpread, read_gap) and the anomalies.
///
/// Every run is a fit() (train/fit.h) with the anomaly check on and instruments sampled every
/// `sample_every` steps: each layer's gradient norm, the global gradient norm before clipping and
/// the step's loss, the gradient-flow picture over training. Each epoch records the mean training
/// loss and accuracy and the test loss and accuracy. A run stops at the first NaN or infinity the
/// anomaly check finds, before that step's update.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/lab/seed_spread.h"
#include "gradlab/lab/study_progress.h"
#include "gradlab/train/dataset.h"
#include "gradlab/train/fit.h"

namespace gradlab {

/// Settings of the study. The defaults keep the whole study (9 arms x 3 seeds) to about a minute of
/// CPU time: fewer examples and epochs per run than one run per arm once used (20000 and 5), so that
/// every arm can run on several seeds for about the same total cost.
struct LessonTrainingOptions {
  /// Directory of Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist).
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  /// The first `train_examples` training images (of 60,000) and `test_examples` test images (of
  /// 10,000); 0 means all.
  int64_t train_examples = 10000;
  int64_t test_examples = 2000;
  /// Epochs of every run (a run the anomaly check stops ends early).
  int64_t epochs = 4;
  int64_t batch_size = 64;
  /// Dense layers of the deep stacks, before the 10-unit output layer; and their width.
  int64_t depth = 30;
  int64_t width = 64;
  /// SGD of the deep runs (gradlab's choice: the lesson trains nothing).
  double sgd_learning_rate = 0.01;
  double sgd_momentum = 0.9;
  /// Kernel initializer of the exploding run: random normal with this standard deviation.
  double exploding_stddev = 0.2;
  /// global_clipnorm of the clipped exploding run.
  double clipnorm = 1.0;
  /// Steps between instrument samples (step 0 is always sampled); the exploding pair samples every
  /// step, since the unclipped run overflows within a few.
  int64_t sample_every = 20;
  /// Runs per arm, each with its own seed (lesson_run_seed(seed, i)); at least 1.
  int64_t seeds = 3;
  /// The study's seed: every run's seed derives from it.
  uint64_t seed = 0;
};

/// The most seeds per arm the study accepts.
inline constexpr int64_t kMaxLessonSeeds = 1000;

/// The seed of run `index` (0-based) of every arm: Rng(study_seed).fork(index)'s seed. It seeds the
/// initializers and fit()'s per-epoch shuffles, so run i of every arm sees the same batches.
uint64_t lesson_run_seed(uint64_t study_seed, int64_t index);

/// Fashion-MNIST from options.data_dir, cut to the first options.train_examples training and
/// options.test_examples test images. A missing or corrupt file is an Error naming it.
DataSplits load_lesson_data(const LessonTrainingOptions& options);

/// One training run of the study (one arm, one seed): fit()'s history (train/fit.h) with the test
/// set as validation data, so each epoch's val_accuracy is the test accuracy.
struct LessonRun {
  /// The arm's name, "deep_sigmoid", ...: see the file comment.
  std::string name;
  /// What the model and optimizer are: "Dense(64, sigmoid) x 30, glorot_uniform; SGD(0.01, momentum 0.9)".
  std::string description;
  /// The run's seed (lesson_run_seed) and its index among the arm's runs.
  uint64_t seed = 0;
  int64_t seed_index = 0;
  /// The Dense layers, input side first: the layers whose gradient norms the charts compare.
  std::vector<std::string> dense_layers;
  History history;
  double seconds = 0;

  /// True when the anomaly check found a NaN or infinity and stopped the run (history.anomaly says
  /// where); the step is history.anomaly->step.
  bool stopped_by_anomaly() const { return history.stop_reason == StopReason::anomaly; }
  /// The last finished epoch's test accuracy; NaN when no epoch finished.
  double final_test_accuracy() const;
  /// The gradient norm (kernel and bias together) of each of dense_layers at `sample`, in order;
  /// NaN for a layer the sample lacks.
  std::vector<double> dense_grad_norms(const TrainingSample& sample) const;
  /// Over the samples with a finite loss: the median of (mean gradient norm of the first three Dense
  /// layers) / (mean of the last three). Far below 1 means vanishing gradients; NaN with fewer than
  /// six Dense layers or no such sample.
  double early_to_late_gradient_ratio() const;
  /// The longest update among the sampled steps with a finite loss: the root of the sum over layers
  /// of update_norm² (train/fit.h), and its step; NaN and -1 without such a sample. The exploding
  /// pair samples every step, so for them it is the longest update of the run.
  std::pair<double, int64_t> largest_update() const;
  /// The number of Dense layers whose gradient norms the samples record (0 without a sample).
  int dense_depth() const;
  /// The per-layer gain g of the squared gradient norm the early/late ratio R implies: the two
  /// means are centred n - 3 layers apart, so g = R^(2 / (n - 3)); NaN with the ratio.
  double early_to_late_squared_gain() const;
  /// The verdict of instrument/flow_summary.h for that gain over dense_depth() layers
  /// (verdict_of_gain with FlowThresholds' defaults: vanishing or exploding beyond 6 depth scales,
  /// Schoenholz et al. 2017); zero when the ratio is 0; nullopt when the ratio is NaN.
  std::optional<FlowVerdict> gradient_reading() const;
};

/// The longest update SGD with momentum `momentum` (Keras's rule, no Nesterov) can make when every
/// gradient is at most `clipnorm` long: the velocity v = momentum v - lr g sums a geometric series,
/// so |v| <= lr clipnorm / (1 - momentum): 10 x lr x clipnorm at momentum 0.9, not lr x clipnorm.
double clipped_update_bound(double learning_rate, double clipnorm, double momentum);

/// One arm of the study: a model and optimizer, trained once per seed.
struct LessonArm {
  /// "deep_relu_he", ...: see the file comment.
  std::string name;
  /// What the model and optimizer are: "Dense(64, relu) x 30, he_uniform; SGD(0.01, momentum 0.9)".
  std::string description;
  /// The arm this one is compared with ("deep_relu_glorot" for deep_relu_he) and the one thing that
  /// differs ("he_uniform instead of glorot_uniform"); both empty for the arms compared with none
  /// (mlp, deep_sigmoid, exploding).
  std::string baseline;
  std::string change;
  /// One run per seed, in seed order.
  std::vector<LessonRun> runs;

  /// final_test_accuracy() over the runs (a run stopped before its first epoch counts as not finite).
  SeedSpread test_accuracy() const;
  /// early_to_late_gradient_ratio() over the runs.
  SeedSpread early_to_late_gradient_ratio() const;
  /// Runs the anomaly check stopped.
  int64_t runs_stopped_by_anomaly() const;
  /// Runs whose gradient_reading() is `verdict`.
  int64_t runs_read_as(FlowVerdict verdict) const;
};

/// Everything the study measured.
struct LessonTrainingResult {
  LessonTrainingOptions options;
  /// "fashion-mnist/train (10000 training, 2000 test examples)" and the number of classes.
  std::string data;
  int64_t classes = 0;
  /// lesson_run_seed(options.seed, i) for each run index i.
  std::vector<uint64_t> seeds;
  /// Every arm, in the file comment's order.
  std::vector<LessonArm> arms;
  double seconds = 0;

  /// The arm called `name`; an Error naming it when there is none.
  const LessonArm& arm(std::string_view name) const;
  /// The arms with a baseline, each with the arm it is compared with, in order.
  std::vector<std::pair<const LessonArm*, const LessonArm*>> comparisons() const;
};

/// Runs the whole study on `data` (see the file comment), calling `progress` (if set) after every
/// step. Throws Error for options out of range (non-positive epochs, batch size, width,
/// sample_every; depth < 6; seeds outside [1, kMaxLessonSeeds]), an empty training or test set, labels that are not class ids, or test
/// features unlike the training features.
LessonTrainingResult run_lesson_training(const DataSplits& data, const LessonTrainingOptions& options,
                                         const StudyProgressCallback& progress = {});

}  // namespace gradlab
