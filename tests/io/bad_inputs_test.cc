// The library rows of docs/bad-inputs.md: each bad input is refused with an Error that names the file
// and says what was wrong. Test names follow the table's rows; keep the two in step.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/io/idx.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/io/weights.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

// Runs `f`, which must throw an Error whose message holds every fragment.
template <typename F>
void expect_error(F&& f, std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an Error containing '" << *fragments.begin() << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' is not in: " << message;
    }
  }
}

std::string safetensors_bytes(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

void expect_safetensors_error(const std::string& bytes, std::initializer_list<std::string> fragments) {
  expect_error([&] { parse_safetensors(bytes, "w.safetensors"); }, fragments);
  expect_error([&] { parse_safetensors(bytes, "w.safetensors"); }, {"w.safetensors: "});
}

void expect_spec_error(const std::string& json, std::initializer_list<std::string> fragments) {
  expect_error([&] { build_model(parse_model_spec(json, "m.json")); }, fragments);
  expect_error([&] { build_model(parse_model_spec(json, "m.json")); }, {"m.json: "});
}

std::string idx_header(std::uint8_t type, std::initializer_list<std::uint32_t> dims) {
  std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
  for (std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((d >> shift) & 0xff);
  }
  return out;
}

constexpr const char* kTinySpec = R"({"name": "m", "inputs": {"x": [3]}, "layers": [
    {"name": "d1", "type": "dense", "units": 4}]})";

// --- safetensors -------------------------------------------------------------------------------

TEST(BadInputs, SafetensorsTruncatedHeader) {
  expect_safetensors_error("\x10\x00\x00", {"truncated", "8-byte header length"});
  expect_safetensors_error(safetensors_bytes("{}").substr(0, 8) + "{", {"header length 2 points past the end"});
}

TEST(BadInputs, SafetensorsOversizedHeader) {
  expect_safetensors_error(std::string(8, '\x7f') + "{}", {"header length", "larger than the limit of 100000000 bytes"});
}

TEST(BadInputs, SafetensorsLengthPastTheEnd) {
  expect_safetensors_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12345678"),
                           {"tensor 'a' ends at byte 16", "past its end (8 bytes)", "truncated"});
}

TEST(BadInputs, SafetensorsDtypeNotReadable) {
  expect_safetensors_error(safetensors_bytes(R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", "1234"),
                           {"tensor 'a' has dtype BF16, which gradlab does not read"});
}

TEST(BadInputs, SafetensorsShapeDisagreesWithByteCount) {
  expect_safetensors_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", "1234"),
                           {"tensor 'a'", "needs 8 bytes but data_offsets span 4"});
}

TEST(BadInputs, SafetensorsDuplicateTensorNames) {
  expect_safetensors_error(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                             "12345678"),
                           {"duplicate tensor name 'a'"});
}

TEST(BadInputs, TensorTooLargeToAllocate) {
  // Each refusal comes before any allocation: the claimed sizes would need exabytes.
  expect_safetensors_error(
      safetensors_bytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", "1234"),
      {"tensor 'a': shape [4294967296,4294967296] is too large"});
  expect_error([] { parse_idx(idx_header(0x0E, {0xffffffffu, 0xffffffffu, 0xffffffffu}), "x.idx"); },
               {"x.idx: dims [4294967295, 4294967295, 4294967295] of f64 need more than the limit"});
  expect_spec_error(R"({"inputs": {"x": [1000000]}, "layers": [{"name": "d", "type": "dense", "units": 1000000}]})",
                    {"layer 'd'", "too large"});
}

// --- model specs -------------------------------------------------------------------------------

TEST(BadInputs, SpecWithACycle) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [
                        {"name": "a", "type": "dense", "units": 2, "inputs": ["c"]},
                        {"name": "b", "type": "dense", "units": 2, "inputs": ["a"]},
                        {"name": "c", "type": "dense", "units": 2, "inputs": ["b"]}]})",
                    {"the layers' inputs form a cycle", "'a', 'b', 'c'"});
}

