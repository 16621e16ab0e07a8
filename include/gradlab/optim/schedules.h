#pragma once
/// Learning-rate schedules with Keras 3's definitions (keras.optimizers.schedules), and
/// LearningRate, the value an optimizer's `learning_rate` option holds: a constant or a schedule.
///
///   Adam adam({.learning_rate = 1e-3});                                     // constant
///   SGD sgd({.learning_rate = exponential_decay(0.1, 1000, 0.96, true)});    // a schedule
///   Adam warm({.learning_rate = cosine_decay({.initial_learning_rate = 0.0, .decay_steps = 9000,
///                                             .warmup_target = 1e-3, .warmup_steps = 1000})});
///
/// A schedule maps the optimizer's iteration count (0 before the first update) to a learning rate;
/// the optimizer evaluates it once per apply(), before incrementing its iterations, as Keras does.
/// PyTorch's schedulers instead mutate the optimizer's lr when scheduler.step() is called (usually
/// once per epoch); StepLR(step_size, gamma) per step is step_decay(lr, step_size, gamma).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gradlab {

/// A learning rate as a function of the step (iterations so far).
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  /// The learning rate for the update that follows `step` earlier updates.
  virtual double operator()(int64_t step) const = 0;
  /// "exponential_decay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96, staircase=true)".
  virtual std::string description() const = 0;
};

/// A shared, immutable schedule.
using Schedule = std::shared_ptr<const LearningRateSchedule>;

/// The same rate at every step.
Schedule constant_schedule(double learning_rate);

/// initial * decay_rate^(step / decay_steps), the exponent floored when `staircase`
/// (keras.optimizers.schedules.ExponentialDecay). decay_steps must be positive.
Schedule exponential_decay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                           bool staircase = false);

/// initial * gamma^floor(step / step_size): PyTorch's StepLR counted in updates, the same as
/// exponential_decay(initial, step_size, gamma, true).
Schedule step_decay(double initial_learning_rate, int64_t step_size, double gamma);

/// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
/// values.back() after the last boundary (keras.optimizers.schedules.PiecewiseConstantDecay).
/// Boundaries must increase strictly and values have one more element.
Schedule piecewise_constant_decay(std::vector<int64_t> boundaries, std::vector<double> values);

/// Options of cosine_decay (keras.optimizers.schedules.CosineDecay's arguments).
struct CosineDecayOptions {
  /// The rate at step 0 (where a warm-up starts, or the cosine without one).
  double initial_learning_rate = 0.0;
  /// Steps of the cosine part; must be positive.
  int64_t decay_steps = 1;
  /// The floor, as a fraction of the rate the decay starts from.
  double alpha = 0.0;
  /// When set, the rate first rises linearly from initial_learning_rate to this value over
  /// warmup_steps, and the cosine decays from it; when unset warmup_steps is ignored (as in Keras).
  std::optional<double> warmup_target;
  /// Length of the linear warm-up.
  int64_t warmup_steps = 0;
};

/// Cosine decay with optional linear warm-up (Loshchilov & Hutter 2017, SGDR, without restarts):
///   warm-up (step < warmup_steps):  initial + (warmup_target - initial) step / warmup_steps
///   decay:  from * ((1 - alpha) 0.5 (1 + cos(pi min(s, decay_steps) / decay_steps)) + alpha)
/// where s = step - warmup_steps and `from` is warmup_target (or initial without warm-up).
Schedule cosine_decay(const CosineDecayOptions& options);

/// An optimizer's learning rate: a constant or a schedule. Converts implicitly from either, so
/// options read `.learning_rate = 0.01` or `.learning_rate = exponential_decay(...)`.
class LearningRate {
 public:
  /// A constant rate; implicit, so that options read `.learning_rate = 0.01`.
  LearningRate(double value);  // NOLINT(google-explicit-constructor)
  /// A schedule; implicit, so that options read `.learning_rate = exponential_decay(...)`.
  LearningRate(Schedule schedule);  // NOLINT(google-explicit-constructor)
  /// The rate for the update after `step` earlier ones.
  double at(int64_t step) const;
  /// The schedule, or nullptr for a constant.
  const Schedule& schedule() const { return schedule_; }
  /// "0.001" or the schedule's description.
  std::string description() const;

 private:
  double value_ = 0.0;
  Schedule schedule_;
};

}  // namespace gradlab
