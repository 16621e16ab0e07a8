#pragma once
// Two-dimensional convolution and pooling over channels-last images [N, H, W, C]. float32
// convolutions run on oneDNN's convolution primitives (kernels/convolution_onednn.h: no patch matrix,
// the batch cut into chunks by shape, so the result does not depend on the thread count). float64, the
// checking dtype, is im2col + gemm: the patches of one group of input channels are laid out as rows
// [N * OH * OW, KH * KW * Cg] and multiplied by that group's block of the kernel (KH, KW, Cg, Cout),
// whose rows are in the same (kh, kw, c) order.
#include <cstdint>

namespace gradlab::kernels {

/// Sizes of one convolution or pooling window sweep. Padding is explicit, before and after each
/// spatial axis; padded positions read as zero (convolution) or are skipped (pooling).
struct ImageWindows {
  int64_t batch, height, width, channels;  // input [batch, height, width, channels]
  int64_t window_h, window_w;              // kernel or pool size
  int64_t stride_h, stride_w;
  int64_t dilation_h, dilation_w;
  int64_t pad_top, pad_left;  // padding before each axis (after follows from the output)
  int64_t out_h, out_w;       // output spatial size
  /// Rows of the patch matrix: batch * out_h * out_w.
  int64_t positions() const { return batch * out_h * out_w; }
};

/// Convolution sizes: the windows plus the kernel's channels and the grouping.
struct ConvShape {
  ImageWindows windows;
  int64_t filters;  // output channels
  int64_t groups;   // input channels per group = channels / groups; filters per group = filters / groups
  int64_t group_channels() const { return windows.channels / groups; }
  int64_t group_filters() const { return filters / groups; }
  /// Columns of one group's patch matrix: window_h * window_w * group_channels.
  int64_t patch_size() const { return windows.window_h * windows.window_w * group_channels(); }
};

/// Patch matrix of input channels [group * Cg, (group + 1) * Cg): cols[positions, patch_size].
template <typename T>
void im2col(const T* x, const ConvShape& shape, int64_t group, T* cols);
/// The reverse: adds each patch element of cols back to its input position in dx (same layout).
template <typename T>
void col2im_add(const T* cols, const ConvShape& shape, int64_t group, T* dx);

/// y[positions, filters] = conv(x, kernel) (+ bias when not null).
template <typename T>
void conv2d_forward(const T* x, const T* kernel, const T* bias, const ConvShape& shape, T* y);
/// dx (overwritten) from dy [positions, filters] and the kernel.
template <typename T>
void conv2d_input_gradient(const T* dy, const T* kernel, const ConvShape& shape, T* dx);
/// dkernel (KH, KW, Cg, filters) and, when dbias is not null, dbias (filters: dy summed over
/// positions) from x and dy; both overwritten.
template <typename T>
void conv2d_kernel_gradient(const T* x, const T* dy, const ConvShape& shape, T* dkernel, T* dbias);

/// Max pooling: y [batch, out_h, out_w, channels] and, when argmax is not null, the input offset of
/// each output's maximum (the first in row-major window order), for backward. Windows that hold
/// only padding cannot occur (the caller keeps padding smaller than the window).
template <typename T>
void max_pool_forward(const T* x, const ImageWindows& w, T* y, int64_t* argmax);
/// dx (zeroed here) += dy at each output's argmax.
template <typename T>
void max_pool_backward(const T* dy, const int64_t* argmax, const ImageWindows& w, int64_t outputs, T* dx);
/// Average pooling over the window's positions inside the input (padding is not counted, as TF's
/// "same" average pooling).
template <typename T>
void avg_pool_forward(const T* x, const ImageWindows& w, T* y);
/// dx (zeroed here): each output's gradient shared equally among its window's input positions.
template <typename T>
void avg_pool_backward(const T* dy, const ImageWindows& w, T* dx);

}  // namespace gradlab::kernels
