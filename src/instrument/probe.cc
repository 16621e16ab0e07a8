#include "gradlab/instrument/probe.h"

#include <utility>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/instrument/example_spread.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {


constexpr std::size_t npos = static_cast<std::size_t>(-1);

// Per call: where its output sits in the observed list (npos when the tape cannot say), and its
// inputs and variables, as ranges of two flat lists (one allocation each, not two per call).
struct Where {
  std::size_t output = npos;
  std::size_t inputs_begin = 0, inputs_end = 0;
  std::size_t variables_begin = 0, variables_end = 0;
};

// The working lists of gradient(), kept per thread between passes: a probe of the lesson's small
// networks would otherwise spend a noticeable share of its time allocating them. Taken out while in
// use, so a nested gradient() (one probe inside another's pass) just starts with empty lists.
struct GradientLists {
  std::vector<Tensor> observed;
  std::vector<Where> where;
  std::vector<std::size_t> input_index;
  std::vector<GradientStats> tensor_stats;
};
thread_local GradientLists spare_lists;

GradientStats stats_of(const Tensor& grad, const Tensor& like) {
  GradientStats s = gradient_stats(grad);
  // An unconnected gradient is zero: count its elements so that rms and fractions stay meaningful.
  if (!grad.defined()) {
    s.count = like.numel();
    s.zero_count = like.numel();
  }
  return s;
}

const ProbeLossWords& words_of(ProbeLoss loss) {
  for (const ProbeLossWords& w : kProbeLossWords) {
    if (w.loss == loss) return w;
  }
  fail("unknown ProbeLoss {}", static_cast<int>(loss));
}

ProbeLoss resolved(ProbeLoss asked, const PassRecord& pass, bool training) {
  if (asked != ProbeLoss::automatic) return asked;
  // Only batch statistics remove the batch mean of the upstream gradient; in inference mode batch
  // normalization is a fixed affine map per unit.
  if (training) {
    for (const LayerCallRecord& call : pass.layers) {
      if (call.type == "batch_normalization") return ProbeLoss::random_projection;
    }
  }
  return ProbeLoss::mean;
}

}  // namespace

std::string_view probe_loss_name(ProbeLoss loss) { return words_of(loss).name; }
std::string_view probe_loss_label(ProbeLoss loss) { return words_of(loss).label; }

std::vector<std::string> probe_loss_names() {
  std::vector<std::string> names;
  for (const ProbeLossWords& w : kProbeLossWords) names.emplace_back(w.name);
  return names;
}

ProbeLoss parse_probe_loss(std::string_view name) {
  for (const ProbeLossWords& w : kProbeLossWords) {
    if (w.name == name) return w.loss;
  }
  fail("unknown probe loss '{}' (known: auto, mean, random_projection)", name);
}

GradientProbe::GradientProbe(GradientProbeOptions options) : options_(options) { pass_.step = options_.step; }

// Model and Sequential set these types; comparing them costs less than two dynamic_casts per call.
bool is_container_layer(const LayerImpl& layer) {
  return layer.type() == "functional" || layer.type() == "sequential";
}