TEST(BadInputs, SpecUnknownLayerType) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"type": "conv9"}]})",
                    {"layers[0]: unknown layer type 'conv9'", "known: ", "dense"});
}

// Item 13 of issue 15: a layer no output depends on was dropped without a word, and weights written
// for it were then refused as "not a variable of model".
TEST(BadInputs, SpecLayerReachesNoOutput) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d1", "type": "dense", "units": 2},
                          {"name": "d2", "type": "dense", "units": 2},
                          {"name": "d3", "type": "dense", "units": 2, "inputs": ["d1"]}],
                        "outputs": ["d2"]})",
                    {"m.json: layer 'd3' reaches no output (outputs: d2); list it in 'outputs'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "a", "type": "dense", "units": 2},
                          {"name": "b", "type": "dense", "units": 2, "inputs": ["x"]},
                          {"name": "c", "type": "dense", "units": 2, "inputs": ["b"]},
                          {"name": "d", "type": "dense", "units": 2, "inputs": ["x"]}]})",
                    {"layers 'a', 'b', 'c' reach no output (outputs: d)"});
}

// Item 14 of issue 15: an entry's position alone is hard to find in a long list; its name is given too.
TEST(BadInputs, SpecLayerNamedBesideItsIndex) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d1", "type": "dense", "units": 2},
                                                          {"name": "d2", "type": "Dense", "units": 2}]})",
                    {"layers[1] 'd2': unknown layer type 'Dense'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d1", "units": 2}]})", {"layers[0] 'd1' needs a string 'type'"});
}

// Item 14 of issue 15: a graph is built on an empty batch, and shapes in errors showed it as 0.
TEST(BadInputs, SpecShapesShowTheBatchAsN) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d1", "type": "dense", "units": 4},
                          {"name": "d2", "type": "dense", "units": 5, "inputs": ["x"]},
                          {"name": "s", "type": "add", "inputs": ["d1", "d2"]}]})",
                    {"layer 's' (add): s: input 1 has shape [N, 5] but input 0 has [N, 4]"});
}

// Item 14 of issue 15: nlohmann's "[json.exception.parse_error.101]" tag names the library, not the problem.
TEST(BadInputs, SpecNotJsonWithoutTheLibrarysTag) {
  expect_spec_error(R"({"inputs": {"x": [3]},)", {"m.json: not valid JSON: parse error at line 1"});
  try {
    parse_model_spec(R"({"inputs": {"x": [3]},)", "m.json");
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find("json.exception"), std::string::npos) << e.what();
  }
}

TEST(BadInputs, SpecUnknownKey) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "unitz": 4}]})",
                    {"layer 'd' (dense): unknown key 'unitz'", "valid keys: ", "units"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"type": "dense", "units": 4}], "optimizer": "sgd"})",
                    {"unknown top-level key 'optimizer'"});
}

TEST(BadInputs, SpecNonNumericValues) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": "many"}]})",
                    {"layer 'd' (dense): key 'units' must be an integer, got \"many\""});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "bn", "type": "batch_normalization", "epsilon": "tiny"}]})",
                    {"layer 'bn' (batch_normalization): key 'epsilon' must be a finite number, got \"tiny\""});
  expect_spec_error(R"({"inputs": {"x": ["three"]}, "layers": [{"type": "dense", "units": 4}]})",
                    {"input 'x': dimensions must be positive integers"});
}

