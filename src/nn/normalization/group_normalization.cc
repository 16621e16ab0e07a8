#include "gradlab/nn/group_normalization.h"

#include <string_view>

#include "gradlab/error.h"
#include "gradlab/nn/instance_normalization.h"
#include "autograd/normalize_ops.h"
#include "nn/normalization/input_checks.h"

namespace gradlab {
namespace {

const std::string& checked_name(const std::string& type, const GroupNormalizationOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view(type) : std::string_view(o.name);
  if (o.groups == 0 || o.groups < -1) fail("{}: groups must be positive or -1 (one per channel), got {}", label, o.groups);
  if (!(o.epsilon > 0.0)) fail("{}: epsilon must be positive, got {}", label, o.epsilon);
  return o.name;
}

GroupNormalizationOptions as_group_options(const InstanceNormalizationOptions& o) {
  return {.groups = -1,
          .axis = o.axis,
          .epsilon = o.epsilon,
          .center = o.center,
          .scale = o.scale,
          .beta_initializer = o.beta_initializer,
          .gamma_initializer = o.gamma_initializer,
          .name = o.name,
          .dtype = o.dtype};
}

}  // namespace

GroupNormalizationImpl::GroupNormalizationImpl(GroupNormalizationOptions options)
    : GroupNormalizationImpl("group_normalization", std::move(options)) {}

GroupNormalizationImpl::GroupNormalizationImpl(std::string type, GroupNormalizationOptions options)
    : LayerImpl(type, checked_name(type, options), options.dtype), options_(std::move(options)) {}

void GroupNormalizationImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  detail::check_rank(name(), shape);
  const int64_t axis = detail::resolve_axis(name(), options_.axis, shape.rank());
  const int64_t channels = shape[axis];
  const int64_t groups = options_.groups == -1 ? channels : options_.groups;
  if (channels % groups != 0) fail("{}: {} channels are not divisible by {} groups", name(), channels, groups);
  rank_ = shape.rank();
  axis_ = axis;
  groups_ = groups;
  channels_ = channels;
  if (options_.scale) gamma_ = add_weight("gamma", Shape{channels}, options_.gamma_initializer);
  if (options_.center) beta_ = add_weight("beta", Shape{channels}, options_.beta_initializer);
}

Tensor GroupNormalizationImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() != rank_) {
    fail("{}: expected an input of rank {} (the layer was built for it), got shape {}", name(), rank_,
         x.shape().to_string());
  }
  if (x.dim(axis_) != channels_) {
    fail("{}: input has {} channels on axis {} but the layer was built for {}", name(), x.dim(axis_), options_.axis,
         channels_);
  }
  const detail::NormPlan plan{{.n = x.dim(0),
                               .a = detail::dims_product(x.shape(), 1, axis_),
                               .c = channels_,
                               .b = detail::dims_product(x.shape(), axis_ + 1, rank_),
                               .groups = groups_},
                              {}};
  return detail::normalize_with_batch_statistics(type() == "group_normalization" ? "group_normalization"
                                                                                  : "instance_normalization",
                                                 x, gamma_.defined() ? gamma_.value() : Tensor(),
                                                 beta_.defined() ? beta_.value() : Tensor(), plan, options_.epsilon);
}

std::string GroupNormalizationImpl::config_summary() const {
  return fmt::format("groups={}, axis={}, epsilon={}, center={}, scale={}", options_.groups, options_.axis,
                     options_.epsilon, options_.center, options_.scale);
}

GroupNormalization::GroupNormalization(GroupNormalizationOptions options)
    : Layer(std::make_shared<GroupNormalizationImpl>(std::move(options))) {}

InstanceNormalizationImpl::InstanceNormalizationImpl(const InstanceNormalizationOptions& options)
    : GroupNormalizationImpl("instance_normalization", as_group_options(options)) {}

std::string InstanceNormalizationImpl::config_summary() const {
  const GroupNormalizationOptions& o = options();
  return fmt::format("axis={}, epsilon={}, center={}, scale={}", o.axis, o.epsilon, o.center, o.scale);
}

InstanceNormalization::InstanceNormalization(const InstanceNormalizationOptions& options)
    : Layer(std::make_shared<InstanceNormalizationImpl>(options)) {}

}  // namespace gradlab
