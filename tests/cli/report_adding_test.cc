#include "report_adding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gradlab::cli {
namespace {

AddingArm arm_with(std::string name, const std::vector<double>& test_mses) {
  AddingArm arm{.name = std::move(name), .time_steps = 50};
  for (double mse : test_mses) {
    AddingRun run;
    run.history.epochs.push_back({.epoch = 0, .loss = mse, .val_loss = mse});
    arm.runs.push_back(std::move(run));
  }
  return arm;
}

// One T = 50 with chance 0.17 and the three cells' test MSEs over three seeds.
AddingStudyResult study_with(const std::vector<double>& simple, const std::vector<double>& lstm,
                             const std::vector<double>& gru) {
  AddingStudyResult r;
  r.options.time_steps = {50};
  r.chance = {0.17};
  r.arms = {arm_with("simple_rnn", simple), arm_with("lstm", lstm), arm_with("gru", gru)};
  return r;
}

TEST(AddingClaim, AGapBetweenArmsAtChanceIsCalledSmall) {
  // Every LSTM run below every SimpleRNN run, but all six at chance: the ordering is not learning.
  const std::string text = adding_claim(study_with({0.168, 0.169, 0.170}, {0.166, 0.1665, 0.167}, {0.001, 0.002, 0.003}), 50);
  EXPECT_NE(text.find("LSTM 0.0025 below SimpleRNN, every run below every SimpleRNN run, a gap under 5% of chance"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("GRU 0.1670 below SimpleRNN, every run below every SimpleRNN run."), std::string::npos) << text;
}

TEST(AddingClaim, OverlappingRangesAreNotOrdered) {
  const std::string text = adding_claim(study_with({0.10, 0.15, 0.17}, {0.12, 0.13, 0.14}, {0.2, 0.21, 0.22}), 50);
  EXPECT_NE(text.find("LSTM and SimpleRNN not distinguishable with these seeds"), std::string::npos) << text;
  EXPECT_NE(text.find("GRU 0.0700 above SimpleRNN, every run above every SimpleRNN run."), std::string::npos) << text;
}

}  // namespace
}  // namespace gradlab::cli
