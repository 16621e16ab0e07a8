// `gradlab probe` of recurrent networks, inline (--cell) and from specs: the time axis in JSON, text
// and CSV (the layers × time grid, gain per step, verdict in time, kernel spectra beside Pascanu et
// al. 2013's bound, gate saturation).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;
using nlohmann::json;

json probe(std::vector<std::string> args) {
  args.insert(args.begin(), "probe");
  args.push_back("--json");
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

const std::vector<std::string> kSmall = {"--time-steps", "20", "--units", "8", "--features", "4", "--batch", "4"};

std::vector<std::string> small(std::vector<std::string> args) {
  args.insert(args.end(), kSmall.begin(), kSmall.end());
  return args;
}

TEST(ProbeRecurrent, AStackOfLstmsGivesTheLayersByTimeGridBottomFirst) {
  const json j = probe(small({"--cell", "lstm", "--layers", "2"}));
  EXPECT_NE(j["network"].get<std::string>().find("2 x LSTM(8, tanh) over 20 steps, kernels glorot_uniform, recurrent orthogonal"),
            std::string::npos)
      << j["network"];
  const json& t = j["through_time"];
  ASSERT_EQ(t["layers"].size(), 2u);
  EXPECT_EQ(t["layers"][0]["layer"], "lstm1");
  EXPECT_EQ(t["layers"][1]["layer"], "lstm2");
  for (const json& layer : t["layers"]) {
    EXPECT_EQ(layer["cell"], "lstm");
    EXPECT_EQ(layer["time_steps"], 20);
    ASSERT_EQ(layer["state_grad_norm"].size(), 20u);
    EXPECT_EQ(layer["spectrum"]["gates"].size(), 4u);
    EXPECT_TRUE(layer["spectrum"]["pascanu_bound"].is_null()) << "the bound is for the plain recurrence";
    ASSERT_EQ(layer["gates"].size(), 3u);
    EXPECT_EQ(layer["gates"][1]["gate"], "f");
  }
  // The top layer returns only its last output: the loss reaches it at step 19 alone, so the
  // gradient at step 0 of the bottom layer is what crossed 20 steps and 2 layers.
  const double first = t["layers"][0]["state_grad_norm"][0], last = t["layers"][1]["state_grad_norm"][19];
  EXPECT_NEAR(t["first_to_last_ratio"].get<double>(), first / last, 1e-12 * first / last);
  EXPECT_TRUE(t["verdict"] == "vanishing" || t["verdict"] == "healthy" || t["verdict"] == "exploding");
}

// Keras's orthogonal recurrent kernel has every singular value 1, and tanh's bound 1/γ is 1: the
// bound does not guarantee vanishing. A kernel drawn from U(-0.05, 0.05) has σ_max far below 1: it does.
TEST(ProbeRecurrent, ASimpleRnnShowsItsKernelBesideTheBoundOfPascanuEtAl) {
  const json j = probe(small({"--cell", "simple_rnn", "--layers", "1"}));
  const json& layer = j["through_time"]["layers"][0];
  EXPECT_NEAR(layer["spectrum"]["gates"][0]["largest_singular_value"].get<double>(), 1.0, 1e-5);
  EXPECT_NEAR(layer["spectrum"]["gates"][0]["spectral_radius"].get<double>(), 1.0, 1e-3);
  EXPECT_EQ(layer["spectrum"]["pascanu_bound"], 1.0);
  EXPECT_EQ(layer["spectrum"]["vanishing_guaranteed"], false);
  EXPECT_TRUE(layer["gates"].empty());
  const json k = probe(small({"--cell", "simple_rnn", "--layers", "1", "--recurrent-init", "random_uniform"}));
  EXPECT_LT(k["through_time"]["layers"][0]["spectrum"]["gates"][0]["largest_singular_value"].get<double>(), 1.0);
  EXPECT_EQ(k["through_time"]["layers"][0]["spectrum"]["vanishing_guaranteed"], true);
  EXPECT_EQ(k["through_time"]["layers"][0]["verdict"], "vanishing");
}

TEST(ProbeRecurrent, ALayerNormalizedCellHasItsStateGradientsMeasured) {
  const json j = probe(small({"--cell", "simple_rnn", "--layers", "2", "--norm", "layer"}));
  ASSERT_EQ(j["through_time"]["layers"].size(), 2u);
  for (const json& layer : j["through_time"]["layers"]) {
    EXPECT_EQ(layer["layer_norm"], true);
    ASSERT_EQ(layer["state_grad_norm"].size(), 20u);
    for (const json& g : layer["state_grad_norm"]) EXPECT_GT(g.get<double>(), 0);
  }
  EXPECT_NE(j["network"].get<std::string>().find("layer norm"), std::string::npos);
}

TEST(ProbeRecurrent, TextAndCsvCarryTheTimeAxis) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("gradlab_probe_recurrent_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string grid = (dir / "grid.csv").string();
  const auto text = run_cli(small({"probe", "--cell", "gru", "--layers", "2", "--grid-csv", grid}));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("through time"), std::string::npos);
  EXPECT_NE(text.out.find("gru2"), std::string::npos);
  EXPECT_NE(text.out.find("verdict in time: "), std::string::npos) << text.out;
  std::ifstream in(grid);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "layer,cell,step,state_grad_norm");
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 40);
  const auto csv = run_cli(small({"probe", "--cell", "gru", "--layers", "2", "--csv"}));
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find(",time_steps,gain_per_step,time_first_to_last_ratio,time_verdict,"), std::string::npos);
  EXPECT_NE(csv.out.find(",gru,"), std::string::npos);
  fs::remove_all(dir);
}

TEST(ProbeRecurrent, ASpecWithRecurrentLayersGetsTheTimeAxisAndADenseOneDoesNot) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("gradlab_probe_recurrent_spec_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream((dir / "rnn.json").string()) << R"({"name": "rnn", "inputs": {"x": [12, 3]}, "layers": [
      {"name": "enc", "type": "gru", "units": 5, "return_sequences": true},
      {"name": "dec", "type": "simple_rnn", "units": 5},
      {"name": "out", "type": "dense", "units": 1}]})";
  const json j = probe({"--model", (dir / "rnn.json").string(), "--batch", "3"});
  ASSERT_EQ(j["through_time"]["layers"].size(), 2u);
  EXPECT_EQ(j["through_time"]["layers"][0]["layer"], "enc");
  EXPECT_EQ(j["through_time"]["layers"][1]["layer"], "dec");
  EXPECT_EQ(j["through_time"]["layers"][1]["state_grad_norm"].size(), 12u);
  const json d = probe({"--depth", "2", "--width", "4"});
  EXPECT_TRUE(d["through_time"].is_null());
  const auto text = run_cli({"probe", "--depth", "2", "--width", "4"});
  EXPECT_EQ(text.out.find("through time"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gradlab
