#pragma once
// Small helpers shared by the test programs.
#include <functional>
#include <string>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab::test {

/// The message of the gradlab::Error `f` throws, or "(no error)" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

/// A tensor holding 0, 1, 2, ... in row-major order.
inline Tensor iota(const Shape& shape, DType dtype = DType::float64) {
  std::vector<double> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
  return from_values(shape, v, dtype);
}

}  // namespace gradlab::test
