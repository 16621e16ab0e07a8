// The input-output Jacobian through the tape, and its singular values.
#include "gradlab/instrument/jacobian_spectrum.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"
#include "kernels/singular_values.h"

namespace gradlab {

Tensor input_output_jacobian(GradientTape& tape, const Tensor& output, const Tensor& input) {
  if (!tape.persistent()) fail("input_output_jacobian: the tape must be persistent (one backward pass per output element)");
  if (!tape.recording()) fail("input_output_jacobian: the tape must be recording (each row records the output element it picks)");
  if (!output.defined() || !input.defined() || output.numel() == 0 || input.numel() == 0) {
    fail("input_output_jacobian: output and input must be non-empty tensors");
  }
  const int64_t m = output.numel(), n = input.numel();
  Tensor jacobian = zeros({m, n}, DType::float64);
  double* rows = jacobian.data<double>();
  for (int64_t i = 0; i < m; ++i) {
    // output_i as sum(output * e_i): a recorded op, so the tape's backward rules carry e_i back to the
    // input. A fresh e_i each row: the tape keeps what each node's backward needs.
    std::vector<double> values(static_cast<std::size_t>(m), 0.0);
    values[static_cast<std::size_t>(i)] = 1.0;
    const Tensor e = from_values(output.shape(), values, output.dtype());
    const Tensor grad = tape.gradient(sum(mul(output, e)), input, UnconnectedGradients::zero);
    const std::vector<double> g = grad.to_vector();
    for (int64_t j = 0; j < n; ++j) rows[i * n + j] = g[static_cast<std::size_t>(j)];
  }
  return jacobian;
}

JacobianSpectrum jacobian_spectrum(const Tensor& jacobian) {
  if (!jacobian.defined() || jacobian.rank() != 2 || jacobian.dtype() != DType::float64 || jacobian.numel() == 0) {
    fail("jacobian_spectrum: expected a non-empty 2-D float64 matrix, got {}",
         jacobian.defined() ? jacobian.shape().to_string() : std::string("an undefined tensor"));
  }
  JacobianSpectrum s{.rows = jacobian.dim(0), .cols = jacobian.dim(1)};
  const Tensor dense = jacobian.clone();
  s.singular_values = kernels::singular_values(dense.data<double>(), s.rows, s.cols);
  const double count = static_cast<double>(s.singular_values.size());
  double sum = 0;
  for (const double v : s.singular_values) sum += v * v;
  s.mean_squared = sum / count;
  double deviations = 0;
  for (const double v : s.singular_values) deviations += (v * v - s.mean_squared) * (v * v - s.mean_squared);
  s.variance_squared = deviations / count;
  s.largest = s.singular_values.front();
  s.smallest = s.singular_values.back();
  s.condition_number = s.largest == 0 ? std::nan("") : (s.smallest == 0 ? std::numeric_limits<double>::infinity() : s.largest / s.smallest);
  return s;
}

}  // namespace gradlab
