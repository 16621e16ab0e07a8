#include "gradlab/instrument/probe.h"

#include <unordered_map>
#include <unordered_set>

#include "gradlab/autograd/ops.h"
#include "gradlab/nn/model.h"

namespace gradlab {
namespace {

bool is_container(const LayerImpl& layer) {
  return dynamic_cast<const ModelImpl*>(&layer) != nullptr || dynamic_cast<const SequentialImpl*>(&layer) != nullptr;
}

// The sources of one backward pass, each tensor once, so the tape hands out no duplicate buffers.
class SourceList {
 public:
  std::size_t add(const Tensor& t) {
    auto [it, inserted] = index_.try_emplace(t.id(), tensors_.size());
    if (inserted) tensors_.push_back(t);
    return it->second;
  }
  const std::vector<Tensor>& tensors() const { return tensors_; }

 private:
  std::vector<Tensor> tensors_;
  std::unordered_map<uint64_t, std::size_t> index_;
};

GradientStats stats_of(const Tensor& grad, const Tensor& like) {
  GradientStats s = gradient_stats(grad);
  // An unconnected gradient is zero: count its elements so that rms and fractions stay meaningful.
  if (!grad.defined()) {
    s.count = like.numel();
    s.zero_count = like.numel();
  }
  return s;
}

}  // namespace

GradientProbe::GradientProbe(GradientProbeOptions options) : options_(options) { pass_.step = options_.step; }

void GradientProbe::on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor& output,
                                  const CallOptions&) {
  if (is_container(layer)) return;
  bool first = true;
  for (const Call& call : calls_) first &= call.layer != &layer;
  LayerCallRecord record;
  record.layer = layer.name();
  record.type = layer.type();
  record.activation = layer_activation(layer);
  record.output_shape = output.shape().to_string();
  record.output = forward_stats(output, record.activation, options_.saturation);
  if (calls_.empty()) pass_.dtype = output.dtype();
  pass_.layers.push_back(std::move(record));
  calls_.push_back({&layer, inputs, output, first});
}

std::vector<Tensor> GradientProbe::gradient(GradientTape& tape, const Tensor& loss, const std::vector<Tensor>& sources) {
  SourceList list;
  std::vector<std::size_t> user(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) user[i] = list.add(sources[i]);

  // Per call: where its output, inputs and variables sit in the list (npos when the tape cannot say).
  constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct Where {
    std::size_t output = npos;
    std::vector<std::size_t> inputs;
    std::vector<std::pair<Variable, std::size_t>> variables;
  };
  std::vector<Where> where(calls_.size());
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    const Call& call = calls_[c];
    if (tape.tracks(call.output)) where[c].output = list.add(call.output);
    bool all_inputs = true;
    for (const Tensor& x : call.inputs) all_inputs &= tape.tracks(x);
    if (all_inputs) {
      for (const Tensor& x : call.inputs) where[c].inputs.push_back(list.add(x));
    }
    if (call.first_of_layer && options_.variables) {
      for (const Variable& v : call.layer->trainable_variables()) {
        if (tape.tracks(v.value())) where[c].variables.emplace_back(v, list.add(v.value()));
      }
    }
  }

  const std::vector<Tensor> grads = tape.gradient(loss, list.tensors());
  pass_.loss = loss.numel() == 1 ? loss.item() : 0.0;

  // A layer's input is usually the previous layer's output: each gradient is read once.
  std::vector<std::optional<GradientStats>> cache(grads.size());
  const auto stats = [&](std::size_t index, const Tensor& like) -> const GradientStats& {
    if (!cache[index]) cache[index] = stats_of(grads[index], like);
    return *cache[index];
  };
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    LayerCallRecord& record = pass_.layers[c];
    const Call& call = calls_[c];
    if (where[c].output != npos) record.output_grad = stats(where[c].output, call.output);
    if (!where[c].inputs.empty()) {
      std::vector<GradientStats> parts;
      for (std::size_t i = 0; i < where[c].inputs.size(); ++i) parts.push_back(stats(where[c].inputs[i], call.inputs[i]));
      record.input_grad = parts.size() == 1 ? parts.front() : combine(parts);
    }
    record.variables.clear();
    for (const auto& [variable, index] : where[c].variables) {
      record.variables.push_back(variable_gradient_stats(variable, grads[index]));
    }
  }

  std::vector<Tensor> result(sources.size());
  std::unordered_set<std::size_t> handed_out;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Tensor& g = grads[user[i]];
    // A source listed twice gets its own copy, as tape.gradient gives it.
    result[i] = handed_out.insert(user[i]).second || !g.defined() ? g : g.clone();
  }
  return result;
}

std::vector<Tensor> GradientProbe::gradient(GradientTape& tape, const Tensor& loss, const std::vector<Variable>& sources) {
  std::vector<Tensor> values;
  values.reserve(sources.size());
  for (const Variable& v : sources) values.push_back(v.value());
  return gradient(tape, loss, values);
}

PassRecord GradientProbe::take() {
  PassRecord done = std::move(pass_);
  pass_ = PassRecord{};
  pass_.step = done.step + 1;
  calls_.clear();
  return done;
}

PassRecord probe_pass(const ProbeForward& forward, const std::vector<Tensor>& inputs, const ProbePassOptions& options) {
  if (inputs.empty()) fail("probe_pass: no inputs");
  std::optional<AnomalyDetector> detector;
  if (options.detect_anomalies) {
    detector.emplace();
    detector->set_step(options.probe.step);
  }
  GradientProbe probe(options.probe);
  GradientTape tape;
  for (const Tensor& x : inputs) tape.watch(x);
  std::vector<Tensor> outputs;
  {
    ObserveLayerCalls observe(probe);
    outputs = forward(inputs, {.training = options.training});
  }
  if (outputs.empty()) fail("probe_pass: the network returned no outputs");
  Tensor total;
  int64_t count = 0;
  for (const Tensor& o : outputs) {
    total = total.defined() ? total + sum(o) : sum(o);
    count += o.numel();
  }
  const Tensor loss = total * (1.0 / static_cast<double>(std::max<int64_t>(count, 1)));
  const std::vector<Tensor> input_grads = probe.gradient(tape, loss, inputs);

  PassRecord pass = probe.take();
  pass.dtype = inputs.front().dtype();
  std::vector<GradientStats> parts;
  for (std::size_t i = 0; i < inputs.size(); ++i) parts.push_back(stats_of(input_grads[i], inputs[i]));
  pass.input_grad = combine(parts);
  if (detector) pass.anomaly = detector->first();
  return pass;
}

PassRecord probe_pass(const Layer& model, const std::vector<Tensor>& inputs, const ProbePassOptions& options) {
  const ProbeForward forward = [&model](const std::vector<Tensor>& xs, const CallOptions& call) {
    if (ModelImpl* functional = model.as<ModelImpl>()) return functional->call_all(xs, call);
    return std::vector<Tensor>{model.impl().call(xs, call)};
  };
  return probe_pass(forward, inputs, options);
}

}  // namespace gradlab
