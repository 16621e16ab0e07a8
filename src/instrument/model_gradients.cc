#include "gradlab/instrument/model_gradients.h"

#include <cmath>
#include <set>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

// Collects the output of every leaf layer call (not models) so their gradients can be asked for.
class LayerOutputs : public LayerCallObserver {
 public:
  struct Call {
    const LayerImpl* layer;
    Tensor output;
  };
  void on_layer_call(const LayerImpl& layer, const std::vector<Tensor>&, const Tensor& output,
                     const CallOptions&) override {
    if (dynamic_cast<const ModelImpl*>(&layer) || dynamic_cast<const SequentialImpl*>(&layer)) return;
    calls.push_back({&layer, output});
  }
  std::vector<Call> calls;
};

void check_finite(const Tensor& t, const std::string& source, const std::string& name) {
  const std::vector<double> values = t.to_vector();
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      fail("{}: input '{}' has a non-finite value ({}) at flat index {}", source, name, values[i], i);
    }
  }
}

std::vector<Tensor> model_inputs(const ModelImpl& model, const TensorFile& inputs) {
  std::vector<Tensor> values;
  std::set<std::string> expected;
  for (const SymbolicTensor& input : model.inputs()) {
    expected.insert(input.name());
    const Tensor* t = inputs.find(input.name());
    if (!t) fail("{}: no tensor named '{}' for model input '{}'", inputs.source(), input.name(), input.name());
    check_finite(*t, inputs.source(), input.name());
    values.push_back(*t);
  }
  for (const auto& [name, tensor] : inputs.tensors()) {
    if (!expected.count(name)) {
      std::string names;
      for (const std::string& n : expected) names += (names.empty() ? "" : ", ") + n;
      fail("{}: tensor '{}' is not an input of model '{}' (its inputs: {})", inputs.source(), name, model.name(), names);
    }
  }
  return values;
}

double l2(const Tensor& t) { return t.defined() ? norm(t).item() : 0.0; }

}  // namespace

LossReduction parse_loss_reduction(const std::string& name) {
  if (name == "mean") return LossReduction::mean;
  if (name == "sum") return LossReduction::sum;
  fail("unknown loss '{}': expected mean or sum", name);
}

ModelGradients compute_gradients(const Model& model, const TensorFile& inputs, const GradientsOptions& options) {
  ModelImpl& impl = model.impl();
  const std::vector<Tensor> xs = model_inputs(impl, inputs);
  const std::vector<Variable> trainable = model.trainable_variables();
  std::vector<std::pair<Variable, Tensor>> state_before;
  // Only a training pass updates state, so only then is there anything to compare against.
  if (options.training) {
    for (const Variable& v : model.non_trainable_variables()) state_before.emplace_back(v, v.value().clone());
  }

  GradientTape tape;
  for (const Tensor& x : xs) tape.watch(x);
  LayerOutputs outputs_seen;
  std::vector<Tensor> outputs;
  {
    ObserveLayerCalls observe(outputs_seen);
    outputs = model.call_all(xs, {.training = options.training});
  }
  Tensor total;
  int64_t count = 0;
  for (const Tensor& o : outputs) {
    total = total.defined() ? total + sum(o) : sum(o);
    count += o.numel();
  }
  const Tensor loss = options.loss == LossReduction::mean ? total * (1.0 / static_cast<double>(std::max<int64_t>(count, 1))) : total;

  // One backward pass for everything: inputs, variables and each layer's output.
  std::vector<Tensor> sources = xs;
  for (const Variable& v : trainable) sources.push_back(v.value());
  for (const auto& call : outputs_seen.calls) sources.push_back(call.output);
  const std::vector<Tensor> grads = tape.gradient(loss, sources, UnconnectedGradients::zero);

  ModelGradients result;
  TensorFile& file = result.tensors;
  file.metadata["loss"] = options.loss == LossReduction::mean ? "mean" : "sum";
  file.metadata["training"] = options.training ? "true" : "false";
  file.add("loss", loss);
  for (std::size_t i = 0; i < outputs.size(); ++i) file.add("output/" + impl.outputs()[i].name(), outputs[i]);
  for (std::size_t i = 0; i < xs.size(); ++i) file.add("grad/input/" + impl.inputs()[i].name(), grads[i]);
  for (std::size_t i = 0; i < trainable.size(); ++i) file.add("grad/" + trainable[i].name(), grads[xs.size() + i]);
  if (options.training) {
    for (const auto& [variable, before] : state_before) {
      if (variable.value().to_vector() != before.to_vector()) file.add("state/" + variable.name(), variable.value());
    }
  }

  const std::size_t first_call = xs.size() + trainable.size();
  for (std::size_t c = 0; c < outputs_seen.calls.size(); ++c) {
    const LayerImpl& layer = *outputs_seen.calls[c].layer;
    LayerGradientNorms row{layer.name(), layer.type(), l2(grads[first_call + c]), {}};
    for (const Variable& v : layer.trainable_variables()) {
      for (std::size_t i = 0; i < trainable.size(); ++i) {
        if (trainable[i].name() == v.name()) row.variable_grad_norms.emplace_back(v.name(), l2(grads[xs.size() + i]));
      }
    }
    result.layers.push_back(std::move(row));
  }
  return result;
}

}  // namespace gradlab
