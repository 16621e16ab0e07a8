#pragma once
// Shared by the initializer sources: draws made in float64 and converted, so a float32 and a float64
// variable drawn from the same generator state agree up to rounding.
#include <string>

#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab::detail {

/// U[low, high) drawn in float64; the float32 result stays below high after rounding.
Tensor draw_uniform(const Shape& shape, DType dtype, Rng& rng, double low, double high);
/// N(mean, stddev^2) drawn in float64.
Tensor draw_normal(const Shape& shape, DType dtype, Rng& rng, double mean, double stddev);
/// N(mean, stddev^2) redrawn beyond two stddev, drawn in float64.
Tensor draw_truncated_normal(const Shape& shape, DType dtype, Rng& rng, double mean, double stddev);
/// A number as an argument list shows it: 2, 0.05, -0.05.
std::string format_number(double value);

}  // namespace gradlab::detail
