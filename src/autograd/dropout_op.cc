#include "gradlab/autograd/dropout_op.h"

#include <span>

#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/record.h"
#include "gradlab/error.h"
#include "kernels/dropout.h"

namespace gradlab {

void check_dropout_rate(double rate, std::string_view who) {
  if (!(rate >= 0.0 && rate < 1.0)) fail("{}: rate must be in [0, 1), got {}", who, rate);
}

Tensor dropout(const Tensor& x, double rate, Rng& rng, const BatchShard& shard) {
  check_dropout_rate(rate, "dropout");
  if (!x.defined()) fail("dropout: input is an undefined tensor");
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  // Elements of one row; a rank-0 input is one row of one element.
  const int64_t rows = x.rank() == 0 ? 1 : x.dim(0);
  const int64_t row_size = rows == 0 ? 0 : x.numel() / rows;
  const int64_t total_rows = shard.total_rows == 0 ? rows : shard.total_rows;
  if (shard.first_row < 0 || shard.first_row > total_rows - rows) {
    fail("dropout: rows [{}, {}) of the input are not within a batch of {} rows", shard.first_row,
         shard.first_row + rows, total_rows);
  }
  dispatch(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    rng.uniform_part(mask.data<T>(), total_rows * row_size, shard.first_row * row_size, mask.numel(), 0.0, 1.0);
    kernels::dropout_mask(mask.data<T>(), mask.numel(), rate);
  });
  // The product with a constant mask records one node whose backward is g * mask.
  Tensor y;
  {
    NoRecording untracked;
    y = mul(x, mask);
  }
  if (should_record({x})) {
    record("dropout", {x}, y, [mask](const Tensor& g, std::span<const bool> needs) {
      return std::vector<Tensor>{needs[0] ? mul(g, mask) : Tensor()};
    });
  }
  return y;
}

}  // namespace gradlab