void GradientProbe::on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor& output,
                                  const CallOptions&) {
  if (is_container_layer(layer)) return;
  if (calls_.empty()) {
    // One allocation each for a pass of a few layer calls, not one per doubling.
    constexpr std::size_t kFirstCapacity = 16;
    calls_.reserve(kFirstCapacity);
    call_inputs_.reserve(kFirstCapacity);
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
  for (const Variable& v : layer.own_variables()) {
    record.has_variables = true;
    record.has_kernel |= variable_role(layer.name(), v.name()) == "kernel";
  }
  record.output = forward_stats(output, record.activation, options_.saturation);
  if (options_.across_examples && output.rank() >= 1 && output.dim(0) >= 2) {
    record.std_across_examples = std_across_examples(output);
  }
  if (options_.signal && !inputs.empty()) {
    if (const std::optional<Tensor> h = dense_pre_activation(layer, inputs.front(), output)) {
      record.pre_activation = signal_stats(*h);
    }
  }
  if (calls_.empty()) pass_.dtype = output.dtype();
  calls_.push_back({&layer, call_inputs_.size(), call_inputs_.size() + inputs.size(), output, first});
  call_inputs_.insert(call_inputs_.end(), inputs.begin(), inputs.end());
}

std::vector<Tensor> GradientProbe::gradient(GradientTape& tape, const Tensor& loss, const std::vector<Tensor>& sources) {
  // The tensors whose gradients the pass reads. A layer's input is usually an earlier call's output
  // (the previous one, or a few back for a skip connection): it is then read once, under the output's
  // index. Inputs found nowhere nearby get their own entry; a tensor listed twice costs one more read.
  constexpr std::size_t kLookBack = 8;
  GradientLists lists = std::exchange(spare_lists, {});
  std::vector<Tensor>& observed = lists.observed;
  std::vector<Where>& where = lists.where;
  std::vector<std::size_t>& input_index = lists.input_index;
  observed.clear();
  input_index.clear();
  where.assign(calls_.size(), Where{});
  std::vector<Variable> variables;
  std::vector<std::string_view> owners;  // the name of each variable's layer
  const auto index_of_input = [&](std::size_t c, const Tensor& x) {
    for (std::size_t back = 1; back <= std::min(c, kLookBack); ++back) {
      const Where& earlier = where[c - back];
      if (earlier.output != npos && calls_[c - back].output.id() == x.id()) return earlier.output;
    }
    observed.push_back(x);
    return observed.size() - 1;
  };
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    const Call& call = calls_[c];
    Where& w = where[c];
    if (tape.tracks(call.output)) {
      observed.push_back(call.output);
      w.output = observed.size() - 1;
    }
    const std::span<const Tensor> inputs = call_inputs(call);
    bool all_inputs = true;
    for (const Tensor& x : inputs) all_inputs &= tape.tracks(x);
    w.inputs_begin = input_index.size();
    if (all_inputs) {
      for (const Tensor& x : inputs) input_index.push_back(index_of_input(c, x));
    }
    w.inputs_end = input_index.size();
    w.variables_begin = variables.size();
    if (call.first_of_layer && options_.variables) {
      // own_variables(), not trainable_variables(): no list built per layer call.
      for (const Variable& v : call.layer->own_variables()) {
        if (v.trainable() && tape.tracks(v.value())) {
          variables.push_back(v);
          owners.push_back(call.layer->name());
        }
      }
    }
    w.variables_end = variables.size();
  }
  // The variables follow the layer tensors in the observed list, one entry each.
  const std::size_t tensor_count = observed.size();
  for (const Variable& v : variables) observed.push_back(v.value());
  const std::vector<Tensor>& list = observed;

  // Each gradient is read while the tape still has it, fresh in cache, and then freed as usual.
  std::vector<GradientStats>& tensor_stats = lists.tensor_stats;
  tensor_stats.assign(tensor_count, GradientStats{});
  std::vector<VariableGradientStats> variable_stats(variables.size());
  struct Reader {
    const std::vector<Tensor>& list;
    const std::vector<Variable>& variables;
    const std::vector<std::string_view>& owners;
    std::vector<GradientStats>& tensor_stats;
    std::vector<VariableGradientStats>& variable_stats;
    void operator()(std::size_t i, const Tensor& grad) const {
      if (i < tensor_stats.size()) {
        tensor_stats[i] = stats_of(grad, list[i]);
      } else {
        const std::size_t j = i - tensor_stats.size();
        variable_stats[j] = variable_gradient_stats(variables[j], grad, owners[j]);
      }
    }
  } reader{list, variables, owners, tensor_stats, variable_stats};
  // By pointer: a std::function keeps a callable this small without allocating.
  const std::vector<Tensor> grads =
      tape.gradient(loss, sources, list, [r = &reader](std::size_t i, const Tensor& grad) { (*r)(i, grad); });
  pass_.loss = loss.numel() == 1 ? loss.item() : 0.0;

  std::vector<GradientStats> parts;
  for (std::size_t c = 0; c < calls_.size(); ++c) {
    LayerCallRecord& record = pass_.layers[c];
    const Where& w = where[c];
    if (w.output != npos) record.output_grad = tensor_stats[w.output];
    if (w.inputs_end == w.inputs_begin + 1) {
      record.input_grad = tensor_stats[input_index[w.inputs_begin]];
    } else if (w.inputs_end > w.inputs_begin) {
      parts.clear();
      for (std::size_t i = w.inputs_begin; i < w.inputs_end; ++i) parts.push_back(tensor_stats[input_index[i]]);
      record.input_grad = combine(parts);
    }
    record.variables.assign(variable_stats.begin() + static_cast<std::ptrdiff_t>(w.variables_begin),
                            variable_stats.begin() + static_cast<std::ptrdiff_t>(w.variables_end));
  }
  observed.clear();  // no tensor outlives the pass in the spare lists
  spare_lists = std::move(lists);
  return grads;
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
  call_inputs_.clear();
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
  const ProbeLoss loss_kind = resolved(options.loss, probe.pass(), options.training);
  Tensor total;
  int64_t count = 0;
  const Rng projections(options.projection_seed);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    Tensor term = o;
    if (loss_kind == ProbeLoss::random_projection) {
      Rng rng = projections.fork(i);
      term = o * normal(o.shape(), rng, 0.0, 1.0, o.dtype());
    }
    total = total.defined() ? total + sum(term) : sum(term);
    count += o.numel();
  }
  const Tensor loss = total * (1.0 / static_cast<double>(std::max<int64_t>(count, 1)));
  const std::vector<Tensor> input_grads = probe.gradient(tape, loss, inputs);

  PassRecord pass = probe.take();
  pass.dtype = inputs.front().dtype();
  pass.loss_kind = loss_kind;
  std::vector<GradientStats> parts;
  for (std::size_t i = 0; i < inputs.size(); ++i) parts.push_back(stats_of(input_grads[i], inputs[i]));
  pass.input_grad = combine(parts);
  if (options.probe.signal) pass.input_signal = signal_stats(inputs.front());
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
