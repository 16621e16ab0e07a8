#include "kernels/normalize.h"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GRADLAB_NORM_AVX2 1
#endif

namespace gradlab::kernels {
namespace {

// Groups at least this long are reduced directly along their contiguous channels; shorter ones (instance
// norm on [N, C], where a group is one element) go through per-channel accumulators that vectorize
// across channels instead.
constexpr int64_t kRowMin = 16;
// Independent accumulators break the add dependency chain so the loops vectorize without reassociation
// flags (as in reduce.cc).
constexpr int kLanes = 8;

// Per-thread scratch, grown on demand: a warm layer call allocates nothing.
template <typename U>
U* scratch(int slot, int64_t size) {
  thread_local std::vector<U> buffers[7];
  std::vector<U>& buffer = buffers[slot];
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<std::size_t>(size));
  return buffer.data();
}

bool row_path(const NormLayout& l) { return l.a * l.b == 1 && l.c / l.groups >= kRowMin; }

// s1 += sum(p - shift), s2 += sum((p - shift)^2) over n contiguous elements; shifting by a sample of the
// same group keeps the one-pass variance accurate when the mean is large against the spread.
template <typename T>
void shifted_sums(const T* __restrict__ p, int64_t n, double shift, double& s1, double& s2) {
  double a1[kLanes] = {}, a2[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const double d = static_cast<double>(p[i + j]) - shift;
      a1[j] += d;
      a2[j] += d * d;
    }
  }
  for (; i < n; ++i) {
    const double d = static_cast<double>(p[i]) - shift;
    s1 += d;
    s2 += d * d;
  }
  for (int j = 0; j < kLanes; ++j) {
    s1 += a1[j];
    s2 += a2[j];
  }
}

// s1 += sum(dy), s2 += sum(dy * (x - center)) over n contiguous elements.
template <typename T>
void gradient_sums(const T* __restrict__ x, const T* __restrict__ dy, int64_t n, double center, double& s1,
                   double& s2) {
  double a1[kLanes] = {}, a2[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const double g = static_cast<double>(dy[i + j]);
      a1[j] += g;
      a2[j] += g * (static_cast<double>(x[i + j]) - center);
    }
  }
  for (; i < n; ++i) {
    const double g = static_cast<double>(dy[i]);
    s1 += g;
    s2 += g * (static_cast<double>(x[i]) - center);
  }
  for (int j = 0; j < kLanes; ++j) {
    s1 += a1[j];
    s2 += a2[j];
  }
}

template <bool kGamma, bool kBeta, typename T>
void row_forward(const T* __restrict__ x, int64_t k, T mean, T rstd, const T* __restrict__ gamma,
                 const T* __restrict__ beta, T* __restrict__ y) {
  for (int64_t i = 0; i < k; ++i) {
    T v = (x[i] - mean) * rstd;
    if constexpr (kGamma) v *= gamma[i];
    if constexpr (kBeta) v += beta[i];
    y[i] = v;
  }
}

// The row path (layer norm, group norm with long groups) sums in the input's own type, over
// kRowLanes lanes, and adds the lanes into double every kRowBlock elements: in float32 that is eight
// lanes per instruction instead of four with a conversion each, and no partial sum in float ever has
// more than kRowBlock / kRowLanes = 8 terms, so its rounding (a few parts in 1e7) stays far below
// the golden tests' tolerance (2e-5), while the row total is still accumulated in double.
constexpr int kRowLanes = 32;
constexpr int64_t kRowBlock = 256;
// The per-channel parameter gradients sum over rows the same way: kRowsPerFlush rows in T, then double.
constexpr int64_t kRowsPerFlush = 16;

