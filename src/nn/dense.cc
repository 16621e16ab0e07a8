#include "gradlab/nn/dense.h"

#include <string_view>

#include "gradlab/autograd/dense_op.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(int64_t units, const DenseOptions& options) {
  const std::string_view label =
      options.name.empty() ? std::string_view("dense") : std::string_view(options.name);
  if (units <= 0) fail("{}: units must be positive, got {}", label, units);
  try {
    get_activation(options.activation);
  } catch (const Error& e) {
    fail("{}: {}", label, e.what());
  }
  return options.name;
}

}  // namespace

DenseImpl::DenseImpl(int64_t units, DenseOptions options)
    : LayerImpl("dense", checked_name(units, options), options.dtype),
      units_(units),
      options_(std::move(options)) {}

void DenseImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  if (shape.rank() < 2) {
    fail("{}: expected an input of rank >= 2 ([batch, ..., features]), got shape {}", name(),
         shape.to_string());
  }
  const int64_t in = shape[-1];
  kernel_ = add_weight("kernel", Shape{in, units_}, options_.kernel_initializer);
  if (options_.use_bias) {
    Fans fans = compute_fans(Shape{units_});
    fans.layer_fan_in = static_cast<double>(in);
    bias_ = add_weight("bias", Shape{units_}, options_.bias_initializer, true, &fans);
  }
}

Tensor DenseImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() < 2) {
    fail("{}: expected an input of rank >= 2 ([batch, ..., features]), got shape {}", name(),
         x.shape().to_string());
  }
  const int64_t in = kernel_.shape()[0];
  if (x.dim(-1) != in) {
    fail("{}: input has {} features but the kernel was built for {}", name(), x.dim(-1), in);
  }
  const Tensor bias = bias_.defined() ? bias_.value() : Tensor();
  if (x.rank() == 2) return dense(x, kernel_.value(), bias, options_.activation);
  // Rows are counted explicitly: reshape's -1 cannot be inferred for an empty batch.
  int64_t rows = 1;
  for (int64_t i = 0; i + 1 < x.rank(); ++i) rows *= x.dim(i);
  std::vector<int64_t> out_dims = x.shape().to_vector();
  out_dims.back() = units_;
  return reshape(dense(reshape(x, {rows, in}), kernel_.value(), bias, options_.activation), out_dims);
}

std::string DenseImpl::config_summary() const {
  return fmt::format("units={}, activation={}, use_bias={}, kernel_initializer={}, bias_initializer={}",
                     units_, options_.activation, options_.use_bias,
                     options_.kernel_initializer.description(), options_.bias_initializer.description());
}

Dense::Dense(int64_t units, DenseOptions options)
    : Layer(std::make_shared<DenseImpl>(units, std::move(options))) {}

}  // namespace gradlab
