#include "nn/initializers/draw.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "gradlab/tensor/creation.h"

namespace gradlab::detail {

Tensor draw_uniform(const Shape& shape, DType dtype, Rng& rng, double low, double high) {
  Tensor wide = uniform(shape, rng, low, high, DType::float64);
  if (dtype == DType::float64) return wide;
  // Rounding a double just below high to float can give high itself; keep the half-open interval.
  float top = static_cast<float>(high);
  if (high > low && static_cast<double>(top) >= high) {
    top = std::nextafter(top, -std::numeric_limits<float>::infinity());
  }
  Tensor narrow = Tensor::empty(shape, DType::float32);
  const double* src = wide.data<double>();
  float* dst = narrow.data<float>();
  const int64_t n = narrow.numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = std::min(static_cast<float>(src[i]), top);
  return narrow;
}

Tensor draw_normal(const Shape& shape, DType dtype, Rng& rng, double mean, double stddev) {
  Tensor wide = normal(shape, rng, mean, stddev, DType::float64);
  return dtype == DType::float64 ? wide : wide.to(dtype);
}

Tensor draw_truncated_normal(const Shape& shape, DType dtype, Rng& rng, double mean, double stddev) {
  Tensor wide = truncated_normal(shape, rng, mean, stddev, DType::float64);
  return dtype == DType::float64 ? wide : wide.to(dtype);
}

std::string format_number(double value) { return fmt::format("{}", value); }

}  // namespace gradlab::detail