// s1 = sum(p - shift), s2 = sum((p - shift)^2) over k contiguous elements.
template <typename T>
void row_shifted_sums(const T* __restrict__ p, int64_t k, T shift, double& s1, double& s2) {
  s1 = 0;
  s2 = 0;
  // Whole steps of kRowLanes, in blocks of at most kRowBlock; a short group (group norm) is one block.
  const int64_t whole = k / kRowLanes * kRowLanes;
  int64_t i = 0;
  for (; i < whole; i += kRowBlock) {
    const int64_t end = std::min(i + kRowBlock, whole);
    T a1[kRowLanes] = {}, a2[kRowLanes] = {};
    for (int64_t j = i; j < end; j += kRowLanes) {
      for (int l = 0; l < kRowLanes; ++l) {
        const T d = p[j + l] - shift;
        a1[l] += d;
        a2[l] += d * d;
      }
    }
    for (int l = 0; l < kRowLanes; ++l) {
      s1 += static_cast<double>(a1[l]);
      s2 += static_cast<double>(a2[l]);
    }
  }
  for (i = whole; i < k; ++i) {
    const double d = static_cast<double>(p[i]) - static_cast<double>(shift);
    s1 += d;
    s2 += d * d;
  }
}

#if GRADLAB_NORM_AVX2
// float32 rows in AVX2, with the same lanes, blocks and sums as the portable loops (which the compiler
// vectorized across the wrong axis, with shuffles): four vectors of eight lanes per sum, so the
// additions of one step do not wait on each other.
double lane_total(__m256 a, __m256 b, __m256 c, __m256 d) {
  alignas(32) float f[kRowLanes];
  _mm256_store_ps(f, a);
  _mm256_store_ps(f + 8, b);
  _mm256_store_ps(f + 16, c);
  _mm256_store_ps(f + 24, d);
  double total = 0;
  for (float v : f) total += static_cast<double>(v);
  return total;
}

void row_shifted_sums(const float* __restrict__ p, int64_t k, float shift, double& s1, double& s2) {
  s1 = 0;
  s2 = 0;
  const __m256 s = _mm256_set1_ps(shift);
  // Whole steps of kRowLanes, in blocks of at most kRowBlock; a short group (group norm) is one block.
  const int64_t whole = k / kRowLanes * kRowLanes;
  int64_t i = 0;
  for (; i < whole; i += kRowBlock) {
    const int64_t end = std::min(i + kRowBlock, whole);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
    for (int64_t j = i; j < end; j += kRowLanes) {
      const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(p + j), s);
      const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 8), s);
      const __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 16), s);
      const __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(p + j + 24), s);
      a0 = _mm256_add_ps(a0, d0);
      a1 = _mm256_add_ps(a1, d1);
      a2 = _mm256_add_ps(a2, d2);
      a3 = _mm256_add_ps(a3, d3);
      q0 = _mm256_fmadd_ps(d0, d0, q0);
      q1 = _mm256_fmadd_ps(d1, d1, q1);
      q2 = _mm256_fmadd_ps(d2, d2, q2);
      q3 = _mm256_fmadd_ps(d3, d3, q3);
    }
    s1 += lane_total(a0, a1, a2, a3);
    s2 += lane_total(q0, q1, q2, q3);
  }
  for (i = whole; i < k; ++i) {
    const double d = static_cast<double>(p[i]) - static_cast<double>(shift);
    s1 += d;
    s2 += d * d;
  }
}

// One block of kRowLanes elements of row_gradient_sums (below), eight at a time.
template <bool kGamma>
struct GradientStep {
  __m256 m, r;
  const float* __restrict__ x;
  const float* __restrict__ dy;
  const float* __restrict__ gamma;
  float* __restrict__ dgamma;
  float* __restrict__ dbeta;
  void operator()(int64_t i, __m256& a1, __m256& a2) const {
    const __m256 g = _mm256_loadu_ps(dy + i);
    const __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), r);
    _mm256_storeu_ps(dgamma + i, _mm256_fmadd_ps(g, xhat, _mm256_loadu_ps(dgamma + i)));
    _mm256_storeu_ps(dbeta + i, _mm256_add_ps(g, _mm256_loadu_ps(dbeta + i)));
    const __m256 gd = kGamma ? _mm256_mul_ps(g, _mm256_loadu_ps(gamma + i)) : g;
    a1 = _mm256_add_ps(a1, gd);
    a2 = _mm256_fmadd_ps(gd, xhat, a2);
  }
};

