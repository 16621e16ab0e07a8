#include "gradlab/nn/conv.h"

#include <string_view>

#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"
#include "window_checks.h"

namespace gradlab {
namespace {

const char* type_of(int spatial_rank) { return spatial_rank == 1 ? "conv1d" : "conv2d"; }

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(int spatial_rank, int64_t filters, std::array<int64_t, 2> kernel_size,
                                const Conv2DOptions& o) {
  const std::string_view label =
      o.name.empty() ? std::string_view(type_of(spatial_rank)) : std::string_view(o.name);
  if (filters <= 0) fail("{}: filters must be positive, got {}", label, filters);
  detail::check_conv_window(label, kernel_size, o.strides, o.dilation_rate, o.padding, o.activation);
  if (o.groups <= 0) fail("{}: groups must be positive, got {}", label, o.groups);
  if (filters % o.groups != 0) {
    fail("{}: filters = {} must be divisible by groups = {}", label, filters, o.groups);
  }
  return o.name;
}

Conv2DOptions as_2d(const Conv1DOptions& o) {
  return {.strides = {1, o.strides},
          .padding = o.padding,
          .dilation_rate = {1, o.dilation_rate},
          .groups = o.groups,
          .activation = o.activation,
          .use_bias = o.use_bias,
          .kernel_initializer = o.kernel_initializer,
          .bias_initializer = o.bias_initializer,
          .name = o.name,
          .dtype = o.dtype};
}

// "(3, 3)" for Conv2D, "3" for Conv1D: the form the user wrote.
std::string pair_text(int spatial_rank, std::array<int64_t, 2> v) {
  return spatial_rank == 1 ? fmt::format("{}", v[1]) : fmt::format("({}, {})", v[0], v[1]);
}

}  // namespace

ConvImpl::ConvImpl(int spatial_rank, int64_t filters, std::array<int64_t, 2> kernel_size,
                   Conv2DOptions options)
    : LayerImpl(type_of(spatial_rank), checked_name(spatial_rank, filters, kernel_size, options),
                options.dtype),
      spatial_rank_(spatial_rank),
      filters_(filters),
      kernel_size_(kernel_size),
      options_(std::move(options)),
      args_{.strides = options_.strides,
            .padding = padding_from_name(options_.padding),
            .dilation_rate = options_.dilation_rate,
            .groups = options_.groups} {}

ConvImpl::ConvImpl(int64_t filters, std::array<int64_t, 2> kernel_size, Conv2DOptions options)
    : ConvImpl(2, filters, kernel_size, std::move(options)) {}

ConvImpl::ConvImpl(int64_t filters, int64_t kernel_size, const Conv1DOptions& options)
    : ConvImpl(1, filters, {1, kernel_size}, as_2d(options)) {}

void ConvImpl::check_input_shape(const Shape& shape) const {
  if (shape.rank() != spatial_rank_ + 2) {
    if (spatial_rank_ == 1) {
      fail("{}: expected a sequence input of rank 3 [batch, steps, channels], got shape {}", name(),
           shape.to_string());
    }
    fail("{}: expected an image input of rank 4 [batch, height, width, channels], got shape {}", name(),
         shape.to_string());
  }
  const int64_t channels = shape[-1];
  if (channels % options_.groups != 0) {
    fail("{}: the input has {} channels, which groups = {} does not divide", name(), channels,
         options_.groups);
  }
  // Each spatial axis must hold the (dilated) kernel once padded; axis_windows names the axis.
  const char* axis_names[2] = {"height", spatial_rank_ == 1 ? "steps" : "width"};
  // A Conv1D has only the second (steps) axis, at shape[1].
  for (int axis = 2 - spatial_rank_; axis < 2; ++axis) {
    axis_windows(fmt::format("{} ({})", name(), axis_names[axis]), shape[1 + axis - (2 - spatial_rank_)],
                 kernel_size_[axis], args_.strides[axis], args_.dilation_rate[axis], args_.padding);
  }
}

void ConvImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  check_input_shape(shape);
  const int64_t group_channels = shape[-1] / options_.groups;
  const Shape kernel_shape = spatial_rank_ == 1
                                 ? Shape{kernel_size_[1], group_channels, filters_}
                                 : Shape{kernel_size_[0], kernel_size_[1], group_channels, filters_};
  kernel_ = add_weight("kernel", kernel_shape, options_.kernel_initializer);
  if (options_.use_bias) {
    Fans fans = compute_fans(Shape{filters_});
    fans.layer_fan_in = compute_fans(kernel_shape).fan_in;
    bias_ = add_weight("bias", Shape{filters_}, options_.bias_initializer, true, &fans);
  }
}

Tensor ConvImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  check_input_shape(x.shape());
  const int64_t built_channels = kernel_.shape()[-2] * options_.groups;
  if (x.dim(-1) != built_channels) {
    fail("{}: input has {} channels but the kernel was built for {}", name(), x.dim(-1), built_channels);
  }
  const Tensor bias = bias_.defined() ? bias_.value() : Tensor();
  const Tensor z = spatial_rank_ == 1 ? conv1d(x, kernel_.value(), bias,
                                               {.strides = args_.strides[1],
                                                .padding = args_.padding,
                                                .dilation_rate = args_.dilation_rate[1],
                                                .groups = args_.groups})
                                      : conv2d(x, kernel_.value(), bias, args_);
  return options_.activation == "linear" ? z : get_activation(options_.activation)(z);
}

std::string ConvImpl::config_summary() const {
  return fmt::format(
      "filters={}, kernel_size={}, strides={}, padding={}, dilation_rate={}, groups={}, activation={}, "
      "use_bias={}, "
      "kernel_initializer={}, bias_initializer={}",
      filters_, pair_text(spatial_rank_, kernel_size_), pair_text(spatial_rank_, options_.strides),
      padding_name(args_.padding), pair_text(spatial_rank_, options_.dilation_rate), options_.groups,
      options_.activation, options_.use_bias, options_.kernel_initializer.description(),
      options_.bias_initializer.description());
}

Conv2D::Conv2D(int64_t filters, std::array<int64_t, 2> kernel_size, Conv2DOptions options)
    : Layer(std::make_shared<ConvImpl>(filters, kernel_size, std::move(options))) {}

Conv1D::Conv1D(int64_t filters, int64_t kernel_size, Conv1DOptions options)
    : Layer(std::make_shared<ConvImpl>(filters, kernel_size, options)) {}

}  // namespace gradlab
