// run_recurrent_depth_study: both axes of every case over the seeds, the same whatever the workers,
// the heatmap, and sentences that follow the measurements (different numbers, different words).
#include <gtest/gtest.h>

#include "gradlab/error.h"
#include "gradlab/lab/recurrent_depth_study.h"

namespace gradlab {
namespace {

RecurrentDepthStudyOptions small(std::vector<int64_t> time_steps) {
  return {.time_steps = std::move(time_steps), .layers = {1, 3}, .layers_time_steps = 8, .trials = 2, .units = 8, .batch = 2};
}

TEST(RecurrentDepthStudy, MeasuresBothAxesOfEveryCaseTheSameWhateverTheWorkers) {
  RecurrentDepthStudyOptions o = small({3, 8, 30});
  o.workers = 1;
  const RecurrentDepthStudy one = run_recurrent_depth_study(o);
  o.workers = 2;
  const RecurrentDepthStudy two = run_recurrent_depth_study(o);
  ASSERT_EQ(one.cases.size(), recurrent_depth_cases().size());
  ASSERT_EQ(one.cases.size(), 6u);
  for (std::size_t k = 0; k < one.cases.size(); ++k) {
    const RecurrentDepthCaseResult& c = one.cases[k];
    ASSERT_EQ(c.over_time.size(), 3u);
    ASSERT_EQ(c.over_layers.size(), 2u);
    EXPECT_EQ(c.over_time[1].time_steps, 8);
    EXPECT_EQ(c.over_layers[1].layers, 3);
    EXPECT_EQ(c.over_time[0].ratio.count, 2);
    // (1 layer, T = 8) is on both axes and ran once: the same figures.
    EXPECT_EQ(c.over_time[1].ratio.median, c.over_layers[0].ratio.median);
    for (std::size_t i = 0; i < c.over_time.size(); ++i) {
      EXPECT_EQ(c.over_time[i].ratio.median, two.cases[k].over_time[i].ratio.median) << c.network.label;
      EXPECT_GT(c.over_time[i].ratio.median, 0) << c.network.label << " (float64 keeps it measurable)";
    }
  }
  ASSERT_EQ(one.heatmap.layers.size(), 3u);
  EXPECT_EQ(one.heatmap.layers.front().grad_norm.size(), 8u);
  EXPECT_NE(one.heatmap_label.find("3 x SimpleRNN(8, tanh) over 8 steps"), std::string::npos) << one.heatmap_label;
  EXPECT_NE(one.heatmap_label.find("recurrent glorot_uniform"), std::string::npos) << one.heatmap_label;
  // One per case, the summary over both axes, the extremes, and three one-change comparisons.
  ASSERT_EQ(one.findings.size(), 6u + 1 + 1 + 3);
  for (std::size_t i = 0; i < one.findings.size(); ++i) EXPECT_EQ(one.findings[i].text, two.findings[i].text);
}

TEST(RecurrentDepthStudy, TheSentencesFollowTheMeasurements) {
  // Over 2 -> 3 steps no ratio moves by a factor of 10; over 2 -> 200 the plain SimpleRNN's falls by
  // many orders of magnitude (gain per step well below 1 with a glorot_uniform recurrent kernel).
  const RecurrentDepthStudy short_runs = run_recurrent_depth_study(small({2, 3}));
  const RecurrentDepthStudy long_runs = run_recurrent_depth_study(small({2, 200}));
  const std::string& before = short_runs.findings[0].text;
  const std::string& after = long_runs.findings[0].text;
  EXPECT_NE(before.find("stayed within a factor of 10 as T grew"), std::string::npos) << before;
  EXPECT_NE(after.find("fell by more than a factor of 10 as T grew"), std::string::npos) << after;
  EXPECT_LT(long_runs.cases[0].over_time[1].ratio.median, 1e-1 * long_runs.cases[0].over_time[0].ratio.median);
  // The figures are shown beside the words.
  EXPECT_NE(short_runs.findings[0].figures.find("at T = 3"), std::string::npos) << short_runs.findings[0].figures;
}

TEST(RecurrentDepthStudy, RefusesBadOptionsNamingThem) {
  const auto refused = [](RecurrentDepthStudyOptions o, const std::string& fragment) {
    try {
      validate(o);
      ADD_FAILURE() << "accepted; expected " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  refused(small({10, 5}), "time steps must increase, got 5 after 10");
  refused(small({1, 5}), "time steps must be in [2, 100000], got 1");
  refused(small({}), "give at least one number of time steps");
  RecurrentDepthStudyOptions o = small({2, 5});
  o.layers = {2, 2};
  refused(o, "layers must increase");
  o = small({2, 5});
  o.trials = 0;
  refused(o, "trials must be in [1,");
}

}  // namespace
}  // namespace gradlab
