#include "gradlab/instrument/dead_units.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/error.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

// relu(x W + b) for x ~ U[0, 1) of one feature: unit 0 is relu(x - 0.95), active on 5% of examples;
// unit 1 is relu(-x - 1), 0 for every input (dead); units 2 and 3 are relu(x + 0.01), always active.
Dense constructed_layer() {
  Dense d(4, {.activation = "relu"});
  d(zeros({1, 1}));  // builds it
  Variable(d.kernel()).assign(from_values({1, 4}, {1, -1, 1, 1}));
  Variable(d.bias()).assign(from_values({4}, {-0.95, -1, 0.01, 0.01}));
  return d;
}

// Over `batches` batches of 32 rows drawn from `rng`, the share of dead units UnitActivity reports.
double dead_over(const Dense& d, int batches, Rng& rng, int64_t* examples = nullptr) {
  UnitActivity activity;
  ObserveLayerCalls observe(activity);
  for (int b = 0; b < batches; ++b) {
    d(uniform({32, 1}, rng));
    activity.end_pass();
  }
  if (examples) *examples = activity.examples(0);
  return activity.dead_fraction(0).value();
}

// Unit 0 is silent on a batch of 32 with probability 0.95^32 = 0.194, on 8 batches (256 examples) with
// 0.95^256 = 2.0e-6. Over 200 batches the one-batch figure flags it about 39 times; the chance that it
// never does is 0.806^200 < 1e-18. The chance that any of the 200 groups of 8 batches below flags it
// is 200 x 2.0e-6 = 4e-4. The seed is fixed, so the test gives one answer; those are its odds of
// being wrong by chance.
TEST(UnitActivity, SeveralBatchesDoNotFlagAUnitActiveOnFivePercentOfExamplesWhileOneBatchCan) {
  const Dense d = constructed_layer();
  Rng rng(11);
  int flagged_by_one_batch = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const Tensor x = uniform({32, 1}, rng);
    const ForwardStats f = forward_stats(d(x), "relu");
    // Unit 1 is always silent, so the one-batch figure is 1/4 or, with unit 0 silent too, 2/4.
    ASSERT_TRUE(f.silent_fraction == 0.25 || f.silent_fraction == 0.5) << *f.silent_fraction;
    flagged_by_one_batch += f.silent_fraction == 0.5;
  }
  EXPECT_GT(flagged_by_one_batch, 0);
  EXPECT_NEAR(flagged_by_one_batch, 200 * std::pow(0.95, 32), 5 * std::sqrt(200 * 0.194 * 0.806));

  for (int trial = 0; trial < 200; ++trial) {
    int64_t examples = 0;
    // Only the truly dead unit 1 is flagged: 1 of 4 units.
    EXPECT_EQ(dead_over(d, 8, rng, &examples), 0.25) << "trial " << trial;
    EXPECT_EQ(examples, 256);
  }
}

TEST(UnitActivity, FlagsATrulyDeadUnitAndMatchesCallsByPosition) {
  // Two relu layers and a linear one: the second relu layer's units are all dead, the linear one is
  // not counted.
  Dense live(3, {.activation = "relu", .kernel_initializer = "ones", .bias_initializer = "ones"});
  Dense dead(2, {.activation = "relu", .kernel_initializer = "ones", .bias_initializer = constant(-100)});
  Dense out(1, {.kernel_initializer = "ones"});
  Sequential model({live, dead, out});
  UnitActivity activity;
  {
    ObserveLayerCalls observe(activity);
    for (int b = 0; b < 3; ++b) {
      model(full({5, 2}, 0.5));
      activity.end_pass();
    }
  }
  ASSERT_EQ(activity.calls(), 3u);  // the Sequential's own call is not one
  EXPECT_EQ(activity.dead_fraction(0), 0.0);
  EXPECT_EQ(activity.dead_fraction(1), 1.0);
  EXPECT_EQ(activity.dead_fraction(2), std::nullopt);  // linear: no dead units to count
  EXPECT_EQ(activity.dead_fraction(7), std::nullopt);
  EXPECT_EQ(activity.examples(1), 15);
}

TEST(UnitActivity, RefusesACallWhoseUnitsChangeBetweenPasses) {
  Dense a(3, {.activation = "relu"}), b(2, {.activation = "relu"});
  UnitActivity activity;
  ObserveLayerCalls observe(activity);
  a(ones({1, 2}));
  activity.end_pass();
  EXPECT_THROW(b(ones({1, 2})), Error);
}

}  // namespace
}  // namespace gradlab
