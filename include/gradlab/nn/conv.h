#pragma once
/// Conv2D and Conv1D: convolution layers with Keras's semantics and layout (channels last).
///
///   Conv2D conv(32, {3, 3}, {.padding = "same", .activation = "relu", .kernel_initializer = "he_normal"});
///   Tensor y = conv(x);         // x [N, 28, 28, 1] -> y [N, 28, 28, 32]; kernel (3, 3, 1, 32), bias (32,)
///   Conv1D seq(16, 5, {.strides = 2});
///   Tensor z = seq(s);          // s [N, 100, 8] -> z [N, 48, 16]; kernel (5, 8, 16)
///
/// y = activation(conv2d(x, kernel) + bias), as keras.layers.Conv2D / Conv1D: the op is
/// gradlab::conv2d (autograd/conv_ops.h), so padding "same" is TensorFlow's (the smaller half of the
/// padding before), `groups` splits input channels and filters into groups, and the kernel is
/// (KH, KW, Cin / groups, filters) ((K, Cin / groups, filters) for Conv1D). The kernel initializer
/// sees compute_fans(kernel shape): fan_in = KH * KW * Cin / groups, fan_out = KH * KW * filters, as
/// Keras's compute_fans; the bias initializer sees its own fans (filters) with layer_fan_in = the
/// kernel's fan_in (what torch_linear_bias uses, as nn.Conv2d does). Built once from the first
/// input's channels; later inputs may have another height and width, not other channels.
///
/// Not offered (they would change results, so they are refused rather than ignored): Keras's
/// channels_first data_format and Conv1D's padding "causal". Unlike TensorFlow, strides and
/// dilation_rate above 1 may be combined (as in PyTorch).

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/autograd/conv_ops.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of Conv2D, with Keras's defaults. Pairs are (height, width).
struct Conv2DOptions {
  std::array<int64_t, 2> strides{1, 1};
  /// "valid" or "same" (padding_names()).
  std::string padding = "valid";
  std::array<int64_t, 2> dilation_rate{1, 1};
  /// Must divide the input channels and the filters.
  int64_t groups = 1;
  /// A name from activation_names().
  std::string activation = "linear";
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  /// Layer name; "conv2d", "conv2d_1", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// Options of Conv1D, with Keras's defaults.
struct Conv1DOptions {
  int64_t strides = 1;
  /// "valid" or "same" (padding_names()).
  std::string padding = "valid";
  int64_t dilation_rate = 1;
  /// Must divide the input channels and the filters.
  int64_t groups = 1;
  /// A name from activation_names().
  std::string activation = "linear";
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  /// Layer name; "conv1d", "conv1d_1", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of Conv2D and Conv1D (a Conv1D is a Conv2D over images of height 1 whose
/// kernel has no height axis); see the file comment.
class ConvImpl : public LayerImpl {
 public:
  /// A Conv2D. Throws Error naming the layer for filters, kernel sizes, strides, dilation rates or
  /// groups that are not positive, filters not divisible by groups, or an unknown padding or
  /// activation.
  ConvImpl(int64_t filters, std::array<int64_t, 2> kernel_size, Conv2DOptions options);
  /// A Conv1D, with the same checks.
  ConvImpl(int64_t filters, int64_t kernel_size, const Conv1DOptions& options);
  /// Creates the kernel and bias from the input's channels; throws Error naming the layer for an
  /// input of the wrong rank, channels not divisible by groups, or a kernel larger than the padded
  /// input.
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// activation(conv(x, kernel) + bias): [N, H, W, C] -> [N, OH, OW, filters] (Conv1D: [N, T, C] ->
  /// [N, OT, filters]).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "filters=32, kernel_size=(3, 3), strides=(1, 1), padding=same, ...".
  std::string config_summary() const override;

  /// 2 for Conv2D, 1 for Conv1D.
  int spatial_rank() const { return spatial_rank_; }
  int64_t filters() const { return filters_; }
  /// (height, width); (1, K) for Conv1D.
  std::array<int64_t, 2> kernel_size() const { return kernel_size_; }
  /// The options as a Conv2D's; a Conv1D's strides and dilation_rate are (1, value).
  const Conv2DOptions& options() const { return options_; }
  /// The op's arguments.
  const Conv2DArgs& args() const { return args_; }
  /// The kernel, (KH, KW, Cin / groups, filters) or (K, Cin / groups, filters); undefined before build.
  const Variable& kernel() const { return kernel_; }
  /// The bias, (filters,); undefined before build or without use_bias.
  const Variable& bias() const { return bias_; }

 private:
  ConvImpl(int spatial_rank, int64_t filters, std::array<int64_t, 2> kernel_size, Conv2DOptions options);
  void check_input_shape(const Shape& shape) const;

  int spatial_rank_;
  int64_t filters_;
  std::array<int64_t, 2> kernel_size_;
  Conv2DOptions options_;
  Conv2DArgs args_;
  Variable kernel_;
  Variable bias_;
};

/// Handle to a two-dimensional ConvImpl (keras.layers.Conv2D).
class Conv2D : public Layer {
 public:
  /// `filters` output channels from windows of kernel_size (height, width); see Conv2DOptions.
  Conv2D(int64_t filters, std::array<int64_t, 2> kernel_size, Conv2DOptions options = {});
  /// The implementation.
  ConvImpl& impl() const { return *as<ConvImpl>(); }
  /// The kernel, (KH, KW, Cin / groups, filters); undefined before the first call.
  const Variable& kernel() const { return impl().kernel(); }
  /// The bias, (filters,); undefined before the first call or without use_bias.
  const Variable& bias() const { return impl().bias(); }
};

/// Handle to a one-dimensional ConvImpl (keras.layers.Conv1D) on sequences [N, steps, channels].
class Conv1D : public Layer {
 public:
  /// `filters` output channels from windows of kernel_size steps; see Conv1DOptions.
  Conv1D(int64_t filters, int64_t kernel_size, Conv1DOptions options = {});
  /// The implementation.
  ConvImpl& impl() const { return *as<ConvImpl>(); }
  /// The kernel, (K, Cin / groups, filters); undefined before the first call.
  const Variable& kernel() const { return impl().kernel(); }
  /// The bias, (filters,); undefined before the first call or without use_bias.
  const Variable& bias() const { return impl().bias(); }
};

}  // namespace gradlab
