// The random creators of creation.h: each is one Rng draw into a new tensor.
#include "gradlab/tensor/creation.h"

namespace gradlab {

Tensor uniform(const Shape& shape, Rng& rng, double low, double high, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rng.uniform(t.data<T>(), t.numel(), low, high);
  });
  return t;
}

Tensor normal(const Shape& shape, Rng& rng, double mean, double stddev, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rng.normal(t.data<T>(), t.numel(), mean, stddev);
  });
  return t;
}

Tensor truncated_normal(const Shape& shape, Rng& rng, double mean, double stddev, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    rng.truncated_normal(t.data<T>(), t.numel(), mean, stddev);
  });
  return t;
}

}  // namespace gradlab
