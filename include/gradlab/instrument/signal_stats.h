#pragma once
/// The forward signal of a layer in the terms of mean-field theory (Poole et al. 2016, "Exponential
/// expressivity in deep neural networks through transient chaos", eqs. 3 and 5; Schoenholz et al.
/// 2017, "Deep Information Propagation"): the length q of its pre-activations and the correlation c
/// between the pre-activations of two inputs.
///
///   SignalStats s = signal_stats(h);   // h [N, units]: q = mean(h^2), c between examples
///
/// Deep networks in the ordered phase map every input to one point (c -> 1 with depth), which is
/// also why a deep sigmoid stack cannot classify; in the chaotic phase nearby inputs decorrelate.

#include <optional>

#include "gradlab/nn/layer.h"
#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// q and c of one tensor h whose first axis is the examples (h_a is example a, flattened).
struct SignalStats {
  /// q = mean of h^2 over every element: the theory's q^l (Poole et al. 2016, eq. 3) estimated over
  /// the units and the examples.
  double mean_square = 0;
  /// c = mean over pairs a != b of <h_a, h_b> / mean over a of <h_a, h_a>: the theory's
  /// q^l_12 / q^l (Poole et al. 2016, eq. 5) averaged over every pair of examples of the batch.
  /// Unset with fewer than 2 examples or when q is 0 or not finite.
  std::optional<double> correlation;
};

/// q and c of `h` (rank >= 1), accumulated in double: <h_a, h_b> summed over pairs as
/// (|sum_a h_a|^2 - sum_a |h_a|^2) / 2, so the cost is one pass over h.
SignalStats signal_stats(const Tensor& h);

/// The pre-activation x @ kernel + bias of a call of a Dense layer (nn/dense.h) on `input`,
/// computed off the tape (nothing flows back through it); nullopt for every other layer and for
/// a Dense that is not built. Its output itself when the layer's activation is linear.
std::optional<Tensor> dense_pre_activation(const LayerImpl& layer, const Tensor& input, const Tensor& output);

}  // namespace gradlab
