#pragma once
/// Pooling layers with Keras's semantics and layout (channels last): MaxPooling2D,
/// AveragePooling2D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling2D/1D and
/// GlobalMaxPooling2D/1D.
///
///   MaxPooling2D pool({2, 2});                        // strides default to the pool size
///   Tensor y = pool(x);                               // x [N, 28, 28, 32] -> y [N, 14, 14, 32]
///   Tensor g = GlobalAveragePooling2D()(y);           // -> [N, 32]
///   Tensor s = MaxPooling1D(3, {.strides = 1})(seq);  // seq [N, 10, 8] -> s [N, 8, 8]
///
/// The ops are gradlab::max_pool2d, avg_pool2d, max_pool1d and avg_pool1d (autograd/conv_ops.h):
/// padding "same" is TensorFlow's, and padded positions are skipped (never a maximum, not counted in
/// an average), as keras.layers.MaxPooling2D and AveragePooling2D compute them. The global layers
/// are mean and reduce_max over the spatial axes. The layers have no variables.

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

/// Options of MaxPooling1D and AveragePooling1D, with Keras's defaults.
struct Pooling1DOptions {
  /// The pool_size when unset, as Keras's strides=None.
  std::optional<int64_t> strides;
  /// "valid" or "same" (padding_names()).
  std::string padding = "valid";
  /// Layer name; "max_pooling1d", "average_pooling1d", ... when empty.
  std::string name;
};

/// Which statistic a pooling window gives.
enum class PoolingKind { max, average };

/// The implementation of MaxPooling2D, AveragePooling2D, MaxPooling1D and AveragePooling1D (a
/// one-dimensional pool is a two-dimensional one of height 1 over images of height 1).
class Pooling2DImpl : public LayerImpl {
 public:
  using Kind = PoolingKind;
  /// A two-dimensional pool. Throws Error naming the layer for sizes or strides that are not
  /// positive or an unknown padding.
  Pooling2DImpl(Kind kind, std::array<int64_t, 2> pool_size, Pooling2DOptions options);
  /// A one-dimensional pool, with the same checks.
  Pooling2DImpl(Kind kind, int64_t pool_size, const Pooling1DOptions& options);
  /// Checks the input ([N, H, W, C], or [N, T, C] for a 1D pool) and that a "valid" window fits
  /// it, naming the layer.
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// [N, H, W, C] -> [N, OH, OW, C]; [N, T, C] -> [N, OT, C].
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "pool_size=(2, 2), strides=(2, 2), padding=valid" ("pool_size=2, ..." for a 1D pool).
  std::string config_summary() const override;

  Kind kind() const { return kind_; }
  /// 2, or 1 for MaxPooling1D and AveragePooling1D.
  int spatial_rank() const { return spatial_rank_; }
  /// The op's arguments (strides resolved); a 1D pool's are (1, value).
  const Pool2DArgs& args() const { return args_; }

 private:
  Pooling2DImpl(Kind kind, int spatial_rank, std::array<int64_t, 2> pool_size, Pooling2DOptions options);
  void check_input_shape(const Shape& shape) const;

  Kind kind_;
  int spatial_rank_;
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

/// Handle to a one-dimensional max-pooling Pooling2DImpl (keras.layers.MaxPooling1D) on [N, T, C].
class MaxPooling1D : public Layer {
 public:
  explicit MaxPooling1D(int64_t pool_size = 2, const Pooling1DOptions& options = {});
  Pooling2DImpl& impl() const { return *as<Pooling2DImpl>(); }
};

/// Handle to a one-dimensional average-pooling Pooling2DImpl (keras.layers.AveragePooling1D).
class AveragePooling1D : public Layer {
 public:
  explicit AveragePooling1D(int64_t pool_size = 2, const Pooling1DOptions& options = {});
  Pooling2DImpl& impl() const { return *as<Pooling2DImpl>(); }
};

/// Options of the global pooling layers.
struct GlobalPoolingOptions {
  /// Keep the spatial axes as size 1 ([N, 1, 1, C]) instead of dropping them ([N, C]).
  bool keepdims = false;
  /// Layer name; "global_average_pooling2d", "global_max_pooling1d", ... when empty.
  std::string name;
};

/// The implementation of GlobalAveragePooling2D/1D and GlobalMaxPooling2D/1D: the mean or the
/// largest value over the spatial axes, per channel (a maximum's gradient goes to the first
/// largest element, in row-major order).
class GlobalPoolingImpl : public LayerImpl {
 public:
  GlobalPoolingImpl(PoolingKind kind, int spatial_rank, GlobalPoolingOptions options);
  /// [N, H, W, C] -> [N, C] (or [N, 1, 1, C] with keepdims); [N, T, C] -> [N, C] for a 1D layer;
  /// throws Error naming the layer for another rank.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "keepdims=false".
  std::string config_summary() const override;
  PoolingKind kind() const { return kind_; }
  int spatial_rank() const { return spatial_rank_; }
  bool keepdims() const { return keepdims_; }

 private:
  PoolingKind kind_;
  int spatial_rank_;
  bool keepdims_;
};

/// Handle to a GlobalPoolingImpl taking the mean over height and width
/// (keras.layers.GlobalAveragePooling2D).
class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(GlobalPoolingOptions options = {});
};

/// Handle to a GlobalPoolingImpl taking the mean over the steps (keras.layers.GlobalAveragePooling1D).
class GlobalAveragePooling1D : public Layer {
 public:
  explicit GlobalAveragePooling1D(GlobalPoolingOptions options = {});
};

/// Handle to a GlobalPoolingImpl taking the largest value over height and width
/// (keras.layers.GlobalMaxPooling2D).
class GlobalMaxPooling2D : public Layer {
 public:
  explicit GlobalMaxPooling2D(GlobalPoolingOptions options = {});
};

/// Handle to a GlobalPoolingImpl taking the largest value over the steps (keras.layers.GlobalMaxPooling1D).
class GlobalMaxPooling1D : public Layer {
 public:
  explicit GlobalMaxPooling1D(GlobalPoolingOptions options = {});
};

}  // namespace gradlab
