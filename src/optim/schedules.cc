#include "gradlab/optim/schedules.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "gradlab/error.h"

namespace gradlab {
namespace {

class Constant final : public LearningRateSchedule {
 public:
  explicit Constant(double lr) : lr_(lr) {}
  double operator()(int64_t) const override { return lr_; }
  std::string description() const override { return fmt::format("constant({})", lr_); }

 private:
  double lr_;
};

class ExponentialDecay final : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial, int64_t decay_steps, double decay_rate, bool staircase)
      : initial_(initial), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {}
  double operator()(int64_t step) const override {
    double p = static_cast<double>(step) / static_cast<double>(decay_steps_);
    if (staircase_) p = std::floor(p);
    return initial_ * std::pow(decay_rate_, p);
  }
  std::string description() const override {
    return fmt::format(
        "exponential_decay(initial_learning_rate={}, decay_steps={}, decay_rate={}, staircase={})", initial_,
        decay_steps_, decay_rate_, staircase_);
  }

 private:
  double initial_;
  int64_t decay_steps_;
  double decay_rate_;
  bool staircase_;
};

class PiecewiseConstant final : public LearningRateSchedule {
 public:
  PiecewiseConstant(std::vector<int64_t> boundaries, std::vector<double> values)
      : boundaries_(std::move(boundaries)), values_(std::move(values)) {}
  double operator()(int64_t step) const override {
    std::size_t i = 0;
    while (i < boundaries_.size() && step > boundaries_[i]) ++i;
    return values_[i];
  }
  std::string description() const override {
    return fmt::format("piecewise_constant_decay(boundaries=[{}], values=[{}])", fmt::join(boundaries_, ", "),
                       fmt::join(values_, ", "));
  }

 private:
  std::vector<int64_t> boundaries_;
  std::vector<double> values_;
};

class CosineDecay final : public LearningRateSchedule {
 public:
  explicit CosineDecay(CosineDecayOptions o) : o_(o) {}
  double operator()(int64_t step) const override {
    const double decay_steps = static_cast<double>(o_.decay_steps);
    double s = static_cast<double>(step);
    if (!o_.warmup_target) return decay(std::min(s, decay_steps), o_.initial_learning_rate);
    const double warmup_steps = static_cast<double>(o_.warmup_steps);
    s = std::min(s, decay_steps + warmup_steps);
    if (s < warmup_steps) {
      return (*o_.warmup_target - o_.initial_learning_rate) * (s / warmup_steps) + o_.initial_learning_rate;
    }
    return decay(s - warmup_steps, *o_.warmup_target);
  }
  std::string description() const override {
    std::string text = fmt::format("cosine_decay(initial_learning_rate={}, decay_steps={}, alpha={}",
                                   o_.initial_learning_rate, o_.decay_steps, o_.alpha);
    if (o_.warmup_target)
      text += fmt::format(", warmup_target={}, warmup_steps={}", *o_.warmup_target, o_.warmup_steps);
    return text + ")";
  }

 private:
  double decay(double s, double from) const {
    const double cosine =
        0.5 * (1.0 + std::cos(std::numbers::pi * (s / static_cast<double>(o_.decay_steps))));
    return from * ((1.0 - o_.alpha) * cosine + o_.alpha);
  }
  CosineDecayOptions o_;
};

void require_finite(double v, const char* schedule, const char* what) {
  if (!std::isfinite(v)) fail("{}: {} must be finite, got {}", schedule, what, v);
}

}  // namespace

Schedule constant_schedule(double learning_rate) {
  require_finite(learning_rate, "constant_schedule", "learning_rate");
  return std::make_shared<Constant>(learning_rate);
}

Schedule exponential_decay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                           bool staircase) {
  require_finite(initial_learning_rate, "exponential_decay", "initial_learning_rate");
  require_finite(decay_rate, "exponential_decay", "decay_rate");
  if (decay_steps <= 0) fail("exponential_decay: decay_steps must be positive, got {}", decay_steps);
  return std::make_shared<ExponentialDecay>(initial_learning_rate, decay_steps, decay_rate, staircase);
}

Schedule step_decay(double initial_learning_rate, int64_t step_size, double gamma) {
  if (step_size <= 0) fail("step_decay: step_size must be positive, got {}", step_size);
  return exponential_decay(initial_learning_rate, step_size, gamma, true);
}

Schedule piecewise_constant_decay(std::vector<int64_t> boundaries, std::vector<double> values) {
  if (values.size() != boundaries.size() + 1) {
    fail("piecewise_constant_decay: expected {} values for {} boundaries, got {}", boundaries.size() + 1,
         boundaries.size(), values.size());
  }
  for (std::size_t i = 1; i < boundaries.size(); ++i) {
    if (boundaries[i] <= boundaries[i - 1]) {
      fail("piecewise_constant_decay: boundaries must increase, but boundary {} ({}) follows {}", i,
           boundaries[i], boundaries[i - 1]);
    }
  }
  for (double v : values) require_finite(v, "piecewise_constant_decay", "every value");
  return std::make_shared<PiecewiseConstant>(std::move(boundaries), std::move(values));
}

Schedule cosine_decay(const CosineDecayOptions& options) {
  require_finite(options.initial_learning_rate, "cosine_decay", "initial_learning_rate");
  require_finite(options.alpha, "cosine_decay", "alpha");
  if (options.decay_steps <= 0)
    fail("cosine_decay: decay_steps must be positive, got {}", options.decay_steps);
  if (options.warmup_target) {
    require_finite(*options.warmup_target, "cosine_decay", "warmup_target");
    if (options.warmup_steps < 0)
      fail("cosine_decay: warmup_steps must be >= 0, got {}", options.warmup_steps);
  }
  return std::make_shared<CosineDecay>(options);
}

LearningRate::LearningRate(double value) : value_(value) {
  if (!std::isfinite(value)) fail("learning_rate must be finite, got {}", value);
}

LearningRate::LearningRate(Schedule schedule) : schedule_(std::move(schedule)) {
  if (!schedule_) fail("learning_rate: the schedule is null");
}

double LearningRate::at(int64_t step) const { return schedule_ ? (*schedule_)(step) : value_; }

std::string LearningRate::description() const {
  return schedule_ ? schedule_->description() : fmt::format("{}", value_);
}

}  // namespace gradlab
