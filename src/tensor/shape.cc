#include "gradlab/tensor/shape.h"

#include "gradlab/error.h"

namespace gradlab {

void Shape::check() const {
  for (int64_t d : dims_) {
    if (d < 0) fail("shape {}: dimensions must be non-negative", to_string());
  }
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

int64_t Shape::normalize_axis(int64_t axis) const {
  const int64_t r = rank();
  const int64_t a = axis < 0 ? axis + r : axis;
  if (a < 0 || a >= r) fail("axis {} is out of range for shape {} (rank {})", axis, to_string(), r);
  return a;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + "]";
}

}  // namespace gradlab
