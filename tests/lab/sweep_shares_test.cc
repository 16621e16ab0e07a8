// split_by_cost: the shares partition the configurations, keep grid order, are the same every time,
// and meet the longest-processing-time rule's bound (Graham 1969): the largest share costs at most
// 4/3 of a lower bound on the best split, max(total / parts, largest configuration).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "gradlab/error.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/lab/sweep_shares.h"

namespace gradlab {
namespace {

std::vector<SweepConfig> mixed_grid() {
  return expand_grid({.depths = {2, 4, 16, 64},
                      .widths = {16, 64},
                      .activations = {"relu", "tanh"},
                      .skips = {SkipConnection::none, SkipConnection::concat},
                      .trials = 3});
}

TEST(SweepShares, ExpectedCostGrowsWithDepthWidthConcatAndFloat64) {
  SweepConfig shallow, deep;
  shallow.network.depth = 4;
  deep.network.depth = 64;
  EXPECT_GT(expected_cost(deep), 3 * expected_cost(shallow));  // 64 layers against 4, over a fixed cost
  SweepConfig concat = deep;
  concat.network.skip = SkipConnection::concat;
  EXPECT_GT(expected_cost(concat), 1.2 * expected_cost(deep));  // twice the products, not the rest
  SweepConfig wide = deep;
  wide.network.units = 4 * deep.network.units;
  EXPECT_GT(expected_cost(wide), 5 * expected_cost(deep));
  SweepConfig f64 = deep;
  f64.network.dtype = DType::float64;
  EXPECT_GT(expected_cost(f64), 1.5 * expected_cost(deep));
  EXPECT_LT(expected_cost(f64), 2 * expected_cost(deep));
}

TEST(SweepShares, SharesPartitionTheGridInGridOrderAndRepeat) {
  const std::vector<SweepConfig> configs = mixed_grid();
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < configs.size(); ++i) position[configs[i].id] = i;
  for (int parts : {1, 2, 3, 7, 1000}) {
    const auto shares = split_by_cost(configs, parts);
    ASSERT_EQ(shares.size(), static_cast<std::size_t>(parts));
    std::set<std::string> seen;
    for (const auto& share : shares) {
      for (std::size_t i = 0; i < share.size(); ++i) {
        EXPECT_TRUE(seen.insert(share[i].id).second) << share[i].id << " is in two shares";
        if (i > 0) EXPECT_LT(position[share[i - 1].id], position[share[i].id]);
      }
    }
    EXPECT_EQ(seen.size(), configs.size());
    const auto again = split_by_cost(configs, parts);
    for (std::size_t p = 0; p < shares.size(); ++p) {
      ASSERT_EQ(again[p].size(), shares[p].size());
      for (std::size_t i = 0; i < shares[p].size(); ++i) EXPECT_EQ(again[p][i].id, shares[p][i].id);
    }
  }
}

TEST(SweepShares, TheLargestShareIsWithinFourThirdsOfTheBestPossible) {
  const std::vector<SweepConfig> configs = mixed_grid();
  double total = 0, largest = 0;
  for (const SweepConfig& c : configs) total += expected_cost(c), largest = std::max(largest, expected_cost(c));
  for (int parts : {2, 3, 5, 8}) {
    double makespan = 0;
    for (const auto& share : split_by_cost(configs, parts)) {
      double load = 0;
      for (const SweepConfig& c : share) load += expected_cost(c);
      makespan = std::max(makespan, load);
    }
    EXPECT_LE(makespan, 4.0 / 3.0 * std::max(total / parts, largest)) << parts << " parts";
  }
}

TEST(SweepShares, RefusesNoParts) { EXPECT_THROW(split_by_cost(mixed_grid(), 0), Error); }

TEST(SweepShares, BareCostsSplitByTheSameRule) {
  using Shares = std::vector<std::vector<std::size_t>>;
  EXPECT_EQ(split_costs({9, 1, 4, 4}, 2), (Shares{{0}, {1, 2, 3}}));
  // Longest first to the lightest share; ties keep the given order.
  EXPECT_EQ(split_costs({2, 2, 2, 1}, 3), (Shares{{0, 3}, {1}, {2}}));
  EXPECT_EQ(split_costs({}, 3), (Shares{{}, {}, {}}));
  EXPECT_THROW(split_costs({1}, 0), Error);
  EXPECT_THROW(split_costs({1, -1}, 2), Error);
  EXPECT_THROW(split_costs({std::nan("")}, 2), Error);
}

}  // namespace
}  // namespace gradlab
