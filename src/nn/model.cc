#include "gradlab/nn/model.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "gradlab/error.h"
#include "nn/containers.h"

namespace gradlab {
namespace {

using NodePtr = const SymbolicTensor::Node*;

std::string expected_shape(const Shape& shape) {
  std::string out = "[batch";
  for (int64_t d : shape) out += fmt::format(", {}", d);
  return out + "]";
}

}  // namespace

ModelImpl::ModelImpl(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs,
                     const std::string& name)
    : LayerImpl("functional", name), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {
  if (inputs_.empty()) fail("{}: a model needs at least one input", this->name());
  if (outputs_.empty()) fail("{}: a model needs at least one output", this->name());
  std::unordered_map<NodePtr, std::size_t> slot_of;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    if (!inputs_[i].defined()) fail("{}: input {} is an undefined SymbolicTensor", this->name(), i);
    if (!slot_of.emplace(inputs_[i].shared_node().get(), i).second) {
      fail("{}: '{}' is listed twice among the model's inputs", this->name(), inputs_[i].name());
    }
  }

  // Post-order depth-first walk from the outputs with an explicit stack: graphs can be deep.
  enum class Mark { active, done };
  std::unordered_map<NodePtr, Mark> marks;
  using Frame = std::pair<const std::shared_ptr<const SymbolicTensor::Node>*, std::size_t>;
  std::vector<Frame> stack;
  for (std::size_t o = 0; o < outputs_.size(); ++o) {
    if (!outputs_[o].defined()) fail("{}: output {} is an undefined SymbolicTensor", this->name(), o);
    auto enter = [&](const std::shared_ptr<const SymbolicTensor::Node>& node) {
      if (slot_of.count(node.get())) return;
      auto mark = marks.find(node.get());
      if (mark != marks.end()) {
        if (mark->second == Mark::active)
          fail("{}: the graph has a cycle through '{}'", this->name(), node->name);
        return;
      }
      if (!node->layer.defined()) {
        fail("{}: output '{}' depends on the Input '{}', which is not among the model's inputs", this->name(),
             outputs_[o].name(), node->name);
      }
      marks.emplace(node.get(), Mark::active);
      stack.emplace_back(&node, 0);
    };
    enter(outputs_[o].shared_node());
    while (!stack.empty()) {
      const std::shared_ptr<const SymbolicTensor::Node>& node = *stack.back().first;
      const std::size_t next = stack.back().second++;
      if (next < node->inputs.size()) {
        const SymbolicTensor& input = node->inputs[next];
        if (!input.defined()) fail("{}: '{}' has an undefined input", this->name(), node->name);
        enter(input.shared_node());
      } else {
        marks[node.get()] = Mark::done;
        slot_of.emplace(node.get(), inputs_.size() + order_.size());
        order_.push_back(node);
        stack.pop_back();
      }
    }
  }

  slot_count_ = inputs_.size() + order_.size();
  std::vector<std::size_t> last_use(slot_count_, 0);
  std::vector<bool> used(slot_count_, false);
  steps_.reserve(order_.size());
  for (std::size_t s = 0; s < order_.size(); ++s) {
    const SymbolicTensor::Node& node = *order_[s];
    Step step{node.layer, {}, inputs_.size() + s, {}};
    for (const SymbolicTensor& input : node.inputs) {
      const std::size_t slot = slot_of.at(input.shared_node().get());
      step.input_slots.push_back(slot);
      last_use[slot] = s;
      used[slot] = true;
    }
    steps_.push_back(std::move(step));
  }
  for (const SymbolicTensor& output : outputs_)
    output_slots_.push_back(slot_of.at(output.shared_node().get()));
  for (std::size_t slot = 0; slot < slot_count_; ++slot) {
    const bool is_output = std::find(output_slots_.begin(), output_slots_.end(), slot) != output_slots_.end();
    if (used[slot] && !is_output) steps_[last_use[slot]].release.push_back(slot);
  }

  std::unordered_map<std::string, const void*> owner_of_name;
  auto claim = [&](const std::string& layer_name, const void* owner) {
    auto [it, inserted] = owner_of_name.emplace(layer_name, owner);
    if (!inserted && it->second != owner) {
      fail("{}: two different layers are named '{}'; names in a model must be unique", this->name(),
           layer_name);
    }
  };
  for (const SymbolicTensor& input : inputs_) claim(input.name(), input.shared_node().get());
  std::unordered_set<const LayerImpl*> seen;
  for (const Step& step : steps_) {
    const LayerImpl* layer = step.layer.shared_impl().get();
    claim(step.layer.name(), layer);
    if (seen.insert(layer).second) layers_.push_back(step.layer);
  }
  mark_built(inputs_.front().dtype());
}

