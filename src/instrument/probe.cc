#include "gradlab/instrument/probe.h"

#include "gradlab/autograd/ops.h"
#include "gradlab/nn/model.h"

namespace gradlab {
namespace {

bool is_container(const LayerImpl& layer) {
  return dynamic_cast<const ModelImpl*>(&layer) != nullptr || dynamic_cast<const SequentialImpl*>(&layer) != nullptr;
}

// The sources of one backward pass, each tensor once, so the tape hands out no duplicate buffers.
// Indexed by the tape's own open-addressing map: a pass adds a few entries per layer call, and a
// node-based hash map would allocate for every one of them.
class SourceList {
 public:
  explicit SourceList(std::size_t expected) { tensors_.reserve(expected); }
  std::size_t add(const Tensor& t) {
    const int32_t found = index_.find(t.id());
    if (found >= 0) return static_cast<std::size_t>(found);
    index_.assign(t.id(), static_cast<int32_t>(tensors_.size()));
    tensors_.push_back(t);
    return tensors_.size() - 1;
  }
  const std::vector<Tensor>& tensors() const { return tensors_; }

 private:
  std::vector<Tensor> tensors_;
  detail::SlotMap index_;
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
  if (calls_.empty()) {
    // One allocation each for a pass of a few layer calls, not one per doubling.
    constexpr std::size_t kFirstCapacity = 16;
    calls_.reserve(kFirstCapacity);
    pass_.layers.reserve(kFirstCapacity);
  }
  bool first = true;
  for (const Call& call : calls_) first &= call.layer != &layer;
  // Built in place: a record is a few hundred bytes, strings included.
  LayerCallRecord& record = pass_.layers.emplace_back();
  record.layer = layer.name();
  record.type = layer.type();
  record.activation = layer_activation(layer);
  record.output_shape = output.shape().to_string();
  record.output = forward_stats(output, record.activation, options_.saturation);
  if (calls_.empty()) pass_.dtype = output.dtype();
  calls_.push_back({&layer, inputs, output, first});
}

std::vector<Tensor> GradientProbe::gradient(GradientTape& tape, const Tensor& loss, const std::vector<Tensor>& sources) {
  SourceList list(sources.size() + 3 * calls_.size());
  std::vector<std::size_t> user(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) user[i] = list.add(sources[i]);

  // Per call: where its output sits in the list (npos when the tape cannot say), and its inputs and
  // variables, as ranges of two flat lists (one allocation each, not two per call).
  constexpr std::size_t npos = static_cast<std::size_t>(-1);
  struct Where {
    std::size_t output = npos;
    std::size_t inputs_begin = 0, inputs_end = 0;
    std::size_t variables_begin = 0, variables_end = 0;
  };
  std::vector<Where> where(calls_.size());
  std::vector<std::size_t> input_index;
  input_index.reserve(2 * calls_.size());
  std::vector<std::pair<Variable, std::size_t>> variable_index;
  if (options_.variables) variable_index.reserve(2 * calls_.size());
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    const Call& call = calls_[c];
    Where& w = where[c];
    if (tape.tracks(call.output)) w.output = list.add(call.output);
    bool all_inputs = true;
    for (const Tensor& x : call.inputs) all_inputs &= tape.tracks(x);
    w.inputs_begin = input_index.size();
    if (all_inputs) {
      for (const Tensor& x : call.inputs) input_index.push_back(list.add(x));
    }
    w.inputs_end = input_index.size();
    w.variables_begin = variable_index.size();
    if (call.first_of_layer && options_.variables) {
      for (const Variable& v : call.layer->trainable_variables()) {
        if (tape.tracks(v.value())) variable_index.emplace_back(v, list.add(v.value()));
      }
    }
    w.variables_end = variable_index.size();
  }

  const std::vector<Tensor> grads = tape.gradient(loss, list.tensors());
  pass_.loss = loss.numel() == 1 ? loss.item() : 0.0;

  // A layer's input is usually the previous layer's output: each gradient is read once.
  std::vector<std::optional<GradientStats>> cache(grads.size());
  const auto stats = [&](std::size_t index, const Tensor& like) -> const GradientStats& {
    if (!cache[index]) cache[index] = stats_of(grads[index], like);
    return *cache[index];
  };
  std::vector<GradientStats> parts;
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    LayerCallRecord& record = pass_.layers[c];
    const Call& call = calls_[c];
    const Where& w = where[c];
    if (w.output != npos) record.output_grad = stats(w.output, call.output);
    if (w.inputs_end == w.inputs_begin + 1) {
      record.input_grad = stats(input_index[w.inputs_begin], call.inputs[0]);
    } else if (w.inputs_end > w.inputs_begin) {
      parts.clear();
      for (std::size_t i = w.inputs_begin; i < w.inputs_end; ++i) {
        parts.push_back(stats(input_index[i], call.inputs[i - w.inputs_begin]));
      }
      record.input_grad = combine(parts);
    }
    record.variables.clear();
    record.variables.reserve(w.variables_end - w.variables_begin);
    for (std::size_t i = w.variables_begin; i < w.variables_end; ++i) {
      const auto& [variable, index] = variable_index[i];
      record.variables.push_back(variable_gradient_stats(variable, grads[index]));
    }
  }

  std::vector<Tensor> result(sources.size());
  std::vector<char> handed_out(grads.size(), 0);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const Tensor& g = grads[user[i]];
    // A source listed twice gets its own copy, as tape.gradient gives it.
    const bool first = !handed_out[user[i]];
    handed_out[user[i]] = 1;
    result[i] = first || !g.defined() ? g : g.clone();
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
