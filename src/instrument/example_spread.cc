#include "gradlab/instrument/example_spread.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gradlab {

double std_across_examples(const Tensor& output) {
  if (output.rank() == 0) return 0;
  const int64_t n = output.dim(0), positions = output.numel() / std::max<int64_t>(n, 1);
  if (n < 2 || positions == 0) return 0;
  const std::vector<double> y = output.to_vector();
  double total = 0;
  for (int64_t p = 0; p < positions; ++p) {
    double m = 0, s = 0;
    for (int64_t i = 0; i < n; ++i) m += y[static_cast<std::size_t>(i * positions + p)];
    m /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) s += std::pow(y[static_cast<std::size_t>(i * positions + p)] - m, 2);
    total += std::sqrt(s / static_cast<double>(n));
  }
  return total / static_cast<double>(positions);
}

}  // namespace gradlab
