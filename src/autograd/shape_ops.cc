#include "gradlab/autograd/shape_ops.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/op_checks.h"
#include "autograd/reduction.h"
#include "gradlab/autograd/record.h"
#include "gradlab/tensor/creation.h"
#include "kernels/copy.h"
#include "kernels/elementwise.h"
#include "kernels/indexing.h"

namespace gradlab {
namespace {

std::string list_to_string(const std::vector<int64_t>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

// Moves data between the dense tensor `block` and the same-shaped block of the dense tensor `whole`
// that starts at `begin`: whole -> block when `into_block`, block -> whole otherwise.
void copy_block(const Tensor& block, const Tensor& whole, const std::vector<int64_t>& begin, bool into_block) {
  const std::span<const int64_t> dims = block.shape().dims();
  const std::vector<int64_t> block_strides = kernels::contiguous_strides(dims);
  const std::vector<int64_t> whole_strides = kernels::contiguous_strides(whole.shape().dims());
  int64_t offset = 0;
  for (std::size_t d = 0; d < begin.size(); ++d) offset += begin[d] * whole_strides[d];
  dispatch(block.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* pb = static_cast<T*>(block.raw_data());
    T* pw = static_cast<T*>(whole.raw_data()) + offset;
    if (into_block) {
      kernels::strided_copy<T>(pw, whole_strides, pb, block_strides, dims);
    } else {
      kernels::strided_copy<T>(pb, block_strides, pw, whole_strides, dims);
    }
  });
}

// Moves data between `part` and its place in `whole`, the concatenation along `axis` of parts that
// agree in every other dimension, where `part` starts at index `begin` of that axis: part -> whole
// unless `into_part`. Both are dense, so each is a stack of contiguous rows, one per index of the
// axes before `axis`.
void copy_concat_part(const Tensor& part, const Tensor& whole, int64_t axis, int64_t begin, bool into_part) {
  int64_t rows = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) rows *= whole.dim(d);
  for (int64_t d = axis + 1; d < whole.rank(); ++d) inner *= whole.dim(d);
  const int64_t part_row = part.dim(axis) * inner, whole_row = whole.dim(axis) * inner;
  dispatch(part.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* pp = static_cast<T*>(part.raw_data());
    T* pw = static_cast<T*>(whole.raw_data()) + begin * inner;
    if (into_part) {
      kernels::copy_rows<T>(pw, whole_row, pp, part_row, rows, part_row);
    } else {
      kernels::copy_rows<T>(pp, part_row, pw, whole_row, rows, part_row);
    }
  });
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op) {
  const int64_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(static_cast<std::size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.rank() ? 1 : a[i - (rank - a.rank())];
    const int64_t db = i < rank - b.rank() ? 1 : b[i - (rank - b.rank())];
    if (da != db && da != 1 && db != 1) {
      fail("{}: shapes {} and {} do not broadcast (dimension {} from the right is {} vs {})", op, a.to_string(),
           b.to_string(), rank - i, da, db);
    }
    dims[i] = da == 1 ? db : da;
  }
  return Shape(std::move(dims));
}

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape) {
  detail::require_defined(x, "reshape");
  std::vector<int64_t> dims = shape;
  int64_t known = 1;
  int64_t inferred = -1;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1) {
      if (inferred >= 0) fail("reshape: only one dimension may be -1, got {}", list_to_string(shape));
      inferred = static_cast<int64_t>(d);
    } else if (dims[d] < 0) {
      fail("reshape: invalid dimension {} in {}", dims[d], list_to_string(shape));
    } else {
      known *= dims[d];
    }
  }
  if (inferred >= 0) {
    if (known == 0 || x.numel() % known != 0) {
      fail("reshape: cannot reshape {} ({} elements) to {}", x.shape().to_string(), x.numel(), list_to_string(shape));
    }
    dims[inferred] = x.numel() / known;
  }
  Shape new_shape(std::move(dims));
  if (new_shape.numel() != x.numel()) {
    fail("reshape: cannot reshape {} ({} elements) to {} ({} elements)", x.shape().to_string(), x.numel(),
         new_shape.to_string(), new_shape.numel());
  }
  Tensor out = x.view(new_shape);
  if (should_record({x})) {
    record("reshape", {x}, out, [from = x.shape()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? g.view(from) : Tensor()};
    });
  }
  return out;
}

Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm) {
  detail::require_defined(x, "transpose");
  const int64_t rank = x.rank();
  std::vector<int64_t> p = perm;
  if (p.empty()) {
    for (int64_t i = rank; i-- > 0;) p.push_back(i);
  }
  if (static_cast<int64_t>(p.size()) != rank) {
    fail("transpose: permutation {} has {} entries but the input {} has rank {}", list_to_string(perm), p.size(),
         x.shape().to_string(), rank);
  }
  std::vector<bool> seen(static_cast<std::size_t>(rank), false);
  for (int64_t& axis : p) {
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || seen[axis]) {
      fail("transpose: {} is not a permutation of the axes of {}", list_to_string(perm), x.shape().to_string());
    }
    seen[axis] = true;
  }
  const std::vector<int64_t> in_strides = kernels::contiguous_strides(x.shape().dims());
  std::vector<int64_t> dims(static_cast<std::size_t>(rank)), src_strides(static_cast<std::size_t>(rank));
  std::vector<int64_t> inverse(static_cast<std::size_t>(rank));
  for (int64_t i = 0; i < rank; ++i) {
    dims[i] = x.dim(p[i]);
    src_strides[i] = in_strides[p[i]];
    inverse[p[i]] = i;
  }
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (rank == 0) {
      out.data<T>()[0] = x.data<T>()[0];
    } else {
      kernels::strided_copy<T>(x.data<T>(), src_strides, out.data<T>(), kernels::contiguous_strides(dims), dims);
    }
  });
  if (should_record({x})) {
    record("transpose", {x}, out, [inverse](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? transpose(g, inverse) : Tensor()};
    });
  }
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  if (xs.empty()) fail("concat: needs at least one tensor");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) fail("concat: input {} is an undefined tensor", i);
  }
  const Shape& first = xs[0].shape();
  const int64_t rank = first.rank();
  if (rank == 0) fail("concat: cannot concatenate rank-0 tensors; reshape them to [1] first");
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) fail("concat: axis {} is out of range for shape {} (rank {})", axis, first.to_string(), rank);
  std::vector<int64_t> dims = first.to_vector();
  dims[a] = 0;
  std::vector<int64_t> begins;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    if (xs[i].dtype() != xs[0].dtype()) {
      fail("concat: input {} is {} but input 0 is {}; convert with cast()", i, xs[i].description(), xs[0].description());
    }
    bool compatible = s.rank() == rank;
    for (int64_t d = 0; compatible && d < rank; ++d) compatible = d == a || s[d] == first[d];
    if (!compatible) {
      fail("concat: input {} has shape {} but input 0 has shape {}; all dimensions except axis {} must agree", i,
           s.to_string(), first.to_string(), axis);
    }
    begins.push_back(dims[a]);
    dims[a] += s[a];
  }
  Tensor out = Tensor::empty(Shape(dims), xs[0].dtype());
  for (std::size_t i = 0; i < xs.size(); ++i) copy_concat_part(xs[i], out, a, begins[i], false);
  if (should_record(xs)) {
    std::vector<Shape> shapes;
    for (const Tensor& x : xs) shapes.push_back(x.shape());
    record("concat", xs, out, [shapes, begins, a](const Tensor& g, std::span<const bool> needs) {
      std::vector<Tensor> grads(shapes.size());
      for (std::size_t i = 0; i < shapes.size(); ++i) {
        if (!needs[i]) continue;
        grads[i] = Tensor::empty(shapes[i], g.dtype());
        copy_concat_part(grads[i], g, a, begins[i], true);
      }
      return grads;
    });
  }
  return out;
}

Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size) {
  detail::require_defined(x, "slice");
  const int64_t rank = x.rank();
  if (static_cast<int64_t>(begin.size()) != rank || static_cast<int64_t>(size.size()) != rank) {
    fail("slice: begin {} and size {} must each have one entry per axis of {}", list_to_string(begin),
         list_to_string(size), x.shape().to_string());
  }
  std::vector<int64_t> dims(static_cast<std::size_t>(rank));
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t extent = size[d] == -1 ? x.dim(d) - begin[d] : size[d];
    if (begin[d] < 0 || begin[d] > x.dim(d) || extent < 0 || begin[d] + extent > x.dim(d)) {
      fail("slice: begin {} with size {} is out of range for shape {} (axis {})", list_to_string(begin),
           list_to_string(size), x.shape().to_string(), d);
    }
    dims[d] = extent;
  }
  Tensor out = Tensor::empty(Shape(dims), x.dtype());
  copy_block(out, x, begin, true);
  if (should_record({x})) {
    record("slice", {x}, out, [from = x.shape(), begin](const Tensor& g, std::span<const bool> needs) {
      if (!needs[0]) return std::vector<Tensor>{Tensor()};
      Tensor gx = zeros(from, g.dtype());
      copy_block(g, gx, begin, false);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::require_defined(x, "broadcast_to");
  bool ok = x.rank() <= shape.rank();
  for (int64_t i = 1; ok && i <= x.rank(); ++i) ok = x.dim(-i) == 1 || x.dim(-i) == shape[-i];
  if (!ok) fail("broadcast_to: cannot broadcast {} to {}", x.shape().to_string(), shape.to_string());
  Tensor out = Tensor::empty(shape, x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (shape.rank() == 0) {
      out.data<T>()[0] = x.data<T>()[0];
      return;
    }
    kernels::strided_copy<T>(x.data<T>(), kernels::broadcast_strides(shape.dims(), x.shape().dims()), out.data<T>(),
                             kernels::contiguous_strides(shape.dims()), shape.dims());
  });
  if (should_record({x})) {
    record("broadcast_to", {x}, out, [from = x.shape()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? sum_to(g, from) : Tensor()};
    });
  }
  return out;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::require_defined(x, "sum_to");
  const int64_t rank = x.rank();
  const int64_t lead = rank - shape.rank();
  bool ok = lead >= 0;
  std::vector<bool> reduced(static_cast<std::size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t d = 0; ok && d < rank; ++d) {
    if (d < lead) {
      reduced[d] = true;
    } else if (shape[d - lead] != x.dim(d)) {
      ok = shape[d - lead] == 1;
      reduced[d] = true;
    }
  }
  if (!ok) {
    fail("sum_to: cannot sum {} down to {}: the target must broadcast to the input's shape", x.shape().to_string(),
         shape.to_string());
  }
  Tensor out = detail::sum_over(x, reduced, shape);
  if (should_record({x})) {
    record("sum_to", {x}, out, [from = x.shape()](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? broadcast_to(g, from) : Tensor()};
    });
  }
  return out;
}

}  // namespace gradlab
