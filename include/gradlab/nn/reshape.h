#pragma once
/// Reshape: each example's elements in a new shape, as keras.layers.Reshape (the batch axis stays).
///
///   Tensor img = Reshape({28, 28, 1})(v);    // v [N, 784] -> img [N, 28, 28, 1]
///   Tensor seq = Reshape({-1, 8})(x);        // x [N, 4, 4, 4] -> seq [N, 8, 8]; -1 is inferred
///
/// Row-major, as tf.reshape: the order of the elements does not change. One entry of target_shape
/// may be -1, inferred from the example's element count.

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Reshape.
struct ReshapeOptions {
  /// Layer name; "reshape", "reshape_1", ... when empty.
  std::string name;
};

/// The implementation of Reshape; it has no variables.
class ReshapeImpl : public LayerImpl {
 public:
  /// Throws Error naming the layer for an empty target_shape, an entry that is neither positive nor
  /// -1, or -1 more than once.
  ReshapeImpl(std::vector<int64_t> target_shape, ReshapeOptions options);
  /// [N, ...] -> [N, target_shape...]; throws Error naming the layer when the example's element
  /// count does not fit target_shape.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "target_shape=(28, 28, 1)".
  std::string config_summary() const override;
  const std::vector<int64_t>& target_shape() const { return target_shape_; }

 private:
  std::vector<int64_t> target_shape_;
};

/// Handle to a ReshapeImpl (keras.layers.Reshape).
class Reshape : public Layer {
 public:
  explicit Reshape(std::vector<int64_t> target_shape, ReshapeOptions options = {});
};

}  // namespace gradlab
