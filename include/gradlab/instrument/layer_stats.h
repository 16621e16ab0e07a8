#pragma once
/// Statistics of one layer call: what its output looks like (forward) and how large the gradients
/// flowing through it are (backward). Plain functions over tensors; GradientProbe (probe.h) calls
/// them for every layer call of a pass.
///
///   ForwardStats f = forward_stats(dense(x), "tanh");        // mean, std, saturated_fraction, ...
///   GradientStats g = gradient_stats(tape.gradient(loss, h)); // l2_norm, rms, ...
///
/// Sums never underflow or overflow where the statistic would be lost: float64 tensors, and float32
/// tensors the fast scan cannot vouch for, are accumulated in double element by element; other
/// float32 tensors of 32 or more elements are summed in float32 over blocks of at most 16 terms per
/// lane, then in double (norms within a relative 1e-6, means within 1e-6 of |mean| + std, standard
/// deviations within 1e-5), with gradient squares scaled by 2^-e (for the largest |g| in
/// [2^e, 2^(e+1))) when the largest |g| is below 2^-40 or above 2^50, so that the norm of a gradient
/// of 1e-30 is still measured. Minima, maxima, counts
/// and fractions are exact in every case.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/nn/layer.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// When an activation's output counts as saturated (its derivative is then nearly zero):
///   tanh, softsign:              |y| > symmetric           (tanh'(x) = 1 - y^2 < 0.0199 at 0.99)
///   sigmoid, hard_sigmoid:       y < low  or  y > high     (sigmoid'(x) = y (1 - y) < 0.0099)
/// Other activations never saturate (saturated_fraction is unset for them).
struct SaturationThresholds {
  double symmetric = 0.99;
  double low = 0.01;
  double high = 0.99;
};

/// Forward statistics of one layer output y with n elements and C units (its last axis).
struct ForwardStats {
  int64_t count = 0;              ///< n, the number of elements
  double mean = 0;                ///< sum(y) / n over the finite elements
  double std = 0;                 ///< population standard deviation sqrt(mean((y - mean)^2)), finite elements
  double min = 0;                 ///< smallest finite element (0 when there is none)
  double max = 0;                 ///< largest finite element (0 when there is none)
  double zero_fraction = 0;       ///< share of elements exactly 0
  /// Share of the C units whose output is exactly 0 for every example of this one batch (and every
  /// position of a sequence or image): units silent on the batch, which pass it no gradient. Not
  /// the same as dead over the data (Lu et al. 2019): a unit active on 5% of examples is silent on
  /// a batch of 32 with probability 0.95^32 = 0.19; dead_units.h measures over many examples.
  /// Computed for relu only; unset for other activations (leaky and smooth variants never output
  /// exact zeros on a half-line).
  std::optional<double> silent_fraction;
  /// Share of elements in the saturated range of the activation (see SaturationThresholds); unset
  /// for activations that do not saturate.
  std::optional<double> saturated_fraction;
  int64_t nonfinite_count = 0;    ///< elements that are NaN or infinite
};

/// Size of one gradient g with n elements.
struct GradientStats {
  int64_t count = 0;        ///< n
  double l2_norm = 0;       ///< sqrt(sum(g^2)), +infinity when g holds a non-finite value
  double rms = 0;           ///< l2_norm / sqrt(n)
  double max_abs = 0;       ///< max |g| (+infinity when non-finite)
  int64_t zero_count = 0;   ///< elements exactly 0
  /// Non-zero elements smaller in magnitude than float32's smallest normal number
  /// (std::numeric_limits<float>::min(), 1.1754944e-38): subnormal in float32, or — in a float64
  /// gradient — values float32 could not hold at full precision or at all.
  int64_t below_float32_normal_count = 0;
  int64_t nonfinite_count = 0;  ///< NaN or infinite elements
};

/// Gradient of one trainable variable w and its size relative to the variable.
struct VariableGradientStats {
  std::string name;              ///< "dense_1/kernel"
  /// What the variable is to its layer: the name the layer gave it (Keras's Variable.name, without
  /// the layer's path): "kernel", "bias", "recurrent_kernel", "gamma", "beta", "kernel_norm/gamma".
  /// Printers pick a layer's kernel by it.
  std::string role;
  double grad_norm = 0;          ///< ||dL/dw||_2
  double max_abs_grad = 0;       ///< max |dL/dw|
  double weight_norm = 0;        ///< ||w||_2
  /// ||dL/dw||_2 / ||w||_2: roughly the relative change one SGD step of rate 1 makes; 0 when the
  /// gradient is 0, +infinity when w is all zeros but its gradient is not (a fresh bias).
  double grad_to_weight_ratio = 0;
};

/// Float32's smallest positive normal number, 2^-126.
inline constexpr double kFloat32MinNormal = static_cast<double>(std::numeric_limits<float>::min());

/// The activation applied last by `layer`: a Dense's, Conv2D's or Conv1D's activation option, an Activation layer's
/// function, a SimpleRNN's activation, or "linear" for every other layer.
std::string layer_activation(const LayerImpl& layer);

/// Forward statistics of `output` produced by `activation` (a name from activation_names()).
/// Units are the last axis; a rank-0 output is one unit.
ForwardStats forward_stats(const Tensor& output, std::string_view activation,
                           const SaturationThresholds& thresholds = {});

/// Gradient statistics of `grad`; all zero for an undefined tensor (no gradient reached it).
GradientStats gradient_stats(const Tensor& grad);

/// Merges the statistics of several gradients as if they were one concatenated tensor (the inputs
/// of a merge layer): norms add in quadrature, counts add.
GradientStats combine(const std::vector<GradientStats>& parts);

/// The role of the variable called `variable` in the layer called `layer`: the variable's name
/// without the "layer/" its layer put in front (variable_role("dense_1", "dense_1/kernel") is
/// "kernel"); the whole name when it does not start with it.
std::string variable_role(std::string_view layer, std::string_view variable);

/// Statistics of the gradient `grad` of variable `variable` of the layer called `layer` (an
/// undefined `grad` counts as zero); the role is variable_role(layer, variable.name()).
VariableGradientStats variable_gradient_stats(const Variable& variable, const Tensor& grad, std::string_view layer = {});

}  // namespace gradlab
