#pragma once
// Building blocks for element-wise differentiable ops: a unary op from a forward and a derivative
// functor, and the broadcasting forward loop of binary ops. The functors are generic lambdas called
// with float or double, inlined into the kernel loops.
#include <span>
#include <vector>

#include "autograd/op_checks.h"
#include "gradlab/autograd/record.h"
#include "gradlab/autograd/shape_ops.h"
#include "kernels/elementwise.h"

namespace gradlab::detail {

/// What a unary op's derivative is computed from.
enum class Saved {
  input,   ///< derivative(g, x)
  output,  ///< derivative(g, y): cheaper where y determines the slope (relu, sigmoid, tanh, exp)
  both,    ///< derivative(g, x, y)
};

/// y = forward(x) element-wise, recorded with the rule gx = derivative(g, saved...).
template <Saved kSaved, typename Forward, typename Derivative>
Tensor unary_op(const char* op, const Tensor& x, Forward forward, Derivative derivative) {
  require_defined(x, op);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::map(x.data<T>(), y.data<T>(), x.numel(), [&](T v) { return static_cast<T>(forward(v)); });
  });
  if (should_record({x})) {
    Tensor saved_x = kSaved == Saved::output ? Tensor() : x;
    Tensor saved_y = kSaved == Saved::input ? Tensor() : y;
    record(op, {x}, y, [saved_x, saved_y, derivative](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = Tensor::empty(g.shape(), g.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const int64_t n = g.numel();
        if constexpr (kSaved == Saved::input) {
          kernels::map(g.data<T>(), saved_x.data<T>(), gx.data<T>(), n,
                       [&](T a, T b) { return static_cast<T>(derivative(a, b)); });
        } else if constexpr (kSaved == Saved::output) {
          kernels::map(g.data<T>(), saved_y.data<T>(), gx.data<T>(), n,
                       [&](T a, T b) { return static_cast<T>(derivative(a, b)); });
        } else {
          kernels::map(g.data<T>(), saved_x.data<T>(), saved_y.data<T>(), gx.data<T>(), n,
                       [&](T a, T b, T c) { return static_cast<T>(derivative(a, b, c)); });
        }
      });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

/// out = f(a, b) with NumPy broadcasting, not recorded. Same shapes, a scalar operand and a
/// trailing-vector operand ([N, C] with [C], the bias add) take loops without index arithmetic.
template <typename F>
Tensor broadcast_binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  require_defined(a, op, "first input");
  require_defined(b, op, "second input");
  require_same_dtype(a, b, op);
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  const bool same = sa == sb;
  // [..., C] with [C] (or [1, C]): the bias add, whose result has a's shape.
  const bool row_vector = !same && sb.rank() >= 1 && sb.rank() <= sa.rank() && sb[-1] == sa[-1] &&
                          b.numel() == sb[-1] && a.numel() > 0;
  Tensor out = Tensor::empty(same || row_vector ? sa : broadcast_shape(sa, sb, op), a.dtype());
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const int64_t n = out.numel();
    if (same) {
      kernels::map(pa, pb, po, n, [&](T u, T v) { return static_cast<T>(f(u, v)); });
    } else if (b.numel() == 1) {
      const T vb = pb[0];
      kernels::map(pa, po, n, [&](T u) { return static_cast<T>(f(u, vb)); });
    } else if (a.numel() == 1) {
      const T va = pa[0];
      kernels::map(pb, po, n, [&](T v) { return static_cast<T>(f(va, v)); });
    } else if (row_vector) {
      const int64_t c = sb[-1];
      for (int64_t row = 0; row < n / c; ++row) {
        kernels::map(pa + row * c, pb, po + row * c, c, [&](T u, T v) { return static_cast<T>(f(u, v)); });
      }
    } else {
      const kernels::BroadcastPlan plan = kernels::make_broadcast_plan(out.shape().dims(), sa.dims(), sb.dims());
      kernels::broadcast_map(plan, pa, pb, po, [&](T u, T v) { return static_cast<T>(f(u, v)); });
    }
  });
  return out;
}

}  // namespace gradlab::detail
