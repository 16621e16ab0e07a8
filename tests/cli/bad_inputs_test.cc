// The command-line rows of docs/bad-inputs.md: each bad file makes `gradlab` exit 2 with a message
// on stderr naming the file and the problem, print nothing on stdout, and leave no output or
// temporary file behind. Test names follow the table's rows; keep the two in step.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "gradlab/io/safetensors.h"
#include "gradlab/tensor/creation.h"
#include "run_cli.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;
using cli_test::run_cli;

class BadInputsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("gradlab_bad_inputs_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_text("m.json", R"({"name": "m", "inputs": {"x": [3]}, "layers": [
        {"name": "d1", "type": "dense", "units": 4, "activation": "tanh"},
        {"name": "d2", "type": "dense", "units": 2}]})");
    ASSERT_EQ(run_cli({"init", "--model", path("m.json"), "--out", path("w.safetensors")}).exit_code, 0);
    TensorFile input;
    input.add("x", from_values({2, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6}));
    write_safetensors(path("x.safetensors"), input);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_text(const std::string& name, const std::string& text) const { std::ofstream(path(name)) << text; }
  void write_bytes(const std::string& name, const std::string& bytes) const {
    std::ofstream(path(name), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Runs gradlab with `args`; it must exit 2 with every fragment on stderr, nothing on stdout, and
  // no new file in the folder (o.safetensors is the output every case asks for).
  void expect_refused(const std::vector<std::string>& args, std::initializer_list<std::string> fragments) const {
    const auto before = files();
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(r.err.starts_with("gradlab: ")) << r.err;
    for (const std::string& f : fragments) EXPECT_NE(r.err.find(f), std::string::npos) << "'" << f << "' is not in: " << r.err;
    EXPECT_EQ(files(), before) << "no output file, and no temporary file, is left behind";
  }
  void expect_init_refused(const std::string& spec_text, std::initializer_list<std::string> fragments) {
    write_text("bad.json", spec_text);
    expect_refused({"init", "--model", path("bad.json"), "--out", path("o.safetensors")}, fragments);
  }
  void expect_gradients_refused(const std::string& weights, const std::string& input,
                                std::initializer_list<std::string> fragments) const {
    expect_refused({"gradients", "--model", path("m.json"), "--weights", path(weights), "--input", path(input), "--out",
                    path("o.safetensors")},
                   fragments);
  }

  fs::path dir_;
};

std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

TEST_F(BadInputsCli, SafetensorsTruncatedHeader) {
  write_bytes("t.safetensors", std::string("\x10\x00\x00", 3));
  expect_gradients_refused("t.safetensors", "x.safetensors", {path("t.safetensors") + ": truncated"});
}

TEST_F(BadInputsCli, SafetensorsOversizedHeader) {
  write_bytes("big.safetensors", std::string(8, '\x7f') + "{}");
  expect_gradients_refused("w.safetensors", "big.safetensors", {path("big.safetensors"), "larger than the limit"});
}

TEST_F(BadInputsCli, SafetensorsLengthPastTheEnd) {
  write_bytes("short.safetensors",
              safetensors_bytes(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}})", std::string(12, '\0')));
  expect_gradients_refused("w.safetensors", "short.safetensors",
                           {path("short.safetensors") + ": tensor 'x' ends at byte 24", "truncated"});
}

TEST_F(BadInputsCli, SafetensorsDuplicateTensorNames) {
  write_bytes("dup.safetensors", safetensors_bytes(R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                                   R"("x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                                   std::string(8, '\0')));
  expect_gradients_refused("w.safetensors", "dup.safetensors", {path("dup.safetensors"), "duplicate tensor name 'x'"});
}

TEST_F(BadInputsCli, CheckpointDtypeMismatch) {
  expect_refused({"gradients", "--model", path("m.json"), "--weights", path("w.safetensors"), "--input",
                  path("x.safetensors"), "--dtype", "float64", "--out", path("o.safetensors")},
                 {"tensor 'd1/kernel' is float32 but model 'm' was built for float64"});
}

TEST_F(BadInputsCli, CheckpointOfADifferentModel) {
  write_text("other.json", R"({"name": "other", "inputs": {"x": [3]}, "layers": [
      {"name": "enc", "type": "dense", "units": 4}, {"name": "d2", "type": "dense", "units": 2}]})");
  ASSERT_EQ(run_cli({"init", "--model", path("other.json"), "--out", path("other.safetensors")}).exit_code, 0);
  expect_gradients_refused("other.safetensors", "x.safetensors",
                           {path("other.safetensors"), "for model 'm' (is this a checkpoint of a different model?)"});
}

