#pragma once
/// What gradlab's table of activations says about each activation besides its function: where its
/// output saturates, whether its units can die, and the slope bound of Pascanu et al. (2013). The
/// instruments and the theory read these instead of testing names.
///
///   const ActivationFacts* facts = find_activation_facts("tanh");
///   if (facts && facts->saturation == Saturation::symmetric) { ... }   // |y| near 1

#include <string_view>

namespace gradlab {

/// Where an activation's output saturates, its slope then nearly 0 (the thresholds are
/// SaturationThresholds in gradlab/instrument/layer_stats.h).
enum class Saturation {
  none,           ///< never (relu, gelu, ...)
  symmetric,      ///< |y| near 1 (tanh, softsign)
  unit_interval,  ///< y near 0 or 1 (sigmoid, hard_sigmoid)
};

/// What gradlab's table of activations says about one activation besides its function.
struct ActivationFacts {
  std::string_view name;    ///< as activation_names() lists it
  bool elementwise = true;  ///< false for softmax and log_softmax, which normalize along an axis
  Saturation saturation = Saturation::none;
  /// Whether its units can die: output exactly 0 for every example (relu), so the instruments count
  /// them (ForwardStats::silent_fraction, UnitActivity).
  bool dead_units = false;
  /// 1 / max |phi'|, Pascanu et al. (2013)'s 1/gamma: a recurrent kernel whose largest singular value
  /// is below it makes gradients vanish through time; NaN where gradlab does not use the bound.
  double inverse_max_slope = 0;
};

/// The facts of the activation called `name` (an alias, silu, gives its activation's), or null for
/// a name activation_names() does not list.
const ActivationFacts* find_activation_facts(std::string_view name);

}  // namespace gradlab
