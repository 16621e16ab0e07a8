#include "kernels/losses.h"

#include <cmath>

#include "kernels/softmax.h"

namespace gradlab::kernels {
namespace {

template <typename Fn>
void for_each_line(int64_t outer, int64_t n, int64_t inner, Fn&& fn) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) fn(o * n * inner + i, o * inner + i);
  }
}

// Keras converts 1 - epsilon in double and then to the tensor's dtype; so do we, so that float32
// clips at exactly the same bound.
template <typename T>
struct ClipRange {
  explicit ClipRange(double epsilon) : low(static_cast<T>(epsilon)), high(static_cast<T>(1.0 - epsilon)) {}
  T clip(T v) const { return v < low ? low : (v > high ? high : v); }
  // tf.clip_by_value passes the gradient on the closed interval.
  bool inside(T v) const { return v >= low && v <= high; }
  T low, high;
};

}  // namespace

template <typename T>
void softmax_cross_entropy(const T* logits, const T* labels, T* log_probs, T* loss, int64_t outer, int64_t n,
                           int64_t inner) {
  log_softmax(logits, log_probs, outer, n, inner);
  for_each_line(outer, n, inner, [&](int64_t base, int64_t row) {
    T total = 0;
    for (int64_t r = 0; r < n; ++r) total -= labels[base + r * inner] * log_probs[base + r * inner];
    loss[row] = total;
  });
}

template <typename T>
void softmax_cross_entropy_backward(const T* log_probs, const T* labels, const T* g, T* g_logits, T* g_labels,
                                    int64_t outer, int64_t n, int64_t inner) {
  for_each_line(outer, n, inner, [&](int64_t base, int64_t row) {
    const T gr = g[row];
    if (g_logits) {
      // Smoothed or unnormalized labels need their sum; one-hot labels give softmax - onehot.
      T label_sum = 0;
      for (int64_t r = 0; r < n; ++r) label_sum += labels[base + r * inner];
      for (int64_t r = 0; r < n; ++r) {
        const int64_t k = base + r * inner;
        g_logits[k] = gr * (std::exp(log_probs[k]) * label_sum - labels[k]);
      }
    }
    if (g_labels) {
      for (int64_t r = 0; r < n; ++r) g_labels[base + r * inner] = -gr * log_probs[base + r * inner];
    }
  });
}

template <typename T>
void sparse_softmax_cross_entropy(const T* logits, const int64_t* labels, T* log_probs, T* loss, int64_t rows,
                                  int64_t n) {
  log_softmax(logits, log_probs, rows, n, int64_t{1});
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t label = labels[row];
    loss[row] = label < 0 ? T(0) : -log_probs[row * n + label];
  }
}

template <typename T>
void sparse_softmax_cross_entropy_backward(const T* log_probs, const int64_t* labels, const T* g, T* g_logits,
                                           int64_t rows, int64_t n) {
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t label = labels[row];
    const T* lp = log_probs + row * n;
    T* out = g_logits + row * n;
    if (label < 0) {
      for (int64_t r = 0; r < n; ++r) out[r] = 0;
      continue;
    }
    const T gr = g[row];
    for (int64_t r = 0; r < n; ++r) out[r] = gr * std::exp(lp[r]);
    out[label] -= gr;
  }
}

template <typename T>
void sigmoid_cross_entropy(const T* x, const T* z, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    out[i] = (v > T(0) ? v : T(0)) - v * z[i] + std::log1p(std::exp(-std::abs(v)));
  }
}

template <typename T>
void sigmoid_cross_entropy_backward(const T* x, const T* z, const T* g, T* gx, T* gz, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    // sigmoid from the side where exp cannot overflow.
    const T e = std::exp(-std::abs(v));
    const T s = v >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
    if (gx) gx[i] = g[i] * (s - z[i]);
    if (gz) gz[i] = -g[i] * v;
  }
}

