#pragma once
/// Trainability against depth scale (Schoenholz et al. 2017, "Deep Information Propagation", Fig. 5):
/// a fully connected network initialized by variances, trained briefly on Fashion-MNIST, with the
/// mean-field theory's depth scales for its (activation, sigma_w2, sigma_b2) beside the outcome.
/// Schoenholz et al. found that a network trains when its depth is below about 6 xi_c and fails
/// beyond; `gradlab sweep --train` runs such a grid (sweep_grid.h: a SweepConfig with `training`).
///
///   auto data = std::make_shared<const DataSplits>(load_trainability_data({}));
///   TrainabilityTask task{.data = data};
///   SkipNetworkOptions net{.depth = 20, .units = 32, .activation = "tanh",
///                          .gaussian_init = GaussianInit{.sigma_w2 = 1.76, .sigma_b2 = 0.05}};
///   TrainingOutcome o = train_network(net, seed, task);       // o.test_accuracy, o.xi_c, ...
///
/// The model: `depth` Dense(units, activation) layers on the flattened 784-pixel images, then a
/// linear Dense(classes) output giving logits, every layer's kernel N(0, sigma_w2 / fan_in) and bias
/// N(0, sigma_b2), drawn from Rng(seed) layer by layer, kernel then bias. Training: fit() (train/fit.h)
/// with SGD, sparse categorical cross-entropy from logits, batches shuffled from `seed`, the anomaly
/// check on, for `steps` updates. Then evaluate() on the training subset and on the test subset.

#include <cstdint>
#include <memory>
#include <string>

#include "gradlab/lab/skip_network.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/train/dataset.h"

namespace gradlab {

/// The budget and data of each training run of a trainability sweep. The defaults keep one run of
/// a depth-32, width-32 network to about a second on one core.
struct TrainabilitySettings {
  /// Directory of Fashion-MNIST's IDX files (Debian's dataset-fashion-mnist).
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  /// SGD updates per run, at least 1.
  int64_t steps = 150;
  /// The first `train_examples` training images and the first `test_examples` test images (the
  /// held-out subset), each at least 1.
  int64_t train_examples = 2000;
  int64_t test_examples = 1000;
  int64_t batch_size = 32;
  /// SGD (Keras's rule, no momentum), as Schoenholz et al. trained with SGD.
  double learning_rate = 0.01;
};

/// Throws Error naming the setting and value when one is out of range (steps, examples or batch size
/// below 1, more than 1e7 steps, a learning rate not finite or not above 0).
void check_trainability_settings(const TrainabilitySettings& settings);

/// The settings as one line, "steps=150;batch=32;lr=0.01;train=2000;test=1000": what a results file
/// records so that a resume with another budget is refused.
std::string trainability_budget(const TrainabilitySettings& settings);

/// Fashion-MNIST from settings.data_dir cut to the subsets. A missing or corrupt file is an Error
/// naming its path.
DataSplits load_trainability_data(const TrainabilitySettings& settings);

/// What every run of a sweep trains with: the settings and the data they load, shared read-only by
/// every worker.
struct TrainabilityTask {
  TrainabilitySettings settings;
  std::shared_ptr<const DataSplits> data;
};

/// What one training run measured (see the file comment).
struct TrainingOutcome {
  /// Updates made: settings.steps, or fewer when the anomaly check stopped the run.
  int64_t steps_run = 0;
  /// Mean loss and accuracy over the training subset after training (NaN when the run diverged).
  double train_loss = 0;
  double train_accuracy = 0;
  /// Accuracy over the test subset after training (NaN when the run diverged).
  double test_accuracy = 0;
  /// True when a NaN or infinity stopped training (the anomaly check) or the final loss is not finite.
  bool diverged = false;
  /// The theory's correlation and gradient depth scales xi_c and xi_grad for the network's
  /// (activation, sigma_w2, sigma_b2) (theory/mean_field.h); NaN where the theory has no figure or
  /// no such activation. xi_grad is negative in the chaotic phase (the gradients grow).
  double xi_c = 0;
  double xi_grad = 0;
};

/// The theory's correlation and gradient depth scales of one point (theory/mean_field.h).
struct DepthScales {
  double xi_c = 0;
  double xi_grad = 0;
};

/// xi_c and xi_grad for `activation` at `init` (NaN for an activation the theory does not model),
/// remembered for the life of the process: near the critical line on the chaotic side one point
/// takes seconds of quadrature. Safe to call from any thread.
DepthScales depth_scales(const std::string& activation, const GaussianInit& init);

/// Trains `network` (depth, units, activation and gaussian_init are used; gaussian_init is required)
/// as the file comment says, on the calling thread. Throws Error when gaussian_init is unset, the
/// network has a normalization or skip connection, or its dtype is not float32.
TrainingOutcome train_network(const SkipNetworkOptions& network, uint64_t seed, const TrainabilityTask& task);

}  // namespace gradlab
