#include "gradlab/tensor/shape.h"

#include <charconv>

#include "gradlab/error.h"

namespace gradlab {

void Shape::assign(std::span<const int64_t> dims) {
  if (static_cast<int64_t>(dims.size()) > kMaxRank) {
    fail("shape of rank {} is not supported: gradlab tensors have at most {} dimensions", dims.size(), kMaxRank);
  }
  rank_ = static_cast<int64_t>(dims.size());
  std::copy(dims.begin(), dims.end(), dims_.begin());
  for (int64_t d : dims) {
    if (d < 0) fail("shape {}: dimensions must be non-negative", to_string());
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : *this) n *= d;
  return n;
}

int64_t Shape::normalize_axis(int64_t axis) const {
  const int64_t r = rank();
  const int64_t a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) fail("axis {} is out of range for shape {} (rank {})", axis, to_string(), r);
  return a;
}

std::string Shape::to_string() const {
  // std::to_chars rather than std::to_string: the probe names the shape of every layer call.
  std::string s = "[";
  char digits[24];
  for (int64_t i = 0; i < rank_; ++i) {
    if (i) s += ", ";
    s.append(digits, std::to_chars(digits, digits + sizeof digits, dims_[static_cast<std::size_t>(i)]).ptr);
  }
  s += ']';
  return s;
}

}  // namespace gradlab
