#pragma once
// Inverted-dropout mask: uniform draws turned in place into 0 (dropped) or 1 / (1 - rate) (kept).
#include <cstdint>

namespace gradlab::kernels {

/// mask[i] = mask[i] >= rate ? 1 / (1 - rate) : 0, for mask holding uniform draws in [0, 1)
/// (tf.nn.dropout keeps an element when its draw is at least the rate).
template <typename T>
void dropout_mask(T* mask, int64_t n, double rate);

}  // namespace gradlab::kernels
