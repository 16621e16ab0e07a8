#pragma once
/// Initializers: how a layer's variables get their first values, with Keras's names and semantics.
///
///   Dense(32, {.kernel_initializer = he_uniform()});          // or = "he_uniform"
///   Dense(32, {.kernel_initializer = variance_scaling({.scale = 2.0, .mode = FanMode::fan_in})});
///   Tensor w = glorot_uniform()(Shape{10, 32}, DType::float32, rng);
///
/// Fans are computed as Keras does (compute_fans): rank 1: fan_in = fan_out = shape[0]; rank 2 (a
/// Dense kernel, shaped (in, out)): fan_in = shape[0], fan_out = shape[1]; rank >= 3 (a conv kernel,
/// spatial dims first): receptive field = product of all but the last two dims, fan_in =
/// shape[-2] * receptive field, fan_out = shape[-1] * receptive field. Rank 0: both 1.
///
/// Random initializers draw in float64 and round to the variable's dtype, so a float32 and a float64
/// variable drawn from the same generator state agree up to rounding.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Fan-in and fan-out of a variable. `layer_fan_in` is the fan-in of the layer the variable belongs
/// to (a Dense bias has none of its own); PyTorch's bias initialization uses it.
struct Fans {
  double fan_in = 1;
  double fan_out = 1;
  double layer_fan_in = 1;
};

/// Keras's compute_fans for a variable of this shape (layer_fan_in = fan_in).
Fans compute_fans(const Shape& shape);

/// How an initializer draws values; implemented once per initializer kind.
class InitializerImpl {
 public:
  virtual ~InitializerImpl() = default;
  /// A new tensor of `shape` and `dtype`, drawn from `rng`, for a variable with these fans.
  virtual Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const = 0;
  /// Keras's name, e.g. "he_uniform" or "variance_scaling".
  virtual std::string name() const = 0;
  /// The arguments, as "scale=2, mode=fan_in, distribution=uniform" (empty when none).
  virtual std::string arguments() const { return ""; }
  /// The variance of each value drawn for a variable with these fans, for initializers that draw
  /// values of mean 0 independently (what the mean-field theory calls sigma^2 / fan_in); nullopt
  /// for the others (ones, a nonzero constant or mean, orthogonal, identity).
  virtual std::optional<double> variance(const Fans&) const { return std::nullopt; }
};

/// An initializer handle: built from a factory below or from a name ("he_uniform").
class Initializer {
 public:
  /// The initializer named `name`; throws Error listing valid names when unknown.
  Initializer(const char* name);  // NOLINT(google-explicit-constructor): lets options say "he_uniform"
  Initializer(std::string_view name);  // NOLINT
  Initializer(const std::string& name);  // NOLINT
  explicit Initializer(std::shared_ptr<const InitializerImpl> impl);

