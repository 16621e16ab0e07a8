#pragma once
// The construction checks shared by the convolution layers (conv.cc, depthwise_conv.cc): window
// sizes, strides and dilation positive, padding and activation names known. Each failure names the
// layer by `label`.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "gradlab/autograd/activations.h"
#include "gradlab/autograd/conv_ops.h"
#include "gradlab/error.h"

namespace gradlab::detail {

inline void check_conv_window(std::string_view label, std::array<int64_t, 2> kernel_size,
                              std::array<int64_t, 2> strides, std::array<int64_t, 2> dilation_rate,
                              const std::string& padding, const std::string& activation) {
  for (int axis = 0; axis < 2; ++axis) {
    if (kernel_size[axis] <= 0) fail("{}: kernel_size must be positive, got {}", label, kernel_size[axis]);
    if (strides[axis] <= 0) fail("{}: strides must be positive, got {}", label, strides[axis]);
    if (dilation_rate[axis] <= 0)
      fail("{}: dilation_rate must be positive, got {}", label, dilation_rate[axis]);
  }
  try {
    padding_from_name(padding);
    get_activation(activation);
  } catch (const Error& e) {
    fail("{}: {}", label, e.what());
  }
}

}  // namespace gradlab::detail
