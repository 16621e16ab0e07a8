// Keras's random initializers (keras/src/initializers/random_initializers.py) and PyTorch's
// nn.Linear defaults.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <utility>

#include "gradlab/error.h"
#include "gradlab/nn/initializers.h"
#include "nn/initializers/draw.h"

namespace gradlab {
namespace {

using detail::format_number;

// Keras: the stddev of a standard normal truncated to [-2, 2], so truncated draws keep the variance.
constexpr double kTruncatedStddev = 0.87962566103423978;

class RandomUniformImpl : public InitializerImpl {
 public:
  RandomUniformImpl(double minval, double maxval) : minval_(minval), maxval_(maxval) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans&) const override {
    return detail::draw_uniform(shape, dtype, rng, minval_, maxval_);
  }
  std::string name() const override { return "random_uniform"; }
  std::optional<double> variance(const Fans&) const override {
    if (minval_ + maxval_ != 0.0) return std::nullopt;
    return (maxval_ - minval_) * (maxval_ - minval_) / 12.0;
  }
  std::string arguments() const override {
    return fmt::format("minval={}, maxval={}", format_number(minval_), format_number(maxval_));
  }

 private:
  double minval_;
  double maxval_;
};

class RandomNormalImpl : public InitializerImpl {
 public:
  RandomNormalImpl(double mean, double stddev, bool truncated)
      : mean_(mean), stddev_(stddev), truncated_(truncated) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans&) const override {
    return truncated_ ? detail::draw_truncated_normal(shape, dtype, rng, mean_, stddev_)
                      : detail::draw_normal(shape, dtype, rng, mean_, stddev_);
  }
  std::string name() const override { return truncated_ ? "truncated_normal" : "random_normal"; }
  std::optional<double> variance(const Fans&) const override {
    if (mean_ != 0.0) return std::nullopt;
    return stddev_ * stddev_ * (truncated_ ? truncated_normal_variance_factor() : 1.0);
  }
  std::string arguments() const override {
    return fmt::format("mean={}, stddev={}", format_number(mean_), format_number(stddev_));
  }

 private:
  double mean_;
  double stddev_;
  bool truncated_;
};

std::string_view mode_name(FanMode mode) {
  switch (mode) {
    case FanMode::fan_in:
      return "fan_in";
    case FanMode::fan_out:
      return "fan_out";
    case FanMode::fan_avg:
      return "fan_avg";
  }
  return "?";
}

std::string_view distribution_name(Distribution distribution) {
  switch (distribution) {
    case Distribution::truncated_normal:
      return "truncated_normal";
    case Distribution::untruncated_normal:
      return "untruncated_normal";
    case Distribution::uniform:
      return "uniform";
  }
  return "?";
}

class VarianceScalingImpl : public InitializerImpl {
 public:
  // `name` is empty for a plain variance_scaling, which shows its arguments; the named presets
  // (he_uniform, ...) show only their name, as Keras's get_config does.
  VarianceScalingImpl(VarianceScalingOptions options, std::string name)
      : options_(options), name_(std::move(name)) {}

  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const override {
    const double scale = scaled(fans);
    switch (options_.distribution) {
      case Distribution::truncated_normal:
        return detail::draw_truncated_normal(shape, dtype, rng, 0.0, std::sqrt(scale) / kTruncatedStddev);
      case Distribution::untruncated_normal:
        return detail::draw_normal(shape, dtype, rng, 0.0, std::sqrt(scale));
      case Distribution::uniform: {
        const double limit = std::sqrt(3.0 * scale);
        return detail::draw_uniform(shape, dtype, rng, -limit, limit);
      }
    }
    fail("{}: unknown distribution", name());
  }
  std::optional<double> variance(const Fans& fans) const override {
    const double scale = scaled(fans);
    if (options_.distribution != Distribution::truncated_normal) return scale;
    return scale * truncated_normal_variance_factor() / (kTruncatedStddev * kTruncatedStddev);
  }
  std::string name() const override { return name_.empty() ? "variance_scaling" : name_; }
  std::string arguments() const override {
    if (!name_.empty()) return "";
    return fmt::format("scale={}, mode={}, distribution={}", format_number(options_.scale),
                       mode_name(options_.mode), distribution_name(options_.distribution));
  }

 private:
  // scale' = scale / max(1, fan), the fan chosen by mode.
  double scaled(const Fans& fans) const {
    switch (options_.mode) {
      case FanMode::fan_in:
        return options_.scale / std::max(1.0, fans.fan_in);
      case FanMode::fan_out:
        return options_.scale / std::max(1.0, fans.fan_out);
      case FanMode::fan_avg:
        return options_.scale / std::max(1.0, (fans.fan_in + fans.fan_out) / 2.0);
    }
    fail("{}: unknown mode", name());
  }

  VarianceScalingOptions options_;
  std::string name_;
};

