#include "gradlab/instrument/learning_variable.h"

namespace gradlab {

const VariableGradientStats* learning_variable(const LayerCallRecord& call) {
  if (call.variables.empty()) return nullptr;
  for (const VariableGradientStats& v : call.variables) {
    if (v.name.ends_with("/kernel") || v.name == "kernel") return &v;
  }
  return &call.variables.front();
}

}  // namespace gradlab