TEST_F(BadInputsCli, CheckpointShapeMismatch) {
  write_text("wide.json", R"({"name": "m", "inputs": {"x": [3]}, "layers": [
      {"name": "d1", "type": "dense", "units": 5, "activation": "tanh"}, {"name": "d2", "type": "dense", "units": 2}]})");
  ASSERT_EQ(run_cli({"init", "--model", path("wide.json"), "--out", path("wide.safetensors")}).exit_code, 0);
  expect_gradients_refused("wide.safetensors", "x.safetensors",
                           {path("wide.safetensors") + ": tensor 'd1/kernel' has shape [3, 5] but model 'm' expects [3, 4]"});
}

TEST_F(BadInputsCli, SequenceInputWrongRank) {
  expect_init_refused(R"({"inputs": {"x": [3]}, "layers": [{"name": "l", "type": "lstm", "units": 4}]})",
                      {"bad.json: layer 'l' (lstm)", "expected a sequence input of rank 3 [batch, time, features]"});
}

TEST_F(BadInputsCli, SequenceWithZeroTimeSteps) {
  expect_init_refused(R"({"inputs": {"x": [0, 3]}, "layers": [{"name": "l", "type": "gru", "units": 4}]})",
                      {"bad.json: input 'x': dimensions must be positive integers"});
}

TEST_F(BadInputsCli, ConvKernelLargerThanPaddedInput) {
  expect_init_refused(R"({"inputs": {"x": [5, 4, 1]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 5}]})",
                      {"bad.json: layer 'c' (conv2d)", "c (width): the window spans 5 positions"});
}

TEST_F(BadInputsCli, ConvZeroStrides) {
  expect_init_refused(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 3, "strides": 0}]})",
                      {"bad.json: layer 'c' (conv2d)", "c: strides must be positive, got 0"});
}

TEST_F(BadInputsCli, ConvGroupsDoNotDivideChannels) {
  expect_init_refused(R"({"inputs": {"x": [5, 5, 3]}, "layers": [{"name": "c", "type": "conv2d", "filters": 4, "kernel_size": 3, "groups": 2}]})",
                      {"bad.json: layer 'c' (conv2d)", "which groups = 2 does not divide"});
}

TEST_F(BadInputsCli, ImageInputWrongRank) {
  expect_init_refused(R"({"inputs": {"x": [28, 28]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 3}]})",
                      {"bad.json: layer 'c' (conv2d)", "expected an image input of rank 4 [batch, height, width, channels]"});
}

TEST_F(BadInputsCli, ReshapeTargetDoesNotFit) {
  expect_init_refused(R"({"inputs": {"x": [784]}, "layers": [{"name": "r", "type": "reshape", "target_shape": [28, 27, 1]}]})",
                      {"bad.json: layer 'r' (reshape)", "which do not fill target_shape (28, 27, 1)"});
}

TEST_F(BadInputsCli, ZeroPaddingMalformed) {
  expect_init_refused(R"({"inputs": {"x": [4, 4, 1]}, "layers": [{"name": "z", "type": "zero_padding2d", "padding": -1}]})",
                      {"bad.json: layer 'z' (zero_padding2d)", "padding must not be negative, got -1"});
}