template <bool kGamma>
void row_gradient_sums_avx2(const float* x, const float* dy, const float* gamma, int64_t k, float mean,
                            float rstd, float* dgamma, float* dbeta, double& s1, double& s2) {
  const GradientStep<kGamma> step{_mm256_set1_ps(mean), _mm256_set1_ps(rstd), x, dy, gamma, dgamma, dbeta};
  // Whole steps of kRowLanes, in blocks of at most kRowBlock; a short group (group norm) is one block.
  const int64_t whole = k / kRowLanes * kRowLanes;
  int64_t i = 0;
  for (; i < whole; i += kRowBlock) {
    const int64_t end = std::min(i + kRowBlock, whole);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, q0 = a0, q1 = a0, q2 = a0, q3 = a0;
    for (int64_t j = i; j < end; j += kRowLanes) {
      step(j, a0, q0);
      step(j + 8, a1, q1);
      step(j + 16, a2, q2);
      step(j + 24, a3, q3);
    }
    s1 += lane_total(a0, a1, a2, a3);
    s2 += lane_total(q0, q1, q2, q3);
  }
  for (i = whole; i < k; ++i) {
    const float xhat = (x[i] - mean) * rstd;
    dgamma[i] += dy[i] * xhat;
    dbeta[i] += dy[i];
    const float gd = kGamma ? dy[i] * gamma[i] : dy[i];
    s1 += static_cast<double>(gd);
    s2 += static_cast<double>(gd * xhat);
  }
}
#endif

template <typename T>
void moments_rows(const T* x, const NormLayout& l, double* mean, double* var) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(k);
  for (int64_t n = 0; n < l.n; ++n) {
    for (int64_t g = 0; g < l.groups; ++g) {
      const T* p = x + n * l.c + g * k;
      // Shifting by a sample of the row keeps the one-pass variance accurate when the mean is large.
      double s1, s2;
      row_shifted_sums(p, k, p[0], s1, s2);
      const double m = s1 / count;
      mean[n * l.groups + g] = static_cast<double>(p[0]) + m;
      var[n * l.groups + g] = std::max(0.0, s2 / count - m * m);
    }
  }
}

template <typename T>
void moments_channels(const T* x, const NormLayout& l, double* mean, double* var) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(l.group_count());
  double* s1 = scratch<double>(0, l.c);
  double* s2 = scratch<double>(1, l.c);
  double* shift = scratch<double>(2, l.c);
  for (int64_t n = 0; n < l.n; ++n) {
    const T* xn = x + n * l.a * l.c * l.b;
    for (int64_t g = 0; g < l.groups; ++g) {
      const double first = static_cast<double>(xn[g * k * l.b]);
      for (int64_t c = g * k; c < (g + 1) * k; ++c) shift[c] = first;
    }
    std::fill(s1, s1 + l.c, 0.0);
    std::fill(s2, s2 + l.c, 0.0);
    if (l.b == 1) {
      for (int64_t a = 0; a < l.a; ++a) {
        const T* __restrict__ row = xn + a * l.c;
        for (int64_t c = 0; c < l.c; ++c) {
          const double d = static_cast<double>(row[c]) - shift[c];
          s1[c] += d;
          s2[c] += d * d;
        }
      }
    } else {
      for (int64_t a = 0; a < l.a; ++a) {
        for (int64_t c = 0; c < l.c; ++c) shifted_sums(xn + (a * l.c + c) * l.b, l.b, shift[c], s1[c], s2[c]);
      }
    }
    for (int64_t g = 0; g < l.groups; ++g) {
      double t1 = 0, t2 = 0;
      for (int64_t c = g * k; c < (g + 1) * k; ++c) {
        t1 += s1[c];
        t2 += s2[c];
      }
      const double m = t1 / count;
      mean[n * l.groups + g] = shift[g * k] + m;
      var[n * l.groups + g] = std::max(0.0, t2 / count - m * m);
    }
  }
}

