#include "gradlab/nn/flatten.h"

#include "gradlab/autograd/shape_ops.h"
#include "gradlab/error.h"

namespace gradlab {

FlattenImpl::FlattenImpl(FlattenOptions options) : LayerImpl("flatten", options.name) {}

Tensor FlattenImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() < 1) fail("{}: expected an input with a batch axis, got a scalar", name());
  // Counted explicitly: reshape's -1 cannot be inferred for an empty batch.
  int64_t features = 1;
  for (int64_t axis = 1; axis < x.rank(); ++axis) features *= x.dim(axis);
  return reshape(x, {x.dim(0), features});
}

Flatten::Flatten(FlattenOptions options) : Layer(std::make_shared<FlattenImpl>(std::move(options))) {}

}  // namespace gradlab
