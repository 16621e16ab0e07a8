#pragma once
/// Element types a Tensor can hold: float32 (the default, as in Keras) and float64
/// (for finite-difference checks and for gradients that would underflow float32).

#include <cstddef>
#include <string>
#include <string_view>

#include "gradlab/error.h"

namespace gradlab {

/// Element type of a tensor.
enum class DType { float32, float64 };

/// Bytes per element: 4 or 8.
constexpr std::size_t dtype_size(DType dtype) { return dtype == DType::float32 ? 4 : 8; }

/// "float32" or "float64".
constexpr std::string_view dtype_name(DType dtype) {
  return dtype == DType::float32 ? "float32" : "float64";
}

/// Parses "float32"/"float64" (also "f32"/"f64"); throws Error naming the bad value.
DType parse_dtype(std::string_view name);

/// The DType of a C++ element type: `dtype_of<float>` is float32.
template <typename T>
constexpr DType dtype_of = std::is_same_v<T, float> ? DType::float32 : DType::float64;

/// Calls `fn(T{})` with T = float or double according to `dtype`.
/// Example: `dispatch(x.dtype(), [&](auto tag) { using T = decltype(tag); ... });`
template <typename Fn>
decltype(auto) dispatch(DType dtype, Fn&& fn) {
  if (dtype == DType::float32) return fn(float{});
  return fn(double{});
}

}  // namespace gradlab
