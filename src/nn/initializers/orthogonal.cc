// Keras's Orthogonal initializer (Saxe et al. 2014) on a Householder QR of our own, in float64, and
// the delta-orthogonal kernel of Xiao et al. (2018) built from it.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "gradlab/error.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/creation.h"
#include "nn/initializers/draw.h"

namespace gradlab {
namespace {

// The Q of a reduced QR of the column-major m x n matrix `a` (m >= n), with column j multiplied by
// sign(R[j][j]) so that R's diagonal is positive: the unique Q, as Keras gets it from its qr op.
// Returned column-major, m x n.
std::vector<double> orthonormal_columns(std::vector<double> a, int64_t m, int64_t n) {
  std::vector<double> reflectors(static_cast<std::size_t>(m * n), 0.0);
  std::vector<double> r_diagonal(static_cast<std::size_t>(n), 0.0);
  for (int64_t k = 0; k < n; ++k) {
    double* x = &a[k * m];
    double* v = &reflectors[k * m];
    double norm2 = 0;
    for (int64_t i = k; i < m; ++i) norm2 += x[i] * x[i];
    const double norm = std::sqrt(norm2);
    if (norm == 0) continue;
    // alpha takes the sign opposite to x[k] so that x[k] - alpha never cancels.
    const double alpha = x[k] > 0 ? -norm : norm;
    for (int64_t i = k; i < m; ++i) v[i] = x[i];
    v[k] -= alpha;
    double v_norm2 = 0;
    for (int64_t i = k; i < m; ++i) v_norm2 += v[i] * v[i];
    const double v_scale = 1.0 / std::sqrt(v_norm2);
    for (int64_t i = k; i < m; ++i) v[i] *= v_scale;
    for (int64_t j = k; j < n; ++j) {
      double* col = &a[j * m];
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[i] * col[i];
      for (int64_t i = k; i < m; ++i) col[i] -= 2 * dot * v[i];
    }
    r_diagonal[k] = alpha;
  }
  std::vector<double> q(static_cast<std::size_t>(m * n), 0.0);
  for (int64_t j = 0; j < n; ++j) q[j * m + j] = 1.0;
  // Q = H_0 H_1 ... H_{n-1} I[:, :n]; applying H_k leaves columns before k untouched.
  for (int64_t k = n - 1; k >= 0; --k) {
    const double* v = &reflectors[k * m];
    for (int64_t j = k; j < n; ++j) {
      double* col = &q[j * m];
      double dot = 0;
      for (int64_t i = k; i < m; ++i) dot += v[i] * col[i];
      for (int64_t i = k; i < m; ++i) col[i] -= 2 * dot * v[i];
    }
  }
  // Keras multiplies by sign(diag(r)), which is 0 for a zero pivot; a zero pivot has probability 0
  // for a normal matrix, and keeping the column there keeps Q orthonormal.
  for (int64_t j = 0; j < n; ++j) {
    if (r_diagonal[j] < 0) {
      for (int64_t i = 0; i < m; ++i) q[j * m + i] = -q[j * m + i];
    }
  }
  return q;
}

class OrthogonalImpl : public InitializerImpl {
 public:
  explicit OrthogonalImpl(double gain) : gain_(gain) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans&) const override {
    if (shape.rank() < 2) {
      fail(
          "orthogonal: the tensor to initialize must be at least two-dimensional; got shape {} of "
          "rank {}",
          shape.to_string(), shape.rank());
    }
    const int64_t cols = shape[-1];
    const int64_t rows = cols == 0 ? 0 : shape.numel() / cols;
    if (shape.numel() == 0) return zeros(shape, dtype);
    const int64_t m = std::max(rows, cols);
    const int64_t n = std::min(rows, cols);
    // Keras draws the (m, n) matrix row-major; our QR wants it column-major.
    const Tensor drawn = detail::draw_normal(Shape{m, n}, DType::float64, rng, 0.0, 1.0);
    const double* d = drawn.data<double>();
    std::vector<double> a(static_cast<std::size_t>(m * n));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) a[j * m + i] = d[i * n + j];
    }
    const std::vector<double> q = orthonormal_columns(std::move(a), m, n);
    // Column-major Q (m x n) read row-major is Q^T, which is what Keras returns when rows < cols.
    Tensor out = Tensor::empty(shape, dtype);
    dispatch(dtype, [&](auto tag) {
      using T = decltype(tag);
      T* p = out.data<T>();
      if (rows < cols) {
        for (int64_t i = 0; i < m * n; ++i) p[i] = static_cast<T>(gain_ * q[i]);
      } else {
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) p[i * n + j] = static_cast<T>(gain_ * q[j * m + i]);
        }
      }
    });
    return out;
  }
  std::string name() const override { return "orthogonal"; }
  std::string arguments() const override { return "gain=" + detail::format_number(gain_); }

 private:
  double gain_;
};

// Xiao et al. (2018), Algorithm 2: the centre tap of the kernel is an orthogonal (Cin, Cout)
// matrix and every other tap is zero, so a convolution at initialization maps each position's
// channels by that matrix alone. The centre is (k - 1) / 2 along each window axis, as
// tf.initializers.convolutional_delta_orthogonal places it.
class DeltaOrthogonalImpl : public InitializerImpl {
 public:
  explicit DeltaOrthogonalImpl(double gain) : gain_(gain), centre_(gain) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans& fans) const override {
    if (shape.rank() < 3) {
      fail(
          "delta_orthogonal: expected a convolution kernel (window..., in_channels, filters) of rank 3 or "
          "more; got shape {} of rank {}",
          shape.to_string(), shape.rank());
    }
    const int64_t in = shape[-2], out = shape[-1];
    if (in > out) {
      fail(
          "delta_orthogonal: the kernel {} has {} input channels but {} filters; an orthogonal centre "
          "(Xiao et al. 2018) needs in_channels <= filters",
          shape.to_string(), in, out);
    }
    Tensor kernel = zeros(shape, dtype);
    if (shape.numel() == 0) return kernel;
    const Tensor centre = centre_.generate(Shape{in, out}, dtype, rng, fans);
    int64_t offset = 0;
    for (int64_t axis = 0; axis < shape.rank() - 2; ++axis) offset = offset * shape[axis] + (shape[axis] - 1) / 2;
    dispatch(dtype, [&](auto tag) {
      using T = decltype(tag);
      std::copy(centre.data<T>(), centre.data<T>() + in * out, kernel.data<T>() + offset * in * out);
    });
    return kernel;
  }
  std::string name() const override { return "delta_orthogonal"; }
  std::string arguments() const override { return "gain=" + detail::format_number(gain_); }

 private:
  double gain_;
  OrthogonalImpl centre_;
};

}  // namespace

Initializer orthogonal(double gain) {
  if (!std::isfinite(gain)) fail("orthogonal: gain must be finite, got {}", gain);
  return Initializer(std::make_shared<OrthogonalImpl>(gain));
}

Initializer delta_orthogonal(double gain) {
  if (!std::isfinite(gain)) fail("delta_orthogonal: gain must be finite, got {}", gain);
  return Initializer(std::make_shared<DeltaOrthogonalImpl>(gain));
}

}  // namespace gradlab
