// `gradlab sweep --model`: variants of a user's spec, inline and from a grid file; CSV and JSON Lines;
// --resume; a row reproduced by `gradlab probe --model`; and the bad inputs of docs/bad-inputs.md
// (tests SpecSweepBadInputs.<Row>).
#include <cmath>

#include <nlohmann/json.hpp>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"
#include "sweep_test_support.h"

namespace gradlab::cli_test {
namespace {

// A hidden relu layer, a linear projection into a sigmoid activation layer, and a softmax output.
constexpr const char* kSmallSpec = R"({"name": "small", "inputs": {"x": [6]},
 "layers": [
   {"name": "d1", "type": "dense", "units": 5, "activation": "relu"},
   {"name": "proj", "type": "dense", "units": 5},
   {"name": "act", "type": "activation", "activation": "sigmoid"},
   {"name": "out", "type": "dense", "units": 3, "activation": "softmax"}],
 "outputs": ["out"]})";

// Two inputs of different shapes, merged.
constexpr const char* kTwoInputSpec = R"({"name": "two", "inputs": {"a": [3], "b": [4]},
 "layers": [
   {"name": "da", "type": "dense", "units": 4, "activation": "tanh", "inputs": ["a"]},
   {"name": "sum", "type": "add", "inputs": ["da", "b"]},
   {"name": "out", "type": "dense", "units": 2, "inputs": ["sum"]}]})";

class SpecSweepCli : public SweepCliTest {
 protected:
  void SetUp() override {
    SweepCliTest::SetUp();
    write_text("small.json", kSmallSpec);
  }
  // 2 initializers x 2 activations x 2 trials of the small spec: 8 configurations.
  std::vector<std::string> small_sweep() const {
    return {"sweep", "--model", path("small.json"), "--init", "he_uniform,glorot_uniform", "--activation", "relu,tanh",
            "--batch", "3", "--trials", "2", "--seed", "5"};
  }
};

std::map<std::string, nlohmann::json> by_id(const std::string& jsonl) {
  std::map<std::string, nlohmann::json> rows;
  for (const std::string& line : sorted_lines(jsonl)) {
    const auto j = nlohmann::json::parse(line);
    rows[j["id"].get<std::string>()] = j;
  }
  return rows;
}

