#pragma once
/// GroupNormalization: normalizes each example over groups of channels, as
/// keras.layers.GroupNormalization (Wu & He 2018, "Group Normalization").
///
///   GroupNormalization gn({.groups = 8});                    // x [N, H, W, 64]: 8 groups of 8 channels
///   Tensor y = gn(x);
///
/// The C channels on `axis` (last by default) split into `groups` contiguous groups of C / groups
/// channels. For each example n and group g:
///   mu = mean(x), var = mean((x - mu)^2) over every axis but the batch and channel axes, and the
///   group's channels,
///   y = gamma[c] (x - mu) / sqrt(var + epsilon) + beta[c],
/// the same in training and inference. groups = -1 means one group per channel (instance
/// normalization; see InstanceNormalization); groups = 1 normalizes over all of an example, like
/// layer normalization with per-channel gamma. C must be divisible by groups, else an Error:
/// "group_normalization: 30 channels are not divisible by 32 groups". gamma and beta are (C,), named
/// "<layer>/gamma" and "<layer>/beta"; the layer is one tape node (inputs x, gamma, beta). PyTorch's
/// nn.GroupNorm(groups, C, eps=1e-5) is the same on the channels-first layout.

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Options of GroupNormalization, with Keras's defaults.
struct GroupNormalizationOptions {
  /// Number of channel groups; -1 for one per channel.
  int64_t groups = 32;
  /// The channel axis (negative counts from the end); never 0, the batch axis.
  int64_t axis = -1;
  /// Added to the variance before the square root.
  double epsilon = 1e-3;
  /// Add beta (a learned offset).
  bool center = true;
  /// Multiply by gamma (a learned scale).
  bool scale = true;
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  /// Layer name; "group_normalization", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of GroupNormalization (and of InstanceNormalization); see the file comment.
class GroupNormalizationImpl : public LayerImpl {
 public:
  /// Throws Error when groups is 0 or below -1, or epsilon is not positive.
  explicit GroupNormalizationImpl(GroupNormalizationOptions options);
  /// Checks that the channels split into the groups and creates gamma and beta (C,).
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// Normalizes x (same shape out).
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "groups=32, axis=-1, epsilon=0.001, center=true, scale=true".
  std::string config_summary() const override;

  const GroupNormalizationOptions& options() const { return options_; }
  /// The number of groups once built (C for groups = -1).
  int64_t groups() const { return groups_; }
  /// Undefined before build, or without scale / center.
  const Variable& gamma() const { return gamma_; }
  const Variable& beta() const { return beta_; }

 protected:
  /// For layers that are group normalization under another type name (instance_normalization).
  GroupNormalizationImpl(std::string type, GroupNormalizationOptions options);

 private:
  GroupNormalizationOptions options_;
  int64_t rank_ = 0;
  int64_t axis_ = 0;
  int64_t groups_ = 0;
  int64_t channels_ = 0;
  Variable gamma_;
  Variable beta_;
};

/// Handle to a GroupNormalizationImpl.
class GroupNormalization : public Layer {
 public:
  explicit GroupNormalization(GroupNormalizationOptions options = {});
  GroupNormalizationImpl& impl() const { return *as<GroupNormalizationImpl>(); }
  /// gamma (C,); undefined before the first call or without scale.
  const Variable& gamma() const { return impl().gamma(); }
  /// beta (C,); undefined before the first call or without center.
  const Variable& beta() const { return impl().beta(); }
};

}  // namespace gradlab
