// `gradlab probe --conv` and `gradlab sweep --conv`: the inline convolutional network is probed
// layer by layer (channels as units), instance normalization passes gradient on images where it
// passes none on vectors, a sweep row is reproduced by probe, and what --conv cannot do exits 2.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sweep_test_support.h"

namespace gradlab {
namespace {

using cli_test::run_cli;
using nlohmann::json;

const std::vector<std::string> kSmall{"--conv", "--depth", "3", "--filters", "4", "--image", "6,6,1", "--batch", "4"};

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

json probe(const std::vector<std::string>& extra) {
  const auto r = run_cli(with(with({"probe", "--json"}, kSmall), extra));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? json::parse(r.out) : json();
}

TEST(ProbeConv, ProbesEachConvolutionWithItsFiltersAsUnits) {
  const json p = probe({"--norm", "group", "--skip", "identity"});
  EXPECT_NE(p["network"].get<std::string>().find("3 x Conv2D(4, 3x3, relu) on 6x6x1"), std::string::npos) << p["network"];
  int convs = 0;
  for (const json& layer : p["layers"]) {
    if (layer["type"] != "conv2d") continue;
    ++convs;
    EXPECT_EQ(layer["output_shape"], "[4, 6, 6, 4]") << layer.dump();
  }
  EXPECT_EQ(convs, 3);
  // Dead filters are measured on the relu activation layers (a filter is a unit).
  bool dead_measured = false;
  for (const json& layer : p["layers"]) dead_measured |= layer["type"] == "activation" && layer["dead_fraction"].is_number();
  EXPECT_TRUE(dead_measured) << p.dump();
  EXPECT_GT(p["input_grad"]["l2_norm"].get<double>(), 0.0);
}

TEST(ProbeConv, InstanceNormPassesGradientOnImages) {
  // On [batch, features] vectors it passes none (ProbeInstanceNorm); on images it normalizes each
  // channel over 36 positions.
  EXPECT_GT(probe({"--norm", "instance"})["input_grad"]["l2_norm"].get<double>(), 0.0);
}

class SweepConv : public cli_test::SweepCliTest {};

TEST_F(SweepConv, ARowIsReproducedByProbeWithTheSameSeed) {
  const std::vector<std::string> variant{"--norm", "batch", "--skip", "identity", "--init", "he_normal",
                                         "--activation", "tanh", "--dtype", "float64"};
  ASSERT_EQ(run_cli(with(with(with({"sweep"}, kSmall), variant), {"--out", path("r.jsonl")})).exit_code, 0);
  const json row = json::parse(read_text("r.jsonl"));
  EXPECT_EQ(row["id"], "model=conv_network,init=he_normal,activation=tanh,batch=4,dtype=float64,trial=0");
  const json p = probe(with(variant, {"--seed", std::to_string(row["seed"].get<uint64_t>())}));
  EXPECT_EQ(row["input_grad_norm"].get<double>(), p["input_grad"]["l2_norm"].get<double>());
  EXPECT_EQ(row["verdict"], p["summary"]["verdict"]);
}

TEST_F(SweepConv, OneNetworkPerSweepAndNoDenseOptions) {
  const auto several = run_cli(with(with({"sweep"}, kSmall), {"--depth", "3,6"}));
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_NE(several.err.find("--conv sweeps one network"), std::string::npos) << several.err;
  EXPECT_EQ(run_cli({"sweep", "--conv", "--width", "8"}).exit_code, 2);
  EXPECT_EQ(run_cli({"probe", "--conv", "--cell", "lstm"}).exit_code, 2);
  EXPECT_EQ(run_cli({"probe", "--filters", "8"}).exit_code, 2);  // --filters needs --conv
  EXPECT_EQ(run_cli({"probe", "--conv", "--image", "28,28"}).exit_code, 2);
}

}  // namespace
}  // namespace gradlab
