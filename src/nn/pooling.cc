#include "gradlab/nn/pooling.h"

#include <string_view>

#include "gradlab/autograd/reduce_ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

const char* type_of(PoolingKind kind, int spatial_rank) {
  if (kind == PoolingKind::max) return spatial_rank == 1 ? "max_pooling1d" : "max_pooling2d";
  return spatial_rank == 1 ? "average_pooling1d" : "average_pooling2d";
}

const char* global_type_of(PoolingKind kind, int spatial_rank) {
  if (kind == PoolingKind::max) return spatial_rank == 1 ? "global_max_pooling1d" : "global_max_pooling2d";
  return spatial_rank == 1 ? "global_average_pooling1d" : "global_average_pooling2d";
}

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(PoolingKind kind, int spatial_rank, std::array<int64_t, 2> pool_size,
                                const Pooling2DOptions& o) {
  const std::string_view label =
      o.name.empty() ? std::string_view(type_of(kind, spatial_rank)) : std::string_view(o.name);
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

void require_spatial_rank(const LayerImpl& layer, int spatial_rank, const Shape& shape) {
  if (shape.rank() == spatial_rank + 2) return;
  if (spatial_rank == 1) {
    fail("{}: expected a sequence input of rank 3 [batch, steps, channels], got shape {}", layer.name(),
         shape.to_string());
  }
  fail("{}: expected an image input of rank 4 [batch, height, width, channels], got shape {}", layer.name(),
       shape.to_string());
}

Pooling2DOptions as_2d(const Pooling1DOptions& o) {
  Pooling2DOptions out{.padding = o.padding, .name = o.name};
  if (o.strides) out.strides = std::array<int64_t, 2>{1, *o.strides};
  return out;
}

// "(2, 2)" for a 2D pool, "2" for a 1D one: the form the user wrote.
std::string pair_text(int spatial_rank, std::array<int64_t, 2> v) {
  return spatial_rank == 1 ? fmt::format("{}", v[1]) : fmt::format("({}, {})", v[0], v[1]);
}

}  // namespace

Pooling2DImpl::Pooling2DImpl(Kind kind, int spatial_rank, std::array<int64_t, 2> pool_size,
                             Pooling2DOptions options)
    : LayerImpl(type_of(kind, spatial_rank), checked_name(kind, spatial_rank, pool_size, options)),
      kind_(kind),
      spatial_rank_(spatial_rank),
      args_{.pool_size = pool_size,
            .strides = options.strides.value_or(pool_size),
            .padding = padding_from_name(options.padding)} {}

Pooling2DImpl::Pooling2DImpl(Kind kind, std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : Pooling2DImpl(kind, 2, pool_size, std::move(options)) {}

Pooling2DImpl::Pooling2DImpl(Kind kind, int64_t pool_size, const Pooling1DOptions& options)
    : Pooling2DImpl(kind, 1, {1, pool_size}, as_2d(options)) {}

void Pooling2DImpl::check_input_shape(const Shape& shape) const {
  require_spatial_rank(*this, spatial_rank_, shape);
  if (spatial_rank_ == 2) {
    axis_windows(fmt::format("{} (height)", name()), shape[1], args_.pool_size[0], args_.strides[0], 1,
                 args_.padding);
  }
  axis_windows(fmt::format("{} ({})", name(), spatial_rank_ == 1 ? "steps" : "width"), shape[spatial_rank_],
               args_.pool_size[1], args_.strides[1], 1, args_.padding);
}

void Pooling2DImpl::build(const std::vector<Shape>& input_shapes, DType) {
  check_input_shape(input_shapes.front());
}

Tensor Pooling2DImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  check_input_shape(x.shape());
  if (spatial_rank_ == 1) {
    const Pool1DArgs args{.pool_size = args_.pool_size[1], .strides = args_.strides[1], .padding = args_.padding};
    return kind_ == Kind::max ? max_pool1d(x, args) : avg_pool1d(x, args);
  }
  return kind_ == Kind::max ? max_pool2d(x, args_) : avg_pool2d(x, args_);
}

std::string Pooling2DImpl::config_summary() const {
  return fmt::format("pool_size={}, strides={}, padding={}", pair_text(spatial_rank_, args_.pool_size),
                     pair_text(spatial_rank_, args_.strides), padding_name(args_.padding));
}

MaxPooling2D::MaxPooling2D(std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(std::make_shared<Pooling2DImpl>(PoolingKind::max, pool_size, std::move(options))) {}

AveragePooling2D::AveragePooling2D(std::array<int64_t, 2> pool_size, Pooling2DOptions options)
    : Layer(std::make_shared<Pooling2DImpl>(PoolingKind::average, pool_size, std::move(options))) {}

MaxPooling1D::MaxPooling1D(int64_t pool_size, const Pooling1DOptions& options)
    : Layer(std::make_shared<Pooling2DImpl>(PoolingKind::max, pool_size, options)) {}

AveragePooling1D::AveragePooling1D(int64_t pool_size, const Pooling1DOptions& options)
    : Layer(std::make_shared<Pooling2DImpl>(PoolingKind::average, pool_size, options)) {}

GlobalPoolingImpl::GlobalPoolingImpl(PoolingKind kind, int spatial_rank, GlobalPoolingOptions options)
    : LayerImpl(global_type_of(kind, spatial_rank), options.name),
      kind_(kind),
      spatial_rank_(spatial_rank),
      keepdims_(options.keepdims) {}

Tensor GlobalPoolingImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  require_spatial_rank(*this, spatial_rank_, x.shape());
  const std::vector<int64_t> axes = spatial_rank_ == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2};
  if (kind_ == PoolingKind::average) return mean(x, axes, keepdims_);
  for (int64_t axis : axes) {
    if (x.dim(axis) == 0) fail("{}: the input {} has no positions to take a maximum over", name(), x.shape().to_string());
  }
  return reduce_max(x, axes, keepdims_);
}

std::string GlobalPoolingImpl::config_summary() const { return fmt::format("keepdims={}", keepdims_); }

GlobalAveragePooling2D::GlobalAveragePooling2D(GlobalPoolingOptions options)
    : Layer(std::make_shared<GlobalPoolingImpl>(PoolingKind::average, 2, std::move(options))) {}

GlobalAveragePooling1D::GlobalAveragePooling1D(GlobalPoolingOptions options)
    : Layer(std::make_shared<GlobalPoolingImpl>(PoolingKind::average, 1, std::move(options))) {}

GlobalMaxPooling2D::GlobalMaxPooling2D(GlobalPoolingOptions options)
    : Layer(std::make_shared<GlobalPoolingImpl>(PoolingKind::max, 2, std::move(options))) {}

GlobalMaxPooling1D::GlobalMaxPooling1D(GlobalPoolingOptions options)
    : Layer(std::make_shared<GlobalPoolingImpl>(PoolingKind::max, 1, std::move(options))) {}

}  // namespace gradlab
