#include "gradlab/autograd/loss_ops.h"

#include <span>
#include <utility>

#include "autograd/op_checks.h"
#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "kernels/losses.h"

namespace gradlab {
namespace {

// x viewed as [outer, n, inner] around the loss axis, and x's shape without the axis.
struct AxisView {
  int64_t outer = 1, n = 1, inner = 1;
  Shape reduced;
};

AxisView axis_view(const Shape& shape, int64_t axis, const char* loss) {
  const int64_t a = loss_axis(shape, axis, loss);
  AxisView v;
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < shape.rank(); ++d) {
    if (d < a) v.outer *= shape[d];
    if (d > a) v.inner *= shape[d];
    if (d != a) dims.push_back(shape[d]);
  }
  v.n = shape[a];
  v.reduced = Shape(std::move(dims));
  return v;
}

// Targets and predictions of one shape and dtype: the kernels read them element by element.
void require_matching(const Tensor& z, const Tensor& x, const char* loss) {
  detail::require_defined(z, loss, "the target");
  detail::require_defined(x, loss, "the prediction");
  detail::require_same_dtype(z, x, loss);
  if (z.shape() != x.shape()) {
    fail("{}: targets have shape {} but predictions have shape {}; they must agree", loss, z.shape().to_string(),
         x.shape().to_string());
  }
}

template <typename T>
T* data_or_null(Tensor& t) {
  return t ? t.data<T>() : nullptr;
}

// One element-wise cross-entropy node: forward(x, z, out, n) and backward(x, z, g, gx, gz, n) are kernels
// called with the predictions first, as kernels/losses.h orders them.
template <typename Forward, typename Backward>
Tensor elementwise_cross_entropy(const char* op, const Tensor& z, const Tensor& x, Forward forward,
                                 Backward backward) {
  require_matching(z, x, op);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    forward(x.data<T>(), z.data<T>(), out.data<T>(), x.numel());
  });
  if (should_record({z, x})) {
    record(op, {z, x}, out, [z, x, backward](const Tensor& g, std::span<const bool> needs) {
      Tensor gz = needs[0] ? Tensor::empty(z.shape(), z.dtype()) : Tensor();
      Tensor gx = needs[1] ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        backward(x.data<T>(), z.data<T>(), g.data<T>(), data_or_null<T>(gx), data_or_null<T>(gz), x.numel());
      });
      return std::vector<Tensor>{gz, gx};
    });
  }
  return out;
}

}  // namespace

int64_t loss_axis(const Shape& shape, int64_t axis, const char* loss) {
  const int64_t rank = shape.rank();
  if (rank == 0) fail("{}: y_pred must have rank 1 or more, got a scalar", loss);
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail("{}: axis {} is out of range for y_pred of shape {}", loss, axis, shape.to_string());
  return a;
}

// One node whose backward is softmax * sum(z) - z.
Tensor softmax_cross_entropy(const Tensor& z, const Tensor& x, int64_t axis, const char* loss) {
  require_matching(z, x, loss);
  const AxisView v = axis_view(x.shape(), axis, loss);
  Tensor log_probs = Tensor::empty(x.shape(), x.dtype());
  Tensor out = Tensor::empty(v.reduced, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::softmax_cross_entropy(x.data<T>(), z.data<T>(), log_probs.data<T>(), out.data<T>(), v.outer, v.n,
                                   v.inner);
  });
  if (should_record({z, x})) {
    record("softmax_cross_entropy", {z, x}, out, [z, log_probs, v](const Tensor& g, std::span<const bool> needs) {
      Tensor gz = needs[0] ? Tensor::empty(z.shape(), z.dtype()) : Tensor();
      Tensor gx = needs[1] ? Tensor::empty(z.shape(), z.dtype()) : Tensor();
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::softmax_cross_entropy_backward(log_probs.data<T>(), z.data<T>(), g.data<T>(), data_or_null<T>(gx),
                                                data_or_null<T>(gz), v.outer, v.n, v.inner);
      });
      return std::vector<Tensor>{gz, gx};
    });
  }
  return out;
}