// One row of the backward pass: with xhat = (x - mean) rstd and gd = gamma dy, adds dy xhat and dy to
// the row accumulators of dgamma and dbeta (in T, flushed by the caller) and returns s1 = sum(gd),
// s2 = sum(gd xhat), each summed as in row_shifted_sums.
template <bool kGamma, typename T>
void row_gradient_sums(const T* __restrict__ x, const T* __restrict__ dy, const T* __restrict__ gamma,
                       int64_t k, T mean, T rstd, T* __restrict__ dgamma, T* __restrict__ dbeta, double& s1,
                       double& s2) {
  s1 = 0;
  s2 = 0;
#if GRADLAB_NORM_AVX2
  if constexpr (std::is_same_v<T, float>) {
    row_gradient_sums_avx2<kGamma>(x, dy, gamma, k, mean, rstd, dgamma, dbeta, s1, s2);
    return;
  }
#endif
  const auto visit = [&](int64_t i, T& a1, T& a2) {
    const T xhat = (x[i] - mean) * rstd;
    dgamma[i] += dy[i] * xhat;
    dbeta[i] += dy[i];
    T gd = dy[i];
    if constexpr (kGamma) gd *= gamma[i];
    a1 += gd;
    a2 += gd * xhat;
  };
  // Whole steps of kRowLanes, in blocks of at most kRowBlock; a short group (group norm) is one block.
  const int64_t whole = k / kRowLanes * kRowLanes;
  int64_t i = 0;
  for (; i < whole; i += kRowBlock) {
    const int64_t end = std::min(i + kRowBlock, whole);
    T a1[kRowLanes] = {}, a2[kRowLanes] = {};
    for (int64_t j = i; j < end; j += kRowLanes) {
      for (int l = 0; l < kRowLanes; ++l) visit(j + l, a1[l], a2[l]);
    }
    for (int l = 0; l < kRowLanes; ++l) {
      s1 += static_cast<double>(a1[l]);
      s2 += static_cast<double>(a2[l]);
    }
  }
  for (i = whole; i < k; ++i) {
    T a1 = 0, a2 = 0;
    visit(i, a1, a2);
    s1 += static_cast<double>(a1);
    s2 += static_cast<double>(a2);
  }
}

template <bool kGamma, typename T>
void backward_rows(const T* x, const T* dy, const NormLayout& l, const double* mean, const double* rstd,
                   const T* gamma, bool batch_statistics, T* dx, double* dgamma, double* dbeta) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(k);
  // Row accumulators of dgamma and dbeta, per channel, added into the double totals every
  // kRowsPerFlush rows (see kRowBlock).
  T* row_dgamma = scratch<T>(5, 2 * l.c);
  T* row_dbeta = row_dgamma + l.c;
  std::fill(row_dgamma, row_dgamma + 2 * l.c, T(0));
  const auto flush = [&] {
    for (int64_t c = 0; c < l.c; ++c) {
      dgamma[c] += static_cast<double>(row_dgamma[c]);
      dbeta[c] += static_cast<double>(row_dbeta[c]);
    }
    std::fill(row_dgamma, row_dgamma + 2 * l.c, T(0));
  };
  for (int64_t n = 0; n < l.n; ++n) {
    for (int64_t g = 0; g < l.groups; ++g) {
      const int64_t off = n * l.c + g * k;
      const T* __restrict__ xp = x + off;
      const T* __restrict__ gp = dy + off;
      const T* __restrict__ wp = kGamma ? gamma + g * k : nullptr;
      const T m = static_cast<T>(mean[n * l.groups + g]);
      const T r = static_cast<T>(rstd[n * l.groups + g]);
      double s1, s2;
      row_gradient_sums<kGamma>(xp, gp, wp, k, m, r, row_dgamma + g * k, row_dbeta + g * k, s1, s2);
      if (!dx) continue;
      T* __restrict__ out = dx + off;
      const T m1 = batch_statistics ? static_cast<T>(s1 / count) : T(0);
      const T m2 = batch_statistics ? static_cast<T>(s2 / count) : T(0);
      for (int64_t t = 0; t < k; ++t) {
        T gd = gp[t];
        if constexpr (kGamma) gd *= wp[t];
        out[t] = r * (gd - m1 - (xp[t] - m) * r * m2);
      }
    }
    if ((n + 1) % kRowsPerFlush == 0 || n + 1 == l.n) flush();
  }
}

