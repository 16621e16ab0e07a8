#include "gradlab/tensor/creation.h"

#include <cstring>

namespace gradlab {

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  t.fill(value);
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * dtype_size(dtype));
  return t;
}

Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor scalar(double value, DType dtype) { return full(Shape{}, value, dtype); }
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), like.dtype()); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), like.dtype()); }

Tensor from_values(const Shape& shape, const std::vector<double>& values, DType dtype) {
  if (static_cast<int64_t>(values.size()) != shape.numel()) {
    fail("from_values: {} values given for shape {} ({} elements)", values.size(), shape.to_string(),
         shape.numel());
  }
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

Tensor eye(int64_t rows, int64_t cols, DType dtype) {
  Tensor t = zeros(Shape{rows, cols}, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < rows && i < cols; ++i) p[i * cols + i] = T(1);
  });
  return t;
}

}  // namespace gradlab
