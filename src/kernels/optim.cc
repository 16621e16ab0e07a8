#include "kernels/optim.h"

#include <cmath>

namespace gradlab::kernels {
namespace {

// The clamp is written with comparisons that let NaN through, as tf.clip_by_value does.
template <typename T>
inline T prepared_gradient(T g, const UpdateCommon<T>& c) {
  const T s = g * c.grad_scale;
  return s > c.clip_value ? c.clip_value : (s < -c.clip_value ? -c.clip_value : s);
}

template <typename T>
inline T decayed(T w, const UpdateCommon<T>& c) {
  return w - (w * c.weight_decay) * c.learning_rate;
}

}  // namespace

template <typename T>
void sgd_update(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ velocity, int64_t n,
                const UpdateCommon<T>& c, T momentum, bool nesterov) {
  const T lr = c.learning_rate;
  if (!velocity) {
    for (int64_t i = 0; i < n; ++i) w[i] = decayed(w[i], c) - prepared_gradient(g[i], c) * lr;
    return;
  }
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const T gi = prepared_gradient(g[i], c);
      const T v = velocity[i] * momentum - gi * lr;
      velocity[i] = v;
      w[i] = decayed(w[i], c) + (v * momentum - gi * lr);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const T v = velocity[i] * momentum - prepared_gradient(g[i], c) * lr;
    velocity[i] = v;
    w[i] = decayed(w[i], c) + v;
  }
}

template <typename T>
void adam_update(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                 T* __restrict__ v_hat, int64_t n, const UpdateCommon<T>& c, T alpha, T one_minus_beta_1,
                 T one_minus_beta_2, T epsilon) {
  for (int64_t i = 0; i < n; ++i) {
    const T gi = prepared_gradient(g[i], c);
    const T mi = m[i] + (gi - m[i]) * one_minus_beta_1;
    T vi = v[i] + (gi * gi - v[i]) * one_minus_beta_2;
    m[i] = mi;
    v[i] = vi;
    if (v_hat) {
      vi = v_hat[i] > vi ? v_hat[i] : vi;
      v_hat[i] = vi;
    }
    w[i] = decayed(w[i], c) - (mi * alpha) / (std::sqrt(vi) + epsilon);
  }
}

template <typename T>
void rmsprop_update(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ v, T* __restrict__ mean_grad,
                    T* __restrict__ buffer, int64_t n, const UpdateCommon<T>& c, T rho, T one_minus_rho,
                    T momentum, T epsilon) {
  const T lr = c.learning_rate;
  for (int64_t i = 0; i < n; ++i) {
    const T gi = prepared_gradient(g[i], c);
    const T vi = rho * v[i] + one_minus_rho * (gi * gi);
    v[i] = vi;
    T denominator;
    if (mean_grad) {
      const T ai = rho * mean_grad[i] + one_minus_rho * gi;
      mean_grad[i] = ai;
      denominator = vi - ai * ai + epsilon;
    } else {
      denominator = vi + epsilon;
    }
    const T step = (lr * gi) / std::sqrt(denominator);
    if (buffer) {
      const T b = momentum * buffer[i] + step;
      buffer[i] = b;
      w[i] = decayed(w[i], c) - b;
    } else {
      w[i] = decayed(w[i], c) - step;
    }
  }
}

template <typename T>
void adagrad_update(T* __restrict__ w, const T* __restrict__ g, T* __restrict__ accumulator, int64_t n,
                    const UpdateCommon<T>& c, T epsilon) {
  const T lr = c.learning_rate;
  for (int64_t i = 0; i < n; ++i) {
    const T gi = prepared_gradient(g[i], c);
    const T acc = accumulator[i] + gi * gi;
    accumulator[i] = acc;
    w[i] = decayed(w[i], c) - (lr * gi) / std::sqrt(acc + epsilon);
  }
}

template <typename T>
double sum_of_squares(const T* __restrict__ x, int64_t n, bool& finite) {
  // Sixteen independent partial sums instead of one chain of dependent additions, which the
  // compiler may not reorder: the loop vectorizes and runs about 5x faster on the gradients of a
  // 3M-parameter MLP (bench/train_step.cc). The order is fixed, so the result is the same every run.
  // x * 0 is 0 for finite x and NaN for inf or NaN: a branch-free probe that vectorizes as well.
  constexpr int64_t kLanes = 16;
  double totals[kLanes] = {}, probes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) {
      const double v = static_cast<double>(x[i + j]);
      totals[j] += v * v;
      probes[j] += v * 0.0;
    }
  }
  double total = 0, probe = 0;
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    total += v * v;
    probe += v * 0.0;
  }
  for (int64_t j = 0; j < kLanes; ++j) {
    total += totals[j];
    probe += probes[j];
  }
  if (std::isnan(probe)) finite = false;
  return total;
}

#define GRADLAB_OPTIM_INSTANTIATE(T)                                                                      \
  template void sgd_update<T>(T*, const T*, T*, int64_t, const UpdateCommon<T>&, T, bool);                \
  template void adam_update<T>(T*, const T*, T*, T*, T*, int64_t, const UpdateCommon<T>&, T, T, T, T);    \
  template void rmsprop_update<T>(T*, const T*, T*, T*, T*, int64_t, const UpdateCommon<T>&, T, T, T, T); \
  template void adagrad_update<T>(T*, const T*, T*, int64_t, const UpdateCommon<T>&, T);                  \
  template double sum_of_squares<T>(const T*, int64_t, bool&);
GRADLAB_OPTIM_INSTANTIATE(float)
GRADLAB_OPTIM_INSTANTIATE(double)
#undef GRADLAB_OPTIM_INSTANTIATE

}  // namespace gradlab::kernels
