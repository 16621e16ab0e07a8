#pragma once
/// Pooling layers with Keras's semantics and layout (channels last): MaxPooling2D,
/// AveragePooling2D, GlobalAveragePooling2D.
///
///   MaxPooling2D pool({2, 2});                        // strides default to the pool size
///   Tensor y = pool(x);                               // x [N, 28, 28, 32] -> y [N, 14, 14, 32]
///   Tensor g = GlobalAveragePooling2D()(y);           // -> [N, 32]
///
/// The ops are gradlab::max_pool2d and avg_pool2d (autograd/conv_ops.h): padding "same" is
/// TensorFlow's, and padded positions are skipped (never a maximum, not counted in an average), as
/// keras.layers.MaxPooling2D and AveragePooling2D compute them. The layers have no variables.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/autograd/conv_ops.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of MaxPooling2D and AveragePooling2D, with Keras's defaults. Pairs are (height, width).
struct Pooling2DOptions {
  /// The pool_size when unset, as Keras's strides=None.
  std::optional<std::array<int64_t, 2>> strides;
  /// "valid" or "same" (padding_names()).
  std::string padding = "valid";
  /// Layer name; "max_pooling2d", "average_pooling2d", ... when empty.
  std::string name;
};

/// The implementation of MaxPooling2D and AveragePooling2D.
class Pooling2DImpl : public LayerImpl {
 public:
  /// Which statistic a window gives.
  enum class Kind { max, average };
  /// Throws Error naming the layer for sizes or strides that are not positive or an unknown padding.
  Pooling2DImpl(Kind kind, std::array<int64_t, 2> pool_size, Pooling2DOptions options);
  /// Checks the input ([N, H, W, C]) and that a "valid" window fits it, naming the layer.
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// [N, H, W, C] -> [N, OH, OW, C].
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "pool_size=(2, 2), strides=(2, 2), padding=valid".
  std::string config_summary() const override;

  Kind kind() const { return kind_; }
  /// The op's arguments (strides resolved).
  const Pool2DArgs& args() const { return args_; }

 private:
  void check_input_shape(const Shape& shape) const;

  Kind kind_;
  Pool2DArgs args_;
};

/// Handle to a max-pooling Pooling2DImpl (keras.layers.MaxPooling2D).
class MaxPooling2D : public Layer {
 public:
  explicit MaxPooling2D(std::array<int64_t, 2> pool_size = {2, 2}, Pooling2DOptions options = {});
  Pooling2DImpl& impl() const { return *as<Pooling2DImpl>(); }
};

/// Handle to an average-pooling Pooling2DImpl (keras.layers.AveragePooling2D).
class AveragePooling2D : public Layer {
 public:
  explicit AveragePooling2D(std::array<int64_t, 2> pool_size = {2, 2}, Pooling2DOptions options = {});
  Pooling2DImpl& impl() const { return *as<Pooling2DImpl>(); }
};

/// Options of GlobalAveragePooling2D.
struct GlobalPoolingOptions {
  /// Keep the spatial axes as size 1 ([N, 1, 1, C]) instead of dropping them ([N, C]).
  bool keepdims = false;
  /// Layer name; "global_average_pooling2d", ... when empty.
  std::string name;
};

/// The implementation of GlobalAveragePooling2D: the mean over height and width per channel.
class GlobalAveragePooling2DImpl : public LayerImpl {
 public:
  explicit GlobalAveragePooling2DImpl(GlobalPoolingOptions options);
  /// [N, H, W, C] -> [N, C] (or [N, 1, 1, C] with keepdims); throws Error naming the layer for
  /// another rank.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "keepdims=false".
  std::string config_summary() const override;
  bool keepdims() const { return keepdims_; }

 private:
  bool keepdims_;
};

/// Handle to a GlobalAveragePooling2DImpl (keras.layers.GlobalAveragePooling2D).
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(GlobalPoolingOptions options = {});
};

}  // namespace gradlab
