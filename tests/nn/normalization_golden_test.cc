// The normalization layers against PyTorch on their golden cases (tools/golden/make_golden.py), in
// training and inference mode: loss, outputs, input and variable gradients, and the moving statistics
// after a training pass (state/<layer>/<variable>).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "gradlab/gradlab.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/weights.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

const char* const kCases[] = {"batchnorm_train",     "batchnorm_infer",       "batchnorm_axis_train",
                              "batchnorm_torch_train", "batchnorm_rank4_infer", "layernorm",
                              "groupnorm",           "groupnorm_axis",        "groupnorm_rows",
                              "input_normalization"};

// Relative to the tensor's scale: float64 agrees to ~1e-10, float32 to ~1e-5 (different summation orders).
::testing::AssertionResult close(const Tensor& actual, const Tensor& expected, const std::string& name) {
  if (!actual.defined()) return ::testing::AssertionFailure() << name << ": gradlab gave no tensor";
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << name << ": shape " << actual.shape().to_string() << " vs "
                                         << expected.shape().to_string();
  }
  const double rtol = expected.dtype() == DType::float64 ? 1e-10 : 2e-5;
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  double scale = 0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (!(std::abs(a[i] - e[i]) <= rtol * (std::abs(e[i]) + scale))) {
      return ::testing::AssertionFailure() << name << ": element " << i << " is " << a[i] << ", PyTorch gives " << e[i]
                                           << " (scale " << scale << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

class NormalizationGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(NormalizationGolden, MatchesPyTorch) {
  const fs::path dir = fs::path(GRADLAB_SOURCE_DIR) / "tests" / "golden" / GetParam();
  const TensorFile expected = read_safetensors((dir / "expected.safetensors").string());
  const TensorFile input_file = read_safetensors((dir / "input.safetensors").string());
  const DType dtype = expected.get("loss").dtype();
  const ModelSpec spec = read_model_spec((dir / "spec.json").string());
  Model model = build_model(spec, {.dtype = dtype});
  load_weights(model, read_safetensors((dir / "weights.safetensors").string()));
  const bool training = expected.metadata.at("training") == "true";

  std::vector<Tensor> inputs;
  for (const auto& [name, shape] : spec.inputs) inputs.push_back(input_file.get(name));
  const std::vector<Variable> variables = model.trainable_variables();
  GradientTape tape;
  for (const Tensor& x : inputs) tape.watch(x);
  const std::vector<Tensor> outputs = model.call_all(inputs, {.training = training});
  Tensor loss;
  int64_t count = 0;
  for (const Tensor& y : outputs) {
    loss = loss.defined() ? loss + sum(y) : sum(y);
    count += y.numel();
  }
  if (expected.metadata.at("loss") == "mean") loss = loss / static_cast<double>(count);
  std::vector<Tensor> sources = inputs;
  for (const Variable& v : variables) sources.push_back(v.value());
  const std::vector<Tensor> grads = tape.gradient(loss, sources);

  EXPECT_TRUE(close(loss, expected.get("loss"), "loss"));
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_TRUE(close(outputs[i], expected.get("output/" + spec.outputs[i]), "output/" + spec.outputs[i]));
  }
  for (std::size_t i = 0; i < spec.inputs.size(); ++i) {
    const std::string name = "grad/input/" + spec.inputs[i].first;
    EXPECT_TRUE(close(grads[i], expected.get(name), name));
  }
  int64_t grads_seen = 0, states_seen = 0;
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const std::string name = "grad/" + variables[i].name();
    EXPECT_TRUE(close(grads[inputs.size() + i], expected.get(name), name));
    ++grads_seen;
  }
  for (const Variable& v : model.non_trainable_variables()) {
    const Tensor* state = expected.find("state/" + v.name());
    if (!state) continue;
    EXPECT_TRUE(close(v.value(), *state, "state/" + v.name()));
    ++states_seen;
  }
  // Every expected gradient and moving statistic was compared.
  int64_t expected_grads = 0, expected_states = 0;
  for (const auto& [name, t] : expected.tensors()) {
    if (name.starts_with("grad/") && !name.starts_with("grad/input/")) ++expected_grads;
    if (name.starts_with("state/")) ++expected_states;
  }
  EXPECT_EQ(grads_seen, expected_grads);
  EXPECT_EQ(states_seen, expected_states);
  if (training && GetParam().starts_with("batchnorm")) {
    EXPECT_GT(states_seen, 0);
  }
}

std::vector<std::string> case_folders() {
  std::vector<std::string> out;
  for (const char* name : kCases) {
    out.push_back(std::string(name) + "_f64");
    out.push_back(std::string(name) + "_f32");
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(PyTorch, NormalizationGolden, ::testing::ValuesIn(case_folders()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace gradlab
