// Item 15 of issue 15 at the command line: `probe` and `gradients` take real examples (--data
// fashion-mnist, a CSV file), and the NumPy recipe of docs/model-spec.md writes files gradlab reads.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// An IDX file: magic 0 0 0x08 rank, big-endian dims, then the bytes.
std::string idx(std::vector<uint32_t> dims, const std::string& bytes) {
  std::string out{'\0', '\0', '\x08', static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  }
  return out + bytes;
}

class DataInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_data_inputs_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "fmnist");
    // A tiny Fashion-MNIST: 6 training and 2 test images whose pixel p of image i is (i * 7 + p) % 256.
    auto images = [](int n) {
      std::string bytes;
      for (int i = 0; i < n; ++i) {
        for (int p = 0; p < 784; ++p) bytes += static_cast<char>((i * 7 + p) % 256);
      }
      return bytes;
    };
    write("fmnist/train-images-idx3-ubyte", idx({6, 28, 28}, images(6)));
    write("fmnist/train-labels-idx1-ubyte", idx({6}, std::string("\x00\x01\x02\x03\x04\x05", 6)));
    write("fmnist/t10k-images-idx3-ubyte", idx({2, 28, 28}, images(2)));
    write("fmnist/t10k-labels-idx1-ubyte", idx({2}, std::string("\x07\x08", 2)));
    write("mlp.json", R"({"name": "mlp", "inputs": {"x": [784]}, "layers": [
        {"name": "d1", "type": "dense", "units": 8, "activation": "relu"}, {"name": "d2", "type": "dense", "units": 10}]})");
    write("houses.csv", "rooms,area,price\n3,70.5,200\n4,90,260\n2,40,120\n");
    write("small.json", R"({"name": "small", "inputs": {"x": [2]}, "layers": [{"name": "d", "type": "dense", "units": 1, "use_bias": false}]})");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir_ / name, std::ios::binary) << text; }
  fs::path dir_;
};

TEST_F(DataInputs, ProbeTakesFashionMnistImagesAsTheModelInput) {
  const auto r = run_cli({"probe", "--model", path("mlp.json"), "--data", "fashion-mnist", "--limit", "4", "--data-dir",
                          path("fmnist"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["input"], "fashion-mnist (first 4 training images, 784 features)") << r.out;
}

TEST_F(DataInputs, ProbeOfTheInlineNetworkTakesItsFeaturesFromTheData) {
  const auto r = run_cli({"probe", "--depth", "3", "--data", path("houses.csv"), "--label-column", "price", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["input"], path("houses.csv") + " (first 3 rows, 2 features)") << r.out;
}

// The gradient of sum(x W) for W = 1 with respect to W is the column sums of x: the CSV's own numbers.
TEST_F(DataInputs, GradientsTakeACsvFileAndComputeWithItsNumbers) {
  TensorFile w;
  w.add("d/kernel", from_values({2, 1}, {1, 1}));
  write_safetensors(path("w.safetensors"), w);
  const auto r = run_cli({"gradients", "--model", path("small.json"), "--weights", path("w.safetensors"), "--data",
                          path("houses.csv"), "--label-column", "price", "--limit", "2", "--loss", "sum", "--out",
                          path("g.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorFile g = read_safetensors(path("g.safetensors"));
  EXPECT_EQ(g.get("grad/d/kernel").to_vector(), (std::vector<double>{3 + 4, 70.5 + 90}));
  EXPECT_DOUBLE_EQ(g.get("loss").item(), 3 + 70.5 + 4 + 90);
}

TEST_F(DataInputs, DataThatDoesNotFitTheModelIsBadInputNamingBoth) {
  const auto csv = run_cli({"probe", "--model", path("mlp.json"), "--data", path("houses.csv")});
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_NE(csv.err.find("its examples have 3 features, but the model's input 'x' has shape [784]"), std::string::npos) << csv.err;
  const auto missing = run_cli({"probe", "--model", path("mlp.json"), "--data", "fashion-mnist", "--data-dir", path("nowhere")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nowhere"), std::string::npos) << missing.err;
  const auto column = run_cli({"probe", "--depth", "2", "--data", path("houses.csv"), "--label-column", "cost"});
  EXPECT_EQ(column.exit_code, 2);
  EXPECT_NE(column.err.find("cost"), std::string::npos) << column.err;
  const auto both = run_cli({"probe", "--depth", "2", "--data", path("houses.csv"), "--batch", "4"});
  EXPECT_EQ(both.exit_code, 2) << "a drawn input's size and --data exclude each other";
  const auto neither = run_cli({"gradients", "--model", path("small.json"), "--weights", path("w.safetensors"), "--out", path("g.safetensors")});
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("--input x.safetensors, or --data"), std::string::npos) << neither.err;
}

// docs/model-spec.md's NumPy recipe, run as written, writes files gradlab reads with the right
// numbers. Debian's python3-numpy (scripts/setup) runs it; without it the test is skipped.
TEST_F(DataInputs, TheNumpySafetensorsRecipeOfTheDocsWritesFilesGradlabReads) {
  const std::string python = "/usr/bin/python3";
  if (std::system((python + " -c 'import numpy' 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "no python3 with numpy";
  const std::string doc = slurp(fs::path(GRADLAB_SOURCE_DIR) / "docs" / "model-spec.md");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(doc, m, std::regex("<!-- numpy-safetensors[^>]*-->\\n```python\\n([\\s\\S]*?)```")))
      << "the recipe's marker is gone from docs/model-spec.md";
  write("recipe.py", m[1].str());
  ASSERT_EQ(std::system(("cd '" + dir_.string() + "' && " + python + " recipe.py").c_str()), 0);
  write("net.json", R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 1, "use_bias": false}]})");
  const auto r = run_cli({"gradients", "--model", path("net.json"), "--weights", path("w.safetensors"), "--input",
                          path("x.safetensors"), "--loss", "sum", "--out", path("g.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // x = [[0, 1, 2], [3, 4, 5]] and a kernel of ones: sum(x W) = 15.
  EXPECT_DOUBLE_EQ(read_safetensors(path("g.safetensors")).get("loss").item(), 15);
}

}  // namespace
}  // namespace gradlab
