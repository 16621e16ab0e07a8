#pragma once
/// Differentiable ops that move elements without arithmetic: reshape, transpose, concat, slice.
///
///   Tensor skip = concat({layer1_out, inputs}, -1);     // the lesson's concat skip connection
///   Tensor first = slice(x, {0, 0}, {-1, 16});          // all rows, first 16 columns

#include <cstdint>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The same elements with a new shape; one dimension may be -1 (inferred), as tf.reshape.
Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape);
/// Permutes axes: output axis i is input axis perm[i]. An empty perm reverses the axes (tf.transpose).
Tensor transpose(const Tensor& x, const std::vector<int64_t>& perm = {});
/// Joins tensors along `axis` (negative counts from the end); all other dimensions must agree.
Tensor concat(const std::vector<Tensor>& xs, int64_t axis = -1);
/// The block starting at `begin` with extent `size` per axis; a size of -1 runs to the end (tf.slice).
Tensor slice(const Tensor& x, const std::vector<int64_t>& begin, const std::vector<int64_t>& size);
/// x with the order of its elements along `axis` reversed (tf.reverse with one axis); a
/// Bidirectional wrapper puts its backward layer's outputs back in time order with it.
Tensor reverse(const Tensor& x, int64_t axis);
/// x stretched to `shape` by broadcasting (tf.broadcast_to).
Tensor broadcast_to(const Tensor& x, const Shape& shape);
/// Sums `x` down to `shape`, the reverse of broadcasting (used by backward rules).
Tensor sum_to(const Tensor& x, const Shape& shape);

/// The broadcast shape of a and b; throws Error naming both shapes when they do not broadcast.
Shape broadcast_shape(const Shape& a, const Shape& b, const char* op = "broadcast");

}  // namespace gradlab
