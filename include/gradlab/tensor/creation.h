#pragma once
/// Functions that make new tensors: constants, copies of C++ values, and random draws.
///
///   Tensor z = zeros({2, 3});                          // float32 by default
///   Tensor v = from_values({2, 2}, {1, 2, 3, 4}, DType::float64);
///   Rng rng(0);  Tensor u = uniform({32, 128}, rng);  // U[0, 1), as tf.random.uniform

#include <vector>

#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

Tensor zeros(const Shape& shape, DType dtype = DType::float32);
Tensor ones(const Shape& shape, DType dtype = DType::float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::float32);
/// A rank-0 tensor holding `value`.
Tensor scalar(double value, DType dtype = DType::float32);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
/// A tensor holding `values` in row-major order; throws Error if their count is not shape.numel().
Tensor from_values(const Shape& shape, const std::vector<double>& values, DType dtype = DType::float32);
/// The rows x cols matrix with ones on the main diagonal.
Tensor eye(int64_t rows, int64_t cols, DType dtype = DType::float32);

/// Uniform draws in [low, high).
Tensor uniform(const Shape& shape, Rng& rng, double low = 0.0, double high = 1.0,
               DType dtype = DType::float32);
/// Normal draws.
Tensor normal(const Shape& shape, Rng& rng, double mean = 0.0, double stddev = 1.0,
              DType dtype = DType::float32);
/// Normal draws truncated (redrawn) beyond two standard deviations, as tf.random.truncated_normal.
Tensor truncated_normal(const Shape& shape, Rng& rng, double mean = 0.0, double stddev = 1.0,
                        DType dtype = DType::float32);

}  // namespace gradlab
