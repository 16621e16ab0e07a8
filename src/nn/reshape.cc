#include "gradlab/nn/reshape.h"

#include <algorithm>
#include <string_view>

#include <fmt/ranges.h>

#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("({})", fmt::join(shape, ", ")); }

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(const std::vector<int64_t>& target, const ReshapeOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view("reshape") : std::string_view(o.name);
  if (target.empty()) fail("{}: target_shape must name at least one dimension", label);
  for (int64_t d : target) {
    if (d <= 0 && d != -1) {
      fail("{}: target_shape {} has {}; each entry must be positive or -1 (inferred)", label, shape_text(target), d);
    }
  }
  if (std::count(target.begin(), target.end(), -1) > 1) {
    fail("{}: target_shape {} has -1 more than once; only one dimension can be inferred", label, shape_text(target));
  }
  return o.name;
}

}  // namespace

ReshapeImpl::ReshapeImpl(std::vector<int64_t> target_shape, ReshapeOptions options)
    : LayerImpl("reshape", checked_name(target_shape, options)), target_shape_(std::move(target_shape)) {}

Tensor ReshapeImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() < 1) fail("{}: expected an input with a batch axis, got a scalar", name());
  int64_t per_example = 1;
  for (int64_t axis = 1; axis < x.rank(); ++axis) per_example *= x.dim(axis);
  int64_t known = 1;
  for (int64_t d : target_shape_) known *= d == -1 ? 1 : d;
  std::vector<int64_t> shape{x.dim(0)};
  for (int64_t d : target_shape_) {
    if (d != -1) {
      shape.push_back(d);
    } else if (known > 0 && per_example % known == 0) {
      shape.push_back(per_example / known);
    } else {
      shape.push_back(-1);
    }
  }
  int64_t product = 1;
  for (std::size_t i = 1; i < shape.size(); ++i) product *= shape[i];
  if (product != per_example || std::find(shape.begin(), shape.end(), -1) != shape.end()) {
    fail("{}: an example of the input {} has {} values, which do not fill target_shape {}", name(),
         x.shape().to_string(), per_example, shape_text(target_shape_));
  }
  return reshape(x, shape);
}

std::string ReshapeImpl::config_summary() const { return "target_shape=" + shape_text(target_shape_); }

Reshape::Reshape(std::vector<int64_t> target_shape, ReshapeOptions options)
    : Layer(std::make_shared<ReshapeImpl>(std::move(target_shape), std::move(options))) {}

}  // namespace gradlab
