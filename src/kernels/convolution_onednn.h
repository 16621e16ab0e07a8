#pragma once
// float32 convolutions on oneDNN's convolution primitives (direct JIT kernels for the machine's
// vectors, no patch matrix). The batch is cut into chunks by the shape alone; each chunk is one
// single-threaded primitive call, the chunks are shared among blas_threads() threads, and the kernel
// gradient sums the chunks' partial gradients in chunk order, so the bits do not depend on the thread
// count. Used by kernels/convolution.h for float32; float64 keeps the im2col path.
#include <cstdint>

#include "kernels/convolution.h"

namespace gradlab::kernels {

/// Images per chunk for a convolution of this shape: enough that a chunk holds at least 2^22
/// multiply-adds, and at most 16 chunks per batch. Depends on the shape alone.
int64_t conv_chunk_images(const ConvShape& shape);

/// y [positions, filters] = conv(x, kernel) (+ bias when not null).
void onednn_conv2d_forward(const float* x, const float* kernel, const float* bias, const ConvShape& shape,
                           float* y);
/// dx from dy and the kernel (dx is overwritten).
void onednn_conv2d_input_gradient(const float* dy, const float* kernel, const ConvShape& shape, float* dx);
/// dkernel (KH, KW, Cg, filters) and, when not null, dbias (filters) from x and dy (both overwritten).
void onednn_conv2d_kernel_gradient(const float* x, const float* dy, const ConvShape& shape, float* dkernel,
                                   float* dbias);

}  // namespace gradlab::kernels
