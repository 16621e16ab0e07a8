#include "kernels/normalization.h"

#include <algorithm>
#include <cmath>
#include <vector>

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

template <typename T>
void moments_rows(const T* x, const NormLayout& l, double* mean, double* var) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(k);
  for (int64_t n = 0; n < l.n; ++n) {
    for (int64_t g = 0; g < l.groups; ++g) {
      const T* p = x + n * l.c + g * k;
      const double shift = static_cast<double>(p[0]);
      double s1 = 0, s2 = 0;
      shifted_sums(p, k, shift, s1, s2);
      const double m = s1 / count;
      mean[n * l.groups + g] = shift + m;
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

// dgamma[i] += dy * xhat, dbeta[i] += dy along one row (kept apart from the sums so both loops vectorize).
template <typename T>
void row_parameter_gradients(const T* __restrict__ x, const T* __restrict__ dy, int64_t k, T mean, T rstd,
                             double* __restrict__ dgamma, double* __restrict__ dbeta) {
  for (int64_t i = 0; i < k; ++i) {
    dgamma[i] += static_cast<double>(dy[i] * ((x[i] - mean) * rstd));
    dbeta[i] += static_cast<double>(dy[i]);
  }
}

// s1 += sum(gamma dy), s2 += sum(gamma dy xhat) along one row.
template <bool kGamma, typename T>
void row_gradient_sums(const T* __restrict__ x, const T* __restrict__ dy, const T* __restrict__ gamma, int64_t k,
                       T mean, T rstd, double& s1, double& s2) {
  double a1[kLanes] = {}, a2[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= k; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      T gd = dy[i + j];
      if constexpr (kGamma) gd *= gamma[i + j];
      a1[j] += static_cast<double>(gd);
      a2[j] += static_cast<double>(gd * ((x[i + j] - mean) * rstd));
    }
  }
  for (; i < k; ++i) {
    T gd = dy[i];
    if constexpr (kGamma) gd *= gamma[i];
    s1 += static_cast<double>(gd);
    s2 += static_cast<double>(gd * ((x[i] - mean) * rstd));
  }
  for (int j = 0; j < kLanes; ++j) {
    s1 += a1[j];
    s2 += a2[j];
  }
}

template <bool kGamma, typename T>
void backward_rows(const T* x, const T* dy, const NormLayout& l, const double* mean, const double* rstd,
                   const T* gamma, bool batch_statistics, T* dx, double* dgamma, double* dbeta) {
  const int64_t k = l.c / l.groups;
  const double count = static_cast<double>(k);
  for (int64_t n = 0; n < l.n; ++n) {
    for (int64_t g = 0; g < l.groups; ++g) {
      const int64_t off = n * l.c + g * k;
      const T* __restrict__ xp = x + off;
      const T* __restrict__ gp = dy + off;
      const T* __restrict__ wp = kGamma ? gamma + g * k : nullptr;
      double* __restrict__ dgp = dgamma + g * k;
      double* __restrict__ dbp = dbeta + g * k;
      const T m = static_cast<T>(mean[n * l.groups + g]);
      const T r = static_cast<T>(rstd[n * l.groups + g]);
      row_parameter_gradients(xp, gp, k, m, r, dgp, dbp);
      double s1 = 0, s2 = 0;
      row_gradient_sums<kGamma>(xp, gp, wp, k, m, r, s1, s2);
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
