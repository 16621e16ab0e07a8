#pragma once
/// LayerNormalization: normalizes each example over its feature axes, as
/// keras.layers.LayerNormalization (Ba, Kiros & Hinton 2016, "Layer Normalization").
///
///   LayerNormalization ln;                                   // axis -1, epsilon 1e-3
///   Tensor y = ln(x);                                        // x [N, T, F]: over F for each (n, t)
///   LayerNormalization ln2({.axis = {1, 2}});                // x [N, H, W, C]: over H and W
///
/// For every index of the axes that are not normalized:
///   mu = mean(x), var = mean((x - mu)^2) over the normalized axes,
///   y = gamma (x - mu) / sqrt(var + epsilon) + beta,
/// the same in training and inference (no batch statistics, so it works with a batch of 1).
/// gamma and beta are shaped over the normalized axes (in increasing axis order): (F,) for the
/// default; Keras's own variable names "<layer>/gamma" and "<layer>/beta". The layer is one tape node
/// (inputs x, gamma, beta). PyTorch's nn.LayerNorm(normalized_shape, eps=1e-5) is the same for
/// trailing axes, with eps 1e-5 there and elementwise_affine = center && scale.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of LayerNormalization, with Keras's defaults.
struct LayerNormalizationOptions {
  /// The normalized axes (negative counts from the end; never 0, the batch axis; any order).
  std::vector<int64_t> axis = {-1};
  /// Added to the variance before the square root.
  double epsilon = 1e-3;
  /// Add beta (a learned offset).
  bool center = true;
  /// Multiply by gamma (a learned scale).
  bool scale = true;
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  /// Layer name; "layer_normalization", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of LayerNormalization; see the file comment.
class LayerNormalizationImpl : public LayerImpl {
 public:
  /// Throws Error when axis is empty or epsilon is not positive.
  explicit LayerNormalizationImpl(LayerNormalizationOptions options);
  /// Resolves the axes against the input's rank and creates gamma and beta over them.
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// Normalizes x (same shape out).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "axis=[-1], epsilon=0.001, center=true, scale=true".
  std::string config_summary() const override;

  const LayerNormalizationOptions& options() const { return options_; }
  /// The normalized axes, resolved to non-negative and sorted; empty before build.
  const std::vector<int64_t>& axes() const { return axes_; }
  /// Undefined before build, or without scale / center.
  const Variable& gamma() const { return gamma_; }
  const Variable& beta() const { return beta_; }

 private:
  LayerNormalizationOptions options_;
  int64_t rank_ = 0;
  std::vector<int64_t> axes_;
  Shape param_shape_;
  Variable gamma_;
  Variable beta_;
};

/// Handle to a LayerNormalizationImpl.
class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(LayerNormalizationOptions options = {});
  LayerNormalizationImpl& impl() const { return *as<LayerNormalizationImpl>(); }
  /// gamma, shaped over the normalized axes; undefined before the first call or without scale.
  const Variable& gamma() const { return impl().gamma(); }
  /// beta, shaped over the normalized axes; undefined before the first call or without center.
  const Variable& beta() const { return impl().beta(); }
};

}  // namespace gradlab
