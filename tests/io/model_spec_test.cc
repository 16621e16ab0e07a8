#include "gradlab/io/model_spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/io/weights.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

const char* kResidual = R"({"name": "lesson_residual",
  "inputs": {"x": [128]},
  "layers": [
    {"name": "d1", "type": "dense", "units": 32, "activation": "relu"},
    {"name": "d2", "type": "dense", "units": 32, "activation": "relu"},
    {"name": "s1", "type": "add", "inputs": ["d2", "d1"]},
    {"name": "d3", "type": "dense", "units": 32, "activation": "relu", "inputs": ["s1"]}],
  "outputs": ["d3"]})";

void expect_spec_error(const std::string& text, const std::vector<std::string>& fragments) {
  try {
    build_model(parse_model_spec(text, "m.json"));
    FAIL() << "expected an error for " << text;
  } catch (const Error& e) {
    for (const std::string& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "missing '" << f << "' in: " << e.what();
    }
  }
}

TEST(ModelSpec, BuildsTheLessonResidualNetwork) {
  ModelSpec spec = parse_model_spec(kResidual, "m.json");
  EXPECT_EQ(spec.name, "lesson_residual");
  ASSERT_EQ(spec.layers.size(), 4u);
  EXPECT_EQ(spec.layers[0].inputs, std::vector<std::string>{"x"}) << "the first layer takes the first input";
  EXPECT_EQ(spec.layers[1].inputs, std::vector<std::string>{"d1"}) << "then the previous layer";
  Rng rng(3);
  Model model = build_model(spec, {.dtype = DType::float64, .rng = &rng});
  EXPECT_EQ(model.name(), "lesson_residual");
  std::vector<std::string> names;
  for (const Variable& v : model.variables()) names.push_back(v.name());
  EXPECT_EQ(names, (std::vector<std::string>{"d1/kernel", "d1/bias", "d2/kernel", "d2/bias", "d3/kernel", "d3/bias"}));
  EXPECT_EQ(model.get_layer("d1").variables()[0].shape(), (Shape{128, 32}));
  EXPECT_EQ(model.variables()[0].dtype(), DType::float64);

  // The model computes d3(d2(d1(x)) + d1(x)).
  Tensor x = uniform({4, 128}, rng, 0, 1, DType::float64);
  Tensor y = model(x);
  auto w = [&](const char* n) { return model.get_layer(n).variables(); };
  Tensor h1 = relu(matmul(x, w("d1")[0].value()) + w("d1")[1].value());
  Tensor h2 = relu(matmul(h1, w("d2")[0].value()) + w("d2")[1].value());
  Tensor h3 = relu(matmul(h2 + h1, w("d3")[0].value()) + w("d3")[1].value());
  ASSERT_EQ(y.shape(), (Shape{4, 32}));
  const auto a = y.to_vector(), b = h3.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_DOUBLE_EQ(a[i], b[i]);
}

TEST(ModelSpec, SameSeedSameWeights) {
  ModelSpec spec = parse_model_spec(kResidual);
  Rng r1(9), r2(9), r3(10);
  Model a = build_model(spec, {.rng = &r1}), b = build_model(spec, {.rng = &r2}), c = build_model(spec, {.rng = &r3});
  EXPECT_EQ(a.variables()[0].value().to_vector(), b.variables()[0].value().to_vector());
  EXPECT_NE(a.variables()[0].value().to_vector(), c.variables()[0].value().to_vector());
}

TEST(ModelSpec, DefaultsNamesAndInitializerObjects) {
  ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [3]}, "layers": [
      {"type": "dense", "units": 2, "use_bias": false,
       "kernel_initializer": {"name": "constant", "value": 0.5}},
      {"type": "dense", "units": 2, "kernel_initializer": {"name": "variance_scaling", "scale": 2, "mode": "fan_in",
                                                          "distribution": "uniform"},
       "bias_initializer": "ones"},
      {"type": "activation", "activation": "tanh"}]})");
  EXPECT_EQ(spec.layers[0].name, "dense");
  EXPECT_EQ(spec.layers[1].name, "dense_1");
  EXPECT_EQ(spec.layers[2].name, "activation");
  EXPECT_EQ(spec.outputs, std::vector<std::string>{"activation"}) << "outputs default to the last layer";
  Model m = build_model(spec);
  EXPECT_EQ(m.get_layer("dense").variables().size(), 1u);
  EXPECT_EQ(m.get_layer("dense").variables()[0].value().to_vector(), std::vector<double>(6, 0.5));
  EXPECT_EQ(m.get_layer("dense_1").variables()[1].value().to_vector(), std::vector<double>(2, 1.0));
  // he-style uniform on fan_in 2: limit sqrt(3 * 2 / 2).
  for (double v : m.get_layer("dense_1").variables()[0].value().to_vector()) EXPECT_LE(std::abs(v), std::sqrt(3.0));
}

