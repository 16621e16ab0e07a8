#include "gradlab/instrument/learning_variable.h"

namespace gradlab {

const VariableGradientStats* learning_variable(const LayerCallRecord& call) {
  if (call.variables.empty()) return nullptr;
  for (const VariableGradientStats& v : call.variables) {
    if (v.role == "kernel") return &v;
  }
  return &call.variables.front();
}

}  // namespace gradlab
