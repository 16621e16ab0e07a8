#include "kernels/convolution.h"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/blas.h"
#include "kernels/convolution_onednn.h"

namespace gradlab::kernels {
namespace {

// Calls f(ih, iw) for every window position of output (oh, ow) that lies inside the input, with
// the position's index in row-major window order, and f_pad(index) for each one in the padding.
template <typename Inside, typename Outside>
void for_window(const ImageWindows& w, int64_t oh, int64_t ow, Inside inside, Outside outside) {
  for (int64_t i = 0; i < w.window_h; ++i) {
    const int64_t ih = oh * w.stride_h - w.pad_top + i * w.dilation_h;
    for (int64_t j = 0; j < w.window_w; ++j) {
      const int64_t iw = ow * w.stride_w - w.pad_left + j * w.dilation_w;
      const int64_t index = i * w.window_w + j;
      if (ih >= 0 && ih < w.height && iw >= 0 && iw < w.width) {
        inside(index, ih, iw);
      } else {
        outside(index);
      }
    }
  }
}

}  // namespace

template <typename T>
void im2col(const T* x, const ConvShape& shape, int64_t group, T* cols) {
  const ImageWindows& w = shape.windows;
  const int64_t cg = shape.group_channels(), patch = shape.patch_size();
  for (int64_t n = 0; n < w.batch; ++n) {
    const T* image = x + n * w.height * w.width * w.channels + group * cg;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        T* row = cols + ((n * w.out_h + oh) * w.out_w + ow) * patch;
        for_window(
            w, oh, ow,
            [&](int64_t index, int64_t ih, int64_t iw) {
              const T* src = image + (ih * w.width + iw) * w.channels;
              std::copy(src, src + cg, row + index * cg);
            },
            [&](int64_t index) { std::fill(row + index * cg, row + (index + 1) * cg, T(0)); });
      }
    }
  }
}

template <typename T>
void col2im_add(const T* cols, const ConvShape& shape, int64_t group, T* dx) {
  const ImageWindows& w = shape.windows;
  const int64_t cg = shape.group_channels(), patch = shape.patch_size();
  for (int64_t n = 0; n < w.batch; ++n) {
    T* image = dx + n * w.height * w.width * w.channels + group * cg;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const T* row = cols + ((n * w.out_h + oh) * w.out_w + ow) * patch;
        for_window(
            w, oh, ow,
            [&](int64_t index, int64_t ih, int64_t iw) {
              T* dst = image + (ih * w.width + iw) * w.channels;
              const T* src = row + index * cg;
              for (int64_t c = 0; c < cg; ++c) dst[c] += src[c];
            },
            [](int64_t) {});
      }
    }
  }
}

namespace {

// One group's patch matrix for the float64 path, kept per thread so that repeated calls allocate
// nothing once it has grown to the largest shape seen.
template <typename T>
T* patch_buffer(const ConvShape& shape) {
  thread_local std::vector<T> cols;
  cols.resize(static_cast<std::size_t>(shape.windows.positions() * shape.patch_size()));
  return cols.data();
}

}  // namespace

template <typename T>
void conv2d_forward(const T* x, const T* kernel, const T* bias, const ConvShape& shape, T* y) {
  if constexpr (std::is_same_v<T, float>) {
    onednn_conv2d_forward(x, kernel, bias, shape, y);
  } else {
    const int64_t m = shape.windows.positions(), patch = shape.patch_size();
    const int64_t filters = shape.filters, fg = shape.group_filters();
    T* cols = patch_buffer<T>(shape);
    for (int64_t g = 0; g < shape.groups; ++g) {
      im2col(x, shape, g, cols);
      gemm<T>(false, false, m, fg, patch, T(1), cols, patch, kernel + g * fg, filters, T(0), y + g * fg, filters);
    }
    if (bias == nullptr) return;
    for (int64_t row = 0; row < m; ++row) {
      T* yr = y + row * filters;
      for (int64_t f = 0; f < filters; ++f) yr[f] += bias[f];
    }
  }
}

template <typename T>
void conv2d_input_gradient(const T* dy, const T* kernel, const ConvShape& shape, T* dx) {
  if constexpr (std::is_same_v<T, float>) {
    onednn_conv2d_input_gradient(dy, kernel, shape, dx);
  } else {
    const ImageWindows& w = shape.windows;
    std::fill(dx, dx + w.batch * w.height * w.width * w.channels, T(0));
    const int64_t m = w.positions(), patch = shape.patch_size();
    const int64_t filters = shape.filters, fg = shape.group_filters();
    T* cols = patch_buffer<T>(shape);
    for (int64_t g = 0; g < shape.groups; ++g) {
      gemm<T>(false, true, m, patch, fg, T(1), dy + g * fg, filters, kernel + g * fg, filters, T(0), cols, patch);
      col2im_add(cols, shape, g, dx);
    }
  }
}

template <typename T>
void conv2d_kernel_gradient(const T* x, const T* dy, const ConvShape& shape, T* dkernel, T* dbias) {
  if constexpr (std::is_same_v<T, float>) {
    onednn_conv2d_kernel_gradient(x, dy, shape, dkernel, dbias);
  } else {
    const int64_t m = shape.windows.positions(), patch = shape.patch_size();
    const int64_t filters = shape.filters, fg = shape.group_filters();
    T* cols = patch_buffer<T>(shape);
    for (int64_t g = 0; g < shape.groups; ++g) {
      im2col(x, shape, g, cols);
      gemm<T>(true, false, patch, fg, m, T(1), cols, patch, dy + g * fg, filters, T(0), dkernel + g * fg, filters);
    }
    if (dbias == nullptr) return;
    std::fill(dbias, dbias + filters, T(0));
    for (int64_t row = 0; row < m; ++row) {
      for (int64_t f = 0; f < filters; ++f) dbias[f] += dy[row * filters + f];
    }
  }
}