TEST_F(SpecSweepCli, EveryExampleSpecSweepsItsInitializersAndHiddenActivations) {
  for (const char* name : {"fashion_mlp", "deep_sigmoid", "deep_relu_he", "deep_residual", "deep_residual_norm", "exploding"}) {
    SCOPED_TRACE(name);
    const auto r = run_cli({"sweep", "--model", std::string(GRADLAB_SOURCE_DIR) + "/examples/specs/" + name + ".json",
                            "--init", "he_uniform,glorot_uniform", "--activation", "relu,tanh", "--batch", "2", "--workers", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("model ")) << r.out;
    EXPECT_NE(r.out.find(std::string(name) + "  he_uniform      tanh"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("4 configurations: "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("depth"), std::string::npos) << "no columns of the built-in network";
  }
}

TEST_F(SpecSweepCli, CsvAndJsonLinesHoldTheSameFiguresWithOneOrTwoWorkers) {
  ASSERT_EQ(run_cli(with(small_sweep(), {"--out", path("r.csv"), "--workers", "2"})).exit_code, 0);
  const auto r = run_cli(with(small_sweep(), {"--out", path("r.jsonl"), "--workers", "1"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> csv = sorted_lines(read_text("r.csv"));
  ASSERT_EQ(csv.size(), 9u);
  EXPECT_EQ(csv.back(), "id,model,spec_digest,init,activation,batch,input,dtype,trial,seed,input_grad_norm,first_last_ratio,"
                        "mean_gain,squared_gain,depth_scale,verdict,saturation_begins,dead_units_begin,loss,anomaly");
  csv.pop_back();
  const auto json = by_id(read_text("r.jsonl"));
  ASSERT_EQ(json.size(), 8u);
  for (const std::string& line : csv) {
    // The id is quoted (it holds commas); no other field of these lines is.
    const std::string id = line.substr(1, line.find("\",") - 1);
    std::vector<std::string> f{""};
    for (const char c : line.substr(id.size() + 3)) {
      if (c == ',') {
        f.emplace_back();
      } else {
        f.back() += c;
      }
    }
    ASSERT_EQ(f.size(), 19u) << line;
    const nlohmann::json& j = json.at(id);
    EXPECT_EQ(f[0], "small");
    EXPECT_EQ(f[1], j["spec_digest"].get<std::string>());
    EXPECT_EQ(f[2], j["init"].get<std::string>());
    EXPECT_EQ(f[3], j["activation"].get<std::string>());
    EXPECT_EQ(f[4], "3");
    EXPECT_EQ(f[5], "uniform");
    EXPECT_EQ(f[6], "float32");
    EXPECT_EQ(f[8], std::to_string(j["seed"].get<uint64_t>()));
    EXPECT_EQ(std::stod(f[9]), j["input_grad_norm"].get<double>()) << "the same bits with 1 and 2 workers";
    EXPECT_EQ(f[14], j["verdict"].get<std::string>());
  }
  EXPECT_TRUE(json.count("model=small,init=glorot_uniform,activation=tanh,batch=3,trial=1"));
  // An axis not given is the spec's own: null in JSON, empty in CSV, and not in the id.
  ASSERT_EQ(run_cli({"sweep", "--model", path("small.json"), "--dtype", "float64", "--out", path("d.jsonl")}).exit_code, 0);
  const auto d = nlohmann::json::parse(read_text("d.jsonl"));
  EXPECT_EQ(d["id"], "model=small,dtype=float64,trial=0");
  EXPECT_TRUE(d["init"].is_null());
  EXPECT_TRUE(d["activation"].is_null());
  EXPECT_EQ(d["batch"], 32);
}

TEST_F(SpecSweepCli, ResumeAfterATruncatedFileEqualsAnUninterruptedRun) {
  for (const std::string ext : {".csv", ".jsonl"}) {
    SCOPED_TRACE(ext);
    ASSERT_EQ(run_cli(with(small_sweep(), {"--out", path("full" + ext)})).exit_code, 0);
    const std::string full = read_text("full" + ext);
    std::size_t cut = 0;
    for (int i = 0; i < 3; ++i) cut = full.find('\n', cut) + 1;
    write_text("part" + ext, full.substr(0, cut + 30));
    const auto r = run_cli(with(small_sweep(), {"--out", path("part" + ext), "--resume", "--workers", "2"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(sorted_lines(read_text("part" + ext)), sorted_lines(full));
  }
}

TEST_F(SpecSweepCli, ARowIsReproducedByProbeWithTheSameVariantAndSeed) {
  const std::vector<std::string> variant{"--model", path("small.json"), "--init", "he_uniform", "--activation", "tanh",
                                         "--batch", "3", "--input-dist", "normal", "--dtype", "float64"};
  ASSERT_EQ(run_cli(with(with({"sweep"}, variant), {"--seed", "3", "--out", path("r.jsonl")})).exit_code, 0);
  const auto row = nlohmann::json::parse(read_text("r.jsonl"));
  EXPECT_EQ(row["id"], "model=small,init=he_uniform,activation=tanh,batch=3,input=normal,dtype=float64,trial=0");
  const auto probe = run_cli(with(with({"probe"}, variant), {"--seed", std::to_string(row["seed"].get<uint64_t>()), "--json"}));
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const auto p = nlohmann::json::parse(probe.out);
  EXPECT_EQ(row["input_grad_norm"].get<double>(), p["input_grad"]["l2_norm"].get<double>());
  EXPECT_EQ(row["loss"].get<double>(), p["loss"].get<double>());
  // The same summary: its depth axis is the Dense layers, not the activation layer between them.
  EXPECT_EQ(row["layer_grad_norms"].size(), 3u);
  EXPECT_EQ(row["mean_gain"].get<double>(), p["summary"]["mean_gain"].get<double>());
  EXPECT_EQ(row["first_last_ratio"].get<double>(), p["summary"]["first_to_last_ratio"].get<double>());
  EXPECT_EQ(row["verdict"], p["summary"]["verdict"]);
  EXPECT_NE(p["network"].get<std::string>().find("kernels he_uniform, hidden activation tanh"), std::string::npos);
  // Without the variant, probe sees the spec as written: another network.
  const auto plain = run_cli({"probe", "--model", path("small.json"), "--batch", "3", "--input-dist", "normal", "--dtype",
                              "float64", "--seed", std::to_string(row["seed"].get<uint64_t>()), "--json"});
  EXPECT_NE(row["input_grad_norm"].get<double>(), nlohmann::json::parse(plain.out)["input_grad"]["l2_norm"].get<double>());
}

TEST_F(SpecSweepCli, AGridFileNamesTheSpecRelativeToItsFolder) {
  std::filesystem::create_directories(path("grids"));
  write_text("grids/grid.json", R"({"model": "../small.json", "init": ["he_uniform", "glorot_uniform"],
      "activation": ["relu", "tanh"], "batch": 3, "trials": 2, "seed": 5})");
  ASSERT_EQ(run_cli(with(small_sweep(), {"--out", path("inline.csv")})).exit_code, 0);
  const auto r = run_cli({"sweep", "--grid", path("grids/grid.json"), "--out", path("file.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(sorted_lines(read_text("file.csv")), sorted_lines(read_text("inline.csv")));
}

TEST_F(SpecSweepCli, ReportLabelsConfigurationsByWhatVaries) {
  const auto r = run_cli(with(small_sweep(), {"--report", path("r.html")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = read_text("r.html");
  EXPECT_NE(page.find("8 configurations of the grid model small (" + path("small.json") +
                      "); init he_uniform, glorot_uniform; activation relu, tanh; batch 3; 2 trial(s); seed 5"),
            std::string::npos);
  EXPECT_NE(page.find("init glorot_uniform, activation tanh, trial 1"), std::string::npos);
  EXPECT_EQ(page.find("model small, init"), std::string::npos) << "the model does not vary";
}

TEST_F(SpecSweepCli, GivenInputsAreUsedByEveryConfiguration) {
  TensorFile file;
  Rng rng(1);
  file.add("x", uniform({4, 6}, rng, 0, 1, DType::float64));
  write_safetensors(path("x.safetensors"), file);
  const auto r = run_cli({"sweep", "--model", path("small.json"), "--input", path("x.safetensors"), "--dtype",
                          "float32,float64", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = by_id(read_text("r.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  const auto& row = rows.at("model=small,dtype=float64,trial=0");
  EXPECT_EQ(row["batch"], 4);
  EXPECT_EQ(row["input"], path("x.safetensors"));
  const auto probe = run_cli({"probe", "--model", path("small.json"), "--input", path("x.safetensors"), "--dtype", "float64",
                              "--seed", std::to_string(row["seed"].get<uint64_t>()), "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_EQ(row["input_grad_norm"].get<double>(), nlohmann::json::parse(probe.out)["input_grad"]["l2_norm"].get<double>());
}

using SpecSweepBadInputs = SpecSweepCli;

TEST_F(SpecSweepBadInputs, SweepModelMissingOrInvalid) {
  expect_refused({"sweep", "--model", path("none.json")}, {path("none.json")});
  write_text("bad.json", R"({"inputs": {"x": [3]}, "layers": [{"type": "dense"}]})");
  expect_refused({"sweep", "--model", path("bad.json"), "--out", path("r.csv")},
                 {path("bad.json") + ": layer 'dense' (dense): missing required key 'units'"});
  write_text("grid.json", R"({"model": "none.json"})");
  expect_refused({"sweep", "--grid", path("grid.json")}, {path("none.json")});
}

TEST_F(SpecSweepBadInputs, SweepModelUnknownInitOrActivation) {
  expect_refused({"sweep", "--model", path("small.json"), "--init", "he_unifrom"}, {"--init", "he_unifrom"});
  expect_refused({"sweep", "--model", path("small.json"), "--activation", "relux"}, {"--activation", "relux"});
  write_text("grid.json", R"({"model": "small.json", "init": ["he_unifrom"]})");
  expect_refused({"sweep", "--grid", path("grid.json")}, {path("grid.json") + ": sweep grid: 'init' value 'he_unifrom' is unknown"});
}

TEST_F(SpecSweepBadInputs, SweepModelWithoutDenseLayers) {
  write_text("acts.json", R"({"name": "acts", "inputs": {"x": [3]}, "layers": [{"type": "activation", "activation": "tanh"},
      {"type": "activation", "activation": "sigmoid"}]})");
  expect_refused({"sweep", "--model", path("acts.json"), "--init", "he_uniform", "--out", path("r.csv")},
                 {path("acts.json") + " (model 'acts'): has no Dense or convolution layer"});
  write_text("linear.json", R"({"name": "lin", "inputs": {"x": [3]}, "layers": [{"type": "dense", "units": 2}]})");
  expect_refused({"sweep", "--model", path("linear.json"), "--activation", "relu"},
                 {path("linear.json") + " (model 'lin'): has no hidden activation for 'relu' to replace"});
  expect_refused({"probe", "--model", path("acts.json"), "--init", "he_uniform"}, {"has no Dense or convolution layer"});
}

TEST_F(SpecSweepBadInputs, SweepModelWithSeveralInputs) {
  // Not refused: one tensor is drawn per model input, as probe draws them.
  write_text("two.json", kTwoInputSpec);
  const auto r = run_cli({"sweep", "--model", path("two.json"), "--batch", "2,5", "--out", path("r.jsonl")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = by_id(read_text("r.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  const auto& row = rows.at("model=two,batch=5,trial=0");
  const auto probe = run_cli({"probe", "--model", path("two.json"), "--batch", "5", "--seed",
                              std::to_string(row["seed"].get<uint64_t>()), "--json"});
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_EQ(row["input_grad_norm"].get<double>(), nlohmann::json::parse(probe.out)["input_grad"]["l2_norm"].get<double>());
}

TEST_F(SpecSweepBadInputs, SweepModelInputDoesNotFit) {
  TensorFile file;
  file.add("x", zeros({4, 7}));
  write_safetensors(path("x.safetensors"), file);
  expect_refused({"sweep", "--model", path("small.json"), "--input", path("x.safetensors"), "--out", path("r.csv")},
                 {path("x.safetensors") + ": tensor 'x' is", "expected a batch of input 'x', each [6]"});
  TensorFile other;
  other.add("y", zeros({4, 6}));
  write_safetensors(path("y.safetensors"), other);
  expect_refused({"sweep", "--model", path("small.json"), "--input", path("y.safetensors")},
                 {path("y.safetensors") + ": no tensor named 'x'"});
  TensorFile nan;
  nan.add("x", full({2, 6}, std::nan("")));
  write_safetensors(path("nan.safetensors"), nan);
  expect_refused({"sweep", "--model", path("small.json"), "--input", path("nan.safetensors")},
                 {path("nan.safetensors") + ": input 'x' has a non-finite value"});
  expect_refused({"sweep", "--model", path("small.json"), "--input", path("x.safetensors"), "--batch", "3"},
                 {"--input excludes --batch"});
}

TEST_F(SpecSweepBadInputs, SweepModelWithNetworkOptions) {
  expect_refused({"sweep", "--model", path("small.json"), "--depth", "3"}, {"--model excludes --depth"});
  expect_refused({"sweep", "--model", path("small.json"), "--skip", "residual"}, {"--model excludes --skip"});
  expect_refused({"sweep", "--input-dist", "normal"}, {"--input-dist requires --model"});
  write_text("grid.json", R"({"model": "small.json", "norm": ["batch"]})");
  expect_refused({"sweep", "--grid", path("grid.json")}, {"key 'norm' does not apply to a sweep of a model spec"});
  write_text("grid.json", R"({"depth": [2], "input_dist": ["normal"]})");
  expect_refused({"sweep", "--grid", path("grid.json")}, {"key 'input_dist' needs 'model'"});
  write_text("grid.json", R"({"model": "small.json", "init": []})");
  expect_refused({"sweep", "--grid", path("grid.json")}, {"'init' is empty"});
}

TEST_F(SpecSweepBadInputs, SweepResumeFromAnotherModel) {
  // A results file of the built-in network.
  ASSERT_EQ(run_cli(with({"sweep", "--out", path("net.csv")}, tiny_grid_args())).exit_code, 0);
  const std::string network_file = read_text("net.csv");
  expect_refused({"sweep", "--model", path("small.json"), "--out", path("net.csv"), "--resume"},
                 {path("net.csv") + ": line 1: the file holds a sweep of the built-in network"});
  EXPECT_EQ(read_text("net.csv"), network_file);
  // A spec sweep's file resumed as a sweep of the built-in network.
  ASSERT_EQ(run_cli(with(small_sweep(), {"--out", path("r.csv")})).exit_code, 0);
  expect_refused(with({"sweep", "--out", path("r.csv"), "--resume"}, tiny_grid_args()),
                 {"the file holds a sweep of a model spec (--model)"});
  // The same name and variants, but another network: its digest differs.
  std::string wider = kSmallSpec;
  wider.replace(wider.find("\"units\": 5"), 10, "\"units\": 9");
  write_text("small.json", wider);
  for (const std::string ext : {"csv", "jsonl"}) {
    if (ext == "jsonl") {
      write_text("small.json", kSmallSpec);
      ASSERT_EQ(run_cli(with(small_sweep(), {"--out", path("r.jsonl")})).exit_code, 0);
      write_text("small.json", wider);
    }
    const std::string before = read_text("r." + ext);
    expect_refused(with(small_sweep(), {"--out", path("r." + ext), "--resume"}),
                   {"was written for a spec with digest", "model 'small' (" + path("small.json") + ") has digest"});
    EXPECT_EQ(read_text("r." + ext), before);
  }
}

}  // namespace
}  // namespace gradlab::cli_test