template <typename T>
void backward_channels(const T* x, const T* dy, const NormLayout& l, const double* mean, const double* rstd,
                       const T* gamma, bool batch_statistics, T* dx, double* dgamma, double* dbeta) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(l.group_count());
  double* sdy = scratch<double>(0, l.c);
  double* sdyx = scratch<double>(1, l.c);
  double* center = scratch<double>(2, l.c);
  T* coef_dy = scratch<T>(3, l.c);
  T* coef_x = scratch<T>(4, l.c);
  T* coef_1 = scratch<T>(5, 2 * l.c);
  T* center_t = coef_1 + l.c;
  const int64_t per_n = l.a * l.c * l.b;
  for (int64_t n = 0; n < l.n; ++n) {
    const T* xn = x + n * per_n;
    const T* gn = dy + n * per_n;
    for (int64_t g = 0; g < l.groups; ++g) {
      for (int64_t c = g * k; c < (g + 1) * k; ++c) center[c] = mean[n * l.groups + g];
    }
    std::fill(sdy, sdy + l.c, 0.0);
    std::fill(sdyx, sdyx + l.c, 0.0);
    if (l.b == 1) {
      for (int64_t a = 0; a < l.a; ++a) {
        const T* __restrict__ xr = xn + a * l.c;
        const T* __restrict__ gr = gn + a * l.c;
        for (int64_t c = 0; c < l.c; ++c) {
          const double gv = static_cast<double>(gr[c]);
          sdy[c] += gv;
          sdyx[c] += gv * (static_cast<double>(xr[c]) - center[c]);
        }
      }
    } else {
      for (int64_t a = 0; a < l.a; ++a) {
        for (int64_t c = 0; c < l.c; ++c) {
          const int64_t off = (a * l.c + c) * l.b;
          gradient_sums(xn + off, gn + off, l.b, center[c], sdy[c], sdyx[c]);
        }
      }
    }
    for (int64_t g = 0; g < l.groups; ++g) {
      const double r = rstd[n * l.groups + g];
      for (int64_t c = g * k; c < (g + 1) * k; ++c) {
        dgamma[c] += sdyx[c] * r;
        dbeta[c] += sdy[c];
      }
    }
    if (!dx) continue;
    // dx = gamma r dy - r^2 m2 (x - mean) - r m1, with m1 = mean_g(gamma dy), m2 = mean_g(gamma dy xhat).
    for (int64_t g = 0; g < l.groups; ++g) {
      const double r = rstd[n * l.groups + g];
      double m1 = 0, m2 = 0;
      for (int64_t c = g * k; c < (g + 1) * k; ++c) {
        const double w = gamma ? static_cast<double>(gamma[c]) : 1.0;
        m1 += w * sdy[c];
        m2 += w * sdyx[c] * r;
      }
      m1 /= count;
      m2 /= count;
      for (int64_t c = g * k; c < (g + 1) * k; ++c) {
        const double w = gamma ? static_cast<double>(gamma[c]) : 1.0;
        coef_dy[c] = static_cast<T>(w * r);
        coef_x[c] = batch_statistics ? static_cast<T>(-r * r * m2) : T(0);
        coef_1[c] = batch_statistics ? static_cast<T>(-r * m1) : T(0);
        center_t[c] = static_cast<T>(center[c]);
      }
    }
    T* dxn = dx + n * per_n;
    if (l.b == 1) {
      for (int64_t a = 0; a < l.a; ++a) {
        const T* __restrict__ xr = xn + a * l.c;
        const T* __restrict__ gr = gn + a * l.c;
        T* __restrict__ out = dxn + a * l.c;
        if (batch_statistics) {
          for (int64_t c = 0; c < l.c; ++c) out[c] = coef_dy[c] * gr[c] + coef_x[c] * (xr[c] - center_t[c]) + coef_1[c];
        } else {
          for (int64_t c = 0; c < l.c; ++c) out[c] = coef_dy[c] * gr[c];
        }
      }
    } else {
      for (int64_t a = 0; a < l.a; ++a) {
        for (int64_t c = 0; c < l.c; ++c) {
          const int64_t off = (a * l.c + c) * l.b;
          const T* __restrict__ xr = xn + off;
          const T* __restrict__ gr = gn + off;
          T* __restrict__ out = dxn + off;
          const T cd = coef_dy[c], cx = coef_x[c], c1 = coef_1[c], ct = center_t[c];
          for (int64_t i = 0; i < l.b; ++i) out[i] = cd * gr[i] + cx * (xr[i] - ct) + c1;
        }
      }
    }
  }
}

}  // namespace