// U(-bound, bound) with bound = 1/sqrt(fan), or 0 when the fan is 0, as PyTorch's nn.Linear.
class TorchLinearImpl : public InitializerImpl {
 public:
  explicit TorchLinearImpl(bool bias) : bias_(bias) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const override {
    const double fan = bias_ ? fans.layer_fan_in : fans.fan_in;
    const double bound = fan > 0 ? 1.0 / std::sqrt(fan) : 0.0;
    return detail::draw_uniform(shape, dtype, rng, -bound, bound);
  }
  std::string name() const override { return bias_ ? "torch_linear_bias" : "torch_linear_kernel"; }
  std::optional<double> variance(const Fans& fans) const override {
    const double fan = bias_ ? fans.layer_fan_in : fans.fan_in;
    return fan > 0 ? 1.0 / (3.0 * fan) : 0.0;
  }

 private:
  bool bias_;
};

Initializer preset(double scale, FanMode mode, Distribution distribution, const char* name) {
  return Initializer(std::make_shared<VarianceScalingImpl>(
      VarianceScalingOptions{.scale = scale, .mode = mode, .distribution = distribution}, name));
}

void check_normal_arguments(const char* name, double mean, double stddev) {
  if (!std::isfinite(mean) || !std::isfinite(stddev) || stddev < 0) {
    fail("{}: expected a finite mean and a finite stddev >= 0, got mean={}, stddev={}", name, mean, stddev);
  }
}

}  // namespace

double truncated_normal_variance_factor() {
  const double density_at_2 = std::exp(-2.0) * 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;
  return 1.0 - 4.0 * density_at_2 / std::erf(std::numbers::sqrt2);
}

Initializer random_uniform(double minval, double maxval) {
  if (!std::isfinite(minval) || !std::isfinite(maxval) || !(minval <= maxval)) {
    fail("random_uniform: expected finite minval <= maxval, got minval={}, maxval={}", minval, maxval);
  }
  return Initializer(std::make_shared<RandomUniformImpl>(minval, maxval));
}

Initializer random_normal(double mean, double stddev) {
  check_normal_arguments("random_normal", mean, stddev);
  return Initializer(std::make_shared<RandomNormalImpl>(mean, stddev, false));
}

Initializer truncated_normal_initializer(double mean, double stddev) {
  check_normal_arguments("truncated_normal", mean, stddev);
  return Initializer(std::make_shared<RandomNormalImpl>(mean, stddev, true));
}

Initializer variance_scaling(VarianceScalingOptions options) {
  if (!(options.scale > 0) || !std::isfinite(options.scale)) {
    fail("variance_scaling: argument scale must be a positive finite number, got scale={}", options.scale);
  }
  if (mode_name(options.mode) == "?") {
    fail("variance_scaling: invalid mode {}; expected fan_in, fan_out or fan_avg",
         static_cast<int>(options.mode));
  }
  if (distribution_name(options.distribution) == "?") {
    fail(
        "variance_scaling: invalid distribution {}; expected truncated_normal, untruncated_normal or "
        "uniform",
        static_cast<int>(options.distribution));
  }
  return Initializer(std::make_shared<VarianceScalingImpl>(options, ""));
}

Initializer glorot_uniform() {
  return preset(1.0, FanMode::fan_avg, Distribution::uniform, "glorot_uniform");
}
Initializer glorot_normal() {
  return preset(1.0, FanMode::fan_avg, Distribution::truncated_normal, "glorot_normal");
}
Initializer he_uniform() { return preset(2.0, FanMode::fan_in, Distribution::uniform, "he_uniform"); }
Initializer he_normal() { return preset(2.0, FanMode::fan_in, Distribution::truncated_normal, "he_normal"); }
Initializer lecun_uniform() { return preset(1.0, FanMode::fan_in, Distribution::uniform, "lecun_uniform"); }
Initializer lecun_normal() {
  return preset(1.0, FanMode::fan_in, Distribution::truncated_normal, "lecun_normal");
}

Initializer torch_linear_kernel() { return Initializer(std::make_shared<TorchLinearImpl>(false)); }
Initializer torch_linear_bias() { return Initializer(std::make_shared<TorchLinearImpl>(true)); }

FanMode parse_fan_mode(std::string_view name) {
  for (FanMode mode : {FanMode::fan_in, FanMode::fan_out, FanMode::fan_avg}) {
    if (mode_name(mode) == name) return mode;
  }
  fail("mode must be fan_in, fan_out or fan_avg, got '{}'", name);
}

Distribution parse_distribution(std::string_view name) {
  for (Distribution d : {Distribution::truncated_normal, Distribution::untruncated_normal, Distribution::uniform}) {
    if (distribution_name(d) == name) return d;
  }
  fail("distribution must be truncated_normal, untruncated_normal or uniform, got '{}'", name);
}

}  // namespace gradlab
