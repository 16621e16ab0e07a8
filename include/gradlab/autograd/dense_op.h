#pragma once
/// dense: the fused differentiable op behind the Dense layer, activation(x @ kernel + bias).
///
///   Tensor y = dense(x, kernel, bias, "relu");   // x [N, in], kernel [in, out], bias [out] -> [N, out]
///   Tensor z = dense(x, kernel, Tensor(), "linear");   // no bias
///
/// One matrix product, then bias and activation in a single pass over the output, recorded as one
/// tape node ("dense"). Backward multiplies the incoming gradient by the activation's derivative,
/// taken from the saved output where it determines the slope (linear, relu, sigmoid, tanh) and from
/// the saved pre-activation otherwise, then computes dx = dz kernel^T, dkernel = x^T dz and
/// dbias = sum over rows of dz, each only when asked for. Activations that are not element-wise
/// (softmax, log_softmax) run unfused, as matmul, add and the activation op.

#include <string_view>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// activation(x @ kernel + bias) for x [N, in], kernel [in, out] and bias [out] (undefined for no
/// bias); the activation is a name from activation_names() with its default parameters (leaky_relu
/// slope 0.2, elu alpha 1, exact gelu). Throws Error on rank, shape or dtype mismatches and unknown
/// activation names.
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, std::string_view activation);

}  // namespace gradlab
