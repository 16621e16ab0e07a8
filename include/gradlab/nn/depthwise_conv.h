#pragma once
/// DepthwiseConv2D: each input channel convolved with its own depth_multiplier filters, with Keras's
/// semantics and layout (channels last).
///
///   DepthwiseConv2D dw({3, 3}, {.depth_multiplier = 2, .padding = "same"});
///   Tensor y = dw(x);           // x [N, 28, 28, 8] -> y [N, 28, 28, 16]; kernel (3, 3, 8, 2), bias (16,)
///
/// y[n, i, j, c * M + m] = activation(bias[c * M + m] + sum over (a, b) of
/// x[n, i * sh + a * dh - pad_top, j * sw + b * dw - pad_left, c] * kernel[a, b, c, m]), as
/// keras.layers.DepthwiseConv2D: output channel c * M + m is input channel c's m-th filter. The op is
/// gradlab::conv2d with groups = C on the kernel reshaped to (KH, KW, 1, C * M), which is the same
/// memory (a row-major (KH, KW, C, M) kernel read as (KH, KW, 1, C * M) puts [a, b, c, m] at
/// column c * M + m, the filter group c's m-th filter): padding "same" is TensorFlow's. The kernel
/// initializer sees Keras's compute_fans of (KH, KW, C, M): fan_in = KH * KW * C and
/// fan_out = KH * KW * M, as Keras computes them (although each output sees KH * KW inputs); the
/// bias's fans are (C * M) with the kernel's fan_in as the layer's. PyTorch's equivalent is
/// nn.Conv2d(C, C * M, groups=C) with weight (C * M, 1, KH, KW) (docs/conventions.md).
///
/// Not offered: Keras's channels_first data_format (refused by the spec and Keras readers).

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/autograd/conv_ops.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of DepthwiseConv2D, with Keras's defaults. Pairs are (height, width).
struct DepthwiseConv2DOptions {
  std::array<int64_t, 2> strides{1, 1};
  /// "valid" or "same" (padding_names()).
  std::string padding = "valid";
  /// Filters per input channel (M); the output has C * M channels.
  int64_t depth_multiplier = 1;
  std::array<int64_t, 2> dilation_rate{1, 1};
  /// A name from activation_names().
  std::string activation = "linear";
  bool use_bias = true;
  /// Keras's depthwise_initializer.
  Initializer depthwise_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  /// Layer name; "depthwise_conv2d", "depthwise_conv2d_1", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of DepthwiseConv2D; see the file comment.
class DepthwiseConv2DImpl : public LayerImpl {
 public:
  /// Throws Error naming the layer for kernel sizes, strides, dilation rates or a depth_multiplier
  /// that are not positive, or an unknown padding or activation.
  DepthwiseConv2DImpl(std::array<int64_t, 2> kernel_size, DepthwiseConv2DOptions options);
  /// Creates the kernel (KH, KW, C, M) and bias (C * M,) from the input's channels; throws Error
  /// naming the layer for an input of the wrong rank or a kernel larger than the padded input.
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// [N, H, W, C] -> [N, OH, OW, C * M].
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "kernel_size=(3, 3), strides=(1, 1), padding=valid, depth_multiplier=1, ...".
  std::string config_summary() const override;

  std::array<int64_t, 2> kernel_size() const { return kernel_size_; }
  const DepthwiseConv2DOptions& options() const { return options_; }
  /// The kernel (KH, KW, C, M); undefined before build.
  const Variable& kernel() const { return kernel_; }
  /// The bias (C * M,); undefined before build or without use_bias.
  const Variable& bias() const { return bias_; }

 private:
  void check_input_shape(const Shape& shape) const;

  std::array<int64_t, 2> kernel_size_;
  DepthwiseConv2DOptions options_;
  Padding padding_;
  Variable kernel_;
  Variable bias_;
};

/// Handle to a DepthwiseConv2DImpl (keras.layers.DepthwiseConv2D).
class DepthwiseConv2D : public Layer {
 public:
  /// Windows of kernel_size (height, width), depth_multiplier filters per channel; see the options.
  explicit DepthwiseConv2D(std::array<int64_t, 2> kernel_size, DepthwiseConv2DOptions options = {});
  DepthwiseConv2DImpl& impl() const { return *as<DepthwiseConv2DImpl>(); }
  /// The kernel (KH, KW, C, M); undefined before the first call.
  const Variable& kernel() const { return impl().kernel(); }
  /// The bias (C * M,); undefined before the first call or without use_bias.
  const Variable& bias() const { return impl().bias(); }
};

}  // namespace gradlab
