#pragma once
/// Mean-field signal propagation through a deep fully connected network at initialization: how the
/// length and the correlation of signals, and the norm of gradients, change from layer to layer, and
/// over how many layers they are lost (Poole et al. 2016, "Exponential expressivity in deep neural
/// networks through transient chaos"; Schoenholz et al. 2017, "Deep Information Propagation").
///
///   const ScalarActivation& act = scalar_activation("tanh");
///   SignalPropagation s = signal_propagation(act, {.sigma_w2 = 1.5, .sigma_b2 = 0.05});
///   // s.chi_1 < 1: ordered phase; gradients shrink by chi_1 per layer, over s.depth_gradient layers
///
/// The network: h^l = W^l phi(h^{l-1}) + b^l with W^l_ij ~ N(0, sigma_w2 / fan_in) and
/// b^l_i ~ N(0, sigma_b2), in the limit of infinite width, where each pre-activation is Gaussian.
/// z below is a standard normal variable; every expectation is computed by gaussian_expectation().
/// See docs/theory.md for the definitions and what the figures mean.

#include <cmath>
#include <string_view>

#include "gradlab/theory/scalar_activation.h"

namespace gradlab::theory {

/// The variances of a Gaussian initialization: weights N(0, sigma_w2 / fan_in), biases N(0, sigma_b2).
struct InitVariances {
  double sigma_w2 = 1.0;
  double sigma_b2 = 0.0;
};

/// Throws Error unless sigma_w2 and sigma_b2 are finite and >= 0 (naming the bad one).
void check_variances(const InitVariances& v);

/// The length map q^l = sigma_w2 E[phi(sqrt(q^{l-1}) z)^2] + sigma_b2 (Poole et al. 2016, eq. 3), the
/// mean squared pre-activation of layer l from that of layer l - 1.
double length_map(const ScalarActivation& phi, const InitVariances& v, double q);

/// The slope of the length map, chi_q = d q^l / d q^{l-1} = sigma_w2 E[phi'(u)^2 + phi(u) phi''(u)]
/// (Schoenholz et al. 2017, eq. 5), computed as sigma_w2 E[u phi(u) phi'(u)] / q with u ~ N(0, q) (the
/// same by Stein's lemma, and defined for kinked activations). At q = 0 it is the limit from above.
double length_slope(const ScalarActivation& phi, const InitVariances& v, double q);

/// The fixed point q* of the length map that signals of small length converge to: +infinity when
/// q^l grows without bound (relu with sigma_w2 > 2, for instance), 0 when the signal dies (tanh with
/// sigma_b2 = 0 and sigma_w2 <= 1). Relative accuracy 1e-12.
double length_fixed_point(const ScalarActivation& phi, const InitVariances& v);

/// chi_1 = sigma_w2 E[phi'(sqrt(q) z)^2] (Poole et al. 2016, eq. 7; Schoenholz et al. 2017, eq. 9): the
/// slope of the correlation map at c = 1, and the factor by which the expected squared gradient norm
/// grows from one layer to the one below it.
double gradient_gain(const ScalarActivation& phi, const InitVariances& v, double q);

/// The correlation map c^l = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q (Poole et al. 2016, eq. 5),
/// with u1, u2 of variance q and correlation c^{l-1}: how the correlation between the signals of two
/// inputs moves from one layer to the next once their length has reached q = q*.
double correlation_map(const ScalarActivation& phi, const InitVariances& v, double q, double c);

/// The slope of the correlation map, sigma_w2 E[phi'(u1) phi'(u2)] (Schoenholz et al. 2017, eq. 6);
/// chi_c is its value at c*.
double correlation_slope(const ScalarActivation& phi, const InitVariances& v, double q, double c);

/// Where a point (sigma_w2, sigma_b2) lies (Poole et al. 2016; Schoenholz et al. 2017, Fig. 1).
enum class Phase {
  ordered,    ///< chi_1 < 1: nearby inputs converge (c* = 1), gradients vanish
  critical,   ///< chi_1 = 1 within 1e-9: the edge of chaos
  chaotic,    ///< chi_1 > 1: nearby inputs decorrelate (c* < 1), gradients explode
  unbounded,  ///< the length map has no fixed point and chi_1 depends on the length: no mean-field figures
};

/// "ordered", "critical", "chaotic" or "unbounded".
std::string_view phase_name(Phase phase);

/// The depth scale -1 / ln(chi) of a per-layer factor chi (Schoenholz et al. 2017, eqs. 5, 9, 13): the
/// number of layers over which a deviation shrinks by e when chi < 1; negative when chi > 1 (it grows
/// by e over |depth| layers); +infinity at chi = 1.
double depth_scale(double chi);

/// The figures that need only the length map: where the gradients go.
struct GradientPropagation {
  double q_star = 0;          ///< fixed point of the length map (may be 0 or +infinity)
  double chi_1 = 0;           ///< per-layer gain of the squared gradient norm (NaN when unbounded)
  double depth_gradient = 0;  ///< xi_grad = -1 / ln chi_1 (Schoenholz et al. 2017, eq. 13); +inf when critical
  Phase phase = Phase::ordered;
};

/// q*, chi_1, xi_grad and the phase of a point. Where q* is 0 or infinite, chi_1 is the limit
/// along the length map when that exists: for the positively homogeneous activations (relu,
/// leaky_relu, linear) at any q, and for q* = 0 at q -> 0.
GradientPropagation gradient_propagation(const ScalarActivation& phi, const InitVariances& v);

/// Every figure of the theory at one point.
struct SignalPropagation {
  GradientPropagation gradient;
  double chi_q = 0;          ///< slope of the length map at q*
  double depth_length = 0;   ///< xi_q = -1 / ln chi_q: layers over which the length reaches q*
  double c_star = 1;         ///< fixed point of the correlation map (1 in the ordered phase)
  double chi_c = 0;          ///< slope of the correlation map at c*
  double depth_correlation = 0;  ///< xi_c = -1 / ln chi_c: layers over which two inputs' correlation
                                 ///< reaches c* (Schoenholz et al. 2017, eq. 8)
};

/// The figures of gradient_propagation() and the length and correlation depth scales; c* to 1e-10.
/// Where q* is 0 or infinite the correlation map is taken in its limit c -> E[phi(u1) phi(u2)] /
/// E[phi(u)^2], which for a positively homogeneous activation does not depend on q; for the others
/// with q* infinite the correlation figures are NaN.
SignalPropagation signal_propagation(const ScalarActivation& phi, const InitVariances& v);

}  // namespace gradlab::theory