TEST_F(BadInputsCli, DeltaOrthogonalOnAWideningKernelOnly) {
  expect_init_refused(R"({"inputs": {"x": [6, 6, 8]}, "layers": [
                          {"name": "c", "type": "conv2d", "filters": 4, "kernel_size": 3, "kernel_initializer": "delta_orthogonal"}]})",
                      {"bad.json", "delta_orthogonal: the kernel [3, 3, 8, 4] has 8 input channels but 4 filters"});
}

TEST_F(BadInputsCli, BidirectionalAroundANonRecurrentLayer) {
  expect_init_refused(R"({"inputs": {"x": [5, 3]}, "layers": [
                          {"name": "b", "type": "bidirectional", "layer": {"type": "dense", "units": 4}}]})",
                      {"bad.json: layer 'b' (bidirectional): key 'layer' must be a recurrent layer object"});
}

TEST_F(BadInputsCli, RecurrentWeightsWithTheWrongGateCount) {
  write_text("lstm.json", R"({"name": "m", "inputs": {"x": [5, 3]}, "layers": [{"name": "g", "type": "lstm", "units": 4}]})");
  write_text("gru.json", R"({"name": "m", "inputs": {"x": [5, 3]}, "layers": [{"name": "g", "type": "gru", "units": 4}]})");
  ASSERT_EQ(run_cli({"init", "--model", path("lstm.json"), "--out", path("lstm.safetensors")}).exit_code, 0);
  TensorFile input;
  input.add("x", zeros({2, 5, 3}));
  write_safetensors(path("seq.safetensors"), input);
  expect_refused({"gradients", "--model", path("gru.json"), "--weights", path("lstm.safetensors"), "--input",
                  path("seq.safetensors"), "--out", path("o.safetensors")},
                 {path("lstm.safetensors") + ": tensor 'g/kernel' has shape [3, 16] but model 'm' expects [3, 12]",
                  "a gru of 4 units has 3 gates (z, r, h)"});
}

TEST_F(BadInputsCli, SpecWithACycle) {
  expect_init_refused(R"({"inputs": {"x": [3]}, "layers": [
                          {"name": "a", "type": "dense", "units": 2, "inputs": ["b"]},
                          {"name": "b", "type": "dense", "units": 2, "inputs": ["a"]}]})",
                      {"bad.json: the layers' inputs form a cycle"});
}

TEST_F(BadInputsCli, SpecUnknownLayerType) {
  expect_init_refused(R"({"inputs": {"x": [3]}, "layers": [{"type": "conv9"}]})",
                      {"bad.json: layers[0]: unknown layer type 'conv9'"});
}

TEST_F(BadInputsCli, SpecUnknownKey) {
  expect_init_refused(R"({"inputs": {"x": [3]}, "layers": [{"type": "dense", "unitz": 4}]})",
                      {"bad.json: layer 'dense' (dense): unknown key 'unitz'"});
}

TEST_F(BadInputsCli, SpecNonNumericValues) {
  expect_init_refused(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": "many"}]})",
                      {"bad.json: layer 'd' (dense): key 'units' must be an integer"});
}

TEST_F(BadInputsCli, SpecNotJson) {
  expect_init_refused(R"({"inputs": )", {"bad.json: not valid JSON"});
}

TEST_F(BadInputsCli, TensorTooLargeToAllocate) {
  expect_init_refused(R"({"inputs": {"x": [1000000]}, "layers": [{"name": "d", "type": "dense", "units": 1000000}]})",
                      {"bad.json: layer 'd' (dense)", "too large to allocate"});
}

TEST_F(BadInputsCli, NonFiniteInputData) {
  TensorFile input;
  input.add("x", from_values({1, 3}, {0.1, INFINITY, 0.3}));
  write_safetensors(path("inf.safetensors"), input);
  expect_gradients_refused("w.safetensors", "inf.safetensors", {"non-finite"});
}

TEST_F(BadInputsCli, MissingInputFile) {
  expect_gradients_refused("nope.safetensors", "x.safetensors", {path("nope.safetensors") + ": cannot open"});
}

