#pragma once
/// How much a layer's output differs between the examples of a batch: a forward statistic across
/// examples, where ForwardStats (layer_stats.h) pools every element.
///
///   double s = std_across_examples(dense(x));   // 0 when every example gives the same output
///
/// Deep stacks in the ordered phase map every input to nearly the same output: the correlation
/// between two examples' activations goes to 1 with depth (Poole et al. 2016, "Exponential
/// expressivity in deep neural networks through transient chaos"; Schoenholz et al. 2017, "Deep
/// Information Propagation"), so this spread falls toward 0 while each unit's own value need not.

#include "gradlab/tensor/tensor.h"

namespace gradlab {

/// Mean over positions p (every index of the axes after the first: units, and each step of a
/// sequence) of the population standard deviation over the examples (axis 0):
///   (1 / P) sum_p sqrt((1 / N) sum_i (y[i, p] - mean_i y[i, p])^2), accumulated in double.
/// 0 for fewer than 2 examples or a rank-0 tensor.
double std_across_examples(const Tensor& output);

}  // namespace gradlab
