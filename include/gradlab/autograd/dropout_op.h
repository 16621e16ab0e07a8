#pragma once
/// Inverted dropout as one differentiable op (Srivastava et al. 2014), the op behind the Dropout layer
/// (nn/dropout.h), which decides when to call it and owns the generator.
///
///   Rng rng(7);
///   Tensor y = dropout(x, 0.5, rng);   // about half the elements 0, the rest doubled
///
/// The mask takes one uniform draw per element from `rng` (advancing it by the documented amount, see
/// rng.h) and keeps an element when its draw is at least `rate`.

#include <string_view>

#include "gradlab/tensor/batch_shard.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// y = x * mask with mask drawn from `rng` (0 with probability rate, else 1 / (1 - rate)); the
/// gradient is g * mask. rate in [0, 1), else Error. With a `shard`, x holds those rows of a bigger
/// batch, and its mask is those rows of the mask that batch would draw (the generator advances as for
/// the whole batch); Error if x's rows do not fit in the shard's batch.
Tensor dropout(const Tensor& x, double rate, Rng& rng, const BatchShard& shard = {});

/// Throws Error "<who>: rate must be in [0, 1), got <rate>" unless 0 <= rate < 1 (NaN fails).
void check_dropout_rate(double rate, std::string_view who);

}  // namespace gradlab
