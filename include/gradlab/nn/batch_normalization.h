#pragma once
/// BatchNormalization: normalizes each channel with statistics over the batch, as
/// keras.layers.BatchNormalization (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep
/// Network Training by Reducing Internal Covariate Shift").
///
///   BatchNormalization bn;                                   // axis -1, momentum 0.99, epsilon 1e-3
///   Tensor y = bn(x, {.training = true});                    // batch statistics; moving ones updated
///   Tensor z = bn(x);                                        // inference: moving statistics
///   BatchNormalization torch_like({.momentum = 0.9, .epsilon = 1e-5,
///                                  .moving_variance_update = MovingVarianceUpdate::unbiased});
///
/// For x [N, ..., C] (channels on `axis`, last by default) and each channel c:
///   training:  mu = mean(x[..., c]), var = mean((x[..., c] - mu)^2) over every axis but `axis`,
///              y = gamma (x - mu) / sqrt(var + epsilon) + beta,
///              moving_mean = momentum moving_mean + (1 - momentum) mu, likewise moving_variance
///              with var (biased, as Keras; unbiased var N/(N-1) with MovingVarianceUpdate::unbiased,
///              as PyTorch);
///   inference: y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta.
/// A frozen layer (set_trainable(false)) runs in inference mode even when called with training = true,
/// as in Keras 3. Variables: gamma and beta (C,) trainable, moving_mean and moving_variance (C,)
/// non-trainable, named "<layer>/gamma", "<layer>/beta", "<layer>/moving_mean",
/// "<layer>/moving_variance". The whole layer is one tape node (inputs x, gamma, beta); in training
/// its input gradient is dx = gamma rstd / M (M dy - sum(dy) - xhat sum(dy xhat)).
/// PyTorch's BatchNorm maps as: momentum_torch = 1 - momentum, eps 1e-5 there (1e-3 here),
/// affine = center && scale, track_running_stats = the moving variables (docs/normalization-layers.md).

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// Which batch variance updates moving_variance in training.
enum class MovingVarianceUpdate {
  biased,    ///< mean((x - mu)^2), as Keras
  unbiased,  ///< the biased variance times M / (M - 1), as PyTorch's running_var
};

/// Options of BatchNormalization, with Keras's defaults.
struct BatchNormalizationOptions {
  /// The channel axis (negative counts from the end); never 0, the batch axis.
  int64_t axis = -1;
  /// Weight of the old value in the moving averages (PyTorch's momentum is 1 - this).
  double momentum = 0.99;
  /// Added to the variance before the square root.
  double epsilon = 1e-3;
  /// Add beta (a learned offset).
  bool center = true;
  /// Multiply by gamma (a learned scale).
  bool scale = true;
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  Initializer moving_mean_initializer = "zeros";
  Initializer moving_variance_initializer = "ones";
  /// Keras's biased batch variance, or PyTorch's unbiased one, for the moving variance.
  MovingVarianceUpdate moving_variance_update = MovingVarianceUpdate::biased;
  /// Layer name; "batch_normalization", "batch_normalization_1", ... when empty.
  std::string name;
  /// Variable dtype; the first input's when unset.
  std::optional<DType> dtype;
};

/// The implementation of BatchNormalization; see the file comment.
class BatchNormalizationImpl : public LayerImpl {
 public:
  /// Throws Error when momentum is outside [0, 1] or epsilon is not positive.
  explicit BatchNormalizationImpl(BatchNormalizationOptions options);
  /// Creates gamma, beta, moving_mean, moving_variance, each (C,) for C = input_shapes[0][axis].
  void build(const std::vector<Shape>& input_shapes, DType dtype) override;
  /// Normalizes x (same shape out); updates the moving statistics when training and trainable.
  Tensor forward(const std::vector<Tensor>& inputs, const CallOptions& options) override;
  /// "axis=-1, momentum=0.99, epsilon=0.001, center=true, scale=true, moving_variance_update=biased".
  std::string config_summary() const override;

  const BatchNormalizationOptions& options() const { return options_; }
  /// Undefined before build, or without scale / center.
  const Variable& gamma() const { return gamma_; }
  const Variable& beta() const { return beta_; }
  /// Undefined before build.
  const Variable& moving_mean() const { return moving_mean_; }
  const Variable& moving_variance() const { return moving_variance_; }

 private:
  BatchNormalizationOptions options_;
  int64_t rank_ = 0;
  int64_t axis_ = 0;  // resolved, non-negative
  Variable gamma_;
  Variable beta_;
  Variable moving_mean_;
  Variable moving_variance_;
};

/// Handle to a BatchNormalizationImpl.
class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions options = {});
  BatchNormalizationImpl& impl() const { return *as<BatchNormalizationImpl>(); }
  /// gamma (C,); undefined before the first call or without scale.
  const Variable& gamma() const { return impl().gamma(); }
  /// beta (C,); undefined before the first call or without center.
  const Variable& beta() const { return impl().beta(); }
  /// The moving averages (C,), non-trainable; undefined before the first call.
  const Variable& moving_mean() const { return impl().moving_mean(); }
  const Variable& moving_variance() const { return impl().moving_variance(); }
};

/// "biased" or "unbiased".
const char* moving_variance_update_name(MovingVarianceUpdate update);
/// The update named "biased" or "unbiased"; throws Error otherwise.
MovingVarianceUpdate parse_moving_variance_update(const std::string& name);

}  // namespace gradlab
