#pragma once
// Element-wise loops: unary maps, same-shape binary maps and NumPy-style broadcasting binary maps.
// The functors are template parameters, so each loop body inlines to straight-line code the
// compiler can vectorize; nothing here allocates per element.
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/indexing.h"

namespace gradlab::kernels {

/// y[i] = f(x[i]).
template <typename T, typename F>
void map(const T* __restrict__ x, T* __restrict__ y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

/// y[i] = f(a[i], b[i]).
template <typename T, typename F>
void map(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i]);
}

/// y[i] = f(a[i], b[i], c[i]).
template <typename T, typename F>
void map(const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ c, T* __restrict__ y,
         int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(a[i], b[i], c[i]);
}

/// How two operands broadcast to a result: collapsed result dimensions and each operand's element
/// strides over them (0 along a broadcast dimension).
struct BroadcastPlan {
  std::vector<int64_t> dims;
  std::vector<int64_t> a_strides;
  std::vector<int64_t> b_strides;
  std::vector<int64_t> out_strides;
};

/// The plan for operands of shapes `a` and `b` and the result shape `out` (their broadcast shape).
BroadcastPlan make_broadcast_plan(std::span<const int64_t> out, std::span<const int64_t> a,
                                  std::span<const int64_t> b);

/// Element strides of an operand of shape `in` read as if broadcast to `out` (right-aligned; 0 where
/// the operand's dimension is 1 or missing).
std::vector<int64_t> broadcast_strides(std::span<const int64_t> out, std::span<const int64_t> in);

/// out = f(a, b) over the broadcast shape described by `plan`.
template <typename T, typename F>
void broadcast_map(const BroadcastPlan& plan, const T* a, const T* b, T* out, F f) {
  const std::size_t last = plan.dims.size() - 1;
  const int64_t n = plan.dims[last];
  const int64_t sa = plan.a_strides[last], sb = plan.b_strides[last];
  for_each_row<3>(plan.dims, {&plan.a_strides, &plan.b_strides, &plan.out_strides}, [&](const auto& off) {
    const T* __restrict__ pa = a + off[0];
    const T* __restrict__ pb = b + off[1];
    T* __restrict__ po = out + off[2];
    // The inner strides are 0 or 1 only; one loop per case keeps each of them unit-stride.
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (sa == 1) {
      const T vb = pb[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    } else if (sb == 1) {
      const T va = pa[0];
      for (int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    } else {
      const T v = f(pa[0], pb[0]);
      for (int64_t i = 0; i < n; ++i) po[i] = v;
    }
  });
}

}  // namespace gradlab::kernels
