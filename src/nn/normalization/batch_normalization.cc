#include "gradlab/nn/batch_normalization.h"

#include <string_view>

#include "gradlab/error.h"
#include "autograd/normalize_ops.h"
#include "nn/normalization/input_checks.h"

namespace gradlab {
namespace {

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(const BatchNormalizationOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view("batch_normalization") : std::string_view(o.name);
  if (!(o.momentum >= 0.0 && o.momentum <= 1.0)) fail("{}: momentum must be in [0, 1], got {}", label, o.momentum);
  if (!(o.epsilon > 0.0)) fail("{}: epsilon must be positive, got {}", label, o.epsilon);
  return o.name;
}

std::vector<double> values(const Variable& v) { return v.value().to_vector(); }

Tensor filled(const std::vector<double>& values, const Variable& like) {
  Tensor t = Tensor::empty(like.shape(), like.dtype());
  dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

}  // namespace

const char* moving_variance_update_name(MovingVarianceUpdate update) {
  return update == MovingVarianceUpdate::biased ? "biased" : "unbiased";
}

MovingVarianceUpdate parse_moving_variance_update(const std::string& name) {
  if (name == "biased") return MovingVarianceUpdate::biased;
  if (name == "unbiased") return MovingVarianceUpdate::unbiased;
  fail("moving_variance_update must be 'biased' (Keras) or 'unbiased' (PyTorch), got '{}'", name);
}

BatchNormalizationImpl::BatchNormalizationImpl(BatchNormalizationOptions options)
    : LayerImpl("batch_normalization", checked_name(options), options.dtype), options_(std::move(options)) {}

void BatchNormalizationImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  detail::check_rank(name(), shape);
  rank_ = shape.rank();
  axis_ = detail::resolve_axis(name(), options_.axis, rank_);
  const Shape param{shape[axis_]};
  if (options_.scale) gamma_ = add_weight("gamma", param, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", param, options_.beta_initializer);
  moving_mean_ = add_weight("moving_mean", param, options_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", param, options_.moving_variance_initializer, false);
}

Tensor BatchNormalizationImpl::forward(const std::vector<Tensor>& inputs, const CallOptions& options) {
  const Tensor& x = inputs.front();
  const int64_t channels = moving_mean_.shape()[0];
  if (x.rank() != rank_) {
    fail("{}: expected an input of rank {} (the layer was built for it), got shape {}", name(), rank_,
         x.shape().to_string());
  }
  if (x.dim(axis_) != channels) {
    fail("{}: input has {} channels on axis {} but the layer was built for {}", name(), x.dim(axis_), options_.axis,
         channels);
  }
  const detail::NormPlan plan{{.n = 1,
                               .a = detail::dims_product(x.shape(), 0, axis_),
                               .c = channels,
                               .b = detail::dims_product(x.shape(), axis_ + 1, rank_),
                               .groups = channels},
                              {}};
  const Tensor gamma = gamma_.defined() ? gamma_.value() : Tensor();
  const Tensor beta = beta_.defined() ? beta_.value() : Tensor();
  // Keras 3: a frozen layer normalizes with its moving statistics even in training mode.
  if (!(options.training && trainable())) {
    return detail::normalize_with_fixed_statistics("batch_normalization", x, gamma, beta, plan, values(moving_mean_),
                                                   values(moving_variance_), options_.epsilon);
  }
  const int64_t count = plan.layout.group_count();
  if (count < 2 && options_.moving_variance_update == MovingVarianceUpdate::unbiased) {
    fail("{}: the unbiased moving variance needs more than 1 value per channel in training, got {} (input {})",
         name(), count, x.shape().to_string());
  }
  detail::NormStatistics stats;
  Tensor y = detail::normalize_with_batch_statistics("batch_normalization", x, gamma, beta, plan, options_.epsilon,
                                                     &stats);
  if (count == 0) return y;  // an empty batch has no statistics to learn from
  const double m = options_.momentum;
  const double correction = options_.moving_variance_update == MovingVarianceUpdate::unbiased
                                ? static_cast<double>(count) / static_cast<double>(count - 1)
                                : 1.0;
  std::vector<double> mean = values(moving_mean_), variance = values(moving_variance_);
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = m * mean[c] + (1.0 - m) * stats.mean[c];
    variance[c] = m * variance[c] + (1.0 - m) * stats.variance[c] * correction;
  }
  moving_mean_.assign(filled(mean, moving_mean_));
  moving_variance_.assign(filled(variance, moving_variance_));
  return y;
}

std::string BatchNormalizationImpl::config_summary() const {
  return fmt::format("axis={}, momentum={}, epsilon={}, center={}, scale={}, moving_variance_update={}", options_.axis,
                     options_.momentum, options_.epsilon, options_.center, options_.scale,
                     moving_variance_update_name(options_.moving_variance_update));
}

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer(std::make_shared<BatchNormalizationImpl>(std::move(options))) {}

}  // namespace gradlab
