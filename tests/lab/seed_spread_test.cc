#include "gradlab/lab/seed_spread.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace gradlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(SeedSpread, MeanAndRangeOfTheFiniteValues) {
  const SeedSpread s = seed_spread({0.5, 0.8, 0.2});
  EXPECT_EQ(s.runs, 3);
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.mean, 0.5);
  EXPECT_EQ(s.min, 0.2);
  EXPECT_EQ(s.max, 0.8);
  // A run without a finished epoch (NaN) or an overflowed figure is left out, and counted as a run.
  const SeedSpread partial = seed_spread({kNaN, 0.4, std::numeric_limits<double>::infinity(), 0.6});
  EXPECT_EQ(partial.runs, 4);
  EXPECT_EQ(partial.count, 2);
  EXPECT_DOUBLE_EQ(partial.mean, 0.5);
  EXPECT_EQ(partial.min, 0.4);
  EXPECT_EQ(partial.max, 0.6);
  const SeedSpread none = seed_spread({kNaN});
  EXPECT_EQ(none.count, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  EXPECT_TRUE(std::isnan(seed_spread({}).min));
}

TEST(ReadGap, AboveOrBelowOnlyWhenTheRangesDoNotOverlap) {
  const SeedSpread low = seed_spread({0.10, 0.12, 0.11}), high = seed_spread({0.50, 0.60, 0.55});
  EXPECT_EQ(read_gap(high, low), GapReading::above);
  EXPECT_EQ(read_gap(low, high), GapReading::below);
  // A gap between the means smaller than the spread: not distinguishable.
  const SeedSpread wide = seed_spread({0.45, 0.70, 0.52});
  EXPECT_EQ(read_gap(wide, high), GapReading::overlapping);
  EXPECT_EQ(read_gap(high, wide), GapReading::overlapping);
  // Touching ranges overlap; a large mean gap with one overlapping run is still overlapping.
  EXPECT_EQ(read_gap(seed_spread({0.5, 0.9}), seed_spread({0.1, 0.5})), GapReading::overlapping);
  EXPECT_EQ(read_gap(seed_spread({0.11, 0.9, 0.95}), low), GapReading::overlapping);
  EXPECT_EQ(read_gap(seed_spread({kNaN, kNaN}), low), GapReading::not_measured);
  EXPECT_EQ(read_gap(low, seed_spread({})), GapReading::not_measured);
}

}  // namespace
}  // namespace gradlab