TEST(BadInputs, SpecBadInitializerArguments) {
  const auto spec = [](const std::string& initializer) {
    return R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 4, "kernel_initializer": )" +
           initializer + "}]}";
  };
  expect_spec_error(spec(R"({"name": "variance_scaling", "mode": "fan_sum"})"),
                    {"layer 'd' (dense): key 'kernel_initializer': mode must be fan_in, fan_out or fan_avg, got 'fan_sum'"});
  expect_spec_error(spec(R"({"name": "variance_scaling", "distribution": "normal"})"),
                    {"key 'kernel_initializer': distribution must be truncated_normal, untruncated_normal or uniform, got 'normal'"});
  expect_spec_error(spec(R"({"name": "variance_scaling", "mode": 2})"),
                    {"layer 'd' (dense): initializer 'variance_scaling': 'mode' must be a string, got 2"});
  expect_spec_error(spec(R"({"name": "variance_scaling", "scale": 0})"),
                    {"key 'kernel_initializer': variance_scaling: argument scale must be a positive finite number"});
  expect_spec_error(spec(R"({"name": "random_normal", "stddev": "wide"})"),
                    {"initializer 'random_normal': 'stddev' must be a finite number, got \"wide\""});
  expect_spec_error(spec(R"({"name": "random_normal", "stddev": -1})"),
                    {"key 'kernel_initializer': random_normal: expected a finite mean and a finite stddev >= 0"});
  expect_spec_error(spec(R"({"name": "variance_scaling", "seed": 1})"),
                    {"key 'kernel_initializer': initializer 'variance_scaling' has no argument 'seed'"});
}

TEST(BadInputs, SpecNotJson) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [)", {"not valid JSON"});
}

// --- weights (checkpoints) ---------------------------------------------------------------------

TEST(BadInputs, CheckpointOfADifferentModel) {
  Model model = build_model(parse_model_spec(kTinySpec));
  const std::vector<double> before = model.variables()[0].value().to_vector();
  TensorFile other;
  other.set_source("other.safetensors");
  other.add("enc/kernel", zeros({3, 4}));
  other.add("enc/bias", zeros({4}));
  expect_error([&] { load_weights(model, other); },
               {"other.safetensors: no tensor 'd1/kernel' for model 'm'", "checkpoint of a different model"});
  EXPECT_EQ(model.variables()[0].value().to_vector(), before) << "a refused checkpoint changes nothing";
}

TEST(BadInputs, CheckpointShapeMismatch) {
  Model model = build_model(parse_model_spec(kTinySpec));
  TensorFile file;
  file.set_source("w.safetensors");
  file.add("d1/kernel", zeros({3, 5}));
  file.add("d1/bias", zeros({4}));
  expect_error([&] { load_weights(model, file); },
               {"w.safetensors: tensor 'd1/kernel' has shape [3, 5] but model 'm' expects [3, 4]"});
}

TEST(BadInputs, CheckpointDtypeMismatch) {
  Model model = build_model(parse_model_spec(kTinySpec));
  TensorFile file;
  file.set_source("w.safetensors");
  file.add("d1/kernel", zeros({3, 4}, DType::float64));
  file.add("d1/bias", zeros({4}, DType::float64));
  expect_error([&] { load_weights(model, file); },
               {"w.safetensors: tensor 'd1/kernel' is float64 but model 'm' was built for float32"});
}

// --- recurrent layers ------------------------------------------------------------------------

TEST(BadInputs, SequenceInputWrongRank) {
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "l", "type": "lstm", "units": 4}]})",
                    {"layer 'l' (lstm)", "expected a sequence input of rank 3 [batch, time, features], got shape [N, 3]"});
}

TEST(BadInputs, SequenceWithZeroTimeSteps) {
  expect_spec_error(R"({"inputs": {"x": [0, 3]}, "layers": [{"name": "l", "type": "gru", "units": 4}]})",
                    {"input 'x': dimensions must be positive integers"});
  Model model = build_model(parse_model_spec(R"({"name": "m", "inputs": {"x": [5, 3]}, "layers": [
      {"name": "l", "type": "simple_rnn", "units": 4}]})"));
  expect_error([&] { model.layers().back()(zeros({2, 0, 3})); },
               {"l: the input sequence has 0 time steps; a recurrent layer needs at least 1"});
}

