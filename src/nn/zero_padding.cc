#include "gradlab/nn/zero_padding.h"

#include <string_view>

#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(const ZeroPadding2DOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view("zero_padding2d") : std::string_view(o.name);
  for (const auto& axis : o.padding) {
    for (int64_t p : axis) {
      if (p < 0) fail("{}: padding must not be negative, got {}", label, p);
    }
  }
  return o.name;
}

// x with `before` and `after` zeros along `axis`, through concat so that the gradient of the padding
// is dropped by concat's own rule.
Tensor pad_axis(const Tensor& x, int64_t axis, int64_t before, int64_t after) {
  if (before == 0 && after == 0) return x;
  std::vector<Tensor> parts;
  std::vector<int64_t> dims = x.shape().to_vector();
  if (before > 0) {
    dims[axis] = before;
    parts.push_back(zeros(Shape(dims), x.dtype()));
  }
  parts.push_back(x);
  if (after > 0) {
    dims[axis] = after;
    parts.push_back(zeros(Shape(dims), x.dtype()));
  }
  return concat(parts, axis);
}

}  // namespace

ZeroPadding2DImpl::ZeroPadding2DImpl(ZeroPadding2DOptions options)
    : LayerImpl("zero_padding2d", checked_name(options)), padding_(options.padding) {}

Tensor ZeroPadding2DImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() != 4) {
    fail("{}: expected an image input of rank 4 [batch, height, width, channels], got shape {}", name(),
         x.shape().to_string());
  }
  return pad_axis(pad_axis(x, 1, padding_[0][0], padding_[0][1]), 2, padding_[1][0], padding_[1][1]);
}

std::string ZeroPadding2DImpl::config_summary() const {
  return fmt::format("padding=(({}, {}), ({}, {}))", padding_[0][0], padding_[0][1], padding_[1][0],
                     padding_[1][1]);
}

ZeroPadding2D::ZeroPadding2D(ZeroPadding2DOptions options)
    : Layer(std::make_shared<ZeroPadding2DImpl>(std::move(options))) {}

}  // namespace gradlab
