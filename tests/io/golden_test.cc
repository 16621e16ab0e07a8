// Compares gradlab with PyTorch on the committed golden cases (tools/golden/make_golden.py): the
// same spec, weights and input must give the same loss, outputs and gradients.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "gradlab/autograd/activations.h"
#include "gradlab/instrument/model_gradients.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/weights.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> golden_cases() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(GRADLAB_SOURCE_DIR) / "tests" / "golden")) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Tolerance relative to the tensor's scale: float64 agrees to ~1e-10, float32 to ~1e-5 (PyTorch and
// gradlab sum in different orders).
::testing::AssertionResult close(const Tensor& actual, const Tensor& expected, const std::string& name) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << name << ": shape " << actual.shape().to_string() << " vs expected "
                                         << expected.shape().to_string();
  }
  if (actual.dtype() != expected.dtype()) return ::testing::AssertionFailure() << name << ": dtype differs";
  const double rtol = expected.dtype() == DType::float64 ? 1e-10 : 2e-5;
  const std::vector<double> a = actual.to_vector(), e = expected.to_vector();
  double scale = 0;
  for (double v : e) scale = std::max(scale, std::abs(v));
  std::size_t worst = 0;
  double worst_excess = -1;
  for (std::size_t i = 0; i < e.size(); ++i) {
    const double excess = std::abs(a[i] - e[i]) - rtol * (std::abs(e[i]) + scale);
    if (!(excess <= 0) && (worst_excess < 0 || excess > worst_excess || std::isnan(excess))) {
      worst = i;
      worst_excess = std::isnan(excess) ? INFINITY : excess;
    }
  }
  if (worst_excess >= 0) {
    return ::testing::AssertionFailure() << name << ": element " << worst << " is " << a[worst] << ", PyTorch gives "
                                         << e[worst] << " (tensor scale " << scale << ", rtol " << rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesPyTorch) {
  const fs::path dir = fs::path(GRADLAB_SOURCE_DIR) / "tests" / "golden" / GetParam();
  const TensorFile expected = read_safetensors((dir / "expected.safetensors").string());
  const DType dtype = expected.get("loss").dtype();
  Model model = build_model(read_model_spec((dir / "spec.json").string()), {.dtype = dtype});
  load_weights(model, read_safetensors((dir / "weights.safetensors").string()));
  const GradientsOptions options{.training = expected.metadata.at("training") == "true",
                                 .loss = parse_loss_reduction(expected.metadata.at("loss"))};
  const ModelGradients result = compute_gradients(model, read_safetensors((dir / "input.safetensors").string()), options);

  std::set<std::string> produced;
  for (const auto& [name, tensor] : result.tensors.tensors()) produced.insert(name);
  for (const auto& [name, tensor] : expected.tensors()) {
    ASSERT_TRUE(produced.count(name)) << "gradlab did not produce " << name;
    EXPECT_TRUE(close(result.tensors.get(name), tensor, name));
    produced.erase(name);
  }
  EXPECT_TRUE(produced.empty()) << "gradlab produced tensors PyTorch did not: " << *produced.begin();
}

INSTANTIATE_TEST_SUITE_P(PyTorch, Golden, ::testing::ValuesIn(golden_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(GoldenCases, CoverEveryLayerTypeAndActivation) {
  std::set<std::string> types, activations;
  for (const std::string& name : golden_cases()) {
    const ModelSpec spec = read_model_spec((fs::path(GRADLAB_SOURCE_DIR) / "tests" / "golden" / name / "spec.json").string());
    for (const LayerSpec& layer : spec.layers) {
      types.insert(layer.type);
      if (layer.options.contains("activation")) activations.insert(layer.options["activation"].get<std::string>());
    }
  }
  for (const std::string& type : spec_layer_types()) EXPECT_TRUE(types.count(type)) << "no golden case uses " << type;
  for (const std::string& act : activation_names()) EXPECT_TRUE(activations.count(act)) << "no golden case uses " << act;
}

}  // namespace
}  // namespace gradlab
