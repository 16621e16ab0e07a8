#pragma once
// The input checks the normalization layers share when they build: rank, axes, and the sizes of the
// [n, a, c, b] views they hand to the normalization ops (autograd/normalize_ops.h).
#include <cstdint>
#include <string>

#include "gradlab/tensor/shape.h"

namespace gradlab::detail {

/// `axis` resolved against `rank` to [1, rank); an Error naming the layer when it is out of range or
/// the batch axis.
int64_t resolve_axis(const std::string& layer, int64_t axis, int64_t rank);
/// The product of shape's dimensions [begin, end).
int64_t dims_product(const Shape& shape, int64_t begin, int64_t end);
/// An Error naming the layer unless the input has rank >= 2.
void check_rank(const std::string& layer, const Shape& shape);

}  // namespace gradlab::detail