TEST(BadInputs, ConvKernelLargerThanPaddedInput) {
  expect_spec_error(R"({"inputs": {"x": [5, 4, 1]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 5}]})",
                    {"layer 'c' (conv2d)", "c (width): the window spans 5 positions (size 5, dilation 1) but the input has only 4"});
  expect_spec_error(R"({"inputs": {"x": [9, 2]}, "layers": [
      {"name": "k", "type": "conv1d", "filters": 2, "kernel_size": 3, "dilation_rate": 5}]})",
                    {"layer 'k' (conv1d)", "k (steps): the window spans 11 positions"});
  expect_spec_error(R"({"inputs": {"x": [2, 6, 1]}, "layers": [{"name": "p", "type": "max_pooling2d", "pool_size": 3}]})",
                    {"layer 'p' (max_pooling2d)", "p (height): the window spans 3 positions"});
  expect_spec_error(R"({"inputs": {"x": [4, 6, 2]}, "layers": [{"name": "dw", "type": "depthwise_conv2d", "kernel_size": 5}]})",
                    {"layer 'dw' (depthwise_conv2d)", "dw (height): the window spans 5 positions"});
  expect_spec_error(R"({"inputs": {"x": [3, 2]}, "layers": [{"name": "p", "type": "max_pooling1d", "pool_size": 4}]})",
                    {"layer 'p' (max_pooling1d)", "p (steps): the window spans 4 positions"});
  // "same" padding fits any kernel.
  EXPECT_NO_THROW(build_model(parse_model_spec(
      R"({"inputs": {"x": [2, 2, 1]}, "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 5, "padding": "same"}]})")));
}

TEST(BadInputs, ConvZeroStrides) {
  expect_spec_error(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 3, "strides": [1, 0]}]})",
                    {"layer 'c' (conv2d)", "c: strides must be positive, got 0"});
  expect_spec_error(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "p", "type": "average_pooling2d", "strides": 0}]})",
                    {"layer 'p' (average_pooling2d)", "p: strides must be positive, got 0"});
  expect_spec_error(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "dw", "type": "depthwise_conv2d", "kernel_size": 3, "strides": [0, 1]}]})",
                    {"layer 'dw' (depthwise_conv2d)", "dw: strides must be positive, got 0"});
  expect_spec_error(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "dw", "type": "depthwise_conv2d", "kernel_size": 3, "depth_multiplier": 0}]})",
                    {"layer 'dw' (depthwise_conv2d)", "dw: depth_multiplier must be positive, got 0"});
  expect_spec_error(R"({"inputs": {"x": [9, 2]}, "layers": [{"name": "p", "type": "average_pooling1d", "strides": 0}]})",
                    {"layer 'p' (average_pooling1d)", "p: strides must be positive, got 0"});
  expect_spec_error(R"({"inputs": {"x": [5, 5, 1]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": [3, 3, 3]}]})",
                    {"layer 'c' (conv2d): key 'kernel_size' must be an integer or a list of 2 integers, got [3,3,3]"});
}

TEST(BadInputs, ConvGroupsDoNotDivideChannels) {
  expect_spec_error(R"({"inputs": {"x": [5, 5, 3]}, "layers": [{"name": "c", "type": "conv2d", "filters": 4, "kernel_size": 3, "groups": 2}]})",
                    {"layer 'c' (conv2d)", "c: the input has 3 channels, which groups = 2 does not divide"});
  expect_spec_error(R"({"inputs": {"x": [5, 4]}, "layers": [{"name": "k", "type": "conv1d", "filters": 3, "kernel_size": 3, "groups": 2}]})",
                    {"layer 'k' (conv1d)", "k: filters = 3 must be divisible by groups = 2"});
}

