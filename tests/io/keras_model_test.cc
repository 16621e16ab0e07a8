// Item 18 of issue 15: Keras's own architecture JSON (model.to_json()) wherever a spec is accepted.
// The real files under tests/io/data/keras are listed with their sources in its README.
#include "gradlab/io/keras_model.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gradlab/error.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

namespace fs = std::filesystem;

std::string data(const std::string& name) {
  return (fs::path(GRADLAB_SOURCE_DIR) / "tests" / "io" / "data" / "keras" / name).string();
}

const LayerSpec& layer(const ModelSpec& spec, const std::string& name) {
  for (const LayerSpec& l : spec.layers) {
    if (l.name == name) return l;
  }
  throw std::runtime_error("no layer " + name);
}

Shape output_shape(const ModelSpec& spec, Shape input) {
  Rng rng(1);
  Model model = build_model(spec, {.dtype = DType::float64, .rng = &rng});
  return model(uniform(input, rng, 0, 1, DType::float64)).shape();
}

TEST(KerasModel, ReadsARealKeras3Sequential) {
  const ModelSpec spec = read_model_spec(data("keras3_sequential_pima.json"));
  EXPECT_EQ(spec.name, "sequential");
  ASSERT_EQ(spec.inputs.size(), 1u);
  EXPECT_EQ(spec.inputs[0].first, "input_layer");
  EXPECT_EQ(spec.inputs[0].second, (Shape{8}));
  ASSERT_EQ(spec.layers.size(), 3u);
  EXPECT_EQ(layer(spec, "dense").options["units"], 12);
  EXPECT_EQ(layer(spec, "dense_1").options["activation"], "relu");
  EXPECT_EQ(layer(spec, "dense_2").options["activation"], "sigmoid");
  EXPECT_EQ(layer(spec, "dense_2").options["kernel_initializer"], "glorot_uniform");
  EXPECT_EQ(spec.outputs, std::vector<std::string>{"dense_2"});
  EXPECT_EQ(output_shape(spec, {5, 8}), (Shape{5, 1}));
}

TEST(KerasModel, ReadsARealKeras2SequentialWithAnInputLayer) {
  const ModelSpec spec = read_model_spec(data("keras24_sequential_abalone.json"));
  EXPECT_EQ(spec.inputs[0].first, "dense_input");
  EXPECT_EQ(layer(spec, "dense_1").options["activation"], "softmax");
  EXPECT_EQ(output_shape(spec, {4, 10}), (Shape{4, 3}));
}

TEST(KerasModel, ReadsARealKeras2SequentialWhoseFirstLayerCarriesTheInputShape) {
  const ModelSpec spec = read_model_spec(data("tfjs_keras224_sequential_batchnorm.json"));
  // Keras 2 names the implicit input after the first layer.
  EXPECT_EQ(spec.inputs[0].first, "dense_input");
  EXPECT_EQ(spec.inputs[0].second, (Shape{5}));
  const LayerSpec& bn = layer(spec, "batch_normalization");
  EXPECT_EQ(bn.type, "batch_normalization");
  EXPECT_EQ(bn.options["axis"], 1) << "Keras 2 writes the axis as [1]";
  EXPECT_EQ(output_shape(spec, {3, 5}), (Shape{3, 1}));
}

TEST(KerasModel, RefusesARealNestedModelNamingTheLayer) {
  try {
    read_model_spec(data("tfjs_keras216_autoencoder.json"));
    FAIL() << "a nested model was read";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("Keras layer 'Encoder' (Model)"), std::string::npos) << message;
    EXPECT_NE(message.find("nested model"), std::string::npos) << message;
  }
}

