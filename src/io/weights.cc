#include "gradlab/io/weights.h"

#include <set>

#include "gradlab/error.h"
#include "gradlab/nn/bidirectional.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/recurrent.h"

namespace gradlab {
namespace {

// The recurrent layer among `layers` (and inside their models and Bidirectional wrappers) that
// owns the variable called `name`, or nullptr.
const RecurrentImpl* recurrent_owner(const std::vector<Layer>& layers, const std::string& name) {
  for (const Layer& layer : layers) {
    std::vector<Layer> inner;
    if (const auto* m = layer.as<ModelImpl>()) inner = m->layers();
    if (const auto* m = layer.as<SequentialImpl>()) inner = m->layers();
    if (const auto* b = layer.as<BidirectionalImpl>()) inner = {b->forward_layer(), b->backward_layer()};
    if (const RecurrentImpl* found = recurrent_owner(inner, name)) return found;
    if (const auto* r = layer.as<RecurrentImpl>()) {
      for (const Variable& v : r->own_variables()) {
        if (v.name() == name) return r;
      }
    }
  }
  return nullptr;
}

// For a recurrent layer's weight: how its gates are laid out, so a file from a cell with another
// gate count (an LSTM's weights for a GRU) says why its shape is wrong.
std::string gate_layout(const Layer& model, const std::string& name) {
  const RecurrentImpl* r = recurrent_owner({model}, name);
  if (!r) return "";
  static constexpr const char* kGates[] = {"h", "i, f, c, o", "z, r, h"};
  const int64_t gates = gate_count(r->cell());
  return fmt::format(" (a {} of {} units has {} gate{} ({}) of {} columns each along the last axis)", cell_name(r->cell()),
                     r->units(), gates, gates == 1 ? "" : "s",
                     kGates[static_cast<int>(r->cell())], r->units());
}

}  // namespace

TensorFile model_weights(const Layer& model) {
  TensorFile file;
  for (const Variable& v : model.variables()) file.add(v.name(), v.value());
  file.metadata["format"] = "gradlab";
  file.metadata["model"] = model.name();
  return file;
}

void load_weights(const Layer& model, const TensorFile& file) {
  const std::vector<Variable> variables = model.variables();
  std::set<std::string> expected;
  // Check everything first, so a mismatched file leaves the model untouched.
  for (const Variable& v : variables) {
    expected.insert(v.name());
    const Tensor* t = file.find(v.name());
    if (!t) {
      fail("{}: no tensor '{}' for model '{}' (is this a checkpoint of a different model?)", file.source(), v.name(),
           model.name());
    }
    if (t->shape() != v.shape()) {
      fail("{}: tensor '{}' has shape {} but model '{}' expects {}{}", file.source(), v.name(), t->shape().to_string(),
           model.name(), v.shape().to_string(), gate_layout(model, v.name()));
    }
    if (t->dtype() != v.dtype()) {
      fail("{}: tensor '{}' is {} but model '{}' was built for {} (use --dtype {})", file.source(), v.name(),
           dtype_name(t->dtype()), model.name(), dtype_name(v.dtype()), dtype_name(t->dtype()));
    }
  }
  for (const auto& [name, tensor] : file.tensors()) {
    if (!expected.count(name)) {
      fail("{}: tensor '{}' is not a variable of model '{}' (is this a checkpoint of a different model?)",
           file.source(), name, model.name());
    }
  }
  for (Variable v : variables) v.assign(file.get(v.name()));
}

}  // namespace gradlab
