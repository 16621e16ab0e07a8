#pragma once
// Reduction loops shared by the reduction ops and sum_to; nothing here is recorded on a tape.
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab::detail {

/// Sums x over the dimensions where `reduced` is true; the result has `out_shape`, which must have
/// the element count of x's kept dimensions.
Tensor sum_over(const Tensor& x, const std::vector<bool>& reduced, const Shape& out_shape);

/// `g` (one value per kept position, in any shape with that many elements) spread over `shape`
/// with each value multiplied by `scale`: the backward pass of sum and mean.
Tensor spread(const Tensor& g, const std::vector<bool>& reduced, const Shape& shape, double scale);

/// x's shape with the reduced dimensions set to 1 (keepdims).
Shape keep_dims_shape(const Shape& shape, const std::vector<bool>& reduced);

}  // namespace gradlab::detail
