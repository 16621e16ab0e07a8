// Item 18 of issue 15 at the command line: a Keras to_json() file works wherever a spec does, and
// what gradlab lacks is bad input (exit 2, nothing written).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

class KerasModelCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_keras_command_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name, std::ios::binary) << text; }
  fs::path dir_;
};

TEST_F(KerasModelCommand, AKerasFileWorksWhereASpecDoesAndItsRefusalsExitTwo) {
  const std::string keras = (fs::path(GRADLAB_SOURCE_DIR) / "tests" / "io" / "data" / "keras" / "keras3_sequential_pima.json").string();
  const auto summary = run_cli({"summary", "--model", keras});
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_NE(summary.out.find("dense_2"), std::string::npos) << summary.out;
  const auto probe = run_cli({"probe", "--model", keras, "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  write("conv.json", R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "in"}},
      {"class_name": "Conv2DTranspose", "config": {"name": "conv2d", "filters": 8}}]}})");
  const auto refused = run_cli({"init", "--model", path("conv.json"), "--out", path("w.safetensors")});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("Keras layer 'conv2d' (Conv2DTranspose): gradlab's Keras reader has no Conv2DTranspose layer"), std::string::npos) << refused.err;
  EXPECT_TRUE(refused.out.empty());
  EXPECT_FALSE(fs::exists(path("w.safetensors")));
}

}  // namespace
}  // namespace gradlab
