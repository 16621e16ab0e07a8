#pragma once
// Private layout of a Tensor handle, shared by the tensor room's sources only.
#include "gradlab/tensor/tensor.h"

namespace gradlab {

struct Tensor::Impl {
  Shape shape;
  DType dtype;
  std::shared_ptr<Storage> storage;
  uint64_t id;
  mutable bool trainable_variable = false;
};

}  // namespace gradlab