  /// Draws a tensor for a variable of `shape`, with fans from compute_fans(shape).
  Tensor operator()(const Shape& shape, DType dtype, Rng& rng) const;
  /// Draws a tensor with explicit fans (layers pass their kernel's fans to the bias).
  Tensor operator()(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const;
  std::string name() const { return impl_->name(); }
  /// InitializerImpl::variance for a variable with these fans.
  std::optional<double> variance(const Fans& fans) const { return impl_->variance(fans); }
  /// "variance_scaling(scale=2, mode=fan_in, distribution=uniform)" or "he_uniform".
  std::string description() const;

 private:
  std::shared_ptr<const InitializerImpl> impl_;
};

/// Which fan VarianceScaling divides by.
enum class FanMode { fan_in, fan_out, fan_avg };
/// Which distribution VarianceScaling draws from.
enum class Distribution { truncated_normal, untruncated_normal, uniform };

/// FanMode from its Keras spelling ("fan_in", "fan_out", "fan_avg"); anything else is an Error.
FanMode parse_fan_mode(std::string_view name);
/// Distribution from its Keras spelling ("truncated_normal", "untruncated_normal", "uniform").
Distribution parse_distribution(std::string_view name);

/// Options of variance_scaling (Keras defaults).
struct VarianceScalingOptions {
  double scale = 1.0;
  FanMode mode = FanMode::fan_in;
  Distribution distribution = Distribution::truncated_normal;
};

/// All zeros / all ones / a constant value.
Initializer zeros_initializer();
Initializer ones_initializer();
Initializer constant(double value);
/// U[minval, maxval) (Keras RandomUniform: -0.05, 0.05).
Initializer random_uniform(double minval = -0.05, double maxval = 0.05);
/// N(mean, stddev^2) (Keras RandomNormal: 0, 0.05).
Initializer random_normal(double mean = 0.0, double stddev = 0.05);
/// N(mean, stddev^2) redrawn beyond two stddev (Keras TruncatedNormal: 0, 0.05).
Initializer truncated_normal_initializer(double mean = 0.0, double stddev = 0.05);
/// Keras VarianceScaling: scale' = scale / max(1, fan) with fan chosen by mode; then
/// truncated_normal: stddev = sqrt(scale') / 0.87962566103423978 (Keras's constant: the stddev of a
/// standard normal truncated at +-2), untruncated_normal: stddev = sqrt(scale'), uniform: limit =
/// sqrt(3 scale'). The variance of the values is scale' for all three (for truncated_normal within
/// 1e-16 relative, the rounding of Keras's constant).
Initializer variance_scaling(VarianceScalingOptions options = {});
/// Glorot & Bengio (2010): variance_scaling(1, fan_avg, uniform), limit sqrt(6 / (fan_in + fan_out)).
Initializer glorot_uniform();
/// variance_scaling(1, fan_avg, truncated_normal).
Initializer glorot_normal();
/// He et al. (2015): variance_scaling(2, fan_in, uniform), limit sqrt(6 / fan_in).
Initializer he_uniform();
/// variance_scaling(2, fan_in, truncated_normal).
Initializer he_normal();
/// LeCun et al. (1998): variance_scaling(1, fan_in, uniform), limit sqrt(3 / fan_in).
Initializer lecun_uniform();
/// variance_scaling(1, fan_in, truncated_normal).
Initializer lecun_normal();
/// Saxe et al. (2014): a (semi-)orthogonal matrix from the QR decomposition of a normal matrix,
/// times gain; rank >= 2, flattened to (prod(shape[:-1]), shape[-1]) as Keras does.
Initializer orthogonal(double gain = 1.0);
/// Xiao et al. (2018), "Dynamical Isometry and a Mean Field Theory of CNNs": a convolution kernel
/// (window..., Cin, Cout) that is zero except at the window's centre ((k - 1) / 2 on each axis),
/// where it is gain times an orthogonal (Cin, Cout) matrix drawn as orthogonal() draws one. Needs
/// rank >= 3 and Cin <= Cout (as tf.initializers.convolutional_delta_orthogonal), so that the
/// centre's rows are orthonormal and a linear convolution at initialization keeps each position's
/// norm (times gain).
Initializer delta_orthogonal(double gain = 1.0);
/// gain times the identity matrix (rank 2 only; non-square gives ones on the main diagonal).
Initializer identity(double gain = 1.0);
/// PyTorch's default nn.Linear weight init, kaiming_uniform(a = sqrt(5)): U(+-1/sqrt(fan_in)),
/// for a kernel laid out (in, out). Name: "torch_linear_kernel".
Initializer torch_linear_kernel();
/// PyTorch's default nn.Linear bias init: U(+-1/sqrt(layer fan_in)). Name: "torch_linear_bias".
Initializer torch_linear_bias();

/// The variance of a standard normal truncated to [-2, 2], 1 - 4 pdf(2) / erf(sqrt 2) = 0.7737413...,
/// whose square root Keras writes as the constant 0.87962566103423978.
double truncated_normal_variance_factor();

/// Every name the Initializer(name) constructor accepts.
const std::vector<std::string>& initializer_names();

}  // namespace gradlab
