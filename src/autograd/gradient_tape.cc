#include "gradlab/autograd/gradient_tape.h"

#include <algorithm>
#include <memory>

#include "gradlab/autograd/record.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// Tapes are per thread, like TensorFlow's: a sweep worker's tape never sees another worker's ops.
thread_local std::vector<GradientTape*> active_tapes;
thread_local int recording_paused = 0;
const std::string kNoLayer;
thread_local const std::string* layer_name = &kNoLayer;
thread_local std::vector<TapeObserver*> tape_observers;

// sum += term for gradients flowing into one tensor from several uses (a residual fan-out).
// Either operand may share its storage with another gradient (add passes its gradient through to
// both inputs), so the sum goes in place only into an operand nothing else can see.
void accumulate(Tensor& sum, Tensor term, const char* op) {
  if (!sum.defined()) {
    sum = std::move(term);
    return;
  }
  if (sum.shape() != term.shape() || sum.dtype() != term.dtype()) {
    fail("internal error: gradient from '{}' is {} but the gradient it adds to is {}", op,
         term.description(), sum.description());
  }
  Tensor out;
  if (sum.owns_storage_exclusively()) {
    out = sum;
  } else if (term.owns_storage_exclusively()) {
    out = term;
  } else {
    out = Tensor::empty(sum.shape(), sum.dtype());
  }
  dispatch(sum.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* a = sum.data<T>();
    const T* b = term.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0, n = out.numel(); i < n; ++i) o[i] = a[i] + b[i];
  });
  sum = std::move(out);
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
  const std::span<const Tensor> in(inputs.begin(), inputs.size());
  const auto records = [&](const GradientTape* tape) {
    return tape->recording() &&
           std::any_of(in.begin(), in.end(), [&](const Tensor& t) { return t.defined() && tape->tracks(t); });
  };
  // Usually one tape records: the rule is moved into the last one and copied for any other.
  const GradientTape* last = nullptr;
  for (const GradientTape* tape : active_tapes) {
    if (records(tape)) last = tape;
  }
  for (GradientTape* tape : active_tapes) {
    if (!records(tape)) continue;
    TapeNode node{op, *layer_name, {}, output.id(), output.shape(), output.dtype(), {}};
    node.backward = tape == last ? std::move(rule) : rule;
    tape->append(std::move(node), in);
  }
  for (TapeObserver* observer : tape_observers) observer->on_forward(op, *layer_name, output);
}

// The steps of GradientTape::gradient (validate, mark what needs a gradient, walk the tape backward,
// collect), each on the tape's slot-indexed arrays. The node slot lists are passed as `const auto&`
// since their element type is the tape's own.

void check_request(const GradientTape& tape, bool used_up, const Tensor& target, const std::vector<Tensor>& sources,
                   const std::vector<Tensor>& observed) {
  if (!target.defined()) fail("GradientTape.gradient: the target is an undefined tensor");
  if (used_up) {
    fail("GradientTape.gradient: a non-persistent tape can compute gradients only once; "
         "create it with TapeOptions{{.persistent = true}} to call gradient() again");
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (!sources[i].defined()) fail("GradientTape.gradient: source {} is an undefined tensor", i);
    if (!tape.tracks(sources[i])) {
      fail("GradientTape.gradient: source {} ({}) is not watched by this tape; call tape.watch() on it "
           "before computing with it, or make it a trainable Variable",
           i, sources[i].description());
    }
  }
  for (std::size_t i = 0; i < observed.size(); ++i) {
    if (!observed[i].defined() || !tape.tracks(observed[i])) {
      fail("GradientTape.gradient: observed tensor {} ({}) is not tracked by this tape", i,
           observed[i].description());
    }
  }
}

// 1 for the slot of every tensor in `tensors` that the tape has seen.
template <typename FindSlot>
std::vector<char> flag_slots(const std::vector<Tensor>& tensors, int32_t slot_count, const FindSlot& find_slot) {
  std::vector<char> flags(static_cast<std::size_t>(slot_count), 0);
  for (const Tensor& t : tensors) {
    const int32_t slot = find_slot(t);
    if (slot >= 0) flags[slot] = 1;
  }
  return flags;
}

// The observed tensors of gradient(target, sources, observed, visit): they need gradients as sources
// do, but their buffers are released as usual once consumed, so visit() reads each when it is
// complete. Per slot, the observed indices form a chain (first[slot], then next[index]; one
// allocation for both), since a tensor may be observed twice.
class ObservedGradients {
 public:
  template <typename FindSlot>
  ObservedGradients(const std::vector<Tensor>& observed, const GradientTape::GradientVisitor& visit,
                    int32_t slot_count, const FindSlot& find_slot)
      : visit_(visit), chains_(observed.empty() ? 0 : static_cast<std::size_t>(slot_count) + observed.size(), -1) {
    const std::size_t slots = observed.empty() ? 0 : static_cast<std::size_t>(slot_count);
    first_ = std::span<int32_t>(chains_.data(), slots);
    next_ = std::span<int32_t>(chains_.data() + slots, observed.size());
    for (std::size_t i = observed.size(); i-- > 0;) {
      const int32_t slot = find_slot(observed[i]);
      if (slot < 0) {
        never_used_.push_back(i);  // a variable no op has read: no gradient, visited at the end
        continue;
      }
      next_[i] = first_[slot];
      first_[slot] = static_cast<int32_t>(i);
    }
  }

