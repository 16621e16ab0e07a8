#pragma once
/// The singular values of a network's input-output Jacobian J = dy/dx at initialization, for one
/// example: dynamical isometry (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in
/// deep learning through dynamical isometry: theory and practice").
///
///   Tensor x = ...;                                   // [1, n]: one example
///   GradientTape tape({.persistent = true});
///   tape.watch(x);
///   Tensor y = network(x);                            // [1, m]
///   Tensor j = input_output_jacobian(tape, y, x);     // [m, n], float64: one backward pass per output unit
///   JacobianSpectrum s = jacobian_spectrum(j);        // s.mean_squared, s.variance_squared, ...
///
/// A network has dynamical isometry when every singular value of J is near 1: then a gradient of any
/// direction reaches the input with its norm kept. chi_1 (theory/mean_field.h) fixes only the mean
/// of the squared singular values, chi_1^L after L layers at the fixed point q* (Pennington et al.
/// 2017, eq. 8); their spread depends on the weights' own spectrum: it grows with depth for Gaussian
/// weights, and orthogonal weights with tanh near q* = 0 keep it small where relu cannot.

#include <cstdint>
#include <vector>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// The Jacobian of `output` (m elements, flattened in row-major order) with respect to the watched
/// `input` (n elements) as a float64 [m, n] tensor: row i is tape.gradient(output_i, input), one
/// backward pass per output element, each through the recorded ops (the tape's backward rules,
/// no finite differences). Rows of elements that do not depend on the input are 0. The tape must be
/// persistent and still recording (each row adds one node that picks output_i). Throws Error naming
/// the problem otherwise, or when either tensor is empty.
Tensor input_output_jacobian(GradientTape& tape, const Tensor& output, const Tensor& input);

/// The singular values of a Jacobian and the figures of Pennington et al. 2017 drawn from them.
struct JacobianSpectrum {
  int64_t rows = 0;  ///< m: output elements
  int64_t cols = 0;  ///< n: input elements
  /// The min(m, n) singular values, descending (one-sided Jacobi in float64, kernels/singular_values.h).
  std::vector<double> singular_values;
  /// Mean of the squared singular values, ||J||_F^2 / min(m, n): the mean eigenvalue of JJᵀ, whose
  /// expectation is chi_1^L for a square J of L layers at q* (Pennington et al. 2017, eq. 8).
  double mean_squared = 0;
  /// Population variance of the squared singular values (Pennington et al. 2017's sigma^2_{JJᵀ}):
  /// 0 for an isometry.
  double variance_squared = 0;
  double largest = 0;   ///< sigma_max
  double smallest = 0;  ///< sigma_min (0 when J has less than full rank)
  /// sigma_max / sigma_min: +infinity when sigma_min is 0, NaN when J is 0.
  double condition_number = 0;
};

/// The spectrum of a 2-D float64 `jacobian`. Throws Error for another rank or dtype, or an empty one.
JacobianSpectrum jacobian_spectrum(const Tensor& jacobian);

}  // namespace gradlab
