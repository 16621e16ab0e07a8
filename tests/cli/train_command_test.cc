// `gradlab train` end to end: a tiny CSV, Fashion-MNIST with a limit, and its bad inputs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gradlab/io/safetensors.h"
#include "run_cli.h"
#include "train_cli_helpers.h"

namespace gradlab::cli_test {
namespace {

namespace fs = std::filesystem;

class TrainCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    write_text(path("xor.csv"), xor_csv(96));
    write_text(path("net.json"), kXorSpec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> csv_args() const {
    return {"train", "--model", path("net.json"), "--data", path("xor.csv"), "--label-column", "label",
            "--epochs", "3", "--batch-size", "16", "--lr", "0.01", "--seed", "3"};
  }
  std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) const {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  fs::path dir_;
};

TEST_F(TrainCommand, TrainsOnACsvFileAndWritesHistoryWeightsAndJson) {
  const CliResult r = run_cli(with(csv_args(), {"--validation-split", "0.25", "--sample-every", "2", "--history",
                                                path("h.csv"), "--weights-out", path("w.safetensors"), "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["stop_reason"], "completed");
  EXPECT_EQ(j["train_examples"], 72);
  EXPECT_EQ(j["validation_examples"], 24);
  EXPECT_EQ(j["global_step"], 15);  // 3 epochs of ceil(72 / 16) steps
  EXPECT_EQ(j["history"]["val_loss"].size(), 3u);
  EXPECT_EQ(j["history"]["samples"].size(), 8u);
  EXPECT_TRUE(j["test"].is_null());  // a CSV file has no test set
  const std::string csv = read_text(path("h.csv"));
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
  EXPECT_TRUE(read_safetensors(path("w.safetensors")).contains("dense/kernel"));
  EXPECT_NE(r.err.find("epoch 3/3"), std::string::npos) << r.err;
}

TEST_F(TrainCommand, FashionMnistWithALimitReportsTestAccuracyAndGradientFlow) {
  write_text(path("mlp.json"), R"({"inputs": {"x": [784]}, "layers": [
      {"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 10}]})");
  const CliResult r = run_cli({"train", "--model", path("mlp.json"), "--data", "fashion-mnist", "--limit", "512",
                               "--epochs", "1", "--batch-size", "64", "--sample-every", "4", "--normalize",
                               "--history", path("h.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("test: loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(512 examples)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gradient flow over 2 samples"), std::string::npos) << r.out;
  EXPECT_EQ(nlohmann::json::parse(read_text(path("h.json")))["loss"].size(), 1u);
}

TEST_F(TrainCommand, ReportPageHasLearningCurvesAndGradientFlow) {
  const CliResult r = run_cli(with(csv_args(), {"--validation-split", "0.25", "--sample-every", "2", "--report", path("r.html")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_text(path("r.html"));
  // Loss, accuracy, gradient norm, update ratio and dead fraction (the hidden layer is ReLU).
  EXPECT_NE(html.find("data-target=\"chart-5\""), std::string::npos);
  EXPECT_EQ(html.find("data-target=\"chart-6\""), std::string::npos);
  EXPECT_NE(html.find("Gradient flow over training"), std::string::npos);
  const CliResult unsampled = run_cli(with(csv_args(), {"--report", path("u.html")}));
  ASSERT_EQ(unsampled.exit_code, 0) << unsampled.err;
  EXPECT_NE(read_text(path("u.html")).find("run with --sample-every N"), std::string::npos);
  const CliResult bad = run_cli(with(csv_args(), {"--report", path("r.txt")}));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--report " + path("r.txt") + ": the file name must end in .html"), std::string::npos);
}

TEST_F(TrainCommand, AnomalyStopsWithTheLayerNamedAndExitsOne) {
  write_text(path("big.json"), R"({"inputs": {"x": [2]}, "layers": [
      {"name": "wide", "type": "dense", "units": 8, "kernel_initializer": {"name": "constant", "value": 1e20}},
      {"name": "overflows", "type": "dense", "units": 2, "kernel_initializer": {"name": "constant", "value": 1e20}}]})");
  const CliResult r = run_cli({"train", "--model", path("big.json"), "--data", path("xor.csv"), "--label-column",
                               "label", "--epochs", "1", "--checkpoint", path("c.safetensors")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("anomaly check before that step's update"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step 0, forward"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("layer 'overflows'"), std::string::npos) << r.err;
}

TEST_F(TrainCommand, BadInputsExitTwoAndWriteNothing) {
  const std::vector<std::string> outputs = {"--checkpoint", path("c.safetensors"), "--history", path("h.json")};
  const auto expect_bad = [&](std::vector<std::string> args, const std::string& message) {
    const CliResult r = run_cli(with(args, outputs));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("c.safetensors")));
    EXPECT_FALSE(fs::exists(path("h.json")));
  };
  std::vector<std::string> args = csv_args();
  args[4] = path("missing.csv");
  expect_bad(args, path("missing.csv") + ": cannot open");
  write_text(path("bad.csv"), "x,y,label\n1,2,0\n1,oops,1\n");
  args[4] = path("bad.csv");
  expect_bad(args, path("bad.csv") + ":3: column 'y' (2): 'oops' is not a number");
  write_text(path("nan.csv"), "x,y,label\n1,nan,0\n");
  args[4] = path("nan.csv");
  expect_bad(args, "'nan' is not a number");
  write_text(path("three.csv"), "a,b,c,label\n1,2,3,0\n");
  args[4] = path("three.csv");
  expect_bad(args, "model 'xor_net' takes inputs of shape [2] but " + path("three.csv") + " has examples of shape [3]");
  expect_bad(with(csv_args(), {"--resume"}), "--resume: checkpoint " + path("c.safetensors") + " does not exist");
  expect_bad(with(csv_args(), {"--optimizer", "adam", "--momentum", "0.9"}), "optimizer 'adam' has no option 'momentum'");
  expect_bad(with(csv_args(), {"--schedule", "linear"}), "unknown schedule 'linear'");
  const CliResult unwritable = run_cli(with(csv_args(), {"--history", path("no/such/dir/h.json")}));
  EXPECT_EQ(unwritable.exit_code, 2);
  EXPECT_NE(unwritable.err.find("--history " + path("no/such/dir/h.json") + ": folder"), std::string::npos) << unwritable.err;
}

TEST_F(TrainCommand, CheckpointOfAnotherModelIsRefusedAndKept) {
  ASSERT_EQ(run_cli(with(csv_args(), {"--checkpoint", path("c.safetensors")})).exit_code, 0);
  const std::string before = read_text(path("c.safetensors"));
  write_text(path("other.json"), R"({"name": "other", "inputs": {"x": [2]}, "layers": [{"type": "dense", "units": 2}]})");
  std::vector<std::string> args = csv_args();
  args[2] = path("other.json");
  const CliResult r = run_cli(with(args, {"--checkpoint", path("c.safetensors"), "--resume"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("checkpoint of a different model"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(path("c.safetensors")), before);
  args = csv_args();
  args.back() = "4";  // --seed
  const CliResult other_seed = run_cli(with(args, {"--checkpoint", path("c.safetensors"), "--resume"}));
  EXPECT_EQ(other_seed.exit_code, 2);
  EXPECT_NE(other_seed.err.find("resume with the same data and options"), std::string::npos) << other_seed.err;
}

}  // namespace
}  // namespace gradlab::cli_test
