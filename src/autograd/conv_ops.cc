#include "gradlab/autograd/conv_ops.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "autograd/op_checks.h"
#include "gradlab/autograd/record.h"
#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"
#include "kernels/convolution.h"

namespace gradlab {
namespace {

struct PaddingEntry {
  Padding padding;
  const char* name;
};
constexpr PaddingEntry kPaddings[] = {{Padding::valid, "valid"}, {Padding::same, "same"}};

void require_image(const Tensor& x, const char* op) {
  detail::require_defined(x, op);
  if (x.rank() != 4) {
    fail("{}: expected an image batch of rank 4 [batch, height, width, channels], got shape {}", op,
         x.shape().to_string());
  }
}

// A one-dimensional op runs as a two-dimensional one on images of height 1; its errors name the
// steps axis instead of the width.
kernels::ImageWindows sweep(const char* op, const Tensor& x, std::array<int64_t, 2> window,
                            std::array<int64_t, 2> strides, std::array<int64_t, 2> dilation,
                            Padding padding) {
  const bool steps = std::string_view(op).ends_with("1d");
  const AxisWindows rows =
      axis_windows(fmt::format("{} (height)", op), x.dim(1), window[0], strides[0], dilation[0], padding);
  const AxisWindows cols = axis_windows(fmt::format("{} ({})", op, steps ? "steps" : "width"), x.dim(2),
                                        window[1], strides[1], dilation[1], padding);
  return {.batch = x.dim(0),
          .height = x.dim(1),
          .width = x.dim(2),
          .channels = x.dim(3),
          .window_h = window[0],
          .window_w = window[1],
          .stride_h = strides[0],
          .stride_w = strides[1],
          .dilation_h = dilation[0],
          .dilation_w = dilation[1],
          .pad_top = rows.before,
          .pad_left = cols.before,
          .out_h = rows.outputs,
          .out_w = cols.outputs};
}

kernels::ConvShape conv_shape(const char* op, const Tensor& x, const Tensor& kernel, const Tensor& bias,
                              const Conv2DArgs& args) {
  require_image(x, op);
  detail::require_defined(kernel, op, "kernel");
  if (kernel.rank() != 4) {
    fail("{}: expected a kernel (kernel_h, kernel_w, in_channels / groups, filters), got shape {}", op,
         kernel.shape().to_string());
  }
  detail::require_same_dtype(x, kernel, op);
  const int64_t channels = x.dim(3), filters = kernel.dim(3);
  if (args.groups < 1) fail("{}: groups must be positive, got {}", op, args.groups);
  if (channels % args.groups != 0 || filters % args.groups != 0) {
    fail("{}: {} input channels and {} filters must both be divisible by groups = {}", op, channels, filters,
         args.groups);
  }
  if (kernel.dim(2) * args.groups != channels) {
    fail(
        "{}: input has {} channels but the kernel {} expects {} (in_channels / groups = {} with groups = {})",
        op, channels, kernel.shape().to_string(), kernel.dim(2) * args.groups, kernel.dim(2), args.groups);
  }
  if (bias.defined()) {
    detail::require_same_dtype(x, bias, op);
    if (bias.rank() != 1 || bias.dim(0) != filters) {
      fail("{}: bias is {} but the kernel has {} filters (expected [{}])", op, bias.shape().to_string(),
           filters, filters);
    }
  }
  return {
      .windows = sweep(op, x, {kernel.dim(0), kernel.dim(1)}, args.strides, args.dilation_rate, args.padding),
      .filters = filters,
      .groups = args.groups};
}

Shape output_shape(const kernels::ImageWindows& w, int64_t channels) {
  return Shape{w.batch, w.out_h, w.out_w, channels};
}

// conv2d under the name of the op the user called (conv2d or conv1d), for errors and the tape.
Tensor convolve(const char* op, const Tensor& x, const Tensor& kernel, const Tensor& bias,
                const Conv2DArgs& args) {
  const kernels::ConvShape shape = conv_shape(op, x, kernel, bias, args);
  Tensor y = Tensor::empty(output_shape(shape.windows, shape.filters), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::conv2d_forward<T>(x.data<T>(), kernel.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                               shape, y.data<T>());
  });
  if (should_record({x, kernel, bias})) {
    record(op, {x, kernel, bias}, y, [x, kernel, shape](const Tensor& g, std::span<const bool> needs) {
      std::vector<Tensor> grads(3);
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (needs[0]) {
          grads[0] = Tensor::empty(x.shape(), x.dtype());
          kernels::conv2d_input_gradient<T>(g.data<T>(), kernel.data<T>(), shape, grads[0].data<T>());
        }
        if (needs[1] || needs[2]) {
          // The bias gradient comes with the kernel's (oneDNN computes both in one pass); one not
          // asked for is dropped.
          grads[1] = Tensor::empty(kernel.shape(), kernel.dtype());
          if (needs[2]) grads[2] = Tensor::empty(Shape{shape.filters}, g.dtype());
          kernels::conv2d_kernel_gradient<T>(x.data<T>(), g.data<T>(), shape, grads[1].data<T>(),
                                             needs[2] ? grads[2].data<T>() : nullptr);
          if (!needs[1]) grads[1] = Tensor();
        }
      });
      return grads;
    });
  }
  return y;
}

}  // namespace

