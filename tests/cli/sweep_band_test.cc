// Item 7 of issue 15: the sweep page draws, per configuration, the median over trials with the
// spread as bands (quartiles and min-max) instead of one line per trial; trials stay on demand.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab {
namespace {

using cli_test::run_cli;
using SweepBand = cli_test::SweepCliTest;

// The q-th percentile with linear interpolation between order statistics, written out here.
double percentile_of(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q / 100 * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

TEST_F(SweepBand, PageShowsTheMedianAndBandsOverTrialsFromTheResults) {
  const auto r = run_cli({"sweep", "--depth", "2,3", "--width", "8", "--batch", "4", "--activation", "relu,tanh",
                          "--trials", "5", "--seed", "3", "--out", path("r.jsonl"), "--report", path("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The per-layer norms of the 5 trials of depth 3, tanh, from the results file.
  std::vector<std::vector<double>> norms(3);
  std::istringstream lines(read_text("r.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const auto row = nlohmann::json::parse(line);
    if (row["depth"] != 3 || row["activation"] != "tanh") continue;
    for (std::size_t k = 0; k < 3; ++k) norms[k].push_back(row["layer_grad_norms"][k].get<double>());
  }
  ASSERT_EQ(norms[0].size(), 5u);
  const std::string page = read_text("r.html");
  EXPECT_NE(page.find("Gradient flow over trials"), std::string::npos);
  EXPECT_NE(page.find("Trial by trial"), std::string::npos);
  for (std::size_t k = 0; k < 3; ++k) {
    const std::string key = "{\"configuration\":\"depth 3, activation tanh\",\"k\":" + std::to_string(k + 1) + ",";
    const std::size_t at = page.find(key);
    ASSERT_NE(at, std::string::npos) << "no band row for k = " << k + 1;
    const auto row = nlohmann::json::parse(page.substr(at, page.find('}', at) - at + 1));
    EXPECT_EQ(row["trials"], 5);
    EXPECT_DOUBLE_EQ(row["median"].get<double>(), percentile_of(norms[k], 50));
    EXPECT_DOUBLE_EQ(row["q1"].get<double>(), percentile_of(norms[k], 25));
    EXPECT_DOUBLE_EQ(row["q3"].get<double>(), percentile_of(norms[k], 75));
    EXPECT_DOUBLE_EQ(row["min"].get<double>(), *std::min_element(norms[k].begin(), norms[k].end()));
    EXPECT_DOUBLE_EQ(row["max"].get<double>(), *std::max_element(norms[k].begin(), norms[k].end()));
  }
  // One band row per configuration and layer (2 x 2 + 2 x 3), not one line per trial; the trial
  // charts start at trial 0.
  std::size_t rows = 0;
  for (std::size_t at = page.find("{\"configuration\":\""); at != std::string::npos; at = page.find("{\"configuration\":\"", at + 1)) ++rows;
  EXPECT_EQ(rows, 10u);
  EXPECT_NE(page.find("\"name\":\"filter_"), std::string::npos);
  EXPECT_NE(page.find("\"value\":\"0\""), std::string::npos) << "the trial drop-down starts at trial 0";
}

TEST_F(SweepBand, OneTrialKeepsThePlainFlowSection) {
  const auto r = run_cli({"sweep", "--depth", "2", "--width", "8", "--batch", "4", "--activation", "relu,tanh",
                          "--out", path("r.jsonl"), "--report", path("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = read_text("r.html");
  EXPECT_EQ(page.find("Gradient flow over trials"), std::string::npos);
  EXPECT_NE(page.find("Gradient flow"), std::string::npos);
}

}  // namespace
}  // namespace gradlab
