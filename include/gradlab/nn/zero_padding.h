#pragma once
/// ZeroPadding2D: rows and columns of zeros around each image, as keras.layers.ZeroPadding2D.
///
///   ZeroPadding2D pad({.padding = {{{1, 1}, {2, 2}}}});   // ((top, bottom), (left, right))
///   Tensor y = pad(x);                                    // x [N, 28, 28, C] -> y [N, 30, 32, C]
///
/// Keras's padding=1 is {{{1, 1}, {1, 1}}} and padding=(h, w) is {{{h, h}, {w, w}}}; the spec and
/// Keras readers take all three forms. PyTorch's F.pad(x_nchw, (left, right, top, bottom)) is the
/// same on the channels-first layout. The gradient of each padded element is dropped.

#include <array>
#include <cstdint>
#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of ZeroPadding2D.
struct ZeroPadding2DOptions {
  /// ((top, bottom), (left, right)); Keras's default padding=(1, 1).
  std::array<std::array<int64_t, 2>, 2> padding{{{1, 1}, {1, 1}}};
  /// Layer name; "zero_padding2d", ... when empty.
  std::string name;
};

/// The implementation of ZeroPadding2D; it has no variables.
class ZeroPadding2DImpl : public LayerImpl {
 public:
  /// Throws Error naming the layer for a negative padding.
  explicit ZeroPadding2DImpl(ZeroPadding2DOptions options);
  /// [N, H, W, C] -> [N, top + H + bottom, left + W + right, C]; throws Error naming the layer for an
  /// input of another rank.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "padding=((1, 1), (2, 2))".
  std::string config_summary() const override;
  const std::array<std::array<int64_t, 2>, 2>& padding() const { return padding_; }

 private:
  std::array<std::array<int64_t, 2>, 2> padding_;
};

/// Handle to a ZeroPadding2DImpl (keras.layers.ZeroPadding2D).
class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(ZeroPadding2DOptions options = {});
};

}  // namespace gradlab
