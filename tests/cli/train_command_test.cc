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
  // Loss, accuracy, gradient norm, output gradient norm, update ratio and dead fraction (the hidden
  // layer is ReLU).
  EXPECT_NE(html.find("data-target=\"chart-6\""), std::string::npos);
  EXPECT_EQ(html.find("data-target=\"chart-7\""), std::string::npos);
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

// Item 1 of issue 15: a Keras-style softmax output with the default from_logits trained silently to a
// poor accuracy; unset, --from-logits now follows the output layer, and an explicit true is refused.
TEST_F(TrainCommand, SoftmaxOutputIsTakenAsProbabilitiesAndAnExplicitFromLogitsTrueIsRefused) {
  write_text(path("softmax.json"), R"({"name": "soft", "inputs": {"x": [2]}, "layers": [
      {"type": "dense", "units": 16, "activation": "relu"}, {"name": "out", "type": "dense", "units": 2, "activation": "softmax"}]})");
  std::vector<std::string> args = csv_args();
  args[2] = path("softmax.json");
  const CliResult inferred = run_cli(with(args, {"--json"}));
  ASSERT_EQ(inferred.exit_code, 0) << inferred.err;
  EXPECT_NE(inferred.err.find("the output layer applies softmax, so sparse_categorical_crossentropy takes its outputs as "
                              "probabilities (--from-logits false)"),
            std::string::npos)
      << inferred.err;
  const CliResult explicit_false = run_cli(with(args, {"--json", "--from-logits", "false"}));
  ASSERT_EQ(explicit_false.exit_code, 0) << explicit_false.err;
  EXPECT_EQ(nlohmann::json::parse(inferred.out)["history"]["loss"], nlohmann::json::parse(explicit_false.out)["history"]["loss"]);
  const CliResult refused = run_cli(with(args, {"--from-logits", "true"}));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("model 'soft': its output layer 'out' applies softmax"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--from-logits false"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("epoch 1/"), std::string::npos) << refused.err;
}

