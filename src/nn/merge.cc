#include "gradlab/nn/merge.h"

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"

namespace gradlab {

AddImpl::AddImpl(AddOptions options) : LayerImpl("add", options.name) {}

Tensor AddImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i].shape() != inputs[0].shape()) {
      fail("{}: input {} has shape {} but input 0 has {}; Add needs inputs of equal shapes", name(), i,
           inputs[i].shape().to_string(), inputs[0].shape().to_string());
    }
  }
  Tensor sum = add(inputs[0], inputs[1]);
  for (std::size_t i = 2; i < inputs.size(); ++i) sum = add(sum, inputs[i]);
  return sum;
}

Add::Add(AddOptions options) : Layer(std::make_shared<AddImpl>(std::move(options))) {}

ConcatenateImpl::ConcatenateImpl(ConcatenateOptions options)
    : LayerImpl("concatenate", options.name), axis_(options.axis) {}

Tensor ConcatenateImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Shape& first = inputs[0].shape();
  const int64_t rank = first.rank();
  if (axis_ < -rank || axis_ >= rank) {
    fail("{}: axis {} is out of range for inputs of rank {} (shape {})", name(), axis_, rank,
         first.to_string());
  }
  const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const Shape& shape = inputs[i].shape();
    bool agree = shape.rank() == rank;
    for (int64_t d = 0; agree && d < rank; ++d) agree = d == axis || shape[d] == first[d];
    if (!agree) {
      fail("{}: input {} has shape {} and input 0 has {}; they must agree on every axis but {}", name(), i,
           shape.to_string(), first.to_string(), axis_);
    }
  }
  return concat(inputs, axis);
}

std::string ConcatenateImpl::config_summary() const { return fmt::format("axis={}", axis_); }

Concatenate::Concatenate(ConcatenateOptions options)
    : Layer(std::make_shared<ConcatenateImpl>(std::move(options))) {}

}  // namespace gradlab
