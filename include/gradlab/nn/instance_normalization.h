#pragma once
/// InstanceNormalization: normalizes each channel of each example on its own (Ulyanov, Vedaldi &
/// Lempitsky 2016, "Instance Normalization: The Missing Ingredient for Fast Stylization"); group
/// normalization with one group per channel, as tfa.layers.InstanceNormalization and Keras's
/// GroupNormalization(groups=-1), but a layer type of its own ("instance_normalization").
///
///   InstanceNormalization in;                                // x [N, H, W, C]
///   Tensor y = in(x);                                        // over H and W, per (n, c)
///
/// For each example n and channel c: mu = mean(x[n, ..., c]), var = mean((x[n, ..., c] - mu)^2),
/// y = gamma[c] (x - mu) / sqrt(var + epsilon) + beta[c]. On a rank-2 input [N, C] each group holds
/// one element, so y = beta. gamma and beta are (C,). PyTorch's nn.InstanceNorm2d(C, affine=True,
/// eps=1e-5) is the same on the channels-first layout (its track_running_stats=False default).

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/nn/group_normalization.h"

namespace gradlab {

/// Options of InstanceNormalization, with Keras's GroupNormalization defaults.
struct InstanceNormalizationOptions {
  /// The channel axis (negative counts from the end); never 0, the batch axis.
  int64_t axis = -1;
  /// Added to the variance before the square root.
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  /// Layer name; "instance_normalization", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of InstanceNormalization: GroupNormalizationImpl with groups = channels.
class InstanceNormalizationImpl : public GroupNormalizationImpl {
 public:
  explicit InstanceNormalizationImpl(const InstanceNormalizationOptions& options);
  /// "axis=-1, epsilon=0.001, center=true, scale=true".
  std::string config_summary() const override;
};

/// Handle to an InstanceNormalizationImpl.
class InstanceNormalization : public Layer {
 public:
  explicit InstanceNormalization(const InstanceNormalizationOptions& options = {});
  InstanceNormalizationImpl& impl() const { return *as<InstanceNormalizationImpl>(); }
  /// gamma (C,); undefined before the first call or without scale.
  const Variable& gamma() const { return impl().gamma(); }
  /// beta (C,); undefined before the first call or without center.
  const Variable& beta() const { return impl().beta(); }
};

}  // namespace gradlab