template <typename T>
void norm_moments(const T* x, const NormLayout& l, double* mean, double* var) {
  const int64_t stats = l.n * l.groups;
  if (l.group_count() == 0) {
    std::fill(mean, mean + stats, 0.0);
    std::fill(var, var + stats, 0.0);
    return;
  }
  if (row_path(l)) {
    moments_rows(x, l, mean, var);
  } else {
    moments_channels(x, l, mean, var);
  }
}

template <typename T>
void norm_forward(const T* x, const NormLayout& l, const double* mean, const double* rstd, const T* gamma,
                  const T* beta, T* y) {
  const int64_t k = l.c / l.groups;
  if (row_path(l)) {
    for (int64_t n = 0; n < l.n; ++n) {
      for (int64_t g = 0; g < l.groups; ++g) {
        const int64_t off = n * l.c + g * k;
        const T m = static_cast<T>(mean[n * l.groups + g]);
        const T r = static_cast<T>(rstd[n * l.groups + g]);
        const T* gp = gamma ? gamma + g * k : nullptr;
        const T* bp = beta ? beta + g * k : nullptr;
        if (gp && bp) row_forward<true, true>(x + off, k, m, r, gp, bp, y + off);
        else if (gp) row_forward<true, false>(x + off, k, m, r, gp, bp, y + off);
        else if (bp) row_forward<false, true>(x + off, k, m, r, gp, bp, y + off);
        else row_forward<false, false>(x + off, k, m, r, gp, bp, y + off);
      }
    }
    return;
  }
  T* scale = scratch<T>(3, l.c);
  T* shift = scratch<T>(4, l.c);
  T* center = scratch<T>(5, l.c);
  const int64_t per_n = l.a * l.c * l.b;
  for (int64_t n = 0; n < l.n; ++n) {
    for (int64_t g = 0; g < l.groups; ++g) {
      const double r = rstd[n * l.groups + g];
      const T m = static_cast<T>(mean[n * l.groups + g]);
      for (int64_t c = g * k; c < (g + 1) * k; ++c) {
        scale[c] = static_cast<T>((gamma ? static_cast<double>(gamma[c]) : 1.0) * r);
        shift[c] = beta ? beta[c] : T(0);
        center[c] = m;
      }
    }
    const T* xn = x + n * per_n;
    T* yn = y + n * per_n;
    if (l.b == 1) {
      for (int64_t a = 0; a < l.a; ++a) {
        const T* __restrict__ xr = xn + a * l.c;
        T* __restrict__ out = yn + a * l.c;
        for (int64_t c = 0; c < l.c; ++c) out[c] = (xr[c] - center[c]) * scale[c] + shift[c];
      }
    } else {
      for (int64_t a = 0; a < l.a; ++a) {
        for (int64_t c = 0; c < l.c; ++c) {
          const int64_t off = (a * l.c + c) * l.b;
          const T* __restrict__ xr = xn + off;
          T* __restrict__ out = yn + off;
          const T m = center[c], s = scale[c], t = shift[c];
          for (int64_t i = 0; i < l.b; ++i) out[i] = (xr[i] - m) * s + t;
        }
      }
    }
  }
}

