#include "gradlab/io/weights.h"

#include <set>

#include "gradlab/error.h"

namespace gradlab {

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
      fail("{}: tensor '{}' has shape {} but model '{}' expects {}", file.source(), v.name(), t->shape().to_string(),
           model.name(), v.shape().to_string());
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