// The mean-field initialization in a spec (Poole et al. 2016): weights N(0, sigma_w2 / fan_in) as an
// untruncated variance_scaling, biases N(0, sigma_b2) as a random_normal bias_initializer. The mean
// squares of n normal values have relative standard error sqrt(2 / n): 0.14% for the 10^6 kernel
// values, 3.2% for the 2000 biases; bands of 6 of them fail by chance about 2e-9 each (fixed seed).
TEST(ModelSpec, VarianceScalingUntruncatedAndARandomNormalBiasGiveTheMeanFieldInitialization) {
  const ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [500]}, "layers": [
      {"name": "d", "type": "dense", "units": 2000, "activation": "tanh",
       "kernel_initializer": {"name": "variance_scaling", "scale": 1.76, "distribution": "untruncated_normal"},
       "bias_initializer": {"name": "random_normal", "stddev": 0.2236}}]})");
  Rng rng(17);
  Model m = build_model(spec, {.rng = &rng});
  const std::vector<Variable> v = m.get_layer("d").variables();
  ASSERT_EQ(v.size(), 2u);
  const auto mean_square = [](const Tensor& t) {
    double s = 0;
    for (double x : t.to_vector()) s += x * x;
    return s / static_cast<double>(t.numel());
  };
  EXPECT_NEAR(mean_square(v[0].value()), 1.76 / 500, 6 * std::sqrt(2.0 / 1e6) * 1.76 / 500);
  EXPECT_NEAR(mean_square(v[1].value()), 0.2236 * 0.2236, 6 * std::sqrt(2.0 / 2000) * 0.2236 * 0.2236);
  double largest = 0;
  for (double x : v[0].value().to_vector()) largest = std::max(largest, std::abs(x));
  // Untruncated: among 10^6 draws some lie beyond the truncated normal's two stddev (P = 4.6% each).
  EXPECT_GT(largest, 2 * std::sqrt(1.76 / 500));
}

TEST(ModelSpec, LayersMayBeListedBeforeTheirInputs) {
  ModelSpec spec = parse_model_spec(R"({"inputs": {"x": [3]}, "layers": [
      {"name": "late", "type": "dense", "units": 2, "inputs": ["early"]},
      {"name": "early", "type": "dense", "units": 4, "inputs": ["x"]}], "outputs": ["late"]})");
  EXPECT_EQ(spec.layers[0].name, "early");
  EXPECT_EQ(build_model(spec)(zeros({1, 3})).shape(), (Shape{1, 2}));
}

TEST(ModelSpec, RejectsBadSpecsNamingLayerAndKey) {
  expect_spec_error("{", {"m.json", "not valid JSON"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [], "extra": 1})", {"unknown top-level key 'extra'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": []})", {"'layers'"});
  expect_spec_error(R"({"inputs": {"x": [0]}, "layers": [{"type": "dense", "units": 2}]})", {"input 'x'"});
  expect_spec_error(R"({"inputs": {"x": ["a"]}, "layers": [{"type": "dense", "units": 2}]})", {"input 'x'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"type": "conv9", "units": 2}]})", {"unknown layer type 'conv9'", "dense"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2, "unit": 3}]})",
                    {"layer 'd' (dense)", "unknown key 'unit'", "units"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense"}]})", {"layer 'd'", "missing required key 'units'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": "many"}]})",
                    {"layer 'd'", "'units'", "an integer"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": -2}]})", {"layer 'd'", "positive"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2, "activation": "relux"}]})",
                    {"layer 'd'", "relux"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2, "kernel_initializer": "he_unifrom"}]})",
                    {"layer 'd'", "kernel_initializer", "he_unifrom"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2,
                        "kernel_initializer": {"name": "constant", "valu": 1}}]})",
                    {"layer 'd'", "no argument 'valu'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2, "inputs": ["nowhere"]}]})",
                    {"layer 'd'", "'inputs'", "nowhere"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [
                        {"name": "a", "type": "dense", "units": 2, "inputs": ["b"]},
                        {"name": "b", "type": "dense", "units": 2, "inputs": ["a"]}]})",
                    {"cycle", "'a'", "'b'"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "a", "type": "dense", "units": 2, "inputs": ["a"]}]})",
                    {"layer 'a'", "cycle"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "x", "type": "dense", "units": 2}]})", {"'x' is used twice"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"name": "s", "type": "add"}]})", {"layer 's' (add)", "at least two"});
  expect_spec_error(R"({"inputs": {"x": [3]}, "layers": [{"type": "dense", "units": 2}], "outputs": ["y"]})", {"'outputs'", "'y'"});
  // A shape mismatch found while building names the layer.
  expect_spec_error(R"({"inputs": {"x": [3], "y": [4]}, "layers": [{"name": "s", "type": "add", "inputs": ["x", "y"]}]})",
                    {"layer 's'"});
  expect_spec_error(R"({"inputs": {"x": [3], "y": [4, 2]}, "layers": [{"name": "c", "type": "concatenate", "inputs": ["x", "y"]}]})",
                    {"layer 'c'"});
}

TEST(Weights, SaveAndLoadRoundTripAndRefuseAnotherModel) {
  ModelSpec spec = parse_model_spec(kResidual);
  Rng r1(1), r2(2);
  Model a = build_model(spec, {.rng = &r1});
  Model b = build_model(spec, {.rng = &r2});
  TensorFile saved = parse_safetensors(serialize_safetensors(model_weights(a)), "w.safetensors");
  load_weights(b, saved);
  for (std::size_t i = 0; i < a.variables().size(); ++i) {
    EXPECT_EQ(a.variables()[i].value().to_vector(), b.variables()[i].value().to_vector());
  }

  Model other = build_model(parse_model_spec(R"({"inputs": {"x": [128]}, "layers": [
      {"name": "d1", "type": "dense", "units": 16}]})"));
  const std::vector<double> before = other.variables()[0].value().to_vector();
  try {
    load_weights(other, saved);
    FAIL() << "a checkpoint of another model must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("w.safetensors"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("d1/kernel"), std::string::npos) << e.what();
  }
  EXPECT_EQ(other.variables()[0].value().to_vector(), before) << "a refused load changes nothing";

  Model wide = build_model(spec, {.dtype = DType::float64});
  EXPECT_THROW(load_weights(wide, saved), Error) << "dtype mismatch";
  TensorFile missing;
  missing.add("d1/kernel", a.variables()[0].value());
  EXPECT_THROW(load_weights(b, missing), Error);
}

}  // namespace
}  // namespace gradlab
