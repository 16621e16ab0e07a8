// `gradlab probe` end to end: the table, JSON and CSV forms, spec files, float32 underflow, anomalies
// and the exit status of bad usage.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;
using nlohmann::json;

class ProbeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_probe_command_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(path("m.json")) << R"({"name": "m", "inputs": {"x": [3]}, "layers": [
        {"name": "d1", "type": "dense", "units": 4, "activation": "tanh"},
        {"name": "d2", "type": "dense", "units": 4, "activation": "relu"},
        {"name": "d3", "type": "dense", "units": 2}]})";
    TensorFile input;
    input.add("x", from_values({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}));
    write_safetensors(path("x.safetensors"), input);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

json probe_json(std::vector<std::string> args) {
  args.insert(args.begin(), "probe");
  args.push_back("--json");
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

void expect_usage_error(std::vector<std::string> args, const std::string& mentions) {
  args.insert(args.begin(), "probe");
  const auto r = run_cli(args);
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  EXPECT_EQ(r.exit_code, 2) << "gradlab" << cmd << "\n" << r.err;
  EXPECT_NE(r.err.find(mentions), std::string::npos) << "gradlab" << cmd << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(ProbeCommand, TableHasARowAndABarPerLayerThenTheVerdict) {
  const auto r = run_cli({"probe", "--depth", "6", "--width", "16", "--activation", "tanh", "--batch", "8", "--features", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int k = 1; k <= 6; ++k) {
    const std::string row = "\n  layer" + std::to_string(k) + " ";
    const std::size_t at = r.out.find(row);
    ASSERT_NE(at, std::string::npos) << row << "\n" << r.out;
    const std::string line = r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
    EXPECT_NE(line.find("\u2588"), std::string::npos) << line;
  }
  EXPECT_NE(r.out.find("mean gain per layer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anomaly: none"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

// Item 5 of issue 15: the bar was scaled from the pass's smallest to its largest norm, so a 2x spread
// filled the whole width. Now the largest norm fills it and each decade below takes a fixed number of
// blocks off (4, fewer only when the pass spans more decades than the bar holds), as the legend says.
TEST_F(ProbeCommand, LogBarHasAFixedScaleOfBlocksPerDecade) {
  const auto r = run_cli({"probe", "--depth", "6", "--width", "16", "--activation", "tanh", "--batch", "8", "--features", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t legend = r.out.find("  bar: full width = ");
  ASSERT_NE(legend, std::string::npos) << r.out;
  double blocks_per_decade = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str() + r.out.find("; each ", legend) + 7, "%lf", &blocks_per_decade), 1);
  EXPECT_LE(blocks_per_decade, 4);
  std::vector<std::pair<double, int>> rows;  // |dL/d in| and its bar's blocks
  for (int k = 1; k <= 6; ++k) {
    const std::size_t at = r.out.find("\n  layer" + std::to_string(k) + " ");
    std::istringstream line(r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1));
    std::vector<std::string> tokens{std::istream_iterator<std::string>(line), std::istream_iterator<std::string>()};
    ASSERT_GE(tokens.size(), 4u);
    rows.emplace_back(std::stod(tokens[tokens.size() - 3]), static_cast<int>(tokens.back().size() / 3));
  }
  double largest = 0;
  for (const auto& [norm, blocks] : rows) largest = std::max(largest, norm);
  for (const auto& [norm, blocks] : rows) {
    // The printed norms have 3 significant digits: allow one block of rounding.
    EXPECT_NEAR(blocks, 40 - std::log10(largest / norm) * blocks_per_decade, 1.0) << norm;
  }
}

TEST_F(ProbeCommand, JsonParsesAndAgreesWithTheVerdicts) {
  const json vanishing = probe_json({"--depth", "30", "--width", "64", "--activation", "sigmoid", "--dtype", "float64"});
  EXPECT_EQ(vanishing["command"], "probe");
  EXPECT_EQ(vanishing["dtype"], "float64");
  ASSERT_EQ(vanishing["layers"].size(), 30u);
  EXPECT_EQ(vanishing["layers"][0]["layer"], "layer1");
  EXPECT_EQ(vanishing["layers"][0]["activation"], "sigmoid");
  EXPECT_EQ(vanishing["summary"]["verdict"], "vanishing");
  EXPECT_EQ(vanishing["summary"]["grad_norms"][0], vanishing["input_grad"]["l2_norm"]);
  EXPECT_TRUE(vanishing["anomaly"].is_null());

  const json healthy = probe_json({"--depth", "10", "--width", "128", "--init", "he_uniform", "--seed", "3"});
  EXPECT_EQ(healthy["summary"]["verdict"], "healthy") << healthy["summary"]["reason"];
  EXPECT_EQ(healthy["mode"], "training");
  EXPECT_TRUE(healthy["layers"][0]["output"]["silent_fraction"].is_number());
  EXPECT_TRUE(healthy["layers"][0]["dead_fraction"].is_number());
  // The default: 8 batches of the drawn input's 32 rows.
  EXPECT_EQ(healthy["dead_units"]["examples"], 256);
  EXPECT_EQ(healthy["dead_units"]["batches"], 8);
  EXPECT_TRUE(healthy["layers"][0]["output"]["saturated_fraction"].is_null());
  ASSERT_EQ(healthy["layers"][0]["variables"].size(), 2u);
  EXPECT_EQ(healthy["layers"][0]["variables"][0]["name"], "layer1/kernel");

  // Same seed, same figures.
  EXPECT_EQ(probe_json({"--depth", "10", "--width", "128", "--init", "he_uniform", "--seed", "3"})["layers"], healthy["layers"]);
}

TEST_F(ProbeCommand, NormalizationAndSkipsAddTheirLayers) {
  const json j = probe_json({"--depth", "4", "--width", "16", "--activation", "tanh", "--norm", "group", "--skip", "concat"});
  ASSERT_EQ(j["layers"].size(), 4u * 3 + 0);
  EXPECT_EQ(j["layers"][1]["type"], "group_normalization");
  EXPECT_EQ(j["layers"][2]["type"], "activation");
  EXPECT_EQ(j["summary"]["depth_layers"].size(), 4u);
}

// Issue 16, item 3: q, c and the gain per weight layer in every form, and the mean-field theory's
// values beside them for a fully connected network with Gaussian weights (--sigma-w2).
TEST_F(ProbeCommand, TheTheoryIsPrintedBesideTheSignalOfAGaussianNetwork) {
  const std::vector<std::string> at_point{"probe", "--depth", "6", "--width", "64", "--activation", "tanh", "--sigma-w2",
                                          "1.5", "--sigma-b2", "0.05", "--probe-loss", "random_projection"};
  auto with = [](std::vector<std::string> args, const std::string& extra) {
    args.push_back(extra);
    return args;
  };
  const auto j = json::parse(run_cli(with(at_point, "--json")).out);
  const json& signal = j["signal"];
  ASSERT_EQ(signal["layers"].size(), 6u);
  const double q0 = signal["input"]["q"].get<double>();
  // The first layer's prediction is sigma_w2 q^0 + sigma_b2 of the measured input (Poole et al. 2016, eq. 3).
  EXPECT_NEAR(signal["layers"][0]["theory"]["q"].get<double>(), 1.5 * q0 + 0.05, 1e-12);
  EXPECT_NEAR(signal["layers"][0]["measured"]["q"].get<double>() / (1.5 * q0 + 0.05), 1.0, 0.5);
  EXPECT_TRUE(signal["layers"][5]["gain"].is_null()) << "the last layer has no next layer";
  EXPECT_EQ(signal["theory"]["phase"], "ordered");
  EXPECT_NEAR(signal["theory"]["chi_1"].get<double>(), 0.9386, 1e-4);  // gradlab theory at this point
  EXPECT_EQ(j["summary"]["layer_gains"].size(), 6u);

  const std::string text = run_cli(at_point).out;
  EXPECT_NE(text.find("q theory"), std::string::npos) << text;
  EXPECT_NE(text.find("mean-field theory (Poole et al. 2016; Schoenholz et al. 2017): q* = 0.418, chi_1 = 0.9386"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("outside the theory's gradient independence assumption"), std::string::npos) << text;
  const std::string csv = run_cli(with(at_point, "--csv")).out;
  EXPECT_NE(csv.find(",q,c,gain,q_theory,c_theory,gain_theory,"), std::string::npos) << csv;

  // The lesson's loss is named as outside the theory's assumption.
  std::vector<std::string> mean_loss = at_point;
  mean_loss.back() = "mean";
  EXPECT_NE(run_cli(mean_loss).out.find("outside the theory's gradient independence assumption"), std::string::npos);
  // A network initialized by name is measured, without the theory.
  const auto by_name = json::parse(run_cli({"probe", "--depth", "3", "--json"}).out);
  EXPECT_TRUE(by_name["signal"]["theory"].is_null());
  EXPECT_TRUE(by_name["signal"]["layers"][0]["theory"].is_null());
  EXPECT_TRUE(by_name["signal"]["layers"][0]["measured"]["q"].is_number());
  EXPECT_EQ(run_cli({"probe", "--depth", "3"}).out.find("q theory"), std::string::npos);
}

TEST_F(ProbeCommand, CsvHasAHeaderAndOneRowPerLayerCall) {
  const auto r = run_cli({"probe", "--depth", "5", "--csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u) << r.out;
  EXPECT_EQ(lines[0].rfind("index,layer,type,activation,output_shape,mean,std", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(",zero_fraction,silent_fraction,dead_fraction,saturated_fraction,"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1].rfind("0,layer1,dense,relu,\"[32, 32]\",", 0), 0u) << lines[1];
  const auto commas = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
  // The quoted shape holds one comma more than the header counts.
  for (std::size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(commas(lines[i]), commas(lines[0]) + 1) << lines[i];
}

TEST_F(ProbeCommand, OutWritesTheFileInsteadOfStandardOutput) {
  const auto r = run_cli({"probe", "--depth", "3", "--json", "--out", path("p.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  std::ifstream in(path("p.json"));
  const json j = json::parse(in);
  EXPECT_EQ(j["layers"].size(), 3u);
}

TEST_F(ProbeCommand, ProbesASpecFileWithItsInput) {
  const json j = probe_json({"--model", path("m.json"), "--input", path("x.safetensors"), "--seed", "2"});
  ASSERT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][1]["layer"], "d2");
  EXPECT_EQ(j["layers"][0]["output_shape"], "[2, 4]");
  EXPECT_TRUE(j["layers"][0]["input_grad"]["l2_norm"].is_number());
  ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--seed", "4", "--out", path("w.safetensors")}).exit_code, 0);
  const json w = probe_json({"--model", path("m.json"), "--weights", path("w.safetensors"), "--dtype", "float64"});
  EXPECT_EQ(w["dtype"], "float64");
  EXPECT_EQ(w["layers"][0]["output_shape"], "[32, 4]");
}

TEST_F(ProbeCommand, SaysWhenFloat32UnderflowsAndFloat64MeasuresIt) {
  const std::vector<std::string> deep{"probe", "--depth", "90", "--activation", "sigmoid"};
  const auto f32 = run_cli(deep);
  ASSERT_EQ(f32.exit_code, 0) << f32.err;
  EXPECT_NE(f32.out.find("float32 underflowed"), std::string::npos) << f32.out;
  EXPECT_NE(f32.out.find("--dtype float64"), std::string::npos) << f32.out;

  std::vector<std::string> with64 = deep;
  with64.insert(with64.end(), {"--dtype", "float64"});
  const auto f64 = run_cli(with64);
  ASSERT_EQ(f64.exit_code, 0) << f64.err;
  EXPECT_NE(f64.out.find("float32 would underflow"), std::string::npos) << f64.out;
  EXPECT_EQ(f64.out.find("no gradient reaches"), std::string::npos) << f64.out;

  const auto shallow = run_cli({"probe", "--depth", "8", "--activation", "sigmoid"});
  EXPECT_NE(shallow.out.find("underflow: none"), std::string::npos) << shallow.out;
}

TEST_F(ProbeCommand, ReportsTheFirstAnomalyWithItsLayerAndOp) {
  // ok outputs 4 per unit; boom's 4 * 4e38 overflows float32.
  std::ofstream(path("big.json")) << R"({"name": "big", "inputs": {"x": [4]}, "layers": [
      {"name": "ok", "type": "dense", "units": 4, "kernel_initializer": {"name": "constant", "value": 1.0}},
      {"name": "boom", "type": "dense", "units": 4, "kernel_initializer": {"name": "constant", "value": 1e38}},
      {"name": "after", "type": "dense", "units": 4}]})";
  TensorFile ones;
  ones.add("x", full({2, 4}, 1.0));
  write_safetensors(path("ones.safetensors"), ones);
  const auto r = run_cli({"probe", "--model", path("big.json"), "--input", path("ones.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("anomaly: step 0, forward: layer 'boom'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: EXPLODING"), std::string::npos) << r.out;
  const json j = probe_json({"--model", path("big.json"), "--input", path("ones.safetensors")});
  EXPECT_EQ(j["anomaly"]["layer"], "boom");
  EXPECT_EQ(j["anomaly"]["phase"], "forward");
  EXPECT_EQ(j["anomaly"]["first_value"], "inf");
}

TEST_F(ProbeCommand, BadUsageExitsWithTwo) {
  expect_usage_error({"--depth", "0"}, "--depth");
  expect_usage_error({"--activation", "sigmoidal"}, "sigmoidal");
  expect_usage_error({"--norm", "weight"}, "--norm");
  expect_usage_error({"--skip", "dense"}, "--skip");
  expect_usage_error({"--init", "nope"}, "--init");
  expect_usage_error({"--input-dist", "cauchy"}, "--input-dist");
  expect_usage_error({"--dtype", "float16"}, "--dtype");
  expect_usage_error({"--seed", "-1"}, "--seed");
  expect_usage_error({"--json", "--csv"}, "--csv");
  expect_usage_error({"--weights", "w.safetensors"}, "--model");
  expect_usage_error({"--model", path("m.json"), "--depth", "5"}, "--depth");
  expect_usage_error({"--input", path("x.safetensors"), "--batch", "5"}, "--batch");
  expect_usage_error({"--trainable-depth-scales", "0"}, "--trainable-depth-scales");
  // The fixed first/last bounds are gone: the verdict rests on the depth scale (issue 16, item 4).
  expect_usage_error({"--vanishing-ratio", "0.01"}, "--vanishing-ratio");
  expect_usage_error({"--model", path("missing.json")}, "missing.json");
  expect_usage_error({"--model", path("m.json"), "--input", path("missing.safetensors")}, "missing.safetensors");
  expect_usage_error({"--dead-batches", "0"}, "--dead-batches");
  // The Jacobian spectrum is taken of the plain inline Dense stack only, and up to 1024 units.
  expect_usage_error({"--jacobian-spectrum", "--skip", "residual"}, "--jacobian-spectrum");
  expect_usage_error({"--jacobian-spectrum", "--norm", "layer"}, "--jacobian-spectrum");
  expect_usage_error({"--jacobian-spectrum", "--cell", "lstm"}, "--jacobian-spectrum");
  expect_usage_error({"--jacobian-spectrum", "--model", path("m.json")}, "--jacobian-spectrum");
  expect_usage_error({"--jacobian-spectrum", "--width", "1025"}, "--jacobian-spectrum");
  expect_usage_error({"--jacobian-spectrum", "--features", "2000"}, "--jacobian-spectrum");
}

// Issue 16, item 7: the singular values of the inline network's Jacobian, with the theory's mean
// beside them when the network is built at a point (sigma_w2, sigma_b2). A linear stack of width 16
// with sigma_w2 = 1 on 16 features: the measured mean s^2 of one network and the theory's product
// chi^L = 1 agree within the finite-width spread (relative std about sqrt(L * 2 / N^2)), and the
// deepest depth is the network's.
TEST_F(ProbeCommand, JacobianSpectrumAtDoublingDepthsBesideTheTheory) {
  const auto r = run_cli({"probe", "--depth", "6", "--width", "16", "--features", "16", "--activation", "linear",
                          "--sigma-w2", "1", "--jacobian-spectrum", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out)["jacobian_spectrum"];
  ASSERT_EQ(j["depths"].size(), 4u) << r.out;  // 1, 2, 4, 6
  EXPECT_EQ(j["depths"][3]["depth"], 6);
  EXPECT_EQ(j["depths"][3]["singular_values"].size(), 16u);
  for (const auto& d : j["depths"]) {
    EXPECT_NEAR(d["predicted_mean_squared"].get<double>(), 1.0, 1e-12);
    double mean = 0;
    for (const auto& v : d["singular_values"]) mean += v.get<double>() * v.get<double>() / 16;
    EXPECT_NEAR(d["mean_squared"].get<double>(), mean, 1e-12);
  }
  const auto text = run_cli({"probe", "--depth", "6", "--width", "16", "--features", "16", "--activation", "relu",
                             "--jacobian-spectrum"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Jacobian spectrum (Pennington, Schoenholz & Ganguli 2017)"), std::string::npos) << text.out;
  // relu zeroes the rows of silent units: some singular values are 0, and the reading says so.
  EXPECT_NE(text.out.find("at depth 6: J is rank-deficient (sigma_min = 0)"), std::string::npos) << text.out;
  EXPECT_TRUE(nlohmann::json::parse(run_cli({"probe", "--depth", "3", "--json"}).out)["jacobian_spectrum"].is_null());
}

// Issue 14, item 9: dead units over several batches (or the given examples), the per-batch figure
// beside them under its own name.
TEST_F(ProbeCommand, DeadUnitsAreMeasuredOverTheDeadBatchesOrTheGivenExamples) {
  const auto two = run_cli({"probe", "--depth", "6", "--width", "16", "--init", "glorot_uniform", "--dead-batches", "2",
                            "--json"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  const json j = json::parse(two.out);
  EXPECT_EQ(j["dead_units"]["examples"], 64);
  EXPECT_EQ(j["dead_units"]["batches"], 2);
  // Over more examples a unit can only come alive: never more dead than silent on the probed batch.
  for (const json& layer : j["layers"]) {
    EXPECT_LE(layer["dead_fraction"].get<double>(), layer["output"]["silent_fraction"].get<double>()) << layer.dump();
  }
  const auto text = run_cli({"probe", "--depth", "6", "--width", "16", "--init", "glorot_uniform"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("silent  dead/256"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(above 10% of units 0 for all 256 examples, 8 batches; Lu et al. 2019)"), std::string::npos)
      << text.out;
  // A sigmoid stack has no relu units: no measurement, no summary line.
  const auto sigmoid = run_cli({"probe", "--depth", "4", "--activation", "sigmoid"});
  EXPECT_EQ(sigmoid.out.find("dead units begin"), std::string::npos) << sigmoid.out;
  // Given inputs: over those examples, once.
  const std::string csv = path("x.csv");
  {
    std::ofstream f(csv);
    f << "a,b,y\n";
    for (int i = 0; i < 40; ++i) f << i * 0.1 << "," << 1 - i * 0.05 << "," << i % 2 << "\n";
  }
  const auto data = run_cli({"probe", "--depth", "3", "--width", "8", "--data", csv, "--label-column", "y", "--json"});
  ASSERT_EQ(data.exit_code, 0) << data.err;
  const json d = json::parse(data.out);
  EXPECT_EQ(d["dead_units"]["batches"], 1);
  EXPECT_EQ(d["dead_units"]["examples"], d["layers"][0]["output"]["count"].get<int64_t>() / 8);
  for (const json& layer : d["layers"]) EXPECT_EQ(layer["dead_fraction"], layer["output"]["silent_fraction"]);
}

TEST_F(ProbeCommand, ProbeLossAutoProjectsWhereBatchNormalizationTrainsAndIsNamed) {
  const std::vector<std::string> bn_linear{"--depth", "3", "--width", "8", "--batch", "8", "--norm", "batch",
                                           "--activation", "linear"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = bn_linear;
    args.insert(args.end(), extra.begin(), extra.end());
    return probe_json(args);
  };
  const json automatic = with({}), by_mean = with({"--probe-loss", "mean"});
  EXPECT_EQ(automatic["probe_loss"], "random_projection");
  EXPECT_EQ(with({"--mode", "inference"})["probe_loss"], "mean");
  EXPECT_EQ(probe_json({"--depth", "3"})["probe_loss"], "mean") << "no batch normalization";
  EXPECT_EQ(by_mean["probe_loss"], "mean");
  // Mean's constant gradient is removed by training-mode batch normalization (Ioffe & Szegedy 2015).
  EXPECT_LT(by_mean["input_grad"]["l2_norm"].get<double>(), 1e-4 * automatic["input_grad"]["l2_norm"].get<double>());
  const auto text = run_cli({"probe", "--depth", "2", "--norm", "batch"});
  EXPECT_NE(text.out.find("loss mean(output * R), R ~ N(0, 1) fixed by the seed = "), std::string::npos) << text.out;
  expect_usage_error({"--probe-loss", "sum"}, "--probe-loss");
}

TEST_F(ProbeCommand, SpreadAcrossExamplesIsPrintedAndTheCollapseSentenceOnlyWhenMeasured) {
  const json j = probe_json({"--depth", "4"});
  for (const auto& layer : j["layers"]) EXPECT_GT(layer["std_across_examples"].get<double>(), 0.0) << layer["layer"];
  // Seed 0: the 32-layer sigmoid stack's output varies far less than 1/100 of layer 1's between
  // examples; the 4-layer relu stack's does not, and gets no such sentence.
  const auto deep = run_cli({"probe", "--depth", "32", "--activation", "sigmoid"});
  EXPECT_NE(deep.out.find("the forward signal collapsed toward one output for every input"), std::string::npos) << deep.out;
  const auto shallow = run_cli({"probe", "--depth", "4"});
  EXPECT_NE(shallow.out.find("spread across examples"), std::string::npos) << shallow.out;
  EXPECT_EQ(shallow.out.find("collapsed"), std::string::npos) << shallow.out;
}

TEST_F(ProbeCommand, IdentitySkipIsASkipKind) {
  const json identity = probe_json({"--depth", "32", "--skip", "identity", "--activation", "sigmoid"});
  const json plain = probe_json({"--depth", "32", "--activation", "sigmoid"});
  EXPECT_NE(identity["network"].get<std::string>().find("identity skip"), std::string::npos) << identity["network"];
  // Seed 0, one draw each: x + F(x) keeps the input gradient the plain sigmoid stack loses (He et al. 2016).
  EXPECT_GT(identity["input_grad"]["l2_norm"].get<double>(), 1e6 * plain["input_grad"]["l2_norm"].get<double>());
  EXPECT_EQ(identity["summary"]["verdict"], "healthy");
}

}  // namespace
}  // namespace gradlab