// The Keras 3 file is the lesson's residual network: with the same generator it must be the very
// model the gradlab spec builds (same variables, same order, same outputs).
TEST(KerasModel, AKeras3FunctionalFileBuildsTheSameModelAsTheGradlabSpec) {
  const ModelSpec keras = read_model_spec(data("keras3_functional_residual.json"));
  const ModelSpec native = parse_model_spec(R"({"name": "lesson_residual", "inputs": {"x": [128]},
    "layers": [
      {"name": "d1", "type": "dense", "units": 32, "activation": "relu", "kernel_initializer": "he_uniform"},
      {"name": "d2", "type": "dense", "units": 32, "activation": "relu", "kernel_initializer": "he_uniform"},
      {"name": "s1", "type": "add", "inputs": ["d2", "d1"]},
      {"name": "d3", "type": "dense", "units": 32, "activation": "relu", "kernel_initializer": "he_uniform", "inputs": ["s1"]}],
    "outputs": ["d3"]})");
  EXPECT_EQ(layer(keras, "s1").inputs, (std::vector<std::string>{"d2", "d1"}));
  Rng rng_a(11), rng_b(11), data_rng(2);
  Model a = build_model(keras, {.dtype = DType::float64, .rng = &rng_a});
  Model b = build_model(native, {.dtype = DType::float64, .rng = &rng_b});
  ASSERT_EQ(a.variables().size(), b.variables().size());
  for (std::size_t i = 0; i < a.variables().size(); ++i) EXPECT_EQ(a.variables()[i].name(), b.variables()[i].name());
  const Tensor x = uniform({4, 128}, data_rng, 0, 1, DType::float64);
  EXPECT_EQ(a(x).to_vector(), b(x).to_vector());
}

TEST(KerasModel, AKeras2FunctionalFileMapsMergesNormalizationsDropoutAndInitializers) {
  const ModelSpec spec = read_model_spec(data("keras2_functional_concat_norms.json"));
  EXPECT_EQ(layer(spec, "concatenate").inputs, (std::vector<std::string>{"batch_normalization", "input_1"}));
  EXPECT_EQ(layer(spec, "dense").options["kernel_initializer"], "he_normal");
  EXPECT_EQ(layer(spec, "batch_normalization").options["momentum"], 0.9);
  EXPECT_EQ(layer(spec, "layer_normalization").options["axis"], nlohmann::ordered_json::array({1}));
  EXPECT_EQ(layer(spec, "dropout").options["rate"], 0.25);
  EXPECT_EQ(layer(spec, "dropout").options["seed"], 7);
  const auto& init = layer(spec, "dense_1").options["kernel_initializer"];
  EXPECT_EQ(init["name"], "variance_scaling");
  EXPECT_EQ(init["scale"], 2.0);
  EXPECT_EQ(init["mode"], "fan_in");
  EXPECT_EQ(init["distribution"], "uniform");
  EXPECT_FALSE(init.contains("seed"));
  EXPECT_EQ(layer(spec, "dense_1").options["use_bias"], false);
  EXPECT_EQ(layer(spec, "activation").type, "activation");
  EXPECT_EQ(output_shape(spec, {6, 16}), (Shape{6, 4}));
}

TEST(KerasModel, ReadsRecurrentLayersAndBidirectional) {
  const ModelSpec spec = read_model_spec(data("keras2_sequential_recurrent.json"));
  EXPECT_EQ(spec.inputs[0].second, (Shape{28, 28}));
  EXPECT_EQ(layer(spec, "lstm").options["return_sequences"], true);
  EXPECT_EQ(layer(spec, "lstm").options["recurrent_initializer"]["name"], "orthogonal");
  EXPECT_EQ(layer(spec, "bidirectional").options["layer"]["type"], "gru");
  Rng rng(4);
  Model model = build_model(spec, {.dtype = DType::float64, .rng = &rng});
  std::vector<std::string> names;
  for (const Variable& v : model.variables()) names.push_back(v.name());
  EXPECT_NE(std::find(names.begin(), names.end(), "forward_gru/kernel"), names.end());
  EXPECT_EQ(model(uniform({2, 28, 28}, rng, 0, 1, DType::float64)).shape(), (Shape{2, 10}));
}

