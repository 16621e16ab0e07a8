#pragma once
// Shared by Model and Sequential: the union of their layers' variables and the summary table.

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/autograd/variable.h"
#include "gradlab/nn/layer.h"

namespace gradlab::detail {

/// The variables of `layers`, each once (a shared layer, or one inside two nested models), trainable
/// first, otherwise in layer order.
std::vector<Variable> unique_variables(const std::vector<Layer>& layers);

/// One row of a summary table.
struct SummaryRow {
  std::string layer;         ///< "dense_1 (Dense)"
  std::string output_shape;  ///< "(None, 32)"
  int64_t params = 0;
};

/// Keras's display name of a layer type: "dense" -> "Dense", "batch_normalization" ->
/// "BatchNormalization".
std::string display_type(const std::string& type);
/// "(None, 32)" for a shape without its batch dimension.
std::string batch_shape_string(const Shape& shape);
/// The model.summary() table: a title line, one row per layer and the parameter totals.
std::string summary_table(const std::string& title, const std::vector<SummaryRow>& rows,
                          const std::vector<Variable>& variables);

}  // namespace gradlab::detail