void ModelImpl::check_inputs(const std::vector<Tensor>& inputs) const {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const SymbolicTensor& expected = inputs_[i];
    const Shape& shape = inputs[i].shape();
    bool matches = shape.rank() == expected.shape().rank() + 1;
    for (int64_t d = 0; matches && d < expected.shape().rank(); ++d)
      matches = shape[d + 1] == expected.shape()[d];
    if (!matches) {
      fail("{}: input {} ('{}') has shape {} but the model expects {}", name(), i, expected.name(),
           shape.to_string(), expected_shape(expected.shape()));
    }
    if (inputs[i].dtype() != expected.dtype()) {
      fail("{}: input {} ('{}') is {} but the model expects {}", name(), i, expected.name(),
           dtype_name(inputs[i].dtype()), dtype_name(expected.dtype()));
    }
  }
}

std::vector<Tensor> ModelImpl::run(const std::vector<Tensor>& inputs, const CallOptions& options) {
  std::vector<Tensor> values(slot_count_);
  std::copy(inputs.begin(), inputs.end(), values.begin());
  std::vector<Tensor> args;
  for (const Step& step : steps_) {
    args.clear();
    for (std::size_t slot : step.input_slots) args.push_back(values[slot]);
    values[step.output_slot] = step.layer.impl().call(args, options);
    for (std::size_t slot : step.release) values[slot] = Tensor();
  }
  std::vector<Tensor> out;
  out.reserve(output_slots_.size());
  for (std::size_t slot : output_slots_) out.push_back(values[slot]);
  return out;
}

std::vector<Tensor> ModelImpl::call_all(const std::vector<Tensor>& inputs, const CallOptions& options) {
  if (inputs.size() != inputs_.size()) {
    fail("{}: expected {} input{}, got {}", name(), inputs_.size(), inputs_.size() == 1 ? "" : "s",
         inputs.size());
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) fail("{}: input {} is an undefined tensor", name(), i);
  }
  check_inputs(inputs);
  return run(inputs, options);
}

Tensor ModelImpl::forward(const std::vector<Tensor>& inputs, const CallOptions& options) {
  if (outputs_.size() != 1) {
    fail("{}: the model has {} outputs but a call returns one; use call_all() to get them all", name(),
         outputs_.size());
  }
  return run(inputs, options).front();
}

void ModelImpl::set_trainable(bool trainable) {
  LayerImpl::set_trainable(trainable);
  for (const Layer& layer : layers_) layer.set_trainable(trainable);
}

std::vector<Variable> ModelImpl::variables() const { return detail::unique_variables(layers_); }

Layer ModelImpl::get_layer(const std::string& layer_name) const {
  for (const Layer& layer : layers_) {
    if (layer.name() == layer_name) return layer;
  }
  std::string names;
  for (const Layer& layer : layers_) names += (names.empty() ? "" : ", ") + layer.name();
  fail("{}: no layer named '{}'; its layers are: {}", name(), layer_name, names);
}

std::string ModelImpl::summary() const {
  std::vector<detail::SummaryRow> rows;
  for (const SymbolicTensor& input : inputs_) {
    rows.push_back({input.name() + " (InputLayer)", detail::batch_shape_string(input.shape()), 0});
  }
  // A layer called at several nodes with different output shapes shows "multiple", as in Keras.
  std::unordered_map<const LayerImpl*, std::optional<Shape>> shape_of;
  for (const auto& node : order_) {
    auto [it, inserted] = shape_of.try_emplace(node->layer.shared_impl().get(), node->shape);
    if (!inserted && it->second && *it->second != node->shape) it->second.reset();
  }
  for (const Layer& layer : layers_) {
    const std::optional<Shape>& shape = shape_of.at(layer.shared_impl().get());
    rows.push_back({fmt::format("{} ({})", layer.name(), detail::display_type(layer.type())),
                    shape ? detail::batch_shape_string(*shape) : "multiple", layer.count_params()});
  }
  return detail::summary_table(name(), rows, variables());
}

Model::Model(std::vector<SymbolicTensor> inputs, std::vector<SymbolicTensor> outputs, const std::string& name)
    : Layer(std::make_shared<ModelImpl>(std::move(inputs), std::move(outputs), name)) {}

Model::Model(const SymbolicTensor& input, const SymbolicTensor& output, const std::string& name)
    : Model(std::vector<SymbolicTensor>{input}, std::vector<SymbolicTensor>{output}, name) {}

}  // namespace gradlab
