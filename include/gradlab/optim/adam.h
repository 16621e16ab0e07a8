#pragma once
/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization"), as keras.optimizers.Adam.
///
///   Adam adam({.learning_rate = 1e-3});
///   adam.apply(grads, vars);
///
/// Keras 3's update at step t = iterations + 1, with states m ("momentum") and v ("velocity"):
///   m += (g - m) (1 - beta_1);   v += (g^2 - v) (1 - beta_2)
///   v_hat = max(v_hat, v)  (amsgrad, Reddi et al. 2018; state "velocity_hat"), used for v below
///   alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
///   w -= alpha m / (sqrt(v) + epsilon)
/// PyTorch's torch.optim.Adam computes w -= lr m_hat / (sqrt(v_hat) + eps) with m_hat = m / (1 -
/// beta_1^t), v_hat = v / (1 - beta_2^t): epsilon is added after the bias correction, so Keras's
/// epsilon equals PyTorch's eps * sqrt(1 - beta_2^t) — a different value at every step. With
/// epsilon = 0 the two coincide. Keras's default epsilon is 1e-7, PyTorch's 1e-8. PyTorch's
/// weight_decay on Adam is an L2 term on the gradient; Keras's (and AdamW's) is decoupled.

#include <optional>
#include <string>

#include "gradlab/optim/optimizer.h"

namespace gradlab {

/// Options of Adam, with Keras's defaults.
struct AdamOptions {
  /// A constant or a schedule (schedules.h).
  LearningRate learning_rate = 0.001;
  /// Decay of the first moment, in [0, 1).
  double beta_1 = 0.9;
  /// Decay of the second moment, in [0, 1).
  double beta_2 = 0.999;
  /// Added to sqrt(v) (not to the bias-corrected sqrt as in PyTorch); >= 0.
  double epsilon = 1e-7;
  bool amsgrad = false;
  /// The options every optimizer shares (weight decay, clipping): see OptimizerConfig.
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  /// Used in error messages and descriptions.
  std::string name = "adam";
};

/// Adam; see the file comment.
class Adam : public Optimizer {
 public:
  /// Throws Error for betas outside [0, 1), a negative epsilon or bad common options.
  explicit Adam(AdamOptions options = {});
  /// "adam(learning_rate=..., ...)": every setting.
  std::string description() const override;
  /// The options the optimizer was made with.
  const AdamOptions& options() const { return options_; }

 protected:
  void update(Tensor& value, const Tensor& grad, std::span<Tensor> slots,
              const StepContext& context) override;

 private:
  AdamOptions options_;
};

}  // namespace gradlab
