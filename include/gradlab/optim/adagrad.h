#pragma once
/// Adagrad (Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods"), as keras.optimizers.Adagrad.
///
///   Adagrad adagrad({.learning_rate = 0.01});
///
/// Keras 3's update, with state "accumulator" (starting at initial_accumulator_value):
///   acc += g^2;   w -= lr g / sqrt(acc + epsilon)
/// torch.optim.Adagrad computes w -= lr g / (sqrt(acc) + eps) (eps outside the root, default
/// 1e-10) with initial_accumulator_value 0 by default and an optional lr_decay; with
/// initial_accumulator_value = 0.1, eps = epsilon = 0 and lr_decay = 0 the two agree.

#include <optional>
#include <string>

#include "gradlab/optim/optimizer.h"

namespace gradlab {

/// Options of Adagrad, with Keras's defaults.
struct AdagradOptions {
  /// A constant or a schedule (schedules.h).
  LearningRate learning_rate = 0.001;
  /// The accumulator's starting value; >= 0.
  double initial_accumulator_value = 0.1;
  /// Added to the accumulator under the square root; >= 0.
  double epsilon = 1e-7;
  /// The options every optimizer shares (weight decay, clipping): see OptimizerConfig.
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  /// Used in error messages and descriptions.
  std::string name = "adagrad";
};

/// Adagrad; see the file comment.
class Adagrad : public Optimizer {
 public:
  /// Throws Error for a negative initial_accumulator_value or epsilon, or bad common options.
  explicit Adagrad(AdagradOptions options = {});
  /// "adagrad(learning_rate=..., ...)": every setting.
  std::string description() const override;
  /// The options the optimizer was made with.
  const AdagradOptions& options() const { return options_; }

 protected:
  double slot_initial_value(std::size_t index) const override;
  void update(Tensor& value, const Tensor& grad, std::span<Tensor> slots,
              const StepContext& context) override;

 private:
  AdagradOptions options_;
};

}  // namespace gradlab
