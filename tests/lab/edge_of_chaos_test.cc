// The measured phase diagram (lab/edge_of_chaos.h) on a small grid: its cells, the theory beside them,
// and the agreement counts.
#include "gradlab/lab/edge_of_chaos.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

// Far from the critical line the measurement must side with the theory: relu at sigma_w2 = 0.5 has
// chi_1 = 0.25 (the squared gradient shrinks 4x per layer) and at 4 has chi_1 = 2; over 12 layers of
// width 64 the measured gain's relative spread is about sqrt(12 * 2 / 64) / 12 per layer, far below
// those factors.
TEST(EdgeOfChaos, CellsFarFromTheCriticalLineSideWithTheTheory) {
  const EdgeOfChaos e = run_edge_of_chaos({.activations = {"relu", "tanh"},
                                           .grid = {.sigma_w2_min = 0.5, .sigma_w2_max = 4.0, .sigma_w2_points = 2,
                                                    .sigma_b2_min = 0.0, .sigma_b2_max = 0.2, .sigma_b2_points = 2},
                                           .depth = 12,
                                           .width = 64,
                                           .batch = 8,
                                           .seed = 1,
                                           .workers = 2});
  ASSERT_EQ(e.cells.size(), 8u);
  // The sweep's order: activation, sigma_w2, sigma_b2.
  EXPECT_EQ(e.cells[0].activation, "relu");
  EXPECT_EQ(e.cells[1].variances.sigma_b2, 0.2);
  EXPECT_EQ(e.cells[2].variances.sigma_w2, 4.0);
  EXPECT_NEAR(e.cells[0].theory.chi_1, 0.25, 1e-12);
  EXPECT_NEAR(e.cells[3].theory.chi_1, 2.0, 1e-12);
  EXPECT_LT(e.cells[0].measured_gain, 0.5);
  EXPECT_GT(e.cells[3].measured_gain, 1.5);
  const EdgeAgreement relu = edge_agreement(e, "relu");
  EXPECT_EQ(relu.measured, 4);
  EXPECT_EQ(relu.agreeing, 4);
  EXPECT_EQ(relu.largest_disagreeing_log_chi, 0.0);
  EXPECT_EQ(edge_agreement(e, "sigmoid").measured, 0);
  ASSERT_EQ(e.critical_lines.size(), 2u);
  EXPECT_NEAR(e.critical_lines[0].front().sigma_w2, 2.0, 1e-9);
  EXPECT_NEAR(e.critical_lines[1].front().sigma_w2, 1.0, 1e-9);  // tanh at sigma_b2 = 0
  EXPECT_EQ(e.initializers.size(), 6u);
  // Same seed, same cells, whatever the worker count and whichever other activations share the grid
  // (each cell's seed follows from its sweep id); relu alone keeps the test quick.
  EdgeOfChaosOptions one = e.options;
  one.workers = 1;
  one.activations = {"relu"};
  const EdgeOfChaos again = run_edge_of_chaos(one);
  ASSERT_EQ(again.cells.size(), 4u);
  for (std::size_t i = 0; i < again.cells.size(); ++i) EXPECT_EQ(again.cells[i].measured_gain, e.cells[i].measured_gain) << i;
}

TEST(EdgeOfChaos, RefusesBadOptions) {
  EXPECT_THROW(validate(EdgeOfChaosOptions{.activations = {}}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.activations = {"tanh", "tanh"}}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.activations = {"softmax"}}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.grid = {.sigma_w2_points = 0}}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.depth = 1}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.width = 0}), Error);
  EXPECT_THROW(validate(EdgeOfChaosOptions{.workers = -1}), Error);
}

}  // namespace
}  // namespace gradlab