TEST(KerasModel, ReadsAKeras3CnnWithEveryImageLayer) {
  // The configs as Keras 3's to_json() writes them (channels_last spelled out, sizes as lists).
  const ModelSpec spec = parse_model_spec(R"({"module": "keras", "class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 12, 12, 2], "name": "in"}},
      {"class_name": "ZeroPadding2D", "config": {"name": "zp", "trainable": true, "padding": [[1, 1], [0, 2]], "data_format": "channels_last"}},
      {"class_name": "Conv2D", "config": {"name": "c", "trainable": true, "filters": 4, "kernel_size": [3, 3], "strides": [1, 1],
        "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 2, "activation": "relu",
        "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": null}},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}}, "kernel_regularizer": null,
        "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}},
      {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "trainable": true, "kernel_size": [3, 3], "strides": [1, 1],
        "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": false,
        "bias_initializer": {"class_name": "Zeros", "config": {}}, "bias_regularizer": null, "activity_regularizer": null,
        "bias_constraint": null, "depth_multiplier": 2, "depthwise_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
        "depthwise_regularizer": null, "depthwise_constraint": null}},
      {"class_name": "MaxPooling2D", "config": {"name": "mp", "trainable": true, "pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}},
      {"class_name": "Reshape", "config": {"name": "rs", "trainable": true, "target_shape": [-1, 8]}},
      {"class_name": "AveragePooling1D", "config": {"name": "ap", "trainable": true, "pool_size": [2], "padding": "same", "strides": null, "data_format": "channels_last"}},
      {"class_name": "GlobalMaxPooling1D", "config": {"name": "gm", "trainable": true, "data_format": "channels_last", "keepdims": false}},
      {"class_name": "Flatten", "config": {"name": "f", "trainable": true, "data_format": "channels_last"}}]}})");
  EXPECT_EQ(layer(spec, "zp").type, "zero_padding2d");
  EXPECT_EQ(layer(spec, "c").options["kernel_initializer"], "he_normal");
  EXPECT_EQ(layer(spec, "dw").options["depth_multiplier"], 2);
  // 12 x 12 padded to 14 x 14, same conv (4 channels), valid 3 x 3 depthwise (12 x 12 x 8), pool
  // (6 x 6 x 8), reshape (36, 8), average pool with Keras's strides=None, the pool size (18, 8),
  // global max (8).
  EXPECT_EQ(output_shape(spec, {2, 12, 12, 2}), (Shape{2, 8}));
}

// A one-Dense Keras 3 Sequential with `extra` spliced into the Dense layer's config.
std::string sequential_with_dense(const std::string& extra, const std::string& input = "[null, 4]") {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": )" + input + R"(, "name": "in"}},
    {"class_name": "Dense", "config": {"name": "head", "units": 2)" + extra + "}}]}}";
}

void expect_refused(const std::string& text, const std::vector<std::string>& fragments) {
  try {
    build_model(parse_model_spec(text, "net.json"));
    FAIL() << "expected an error for " << text;
  } catch (const Error& e) {
    for (const std::string& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "missing '" << f << "' in: " << e.what();
    }
  }
}

TEST(KerasModel, RefusesWhatGradlabLacksByName) {
  // A layer class gradlab does not have, with the list it has.
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "in"}},
      {"class_name": "Conv2DTranspose", "config": {"name": "up", "filters": 8}}]}})",
                 {"net.json: Keras layer 'up' (Conv2DTranspose)", "gradlab's Keras reader has no Conv2DTranspose layer",
                  "Conv2D", "Dense", "LSTM"});
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], "name": "in"}},
      {"class_name": "UpSampling2D", "config": {"name": "up"}}]}})",
                 {"'up' (UpSampling2D)", "gradlab's Keras reader has no UpSampling2D layer"});
  // Images are channels last: Keras's channels_first is refused, not reinterpreted.
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 1, 28, 28], "name": "in"}},
      {"class_name": "Conv2D", "config": {"name": "c", "filters": 8, "kernel_size": [3, 3], "data_format": "channels_first"}}]}})",
                 {"Keras layer 'c' (Conv2D): option 'data_format' is \"channels_first\"", "channels_last"});
  // Options that change results are refused, not ignored.
  expect_refused(sequential_with_dense(R"(, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.01}})"),
                 {"Keras layer 'head' (Dense)", "option 'kernel_regularizer'", "refused"});
  expect_refused(sequential_with_dense(R"(, "trainable": false)"), {"option 'trainable'"});
  expect_refused(sequential_with_dense(R"(, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}})"),
                 {"option 'dtype'", "mixed_float16"});
  expect_refused(sequential_with_dense(R"(, "kernel_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null, "scale": 3}})"),
                 {"option 'kernel_initializer'", "argument 'scale'"});
  expect_refused(sequential_with_dense(R"(, "kernel_initializer": {"class_name": "STFTInitializer", "config": {}})"),
                 {"gradlab has no initializer STFTInitializer", "HeUniform"});
  expect_refused(sequential_with_dense(R"(, "kernel_initializer": {"class_name": "HeUniform", "config": {}, "registered_name": "my_pkg>HeUniform"})"),
                 {"custom object"});
  expect_refused(sequential_with_dense(R"(, "some_future_option": 3)"), {"option 'some_future_option'", "not one gradlab's Keras reader knows"});
  expect_refused(sequential_with_dense(R"(, "activation": {"class_name": "MyActivation", "config": {}})"), {"option 'activation'", "custom activation"});
  // Keras 2's hard_sigmoid is another function than Keras 3's (and gradlab's).
  expect_refused(sequential_with_dense(R"(, "activation": "hard_sigmoid")"), {"option 'activation'", "clip(0.2 x + 0.5, 0, 1)"});
  EXPECT_NO_THROW(parse_model_spec(R"({"module": "keras", "class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}},
      {"class_name": "Dense", "config": {"name": "head", "units": 2, "activation": "hard_sigmoid"}}]}})"));
  expect_refused(sequential_with_dense("", "[null, null, 4]"), {"Keras layer 'in' (InputLayer)", "fixed shape"});
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 5, 3], "name": "in"}},
      {"class_name": "LSTM", "config": {"name": "lstm", "units": 4, "dropout": 0.2}}]}})",
                 {"Keras layer 'lstm' (LSTM)", "option 'dropout'", "0.2"});
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "Dense", "config": {"name": "d", "units": 4}}]}})",
                 {"no input shape"});
  expect_refused(R"({"class_name": "Dense", "config": {"units": 3}})", {"a Keras Dense is not a model"});
}

