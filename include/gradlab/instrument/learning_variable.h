#pragma once
/// Which of a layer's variables speaks for how fast it learns, as the probe's tables show it.
///
///   const VariableGradientStats* v = learning_variable(call);   // the kernel's, for a Dense layer
///   if (v && v->weight_norm > 0) show(v->grad_to_weight_ratio);

#include "gradlab/instrument/probe.h"

namespace gradlab {

/// The variable whose gradient says how fast a layer would learn: its kernel's statistics, else its
/// first variable's; nullptr for a call without recorded variables. (The largest ratio over all
/// variables would be a fresh, all-zero bias's infinite one: no signal, and it reads as an explosion.)
const VariableGradientStats* learning_variable(const LayerCallRecord& call);

}  // namespace gradlab
