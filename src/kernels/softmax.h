#pragma once
// Softmax and log-softmax along one axis of a tensor viewed as [outer, n, inner], max-shifted so
// that no exponential overflows.
#include <cstdint>

namespace gradlab::kernels {

/// y = exp(x - max) / sum(exp(x - max)) along the middle axis.
template <typename T>
void softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);
/// y = x - max - log(sum(exp(x - max))) along the middle axis.
template <typename T>
void log_softmax(const T* x, T* y, int64_t outer, int64_t n, int64_t inner);
/// gx = y * (g - sum(g * y)) along the middle axis, from softmax's output y.
template <typename T>
void softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner);
/// gx = g - exp(y) * sum(g) along the middle axis, from log_softmax's output y.
template <typename T>
void log_softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner);

}  // namespace gradlab::kernels
