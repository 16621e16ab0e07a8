#pragma once
/// Differentiable two-dimensional convolution and pooling on channels-last images, as Keras and
/// TensorFlow compute them.
///
///   Tensor y = conv2d(x, kernel, bias, {.strides = {2, 2}, .padding = Padding::same});
///   // x [N, H, W, Cin], kernel (KH, KW, Cin / groups, Cout), bias [Cout] -> y [N, OH, OW, Cout]
///   Tensor p = max_pool2d(y, {.pool_size = {2, 2}, .strides = {2, 2}});
///
/// Padding "valid" uses only windows inside the input; "same" gives ceil(in / stride) outputs per
/// axis and pads total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0) positions, the
/// smaller half before and the larger after, as TensorFlow does (PyTorch's padding= pads both sides
/// equally; see docs/conventions.md). A convolution reads padding as zeros; pooling skips it: a max
/// over the window's positions inside the input, an average divided by their count.
///
/// Each op is one tape node ("conv2d", "conv1d", "max_pool2d", "avg_pool2d", "max_pool1d",
/// "avg_pool1d"), the one-dimensional ones with a reshape node on each side. conv2d runs on oneDNN's
/// convolution primitives in float32 and as im2col + matrix products in float64; either way the
/// result does not depend on the thread count (docs/convolution.md). max_pool2d passes each output's gradient to the first maximal element of
/// its window (row-major window order), as PyTorch does.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Keras's padding modes for convolution and pooling.
enum class Padding { valid, same };

/// "valid" or "same" (Keras spells them in lower case; upper case is accepted as Keras does).
/// Throws Error naming the valid spellings.
Padding padding_from_name(std::string_view name);
/// The Keras spelling of `padding`.
const char* padding_name(Padding padding);
/// Every padding name, in the table's order.
const std::vector<std::string>& padding_names();

/// How one spatial axis is swept: padding before and after the input and the number of outputs.
struct AxisWindows {
  int64_t before = 0;
  int64_t after = 0;
  int64_t outputs = 0;
};

/// Padding and output size along one axis of `input` positions for a window of `window` taps
/// spaced `dilation` apart, moved by `stride`. Throws Error (starting with `what`) when a size or
/// step is not positive or a "valid" window is larger than the input.
AxisWindows axis_windows(std::string_view what, int64_t input, int64_t window, int64_t stride,
                         int64_t dilation, Padding padding);

/// Options of conv2d, Keras's names. Height first, then width.
struct Conv2DArgs {
  std::array<int64_t, 2> strides{1, 1};
  Padding padding = Padding::valid;
  std::array<int64_t, 2> dilation_rate{1, 1};
  /// Input channels and filters are split into this many groups; group g's filters see only its
  /// input channels (Keras's groups, PyTorch's groups).
  int64_t groups = 1;
};

/// Cross-correlation of x [N, H, W, Cin] with kernel (KH, KW, Cin / groups, Cout), plus bias [Cout]
/// (undefined for none): y[n, i, j, f] = bias[f] + sum over (a, b, c) of
/// x[n, i * sh + a * dh - pad_top, j * sw + b * dw - pad_left, g * Cg + c] * kernel[a, b, c, f]
/// with g = f / (Cout / groups). Throws Error on ranks, dtypes, channel counts, groups and sizes.
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& args = {});

/// Options of conv1d, Keras's names.
struct Conv1DArgs {
  int64_t strides = 1;
  Padding padding = Padding::valid;
  int64_t dilation_rate = 1;
  int64_t groups = 1;
};

/// conv2d along one axis: x [N, T, Cin] with kernel (K, Cin / groups, Cout) and bias [Cout] ->
/// [N, OT, Cout], computed as conv2d on images of height 1 (reshapes around one "conv1d" node).
/// Keras's "causal" padding is not offered.
Tensor conv1d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv1DArgs& args = {});

/// Options of the pooling ops, Keras's names. Height first, then width.
struct Pool2DArgs {
  std::array<int64_t, 2> pool_size{2, 2};
  std::array<int64_t, 2> strides{2, 2};
  Padding padding = Padding::valid;
};

/// Largest element of each window of x [N, H, W, C] per channel -> [N, OH, OW, C].
Tensor max_pool2d(const Tensor& x, const Pool2DArgs& args = {});
/// Mean of each window's positions inside x [N, H, W, C] per channel -> [N, OH, OW, C].
Tensor avg_pool2d(const Tensor& x, const Pool2DArgs& args = {});

/// Options of the one-dimensional pooling ops, Keras's names.
struct Pool1DArgs {
  int64_t pool_size = 2;
  int64_t strides = 2;
  Padding padding = Padding::valid;
};

/// max_pool2d along the steps of x [N, T, C] -> [N, OT, C] (max_pool2d on images of height 1,
/// between two reshape nodes).
Tensor max_pool1d(const Tensor& x, const Pool1DArgs& args = {});
/// avg_pool2d along the steps of x [N, T, C] -> [N, OT, C].
Tensor avg_pool1d(const Tensor& x, const Pool1DArgs& args = {});

}  // namespace gradlab
