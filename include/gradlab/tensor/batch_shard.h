#pragma once
/// BatchShard: which rows of a batch a data-parallel replica holds, so that a layer drawing random
/// values per example (Dropout) draws, for its rows, exactly what one process holding the whole
/// batch would (see train/replicas.h).
///
///   BatchShard shard{.first_row = 64, .total_rows = 128};   // rows 64.. of a 128-row batch

#include <cstdint>

namespace gradlab {

/// Rows [first_row, first_row + rows of the tensor) of a batch of total_rows; total_rows 0 means
/// the tensor is the whole batch.
struct BatchShard {
  int64_t first_row = 0;
  int64_t total_rows = 0;
};

}  // namespace gradlab