Padding padding_from_name(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const PaddingEntry& entry : kPaddings) {
    if (lower == entry.name) return entry.padding;
  }
  fail("unknown padding '{}'; expected one of: {}", name, fmt::join(padding_names(), ", "));
}

const char* padding_name(Padding padding) {
  for (const PaddingEntry& entry : kPaddings) {
    if (entry.padding == padding) return entry.name;
  }
  fail("padding_name: not a Padding value");
}

const std::vector<std::string>& padding_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const PaddingEntry& entry : kPaddings) out.emplace_back(entry.name);
    return out;
  }();
  return names;
}

AxisWindows axis_windows(std::string_view what, int64_t input, int64_t window, int64_t stride,
                         int64_t dilation, Padding padding) {
  if (window < 1) fail("{}: the window size must be positive, got {}", what, window);
  if (stride < 1) fail("{}: strides must be positive, got {}", what, stride);
  if (dilation < 1) fail("{}: dilation_rate must be positive, got {}", what, dilation);
  if (input < 1) fail("{}: the input has {} positions; expected at least 1", what, input);
  const int64_t span = (window - 1) * dilation + 1;
  if (padding == Padding::valid) {
    if (span > input) {
      fail(
          "{}: the window spans {} positions (size {}, dilation {}) but the input has only {} with padding "
          "\"valid\"; use padding \"same\" or a smaller window",
          what, span, window, dilation, input);
    }
    return {.before = 0, .after = 0, .outputs = (input - span) / stride + 1};
  }
  const int64_t outputs = (input + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((outputs - 1) * stride + span - input, 0);
  return {.before = total / 2, .after = total - total / 2, .outputs = outputs};
}

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args) {
  return convolve("conv2d", x, kernel, bias, args);
}

Tensor conv1d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv1DArgs& args) {
  detail::require_defined(x, "conv1d");
  detail::require_defined(kernel, "conv1d", "kernel");
  if (x.rank() != 3) {
    fail("conv1d: expected a sequence batch of rank 3 [batch, steps, channels], got shape {}",
         x.shape().to_string());
  }
  if (kernel.rank() != 3) {
    fail("conv1d: expected a kernel (kernel_size, in_channels / groups, filters), got shape {}",
         kernel.shape().to_string());
  }
  const Tensor y = convolve("conv1d", reshape(x, {x.dim(0), 1, x.dim(1), x.dim(2)}),
                            reshape(kernel, {1, kernel.dim(0), kernel.dim(1), kernel.dim(2)}), bias,
                            {.strides = {1, args.strides},
                             .padding = args.padding,
                             .dilation_rate = {1, args.dilation_rate},
                             .groups = args.groups});
  return reshape(y, {y.dim(0), y.dim(2), y.dim(3)});
}

