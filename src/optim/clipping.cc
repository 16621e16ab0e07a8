#include "gradlab/optim/clipping.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gradlab/error.h"
#include "kernels/elementwise.h"
#include "kernels/optim.h"

namespace gradlab {
namespace {

void require_positive(double c, const char* function, const char* what) {
  if (!(c > 0) || !std::isfinite(c)) fail("{}: {} must be a positive number, got {}", function, what, c);
}

double sum_of_squares(const Tensor& t, bool& finite) {
  return dispatch(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    return kernels::sum_of_squares(t.data<T>(), t.numel(), finite);
  });
}

// The comparisons let NaN through unchanged, as tf.clip_by_value does.
Tensor scale_and_clamp(const Tensor& g, double scale, double bound) {
  Tensor out = Tensor::empty(g.shape(), g.dtype());
  dispatch(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(scale);
    const T c = static_cast<T>(bound);
    kernels::map(g.data<T>(), out.data<T>(), g.numel(), [&](T v) {
      const T x = v * s;
      return x > c ? c : (x < -c ? -c : x);
    });
  });
  return out;
}

}  // namespace

double global_norm(const std::vector<Tensor>& tensors) {
  bool finite = true;
  double total = 0;
  for (const Tensor& t : tensors) {
    if (t.defined()) total += sum_of_squares(t, finite);
  }
  return std::sqrt(total);
}

bool all_finite(const std::vector<Tensor>& tensors) {
  bool finite = true;
  for (const Tensor& t : tensors) {
    if (t.defined()) sum_of_squares(t, finite);
  }
  return finite;
}

Tensor clip_by_norm(const Tensor& g, double clip_norm) {
  require_positive(clip_norm, "clip_by_norm", "clip_norm");
  if (!g.defined()) fail("clip_by_norm: the gradient is an undefined tensor");
  bool finite = true;
  const double norm = std::sqrt(sum_of_squares(g, finite));
  // Keras's g * c / max(||g||, c): an infinite norm zeroes the finite elements and makes the
  // infinite ones NaN; a NaN norm makes everything NaN.
  const double scale = clip_norm / std::max(norm, clip_norm);
  return scale_and_clamp(g, scale, std::numeric_limits<double>::infinity());
}

std::vector<Tensor> clip_by_global_norm(const std::vector<Tensor>& grads, double clip_norm,
                                        double* norm_out) {
  require_positive(clip_norm, "clip_by_global_norm", "clip_norm");
  const double norm = global_norm(grads);
  if (norm_out) *norm_out = norm;
  // tf.clip_by_global_norm's scale: c * min(1/N, 1/c), plus (N - N) so that a non-finite N gives NaN.
  const double scale = clip_norm * std::min(1.0 / norm, 1.0 / clip_norm) + (norm - norm);
  std::vector<Tensor> out;
  out.reserve(grads.size());
  for (const Tensor& g : grads) {
    out.push_back(g.defined() ? scale_and_clamp(g, scale, std::numeric_limits<double>::infinity())
                              : Tensor());
  }
  return out;
}

Tensor clip_by_value(const Tensor& g, double clip_value) {
  require_positive(clip_value, "clip_by_value", "clip_value");
  if (!g.defined()) fail("clip_by_value: the gradient is an undefined tensor");
  return scale_and_clamp(g, 1.0, clip_value);
}

}  // namespace gradlab
