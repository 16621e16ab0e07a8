// The words of the report's trainability section follow its tally (report_trainability.h): each of the
// readings appears only for the counts that call for it.
#include <gtest/gtest.h>

#include "report_trainability.h"

namespace gradlab::cli {
namespace {

TrainabilityStudy tally(int64_t within_trained, int64_t within, int64_t beyond_trained, int64_t beyond) {
  TrainabilityStudy s;
  s.within = {within_trained, within};
  s.beyond = {beyond_trained, beyond};
  return s;
}

TEST(ReportTrainability, ReadingFollowsTheTally) {
  const std::string follows = trainability_reading(tally(18, 20, 1, 30));
  EXPECT_NE(follows.find("18 of 20 (90%) trained"), std::string::npos) << follows;
  EXPECT_NE(follows.find("of those deeper, 1 of 30 (3%)"), std::string::npos) << follows;
  EXPECT_NE(follows.find("follows 6 xi_c"), std::string::npos) << follows;
  EXPECT_NE(follows.find("Schoenholz et al. (2017"), std::string::npos) << follows;

  const std::string blurred = trainability_reading(tally(10, 20, 9, 30));
  EXPECT_EQ(blurred.find("follows 6 xi_c"), std::string::npos) << blurred;
  EXPECT_NE(blurred.find("blurred"), std::string::npos) << blurred;

  const std::string against = trainability_reading(tally(2, 20, 15, 30));
  EXPECT_NE(against.find("does not follow 6 xi_c"), std::string::npos) << against;

  const std::string untested = trainability_reading(tally(5, 10, 0, 0));
  EXPECT_NE(untested.find("cannot test the rule"), std::string::npos) << untested;
  EXPECT_NE(untested.find("lies within 6 xi_c"), std::string::npos) << untested;
}

}  // namespace
}  // namespace gradlab::cli
