#include "gradlab/nn/pooling.h"

#include <string_view>

#include "gradlab/autograd/reduce_ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

const char* type_of(Pooling2DImpl::Kind kind) {
  return kind == Pooling2DImpl::Kind::max ? "max_pooling2d" : "average_pooling2d";
}

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(Pooling2DImpl::Kind kind, std::array<int64_t, 2> pool_size,
                                const Pooling2DOptions& o) {
  const std::string_view label = o.name.empty() ? std::string_view(type_of(kind)) : std::string_view(o.name);
  const std::array<int64_t, 2> strides = o.strides.value_or(pool_size);
  for (int axis = 0; axis < 2; ++axis) {
    if (pool_size[axis] <= 0) fail("{}: pool_size must be positive, got {}", label, pool_size[axis]);
    if (strides[axis] <= 0) fail("{}: strides must be positive, got {}", label, strides[axis]);
  }
  try {
    padding_from_name(o.padding);
  } catch (const Error& e) {
    fail("{}: {}", label, e.what());
  }
  return o.name;
}

void require_image(const LayerImpl& layer, const Shape& shape) {
  if (shape.rank() != 4) {
    fail("{}: expected an image input of rank 4 [batch, height, width, channels], got shape {}", layer.name(),
         shape.to_string());
  }
}

}  // namespace

Pooling2DImpl::Pooling2DImpl(Kind kind, std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : LayerImpl(type_of(kind), checked_name(kind, pool_size, options)),
      kind_(kind),
      args_{.pool_size = pool_size,
            .strides = options.strides.value_or(pool_size),
            .padding = padding_from_name(options.padding)} {}

void Pooling2DImpl::check_input_shape(const Shape& shape) const {
  require_image(*this, shape);
  axis_windows(fmt::format("{} (height)", name()), shape[1], args_.pool_size[0], args_.strides[0], 1,
               args_.padding);
  axis_windows(fmt::format("{} (width)", name()), shape[2], args_.pool_size[1], args_.strides[1], 1,
               args_.padding);
}

void Pooling2DImpl::build(const std::vector<Shape>& input_shapes, DType) {
  check_input_shape(input_shapes.front());
}

Tensor Pooling2DImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  check_input_shape(x.shape());
  return kind_ == Kind::max ? max_pool2d(x, args_) : avg_pool2d(x, args_);
}

std::string Pooling2DImpl::config_summary() const {
  return fmt::format("pool_size=({}, {}), strides=({}, {}), padding={}", args_.pool_size[0],
                     args_.pool_size[1], args_.strides[0], args_.strides[1], padding_name(args_.padding));
}

MaxPooling2D::MaxPooling2D(std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(std::make_shared<Pooling2DImpl>(Pooling2DImpl::Kind::max, pool_size, std::move(options))) {}

AveragePooling2D::AveragePooling2D(std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(std::make_shared<Pooling2DImpl>(Pooling2DImpl::Kind::average, pool_size, std::move(options))) {}

GlobalAveragePooling2DImpl::GlobalAveragePooling2DImpl(GlobalPoolingOptions options)
    : LayerImpl("global_average_pooling2d", options.name), keepdims_(options.keepdims) {}

Tensor GlobalAveragePooling2DImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  require_image(*this, x.shape());
  return mean(x, {1, 2}, keepdims_);
}

std::string GlobalAveragePooling2DImpl::config_summary() const {
  return fmt::format("keepdims={}", keepdims_);
}

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPoolingOptions options)
    : Layer(std::make_shared<GlobalAveragePooling2DImpl>(std::move(options))) {}

}  // namespace gradlab
