#include "gradlab/nn/layer_normalization.h"

#include <algorithm>
#include <string_view>

#include "gradlab/error.h"
#include "autograd/normalize_ops.h"
#include "nn/normalization/input_checks.h"

namespace gradlab {
namespace {

const std::string& checked_name(const LayerNormalizationOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view("layer_normalization") : std::string_view(o.name);
  if (o.axis.empty()) fail("{}: axis must name at least one axis", label);
  if (!(o.epsilon > 0.0)) fail("{}: epsilon must be positive, got {}", label, o.epsilon);
  return o.name;
}

std::string axes_text(const std::vector<int64_t>& axes) { return fmt::format("[{}]", fmt::join(axes, ", ")); }

}  // namespace

LayerNormalizationImpl::LayerNormalizationImpl(LayerNormalizationOptions options)
    : LayerImpl("layer_normalization", checked_name(options), options.dtype), options_(std::move(options)) {}

void LayerNormalizationImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  detail::check_rank(name(), shape);
  std::vector<int64_t> axes;
  for (int64_t axis : options_.axis) axes.push_back(detail::resolve_axis(name(), axis, shape.rank()));
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    fail("{}: axis {} names the same axis twice", name(), axes_text(options_.axis));
  }
  std::vector<int64_t> dims;
  for (int64_t axis : axes) dims.push_back(shape[axis]);
  rank_ = shape.rank();
  axes_ = std::move(axes);
  param_shape_ = Shape(dims);
  if (options_.scale) gamma_ = add_weight("gamma", param_shape_, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", param_shape_, options_.beta_initializer);
}

Tensor LayerNormalizationImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() != rank_) {
    fail("{}: expected an input of rank {} (the layer was built for it), got shape {}", name(), rank_,
         x.shape().to_string());
  }
  int64_t features = 1;
  for (std::size_t i = 0; i < axes_.size(); ++i) {
    if (x.dim(axes_[i]) != param_shape_[static_cast<int64_t>(i)]) {
      fail("{}: input shape {} does not match the normalized shape {} on axes {}", name(), x.shape().to_string(),
           param_shape_.to_string(), axes_text(axes_));
    }
    features *= x.dim(axes_[i]);
  }
  detail::NormPlan plan{{.n = x.numel() / std::max<int64_t>(features, 1), .a = 1, .c = features, .b = 1, .groups = 1},
                        {}};
  // Axes that are not the trailing ones are moved last in a copy, so the kernel sees contiguous rows.
  const bool trailing = axes_.front() == rank_ - static_cast<int64_t>(axes_.size());
  if (!trailing) {
    for (int64_t i = 0; i < rank_; ++i) {
      if (!std::binary_search(axes_.begin(), axes_.end(), i)) plan.permutation.push_back(i);
    }
    plan.permutation.insert(plan.permutation.end(), axes_.begin(), axes_.end());
  }
  if (features == 0) plan.layout.n = 0;
  return detail::normalize_with_batch_statistics("layer_normalization", x,
                                                 gamma_.defined() ? gamma_.value() : Tensor(),
                                                 beta_.defined() ? beta_.value() : Tensor(), plan, options_.epsilon);
}

std::string LayerNormalizationImpl::config_summary() const {
  return fmt::format("axis={}, epsilon={}, center={}, scale={}", axes_text(options_.axis), options_.epsilon,
                     options_.center, options_.scale);
}

LayerNormalization::LayerNormalization(LayerNormalizationOptions options)
    : Layer(std::make_shared<LayerNormalizationImpl>(std::move(options))) {}

}  // namespace gradlab