TEST_F(BadInputsCli, UnwritableOutputPath) {
  write_text("plain_file", "x");
  expect_refused({"init", "--model", path("m.json"), "--out", path("plain_file/w.safetensors")},
                 {path("plain_file/w.safetensors") + ": cannot create a temporary file beside it"});
  expect_refused({"init", "--model", path("m.json"), "--out", path("no/such/dir/w.safetensors")}, {"no/such/dir"});
}

// A small report study, so the refused cases would finish quickly if they were not refused.
const std::vector<std::string> kSmallReport = {"report",       "--depths", "2",     "--activations", "relu",
                                               "--initializers", "he_uniform", "--skips", "none", "--norms",
                                               "none",         "--trials", "1",     "--lesson-trials", "1",
                                               "--no-adding-problem", "--no-conv"};

std::vector<std::string> with(std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

TEST_F(BadInputsCli, ReportUnwritableOut) {
  write_text("plain_file", "x");
  expect_refused(with(kSmallReport, {"--out", path("no/such/dir/r.html")}),
                 {"--out " + path("no/such/dir/r.html"), "does not exist"});
  expect_refused(with(kSmallReport, {"--out", path("plain_file/r.html")}), {"--out " + path("plain_file/r.html")});
  expect_refused(with(kSmallReport, {"--out", dir_.string()}), {"--out " + dir_.string() + ": is a folder"});
}

TEST_F(BadInputsCli, ReportBadOptions) {
  // Each bad option, and the option and value its message must name.
  const std::vector<std::vector<std::string>> cases = {
      {"--depth", "0", "0"},        {"--depth", "2,x", "x"},          {"--trials", "0", "0"},
      {"--norm", "instance", "instance"}, {"--activation", "nope", "nope"}, {"--seed", "-1", "-1"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c[0] + " " + c[1]);
    expect_refused(with(kSmallReport, {c[0], c[1], "--out", path("r.html")}), {c[0], c[2]});
  }
}

TEST_F(BadInputsCli, ProbeReportUnwritable) {
  // Refused before the probe runs: nothing printed, no file left.
  write_text("plain_file", "x");
  const auto before = files();
  for (const std::string option : {"--report", "--out"}) {
    for (const std::string& report : std::vector<std::string>{path("no/such/dir/p.html"), path("plain_file/p.html"), dir_.string()}) {
      const auto r = run_cli({"probe", "--depth", "2", "--width", "4", option, report});
      EXPECT_EQ(r.exit_code, 2) << r.err;
      EXPECT_TRUE(r.err.starts_with("gradlab: " + option + " " + report + ": ")) << r.err;
      EXPECT_TRUE(r.out.empty()) << r.out;
    }
  }
  EXPECT_EQ(files(), before) << "no report, and no temporary file, is left behind";
}

TEST_F(BadInputsCli, ProbeRecurrentBadOptions) {
  TensorFile flat;
  flat.add("x", zeros({2, 3}));
  write_safetensors(path("flat.safetensors"), flat);
  const std::vector<std::string> small = {"--units", "4", "--features", "3", "--batch", "2", "--out", path("o.txt")};
  const auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "probe");
    args.insert(args.end(), small.begin(), small.end());
    return args;
  };
  expect_refused(with({"--cell", "lstm", "--time-steps", "0"}), {"--time-steps: Value 0 not in range 1 to 100000"});
  expect_refused(with({"--cell", "lstn"}), {"--cell: lstn not in {simple_rnn,lstm,gru}"});
  expect_refused(with({"--time-steps", "5"}), {"--time-steps requires --cell"});
  expect_refused({"probe", "--cell", "gru", "--model", path("m.json"), "--out", path("o.txt")}, {"--model excludes --cell"});
  expect_refused({"probe", "--recurrent-init", "orthogonal", "--model", path("m.json"), "--out", path("o.txt")},
                 {"--model excludes --recurrent-init"});
  expect_refused(with({"--cell", "gru", "--norm", "batch"}), {"--norm batch: a recurrent network takes --norm layer"});
  expect_refused(with({"--cell", "gru", "--skip", "residual"}), {"--skip residual: the inline recurrent network (--cell) has no skip connections"});
  expect_refused(with({"--cell", "lstm", "--recurrent-init", "orthogonl"}), {"--recurrent-init: unknown initializer 'orthogonl'"});
  expect_refused({"probe", "--cell", "lstm", "--input", path("flat.safetensors"), "--out", path("o.txt")},
                 {path("flat.safetensors") + ": tensor 'x' is", "expected a sequence [batch, time, features]"});
}

