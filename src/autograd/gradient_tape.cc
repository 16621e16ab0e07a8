#include "gradlab/autograd/gradient_tape.h"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "gradlab/autograd/record.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// Tapes are per thread, like TensorFlow's: a sweep worker's tape never sees another worker's ops.
thread_local std::vector<GradientTape*> active_tapes;
thread_local int recording_paused = 0;
const std::string kNoLayer;
thread_local const std::string* layer_name = &kNoLayer;

void add_into(Tensor& sum, const Tensor& term, const char* op) {
  if (sum.shape() != term.shape() || sum.dtype() != term.dtype()) {
    fail("internal error: gradient from '{}' is {} but the gradient it adds to is {}", op,
         term.description(), sum.description());
  }
  // The accumulated tensor may alias a gradient handed to another input (add passes its gradient
  // through), so sums always go to fresh storage.
  Tensor out = Tensor::empty(sum.shape(), sum.dtype());
  dispatch(sum.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a = sum.data<T>();
    const T* b = term.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0, n = out.numel(); i < n; ++i) o[i] = a[i] + b[i];
  });
  sum = out;
}

template <typename Inputs>
bool should_record_impl(const Inputs& inputs) {
  if (recording_paused || active_tapes.empty()) return false;
  for (GradientTape* tape : active_tapes) {
    if (!tape->recording()) continue;
    for (const Tensor& t : inputs) {
      if (t.defined() && tape->tracks(t)) return true;
    }
  }
  return false;
}

template <typename Inputs>
void record_impl(const char* op, const Inputs& inputs, const Tensor& output, BackwardRule rule) {
  std::shared_ptr<const BackwardRule> shared;
  for (GradientTape* tape : active_tapes) {
    if (!tape->recording()) continue;
    const bool tracked = std::any_of(inputs.begin(), inputs.end(),
                                     [&](const Tensor& t) { return t.defined() && tape->tracks(t); });
    if (!tracked) continue;
    if (!shared) shared = std::make_shared<const BackwardRule>(std::move(rule));
    TapeNode node{op, *layer_name, {}, output.id(), output.shape(), output.dtype(), shared};
    node.inputs.reserve(inputs.size());
    for (const Tensor& t : inputs) node.inputs.push_back(t.defined() ? t.id() : 0);
    tape->append(std::move(node));
  }
}

}  // namespace

GradientTape::GradientTape(TapeOptions options) : options_(options) {
  active_tapes.push_back(this);
}

GradientTape::~GradientTape() {
  auto it = std::find(active_tapes.begin(), active_tapes.end(), this);
  if (it != active_tapes.end()) active_tapes.erase(it);
}

void GradientTape::watch(const Tensor& x) {
  if (!x.defined()) fail("GradientTape.watch: cannot watch an undefined tensor");
  tracked_.insert(x.id());
}

bool GradientTape::tracks(const Tensor& t) const {
  return tracked_.count(t.id()) != 0 || (options_.watch_accessed_variables && t.is_trainable_variable());
}

void GradientTape::append(TapeNode node) {
  tracked_.insert(node.output);
  nodes_.push_back(std::move(node));
}

void GradientTape::reset() {
  nodes_.clear();
  tracked_.clear();
  used_ = false;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           UnconnectedGradients unconnected) {
  if (!target.defined()) fail("GradientTape.gradient: the target is an undefined tensor");
  if (used_ && !options_.persistent) {
    fail("GradientTape.gradient: a non-persistent tape can compute gradients only once; "
         "create it with TapeOptions{{.persistent = true}} to call gradient() again");
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].defined()) fail("GradientTape.gradient: source {} is an undefined tensor", i);
    if (!tracks(sources[i])) {
      fail("GradientTape.gradient: source {} ({}) is not watched by this tape; call tape.watch() on it "
           "before computing with it, or make it a trainable Variable",
           i, sources[i].description());
    }
  }
  NoRecording pause;

  // Forward pass over the list: which tensors depend on a source. Only those need gradients.
  std::unordered_set<uint64_t> relevant;
  for (const Tensor& s : sources) relevant.insert(s.id());
  for (const TapeNode& node : nodes_) {
    for (uint64_t in : node.inputs) {
      if (relevant.count(in)) {
        relevant.insert(node.output);
        break;
      }
    }
  }

  std::unordered_map<uint64_t, Tensor> grads;
  if (relevant.count(target.id())) {
    grads.emplace(target.id(), ones_like(target));
    std::unordered_set<uint64_t> keep;
    for (const Tensor& s : sources) keep.insert(s.id());
    std::unique_ptr<bool[]> needs;
    std::size_t needs_size = 0;
    for (auto node = nodes_.rbegin(); node != nodes_.rend(); ++node) {
      if (!relevant.count(node->output)) continue;
      auto found = grads.find(node->output);
      if (found == grads.end()) continue;
      Tensor output_grad = found->second;
      // Free intermediate gradients as soon as they are consumed; sources keep theirs.
      if (!keep.count(node->output)) grads.erase(found);
      const std::size_t n = node->inputs.size();
      if (n > needs_size) {
        needs.reset(new bool[n]);
        needs_size = n;
      }
      bool any = false;
      for (std::size_t i = 0; i < n; ++i) any |= (needs[i] = relevant.count(node->inputs[i]) != 0);
      if (!any) continue;
      std::vector<Tensor> input_grads = (*node->backward)(output_grad, std::span<const bool>(needs.get(), n));
      for (std::size_t i = 0; i < n && i < input_grads.size(); ++i) {
        if (!needs[i] || !input_grads[i].defined()) continue;
        auto [slot, inserted] = grads.try_emplace(node->inputs[i], input_grads[i]);
        if (!inserted) add_into(slot->second, input_grads[i], node->op);
      }
    }
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const Tensor& s : sources) {
    auto found = grads.find(s.id());
    if (found != grads.end() && s.id() != target.id()) {
      result.push_back(found->second);
    } else if (s.id() == target.id()) {
      result.push_back(ones_like(s));
    } else {
      result.push_back(unconnected == UnconnectedGradients::zero ? zeros_like(s) : Tensor());
    }
  }
  used_ = true;
  if (!options_.persistent) {
    nodes_.clear();
    nodes_.shrink_to_fit();
  }
  return result;
}

Tensor GradientTape::gradient(const Tensor& target, const Tensor& source, UnconnectedGradients unconnected) {
  return gradient(target, std::vector<Tensor>{source}, unconnected)[0];
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Variable>& sources,
                                           UnconnectedGradients unconnected) {
  std::vector<Tensor> values;
  values.reserve(sources.size());
  for (const Variable& v : sources) values.push_back(v.value());
  return gradient(target, values, unconnected);
}

bool should_record(std::initializer_list<Tensor> inputs) { return should_record_impl(inputs); }
bool should_record(const std::vector<Tensor>& inputs) { return should_record_impl(inputs); }

void record(const char* op, std::initializer_list<Tensor> inputs, const Tensor& output, BackwardRule rule) {
  record_impl(op, inputs, output, std::move(rule));
}
void record(const char* op, const std::vector<Tensor>& inputs, const Tensor& output, BackwardRule rule) {
  record_impl(op, inputs, output, std::move(rule));
}

LayerScope::LayerScope(const std::string& name) : previous_(layer_name) { layer_name = &name; }
LayerScope::~LayerScope() { layer_name = previous_; }
const std::string& current_layer() { return *layer_name; }

NoRecording::NoRecording() { ++recording_paused; }
NoRecording::~NoRecording() { --recording_paused; }

}  // namespace gradlab