Tensor probability_cross_entropy(const Tensor& z, const Tensor& p, int64_t axis, double epsilon, const char* loss) {
  require_matching(z, p, loss);
  const AxisView v = axis_view(p.shape(), axis, loss);
  Tensor out = Tensor::empty(v.reduced, p.dtype());
  dispatch(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::categorical_crossentropy(p.data<T>(), z.data<T>(), out.data<T>(), v.outer, v.n, v.inner, epsilon);
  });
  if (should_record({z, p})) {
    record("categorical_crossentropy", {z, p}, out,
           [z, p, v, epsilon](const Tensor& g, std::span<const bool> needs) {
             Tensor gz = needs[0] ? Tensor::empty(z.shape(), z.dtype()) : Tensor();
             Tensor gp = needs[1] ? Tensor::empty(p.shape(), p.dtype()) : Tensor();
             dispatch(g.dtype(), [&](auto tag) {
               using T = decltype(tag);
               kernels::categorical_crossentropy_backward(p.data<T>(), z.data<T>(), g.data<T>(), data_or_null<T>(gp),
                                                          data_or_null<T>(gz), v.outer, v.n, v.inner, epsilon);
             });
             return std::vector<Tensor>{gz, gp};
           });
  }
  return out;
}

Tensor sigmoid_cross_entropy(const Tensor& z, const Tensor& x) {
  return elementwise_cross_entropy(
      "sigmoid_cross_entropy", z, x,
      [](const auto* px, const auto* pz, auto* out, int64_t n) { kernels::sigmoid_cross_entropy(px, pz, out, n); },
      [](const auto* px, const auto* pz, const auto* g, auto* gx, auto* gz, int64_t n) {
        kernels::sigmoid_cross_entropy_backward(px, pz, g, gx, gz, n);
      });
}

Tensor binary_cross_entropy(const Tensor& z, const Tensor& p, double epsilon) {
  return elementwise_cross_entropy(
      "binary_crossentropy", z, p,
      [epsilon](const auto* pp, const auto* pz, auto* out, int64_t n) {
        kernels::binary_crossentropy(pp, pz, out, n, epsilon);
      },
      [epsilon](const auto* pp, const auto* pz, const auto* g, auto* gp, auto* gz, int64_t n) {
        kernels::binary_crossentropy_backward(pp, pz, g, gp, gz, n, epsilon);
      });
}

Tensor sparse_softmax_cross_entropy(const std::vector<int64_t>& labels, const Tensor& x, const Shape& out_shape) {
  const char* op = "sparse_softmax_cross_entropy";
  detail::require_defined(x, op, "the logits");
  if (x.rank() == 0) fail("{}: logits must have rank 1 or more ([..., classes]), got a scalar", op);
  const int64_t n = x.dim(-1);
  const int64_t rows = static_cast<int64_t>(labels.size());
  if (rows * n != x.numel() || out_shape.numel() != rows) {
    fail("{}: {} labels do not match logits of shape {} and a result of shape {}", op, rows, x.shape().to_string(),
         out_shape.to_string());
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= n) fail("{}: label {} at index {} is not a class index in [0, {})", op, labels[i], i, n);
  }
  Tensor log_probs = Tensor::empty(x.shape(), x.dtype());
  Tensor out = Tensor::empty(out_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::sparse_softmax_cross_entropy(x.data<T>(), labels.data(), log_probs.data<T>(), out.data<T>(), rows, n);
  });
  if (should_record({x})) {
    record(op, {x}, out, [labels, log_probs, rows, n](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = Tensor::empty(log_probs.shape(), log_probs.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::sparse_softmax_cross_entropy_backward(log_probs.data<T>(), labels.data(), g.data<T>(), gx.data<T>(),
                                                       rows, n);
      });
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace gradlab
