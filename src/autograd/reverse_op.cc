#include <cstring>

#include "autograd/op_checks.h"
#include "gradlab/autograd/record.h"
#include "gradlab/autograd/shape_ops.h"

namespace gradlab {
namespace {

// out = x reversed along the axis of extent `length`, x viewed as [outer, length, inner].
Tensor reversed(const Tensor& x, int64_t outer, int64_t length, int64_t inner) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const std::size_t row = static_cast<std::size_t>(inner) * dtype_size(x.dtype());
  const auto* src = static_cast<const char*>(x.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < length; ++i) {
      std::memcpy(dst + (o * length + i) * row, src + (o * length + length - 1 - i) * row, row);
    }
  }
  return out;
}

}  // namespace

Tensor reverse(const Tensor& x, int64_t axis) {
  detail::require_defined(x, "reverse");
  const int64_t rank = x.rank();
  if (axis < -rank || axis >= rank) fail("reverse: axis {} is out of range for shape {}", axis, x.shape().to_string());
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const int64_t length = x.dim(axis);
  Tensor out = reversed(x, outer, length, inner);
  if (should_record({x})) {
    record("reverse", {x}, out, [outer, length, inner](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? reversed(g, outer, length, inner) : Tensor()};
    });
  }
  return out;
}

}  // namespace gradlab
