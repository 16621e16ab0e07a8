#include "gradlab/nn/depthwise_conv.h"

#include <string_view>

#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"
#include "window_checks.h"

namespace gradlab {
namespace {

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(std::array<int64_t, 2> kernel_size, const DepthwiseConv2DOptions& o) {
  const std::string_view label =
      o.name.empty() ? std::string_view("depthwise_conv2d") : std::string_view(o.name);
  detail::check_conv_window(label, kernel_size, o.strides, o.dilation_rate, o.padding, o.activation);
  if (o.depth_multiplier <= 0)
    fail("{}: depth_multiplier must be positive, got {}", label, o.depth_multiplier);
  return o.name;
}

}  // namespace

DepthwiseConv2DImpl::DepthwiseConv2DImpl(std::array<int64_t, 2> kernel_size, DepthwiseConv2DOptions options)
    : LayerImpl("depthwise_conv2d", checked_name(kernel_size, options), options.dtype),
      kernel_size_(kernel_size),
      options_(std::move(options)),
      padding_(padding_from_name(options_.padding)) {}

void DepthwiseConv2DImpl::check_input_shape(const Shape& shape) const {
  if (shape.rank() != 4) {
    fail("{}: expected an image input of rank 4 [batch, height, width, channels], got shape {}", name(),
         shape.to_string());
  }
  axis_windows(fmt::format("{} (height)", name()), shape[1], kernel_size_[0], options_.strides[0],
               options_.dilation_rate[0], padding_);
  axis_windows(fmt::format("{} (width)", name()), shape[2], kernel_size_[1], options_.strides[1],
               options_.dilation_rate[1], padding_);
}

void DepthwiseConv2DImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  check_input_shape(shape);
  const int64_t channels = shape[-1], multiplier = options_.depth_multiplier;
  const Shape kernel_shape{kernel_size_[0], kernel_size_[1], channels, multiplier};
  kernel_ = add_weight("kernel", kernel_shape, options_.depthwise_initializer);
  if (options_.use_bias) {
    Fans fans = compute_fans(Shape{channels * multiplier});
    fans.layer_fan_in = compute_fans(kernel_shape).fan_in;
    bias_ = add_weight("bias", Shape{channels * multiplier}, options_.bias_initializer, true, &fans);
  }
}

Tensor DepthwiseConv2DImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  check_input_shape(x.shape());
  const int64_t channels = kernel_.shape()[2], multiplier = kernel_.shape()[3];
  if (x.dim(-1) != channels) {
    fail("{}: input has {} channels but the kernel was built for {}", name(), x.dim(-1), channels);
  }
  const Tensor grouped =
      reshape(kernel_.value(), {kernel_size_[0], kernel_size_[1], 1, channels * multiplier});
  const Tensor z = conv2d(x, grouped, bias_.defined() ? bias_.value() : Tensor(),
                          {.strides = options_.strides,
                           .padding = padding_,
                           .dilation_rate = options_.dilation_rate,
                           .groups = channels});
  return options_.activation == "linear" ? z : get_activation(options_.activation)(z);
}

std::string DepthwiseConv2DImpl::config_summary() const {
  return fmt::format(
      "kernel_size=({}, {}), strides=({}, {}), padding={}, depth_multiplier={}, dilation_rate=({}, {}), "
      "activation={}, use_bias={}, depthwise_initializer={}, bias_initializer={}",
      kernel_size_[0], kernel_size_[1], options_.strides[0], options_.strides[1], padding_name(padding_),
      options_.depth_multiplier, options_.dilation_rate[0], options_.dilation_rate[1], options_.activation,
      options_.use_bias, options_.depthwise_initializer.description(),
      options_.bias_initializer.description());
}

DepthwiseConv2D::DepthwiseConv2D(std::array<int64_t, 2> kernel_size, DepthwiseConv2DOptions options)
    : Layer(std::make_shared<DepthwiseConv2DImpl>(kernel_size, std::move(options))) {}

}  // namespace gradlab
