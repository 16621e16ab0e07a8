// Item 19 of issue 15: `gradlab report --model net.json` runs the remedies matrix on the user's own
// spec (its initializers and hidden activations varied, as `sweep --model` does).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "report_study.h"
#include "gradlab/io/model_spec.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;
using nlohmann::json;

// Three Dense layers of 16, 16 and 4 units (not the built-in Dense(32) stacks), a softmax output.
const char* kNet = R"({"name": "net", "inputs": {"x": [10]}, "layers": [
    {"name": "h1", "type": "dense", "units": 16, "activation": "relu"},
    {"name": "h2", "type": "dense", "units": 16, "activation": "relu"},
    {"name": "out", "type": "dense", "units": 4, "activation": "softmax"}]})";

TEST(ReportStudyOfAModel, ProbesTheSpecOncePerInitializerAndActivation) {
  cli::ReportStudyOptions options{.trials = 3, .lesson_trials = 2};
  options.initializers = {"glorot_uniform", "he_uniform"};
  options.activations = {"sigmoid", "relu"};
  options.model = std::make_shared<const ModelSpec>(parse_model_spec(kNet, "net.json"));
  int calls = 0;
  const cli::ReportStudy study = cli::run_report_study(options, [&](int64_t done, int64_t total) {
    EXPECT_EQ(total, 4);
    EXPECT_EQ(done, ++calls);
  });
  ASSERT_EQ(study.cells.size(), 4u);
  EXPECT_EQ(study.deepest().size(), 4u) << "a model has one depth: its own";
  for (const cli::RemedyCell& cell : study.cells) {
    EXPECT_EQ(cell.config.model, "net");
    EXPECT_EQ(cell.depth, 3) << "the spec's three Dense layers, not a built-in depth";
    std::vector<std::string> layers;
    for (const auto& call : cell.first.pass.layers) layers.push_back(call.layer);
    EXPECT_EQ(layers, (std::vector<std::string>{"h1", "h2", "out"}));
    // The variant replaces the hidden activations and keeps the output's softmax.
    EXPECT_EQ(cell.first.pass.layers[0].activation, cell.config.activation);
    EXPECT_EQ(cell.first.pass.layers[2].activation, "softmax");
  }
  EXPECT_EQ(study.cells[1].config.initializer, "glorot_uniform");
  EXPECT_EQ(study.cells[1].config.activation, "relu");
  // Sigmoid and relu variants of the same spec are different networks with different gradients.
  EXPECT_NE(study.cells[0].input_grad_median, study.cells[1].input_grad_median);
}

class ReportModel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_report_model_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(path("net.json")) << kNet;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a{"report", "--initializers", "he_uniform,glorot_uniform", "--activations", "tanh,relu",
                               "--trials", "2", "--lesson-trials", "2", "--no-training", "--recurrent-trials", "0", "--no-trainability",
                               "--no-edge", "--no-adding-problem", "--no-conv"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  fs::path dir_;
};

TEST_F(ReportModel, RunsTheMatrixOnTheUsersSpec) {
  const auto r = run_cli(args({"--model", path("net.json"), "--out", path("r.html")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("which initializers and activations keep the gradients of model net healthy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Model net (3 layers with kernels)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Dense(32) stacks"), std::string::npos) << "the built-in stacks are not what ran";
  EXPECT_EQ(r.out.find("plain sigmoid stack"), std::string::npos) << "the lesson's story is about the built-in stacks";
  const std::string html = slurp(path("r.html"));
  EXPECT_NE(html.find("At a glance: which initializers and activations keep the gradients of net healthy"), std::string::npos);
  EXPECT_NE(html.find("Layer by layer: net"), std::string::npos);
  EXPECT_EQ(html.find("Input-gradient norm against depth"), std::string::npos);

  const auto j = run_cli(args({"--model", path("net.json"), "--out", path("r2.html"), "--json"}));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const json summary = json::parse(j.out);
  EXPECT_EQ(summary["model"], "net");
  ASSERT_EQ(summary["cells"].size(), 4u);
  EXPECT_EQ(summary["cells"][0]["model"], "net");
  EXPECT_EQ(summary["cells"][0]["depth"], 3);
}

TEST_F(ReportModel, AKerasFileWorksToo) {
  const std::string keras = (fs::path(GRADLAB_SOURCE_DIR) / "tests" / "io" / "data" / "keras" / "keras24_sequential_abalone.json").string();
  const auto r = run_cli(args({"--model", keras, "--out", path("r.html"), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["cells"][0]["depth"], 2);
}

TEST_F(ReportModel, OptionsOfTheBuiltInStacksAndSpecsWithoutVariantsAreBadUsage) {
  const auto depth = run_cli(args({"--model", path("net.json"), "--depth", "4", "--out", path("r.html")}));
  EXPECT_EQ(depth.exit_code, 2) << depth.err;
  std::ofstream(path("linear.json")) << R"({"inputs": {"x": [3]}, "layers": [{"type": "dense", "units": 2}]})";
  const auto linear = run_cli(args({"--model", path("linear.json"), "--out", path("r.html")}));
  EXPECT_EQ(linear.exit_code, 2);
  EXPECT_NE(linear.err.find("has no hidden activation"), std::string::npos) << linear.err;
  EXPECT_FALSE(fs::exists(path("r.html")));
}

}  // namespace
}  // namespace gradlab
