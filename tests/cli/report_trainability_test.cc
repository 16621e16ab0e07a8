// The words of the report's trainability section follow its tally (report_trainability.h): each of the
// readings appears only for the counts that call for it.
#include <gtest/gtest.h>

#include <cmath>

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

TEST(ReportTrainability, JsonHasTheTallyAndEveryCell) {
  TrainabilityStudy s = tally(1, 1, 0, 1);
  s.cells = {{.depth = 4, .sigma_w2 = 1.76, .outcome = {.test_accuracy = 0.71, .xi_c = INFINITY}, .trained = true, .within = true},
             {.depth = 64, .sigma_w2 = 3, .outcome = {.test_accuracy = NAN, .diverged = true, .xi_c = 5.5}}};
  const nlohmann::ordered_json j = trainability_json(s);
  EXPECT_EQ(j["reading"], trainability_reading(s));
  EXPECT_EQ(j["within_6_xi_c"]["trained"], 1);
  EXPECT_EQ(j["beyond_6_xi_c"]["cells"], 1);
  ASSERT_EQ(j["cells"].size(), 2u);
  EXPECT_EQ(j["cells"][0]["test_accuracy"], 0.71);
  EXPECT_TRUE(j["cells"][0]["xi_c"].is_null()) << "infinite at criticality: JSON has no infinity";
  EXPECT_EQ(j["cells"][1]["depth"], 64);
  EXPECT_TRUE(j["cells"][1]["test_accuracy"].is_null());
  EXPECT_EQ(j["cells"][1]["diverged"], true);
  EXPECT_EQ(j["cells"][1]["within_6_xi_c"], false);
}

}  // namespace
}  // namespace gradlab::cli
