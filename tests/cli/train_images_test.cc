// `gradlab train` on image data (issue 18, item 6): Fashion-MNIST as [28, 28, 1] images feeds a
// convolutional spec, and image specs given other data (or the other way round) are refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_cli.h"
#include "train_cli_helpers.h"

namespace gradlab::cli_test {
namespace {

namespace fs = std::filesystem;

// Conv2D(4, 3x3, stride 2): [28, 28, 1] -> [13, 13, 4]; pooled to [4]; Dense to the ten classes.
constexpr const char* kTinyCnnSpec =
    R"({"name": "tiny_cnn", "inputs": {"image": [28, 28, 1]}, "layers": [)"
    R"({"name": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "activation": "relu"},)"
    R"( {"name": "gap", "type": "global_average_pooling2d"}, {"name": "logits", "type": "dense", "units": 10}],)"
    R"( "outputs": ["logits"]})";
constexpr const char* kFlatSpec =
    R"({"name": "flat", "inputs": {"x": [784]}, "layers": [{"name": "logits", "type": "dense", "units": 10}],)"
    R"( "outputs": ["logits"]})";

class TrainImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    write_text(path("cnn.json"), kTinyCnnSpec);
    write_text(path("flat.json"), kFlatSpec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(TrainImages, FashionMnistImagesTrainATinyCnn) {
  const std::vector<std::string> args{"train", "--model", path("cnn.json"), "--data", "fashion-mnist-images", "--limit", "64",
                                      "--epochs", "2", "--batch-size", "16", "--seed", "3", "--sample-every", "1",
                                      "--history", path("h.json"), "--json"};
  const CliResult r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["data"], "fashion-mnist-images");
  EXPECT_EQ(j["train_examples"], 64);
  EXPECT_EQ(j["test"]["examples"], 64);
  EXPECT_EQ(j["stop_reason"], "completed");
  const double accuracy = j["test"]["accuracy"];
  EXPECT_GE(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  // The convolution was sampled: its kernel (3, 3, 1, 4) and bias (4) got a finite, non-zero gradient.
  const nlohmann::json history = nlohmann::json::parse(read_text(path("h.json")));
  const nlohmann::json& samples = history["samples"];
  ASSERT_EQ(samples.size(), 8u);  // 2 epochs of 4 steps, each sampled
  bool saw_conv = false;
  for (const nlohmann::json& layer : samples[0]["layers"]) {
    if (layer["layer"] != "conv") continue;
    saw_conv = true;
    const double grad_norm = layer["grad_norm"];
    EXPECT_GT(grad_norm, 0.0);
  }
  EXPECT_TRUE(saw_conv) << samples[0].dump();
  // The same seed gives the same run.
  const CliResult again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["test"], j["test"]);
}

TEST_F(TrainImages, ImageSpecsAndImageDataMustMeet) {
  const auto expect_bad = [&](std::vector<std::string> args, const std::string& message) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  };
  expect_bad({"train", "--model", path("cnn.json"), "--data", "fashion-mnist", "--limit", "8"},
             "model 'tiny_cnn' takes inputs of shape [28, 28, 1] but fashion-mnist/train has examples of shape [784] "
             "(the dataset fashion-mnist-images gives [28, 28, 1]: channels-last images, for convolutional specs)");
  expect_bad({"train", "--model", path("cnn.json"), "--data", "fashion-mnist-sequence", "--limit", "8"},
             "model 'tiny_cnn' takes inputs of shape [28, 28, 1] but fashion-mnist-sequence/train has examples of shape "
             "[28, 28] (the dataset fashion-mnist-images gives");
  expect_bad({"train", "--model", path("flat.json"), "--data", "fashion-mnist-images", "--limit", "8"},
             "model 'flat' takes inputs of shape [784] but fashion-mnist-images/train has examples of shape [28, 28, 1] "
             "(the dataset fashion-mnist gives [784]: flat vectors, for Dense specs)");
  write_text(path("three.csv"), "a,b,c,label\n1,2,3,0\n4,5,6,1\n");
  expect_bad({"train", "--model", path("cnn.json"), "--data", path("three.csv"), "--label-column", "label"},
             "model 'tiny_cnn' takes inputs of shape [28, 28, 1] but " + path("three.csv") + " has examples of shape [3]");
}

}  // namespace
}  // namespace gradlab::cli_test
