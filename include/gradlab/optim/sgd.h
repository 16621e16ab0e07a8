#pragma once
/// SGD: stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD.
///
///   SGD sgd({.learning_rate = 0.1, .momentum = 0.9, .nesterov = true});
///   sgd.apply(grads, vars);
///
/// Keras 3's update with velocity v (state "momentum", zero at first):
///   momentum == 0:  w -= lr g
///   otherwise:      v = momentum v - lr g;  w += v            (nesterov: w += momentum v - lr g)
/// PyTorch's torch.optim.SGD keeps b = momentum b + g (b = g at the first step) and w -= lr b
/// (nesterov: w -= lr (g + momentum b)). With a constant learning rate v = -lr b, so both give the
/// same weights (dampening = 0); they differ once the learning rate changes between steps, where
/// Keras's velocity carries the old rates and PyTorch's buffer rescales with the new one. PyTorch's
/// weight_decay adds weight_decay w to g (L2) instead of Keras's decoupled decay.

#include <optional>
#include <string>

#include "gradlab/optim/optimizer.h"

namespace gradlab {

/// Options of SGD, with Keras's defaults.
struct SGDOptions {
  /// A constant or a schedule (schedules.h).
  LearningRate learning_rate = 0.01;
  /// In [0, 1]; 0 keeps no velocity.
  double momentum = 0.0;
  bool nesterov = false;
  /// The options every optimizer shares (weight decay, clipping): see OptimizerConfig.
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  /// Used in error messages and descriptions.
  std::string name = "SGD";
};

/// Stochastic gradient descent; see the file comment.
class SGD : public Optimizer {
 public:
  /// Throws Error for a momentum outside [0, 1] or bad common options (see Optimizer).
  explicit SGD(SGDOptions options = {});
  /// "SGD(learning_rate=..., ...)": every setting.
  std::string description() const override;
  /// The options the optimizer was made with.
  const SGDOptions& options() const { return options_; }

 protected:
  void update(Tensor& value, const Tensor& grad, std::span<Tensor> slots,
              const StepContext& context) override;

 private:
  SGDOptions options_;
};

}  // namespace gradlab
