#pragma once
/// Flatten: [N, d1, d2, ...] -> [N, d1 * d2 * ...], as keras.layers.Flatten (channels last, so a
/// flattened image runs row by row, each position's channels together).
///
///   Tensor v = Flatten()(x);     // x [N, 7, 7, 32] -> v [N, 1568]; an input [N] gives [N, 1]

#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Flatten.
struct FlattenOptions {
  /// Layer name; "flatten", "flatten_1", ... when empty.
  std::string name;
};

/// The implementation of Flatten; it has no variables.
class FlattenImpl : public LayerImpl {
 public:
  explicit FlattenImpl(FlattenOptions options);
  /// Reshapes to [batch, every other element]; throws Error naming the layer for a scalar.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
};

/// Handle to a FlattenImpl.
class Flatten : public Layer {
 public:
  explicit Flatten(FlattenOptions options = {});
};

}  // namespace gradlab
