#include "gradlab/autograd/reduce_ops.h"

#include <cmath>
#include <cstring>

#include "autograd/elementwise.h"
#include "autograd/op_checks.h"
#include "autograd/reduction.h"
#include "gradlab/autograd/record.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"

namespace gradlab {
namespace detail {
namespace {

struct AxisGroup {
  int64_t size;
  bool reduced;
};

// Neighbouring dimensions that are all kept or all reduced act as one; size-1 dimensions change
// nothing and are dropped. What remains alternates kept and reduced groups.
std::vector<AxisGroup> axis_groups(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<AxisGroup> groups;
  for (int64_t d = 0; d < shape.rank(); ++d) {
    if (shape[d] == 1) continue;
    if (!groups.empty() && groups.back().reduced == reduced[d]) {
      groups.back().size *= shape[d];
    } else {
      groups.push_back({shape[d], reduced[d]});
    }
  }
  return groups;
}

// Applies `kernel(src, dst, outer, reduce, inner)` once per reduced group, innermost first, each
// pass shrinking that group to 1; the last pass writes to `out`.
template <typename T, typename Kernel>
void reduce_groups(const T* x, T* out, int64_t numel, std::vector<AxisGroup> groups, Kernel kernel) {
  std::vector<std::size_t> reduced_groups;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (groups[i].reduced) reduced_groups.push_back(i);
  }
  if (reduced_groups.empty()) {
    std::memcpy(out, x, static_cast<std::size_t>(numel) * sizeof(T));
    return;
  }
  std::vector<T> buffers[2];
  const T* src = x;
  for (std::size_t pass = reduced_groups.size(); pass-- > 0;) {
    const std::size_t g = reduced_groups[pass];
    int64_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < g; ++i) outer *= groups[i].size;
    for (std::size_t i = g + 1; i < groups.size(); ++i) inner *= groups[i].size;
    T* dst = out;
    if (pass > 0) {
      std::vector<T>& buffer = buffers[pass % 2];
      buffer.resize(static_cast<std::size_t>(outer * inner));
      dst = buffer.data();
    }
    kernel(src, dst, outer, groups[g].size, inner);
    groups[g].size = 1;
    src = dst;
  }
}

std::vector<bool> reduction_mask(const Shape& shape, const std::vector<int64_t>& axes, const char* op) {
  const int64_t rank = shape.rank();
  std::vector<bool> reduced(static_cast<std::size_t>(rank), axes.empty());
  for (int64_t axis : axes) {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      fail("{}: axis {} is out of range for shape {} (rank {})", op, axis, shape.to_string(), rank);
    }
    if (reduced[a]) fail("{}: axis {} is listed twice (axes of shape {})", op, axis, shape.to_string());
    reduced[a] = true;
  }
  return reduced;
}

Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdims) {
  if (keepdims) return keep_dims_shape(shape, reduced);
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < shape.rank(); ++d) {
    if (!reduced[d]) dims.push_back(shape[d]);
  }
  return Shape(std::move(dims));
}

int64_t reduced_count(const Shape& shape, const std::vector<bool>& reduced) {
  int64_t count = 1;
  for (int64_t d = 0; d < shape.rank(); ++d) {
    if (reduced[d]) count *= shape[d];
  }
  return count;
}

void scale_in_place(Tensor& t, double scale) {
  dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(scale);
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] *= s;
  });
}

}  // namespace

Shape keep_dims_shape(const Shape& shape, const std::vector<bool>& reduced) {
  std::vector<int64_t> dims = shape.to_vector();
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (reduced[d]) dims[d] = 1;
  }
  return Shape(std::move(dims));
}

Tensor sum_over(const Tensor& x, const std::vector<bool>& reduced, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    reduce_groups(x.data<T>(), out.data<T>(), x.numel(), axis_groups(x.shape(), reduced),
                  [](const T* src, T* dst, int64_t outer, int64_t reduce, int64_t inner) {
                    kernels::sum_axis(src, dst, outer, reduce, inner);
                  });
  });
  return out;
}

Tensor spread(const Tensor& g, const std::vector<bool>& reduced, const Shape& shape, double scale) {
  Tensor out = Tensor::empty(shape, g.dtype());
  dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(scale);
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    if (g.numel() == 1) {
      const T v = pg[0] * s;
      for (int64_t i = 0, n = out.numel(); i < n; ++i) po[i] = v;
      return;
    }
    const std::vector<int64_t> keep = keep_dims_shape(shape, reduced).to_vector();
    const kernels::BroadcastPlan plan = kernels::make_broadcast_plan(shape.dims(), keep, keep);
    kernels::broadcast_map(plan, pg, pg, po, [s](T u, T) { return u * s; });
  });
  return out;
}

}  // namespace detail

