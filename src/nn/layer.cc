#include "gradlab/nn/layer.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {

// Instruments watch layer calls per thread, as tapes record per thread; with none installed a call
// pays one empty-vector check.
static thread_local std::vector<LayerCallObserver*> observers;

namespace {

struct NameCounters {
  std::mutex mutex;
  std::unordered_map<std::string, int64_t> next;
};

NameCounters& name_counters() {
  static NameCounters counters;
  return counters;
}

std::string input_label(const LayerImpl& layer, std::size_t index) {
  return layer.max_inputs() == 1 ? std::string("input") : fmt::format("input {}", index);
}

}  // namespace

std::string unique_layer_name(const std::string& type) {
  NameCounters& counters = name_counters();
  std::lock_guard lock(counters.mutex);
  const int64_t n = counters.next[type]++;
  return n == 0 ? type : fmt::format("{}_{}", type, n);
}

void clear_session() {
  NameCounters& counters = name_counters();
  std::lock_guard lock(counters.mutex);
  counters.next.clear();
}

LayerImpl::LayerImpl(std::string type, const std::string& name, std::optional<DType> dtype)
    : type_(std::move(type)), name_(name.empty() ? unique_layer_name(type_) : name), dtype_(dtype) {}

void LayerImpl::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (std::size_t i = 0; i < weights_.size(); ++i)
    weights_[i].set_trainable(trainable && created_trainable_[i]);
}

std::vector<Variable> LayerImpl::variables() const {
  std::vector<Variable> out = weights_;
  std::stable_partition(out.begin(), out.end(), [](const Variable& v) { return v.trainable(); });
  return out;
}

std::vector<Variable> LayerImpl::trainable_variables() const {
  std::vector<Variable> out;
  for (const Variable& v : variables()) {
    if (v.trainable()) out.push_back(v);
  }
  return out;
}

std::vector<Variable> LayerImpl::non_trainable_variables() const {
  std::vector<Variable> out;
  for (const Variable& v : variables()) {
    if (!v.trainable()) out.push_back(v);
  }
  return out;
}

int64_t LayerImpl::count_params() const {
  int64_t n = 0;
  for (const Variable& v : variables()) n += v.shape().numel();
  return n;
}

void LayerImpl::build(const std::vector<Shape>&, DType) {}

void LayerImpl::check_inputs(const std::vector<Tensor>& inputs) const {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() != *dtype_) {
      fail("{}: {} is {} but the layer was built for {}", name_, input_label(*this, i),
           dtype_name(inputs[i].dtype()), dtype_name(*dtype_));
    }
  }
}

void LayerImpl::mark_built(DType dtype) {
  dtype_ = dtype;
  built_ = true;
}

Tensor LayerImpl::call(const std::vector<Tensor>& inputs, const CallOptions& options) {
  const auto count = static_cast<int64_t>(inputs.size());
  if (count < min_inputs() || count > max_inputs()) {
    if (min_inputs() == max_inputs()) {
      fail("{}: expected {} input{}, got {}", name_, min_inputs(), min_inputs() == 1 ? "" : "s", count);
    }
    fail("{}: expected at least {} inputs, got {}", name_, min_inputs(), count);
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) fail("{}: {} is an undefined tensor", name_, input_label(*this, i));
  }
  if (!built_) {
    const std::optional<DType> declared = dtype_;
    dtype_ = declared.value_or(inputs.front().dtype());
    try {
      check_inputs(inputs);
      std::vector<Shape> shapes;
      shapes.reserve(inputs.size());
      for (const Tensor& x : inputs) shapes.push_back(x.shape());
      build(shapes, *dtype_);
    } catch (...) {
      // A failed build leaves the layer as it was, so a corrected call can build it.
      dtype_ = declared;
      weights_.clear();
      created_trainable_.clear();
      throw;
    }
    built_ = true;
  } else {
    check_inputs(inputs);
  }
  LayerScope scope(name_);
  Tensor output = forward(inputs, options);
  if (!observers.empty()) {
    for (LayerCallObserver* observer : observers) observer->on_layer_call(*this, inputs, output, options);
  }
  return output;
}

ObserveLayerCalls::ObserveLayerCalls(LayerCallObserver& observer) : observer_(&observer) {
  observers.push_back(observer_);
}

ObserveLayerCalls::~ObserveLayerCalls() { std::erase(observers, observer_); }

Variable LayerImpl::add_weight(const std::string& name, const Shape& shape, const Initializer& initializer,
                               bool trainable, const Fans* fans) {
  if (!dtype_) fail("{}: add_weight('{}') called before the layer's dtype is known", name_, name);
  std::string full_name = name_ + "/" + name;
  for (const Variable& v : weights_) {
    if (v.name() == full_name) fail("{}: a variable named '{}' already exists", name_, full_name);
  }
  Tensor value = fans ? initializer(shape, *dtype_, rng(), *fans) : initializer(shape, *dtype_, rng());
  if (value.shape() != shape || value.dtype() != *dtype_) {
    fail("{}: initializer {} made {} for variable '{}' of {}{}", name_, initializer.description(),
         value.description(), full_name, dtype_name(*dtype_), shape.to_string());
  }
  Variable v(std::move(full_name), std::move(value), trainable && trainable_);
  weights_.push_back(v);
  created_trainable_.push_back(trainable);
  return v;
}

Rng& LayerImpl::rng() const { return rng_ ? *rng_ : default_rng(); }

LayerImpl& Layer::impl() const {
  if (!impl_) fail("use of an undefined Layer handle");
  return *impl_;
}

Tensor Layer::operator()(const Tensor& x, CallOptions options) const { return impl().call({x}, options); }

Tensor Layer::operator()(const std::vector<Tensor>& xs, CallOptions options) const {
  return impl().call(xs, options);
}

}  // namespace gradlab
