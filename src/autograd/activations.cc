#include "gradlab/autograd/activations.h"

#include <cmath>

#include "autograd/activation_table.h"
#include "autograd/elementwise.h"
#include "gradlab/autograd/record.h"
#include "kernels/activation.h"
#include "kernels/softmax.h"

namespace gradlab {

using detail::Saved;
using detail::unary_op;
namespace traits = detail::activation_traits;

namespace {

// The unfused op of a row of activation_table.h: the fused ops' own forward and derivative, so fused
// and unfused layers agree bit for bit.
template <typename A>
Tensor elementwise(const char* op, const Tensor& x) {
  constexpr Saved kSaved = A::kSlopeFrom == detail::SlopeFrom::output ? Saved::output : Saved::input;
  return unary_op<kSaved>(op, x, [](auto v) { return A::f(v); }, [](auto g, auto s) { return A::d(g, s); });
}

}  // namespace

Tensor linear(const Tensor& x) {
  detail::require_defined(x, "linear");
  return x;
}

Tensor relu(const Tensor& x) { return elementwise<traits::relu>("relu", x); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return unary_op<Saved::input>(
      "leaky_relu", x,
      [negative_slope](auto v) { return kernels::leaky_relu(v, static_cast<decltype(v)>(negative_slope)); },
      [negative_slope](auto g, auto v) {
        return kernels::leaky_relu_grad(g, v, static_cast<decltype(v)>(negative_slope));
      });
}

Tensor elu(const Tensor& x, double alpha) {
  return unary_op<Saved::both>(
      "elu", x, [alpha](auto v) { return kernels::elu(v, static_cast<decltype(v)>(alpha)); },
      [alpha](auto g, auto v, auto y) { return kernels::elu_grad(g, v, y, static_cast<decltype(v)>(alpha)); });
}

Tensor selu(const Tensor& x) { return elementwise<traits::selu>("selu", x); }

Tensor gelu(const Tensor& x, bool approximate) {
  if (approximate) {
    return unary_op<Saved::input>(
        "gelu", x, [](auto v) { return kernels::gelu_tanh(v); }, [](auto g, auto v) { return kernels::gelu_tanh_grad(g, v); });
  }
  return elementwise<traits::gelu>("gelu", x);
}

Tensor sigmoid(const Tensor& x) { return elementwise<traits::sigmoid>("sigmoid", x); }

Tensor hard_sigmoid(const Tensor& x) { return elementwise<traits::hard_sigmoid>("hard_sigmoid", x); }

Tensor tanh(const Tensor& x) { return elementwise<traits::tanh>("tanh", x); }

Tensor softplus(const Tensor& x) { return elementwise<traits::softplus>("softplus", x); }

Tensor softsign(const Tensor& x) { return elementwise<traits::softsign>("softsign", x); }

Tensor swish(const Tensor& x) { return elementwise<traits::swish>("swish", x); }

Tensor silu(const Tensor& x) { return swish(x); }

namespace {

struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisView axis_view(const Tensor& x, int64_t axis, const char* op) {
  const int64_t rank = x.rank();
  if (rank == 0) fail("{}: needs a tensor of rank 1 or more, got a scalar", op);
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail("{}: axis {} is out of range for shape {} (rank {})", op, axis, x.shape().to_string(), rank);
  AxisView v;
  for (int64_t d = 0; d < a; ++d) v.outer *= x.dim(d);
  v.n = x.dim(a);
  for (int64_t d = a + 1; d < rank; ++d) v.inner *= x.dim(d);
  return v;
}

// softmax and log_softmax differ only in their kernels; both save their output for backward.
template <typename Forward, typename Backward>
Tensor along_axis(const char* op, const Tensor& x, int64_t axis, Forward forward, Backward backward) {
  detail::require_defined(x, op);
  const AxisView v = axis_view(x, axis, op);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    forward(x.data<T>(), y.data<T>(), v.outer, v.n, v.inner);
  });
  if (should_record({x})) {
    record(op, {x}, y, [y, v, backward](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = Tensor::empty(g.shape(), g.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        backward(y.data<T>(), g.data<T>(), gx.data<T>(), v.outer, v.n, v.inner);
      });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t axis) {
  return along_axis(
      "softmax", x, axis, [](auto... args) { kernels::softmax(args...); },
      [](auto... args) { kernels::softmax_backward(args...); });
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  return along_axis(
      "log_softmax", x, axis, [](auto... args) { kernels::log_softmax(args...); },
      [](auto... args) { kernels::log_softmax_backward(args...); });
}

}  // namespace gradlab
