#pragma once
// The differentiable ops behind the normalization layers (nn/normalization/): batch, layer, group and
// instance normalization are one op, a fused kernel forward and one tape node whose backward rule uses
// the closed-form gradients (kernels/normalize.h); input normalization is a per-channel affine map.
// Private to the library: the plans are the kernels' [n, a, c, b] views, which the layers compute.
#include <cstdint>
#include <vector>

#include "gradlab/tensor/tensor.h"
#include "kernels/normalize.h"

namespace gradlab::detail {

/// Per-(n, group) statistics of one normalization call, in double.
struct NormStatistics {
  std::vector<double> mean;
  std::vector<double> variance;
};

/// How x is normalized: its [n, a, c, b] view after an optional permutation of its axes (layer
/// normalization over axes that are not the trailing ones moves them last).
struct NormPlan {
  kernels::NormLayout layout;
  /// Axis order of the permuted copy; empty when x is used as it is.
  std::vector<int64_t> permutation;
};

/// y = (x - mean) / sqrt(var + epsilon) * gamma + beta with mean and variance over each (n, group) of x.
/// gamma and beta (shaped to hold layout.c elements) may be undefined. Records one node named `op` with
/// the defined ones of x, gamma, beta as inputs. The statistics are written to `statistics` when given.
Tensor normalize_with_batch_statistics(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       const NormPlan& plan, double epsilon, NormStatistics* statistics = nullptr);

/// The same with fixed per-channel statistics (batch normalization in inference): plan.layout has
/// n == 1 and groups == c, and mean and variance hold c values each.
Tensor normalize_with_fixed_statistics(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                       const NormPlan& plan, const std::vector<double>& mean,
                                       const std::vector<double>& variance, double epsilon);

/// y = (x - center[c]) * scale[c] + offset[c] on x viewed as [outer, channels, inner], one node `op`.
Tensor channel_affine(const char* op, const Tensor& x, int64_t outer, int64_t channels, int64_t inner,
                      std::vector<double> center, std::vector<double> scale, std::vector<double> offset);

/// x with its axes reordered to `permutation` (a contiguous copy; not recorded).
Tensor permuted(const Tensor& x, const std::vector<int64_t>& permutation);
/// The permutation that undoes `permutation`.
std::vector<int64_t> inverse_permutation(const std::vector<int64_t>& permutation);

}  // namespace gradlab::detail
