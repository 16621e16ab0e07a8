#pragma once
// Optimizer update loops over raw parameter, gradient and slot buffers, with Keras 3's formulas and
// operation order. Every loop first turns the raw gradient into the one the update uses and applies
// decoupled weight decay, so that clipping and decay cost no extra pass and no buffer.
#include <cstdint>
#include <limits>

namespace gradlab::kernels {

/// What every update does before its own rule, element by element:
///   g = clamp(scale * g, -clip_value, clip_value)   (clipnorm / global_clipnorm give the scale,
///                                                    clipvalue the bound; infinity: no clamp)
///   w = w - (w * weight_decay) * learning_rate      (Keras 3's decoupled decay; 0: none)
template <typename T>
struct UpdateCommon {
  T learning_rate = 0;
  T grad_scale = 1;
  T clip_value = std::numeric_limits<T>::infinity();
  T weight_decay = 0;
};

/// Keras SGD. Without momentum: w -= lr g. With momentum (velocity non-null):
/// v = momentum v - lr g; w += v, or w += momentum v - lr g when nesterov.
template <typename T>
void sgd_update(T* w, const T* g, T* velocity, int64_t n, const UpdateCommon<T>& c, T momentum,
                bool nesterov);

/// Keras Adam at step t (1-based): m += (g - m)(1 - beta_1); v += (g^2 - v)(1 - beta_2);
/// v_hat = max(v_hat, v) when amsgrad (v_hat non-null); w -= alpha m / (sqrt(v or v_hat) + epsilon)
/// with alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), computed by the caller.
template <typename T>
void adam_update(T* w, const T* g, T* m, T* v, T* v_hat, int64_t n, const UpdateCommon<T>& c, T alpha,
                 T one_minus_beta_1, T one_minus_beta_2, T epsilon);

/// Keras RMSprop: v = rho v + (1 - rho) g^2; centered (mean_grad non-null): a = rho a + (1 - rho) g,
/// d = v - a^2 + epsilon, else d = v + epsilon; step = lr g / sqrt(d); with momentum (buffer
/// non-null) b = momentum b + step, w -= b; else w -= step.
template <typename T>
void rmsprop_update(T* w, const T* g, T* v, T* mean_grad, T* buffer, int64_t n, const UpdateCommon<T>& c,
                    T rho, T one_minus_rho, T momentum, T epsilon);

/// Keras Adagrad: acc += g^2; w -= lr g / sqrt(acc + epsilon).
template <typename T>
void adagrad_update(T* w, const T* g, T* accumulator, int64_t n, const UpdateCommon<T>& c, T epsilon);

/// sum(x^2) accumulated in double; `finite` becomes false if any element is inf or NaN.
template <typename T>
double sum_of_squares(const T* x, int64_t n, bool& finite);

}  // namespace gradlab::kernels