TEST_F(BadInputsCli, ExistingOutputSurvivesARefusedRun) {
  // A bad run must not replace or truncate a good file already at the output path.
  const std::string good = path("w.safetensors");
  const auto size = fs::file_size(good);
  write_bytes("t.safetensors", std::string("\x10\x00\x00", 3));
  expect_refused({"gradients", "--model", path("m.json"), "--weights", path("t.safetensors"), "--input",
                  path("x.safetensors"), "--out", good},
                 {"truncated"});
  EXPECT_EQ(fs::file_size(good), size);
  EXPECT_EQ(read_safetensors(good).size(), 4u);
}

TEST_F(BadInputsCli, TheoryBadVariances) {
  expect_refused({"theory", "--activation", "tanh", "--sigma-w2", "-1"}, {"sigma_w2", "finite and >= 0", "-1"});
  expect_refused({"theory", "--activation", "tanh", "--sigma-w2", "1", "--sigma-b2", "nan"}, {"sigma_b2", "nan"});
  expect_refused({"theory", "--activation", "tanh", "--sigma-w2", "inf"}, {"sigma_w2", "inf"});
  expect_refused({"theory", "--activation", "tanh", "--critical-line", "--sigma-b2-max", "-0.5"}, {"sigma_b2", "-0.5"});
}

TEST_F(BadInputsCli, TheoryUnknownActivation) {
  expect_refused({"theory", "--activation", "relu7", "--sigma-w2", "2"}, {"unknown activation 'relu7'", "tanh"});
  expect_refused({"theory", "--activation", "softmax", "--sigma-w2", "2"}, {"softmax", "not elementwise"});
}

TEST_F(BadInputsCli, TheoryInitializerWithoutVariance) {
  expect_refused({"theory", "--activation", "relu", "--initializer", "he_unifrom"}, {"unknown initializer 'he_unifrom'"});
  expect_refused({"theory", "--activation", "relu", "--initializer", "orthogonal"}, {"orthogonal", "no sigma_w2"});
  expect_refused({"theory", "--activation", "relu", "--initializer", "he_uniform", "--fan-in", "0"}, {"fan_in=0"});
}

TEST_F(BadInputsCli, TheoryBadPhaseDiagram) {
  expect_refused({"theory", "--activation", "tanh", "--phase-diagram", path("d.txt")}, {"d.txt", ".csv or .json"});
  expect_refused({"theory", "--activation", "tanh", "--phase-diagram", path("missing/d.csv")}, {"--phase-diagram", "missing"});
  expect_refused({"theory", "--activation", "tanh", "--phase-diagram", path("d.csv"), "--grid-sigma-w2", "1", "2", "0"},
                 {"sigma_w2 axis", "got 0"});
  expect_refused({"theory", "--activation", "tanh", "--phase-diagram", path("d.json"), "--grid-sigma-b2", "0.3", "0.1", "4"},
                 {"sigma_b2 axis", "0.3"});
}

TEST_F(BadInputsCli, TheoryNothingToDo) {
  expect_refused({"theory", "--activation", "tanh"}, {"--sigma-w2", "--critical-line", "--phase-diagram"});
  expect_refused({"theory", "--activation", "tanh", "--sigma-w2", "1", "--initializer", "he_uniform"}, {"excludes"});
}

}  // namespace
}  // namespace gradlab