TEST(BadInputs, ImageInputWrongRank) {
  expect_spec_error(R"({"inputs": {"x": [28, 28]}, "layers": [{"name": "c", "type": "conv2d", "filters": 2, "kernel_size": 3}]})",
                    {"layer 'c' (conv2d)", "c: expected an image input of rank 4 [batch, height, width, channels], got shape [N, 28, 28]"});
  expect_spec_error(R"({"inputs": {"x": [784]}, "layers": [{"name": "p", "type": "max_pooling2d"}]})",
                    {"layer 'p' (max_pooling2d)", "p: expected an image input of rank 4"});
  expect_spec_error(R"({"inputs": {"x": [28, 28, 1]}, "layers": [{"name": "k", "type": "conv1d", "filters": 2, "kernel_size": 3}]})",
                    {"layer 'k' (conv1d)", "k: expected a sequence input of rank 3 [batch, steps, channels], got shape [N, 28, 28, 1]"});
  expect_spec_error(R"({"inputs": {"x": [10]}, "layers": [{"name": "g", "type": "global_average_pooling2d"}]})",
                    {"layer 'g' (global_average_pooling2d)", "g: expected an image input of rank 4"});
  expect_spec_error(R"({"inputs": {"x": [10, 3]}, "layers": [{"name": "g", "type": "global_max_pooling2d"}]})",
                    {"layer 'g' (global_max_pooling2d)", "g: expected an image input of rank 4"});
  expect_spec_error(R"({"inputs": {"x": [10, 3]}, "layers": [{"name": "dw", "type": "depthwise_conv2d", "kernel_size": 3}]})",
                    {"layer 'dw' (depthwise_conv2d)", "dw: expected an image input of rank 4"});
  expect_spec_error(R"({"inputs": {"x": [10, 3]}, "layers": [{"name": "z", "type": "zero_padding2d"}]})",
                    {"layer 'z' (zero_padding2d)", "z: expected an image input of rank 4"});
  expect_spec_error(R"({"inputs": {"x": [4, 4, 3]}, "layers": [{"name": "p", "type": "max_pooling1d"}]})",
                    {"layer 'p' (max_pooling1d)", "p: expected a sequence input of rank 3 [batch, steps, channels]"});
}

TEST(BadInputs, ReshapeTargetDoesNotFit) {
  expect_spec_error(R"({"inputs": {"x": [784]}, "layers": [{"name": "r", "type": "reshape", "target_shape": [28, 27, 1]}]})",
                    {"layer 'r' (reshape)", "r: an example of the input [N, 784] has 784 values, which do not fill target_shape (28, 27, 1)"});
  expect_spec_error(R"({"inputs": {"x": [784]}, "layers": [{"name": "r", "type": "reshape", "target_shape": [-1, -1, 1]}]})",
                    {"layer 'r' (reshape)", "r: target_shape (-1, -1, 1) has -1 more than once"});
  expect_spec_error(R"({"inputs": {"x": [784]}, "layers": [{"name": "r", "type": "reshape", "target_shape": [-1, 0]}]})",
                    {"layer 'r' (reshape)", "each entry must be positive or -1"});
}

TEST(BadInputs, ZeroPaddingMalformed) {
  expect_spec_error(R"({"inputs": {"x": [4, 4, 1]}, "layers": [{"name": "z", "type": "zero_padding2d", "padding": [[1, -1], [0, 0]]}]})",
                    {"layer 'z' (zero_padding2d)", "z: padding must not be negative, got -1"});
  expect_spec_error(R"({"inputs": {"x": [4, 4, 1]}, "layers": [{"name": "z", "type": "zero_padding2d", "padding": [1, 2, 3]}]})",
                    {"layer 'z' (zero_padding2d): key 'padding' must be an integer, a list [height, width] or a list [[top, bottom], [left, right]] of integers"});
}

TEST(BadInputs, DeltaOrthogonalOnAWideningKernelOnly) {
  expect_spec_error(R"({"inputs": {"x": [6, 6, 8]}, "layers": [
      {"name": "c", "type": "conv2d", "filters": 4, "kernel_size": 3, "kernel_initializer": "delta_orthogonal"}]})",
                    {"delta_orthogonal: the kernel [3, 3, 8, 4] has 8 input channels but 4 filters"});
  expect_spec_error(R"({"inputs": {"x": [6]}, "layers": [{"name": "d", "type": "dense", "units": 4, "kernel_initializer": "delta_orthogonal"}]})",
                    {"delta_orthogonal: expected a convolution kernel"});
}

