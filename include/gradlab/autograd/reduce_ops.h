#pragma once
/// Differentiable reductions over axes: sum, mean, variance, Euclidean norm.
///
///   Tensor m = mean(y);                         // over every element, a scalar (tf.reduce_mean)
///   Tensor mu = mean(x, {0}, true);             // per feature, shape [1, features]
///   Tensor g = norm(tape.gradient(m, x));       // the lesson's tf.norm(..., ord="euclidean")
///
/// `axes` empty means every axis. Negative axes count from the end. `keepdims` keeps reduced axes as 1.

#include <cstdint>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
/// Biased variance, mean((x - mean(x))^2), as tf.math.reduce_variance.
Tensor variance(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
/// Euclidean (L2) norm sqrt(sum(x^2)); its gradient at an all-zero input is zero, not NaN.
Tensor norm(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);
/// Largest element along the axes (gradient to the first maximal element).
Tensor reduce_max(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdims = false);

}  // namespace gradlab
