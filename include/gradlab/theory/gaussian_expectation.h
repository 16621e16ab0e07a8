#pragma once
/// Gaussian expectations by quadrature, accurate to about 1e-12 relative for the activations gradlab
/// has: the mean-field maps of signal-propagation theory are all of this form.
///
///   double second_moment = gaussian_expectation([](double x) { return std::tanh(x) * std::tanh(x); },
///                                               {.stddev = 1.2});
///   double joint = bivariate_gaussian_expectation(f, g, {.variance = 0.8, .correlation = 0.5});
///
/// The integral over z ~ N(0, 1) is split at each kink (a point where the function or one of its
/// derivatives jumps, like relu's 0), cut to |z| <= 37.5 (the standard normal density there is below
/// 1e-300) and integrated by adaptive Gauss–Legendre on each piece, with the 20-point rule's nodes
/// computed by Newton's method on the Legendre polynomial. Splitting at kinks is what makes relu-like
/// functions as accurate as smooth ones; Gauss–Hermite converges only slowly across a kink.

#include <functional>
#include <span>
#include <vector>

namespace gradlab::theory {

/// A function of one real variable.
using RealFunction = std::function<double(double)>;

/// x ~ N(mean, stddev^2), and the points where the function of x has a kink.
struct NormalVariable {
  double mean = 0.0;
  double stddev = 1.0;
  std::span<const double> kinks = {};  ///< x values where the integrand's smoothness breaks
};

/// E[f(x)] for x ~ N(mean, stddev^2); stddev 0 gives f(mean). Throws Error for a negative or
/// non-finite stddev or mean.
double gaussian_expectation(const RealFunction& f, const NormalVariable& x);

/// Two standard-normal-based variables u1 = sqrt(variance) z1 and
/// u2 = sqrt(variance) (correlation z1 + sqrt(1 - correlation^2) z2), with z1, z2 independent N(0, 1),
/// so that E[u1^2] = E[u2^2] = variance and the correlation of u1 and u2 is `correlation`.
struct BivariateNormal {
  double variance = 1.0;
  double correlation = 0.0;     ///< in [-1, 1]
  std::span<const double> f_kinks = {};  ///< kinks of the function of u1
  std::span<const double> g_kinks = {};  ///< kinks of the function of u2
};

/// E[f(u1) g(u2)] for the bivariate normal above (Poole et al. 2016, eq. 4's integral), as an outer
/// quadrature over u1 of f(u1) times the inner Gaussian expectation of g given u1.
double bivariate_gaussian_expectation(const RealFunction& f, const RealFunction& g, const BivariateNormal& u);

/// The n-point Gauss–Legendre rule on [-1, 1]: nodes ascending and their weights, from Newton's
/// method on the Legendre polynomial P_n (Golub & Welsch 1969 give the same rule by eigenvalues).
struct QuadratureRule {
  std::vector<double> nodes;
  std::vector<double> weights;
};
QuadratureRule gauss_legendre_rule(int n);

}  // namespace gradlab::theory