template <typename T>
void norm_backward(const T* x, const T* dy, const NormLayout& l, const double* mean, const double* rstd,
                   const T* gamma, bool batch_statistics, T* dx, T* dgamma, T* dbeta) {
  // Parameter gradients sum over the whole batch, so they accumulate in double and are rounded once.
  double* dg = scratch<double>(6, 2 * l.c);
  std::fill(dg, dg + 2 * l.c, 0.0);
  double* db = dg + l.c;
  if (l.group_count() > 0 && l.n > 0) {
    if (row_path(l)) {
      if (gamma) {
        backward_rows<true>(x, dy, l, mean, rstd, gamma, batch_statistics, dx, dg, db);
      } else {
        backward_rows<false>(x, dy, l, mean, rstd, gamma, batch_statistics, dx, dg, db);
      }
    } else {
      backward_channels(x, dy, l, mean, rstd, gamma, batch_statistics, dx, dg, db);
    }
  }
  if (dgamma) {
    for (int64_t c = 0; c < l.c; ++c) dgamma[c] = static_cast<T>(dg[c]);
  }
  if (dbeta) {
    for (int64_t c = 0; c < l.c; ++c) dbeta[c] = static_cast<T>(db[c]);
  }
}

template <typename T>
void channel_affine(const T* x, int64_t outer, int64_t channels, int64_t inner, const double* center,
                    const double* scale, const double* offset, T* y) {
  T* m = scratch<T>(3, channels);
  T* s = scratch<T>(4, channels);
  T* t = scratch<T>(5, channels);
  for (int64_t c = 0; c < channels; ++c) {
    m[c] = static_cast<T>(center[c]);
    s[c] = static_cast<T>(scale[c]);
    t[c] = static_cast<T>(offset[c]);
  }
  for (int64_t o = 0; o < outer; ++o) {
    if (inner == 1) {
      const T* __restrict__ xr = x + o * channels;
      T* __restrict__ out = y + o * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = (xr[c] - m[c]) * s[c] + t[c];
      continue;
    }
    for (int64_t c = 0; c < channels; ++c) {
      const T* __restrict__ xr = x + (o * channels + c) * inner;
      T* __restrict__ out = y + (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = (xr[i] - m[c]) * s[c] + t[c];
    }
  }
}

template <typename T>
void channel_scale(const T* dy, int64_t outer, int64_t channels, int64_t inner, const double* scale, T* dx) {
  T* s = scratch<T>(3, channels);
  for (int64_t c = 0; c < channels; ++c) s[c] = static_cast<T>(scale[c]);
  for (int64_t o = 0; o < outer; ++o) {
    if (inner == 1) {
      // Channels last (the common case): one vectorizable pass over the row, not a loop per element.
      const T* __restrict__ gr = dy + o * channels;
      T* __restrict__ out = dx + o * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = gr[c] * s[c];
      continue;
    }
    for (int64_t c = 0; c < channels; ++c) {
      const T* __restrict__ gr = dy + (o * channels + c) * inner;
      T* __restrict__ out = dx + (o * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i) out[i] = gr[i] * s[c];
    }
  }
}

#define GRADLAB_NORM_INSTANTIATE(T)                                                                              \
  template void norm_moments<T>(const T*, const NormLayout&, double*, double*);                                 \
  template void norm_forward<T>(const T*, const NormLayout&, const double*, const double*, const T*, const T*, \
                                T*);                                                                            \
  template void norm_backward<T>(const T*, const T*, const NormLayout&, const double*, const double*, const T*, \
                                 bool, T*, T*, T*);                                                             \
  template void channel_affine<T>(const T*, int64_t, int64_t, int64_t, const double*, const double*,            \
                                  const double*, T*);                                                           \
  template void channel_scale<T>(const T*, int64_t, int64_t, int64_t, const double*, T*);

GRADLAB_NORM_INSTANTIATE(float)
GRADLAB_NORM_INSTANTIATE(double)
#undef GRADLAB_NORM_INSTANTIATE

}  // namespace gradlab::kernels