template <typename T>
void binary_crossentropy(const T* p, const T* z, T* out, int64_t n, double epsilon) {
  const ClipRange<T> range(epsilon);
  for (int64_t i = 0; i < n; ++i) {
    const T q = range.clip(p[i]);
    out[i] = -(z[i] * std::log(q) + (T(1) - z[i]) * std::log(T(1) - q));
  }
}

template <typename T>
void binary_crossentropy_backward(const T* p, const T* z, const T* g, T* gp, T* gz, int64_t n,
                                  double epsilon) {
  const ClipRange<T> range(epsilon);
  for (int64_t i = 0; i < n; ++i) {
    const T q = range.clip(p[i]);
    if (gp) gp[i] = range.inside(p[i]) ? g[i] * ((T(1) - z[i]) / (T(1) - q) - z[i] / q) : T(0);
    if (gz) gz[i] = -g[i] * (std::log(q) - std::log(T(1) - q));
  }
}

template <typename T>
void categorical_crossentropy(const T* p, const T* z, T* loss, int64_t outer, int64_t n, int64_t inner,
                              double epsilon) {
  const ClipRange<T> range(epsilon);
  for_each_line(outer, n, inner, [&](int64_t base, int64_t row) {
    T sum = 0;
    for (int64_t r = 0; r < n; ++r) sum += p[base + r * inner];
    T total = 0;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t k = base + r * inner;
      total -= z[k] * std::log(range.clip(p[k] / sum));
    }
    loss[row] = total;
  });
}

template <typename T>
void categorical_crossentropy_backward(const T* p, const T* z, const T* g, T* gp, T* gz, int64_t outer,
                                       int64_t n, int64_t inner, double epsilon) {
  const ClipRange<T> range(epsilon);
  for_each_line(outer, n, inner, [&](int64_t base, int64_t row) {
    const T gr = g[row];
    T sum = 0;
    for (int64_t r = 0; r < n; ++r) sum += p[base + r * inner];
    // dL/dq_j = -g z_j / q_j where q_j is unclipped, 0 where the clip holds it; then through
    // q = p / sum(p): dL/dp_k = (dL/dq_k - sum_j dL/dq_j q_j) / sum(p).
    T dot = 0;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t k = base + r * inner;
      const T q = p[k] / sum;
      if (range.inside(q)) dot += -gr * z[k];
    }
    for (int64_t r = 0; r < n; ++r) {
      const int64_t k = base + r * inner;
      const T q = p[k] / sum;
      if (gp) gp[k] = ((range.inside(q) ? -gr * z[k] / q : T(0)) - dot) / sum;
      if (gz) gz[k] = -gr * std::log(range.clip(q));
    }
  });
}

#define GRADLAB_LOSSES_INSTANTIATE(T)                                                                        \
  template void softmax_cross_entropy<T>(const T*, const T*, T*, T*, int64_t, int64_t, int64_t);             \
  template void softmax_cross_entropy_backward<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t,    \
                                                  int64_t);                                                  \
  template void sparse_softmax_cross_entropy<T>(const T*, const int64_t*, T*, T*, int64_t, int64_t);         \
  template void sparse_softmax_cross_entropy_backward<T>(const T*, const int64_t*, const T*, T*, int64_t,    \
                                                         int64_t);                                           \
  template void sigmoid_cross_entropy<T>(const T*, const T*, T*, int64_t);                                   \
  template void sigmoid_cross_entropy_backward<T>(const T*, const T*, const T*, T*, T*, int64_t);            \
  template void binary_crossentropy<T>(const T*, const T*, T*, int64_t, double);                             \
  template void binary_crossentropy_backward<T>(const T*, const T*, const T*, T*, T*, int64_t, double);      \
  template void categorical_crossentropy<T>(const T*, const T*, T*, int64_t, int64_t, int64_t, double);      \
  template void categorical_crossentropy_backward<T>(const T*, const T*, const T*, T*, T*, int64_t, int64_t, \
                                                     int64_t, double);
GRADLAB_LOSSES_INSTANTIATE(float)
GRADLAB_LOSSES_INSTANTIATE(double)
#undef GRADLAB_LOSSES_INSTANTIATE

}  // namespace gradlab::kernels
