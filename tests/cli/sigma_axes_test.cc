// `gradlab probe` and `gradlab sweep` with the network initialized by variances (--sigma-w2,
// --sigma-b2; Poole et al. 2016, Schoenholz et al. 2017): what the measured gradient gain does at
// and off the ReLU critical point, how sweeps record the variances, and the refusals of
// docs/bad-inputs.md (tests SigmaAxesBadInputs.<Row>).
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

using SigmaAxes = SweepCliTest;
using SigmaAxesBadInputs = SweepCliTest;

nlohmann::json probe(const std::vector<std::string>& extra) {
  std::vector<std::string> args{"probe", "--depth", "20", "--width", "512", "--activation", "relu", "--seed", "7", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

// For ReLU, chi_1 = sigma_w2 / 2 whatever sigma_b2 (Schoenholz et al. 2017): the squared gradient norm
// changes by chi_1 per layer, so the norm by sqrt(sigma_w2 / 2): 1 at He's sigma_w2 = 2, 1/sqrt(2) at 1.
//
// Exact part: without biases a ReLU network is positively homogeneous, and gaussian_kernel draws the
// same standard normals times sqrt(sigma_w2 / fan_in) for every sigma_w2 (same seed), so the active
// units are the same and the measured gains of two sigma_w2 differ by exactly sqrt of their ratio
// (up to float32 rounding, far below the 1e-3 allowed).
//
// Absolute part: the measured gain exceeds the mean-field sqrt(chi_1) by a finite-size effect the
// theory leaves out: the probe's loss is mean(output), whose gradient is aligned with the forward
// signal (for a homogeneous network, grad_k . x_k is the same at every layer), and the steps nearest
// the output grow most (e.g. ln-gains 0.23, 0.13, 0.14 there, about 0.03 near the input). Measured
// at width 512, depth 20, sigma_w2 = 2 over seeds 1-9: ln(G) = 0.054 on average, spread 0.008. This
// band (ln(G) - ln(sqrt(chi_1)) in [0, 0.1]) is therefore measured, not derived: it holds the mean
// with 5 spreads to spare on the upper side; the lower bound 0 is what the excess's sign claims.
TEST_F(SigmaAxes, ReluGradientGainIsTheSquareRootOfHalfSigmaW2) {
  struct Case {
    std::vector<std::string> args;
    double chi_1;
  };
  const Case cases[] = {{{"--sigma-w2", "2"}, 1.0},
                        {{"--sigma-w2", "2", "--sigma-b2", "0.05"}, 1.0},
                        {{"--sigma-w2", "1"}, 0.5},
                        {{"--sigma-w2", "3"}, 1.5}};
  double log_gain_at[4] = {};
  for (int i = 0; i < 4; ++i) {
    const auto j = probe(cases[i].args);
    log_gain_at[i] = std::log(j["summary"]["mean_gain"].get<double>());
    const double excess = log_gain_at[i] - 0.5 * std::log(cases[i].chi_1);
    EXPECT_GE(excess, 0.0) << cases[i].args[1];
    EXPECT_LE(excess, 0.1) << cases[i].args[1];
  }
  EXPECT_NEAR(log_gain_at[2] - log_gain_at[0], 0.5 * std::log(0.5), 1e-3) << "sigma_w2 1 against 2";
  EXPECT_NEAR(log_gain_at[3] - log_gain_at[0], 0.5 * std::log(1.5), 1e-3) << "sigma_w2 3 against 2";
}

TEST_F(SigmaAxes, ProbeRecordsTheVariancesAndTheBiasDrawChangesTheNetwork) {
  const auto plain = probe({"--sigma-w2", "2"});
  EXPECT_EQ(plain["sigma_w2"].get<double>(), 2.0);
  EXPECT_EQ(plain["sigma_b2"].get<double>(), 0.0);
  EXPECT_NE(plain["network"].get<std::string>().find("weights N(0, 2/fan_in), biases N(0, 0)"), std::string::npos)
      << plain["network"];
  const auto biased = probe({"--sigma-w2", "2", "--sigma-b2", "0.5"});
  EXPECT_EQ(biased["sigma_b2"].get<double>(), 0.5);
  EXPECT_NE(biased["loss"].get<double>(), plain["loss"].get<double>()) << "the biases were drawn";
  const auto by_name = probe({"--init", "he_normal"});
  EXPECT_TRUE(by_name["sigma_w2"].is_null());
}

TEST_F(SigmaAxes, SweepCrossesTheVariancesInPlaceOfTheInitializer) {
  const auto r = run_cli({"sweep", "--depth", "3", "--width", "16", "--sigma-w2", "1,2", "--sigma-b2", "0,0.05",
                          "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 configurations ("), std::string::npos) << r.out;
  std::vector<std::string> ids;
  std::string line;
  std::istringstream in(read_text("r.jsonl"));
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j["init"].is_null());
    const std::string id = j["id"].get<std::string>();
    EXPECT_NE(id.find(fmt::format("sigma_w2={},sigma_b2={},norm=", j["sigma_w2"].get<double>(),
                                  j["sigma_b2"].get<double>())),
              std::string::npos)
        << id;
    EXPECT_EQ(id.find("init="), std::string::npos) << id;
    // The row is `gradlab probe` of the same network with its seed.
    const auto p = run_cli({"probe", "--depth", "3", "--width", "16", "--sigma-w2", fmt::format("{}", j["sigma_w2"].get<double>()),
                            "--sigma-b2", fmt::format("{}", j["sigma_b2"].get<double>()), "--seed",
                            std::to_string(j["seed"].get<uint64_t>()), "--json"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(j["input_grad_norm"].get<double>(), nlohmann::json::parse(p.out)["input_grad"]["l2_norm"].get<double>());
    ids.push_back(id);
  }
  EXPECT_EQ(ids.size(), 4u);

  ASSERT_EQ(run_cli({"sweep", "--depth", "3", "--width", "16", "--sigma-w2", "2", "--out", path("r.csv")}).exit_code, 0);
  const std::string csv = read_text("r.csv");
  EXPECT_NE(csv.find("\",3,16,relu,,2,0,none,none,"), std::string::npos) << csv;
  // A grid file with the same keys gives the same line.
  write_text("g.json", R"({"depth": 3, "width": 16, "sigma_w2": [2]})");
  ASSERT_EQ(run_cli({"sweep", "--grid", path("g.json"), "--out", path("g.csv")}).exit_code, 0);
  EXPECT_EQ(read_text("g.csv"), csv);
}

TEST_F(SigmaAxesBadInputs, SigmaWithInitializer) {
  expect_refused({"probe", "--init", "he_uniform", "--sigma-w2", "2"}, {"--sigma-w2", "--init"});
  expect_refused({"sweep", "--init", "he_uniform", "--sigma-w2", "2"}, {"--sigma-w2", "--init"});
  expect_refused({"probe", "--sigma-b2", "0.1"}, {"--sigma-b2 requires --sigma-w2"});
  expect_refused({"sweep", "--sigma-b2", "0.1"}, {"--sigma-b2 requires --sigma-w2"});
  expect_refused({"probe", "--sigma-w2=-1"}, {"--sigma-w2", "expected a finite number >= 0, got '-1'"});
  expect_refused({"sweep", "--sigma-w2", "1,nan"}, {"--sigma-w2", "expected a finite number >= 0, got 'nan'"});
  expect_refused({"sweep", "--sigma-w2", "1,1"}, {"'sigma_w2' lists 1 twice"});
  write_text("g.json", R"({"init": "he_uniform", "sigma_w2": [1, 2]})");
  expect_refused({"sweep", "--grid", path("g.json")}, {"keys 'init' and 'sigma_w2' exclude each other"});
  write_text("g.json", R"({"sigma_w2": ["two"]})");
  expect_refused({"sweep", "--grid", path("g.json")}, {"key 'sigma_w2' must hold numbers, got \"two\""});
}

}  // namespace
}  // namespace gradlab::cli_test
