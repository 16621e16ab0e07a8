#pragma once
// Reductions over one group of axes of a tensor viewed as [outer, reduce, inner]; reductions over
// several separated axis groups are done one group at a time by the caller.
#include <cstdint>
#include <vector>

namespace gradlab::kernels {

/// out[o, i] = sum over r of x[o, r, i]; out has outer * inner elements. float32 sums accumulate in
/// double when reducing contiguous rows (the all-elements and last-axis cases).
template <typename T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t reduce, int64_t inner);

/// out[o, i] = max over r of x[o, r, i] (NaN propagates); `reduce` must be positive.
template <typename T>
void max_axis(const T* x, T* out, int64_t outer, int64_t reduce, int64_t inner);

/// Gradient of a max reduction: for every output element, `g` goes to the first input element (in
/// row-major order) equal to the maximum; every other element of `gx` is 0. `out_strides` maps each
/// input dimension to the output (0 along reduced dimensions).
template <typename T>
void max_backward(const T* x, const T* max, const T* g, T* gx, const std::vector<int64_t>& dims,
                  const std::vector<int64_t>& out_strides, int64_t out_numel);

/// A contiguous sum of n elements (double accumulation for float32).
template <typename T>
T sum_all(const T* x, int64_t n);

}  // namespace gradlab::kernels
