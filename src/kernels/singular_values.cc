#include "kernels/singular_values.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace gradlab::kernels {
namespace {

// Four partial sums in a fixed order, so the compiler can keep them in vector lanes and the result
// does not depend on the machine.
double dot(const double* x, const double* y, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += x[k] * y[k];
    s1 += x[k + 1] * y[k + 1];
    s2 += x[k + 2] * y[k + 2];
    s3 += x[k + 3] * y[k + 3];
  }
  for (; k < n; ++k) s0 += x[k] * y[k];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

std::vector<double> singular_values(const double* a, int64_t rows, int64_t cols) {
  // Columns of the tall orientation, each stored contiguously: n columns of length m, m >= n.
  const bool tall = rows >= cols;
  const int64_t m = tall ? rows : cols, n = tall ? cols : rows;
  if (n == 0) return {};
  std::vector<double> g(static_cast<std::size_t>(m * n));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const double v = a[i * cols + j];
      if (tall) {
        g[static_cast<std::size_t>(j * m + i)] = v;
      } else {
        g[static_cast<std::size_t>(i * m + j)] = v;
      }
    }
  }
  for (const double v : g) {
    if (!std::isfinite(v)) return std::vector<double>(static_cast<std::size_t>(n), std::nan(""));
  }
  const double tolerance = static_cast<double>(m) * std::numeric_limits<double>::epsilon();
  std::vector<double> norm2(static_cast<std::size_t>(n));
  double total = 0;
  for (int64_t j = 0; j < n; ++j) total += dot(&g[j * m], &g[j * m], m);
  // A column whose norm is below m * eps of A's Frobenius norm is rounding noise (the rank-deficient
  // part of a relu network's Jacobian): two such columns are never orthogonal to the tolerance, and
  // rotating them would only sweep until the cap.
  const double negligible = tolerance * tolerance * total;
  for (int sweep = 0; sweep < 100; ++sweep) {
    // Squared norms recomputed each sweep, so the updates below cannot drift across sweeps.
    for (int64_t j = 0; j < n; ++j) norm2[j] = dot(&g[j * m], &g[j * m], m);
    bool rotated = false;
    for (int64_t p = 0; p + 1 < n; ++p) {
      double* gp = &g[p * m];
      for (int64_t q = p + 1; q < n; ++q) {
        double* gq = &g[q * m];
        const double alpha = norm2[p], beta = norm2[q];
        if (alpha <= negligible || beta <= negligible) continue;
        const double gamma = dot(gp, gq, m);
        if (gamma == 0 || std::abs(gamma) <= tolerance * std::sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation that zeroes <g_p, g_q>, with the smaller angle (|t| <= 1), as in symmetric
        // Jacobi on the 2 x 2 block [[alpha, gamma], [gamma, beta]] of AᵀA.
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t), s = c * t;
        for (int64_t k = 0; k < m; ++k) {
          const double x = gp[k], y = gq[k];
          gp[k] = c * x - s * y;
          gq[k] = s * x + c * y;
        }
        norm2[p] = alpha - t * gamma;
        norm2[q] = beta + t * gamma;
      }
    }
    if (!rotated) break;
  }
  std::vector<double> values(static_cast<std::size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    const double norm2_j = dot(&g[j * m], &g[j * m], m);
    values[j] = norm2_j <= negligible ? 0.0 : std::sqrt(norm2_j);
  }
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

}  // namespace gradlab::kernels
