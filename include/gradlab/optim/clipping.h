#pragma once
/// Gradient clipping, the remedy for exploding gradients (Pascanu, Mikolov & Bengio 2013, "On the
/// difficulty of training recurrent neural networks"), as the functions Keras and TensorFlow use.
/// Optimizers apply the same rules through their clipnorm / global_clipnorm / clipvalue options
/// (fused into the update loops); these functions are for inspecting or clipping by hand.
///
///   double before = global_norm(grads);                       // what a probe reports
///   std::vector<Tensor> clipped = clip_by_global_norm(grads, 1.0);
///   if (!all_finite(grads)) { ... skip the step, lower the learning rate ... }
///
/// Rules (g a gradient, c the threshold, ||.|| the Euclidean norm):
///   clip_by_norm:         g * c / max(||g||, c)                  per tensor (Keras clipnorm)
///   clip_by_global_norm:  g * c / max(N, c), N = sqrt(sum ||g_i||^2) over all tensors, so the
///                         direction of the joint update is kept (Keras global_clipnorm,
///                         tf.clip_by_global_norm); a non-finite N makes every result NaN, as in TF
///   clip_by_value:        min(max(g, -c), c) element-wise (Keras clipvalue; changes direction)
/// PyTorch's clip_grad_norm_ scales by c / (N + 1e-6) when N > c instead, and leaves non-finite
/// gradients unscaled unless error_if_nonfinite.

#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// sqrt(sum of squares of every element of every defined tensor), accumulated in double; inf or NaN
/// if any element is. Undefined tensors (unconnected gradients) are skipped.
double global_norm(const std::vector<Tensor>& tensors);
/// True when every element of every defined tensor is finite.
bool all_finite(const std::vector<Tensor>& tensors);
/// g scaled by c / max(||g||, c); g itself (a copy) when its norm is at most c. c must be positive.
Tensor clip_by_norm(const Tensor& g, double clip_norm);
/// Every g scaled by c / max(N, c) for the global norm N; `norm_out`, when given, receives N.
std::vector<Tensor> clip_by_global_norm(const std::vector<Tensor>& grads, double clip_norm,
                                        double* norm_out = nullptr);
/// g clamped element-wise to [-c, c]; NaN stays NaN. c must be positive.
Tensor clip_by_value(const Tensor& g, double clip_value);

}  // namespace gradlab