  // Marks every observed slot in `relevant`.
  void mark(std::vector<char>& relevant) const {
    for (std::size_t slot = 0; slot < first_.size(); ++slot) {
      if (first_[slot] >= 0) relevant[slot] = 1;
    }
  }

  // Visits the observers of `slot` (its gradient is complete), once.
  void visit_if_observed(int32_t slot, const std::vector<Tensor>& grads) {
    if (first_.empty() || first_[slot] < 0) return;
    for (int32_t i = first_[slot]; i >= 0; i = next_[i]) visit_(static_cast<std::size_t>(i), grads[slot]);
    first_[slot] = -1;
  }

  // Watched inputs and variables (no op produced them) are complete once the walk is over.
  void visit_the_rest(const std::vector<Tensor>& grads) {
    for (std::size_t slot = 0; slot < first_.size(); ++slot) visit_if_observed(static_cast<int32_t>(slot), grads);
    for (std::size_t i : never_used_) visit_(i, Tensor());
  }

 private:
  const GradientTape::GradientVisitor& visit_;
  std::vector<int32_t> chains_;
  std::span<int32_t> first_, next_;
  std::vector<std::size_t> never_used_;
};

// Which slots need a gradient: the sources, the observed tensors, and every output of a node with
// such an input (one forward pass over the nodes).
std::vector<char> relevant_slots(const std::vector<char>& is_source, const ObservedGradients& observers,
                                 const std::vector<TapeNode>& nodes, const auto& node_slots,
                                 const std::vector<int32_t>& input_slots) {
  std::vector<char> relevant = is_source;
  observers.mark(relevant);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const int32_t* in = input_slots.data() + node_slots[i].first_input;
    for (std::size_t j = 0, n = nodes[i].inputs.size(); j < n; ++j) {
      if (in[j] >= 0 && relevant[in[j]]) {
        relevant[node_slots[i].output] = 1;
        break;
      }
    }
  }
  return relevant;
}

// The nodes in reverse order: each relevant node's backward rule turns its output's gradient into
// its inputs' gradients, which are added up in `grads`.
void walk_backward(std::vector<Tensor>& grads, const std::vector<char>& relevant, const std::vector<char>& is_source,
                   ObservedGradients& observers, const std::vector<TapeNode>& nodes, const auto& node_slots,
                   const std::vector<int32_t>& input_slots) {
  std::unique_ptr<bool[]> needs;
  std::size_t needs_size = 0;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    const TapeNode& node = nodes[i];
    const int32_t out = node_slots[i].output;
    // Every use of this node's output came later in the list, so its gradient is complete.
    observers.visit_if_observed(out, grads);
    if (!relevant[out] || !grads[out].defined()) continue;
    // Intermediate gradients are released as soon as they are consumed; sources keep theirs.
    const Tensor output_grad = is_source[out] ? grads[out] : std::move(grads[out]);
    const int32_t* in = input_slots.data() + node_slots[i].first_input;
    const std::size_t n = node.inputs.size();
    if (n > needs_size) {
      needs.reset(new bool[n]);
      needs_size = n;
    }
    bool any = false;
    for (std::size_t j = 0; j < n; ++j) any |= (needs[j] = in[j] >= 0 && relevant[in[j]]);
    if (!any) continue;
    std::vector<Tensor> input_grads = node.backward(output_grad, std::span<const bool>(needs.get(), n));
    for (TapeObserver* observer : tape_observers) observer->on_backward(node, output_grad, input_grads);
    for (std::size_t j = 0; j < n && j < input_grads.size(); ++j) {
      if (!needs[j] || !input_grads[j].defined()) continue;
      accumulate(grads[in[j]], std::move(input_grads[j]), node.op);
    }
  }
}

// The sources' gradients, in order.
template <typename FindSlot>
std::vector<Tensor> collect(const Tensor& target, const std::vector<Tensor>& sources, const std::vector<Tensor>& grads,
                            UnconnectedGradients unconnected, const FindSlot& find_slot) {
  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const Tensor& s : sources) {
    const int32_t slot = find_slot(s);
    if (s.id() == target.id()) {
      result.push_back(ones_like(s));
    } else if (slot >= 0 && grads[slot].defined()) {
      result.push_back(grads[slot]);
    } else {
      result.push_back(unconnected == UnconnectedGradients::zero ? zeros_like(s) : Tensor());
    }
  }
  // Two sources can receive the same buffer (add passes one gradient to both inputs, or a source is
  // listed twice); each caller's gradient gets its own, so an in-place update of one (an optimizer
  // step) never changes another.
  for (std::size_t i = 1; i < result.size(); ++i) {
    if (!result[i].defined()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (result[j].defined() && result[j].raw_data() == result[i].raw_data()) {
        result[i] = result[i].clone();
        break;
      }
    }
  }
  return result;
}

}  // namespace

