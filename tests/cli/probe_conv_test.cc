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
  EXPECT_EQ(row["id"], "model=conv3_identity_batch,init=he_normal,activation=tanh,batch=4,dtype=float64,trial=0");
  const json p = probe(with(variant, {"--seed", std::to_string(row["seed"].get<uint64_t>())}));
  EXPECT_EQ(row["input_grad_norm"].get<double>(), p["input_grad"]["l2_norm"].get<double>());
  EXPECT_EQ(row["verdict"], p["summary"]["verdict"]);
}

TEST_F(SweepConv, SeveralNetworksInOneSweepEachRowTheProbeOfItsNetwork) {
  // 2 depths x 2 skips x 2 norms, depth-major: 8 networks, each its own name in the ids.
  const std::vector<std::string> network{"--conv", "--filters", "4", "--image", "6,6,1", "--batch", "4", "--init", "he_normal"};
  const std::vector<std::string> networks{"--depth", "2,3", "--skip", "none,identity", "--norm", "none,instance"};
  const auto r = run_cli(with(with(with({"sweep"}, network), networks), {"--out", path("r.jsonl")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("8 configurations"), std::string::npos) << r.out;
  std::vector<std::string> ids;
  for (const std::string& line : cli_test::sorted_lines(read_text("r.jsonl"))) ids.push_back(json::parse(line)["id"]);
  const std::vector<std::string> expected{"model=conv2_identity_instance,init=he_normal,batch=4,trial=0",
                                          "model=conv2_identity_none,init=he_normal,batch=4,trial=0",
                                          "model=conv2_none_instance,init=he_normal,batch=4,trial=0",
                                          "model=conv2_none_none,init=he_normal,batch=4,trial=0",
                                          "model=conv3_identity_instance,init=he_normal,batch=4,trial=0",
                                          "model=conv3_identity_none,init=he_normal,batch=4,trial=0",
                                          "model=conv3_none_instance,init=he_normal,batch=4,trial=0",
                                          "model=conv3_none_none,init=he_normal,batch=4,trial=0"};
  EXPECT_EQ(ids, expected);
  // Resumed, each line is checked against its own network's spec digest, and nothing is redone.
  const std::string full = read_text("r.jsonl");
  const auto resumed = run_cli(with(with(with({"sweep"}, network), networks), {"--out", path("r.jsonl"), "--resume"}));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(read_text("r.jsonl"), full);
  // A row of a network other than the first is that network's probe with the row's seed.
  for (const std::string& line : cli_test::sorted_lines(full)) {
    const json row = json::parse(line);
    if (row["id"] != "model=conv2_none_instance,init=he_normal,batch=4,trial=0") continue;
    const auto p = run_cli(with(with({"probe", "--json"}, network),
                                {"--depth", "2", "--norm", "instance", "--seed", std::to_string(row["seed"].get<uint64_t>())}));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(row["input_grad_norm"].get<double>(), json::parse(p.out)["input_grad"]["l2_norm"].get<double>());
  }
}

TEST_F(SweepConv, NoDenseOptions) {
  EXPECT_EQ(run_cli({"sweep", "--conv", "--width", "8"}).exit_code, 2);
  EXPECT_EQ(run_cli({"probe", "--conv", "--cell", "lstm"}).exit_code, 2);
  EXPECT_EQ(run_cli({"probe", "--filters", "8"}).exit_code, 2);  // --filters needs --conv
  EXPECT_EQ(run_cli({"probe", "--conv", "--image", "28,28"}).exit_code, 2);
}

}  // namespace
}  // namespace gradlab
