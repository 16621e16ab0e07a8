#include "nn/normalization/input_checks.h"

#include "gradlab/error.h"

namespace gradlab::detail {

int64_t resolve_axis(const std::string& layer, int64_t axis, int64_t rank) {
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    fail("{}: axis {} is out of range for an input of rank {}", layer, axis, rank);
  }
  if (resolved == 0) fail("{}: axis {} is the batch axis; normalize over another axis", layer, axis);
  return resolved;
}

int64_t dims_product(const Shape& shape, int64_t begin, int64_t end) {
  int64_t n = 1;
  for (int64_t i = begin; i < end; ++i) n *= shape[i];
  return n;
}

void check_rank(const std::string& layer, const Shape& shape) {
  if (shape.rank() < 2) {
    fail("{}: expected an input of rank >= 2 ([batch, ..., channels]), got shape {}", layer, shape.to_string());
  }
}

}  // namespace gradlab::detail