namespace {

// Max pooling under the name of the op the user called (max_pool2d or max_pool1d).
Tensor pool_max(const char* op, const Tensor& x, const Pool2DArgs& args) {
  require_image(x, op);
  const kernels::ImageWindows w = sweep(op, x, args.pool_size, args.strides, {1, 1}, args.padding);
  Tensor y = Tensor::empty(output_shape(w, w.channels), x.dtype());
  const bool recording = should_record({x});
  // The argmax offsets (int64) live in an 8-byte-element tensor's buffer so that they come from the
  // recycled buffers instead of a fresh, zero-filled allocation per call.
  const Tensor argmax = recording ? Tensor::empty(y.shape(), DType::float64) : Tensor();
  auto* offsets = recording ? static_cast<int64_t*>(argmax.raw_data()) : nullptr;
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::max_pool_forward<T>(x.data<T>(), w, y.data<T>(), offsets);
  });
  if (recording) {
    record(op, {x}, y, [shape = x.shape(), w, argmax](const Tensor& g, std::span<const bool>) {
      Tensor dx = Tensor::empty(shape, g.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::max_pool_backward<T>(g.data<T>(), static_cast<const int64_t*>(argmax.raw_data()), w, g.numel(),
                                      dx.data<T>());
      });
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

// Average pooling under the name of the op the user called (avg_pool2d or avg_pool1d).
Tensor pool_average(const char* op, const Tensor& x, const Pool2DArgs& args) {
  require_image(x, op);
  const kernels::ImageWindows w = sweep(op, x, args.pool_size, args.strides, {1, 1}, args.padding);
  Tensor y = Tensor::empty(output_shape(w, w.channels), x.dtype());
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    kernels::avg_pool_forward<T>(x.data<T>(), w, y.data<T>());
  });
  if (should_record({x})) {
    record(op, {x}, y, [shape = x.shape(), w](const Tensor& g, std::span<const bool>) {
      Tensor dx = Tensor::empty(shape, g.dtype());
      dispatch(g.dtype(), [&](auto tag) {
        using T = decltype(tag);
        kernels::avg_pool_backward<T>(g.data<T>(), w, dx.data<T>());
      });
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

// A one-dimensional pooling op: the two-dimensional one on images of height 1.
Tensor pool_steps(const char* op, const Tensor& x, const Pool1DArgs& args,
                  Tensor (*pool)(const char*, const Tensor&, const Pool2DArgs&)) {
  detail::require_defined(x, op);
  if (x.rank() != 3) {
    fail("{}: expected a sequence batch of rank 3 [batch, steps, channels], got shape {}", op,
         x.shape().to_string());
  }
  const Tensor y = pool(op, reshape(x, {x.dim(0), 1, x.dim(1), x.dim(2)}),
                        {.pool_size = {1, args.pool_size}, .strides = {1, args.strides}, .padding = args.padding});
  return reshape(y, {y.dim(0), y.dim(2), y.dim(3)});
}

}  // namespace

Tensor max_pool2d(const Tensor& x, const Pool2DArgs& args) { return pool_max("max_pool2d", x, args); }

Tensor avg_pool2d(const Tensor& x, const Pool2DArgs& args) { return pool_average("avg_pool2d", x, args); }

Tensor max_pool1d(const Tensor& x, const Pool1DArgs& args) { return pool_steps("max_pool1d", x, args, pool_max); }

Tensor avg_pool1d(const Tensor& x, const Pool1DArgs& args) {
  return pool_steps("avg_pool1d", x, args, pool_average);
}

}  // namespace gradlab
