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

std::string example_spec(const std::string& name) {
  return (fs::path(GRADLAB_SOURCE_DIR) / "examples" / "specs" / name).string();
}

TEST_F(DataInputs, DataThatDoesNotFitTheModelIsBadInputNamingBoth) {
  const auto csv = run_cli({"probe", "--model", path("mlp.json"), "--data", path("houses.csv")});
  EXPECT_EQ(csv.exit_code, 2);
  EXPECT_NE(csv.err.find("its examples have 3 features, but the model's input 'x' has shape [784]"), std::string::npos) << csv.err;
  EXPECT_NE(csv.err.find("(declare \"inputs\": {\"x\": [3]} in the spec)"), std::string::npos) << csv.err;
  // Flat rows cannot be redeclared as an image: the image comes from a file.
  const auto image = run_cli({"probe", "--model", example_spec("fashion_cnn.json"), "--data", path("houses.csv")});
  EXPECT_EQ(image.exit_code, 2);
  EXPECT_NE(image.err.find("its examples have 3 features, but the model's input 'image' has shape [28, 28, 1]; give it with "
                           "--input, a safetensors file of shape [batch, 28, 28, 1]"),
            std::string::npos)
      << image.err;
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

// Every view of fashion_mnist_views() feeds a spec whose input is its shape: the example CNN on the
// images, the example LSTM on the sequences.
TEST_F(DataInputs, ProbeTakesTheImageAndSequenceViewsForConvolutionalAndRecurrentSpecs) {
  const auto cnn = run_cli({"probe", "--model", example_spec("fashion_cnn.json"), "--data", "fashion-mnist-images", "--limit",
                            "4", "--data-dir", path("fmnist"), "--json"});
  ASSERT_EQ(cnn.exit_code, 0) << cnn.err;
  EXPECT_EQ(nlohmann::json::parse(cnn.out)["input"], "fashion-mnist-images (first 4 training images, 28x28x1)") << cnn.out;
  const auto lstm = run_cli({"probe", "--model", example_spec("fashion_lstm.json"), "--data", "fashion-mnist-sequence",
                             "--limit", "3", "--data-dir", path("fmnist"), "--json"});
  ASSERT_EQ(lstm.exit_code, 0) << lstm.err;
  const auto j = nlohmann::json::parse(lstm.out);
  EXPECT_EQ(j["input"], "fashion-mnist-sequence (first 3 training images, 28x28)") << lstm.out;
  EXPECT_FALSE(j["through_time"].empty()) << "the LSTM's time axis is measured over the 28 rows";
}

// The gradient of sum(flatten(x) W) for W = 1 with respect to W is the sum of the examples' pixels p:
// the images' own bytes, in row-major order, whichever view shapes them.
TEST_F(DataInputs, GradientsReadEveryViewsPixelsInTheirOrder) {
  TensorFile w;
  w.add("d/kernel", from_values({784, 1}, std::vector<double>(784, 1.0)));
  write_safetensors(path("w784.safetensors"), w);
  for (const auto& [view, shape] : {std::pair{"fashion-mnist-images", "[28, 28, 1]"}, std::pair{"fashion-mnist-sequence", "[28, 28]"}}) {
    write("flat.json", std::string(R"({"name": "flat", "inputs": {"x": )") + shape +
                           R"(}, "layers": [{"name": "f", "type": "flatten"}, {"name": "d", "type": "dense", "units": 1, "use_bias": false}]})");
    const auto r = run_cli({"gradients", "--model", path("flat.json"), "--weights", path("w784.safetensors"), "--data", view,
                            "--limit", "3", "--data-dir", path("fmnist"), "--loss", "sum", "--out", path("g.safetensors")});
    ASSERT_EQ(r.exit_code, 0) << view << ": " << r.err;
    const std::vector<double> grad = read_safetensors(path("g.safetensors")).get("grad/d/kernel").to_vector();
    ASSERT_EQ(grad.size(), 784u);
    for (int p : {0, 1, 27, 28, 300, 783}) {
      double expected = 0;
      for (int i = 0; i < 3; ++i) expected += ((i * 7 + p) % 256) / 255.0;
      EXPECT_NEAR(grad[static_cast<std::size_t>(p)], expected, 1e-5) << view << " pixel " << p;
    }
  }
}

// The inline networks follow the examples' shape: --conv is built for the images, --cell runs over the rows.
TEST_F(DataInputs, TheInlineConvolutionalAndRecurrentNetworksTakeTheirViews) {
  const auto conv = run_cli({"probe", "--conv", "--depth", "2", "--filters", "4", "--data", "fashion-mnist-images", "--limit",
                             "3", "--data-dir", path("fmnist"), "--json"});
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  const auto c = nlohmann::json::parse(conv.out);
  EXPECT_NE(c["network"].get<std::string>().find("on 28x28x1"), std::string::npos) << conv.out;
  EXPECT_EQ(c["input"], "fashion-mnist-images (first 3 training images, 28x28x1)") << conv.out;
  const auto cell = run_cli({"probe", "--cell", "simple_rnn", "--depth", "1", "--units", "4", "--data",
                             "fashion-mnist-sequence", "--limit", "3", "--data-dir", path("fmnist"), "--json"});
  ASSERT_EQ(cell.exit_code, 0) << cell.err;
  const auto r = nlohmann::json::parse(cell.out);
  EXPECT_NE(r["network"].get<std::string>().find("over 28 steps"), std::string::npos) << cell.out;
  EXPECT_EQ(r["input"], "fashion-mnist-sequence (first 3 training images, 28x28)") << cell.out;
}

// A view of the wrong shape names the data, its shape, the input and its shape, and the view that fits.
TEST_F(DataInputs, AViewOfTheWrongShapeIsBadInputNamingTheViewThatFits) {
  const auto expect_error = [](const cli_test::CliResult& r, const std::string& message) {
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  };
  expect_error(run_cli({"probe", "--model", example_spec("fashion_cnn.json"), "--data", "fashion-mnist", "--limit", "2",
                        "--data-dir", path("fmnist")}),
               "--data fashion-mnist: its examples have shape [784], but the model's input 'image' has shape [28, 28, 1]; "
               "--data fashion-mnist-images gives [28, 28, 1]");
  TensorFile none;
  none.add("unused", from_values({1}, {0}));
  write_safetensors(path("w.safetensors"), none);
  expect_error(run_cli({"gradients", "--model", example_spec("fashion_lstm.json"), "--weights", path("w.safetensors"), "--data",
                        "fashion-mnist-images", "--limit", "2", "--data-dir", path("fmnist"), "--out", path("g.safetensors")}),
               "--data fashion-mnist-images: its examples have shape [28, 28, 1], but the model's input 'rows' has shape "
               "[28, 28]; --data fashion-mnist-sequence gives [28, 28]");
  EXPECT_FALSE(fs::exists(path("g.safetensors")));
  expect_error(run_cli({"probe", "--conv", "--data", "fashion-mnist", "--limit", "2", "--data-dir", path("fmnist")}),
               "--data fashion-mnist: its examples have shape [784], but the inline convolutional network (--conv) takes "
               "examples [height, width, channels]; --data fashion-mnist-images gives [28, 28, 1]");
  expect_error(run_cli({"probe", "--cell", "lstm", "--data", "fashion-mnist-images", "--limit", "2", "--data-dir", path("fmnist")}),
               "but the inline recurrent network (--cell) takes examples [time, features]; --data fashion-mnist-sequence gives [28, 28]");
  expect_error(run_cli({"probe", "--depth", "2", "--data", "fashion-mnist-sequence", "--limit", "2", "--data-dir", path("fmnist")}),
               "but the inline Dense network takes examples [features]; --data fashion-mnist gives [784]");
  expect_error(run_cli({"probe", "--cell", "gru", "--data", path("houses.csv")}),
               "its examples have 3 features, but the inline recurrent network (--cell) takes examples [time, features]; "
               "--input takes a safetensors file [batch, time, features]");
  // The examples set the sequence length and the image size: the options that would draw them are refused.
  expect_error(run_cli({"probe", "--cell", "lstm", "--time-steps", "5", "--data", "fashion-mnist-sequence"}), "--data excludes --time-steps");
  expect_error(run_cli({"probe", "--conv", "--image", "8,8,1", "--data", "fashion-mnist-images"}), "--data excludes --image");
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
