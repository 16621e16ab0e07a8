#pragma once
// Argument checks shared by the differentiable ops; each message names the op.
#include "gradlab/error.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab::detail {

inline void require_defined(const Tensor& x, const char* op, const char* role = "input") {
  if (!x.defined()) fail("{}: {} is an undefined tensor", op, role);
}

inline void require_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype()) {
    fail("{}: inputs have different dtypes {} {} and {} {}; convert one with cast()", op,
         dtype_name(a.dtype()), a.shape().to_string(), dtype_name(b.dtype()), b.shape().to_string());
  }
}

}  // namespace gradlab::detail
