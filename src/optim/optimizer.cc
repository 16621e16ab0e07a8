#include "gradlab/optim/optimizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"
#include "kernels/optim.h"

namespace gradlab {
namespace {

void check_threshold(const std::optional<double>& value, const std::string& optimizer, const char* what) {
  if (value && !(*value > 0 && std::isfinite(*value))) {
    fail("{}: {} must be a positive number, got {}", optimizer, what, *value);
  }
}

}  // namespace

Optimizer::Optimizer(OptimizerConfig config, std::vector<std::string> slot_names)
    : config_(std::move(config)),
      slot_names_(std::move(slot_names)),
      last_global_norm_(std::numeric_limits<double>::quiet_NaN()) {
  check_threshold(config_.clipnorm, config_.name, "clipnorm");
  check_threshold(config_.clipvalue, config_.name, "clipvalue");
  check_threshold(config_.global_clipnorm, config_.name, "global_clipnorm");
  // Keras rejects clipnorm with global_clipnorm and silently ignores clipvalue next to either; one
  // clear error is kinder than an option that does nothing.
  const int kinds = int(config_.clipnorm.has_value()) + int(config_.clipvalue.has_value()) +
                    int(config_.global_clipnorm.has_value());
  if (kinds > 1) fail("{}: set at most one of clipnorm, clipvalue and global_clipnorm", config_.name);
  if (config_.weight_decay && !(std::isfinite(*config_.weight_decay) && *config_.weight_decay >= 0)) {
    fail("{}: weight_decay must be a non-negative number, got {}", config_.name, *config_.weight_decay);
  }
}

double Optimizer::slot_initial_value(std::size_t) const { return 0.0; }

Optimizer::VariableState& Optimizer::state_of(const Variable& var) {
  const uint64_t key = var.value().id();
  auto it = index_.find(key);
  if (it != index_.end()) return states_[it->second];
  VariableState s{var, {}};
  for (std::size_t i = 0; i < slot_names_.size(); ++i) {
    s.slots.push_back(full(var.shape(), slot_initial_value(i), var.dtype()));
  }
  index_.emplace(key, states_.size());
  states_.push_back(std::move(s));
  return states_.back();
}

void Optimizer::build(const std::vector<Variable>& vars) {
  for (const Variable& v : vars) {
    if (!v.defined()) fail("{}: cannot build state for an undefined variable", config_.name);
    state_of(v);
  }
}

double Optimizer::apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars) {
  std::vector<Tensor> grads;
  std::vector<Variable> vars;
  grads.reserve(grads_and_vars.size());
  vars.reserve(grads_and_vars.size());
  for (const auto& [g, v] : grads_and_vars) {
    grads.push_back(g);
    vars.push_back(v);
  }
  return apply(grads, vars);
}

double Optimizer::apply(const std::vector<Tensor>& grads, const std::vector<Variable>& vars) {
  if (grads.size() != vars.size()) {
    fail("{}: got {} gradients for {} variables", config_.name, grads.size(), vars.size());
  }
  active_.clear();
  squares_.clear();
  bool finite = true;
  double total = 0;
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!vars[i].defined()) fail("{}: variable {} is undefined", config_.name, i);
    const Tensor& g = grads[i];
    if (!g.defined()) continue;
    if (g.shape() != vars[i].shape() || g.dtype() != vars[i].dtype()) {
      fail("{}: the gradient of {} is {} but the variable is {}", config_.name, vars[i].name(),
           g.description(), vars[i].value().description());
    }
    const double sq = dispatch(g.dtype(), [&](auto tag) {
      using T = decltype(tag);
      return kernels::sum_of_squares(g.data<T>(), g.numel(), finite);
    });
    active_.push_back(i);
    squares_.push_back(sq);
    total += sq;
  }
  if (active_.empty()) {
    fail("{}: no gradients provided for any of the {} variables (every gradient is undefined)", config_.name,
         vars.size());
  }
  const double norm = std::sqrt(total);
  double global_scale = 1.0;
  if (config_.global_clipnorm) {
    const double c = *config_.global_clipnorm;
    // tf.clip_by_global_norm: c * min(1/N, 1/c), and (N - N) turns a non-finite N into NaN.
    global_scale = c * std::min(1.0 / norm, 1.0 / c) + (norm - norm);
  }

  StepContext context;
  context.learning_rate = config_.learning_rate.at(iterations_);
  context.step = iterations_ + 1;
  context.clip_value = config_.clipvalue ? *config_.clipvalue : std::numeric_limits<double>::infinity();
  context.weight_decay = config_.weight_decay.value_or(0.0);
  for (std::size_t k = 0; k < active_.size(); ++k) {
    const std::size_t i = active_[k];
    context.grad_scale = global_scale;
    if (config_.clipnorm) {
      const double c = *config_.clipnorm;
      context.grad_scale = c / std::max(std::sqrt(squares_[k]), c);
    }
    VariableState& s = state_of(vars[i]);
    Tensor value = vars[i].value();
    update(value, grads[i], s.slots, context);
  }
  ++iterations_;
  last_global_norm_ = norm;
  last_finite_ = finite;
  return norm;
}

NamedTensors Optimizer::state() const {
  NamedTensors out;
  for (const VariableState& s : states_) {
    for (std::size_t i = 0; i < slot_names_.size(); ++i) {
      out.emplace_back(s.variable.name() + "/" + slot_names_[i], s.slots[i].clone());
    }
  }
  out.emplace_back("iterations", scalar(static_cast<double>(iterations_), DType::float64));
  return out;
}

void Optimizer::load_state(const NamedTensors& state, const std::vector<Variable>& vars) {
  build(vars);
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) {
    if (!given.emplace(name, &t).second) fail("{}: optimizer state has '{}' twice", config_.name, name);
  }
  // Check everything before changing anything, so that a bad state leaves the optimizer as it was.
  auto iterations_entry = given.find("iterations");
  if (iterations_entry == given.end()) fail("{}: optimizer state has no 'iterations'", config_.name);
  const Tensor& it = *iterations_entry->second;
  if (it.numel() != 1 || !(it.item() >= 0) || it.item() != std::floor(it.item()) || it.item() > 9.0e15) {
    fail("{}: optimizer state 'iterations' must be one non-negative integer, got {}", config_.name,
         it.description());
  }
  std::vector<std::pair<Tensor*, const Tensor*>> copies;
  std::set<std::string> used = {"iterations"};
  for (const Variable& v : vars) {
    VariableState& s = state_of(v);
    for (std::size_t i = 0; i < slot_names_.size(); ++i) {
      const std::string key = v.name() + "/" + slot_names_[i];
      auto found = given.find(key);
      if (found == given.end()) fail("{}: optimizer state has no '{}'", config_.name, key);
      const Tensor& t = *found->second;
      if (t.shape() != v.shape() || t.dtype() != v.dtype()) {
        fail("{}: optimizer state '{}' is {} but the variable is {}", config_.name, key, t.description(),
             v.value().description());
      }
      copies.emplace_back(&s.slots[i], &t);
      used.insert(key);
    }
  }
  for (const auto& [name, t] : given) {
    if (!used.count(name))
      fail("{}: optimizer state has '{}', which belongs to none of the variables", config_.name, name);
  }
  for (auto& [slot, source] : copies) slot->copy_from(*source);
  iterations_ = static_cast<int64_t>(it.item());
}

}  // namespace gradlab
