#pragma once
/// RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5), as keras.optimizers.RMSprop.
///
///   RMSprop rms({.learning_rate = 1e-3, .rho = 0.9});
///
/// Keras 3's update, with states "velocity" (v), "momentum" (b, when momentum > 0) and
/// "average_gradient" (a, when centered; Graves 2013):
///   v = rho v + (1 - rho) g^2
///   a = rho a + (1 - rho) g;  d = v - a^2 + epsilon     (centered)   else  d = v + epsilon
///   step = lr g / sqrt(d)
///   b = momentum b + step;  w -= b                      (momentum > 0)  else  w -= step
/// PyTorch's torch.optim.RMSprop (alpha = rho) adds eps outside the root, g / (sqrt(v) + eps), and
/// keeps its momentum buffer without lr (b = momentum b + g / (sqrt(v) + eps); w -= lr b). With
/// epsilon = 0 and a constant learning rate the two give the same weights. Keras's default
/// epsilon is 1e-7, PyTorch's 1e-8.

#include <optional>
#include <string>

#include "gradlab/optim/optimizer.h"

namespace gradlab {

/// Options of RMSprop, with Keras's defaults.
struct RMSpropOptions {
  /// A constant or a schedule (schedules.h).
  LearningRate learning_rate = 0.001;
  /// Decay of the squared-gradient average, in [0, 1].
  double rho = 0.9;
  /// In [0, 1]; 0 keeps no momentum buffer.
  double momentum = 0.0;
  /// Added to the average under the square root; >= 0.
  double epsilon = 1e-7;
  /// Divide by the estimated variance v - a^2 instead of the raw second moment v.
  bool centered = false;
  /// The options every optimizer shares (weight decay, clipping): see OptimizerConfig.
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  /// Used in error messages and descriptions.
  std::string name = "rmsprop";
};

/// RMSprop; see the file comment.
class RMSprop : public Optimizer {
 public:
  /// Throws Error for rho or momentum outside [0, 1], a negative epsilon or bad common options.
  explicit RMSprop(RMSpropOptions options = {});
  /// "rmsprop(learning_rate=..., ...)": every setting.
  std::string description() const override;
  /// The options the optimizer was made with.
  const RMSpropOptions& options() const { return options_; }

 protected:
  void update(Tensor& value, const Tensor& grad, std::span<Tensor> slots,
              const StepContext& context) override;

 private:
  RMSpropOptions options_;
  int momentum_slot_ = -1;
  int average_slot_ = -1;
};

}  // namespace gradlab
