#pragma once
// Fused loops of the normalization layers (batch, layer, group, instance and input normalization).
// Every one of them views its input as [n, a, c, b]: statistics are taken per (n, group) over a, the
// group's channels and b, where the c channels split into `groups` contiguous groups; the affine
// parameters gamma and beta are per channel.
//   batch norm, channel axis k:     n = 1, a = dims before k, c = dims[k], b = dims after k, groups = c
//   layer norm over trailing axes:  n = rows, a = 1, c = normalized size, b = 1, groups = 1
//   group norm, channels last:      n = batch, a = spatial size, c = channels, b = 1
// Statistics are accumulated in double for both float32 and float64.
#include <cstdint>

namespace gradlab::kernels {

/// The [n, a, c, b] view of a normalization with `groups` groups of c / groups channels.
struct NormLayout {
  int64_t n = 1;
  int64_t a = 1;
  int64_t c = 1;
  int64_t b = 1;
  int64_t groups = 1;
  /// Elements per (n, group): the count each mean and variance is taken over.
  int64_t group_count() const { return a * (c / groups) * b; }
};

/// mean[n * groups + g] and biased var[...] of x over each (n, group); shifted sums in double.
template <typename T>
void norm_moments(const T* x, const NormLayout& layout, double* mean, double* var);

/// y = (x - mean[n, g]) * rstd[n, g] * gamma[c] + beta[c]; gamma or beta may be null (1 and 0).
template <typename T>
void norm_forward(const T* x, const NormLayout& layout, const double* mean, const double* rstd, const T* gamma,
                  const T* beta, T* y);

/// Gradients of norm_forward from dy, with xhat = (x - mean) * rstd:
///   dgamma[c] = sum dy * xhat, dbeta[c] = sum dy (over n, a, b);
///   batch_statistics: dx = rstd * (gamma dy - mean_g(gamma dy) - xhat * mean_g(gamma dy xhat)),
///     the closed form for statistics that depend on x (Ioffe & Szegedy 2015);
///   otherwise (fixed statistics, batch norm in inference): dx = gamma * rstd * dy.
/// Any of dx, dgamma, dbeta may be null and is then not computed; gamma may be null (1).
template <typename T>
void norm_backward(const T* x, const T* dy, const NormLayout& layout, const double* mean, const double* rstd,
                   const T* gamma, bool batch_statistics, T* dx, T* dgamma, T* dbeta);

/// y[o, c, i] = (x[o, c, i] - center[c]) * scale[c] + offset[c] for x viewed as [outer, channels, inner]
/// (input normalization and its inverse).
template <typename T>
void channel_affine(const T* x, int64_t outer, int64_t channels, int64_t inner, const double* center,
                    const double* scale, const double* offset, T* y);

/// dx[o, c, i] = dy[o, c, i] * scale[c], the input gradient of channel_affine.
template <typename T>
void channel_scale(const T* dy, int64_t outer, int64_t channels, int64_t inner, const double* scale, T* dx);

}  // namespace gradlab::kernels
