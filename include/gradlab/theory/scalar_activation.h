#pragma once
/// An activation as a function of one real number with its derivative: what the mean-field maps
/// integrate.
///
///   const ScalarActivation& tanh_act = scalar_activation("tanh");
///   double slope = tanh_act.derivative(0.3);
///
/// The functions are gradlab's own scalar kernels (the ones the tensor ops run), evaluated in double,
/// so the theory describes exactly the activations a network uses. softmax and log_softmax are not
/// elementwise and have no mean-field map; scalar_activation refuses them.

#include <string>
#include <string_view>
#include <vector>

namespace gradlab::theory {

/// phi and phi' as plain functions, and where they are not smooth.
struct ScalarActivation {
  std::string name;
  double (*value)(double) = nullptr;       ///< phi(x)
  double (*derivative)(double) = nullptr;  ///< phi'(x) (the one-sided value gradlab's backward uses at a kink)
  std::vector<double> kinks;               ///< x where phi or a derivative of it jumps (relu: 0)
  /// phi(a x) = a phi(x) for a > 0 (linear, relu, leaky_relu): then chi_1 does not depend on q, and
  /// is defined even where the length map has no fixed point.
  bool positively_homogeneous = false;
};

/// gradlab's activation called `name` (as get_activation() spells it: relu, tanh, gelu, ...), with
/// Keras's default arguments (leaky_relu slope 0.2, elu alpha 1, exact gelu). Throws Error naming the
/// valid names for an unknown or non-elementwise activation.
const ScalarActivation& scalar_activation(std::string_view name);

/// The names scalar_activation() accepts: every elementwise activation of activation_names().
std::vector<std::string> scalar_activation_names();

}  // namespace gradlab::theory
