#pragma once
/// Dynamical isometry at the edge of chaos (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the
/// sigmoid in deep learning through dynamical isometry: theory and practice"): the singular values of
/// the input-output Jacobian of a deep Dense stack at initialization, for Gaussian and orthogonal
/// weights at criticality (chi_1 = 1), tanh and relu, as depth grows.
///
///   DynamicalIsometry d = run_dynamical_isometry({.width = 128, .depths = {1, 4, 16, 64}});
///   for (const IsometryArm& arm : d.arms)
///     for (const IsometryDepth& p : arm.depths)
///       std::cout << arm.activation << " " << isometry_weights_name(arm.weights) << " " << p.depth
///                 << " " << p.spectrum.mean_squared << " " << p.spectrum.variance_squared << "\n";
///
/// Each arm is one network of `width` units per layer, square (the input has `width` features), with
/// biases N(0, sigma_b2) and kernels either Gaussian N(0, sigma_w2 / width) or orthogonal times
/// sqrt(sigma_w2) (Saxe et al. 2014; the same sigma_w2: an orthogonal matrix times g has
/// g^2 / width as the variance of its entries), sigma_w2 the critical one at sigma_b2
/// (theory::critical_sigma_w2). The example is x_i = phi(sqrt(q_in) z_i), z ~ N(0, 1), with q_in = q*
/// when the length map has a finite positive fixed point (so every layer's pre-activations are near
/// q*, as the theory assumes) and 1 otherwise. The Jacobian of the output after each depth layers is
/// taken through the tape in float64 (input_output_jacobian, instrument/jacobian_spectrum.h).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gradlab/instrument/jacobian_spectrum.h"
#include "gradlab/nn/dense.h"
#include "gradlab/theory/mean_field.h"

namespace gradlab {

/// How the kernels of an arm are drawn.
enum class IsometryWeights {
  gaussian,    ///< N(0, sigma_w2 / fan_in)
  orthogonal,  ///< orthogonal(gain = sqrt(sigma_w2)) (Saxe et al. 2014)
};

/// "gaussian" or "orthogonal".
std::string_view isometry_weights_name(IsometryWeights weights);

/// The spectrum of the Jacobian of a Dense stack's output after `depth` layers.
struct IsometryDepth {
  int depth = 0;
  JacobianSpectrum spectrum;
  /// The theory's mean squared singular value: the product of chi(q^l) = sigma_w2 E[phi'(sqrt(q^l) z)^2]
  /// over the layers, q^l iterated by the length map from the example's q^1 (chi_1^depth at q*;
  /// Pennington et al. 2017, eq. 8). NaN when the theory gives no chi (an unbounded length).
  double predicted_mean_squared = 0;
};

/// The Jacobian spectra of a plain stack of built Dense `layers` (each one's kernel, bias and
/// activation, converted to float64) for one `example` ([1, features], the first layer's input) at
/// each of `depths` (each in [1, layers.size()], ascending): one forward pass, recorded on a persistent
/// tape, then input_output_jacobian of each depth's output. predicted_mean_squared is left 0 (no
/// theory is assumed). Throws Error for unbuilt layers, an example that is not one row, or a bad depth.
std::vector<IsometryDepth> dense_stack_jacobians(const std::vector<Dense>& layers, const Tensor& example,
                                                 std::span<const int> depths);

/// Options of run_dynamical_isometry().
struct DynamicalIsometryOptions {
  /// Units of every layer and features of the example (square Jacobians).
  int64_t width = 128;
  /// Depths at which the spectrum is taken; the deepest is the network's depth.
  std::vector<int> depths = {1, 2, 4, 8, 16, 32, 64};
  /// The arms' activations (tanh and relu: Pennington et al. 2017's contrast).
  std::vector<std::string> activations = {"tanh", "relu"};
  /// Bias variance of every arm; sigma_w2 is the critical one at it. Small, so that tanh's q* is
  /// small (0.107 at sigma_w2 = 1.189): Pennington et al. 2017 find isometry only as q* -> 0, where
  /// tanh is nearly linear.
  double sigma_b2 = 0.001;
  uint64_t seed = 0;
};

/// The most units per layer of run_dynamical_isometry() (each Jacobian takes `width` backward passes
/// and a width x width singular value decomposition).
inline constexpr int64_t kMaxIsometryWidth = 1024;
/// The deepest network of run_dynamical_isometry().
inline constexpr int kMaxIsometryDepth = 1000;

/// Throws Error naming the bad option: width in [1, kMaxIsometryWidth], depths non-empty in
/// [1, kMaxIsometryDepth] without repeats, activations with a mean-field map
/// (theory::scalar_activation) and a critical sigma_w2 at sigma_b2, sigma_b2 finite and >= 0.
void validate(const DynamicalIsometryOptions& options);

/// One arm: an activation and a kind of weights at the critical point.
struct IsometryArm {
  std::string activation;
  IsometryWeights weights = IsometryWeights::gaussian;
  theory::InitVariances variances;          ///< (critical sigma_w2, sigma_b2)
  theory::GradientPropagation propagation;  ///< q*, chi_1 (1) and the phase there
  double q_in = 1;                          ///< the example's length parameter (see the file comment)
  std::vector<IsometryDepth> depths;        ///< ascending
};

/// Every arm, activation-major (gaussian, then orthogonal).
struct DynamicalIsometry {
  DynamicalIsometryOptions options;  ///< depths sorted
  std::vector<IsometryArm> arms;
};

/// Builds and measures every arm (see the file comment). Arm k draws from Rng(seed).fork(k + 1), so
/// an arm does not change when other activations are added after it.
DynamicalIsometry run_dynamical_isometry(const DynamicalIsometryOptions& options);

}  // namespace gradlab
