#pragma once
/// Optimizer: the base of gradlab's optimizers, with Keras 3's semantics (keras.optimizers.Optimizer).
///
///   Adam optimizer({.learning_rate = 1e-3, .global_clipnorm = 1.0});
///   std::vector<Variable> vars = model.trainable_variables();
///   GradientTape tape;
///   Tensor loss = sparse_categorical_crossentropy(y, model(x, {.training = true}), {.from_logits = true});
///   double norm = optimizer.apply(tape.gradient(loss, vars), vars);   // the pre-clip global norm
///   if (!optimizer.last_gradients_finite()) { ... the step was applied with inf/NaN ... }
///
/// One apply() is one training step, in Keras's order:
///   1. gradients that are undefined (unconnected) are skipped with their variables; all undefined
///      is an Error, as in Keras;
///   2. the global gradient norm N = sqrt(sum ||g_i||^2) is measured before clipping and kept as
///      last_global_norm(), with last_gradients_finite();
///   3. clipping, at most one kind (see clipping.h): clipnorm scales each gradient by
///      c / max(||g_i||, c); global_clipnorm scales all by c / max(N, c); clipvalue clamps each
///      element to [-c, c];
///   4. decoupled weight decay when weight_decay is set: w -= w * weight_decay * lr (Keras 3 applies
///      it in every optimizer; PyTorch's weight_decay is an L2 term added to the gradient, except in
///      AdamW, where it matches);
///   5. the optimizer's own update with lr = learning_rate.at(iterations());
///   6. iterations() += 1.
/// Steps 3 to 5 run fused in one loop per variable over raw buffers; once every variable has its
/// state, apply() allocates nothing.
///
/// Non-finite gradients: Keras applies them, and so does gradlab, so inf or NaN reach the weights
/// (with global_clipnorm every gradient becomes NaN, as tf.clip_by_global_norm makes them). Check
/// last_gradients_finite() after the step, or all_finite(grads) (clipping.h) before it, to stop or
/// skip.
///
/// State: per variable (keyed by its identity, which assign() keeps) a few
/// tensors shaped like it, created on first use with build() or apply(). state() lists them as
/// named tensors "<variable name>/<slot>" (slots as Keras names them: "momentum", "velocity", ...)
/// plus "iterations" (a float64 scalar), for checkpoints; load_state() restores them.
/// Gradients must have their variable's shape and dtype.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/optim/schedules.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Named tensors in a fixed order (an optimizer's state; the same pairs as TensorFile::tensors()).
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// The options every Keras optimizer takes, gathered from an optimizer's own options struct.
struct OptimizerConfig {
  LearningRate learning_rate = 0.001;
  /// Decoupled weight decay w -= w * weight_decay * lr before each update; unset: none.
  std::optional<double> weight_decay;
  /// Per-variable norm clipping threshold (Keras clipnorm).
  std::optional<double> clipnorm;
  /// Element-wise clipping bound (Keras clipvalue).
  std::optional<double> clipvalue;
  /// Joint norm clipping threshold over all gradients (Keras global_clipnorm).
  std::optional<double> global_clipnorm;
  /// The optimizer's name, used in error messages ("adam").
  std::string name;
};

/// Base class of every optimizer; see the file comment.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One training step: updates each variable in place from its gradient (see the file comment).
  /// `grads[i]` belongs to `vars[i]`; returns the global gradient norm before clipping.
  double apply(const std::vector<Tensor>& grads, const std::vector<Variable>& vars);
  /// The same with (gradient, variable) pairs (Keras's apply_gradients).
  double apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars);

  /// Creates the state of each variable that has none yet (apply() does this on first use).
  void build(const std::vector<Variable>& vars);

  /// Number of apply() calls so far (Keras's optimizer.iterations).
  int64_t iterations() const { return iterations_; }
  /// The learning rate the next apply() will use: the schedule evaluated at iterations().
  double current_learning_rate() const { return config_.learning_rate.at(iterations_); }
  /// The configured learning rate (a constant or a schedule).
  const LearningRate& learning_rate() const { return config_.learning_rate; }
  /// The global gradient norm before clipping in the last apply(); NaN before the first.
  double last_global_norm() const { return last_global_norm_; }
  /// Whether every gradient element of the last apply() was finite (true before the first).
  bool last_gradients_finite() const { return last_finite_; }

  /// The name from the options ("adam"), used in error messages.
  const std::string& name() const { return config_.name; }
  /// The common options (learning rate, weight decay, clipping).
  const OptimizerConfig& config() const { return config_; }
  /// The slot names each variable gets, e.g. {"momentum", "velocity"} for Adam.
  const std::vector<std::string>& slot_names() const { return slot_names_; }
  /// A one-line description: "adam(learning_rate=0.001, beta_1=0.9, ...)".
  virtual std::string description() const = 0;

  /// Copies of the state: "<variable>/<slot>" for each variable with state, then "iterations".
  NamedTensors state() const;
  /// Restores state written by state(): builds `vars`, then copies every "<variable>/<slot>" and
  /// "iterations". A missing, extra, misshapen or wrongly typed entry is an Error naming it.
  void load_state(const NamedTensors& state, const std::vector<Variable>& vars);

 protected:
  /// `slot_names` are the per-variable state tensors the subclass's update reads and writes.
  Optimizer(OptimizerConfig config, std::vector<std::string> slot_names);

  /// What the update of one variable needs besides its buffers.
  struct StepContext {
    double learning_rate = 0;
    /// 1-based number of this update (iterations() + 1), for bias corrections.
    int64_t step = 1;
    /// From clipnorm / global_clipnorm: the factor on the gradient (1 when none).
    double grad_scale = 1;
    /// From clipvalue: the element bound (infinity when none).
    double clip_value = 0;
    /// weight_decay, or 0.
    double weight_decay = 0;
  };

  /// The initial value of slot `index` (0 for most; Adagrad's initial_accumulator_value).
  virtual double slot_initial_value(std::size_t index) const;
  /// Updates `value` in place from `grad` (same shape and dtype) and the variable's slots.
  virtual void update(Tensor& value, const Tensor& grad, std::span<Tensor> slots,
                      const StepContext& context) = 0;

 private:
  struct VariableState {
    Variable variable;
    std::vector<Tensor> slots;
  };
  VariableState& state_of(const Variable& var);

  OptimizerConfig config_;
  std::vector<std::string> slot_names_;
  int64_t iterations_ = 0;
  double last_global_norm_;
  bool last_finite_ = true;
  std::vector<VariableState> states_;
  std::unordered_map<uint64_t, std::size_t> index_;
  // Reused between steps so that a warm apply() allocates nothing.
  std::vector<std::size_t> active_;
  std::vector<double> squares_;
};

}  // namespace gradlab
