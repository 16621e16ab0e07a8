#pragma once
// Private layout of a Tensor handle, shared by the tensor room's sources only.
#include <memory>
#include <optional>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

// A tensor that owns its bytes holds them in `storage`; a view (Tensor::view) holds its base
// instead, which keeps the bytes alive. Either way one allocation carries the handle's state and
// the control block (make_shared), and the bytes come from the per-thread buffer cache.
struct Tensor::Impl {
  Shape shape;
  DType dtype = DType::float32;
  uint64_t id = 0;
  mutable bool trainable_variable = false;
  void* data = nullptr;
  std::optional<Storage> storage;
  std::shared_ptr<const Impl> base;
  std::shared_ptr<const void> owner;  // who owns `data` when neither storage nor base does (wrap)
};

}  // namespace gradlab
