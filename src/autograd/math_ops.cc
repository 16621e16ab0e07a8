#include "gradlab/autograd/math_ops.h"

#include <cmath>

#include "autograd/elementwise.h"
#include "gradlab/autograd/record.h"
#include "gradlab/autograd/shape_ops.h"
#include "kernels/blas.h"

namespace gradlab {

using detail::Saved;
using detail::unary_op;

namespace {

Tensor reduce_to(const Tensor& g, const Shape& shape) { return g.shape() == shape ? g : sum_to(g, shape); }

// The shape an operand's gradient must be summed to, or nothing when it has the output's shape
// (the common case, which then captures no heap-allocated shape).
struct ReduceTarget {
  bool needed = false;
  Shape shape;
  ReduceTarget(const Tensor& operand, const Tensor& out)
      : needed(operand.shape() != out.shape()), shape(needed ? operand.shape() : Shape()) {}
  Tensor operator()(const Tensor& g) const { return needed ? sum_to(g, shape) : g; }
};

// alpha * x + beta as one op, for the constant forms of +, -, * and /.
Tensor affine(const char* op, const Tensor& x, double alpha, double beta) {
  return unary_op<Saved::input>(
      op, x,
      [alpha, beta](auto v) {
        using T = decltype(v);
        return static_cast<T>(alpha) * v + static_cast<T>(beta);
      },
      [alpha](auto g, auto) {
        using T = decltype(g);
        return static_cast<T>(alpha) * g;
      });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary("add", a, b, [](auto u, auto v) { return u + v; });
  if (should_record({a, b})) {
    record("add", {a, b}, out, [ra = ReduceTarget(a, out), rb = ReduceTarget(b, out)](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? ra(g) : Tensor(), needs[1] ? rb(g) : Tensor()};
    });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary("sub", a, b, [](auto u, auto v) { return u - v; });
  if (should_record({a, b})) {
    record("sub", {a, b}, out, [ra = ReduceTarget(a, out), rb = ReduceTarget(b, out)](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? ra(g) : Tensor(), needs[1] ? neg(rb(g)) : Tensor()};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary("mul", a, b, [](auto u, auto v) { return u * v; });
  if (should_record({a, b})) {
    record("mul", {a, b}, out, [a, b](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? reduce_to(mul(g, b), a.shape()) : Tensor(),
                                 needs[1] ? reduce_to(mul(g, a), b.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = detail::broadcast_binary("div", a, b, [](auto u, auto v) { return u / v; });
  if (should_record({a, b})) {
    record("div", {a, b}, out, [sa = a.shape(), b, out](const Tensor& g, std::span<const bool> needs) {
      // d(a/b)/db = -(a/b)/b, so both gradients start from g / b.
      const Tensor g_over_b = div(g, b);
      return std::vector<Tensor>{needs[0] ? reduce_to(g_over_b, sa) : Tensor(),
                                 needs[1] ? neg(reduce_to(mul(g_over_b, out), b.shape())) : Tensor()};
    });
  }
  return out;
}

Tensor add(const Tensor& x, double c) { return affine("add_scalar", x, 1.0, c); }
Tensor mul(const Tensor& x, double c) { return affine("mul_scalar", x, c, 0.0); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& x, double c) { return add(x, c); }
Tensor operator+(double c, const Tensor& x) { return add(x, c); }
Tensor operator-(const Tensor& x, double c) { return affine("sub_scalar", x, 1.0, -c); }
Tensor operator-(double c, const Tensor& x) { return affine("rsub_scalar", x, -1.0, c); }
Tensor operator*(const Tensor& x, double c) { return mul(x, c); }
Tensor operator*(double c, const Tensor& x) { return mul(x, c); }
Tensor operator/(const Tensor& x, double c) { return affine("div_scalar", x, 1.0 / c, 0.0); }
Tensor operator-(const Tensor& x) { return neg(x); }

Tensor neg(const Tensor& x) {
  return unary_op<Saved::input>("neg", x, [](auto v) { return -v; }, [](auto g, auto) { return -g; });
}

Tensor exp(const Tensor& x) {
  return unary_op<Saved::output>("exp", x, [](auto v) { return std::exp(v); }, [](auto g, auto y) { return g * y; });
}

Tensor log(const Tensor& x) {
  return unary_op<Saved::input>("log", x, [](auto v) { return std::log(v); }, [](auto g, auto v) { return g / v; });
}

Tensor sqrt(const Tensor& x) {
  return unary_op<Saved::output>(
      "sqrt", x, [](auto v) { return std::sqrt(v); },
      [](auto g, auto y) {
        using T = decltype(g);
        return g * (T(0.5) / y);
      });
}

Tensor square(const Tensor& x) {
  return unary_op<Saved::input>(
      "square", x, [](auto v) { return v * v; },
      [](auto g, auto v) {
        using T = decltype(g);
        return T(2) * g * v;
      });
}

Tensor abs(const Tensor& x) {
  return unary_op<Saved::input>(
      "abs", x, [](auto v) { return std::abs(v); },
      [](auto g, auto v) {
        using T = decltype(g);
        return v > T(0) ? g : (v < T(0) ? -g : T(0));
      });
}

Tensor pow(const Tensor& x, double exponent) {
  if (exponent == 2.0) {
    return unary_op<Saved::input>(
        "pow", x, [](auto v) { return v * v; },
        [](auto g, auto v) {
          using T = decltype(g);
          return T(2) * g * v;
        });
  }
  if (exponent == 0.0) {
    // x^0 is 1 everywhere (also at 0, as std::pow), with zero slope.
    return unary_op<Saved::input>(
        "pow", x,
        [](auto v) {
          using T = decltype(v);
          return T(1);
        },
        [](auto, auto) { return 0.0; });
  }
  return unary_op<Saved::input>(
      "pow", x,
      [exponent](auto v) {
        using T = decltype(v);
        return std::pow(v, static_cast<T>(exponent));
      },
      [exponent](auto g, auto v) {
        using T = decltype(g);
        return g * static_cast<T>(exponent) * std::pow(v, static_cast<T>(exponent - 1.0));
      });
}

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  detail::require_defined(a, "matmul", "a");
  detail::require_defined(b, "matmul", "b");
  if (a.rank() != 2 || b.rank() != 2) {
    fail("matmul: expected rank-2 tensors, got a {} and b {}", a.shape().to_string(), b.shape().to_string());
  }
  detail::require_same_dtype(a, b, "matmul");
  const int64_t m = transpose_a ? a.dim(1) : a.dim(0);
  const int64_t k = transpose_a ? a.dim(0) : a.dim(1);
  const int64_t kb = transpose_b ? b.dim(1) : b.dim(0);
  const int64_t n = transpose_b ? b.dim(0) : b.dim(1);
  if (k != kb) {
    fail("matmul: inner dimensions differ: a is {}{}, b is {}{}", a.shape().to_string(),
         transpose_a ? " (transposed)" : "", b.shape().to_string(), transpose_b ? " (transposed)" : "");
  }
  Tensor out = Tensor::empty(Shape{m, n}, a.dtype());
  dispatch(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::gemm<T>(transpose_a, transpose_b, m, n, k, a.data<T>(), b.data<T>(), out.data<T>());
  });
  if (should_record({a, b})) {
    record("matmul", {a, b}, out, [a, b, transpose_a, transpose_b, m, n, k](const Tensor& g, std::span<const bool> needs) {
      std::vector<Tensor> grads(2);
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* pg = g.data<T>();
        const T* pa = a.data<T>();
        const T* pb = b.data<T>();
        // Each case is the product rule for C = op(A) op(B), written for the stored layouts of A and
        // B so that the transposes stay BLAS flags.
        if (needs[0]) {
          grads[0] = Tensor::empty(a.shape(), a.dtype());
          T* ga = grads[0].data<T>();
          if (!transpose_a && !transpose_b) kernels::gemm<T>(false, true, m, k, n, pg, pb, ga);
          if (!transpose_a && transpose_b) kernels::gemm<T>(false, false, m, k, n, pg, pb, ga);
          if (transpose_a && !transpose_b) kernels::gemm<T>(false, true, k, m, n, pb, pg, ga);
          if (transpose_a && transpose_b) kernels::gemm<T>(true, true, k, m, n, pb, pg, ga);
        }
        if (needs[1]) {
          grads[1] = Tensor::empty(b.shape(), b.dtype());
          T* gb = grads[1].data<T>();
          if (!transpose_a && !transpose_b) kernels::gemm<T>(true, false, k, n, m, pa, pg, gb);
          if (transpose_a && !transpose_b) kernels::gemm<T>(false, false, k, n, m, pa, pg, gb);
          if (!transpose_a && transpose_b) kernels::gemm<T>(true, false, n, k, m, pg, pa, gb);
          if (transpose_a && transpose_b) kernels::gemm<T>(true, true, n, k, m, pg, pa, gb);
        }
      });
      return grads;
    });
  }
  return out;
}

Tensor cast(const Tensor& x, DType dtype) {
  detail::require_defined(x, "cast");
  Tensor out = x.to(dtype);
  if (should_record({x})) {
    record("cast", {x}, out, [from = x.dtype()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? g.to(from) : Tensor()};
    });
  }
  return out;
}

Tensor stop_gradient(const Tensor& x) {
  detail::require_defined(x, "stop_gradient");
  // A new identity over the same storage: no tape knows it, so nothing flows back to x.
  return x.view(x.shape());
}

}  // namespace gradlab
