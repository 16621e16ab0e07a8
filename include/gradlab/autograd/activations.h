#pragma once
/// Differentiable activation functions with Keras's names and definitions, and lookup by name.
///
///   Tensor h = relu(matmul(x, w));
///   ActivationFn f = get_activation("tanh");   // throws Error listing valid names if unknown
///
/// Where Keras and PyTorch differ the Keras (3.x) definition is used and PyTorch's noted:
/// leaky_relu's default slope is 0.2 (PyTorch: 0.01); hard_sigmoid is relu6(x + 3) / 6 (Keras 3 and
/// PyTorch; Keras 2 used clip(0.2x + 0.5)); gelu is exact (erf) unless approximate (tanh form).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Identity; the default activation of Dense.
Tensor linear(const Tensor& x);
/// max(x, 0); gradient 0 at x <= 0, 1 above.
Tensor relu(const Tensor& x);
/// Keras's default negative slope of leaky_relu (PyTorch: 0.01).
inline constexpr double kLeakyReluSlope = 0.2;
/// Keras's default alpha of elu.
inline constexpr double kEluAlpha = 1.0;

/// x if x > 0 else negative_slope * x.
Tensor leaky_relu(const Tensor& x, double negative_slope = kLeakyReluSlope);
/// x if x > 0 else alpha * (exp(x) - 1) (Clevert et al., 2015).
Tensor elu(const Tensor& x, double alpha = kEluAlpha);
/// scale * elu(x, alpha) with alpha = 1.67326324, scale = 1.05070098 (Klambauer et al., 2017).
Tensor selu(const Tensor& x);
/// x * Phi(x) (exact), or 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))) when approximate.
Tensor gelu(const Tensor& x, bool approximate = false);
/// 1 / (1 + exp(-x)), computed without overflow.
Tensor sigmoid(const Tensor& x);
/// relu6(x + 3) / 6: 0 below -3, 1 above 3, linear between.
Tensor hard_sigmoid(const Tensor& x);
/// Hyperbolic tangent.
Tensor tanh(const Tensor& x);
/// log(1 + exp(x)), computed without overflow.
Tensor softplus(const Tensor& x);
/// x / (1 + |x|).
Tensor softsign(const Tensor& x);
/// x * sigmoid(x) (Ramachandran et al., 2017); the same function as silu.
Tensor swish(const Tensor& x);
Tensor silu(const Tensor& x);
/// exp(x) / sum(exp(x)) along `axis`, shifted by the max for stability.
Tensor softmax(const Tensor& x, int64_t axis = -1);
/// x - log(sum(exp(x))) along `axis`, computed stably.
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

/// An activation as a function of one tensor.
using ActivationFn = std::function<Tensor(const Tensor&)>;
/// The activation called `name` ("relu", "tanh", ... as listed by activation_names()).
ActivationFn get_activation(std::string_view name);
/// Every name get_activation() accepts.
const std::vector<std::string>& activation_names();
/// True for the saturating activations (sigmoid, hard_sigmoid, tanh, softsign).
bool is_saturating(std::string_view name);

}  // namespace gradlab
