#include "gradlab/instrument/signal_stats.h"

#include <cmath>
#include <vector>

#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/shape_ops.h"
#include "gradlab/nn/dense.h"

namespace gradlab {

SignalStats signal_stats(const Tensor& h) {
  SignalStats s;
  if (h.rank() == 0 || h.numel() == 0) return s;
  const int64_t n = h.dim(0), width = h.numel() / n;
  const std::vector<double> y = h.to_vector();
  std::vector<double> column_sum(static_cast<std::size_t>(width), 0.0);
  double squares = 0;
  for (int64_t a = 0; a < n; ++a) {
    for (int64_t j = 0; j < width; ++j) {
      const double v = y[static_cast<std::size_t>(a * width + j)];
      squares += v * v;
      column_sum[static_cast<std::size_t>(j)] += v;
    }
  }
  s.mean_square = squares / static_cast<double>(h.numel());
  if (n < 2 || !(squares > 0) || !std::isfinite(squares)) return s;
  double sum_norm = 0;
  for (double v : column_sum) sum_norm += v * v;
  // (sum over a != b of <h_a, h_b>) / (n (n - 1)) over (sum over a of <h_a, h_a>) / n.
  s.correlation = (sum_norm - squares) / (static_cast<double>(n - 1) * squares);
  return s;
}

std::optional<Tensor> dense_pre_activation(const LayerImpl& layer, const Tensor& input, const Tensor& output) {
  const auto* dense = dynamic_cast<const DenseImpl*>(&layer);
  if (dense == nullptr || !dense->kernel().defined()) return std::nullopt;
  if (dense->options().activation == "linear") return output;
  const Tensor& kernel = dense->kernel().value();
  Tensor x = stop_gradient(input);
  if (x.rank() != 2) x = reshape(x, {-1, kernel.dim(0)});
  Tensor h = matmul(x, stop_gradient(kernel));
  if (dense->bias().defined()) h = h + stop_gradient(dense->bias().value());
  return h;
}

}  // namespace gradlab
