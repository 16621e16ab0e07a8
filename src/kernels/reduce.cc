#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/indexing.h"

namespace gradlab::kernels {
namespace {

// Several independent accumulators break the add dependency chain, so the loop vectorizes without
// reassociation flags; float32 inputs are widened to double for accuracy at the same cost.
template <typename T>
double sum_contiguous(const T* __restrict__ x, int64_t n) {
  constexpr int kLanes = 8;
  double acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) acc[j] += static_cast<double>(x[i + j]);
  }
  double total = 0;
  for (; i < n; ++i) total += static_cast<double>(x[i]);
  for (int j = 0; j < kLanes; ++j) total += acc[j];
  return total;
}

template <typename T>
T max_of(T a, T b) {
  return (b > a || std::isnan(b)) && !std::isnan(a) ? b : a;
}

}  // namespace

template <typename T>
T sum_all(const T* x, int64_t n) {
  return static_cast<T>(sum_contiguous(x, n));
}

template <typename T>
void sum_axis(const T* x, T* out, int64_t outer, int64_t reduce, int64_t inner) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) out[o] = static_cast<T>(sum_contiguous(x + o * reduce, reduce));
    return;
  }
  for (int64_t o = 0; o < outer; ++o) {
    T* __restrict__ row_out = out + o * inner;
    const T* block = x + o * reduce * inner;
    std::fill(row_out, row_out + inner, T(0));
    for (int64_t r = 0; r < reduce; ++r) {
      const T* __restrict__ row = block + r * inner;
      for (int64_t i = 0; i < inner; ++i) row_out[i] += row[i];
    }
  }
}

template <typename T>
void max_axis(const T* x, T* out, int64_t outer, int64_t reduce, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    T* __restrict__ row_out = out + o * inner;
    const T* block = x + o * reduce * inner;
    std::copy(block, block + inner, row_out);
    for (int64_t r = 1; r < reduce; ++r) {
      const T* __restrict__ row = block + r * inner;
      for (int64_t i = 0; i < inner; ++i) row_out[i] = max_of(row_out[i], row[i]);
    }
  }
}

template <typename T>
void max_backward(const T* x, const T* max, const T* g, T* gx, const std::vector<int64_t>& dims,
                  const std::vector<int64_t>& out_strides, int64_t out_numel) {
  std::vector<unsigned char> taken(static_cast<std::size_t>(out_numel), 0);
  const std::vector<int64_t> in_strides = contiguous_strides(dims);
  const std::size_t last = dims.size() - 1;
  const int64_t n = dims[last];
  const int64_t so = out_strides[last];
  for_each_row<2>(dims, {&in_strides, &out_strides}, [&](const auto& off) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t in = off[0] + i, o = off[1] + i * so;
      const T v = x[in], m = max[o];
      // NaN == NaN is false; a NaN maximum takes the first NaN.
      const bool is_max = v == m || (std::isnan(v) && std::isnan(m));
      if (is_max && !taken[o]) {
        taken[o] = 1;
        gx[in] = g[o];
      } else {
        gx[in] = T(0);
      }
    }
  });
}

template float sum_all<float>(const float*, int64_t);
template double sum_all<double>(const double*, int64_t);
template void sum_axis<float>(const float*, float*, int64_t, int64_t, int64_t);
template void sum_axis<double>(const double*, double*, int64_t, int64_t, int64_t);
template void max_axis<float>(const float*, float*, int64_t, int64_t, int64_t);
template void max_axis<double>(const double*, double*, int64_t, int64_t, int64_t);
template void max_backward<float>(const float*, const float*, const float*, float*, const std::vector<int64_t>&,
                                  const std::vector<int64_t>&, int64_t);
template void max_backward<double>(const double*, const double*, const double*, double*,
                                   const std::vector<int64_t>&, const std::vector<int64_t>&, int64_t);

}  // namespace gradlab::kernels
