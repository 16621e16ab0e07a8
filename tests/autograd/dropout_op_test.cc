// The dropout op: its gradient is the mask it drew (float64 central differences with the mask held
// fixed, and the exact product), and its rate check.
#include "gradlab/autograd/dropout_op.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"
#include "support/test_helpers.h"

namespace gradlab {
namespace {

TEST(DropoutOp, GradientIsTheMask) {
  const Tensor x = test::random_tensor({5, 6}, 21);
  const Rng start(5);
  EXPECT_TRUE(test::check_gradients(
      [start](const std::vector<Tensor>& in) {
        Rng rng = start;  // the same mask on every evaluation
        return dropout(in[0], 0.4, rng);
      },
      {x}));
  Tensor w = x.clone();
  GradientTape tape;
  tape.watch(w);
  Rng rng = start;
  const Tensor y = dropout(w, 0.4, rng);
  const Tensor g = tape.gradient(sum(y), w);
  const std::vector<double> yv = y.to_vector(), xv = w.to_vector(), gv = g.to_vector();
  for (std::size_t i = 0; i < gv.size(); ++i) EXPECT_DOUBLE_EQ(yv[i], xv[i] * gv[i]);
}

// A data-parallel replica holding rows [2, 5) of a 7-row batch draws those rows of the batch's mask,
// and its generator ends where the whole batch's does.
TEST(DropoutOp, AShardHasItsRowsOfTheWholeBatchMask) {
  const Tensor x = test::random_tensor({7, 6}, 4);
  Rng whole(11), part(11);
  const std::vector<double> all = dropout(x, 0.5, whole).to_vector();
  Tensor shard = Tensor::empty({3, 6}, x.dtype());
  for (int64_t i = 0; i < 18; ++i) shard.data<double>()[i] = x.data<double>()[12 + i];
  const std::vector<double> mine = dropout(shard, 0.5, part, {.first_row = 2, .total_rows = 7}).to_vector();
  for (std::size_t i = 0; i < mine.size(); ++i) EXPECT_EQ(mine[i], all[12 + i]);
  EXPECT_EQ(part.state(), whole.state());
  EXPECT_THAT(test::error_of([&] { dropout(shard, 0.5, part, {.first_row = 5, .total_rows = 7}); }),
              testing::HasSubstr("rows [5, 8) of the input are not within a batch of 7 rows"));
}

TEST(DropoutOp, RejectsRatesOutsideZeroToOne) {
  Rng rng(0);
  EXPECT_THAT(test::error_of([&] { dropout(ones({2}), 1.5, rng); }),
              ::testing::HasSubstr("dropout: rate must be in [0, 1), got 1.5"));
  EXPECT_THROW(check_dropout_rate(std::nan(""), "drop_a"), Error);
  EXPECT_THROW(check_dropout_rate(-0.1, "drop_a"), Error);
  EXPECT_NO_THROW(check_dropout_rate(0.0, "drop_a"));
}

}  // namespace
}  // namespace gradlab
