#pragma once
/// AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), as
/// keras.optimizers.AdamW: Adam (adam.h) with the weight decay taken out of the gradient.
///
///   AdamW adamw({.learning_rate = 1e-3, .weight_decay = 0.01});
///
/// Each step first decays w -= w * weight_decay * lr (lr from the schedule, if any), then takes
/// Keras's Adam step. torch.optim.AdamW decays the same way (w *= 1 - lr * weight_decay) but takes
/// PyTorch's Adam step (epsilon after the bias correction, see adam.h); with epsilon = 0 they agree.
/// Keras's default weight_decay is 0.004, PyTorch's 0.01.

#include <string>

#include "gradlab/optim/adam.h"

namespace gradlab {

/// Options of AdamW, with Keras's defaults.
struct AdamWOptions {
  /// A constant or a schedule (schedules.h).
  LearningRate learning_rate = 0.001;
  /// Decoupled decay factor per unit learning rate; >= 0.
  double weight_decay = 0.004;
  /// As in AdamOptions.
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
  /// Clipping, as in OptimizerConfig.
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  /// Used in error messages and descriptions.
  std::string name = "adamw";
};

/// Adam with decoupled weight decay; see the file comment.
class AdamW : public Adam {
 public:
  /// Throws Error for a negative weight_decay or any of Adam's argument errors.
  explicit AdamW(AdamWOptions options = {});
};

}  // namespace gradlab
