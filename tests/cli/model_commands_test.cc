// `gradlab init` and `gradlab gradients` as a user runs them: files in, files out, exit statuses.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

class ModelCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_model_commands_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(path("m.json")) << R"({"name": "m", "inputs": {"x": [3]}, "layers": [
        {"name": "d1", "type": "dense", "units": 4, "activation": "tanh"},
        {"name": "d2", "type": "dense", "units": 2}]})";
    TensorFile input;
    input.add("x", from_values({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}));
    write_safetensors(path("x.safetensors"), input);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
  fs::path dir_;
};

TEST_F(ModelCommands, InitWritesEveryVariableDeterministically) {
  auto r = run_cli({"init", "--model", path("m.json"), "--seed", "5", "--out", path("w.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 variables"), std::string::npos) << r.out;
  TensorFile w = read_safetensors(path("w.safetensors"));
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w.get("d1/kernel").shape(), (Shape{3, 4}));
  EXPECT_EQ(w.get("d2/bias").to_vector(), (std::vector<double>{0, 0}));
  EXPECT_EQ(w.get("d1/kernel").dtype(), DType::float32);
  // Same seed, same bytes; another seed, other weights.
  run_cli({"init", "--model", path("m.json"), "--seed", "5", "--out", path("w2.safetensors")});
  run_cli({"init", "--model", path("m.json"), "--seed", "6", "--out", path("w3.safetensors")});
  EXPECT_EQ(read_safetensors(path("w2.safetensors")).get("d1/kernel").to_vector(), w.get("d1/kernel").to_vector());
  EXPECT_NE(read_safetensors(path("w3.safetensors")).get("d1/kernel").to_vector(), w.get("d1/kernel").to_vector());
  ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--dtype", "float64", "--out", path("w64.safetensors")}).exit_code, 0);
  EXPECT_EQ(read_safetensors(path("w64.safetensors")).get("d1/kernel").dtype(), DType::float64);
}

// Item 16 of issue 15: a depth-20 variant is one repeat block, and `gradlab summary` shows what it built.
TEST_F(ModelCommands, SummaryPrintsLayersShapesAndParametersOfARepeatedBlock) {
  std::ofstream(path("deep.json")) << R"({"name": "deep", "inputs": {"x": [4]}, "layers": [
      {"repeat": 20, "layers": [{"name": "hidden", "type": "dense", "units": 8, "activation": "relu"}]},
      {"name": "out", "type": "dense", "units": 2}]})";
  const auto r = run_cli({"summary", "--model", path("deep.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* layer : {"hidden_1 (Dense)", "hidden_20 (Dense)", "out (Dense)"}) {
    EXPECT_NE(r.out.find(layer), std::string::npos) << layer << "\n" << r.out;
  }
  EXPECT_EQ(r.out.find("hidden_21"), std::string::npos) << r.out;
  // (4 * 8 + 8) + 19 * (8 * 8 + 8) + (8 * 2 + 2) parameters, written as Keras writes them.
  EXPECT_NE(r.out.find("Total params: 1,426\n"), std::string::npos) << r.out;
  const auto bad = run_cli({"summary", "--model", path("missing.json")});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(ModelCommands, GradientsWritesLossOutputsAndGradients) {
  ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--out", path("w.safetensors")}).exit_code, 0);
  auto r = run_cli({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                    path("x.safetensors"), "--loss", "sum", "--out", path("g.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("d1/kernel"), std::string::npos) << "prints the per-layer table:\n" << r.out;
  TensorFile g = read_safetensors(path("g.safetensors"));
  std::vector<std::string> names;
  for (const auto& [name, t] : g.tensors()) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"loss", "output/d2", "grad/input/x", "grad/d1/kernel", "grad/d1/bias",
                                             "grad/d2/kernel", "grad/d2/bias"}));
  double total = 0;
  for (double v : g.get("output/d2").to_vector()) total += v;
  EXPECT_NEAR(g.get("loss").item(), total, 1e-5) << "--loss sum adds every output element";
  // d loss / d d2/bias with a sum loss is the batch size, for each unit.
  EXPECT_EQ(g.get("grad/d2/bias").to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(g.metadata.at("loss"), "sum");

  auto quiet = run_cli({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                        path("x.safetensors"), "--quiet", "--out", path("g2.safetensors")});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.out, "");
}

TEST_F(ModelCommands, BadFilesExitTwoNamingTheFileAndLeaveNoOutput) {
  ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--out", path("w.safetensors")}).exit_code, 0);
  std::ofstream(path("bad.json")) << R"({"inputs": {"x": [3]}, "layers": [{"type": "dense", "unitz": 4}]})";
  std::ofstream(path("trunc.safetensors")) << "\x10\x00\x00";
  const auto before = files();

  auto bad_spec = run_cli({"init", "--model", path("bad.json"), "--out", path("o.safetensors")});
  EXPECT_EQ(bad_spec.exit_code, 2);
  EXPECT_NE(bad_spec.err.find("unknown key 'unitz'"), std::string::npos) << bad_spec.err;

  auto truncated = run_cli({"gradients", "--model", path("m.json"), "--weights", path("trunc.safetensors"),
                            "--input", path("x.safetensors"), "--out", path("o.safetensors")});
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_NE(truncated.err.find("trunc.safetensors"), std::string::npos) << truncated.err;

  auto wrong_input = run_cli({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                              path("w.safetensors"), "--out", path("o.safetensors")});
  EXPECT_EQ(wrong_input.exit_code, 2);
  EXPECT_NE(wrong_input.err.find("'x'"), std::string::npos) << wrong_input.err;

  auto wrong_dtype = run_cli({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                              path("x.safetensors"), "--dtype", "float64", "--out", path("o.safetensors")});
  EXPECT_EQ(wrong_dtype.exit_code, 2);
  EXPECT_NE(wrong_dtype.err.find("d1/kernel"), std::string::npos) << wrong_dtype.err;

  auto missing = run_cli({"gradients", "--model", path("nope.json"), "--weights", path("w.safetensors"), "--input",
                          path("x.safetensors"), "--out", path("o.safetensors")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.json"), std::string::npos) << missing.err;

  auto unwritable = run_cli({"init", "--model", path("m.json"), "--out", path("no/such/dir/w.safetensors")});
  EXPECT_EQ(unwritable.exit_code, 2);
  EXPECT_NE(unwritable.err.find("no/such/dir"), std::string::npos) << unwritable.err;

  auto two_stdin = run_cli({"gradients", "--model", "-", "--weights", "-", "--input", path("x.safetensors"), "--out",
                            path("o.safetensors")});
  EXPECT_EQ(two_stdin.exit_code, 2);

  EXPECT_EQ(files(), before) << "no output file, and no temporary file, is left behind";
}

TEST_F(ModelCommands, NonFiniteInputIsRefused) {
  ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--out", path("w.safetensors")}).exit_code, 0);
  TensorFile input;
  input.add("x", from_values({1, 3}, {0.1, NAN, 0.3}));
  write_safetensors(path("nan.safetensors"), input);
  auto r = run_cli({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                    path("nan.safetensors"), "--out", path("o.safetensors")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("non-finite"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("o.safetensors")));
}

}  // namespace
}  // namespace gradlab