TEST(BadInputs, BidirectionalAroundANonRecurrentLayer) {
  expect_spec_error(R"({"inputs": {"x": [5, 3]}, "layers": [
      {"name": "b", "type": "bidirectional", "layer": {"type": "dense", "units": 4}}]})",
                    {"layer 'b' (bidirectional): key 'layer' must be a recurrent layer object with type simple_rnn, "
                     "lstm or gru"});
  expect_spec_error(R"({"inputs": {"x": [5, 3]}, "layers": [
      {"name": "b", "type": "bidirectional", "layer": {"type": "lstm", "units": 4, "unitz": 2}}]})",
                    {"layer 'b' (bidirectional): its lstm layer has no key 'unitz'"});
}

TEST(BadInputs, RecurrentWeightsWithTheWrongGateCount) {
  Model model = build_model(parse_model_spec(R"({"name": "m", "inputs": {"x": [5, 3]}, "layers": [
      {"name": "g", "type": "gru", "units": 4}]})"));
  TensorFile file;
  file.set_source("w.safetensors");
  file.add("g/kernel", zeros({3, 16}));  // an LSTM's four gates
  file.add("g/recurrent_kernel", zeros({4, 16}));
  file.add("g/bias", zeros({16}));
  expect_error([&] { load_weights(model, file); },
               {"w.safetensors: tensor 'g/kernel' has shape [3, 16] but model 'm' expects [3, 12]",
                "a gru of 4 units has 3 gates (z, r, h) of 4 columns each"});
}

// --- data sets ---------------------------------------------------------------------------------

TEST(BadInputs, NonFiniteInputData) {
  std::string nan_f32 = idx_header(0x0D, {1, 2}) + std::string("\x3f\x80\x00\x00\x7f\xc0\x00\x00", 8);
  expect_error([&] { parse_idx(nan_f32, "x.idx"); }, {"x.idx: element [0, 1] (index 1) is NaN; input data must be finite"});
  std::string inf_f64 = idx_header(0x0E, {1}) + std::string("\xff\xf0\x00\x00\x00\x00\x00\x00", 8);
  expect_error([&] { parse_idx(inf_f64, "x.idx"); }, {"x.idx: element [0] (index 0) is -inf"});
}

TEST(BadInputs, MissingDataset) {
  const std::string dir = ::testing::TempDir() + "gradlab_no_such_dataset";
  expect_error([&] { load_fashion_mnist(dir); },
               {dir + "/train-images-idx3-ubyte.gz: not found", "apt-get install dataset-fashion-mnist"});
  expect_error([&] { read_idx(dir + "/labels.idx"); }, {dir + "/labels.idx: cannot open"});
}

TEST(BadInputs, IdxMalformed) {
  expect_error([] { parse_idx(std::string("\x00\x01\x08\x01", 4), "x.idx"); }, {"x.idx: not an IDX file"});
  expect_error([] { parse_idx(std::string("\x00\x00\x05\x01", 4), "x.idx"); }, {"x.idx: byte 2: unknown IDX type code 0x05"});
  expect_error([] { parse_idx(idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}), "x.idx"); },
               {"x.idx: byte 3: the file declares 9 dimensions"});
  expect_error([] { parse_idx(idx_header(0x08, {4}) + "ab", "x.idx"); }, {"x.idx: truncated", "only 2 follow"});
  expect_error([] { parse_idx(idx_header(0x08, {2}) + "abc", "x.idx"); }, {"x.idx: 1 bytes follow", "at byte 10"});
  expect_error([] { parse_idx(std::string("\x1f\x8b\x08\x00garbage-garbage", 19), "x.idx.gz"); },
               {"x.idx.gz: the gzip stream is corrupt"});
}

// --- output files ------------------------------------------------------------------------------

TEST(BadInputs, UnwritableOutputPath) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("gradlab_bad_out_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // A path under a regular file cannot be created, whoever runs the test (root ignores permissions).
  std::ofstream(dir / "file") << "x";
  TensorFile file;
  file.add("x", zeros({2}));
  const std::string path = (dir / "file" / "w.safetensors").string();
  expect_error([&] { write_safetensors(path, file); }, {path + ": cannot create a temporary file beside it"});
  expect_error([&] { write_safetensors((dir / "missing" / "w.safetensors").string(), file); }, {"missing/w.safetensors"});
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"file"}) << "no temporary file is left behind";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace gradlab
