#include "gradlab/instrument/statistics.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

TEST(Percentile, InterpolatesLinearlyAsNumPy) {
  std::vector<double> v{4, 1, 3, 2};  // unsorted on purpose
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 2.5);    // numpy.percentile([1,2,3,4], 50)
  EXPECT_DOUBLE_EQ(percentile(v, 5), 1.15);    // rank 0.15
  EXPECT_DOUBLE_EQ(percentile(v, 95), 3.85);   // rank 2.85
  EXPECT_DOUBLE_EQ(percentile(v, 100), 4.0);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{7}, 30), 7.0);
}

TEST(Percentile, RefusesEmptyNaNAndBadQ) {
  std::vector<double> empty;
  EXPECT_THROW(percentile(empty, 50), Error);
  std::vector<double> v{1, 2};
  EXPECT_THROW(percentile(v, -1), Error);
  EXPECT_THROW(percentile(v, 100.5), Error);
  EXPECT_THROW(percentile(v, std::nan("")), Error);
  std::vector<double> with_nan{1, std::nan(""), 3};
  EXPECT_THROW(percentile(with_nan, 50), Error);
  EXPECT_THROW(summarize(with_nan), Error);
  EXPECT_THROW(percentile_of_score(with_nan, 2), Error);
}

TEST(PercentileOfScore, CountsBelowAndHalfOfTies) {
  std::vector<double> v{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(percentile_of_score(v, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(percentile_of_score(v, 5), 100.0);
  EXPECT_DOUBLE_EQ(percentile_of_score(v, 2.5), 50.0);
  EXPECT_DOUBLE_EQ(percentile_of_score(v, 3), 62.5);  // scipy percentileofscore(kind="mean")
  EXPECT_THROW(percentile_of_score(std::vector<double>{}, 1), Error);
}

TEST(Summarize, ReportsOrderStatisticsMomentsAndZeros) {
  std::vector<double> v;
  for (int i = 0; i <= 100; ++i) v.push_back(i);  // 0..100: percentile q is exactly q
  v[100] = 0;                                      // now two zeros; max 99
  SampleSummary s = summarize(v);
  EXPECT_EQ(s.count, 101);
  EXPECT_DOUBLE_EQ(s.min, 0);
  EXPECT_DOUBLE_EQ(s.max, 99);
  EXPECT_DOUBLE_EQ(s.median, 49);  // sorted: 0, 0, 1, ..., 99
  EXPECT_DOUBLE_EQ(s.p5, 4);
  EXPECT_DOUBLE_EQ(s.p95, 94);
  EXPECT_DOUBLE_EQ(s.mean, 4950.0 / 101);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 2.0 / 101);
}

TEST(Summarize, KeepsInfinities) {
  const double inf = std::numeric_limits<double>::infinity();
  SampleSummary s = summarize(std::vector<double>{1, inf, 2});
  EXPECT_EQ(s.max, inf);
  EXPECT_DOUBLE_EQ(s.median, 2);
  EXPECT_EQ(s.p95, inf);
  EXPECT_DOUBLE_EQ(s.infinite_fraction, 1.0 / 3);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 0.0);
}

}  // namespace
}  // namespace gradlab
