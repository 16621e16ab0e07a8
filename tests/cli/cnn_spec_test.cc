// A convolutional spec through the commands a user runs on any spec: summary, init, gradients and
// probe --model. gradients must write what the library computes; probe must know the convolutions'
// activations.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "gradlab/gradlab.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/io/weights.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

const char* kCnn = R"({"name": "cnn", "inputs": {"x": [8, 8, 1]}, "layers": [
  {"name": "c1", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
  {"name": "p1", "type": "max_pooling2d"},
  {"name": "c2", "type": "conv2d", "filters": 4, "kernel_size": [2, 2], "groups": 2, "activation": "tanh"},
  {"name": "p2", "type": "average_pooling2d", "pool_size": 2, "strides": 1, "padding": "same"},
  {"name": "gap", "type": "global_average_pooling2d"},
  {"name": "out", "type": "dense", "units": 3}]})";

class CnnSpec : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_cnn_spec_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(path("cnn.json")) << kCnn;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(CnnSpec, SummaryNamesTheLayersAsKeras) {
  const auto r = run_cli({"summary", "--model", path("cnn.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("c1 (Conv2D)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(None, 4, 4, 4)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gap (GlobalAveragePooling2D)"), std::string::npos) << r.out;
}

TEST_F(CnnSpec, GradientsWritesWhatTheLibraryComputes) {
  ASSERT_EQ(run_cli({"init", "--model", path("cnn.json"), "--dtype", "float64", "--seed", "3", "--out",
                     path("w.safetensors")})
                .exit_code,
            0);
  Rng rng(4);
  const Tensor x = uniform({2, 8, 8, 1}, rng, -1, 1, DType::float64);
  TensorFile input;
  input.add("x", x);
  write_safetensors(path("x.safetensors"), input);
  const auto r = run_cli({"gradients", "--model", path("cnn.json"), "--weights", path("w.safetensors"),
                          "--input", path("x.safetensors"), "--out", path("g.safetensors"), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const TensorFile got = read_safetensors(path("g.safetensors"));

  Model model = build_model(read_model_spec(path("cnn.json")), {.dtype = DType::float64});
  load_weights(model, read_safetensors(path("w.safetensors")));
  GradientTape tape;
  const Tensor loss = mean(model(x));
  const std::vector<Variable> vars = model.trainable_variables();
  std::vector<Tensor> values;
  for (const Variable& v : vars) values.push_back(v.value());
  const std::vector<Tensor> grads = tape.gradient(loss, values);
  EXPECT_EQ(got.get("loss").to_vector(), loss.to_vector());
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const Tensor& g = got.get("grad/" + vars[i].name());
    EXPECT_EQ(g.shape(), vars[i].shape()) << vars[i].name();
    EXPECT_EQ(g.to_vector(), grads[i].to_vector()) << vars[i].name();
  }
  EXPECT_EQ(got.get("grad/c2/kernel").shape(), (Shape{2, 2, 2, 4}));
}

TEST_F(CnnSpec, ProbeKnowsTheConvolutionsActivations) {
  const auto r = run_cli({"probe", "--model", path("cnn.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = [&](const std::string& name) {
    const std::size_t at = r.out.find("\n  " + name + " ");
    return at == std::string::npos ? std::string() : r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(row("c1").find("relu"), std::string::npos) << r.out;
  EXPECT_NE(row("c2").find("tanh"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("summary over 3 weight layers"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gradlab
