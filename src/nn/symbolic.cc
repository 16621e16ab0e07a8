#include <string>
#include <utility>

#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "gradlab/nn/merge.h"
#include "gradlab/nn/model.h"

namespace gradlab {

SymbolicTensor::Node::~Node() {
  // Dropping the last handle to a deep graph would otherwise destroy it one nested call per layer.
  std::vector<std::shared_ptr<const Node>> pending;
  auto take_sole = [&pending](std::vector<SymbolicTensor>& tensors) {
    for (SymbolicTensor& t : tensors) {
      if (t.node_ && t.node_.use_count() == 1) pending.push_back(std::move(t.node_));
    }
  };
  take_sole(inputs);
  while (!pending.empty()) {
    std::shared_ptr<const Node> node = std::move(pending.back());
    pending.pop_back();
    // Sole owner, about to destroy it: moving its inputs out first keeps that destruction shallow.
    take_sole(const_cast<Node&>(*node).inputs);
  }
}

const SymbolicTensor::Node& SymbolicTensor::node() const {
  if (!node_) fail("use of an undefined SymbolicTensor");
  return *node_;
}

namespace {

// A functional graph is built by calling each layer on an empty batch, so a shape in a layer's error
// would show that batch as 0 ("[0, 32]") where the user's batch is any size. No other dimension is 0
// (units, features and kernel sizes are positive), so the leading 0 of a shape is the batch: say N.
// Only shapes ("[" digits and ", " "]") are touched, never an interval such as "[0, 1)".
std::string with_batch_as_n(std::string message) {
  for (std::size_t at = message.find("[0"); at != std::string::npos; at = message.find("[0", at + 1)) {
    const std::size_t end = message.find_first_not_of("0123456789, ", at + 1);
    if (end != std::string::npos && message[end] == ']' && (message[at + 2] == ',' || message[at + 2] == ']')) {
      message[at + 1] = 'N';
    }
  }
  return message;
}

}  // namespace

SymbolicTensor Input(const Shape& shape, InputOptions options) {
  auto node = std::make_shared<SymbolicTensor::Node>();
  node->shape = shape;
  node->dtype = options.dtype;
  node->name = options.name.empty() ? unique_layer_name("input") : std::move(options.name);
  return SymbolicTensor(std::move(node));
}

SymbolicTensor operator+(const SymbolicTensor& a, const SymbolicTensor& b) { return Add()({a, b}); }

SymbolicTensor Layer::operator()(const SymbolicTensor& x) const {
  return (*this)(std::vector<SymbolicTensor>{x});
}

SymbolicTensor Layer::operator()(const std::vector<SymbolicTensor>& xs) const {
  LayerImpl& layer = impl();
  std::vector<Tensor> probes;
  probes.reserve(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) fail("{}: symbolic input {} is undefined", layer.name(), i);
    std::vector<int64_t> dims{0};
    dims.insert(dims.end(), xs[i].shape().begin(), xs[i].shape().end());
    probes.push_back(Tensor::empty(Shape(std::move(dims)), xs[i].dtype()));
  }
  Tensor probe_output;
  {
    // Building is not part of any computation a tape should see.
    NoRecording pause;
    try {
      probe_output = layer.call(probes, CallOptions{});
    } catch (const Error& e) {
      throw Error(with_batch_as_n(e.what()));
    }
  }
  if (probe_output.rank() < 1 || probe_output.dim(0) != 0) {
    fail(
        "{}: on a batch of 0 the layer returned shape {}; a layer in a functional model must keep the "
        "batch dimension first",
        layer.name(), probe_output.shape().to_string());
  }
  auto node = std::make_shared<SymbolicTensor::Node>();
  node->layer = *this;
  node->inputs = xs;
  node->shape = Shape(std::vector<int64_t>(probe_output.shape().begin() + 1, probe_output.shape().end()));
  node->dtype = probe_output.dtype();
  node->name = layer.name();
  return SymbolicTensor(std::move(node));
}

}  // namespace gradlab