// Item 2 of issue 15: the class count was found only by the loss, mid-epoch.
TEST_F(TrainCommand, OutputCountThatIsNotTheClassCountIsRefusedBeforeTraining) {
  write_text(path("five.json"), R"({"name": "five", "inputs": {"x": [2]}, "layers": [
      {"type": "dense", "units": 16, "activation": "relu"}, {"name": "out", "type": "dense", "units": 5}]})");
  std::vector<std::string> args = csv_args();
  args[2] = path("five.json");
  const CliResult r = run_cli(with(args, {"--checkpoint", path("c.safetensors")}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model 'five': the model has 5 outputs (layer 'out'), the data 2 classes; give the output layer 2 units"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(path("c.safetensors")));
}

// Item 17 of issue 15: train starts from given weights, and init --seed S draws what train --seed S draws.
TEST_F(TrainCommand, StartsFromGivenWeightsAndDrawsTheSameWeightsAsInitForASeed) {
  ASSERT_EQ(run_cli({"init", "--model", path("net.json"), "--seed", "5", "--out", path("init.safetensors")}).exit_code, 0);
  const auto same_tensors = [](const std::string& a, const std::string& b) {
    const TensorFile x = read_safetensors(a), y = read_safetensors(b);
    if (x.size() != y.size() || x.size() == 0) return false;
    for (const auto& [name, t] : x.tensors()) {
      const Tensor* u = y.find(name);
      if (!u || u->numel() != t.numel()) return false;
      for (int64_t i = 0; i < t.numel(); ++i) {
        if (t.data<float>()[i] != u->data<float>()[i]) return false;
      }
    }
    return true;
  };
  std::vector<std::string> untrained = csv_args();
  untrained[8] = "0";  // --epochs 0: the weights out are the starting weights
  untrained[14] = "5";  // --seed 5
  ASSERT_EQ(run_cli(with(untrained, {"--weights-out", path("drawn.safetensors")})).exit_code, 0);
  EXPECT_TRUE(same_tensors(path("init.safetensors"), path("drawn.safetensors")));
  untrained[14] = "9";
  const CliResult given = run_cli(with(untrained, {"--weights", path("init.safetensors"), "--weights-out", path("given.safetensors")}));
  ASSERT_EQ(given.exit_code, 0) << given.err;
  EXPECT_TRUE(same_tensors(path("init.safetensors"), path("given.safetensors")));
  ASSERT_EQ(run_cli(with(untrained, {"--weights-out", path("seed9.safetensors")})).exit_code, 0);
  EXPECT_FALSE(same_tensors(path("init.safetensors"), path("seed9.safetensors")));
  ASSERT_EQ(run_cli({"init", "--model", path("net.json"), "--dtype", "float64", "--out", path("f64.safetensors")}).exit_code, 0);
  const CliResult f64 = run_cli(with(csv_args(), {"--weights", path("f64.safetensors")}));
  EXPECT_EQ(f64.exit_code, 2);
  EXPECT_NE(f64.err.find("is float64, but gradlab train trains in float32"), std::string::npos) << f64.err;
  const CliResult both = run_cli(with(csv_args(), {"--weights", path("init.safetensors"), "--checkpoint", path("c.safetensors"), "--resume"}));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--weights and --resume both give the starting weights"), std::string::npos) << both.err;
}

// Item 4 of issue 15: a layer without variables (add) showed gradient norm and update ratio 0, which
// reads as dead, and its chart points were dropped as non-positive.
TEST_F(TrainCommand, LayerWithoutVariablesSaysSoAndShowsItsOutputGradient) {
  write_text(path("residual.json"), R"({"name": "res", "inputs": {"x": [2]}, "layers": [
      {"name": "d1", "type": "dense", "units": 8, "activation": "tanh"},
      {"name": "d2", "type": "dense", "units": 8, "activation": "tanh"},
      {"name": "sum", "type": "add", "inputs": ["d2", "d1"]},
      {"name": "out", "type": "dense", "units": 2}]})");
  std::vector<std::string> args = csv_args();
  args[2] = path("residual.json");
  const CliResult r = run_cli(with(args, {"--sample-every", "2", "--history", path("h.json"), "--report", path("r.html")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t row = r.out.find("\n  sum ");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row + 1, r.out.find('\n', row + 1) - row - 1);
  EXPECT_NE(line.find("no variables"), std::string::npos) << line;
  EXPECT_EQ(line.find("0.000e+00"), std::string::npos) << line;
  EXPECT_NE(line.find("e-0"), std::string::npos) << line;  // its output gradient norm, a positive number
  const nlohmann::json h = nlohmann::json::parse(read_text(path("h.json")));
  for (const nlohmann::json& l : h["samples"][0]["layers"]) {
    EXPECT_EQ(l["has_variables"], l["layer"] != "sum") << l.dump();
    EXPECT_TRUE(l["output_grad_norm"].is_number()) << l.dump();
  }
  EXPECT_NE(read_text(path("r.html")).find("sum has no variables and is left out"), std::string::npos);
}

// Item 6 of issue 15: a 2-epoch run's learning curve was a straight line between 2 points, ticked
// 1.00, 1.05, ...; the sampled batches' losses are on it too, and the epoch axis ticks whole numbers.
TEST_F(TrainCommand, LearningCurveHasSampledBatchLossesAndWholeEpochTicks) {
  const CliResult r = run_cli(with(csv_args(), {"--sample-every", "2", "--report", path("r.html")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string html = read_text(path("r.html"));
  EXPECT_NE(html.find("batch loss (sampled)"), std::string::npos);
  EXPECT_NE(html.find(R"("axis":{"format":"d","tickMinStep":1})"), std::string::npos);
  // 96 examples in batches of 16: 6 steps per epoch, so step 2 (the second sample) ends at epoch 0.5.
  EXPECT_NE(html.find(R"x("series":"batch loss (sampled)","x":0.5)x"), std::string::npos);
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
