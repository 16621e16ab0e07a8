#include "gradlab/lab/lesson_study.h"

#include <gtest/gtest.h>

#include "gradlab/error.h"

namespace gradlab {
namespace {

LessonStudyOptions small() {
  // The normalization section has its own tests (normalization_study_test.cc); one trial at one depth
  // keeps it from dominating these.
  return {.seed = 3,
          .trials = 12,
          .grid_trials = 6,
          .depths = {4, 12},
          .activations = {"relu", "sigmoid"},
          .normalization_trials = 1,
          .normalization_depths = {8},
          .recurrent_trials = 0};  // recurrent_depth_study_test.cc
}

TEST(LessonStudy, HasEveryTableInItsOrder) {
  LessonStudy s = run_lesson_study(small());
  ASSERT_EQ(s.kernel_variance.size(), 4u);
  EXPECT_EQ(s.kernel_variance[0].layer.initializer, "he_uniform");
  EXPECT_EQ(s.kernel_variance[3].layer.fan_in, 100);
  EXPECT_DOUBLE_EQ(s.kernel_variance[2].lesson, 0.04799015);
  EXPECT_EQ(s.kernel_variance[1].measured.count, 12);

  ASSERT_EQ(s.skip_connections.size(), 3u);
  EXPECT_EQ(s.skip_connections[1].skip, SkipConnection::residual);
  ASSERT_TRUE(s.skip_connections[0].lesson.has_value());
  EXPECT_DOUBLE_EQ(*s.skip_connections[0].lesson, 0.0202007275);
  EXPECT_EQ(s.skip_connections[2].measured.count, 12);

  ASSERT_EQ(s.depth_grid.size(), 2u * 2u * 3u);
  EXPECT_EQ(s.depth_grid[0].activation, "relu");
  EXPECT_EQ(s.depth_grid[3].depth, 12);
  EXPECT_EQ(s.depth_grid[5].skip, SkipConnection::concat);
  EXPECT_EQ(s.depth_grid[6].activation, "sigmoid");
  EXPECT_EQ(s.depth_grid[0].measured.count, 6);
  EXPECT_FALSE(s.depth_grid[0].lesson.has_value());
}

TEST(LessonStudy, IsDeterministicInTheSeed) {
  LessonStudyOptions o = small();
  LessonStudy a = run_lesson_study(o), b = run_lesson_study(o);
  o.seed = 4;
  LessonStudy c = run_lesson_study(o);
  for (std::size_t i = 0; i < a.depth_grid.size(); ++i) {
    EXPECT_EQ(a.depth_grid[i].measured.median, b.depth_grid[i].measured.median);
    EXPECT_NE(a.depth_grid[i].measured.median, c.depth_grid[i].measured.median);
  }
  EXPECT_EQ(a.kernel_variance[0].measured.mean, b.kernel_variance[0].measured.mean);
  EXPECT_NE(a.kernel_variance[0].measured.mean, c.kernel_variance[0].measured.mean);
}

TEST(LessonStudy, ACellDoesNotDependOnWhichOthersWereAskedFor) {
  LessonStudyOptions both = small();
  LessonStudyOptions one = small();
  one.depths = {12};
  one.activations = {"sigmoid"};
  LessonStudy a = run_lesson_study(both), b = run_lesson_study(one);
  // sigmoid, depth 12 is the last block of three in `a` and the only one in `b`.
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(a.depth_grid[9 + k].measured.median, b.depth_grid[k].measured.median);
    EXPECT_EQ(a.depth_grid[9 + k].measured.p95, b.depth_grid[k].measured.p95);
  }
}

TEST(LessonStudy, GridCellForTheLessonsNetworkRepeatsTheLessonTable) {
  LessonStudyOptions o = small();
  o.grid_trials = o.trials;
  LessonStudy s = run_lesson_study(o);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(s.depth_grid[k].measured.median, s.skip_connections[k].measured.median);
  }
}

TEST(LessonStudy, SkipsKeepDeepSigmoidGradientsAlive) {
  LessonStudy s = run_lesson_study(small());
  auto sigmoid_deep = s.depth_grid.begin() + 9;  // sigmoid, depth 12: none, residual, concat
  EXPECT_LT(sigmoid_deep[0].measured.median * 100, sigmoid_deep[1].measured.median);
  EXPECT_LT(sigmoid_deep[1].measured.median, sigmoid_deep[2].measured.median);
}

TEST(LessonStudy, ValidatesItsOptions) {
  auto with = [](auto change) {
    LessonStudyOptions o = small();
    change(o);
    return o;
  };
  EXPECT_NO_THROW(validate(small()));
  EXPECT_THROW(validate(with([](auto& o) { o.trials = 0; })), Error);
  EXPECT_THROW(validate(with([](auto& o) { o.grid_trials = -3; })), Error);
  EXPECT_THROW(validate(with([](auto& o) { o.depths = {4, 0}; })), Error);
  EXPECT_THROW(validate(with([](auto& o) { o.depths = {kMaxStudyDepth + 1}; })), Error);
  EXPECT_THROW(validate(with([](auto& o) { o.activations = {"relu", "nope"}; })), Error);
  EXPECT_THROW(run_lesson_study(with([](auto& o) { o.trials = 0; })), Error);
}

}  // namespace
}  // namespace gradlab