TEST(KerasModel, RefusesWiringASpecCannotExpress) {
  const std::string input = R"({"class_name": "InputLayer", "config": {"batch_shape": [null, 4], "name": "in"}, "name": "in", "inbound_nodes": []})";
  auto functional = [&](const std::string& dense_nodes) {
    return R"({"class_name": "Functional", "config": {"name": "f", "layers": [)" + input +
           R"(, {"class_name": "Dense", "config": {"name": "d", "units": 4}, "name": "d", "inbound_nodes": )" + dense_nodes +
           R"(}], "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})";
  };
  EXPECT_NO_THROW(parse_model_spec(functional(R"([[["in", 0, 0, {}]]])")));
  expect_refused(functional(R"([[["in", 0, 0, {}]], [["in", 0, 0, {}]]])"), {"Keras layer 'd' (Dense)", "called 2 times"});
  expect_refused(functional(R"([[["in", 0, 0, {"training": true}]]])"), {"training=true"});
  expect_refused(functional(R"([{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["in", 0, 1]}}], "kwargs": {}}])"),
                 {"output 1"});
  expect_refused(functional("[]"), {"never called"});
  expect_refused(functional(R"([[["nowhere", 0, 0, {}]]])"), {"'nowhere'", "neither a layer nor a model input"});
}

TEST(KerasModel, GroupAndLayerNormalizationKeepTheirOptions) {
  const ModelSpec spec = parse_model_spec(R"({"module": "keras", "class_name": "Sequential", "config": {"layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 8], "name": "in"}, "registered_name": null},
      {"module": "keras.layers", "class_name": "GroupNormalization", "config": {"name": "gn", "groups": 4, "axis": -1,
        "epsilon": 0.001, "center": true, "scale": false, "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
        "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
        "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null}, "registered_name": null},
      {"module": "keras.layers", "class_name": "LayerNormalization", "config": {"name": "ln", "axis": -1, "epsilon": 1e-05, "rms_scaling": false}, "registered_name": null}]}})");
  EXPECT_EQ(layer(spec, "gn").options["groups"], 4);
  EXPECT_EQ(layer(spec, "gn").options["scale"], false);
  EXPECT_EQ(layer(spec, "ln").options["epsilon"], 1e-5);
  EXPECT_EQ(output_shape(spec, {3, 8}), (Shape{3, 8}));
  expect_refused(R"({"class_name": "Sequential", "config": {"layers": [
      {"class_name": "InputLayer", "config": {"batch_shape": [null, 8], "name": "in"}},
      {"class_name": "LayerNormalization", "config": {"name": "ln", "rms_scaling": true}}]}})",
                 {"'ln' (LayerNormalization)", "option 'rms_scaling'"});
}

TEST(KerasModel, DetectsKerasFilesByTheirTopLevelClassName) {
  EXPECT_TRUE(is_keras_model_json(nlohmann::ordered_json::parse(R"({"class_name": "Sequential"})")));
  EXPECT_FALSE(is_keras_model_json(nlohmann::ordered_json::parse(R"({"name": "m", "inputs": {}})")));
}

}  // namespace
}  // namespace gradlab