template <typename T>
void max_pool_forward(const T* x, const ImageWindows& w, T* y, int64_t* argmax) {
  const int64_t c = w.channels;
  for (int64_t n = 0; n < w.batch; ++n) {
    const int64_t image = n * w.height * w.width * c;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const int64_t out = ((n * w.out_h + oh) * w.out_w + ow) * c;
        T* yr = y + out;
        int64_t* ar = argmax != nullptr ? argmax + out : nullptr;
        bool first = true;
        for_window(
            w, oh, ow,
            [&](int64_t, int64_t ih, int64_t iw) {
              const int64_t at = image + (ih * w.width + iw) * c;
              const T* src = x + at;
              if (first) {
                std::copy(src, src + c, yr);
                if (ar != nullptr) {
                  for (int64_t ch = 0; ch < c; ++ch) ar[ch] = at + ch;
                }
                first = false;
                return;
              }
              // Strictly greater keeps the first maximum; a NaN wins once seen, as in PyTorch. Written
              // as selects, without branches, so the channel loop vectorizes.
              if (ar == nullptr) {
                for (int64_t ch = 0; ch < c; ++ch) {
                  const T v = src[ch], current = yr[ch];
                  const bool take = v > current || (v != v && current == current);
                  yr[ch] = take ? v : current;
                }
              } else {
                for (int64_t ch = 0; ch < c; ++ch) {
                  const T v = src[ch], current = yr[ch];
                  const bool take = v > current || (v != v && current == current);
                  yr[ch] = take ? v : current;
                  ar[ch] = take ? at + ch : ar[ch];
                }
              }
            },
            [](int64_t) {});
      }
    }
  }
}

template <typename T>
void max_pool_backward(const T* dy, const int64_t* argmax, const ImageWindows& w, int64_t outputs, T* dx) {
  std::fill(dx, dx + w.batch * w.height * w.width * w.channels, T(0));
  for (int64_t o = 0; o < outputs; ++o) dx[argmax[o]] += dy[o];
}

template <typename T>
void avg_pool_forward(const T* x, const ImageWindows& w, T* y) {
  const int64_t c = w.channels;
  for (int64_t n = 0; n < w.batch; ++n) {
    const T* image = x + n * w.height * w.width * c;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        T* yr = y + ((n * w.out_h + oh) * w.out_w + ow) * c;
        std::fill(yr, yr + c, T(0));
        int64_t count = 0;
        for_window(
            w, oh, ow,
            [&](int64_t, int64_t ih, int64_t iw) {
              const T* src = image + (ih * w.width + iw) * c;
              for (int64_t ch = 0; ch < c; ++ch) yr[ch] += src[ch];
              ++count;
            },
            [](int64_t) {});
        const T scale = T(1) / static_cast<T>(count);
        for (int64_t ch = 0; ch < c; ++ch) yr[ch] *= scale;
      }
    }
  }
}

template <typename T>
void avg_pool_backward(const T* dy, const ImageWindows& w, T* dx) {
  const int64_t c = w.channels;
  std::fill(dx, dx + w.batch * w.height * w.width * c, T(0));
  for (int64_t n = 0; n < w.batch; ++n) {
    T* image = dx + n * w.height * w.width * c;
    for (int64_t oh = 0; oh < w.out_h; ++oh) {
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const T* g = dy + ((n * w.out_h + oh) * w.out_w + ow) * c;
        int64_t count = 0;
        for_window(
            w, oh, ow, [&](int64_t, int64_t, int64_t) { ++count; }, [](int64_t) {});
        const T scale = T(1) / static_cast<T>(count);
        for_window(
            w, oh, ow,
            [&](int64_t, int64_t ih, int64_t iw) {
              T* dst = image + (ih * w.width + iw) * c;
              for (int64_t ch = 0; ch < c; ++ch) dst[ch] += g[ch] * scale;
            },
            [](int64_t) {});
      }
    }
  }
}

#define GRADLAB_CONVOLUTION(T)                                                                    \
  template void im2col<T>(const T*, const ConvShape&, int64_t, T*);                               \
  template void col2im_add<T>(const T*, const ConvShape&, int64_t, T*);                           \
  template void conv2d_forward<T>(const T*, const T*, const T*, const ConvShape&, T*);            \
  template void conv2d_input_gradient<T>(const T*, const T*, const ConvShape&, T*);               \
  template void conv2d_kernel_gradient<T>(const T*, const T*, const ConvShape&, T*, T*);          \
  template void max_pool_forward<T>(const T*, const ImageWindows&, T*, int64_t*);                 \
  template void max_pool_backward<T>(const T*, const int64_t*, const ImageWindows&, int64_t, T*); \
  template void avg_pool_forward<T>(const T*, const ImageWindows&, T*);                           \
  template void avg_pool_backward<T>(const T*, const ImageWindows&, T*);
GRADLAB_CONVOLUTION(float)
GRADLAB_CONVOLUTION(double)
#undef GRADLAB_CONVOLUTION

}  // namespace gradlab::kernels
