#include "kernels/softmax.h"

#include <cmath>
#include <limits>

namespace gradlab::kernels {
namespace {

// Calls fn(base, stride) for each line along the middle axis; lines are contiguous when inner == 1.
template <typename Fn>
void for_each_line(int64_t outer, int64_t n, int64_t inner, Fn&& fn) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) fn(o * n * inner + i, inner);
  }
}

template <typename T>
T line_max(const T* x, int64_t n, int64_t s) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t r = 0; r < n; ++r) m = x[r * s] > m ? x[r * s] : m;
  // An all -inf line would give inf - inf = NaN; shifting by 0 keeps exp(-inf) = 0 instead.
  return std::isinf(m) ? T(0) : m;
}

}  // namespace

template <typename T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  for_each_line(outer, n, inner, [&](int64_t base, int64_t s) {
    const T* xs = x + base;
    T* ys = y + base;
    const T m = line_max(xs, n, s);
    T total = 0;
    for (int64_t r = 0; r < n; ++r) total += (ys[r * s] = std::exp(xs[r * s] - m));
    const T scale = T(1) / total;
    for (int64_t r = 0; r < n; ++r) ys[r * s] *= scale;
  });
}

template <typename T>
void log_softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  for_each_line(outer, n, inner, [&](int64_t base, int64_t s) {
    const T* xs = x + base;
    T* ys = y + base;
    const T m = line_max(xs, n, s);
    T total = 0;
    for (int64_t r = 0; r < n; ++r) total += std::exp(xs[r * s] - m);
    // (x - max) - log(total), not x - (max + log(total)): the latter rounds at the scale of max.
    const T log_total = std::log(total);
    for (int64_t r = 0; r < n; ++r) ys[r * s] = (xs[r * s] - m) - log_total;
  });
}

template <typename T>
void softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner) {
  for_each_line(outer, n, inner, [&](int64_t base, int64_t s) {
    T dot = 0;
    for (int64_t r = 0; r < n; ++r) dot += g[base + r * s] * y[base + r * s];
    for (int64_t r = 0; r < n; ++r) gx[base + r * s] = y[base + r * s] * (g[base + r * s] - dot);
  });
}

template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner) {
  for_each_line(outer, n, inner, [&](int64_t base, int64_t s) {
    T total = 0;
    for (int64_t r = 0; r < n; ++r) total += g[base + r * s];
    for (int64_t r = 0; r < n; ++r) gx[base + r * s] = g[base + r * s] - std::exp(y[base + r * s]) * total;
  });
}

#define GRADLAB_SOFTMAX_INSTANTIATE(T)                                               \
  template void softmax<T>(const T*, T*, int64_t, int64_t, int64_t);                 \
  template void log_softmax<T>(const T*, T*, int64_t, int64_t, int64_t);             \
  template void softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void log_softmax_backward<T>(const T*, const T*, T*, int64_t, int64_t, int64_t);
GRADLAB_SOFTMAX_INSTANTIATE(float)
GRADLAB_SOFTMAX_INSTANTIATE(double)
#undef GRADLAB_SOFTMAX_INSTANTIATE

}  // namespace gradlab::kernels
