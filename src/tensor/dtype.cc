#include "gradlab/tensor/dtype.h"

namespace gradlab {

DType parse_dtype(std::string_view name) {
  if (name == "float32" || name == "f32") return DType::float32;
  if (name == "float64" || name == "f64") return DType::float64;
  fail("unknown dtype '{}': expected float32 or float64", name);
}

}  // namespace gradlab