namespace detail {

namespace {
// Fibonacci hashing: consecutive identities (the common case) spread over the table.
std::size_t cell_of(uint64_t id, std::size_t mask) { return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> 32) & mask; }
}  // namespace

int32_t SlotMap::find(uint64_t id) const {
  if (keys_.empty()) return -1;
  const std::size_t mask = keys_.size() - 1;
  for (std::size_t c = cell_of(id, mask);; c = (c + 1) & mask) {
    if (keys_[c] == id) return slots_[c];
    if (keys_[c] == 0) return -1;
  }
}

void SlotMap::assign(uint64_t id, int32_t slot) {
  // At most half full, so probe sequences stay short and always end at an empty cell.
  if (2 * (size_ + 1) > keys_.size()) grow();
  const std::size_t mask = keys_.size() - 1;
  std::size_t c = cell_of(id, mask);
  while (keys_[c] != 0 && keys_[c] != id) c = (c + 1) & mask;
  if (keys_[c] == 0) ++size_;
  keys_[c] = id;
  slots_[c] = slot;
}

void SlotMap::clear() {
  std::fill(keys_.begin(), keys_.end(), 0);
  size_ = 0;
}

void SlotMap::grow() {
  std::vector<uint64_t> keys(std::max<std::size_t>(64, 2 * keys_.size()), 0);
  std::vector<int32_t> slots(keys.size());
  keys.swap(keys_);
  slots.swap(slots_);
  size_ = 0;
  for (std::size_t c = 0; c < keys.size(); ++c) {
    if (keys[c] != 0) assign(keys[c], slots[c]);
  }
}

}  // namespace detail

GradientTape::GradientTape(TapeOptions options) : options_(options) {
  active_tapes.push_back(this);
}

GradientTape::~GradientTape() {
  auto it = std::find(active_tapes.begin(), active_tapes.end(), this);
  if (it != active_tapes.end()) active_tapes.erase(it);
}

void GradientTape::watch(const Tensor& x) {
  if (!x.defined()) fail("GradientTape.watch: cannot watch an undefined tensor");
  if (slots_.find(x.id()) < 0) new_slot(x.id());
}

bool GradientTape::tracks(const Tensor& t) const {
  return slots_.find(t.id()) >= 0 || (options_.watch_accessed_variables && t.is_trainable_variable());
}

int32_t GradientTape::new_slot(uint64_t id) {
  const int32_t slot = slot_count_++;
  slots_.assign(id, slot);
  return slot;
}

void GradientTape::append(TapeNode node, std::span<const Tensor> inputs) {
  node.inputs.reserve(inputs.size());
  node_slots_.push_back({0, static_cast<uint32_t>(input_slots_.size())});
  for (const Tensor& t : inputs) {
    node.inputs.push_back(t.defined() ? t.id() : 0);
    int32_t slot = t.defined() ? slots_.find(t.id()) : -1;
    // An automatically watched variable gets its slot when an op first reads it.
    if (slot < 0 && t.defined() && tracks(t)) slot = new_slot(t.id());
    input_slots_.push_back(slot);
  }
  // A fresh slot even if the output's identity was seen before: later uses refer to this value.
  node_slots_.back().output = new_slot(node.output);
  nodes_.push_back(std::move(node));
}

void GradientTape::reset() {
  nodes_.clear();
  node_slots_.clear();
  input_slots_.clear();
  slots_.clear();
  slot_count_ = 0;
  used_ = false;
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           UnconnectedGradients unconnected) {
  return gradient(target, sources, {}, {}, unconnected);
}

std::vector<Tensor> GradientTape::gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                           const std::vector<Tensor>& observed, const GradientVisitor& visit,
                                           UnconnectedGradients unconnected) {
  check_request(*this, used_ && !options_.persistent, target, sources, observed);
  NoRecording pause;
  // Everything below is indexed by slot (slot_count_ of them).
  const auto find_slot = [this](const Tensor& t) { return slots_.find(t.id()); };
  std::vector<char> is_source = flag_slots(sources, slot_count_, find_slot);
  ObservedGradients observers(observed, visit, slot_count_, find_slot);
  std::vector<char> relevant = relevant_slots(is_source, observers, nodes_, node_slots_, input_slots_);

  std::vector<Tensor> grads(static_cast<std::size_t>(slot_count_));
  const int32_t target_slot = find_slot(target);
  if (target_slot >= 0 && relevant[target_slot]) {
    grads[target_slot] = ones_like(target);  // d target / d target
    walk_backward(grads, relevant, is_source, observers, nodes_, node_slots_, input_slots_);
  }
  observers.visit_the_rest(grads);
  std::vector<Tensor> result = collect(target, sources, grads, unconnected, find_slot);

  used_ = true;
  if (!options_.persistent) {
    nodes_.clear();
    nodes_.shrink_to_fit();
    node_slots_.clear();
    input_slots_.clear();
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

ObserveTape::ObserveTape(TapeObserver& observer) : observer_(&observer) { tape_observers.push_back(observer_); }
ObserveTape::~ObserveTape() { std::erase(tape_observers, observer_); }

}  // namespace gradlab