using detail::reduced_count;
using detail::reduced_shape;
using detail::reduction_mask;

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  detail::require_defined(x, "sum");
  std::vector<bool> reduced = reduction_mask(x.shape(), axes, "sum");
  Tensor out = detail::sum_over(x, reduced, reduced_shape(x.shape(), reduced, keepdims));
  if (should_record({x})) {
    record("sum", {x}, out, [reduced, shape = x.shape()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? detail::spread(g, reduced, shape, 1.0) : Tensor()};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  detail::require_defined(x, "mean");
  std::vector<bool> reduced = reduction_mask(x.shape(), axes, "mean");
  const double scale = 1.0 / static_cast<double>(reduced_count(x.shape(), reduced));
  Tensor out = detail::sum_over(x, reduced, reduced_shape(x.shape(), reduced, keepdims));
  detail::scale_in_place(out, scale);
  if (should_record({x})) {
    record("mean", {x}, out, [reduced, scale, shape = x.shape()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? detail::spread(g, reduced, shape, scale) : Tensor()};
    });
  }
  return out;
}

Tensor variance(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  detail::require_defined(x, "variance");
  std::vector<bool> reduced = reduction_mask(x.shape(), axes, "variance");
  const Shape keep_shape = detail::keep_dims_shape(x.shape(), reduced);
  const double scale = 1.0 / static_cast<double>(reduced_count(x.shape(), reduced));
  // Two passes (mean, then squared deviations) rather than E[x^2] - E[x]^2, which cancels badly.
  Tensor mu = detail::sum_over(x, reduced, keep_shape);
  detail::scale_in_place(mu, scale);
  Tensor deviation = detail::broadcast_binary("variance", x, mu, [](auto u, auto v) { return u - v; });
  Tensor squared = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::map(deviation.data<T>(), squared.data<T>(), x.numel(), [](T d) { return d * d; });
  });
  Tensor out = detail::sum_over(squared, reduced, reduced_shape(x.shape(), reduced, keepdims));
  detail::scale_in_place(out, scale);
  if (should_record({x})) {
    // d var / dx_i = 2 (x_i - mu) / n: the path through mu vanishes because deviations sum to zero.
    record("variance", {x}, out, [deviation, keep_shape, scale](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      const double two_over_n = 2.0 * scale;
      return std::vector<Tensor>{detail::broadcast_binary("variance", deviation, g.view(keep_shape), [two_over_n](auto d, auto gv) {
        return d * gv * static_cast<decltype(d)>(two_over_n);
      })};
    });
  }
  return out;
}

Tensor norm(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  detail::require_defined(x, "norm");
  std::vector<bool> reduced = reduction_mask(x.shape(), axes, "norm");
  const Shape keep_shape = detail::keep_dims_shape(x.shape(), reduced);
  Tensor squared = Tensor::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::map(x.data<T>(), squared.data<T>(), x.numel(), [](T v) { return v * v; });
  });
  Tensor out = detail::sum_over(squared, reduced, reduced_shape(x.shape(), reduced, keepdims));
  dispatch(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = out.data<T>();
    for (int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = std::sqrt(p[i]);
  });
  if (should_record({x})) {
    record("norm", {x}, out, [x, out, keep_shape](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      // g * x / ||x||, with the subgradient 0 where the norm is 0 (as TensorFlow's safe norm).
      Tensor ratio = Tensor::empty(keep_shape, g.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::map(g.data<T>(), out.data<T>(), ratio.data<T>(), g.numel(),
                     [](T gv, T nv) { return nv > T(0) ? gv / nv : T(0); });
      });
      return std::vector<Tensor>{detail::broadcast_binary("norm", x, ratio, [](auto u, auto v) { return u * v; })};
    });
  }
  return out;
}

Tensor reduce_max(const Tensor& x, const std::vector<int64_t>& axes, bool keepdims) {
  detail::require_defined(x, "reduce_max");
  std::vector<bool> reduced = reduction_mask(x.shape(), axes, "reduce_max");
  for (int64_t d = 0; d < x.rank(); ++d) {
    if (reduced[d] && x.dim(d) == 0) {
      fail("reduce_max: cannot reduce axis {} of shape {}: it is empty", d, x.shape().to_string());
    }
  }
  Tensor out = Tensor::empty(reduced_shape(x.shape(), reduced, keepdims), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    detail::reduce_groups(x.data<T>(), out.data<T>(), x.numel(), detail::axis_groups(x.shape(), reduced),
                          [](const T* src, T* dst, int64_t outer, int64_t reduce, int64_t inner) {
                            kernels::max_axis(src, dst, outer, reduce, inner);
                          });
  });
  if (should_record({x})) {
    record("reduce_max", {x}, out, [x, out, reduced](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = Tensor::empty(x.shape(), x.dtype());
      if (x.numel() == 0) return std::vector<Tensor>{gx};
      std::vector<int64_t> dims = x.shape().to_vector();
      std::vector<int64_t> keep = detail::keep_dims_shape(x.shape(), reduced).to_vector();
      if (dims.empty()) dims = keep = {1};
      const std::vector<int64_t> out_strides = kernels::broadcast_strides(dims, keep);
      dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::max_backward(x.data<T>(), out.data<T>(), g.data<T>(), gx.data<T>(), dims, out_strides, out.numel());
      });
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace gradlab
