#include "io/keras_layers.h"

#include <algorithm>
#include <map>
#include <vector>

#include "gradlab/error.h"

namespace gradlab::keras {
namespace {

// How one Keras option becomes gradlab's. Options that change results and that gradlab lacks are
// accepted only at the value that means "off" (a null regularizer, a zero dropout); the rest refused.
enum class Rule {
  copy,         // same key, same meaning
  activation,   // an activation name
  initializer,  // a Keras initializer object
  ignore,       // cannot change results (seeds of initializers, unroll, implementation)
  null_only,    // regularizers, constraints, noise shapes: only null (absent) is supported
  false_only,   // return_state, stateful, time_major, sparse, ...
  zero_only,    // dropout inside a recurrent layer
  single_axis,  // an integer, or a list of one integer (BatchNormalization's [3])
  dropout_seed, // null (gradlab draws one) or an integer
  merge_mode,   // a string; null (a list of outputs) is a second output gradlab specs lack
  wrapped,      // Bidirectional's recurrent layer
  channels_last,  // data_format: null (Keras's default, channels_last) or "channels_last"
  null_default,   // null means the spec's default (a pooling layer's strides=None): left out
};

struct Option {
  const char* key;
  Rule rule;
};

struct KerasClass {
  const char* type;  // gradlab's spec type
  std::vector<Option> options;
};

const std::vector<Option> kRecurrentOptions = {
    {"units", Rule::copy},
    {"activation", Rule::activation},
    {"use_bias", Rule::copy},
    {"kernel_initializer", Rule::initializer},
    {"recurrent_initializer", Rule::initializer},
    {"bias_initializer", Rule::initializer},
    {"kernel_regularizer", Rule::null_only},
    {"recurrent_regularizer", Rule::null_only},
    {"bias_regularizer", Rule::null_only},
    {"activity_regularizer", Rule::null_only},
    {"kernel_constraint", Rule::null_only},
    {"recurrent_constraint", Rule::null_only},
    {"bias_constraint", Rule::null_only},
    {"dropout", Rule::zero_only},
    {"recurrent_dropout", Rule::zero_only},
    {"return_sequences", Rule::copy},
    {"return_state", Rule::false_only},
    {"go_backwards", Rule::copy},
    {"stateful", Rule::false_only},
    {"time_major", Rule::false_only},
    // Same arithmetic either way: unrolling, the kernel implementation, cuDNN; the seed only drives
    // the dropout that must be zero; masks need a Masking layer, which gradlab refuses.
    {"unroll", Rule::ignore},
    {"implementation", Rule::ignore},
    {"use_cudnn", Rule::ignore},
    {"seed", Rule::ignore},
    {"zero_output_for_mask", Rule::ignore},
};

std::vector<Option> with(std::vector<Option> base, std::vector<Option> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

const std::vector<Option> kNormalizationParameters = {
    {"epsilon", Rule::copy},
    {"center", Rule::copy},
    {"scale", Rule::copy},
    {"beta_initializer", Rule::initializer},
    {"gamma_initializer", Rule::initializer},
    {"beta_regularizer", Rule::null_only},
    {"gamma_regularizer", Rule::null_only},
    {"beta_constraint", Rule::null_only},
    {"gamma_constraint", Rule::null_only},
};

// What every Keras convolution has besides its kernel options.
const std::vector<Option> kConvolutionOptions = {
    {"kernel_size", Rule::copy},      {"strides", Rule::copy},
    {"padding", Rule::copy},          {"data_format", Rule::channels_last},
    {"dilation_rate", Rule::copy},    {"activation", Rule::activation},
    {"use_bias", Rule::copy},         {"bias_initializer", Rule::initializer},
    {"bias_regularizer", Rule::null_only}, {"activity_regularizer", Rule::null_only},
    {"bias_constraint", Rule::null_only},
};

const std::vector<Option> kPoolingOptions = {
    {"pool_size", Rule::copy}, {"strides", Rule::null_default}, {"padding", Rule::copy},
    {"data_format", Rule::channels_last}};

const std::vector<Option> kGlobalPoolingOptions = {{"data_format", Rule::channels_last}, {"keepdims", Rule::copy}};

// The Keras layer classes gradlab reads (InputLayer is the model's input, read by keras_model.cc).
const std::map<std::string, KerasClass>& classes() {
  static const std::map<std::string, KerasClass> table = {
      {"Dense",
       {"dense",
        {{"units", Rule::copy},
         {"activation", Rule::activation},
         {"use_bias", Rule::copy},
         {"kernel_initializer", Rule::initializer},
         {"bias_initializer", Rule::initializer},
         {"kernel_regularizer", Rule::null_only},
         {"bias_regularizer", Rule::null_only},
         {"activity_regularizer", Rule::null_only},
         {"kernel_constraint", Rule::null_only},
         {"bias_constraint", Rule::null_only},
         {"lora_rank", Rule::null_only},
         {"lora_alpha", Rule::ignore},  // only read with a lora_rank
         {"quantization_config", Rule::null_only}}}},
      {"Activation", {"activation", {{"activation", Rule::activation}}}},
      {"Dropout", {"dropout", {{"rate", Rule::copy}, {"noise_shape", Rule::null_only}, {"seed", Rule::dropout_seed}}}},
      {"Add", {"add", {}}},
      {"Concatenate", {"concatenate", {{"axis", Rule::copy}}}},
      {"BatchNormalization",
       {"batch_normalization",
        with({{"axis", Rule::single_axis},
              {"momentum", Rule::copy},
              {"moving_mean_initializer", Rule::initializer},
              {"moving_variance_initializer", Rule::initializer},
              {"renorm", Rule::false_only},
              {"renorm_clipping", Rule::null_only},
              {"renorm_momentum", Rule::ignore},  // only read with renorm
              {"virtual_batch_size", Rule::null_only},
              {"adjustment", Rule::null_only},
              // One device: synchronizing the statistics across replicas changes nothing.
              {"synchronized", Rule::ignore},
              {"fused", Rule::ignore}},
             kNormalizationParameters)}},
      {"LayerNormalization",
       {"layer_normalization", with({{"axis", Rule::copy}, {"rms_scaling", Rule::false_only}}, kNormalizationParameters)}},
      {"GroupNormalization",
       {"group_normalization", with({{"groups", Rule::copy}, {"axis", Rule::single_axis}}, kNormalizationParameters)}},
      {"Conv2D",
       {"conv2d", with(kConvolutionOptions, {{"filters", Rule::copy}, {"groups", Rule::copy},
                                             {"kernel_initializer", Rule::initializer},
                                             {"kernel_regularizer", Rule::null_only},
                                             {"kernel_constraint", Rule::null_only}})}},
      {"Conv1D",
       {"conv1d", with(kConvolutionOptions, {{"filters", Rule::copy}, {"groups", Rule::copy},
                                             {"kernel_initializer", Rule::initializer},
                                             {"kernel_regularizer", Rule::null_only},
                                             {"kernel_constraint", Rule::null_only}})}},
      {"DepthwiseConv2D",
       {"depthwise_conv2d", with(kConvolutionOptions, {{"depth_multiplier", Rule::copy},
                                                       {"depthwise_initializer", Rule::initializer},
                                                       {"depthwise_regularizer", Rule::null_only},
                                                       {"depthwise_constraint", Rule::null_only}})}},
      {"MaxPooling2D", {"max_pooling2d", kPoolingOptions}},
      {"AveragePooling2D", {"average_pooling2d", kPoolingOptions}},
      {"MaxPooling1D", {"max_pooling1d", kPoolingOptions}},
      {"AveragePooling1D", {"average_pooling1d", kPoolingOptions}},
      {"GlobalAveragePooling2D", {"global_average_pooling2d", kGlobalPoolingOptions}},
      {"GlobalAveragePooling1D", {"global_average_pooling1d", kGlobalPoolingOptions}},
      {"GlobalMaxPooling2D", {"global_max_pooling2d", kGlobalPoolingOptions}},
      {"GlobalMaxPooling1D", {"global_max_pooling1d", kGlobalPoolingOptions}},
      {"Flatten", {"flatten", {{"data_format", Rule::channels_last}}}},
      {"Reshape", {"reshape", {{"target_shape", Rule::copy}}}},
      {"ZeroPadding2D", {"zero_padding2d", {{"padding", Rule::copy}, {"data_format", Rule::channels_last}}}},
      {"SimpleRNN", {"simple_rnn", kRecurrentOptions}},
      {"LSTM",
       {"lstm", with(kRecurrentOptions, {{"recurrent_activation", Rule::activation}, {"unit_forget_bias", Rule::copy}})}},
      {"GRU", {"gru", with(kRecurrentOptions, {{"recurrent_activation", Rule::activation}, {"reset_after", Rule::copy}})}},
      {"Bidirectional",
       {"bidirectional", {{"layer", Rule::wrapped}, {"merge_mode", Rule::merge_mode}, {"backward_layer", Rule::null_only}}}},
  };
  return table;
}

// Keras initializer classes and gradlab's names; the second member lists the arguments each takes.
const std::map<std::string, std::pair<std::string, std::vector<std::string>>>& initializer_classes() {
  static const std::map<std::string, std::pair<std::string, std::vector<std::string>>> table = {
      {"Zeros", {"zeros", {}}},
      {"Ones", {"ones", {}}},
      {"GlorotUniform", {"glorot_uniform", {}}},
      {"GlorotNormal", {"glorot_normal", {}}},
      {"HeUniform", {"he_uniform", {}}},
      {"HeNormal", {"he_normal", {}}},
      {"LecunUniform", {"lecun_uniform", {}}},
      {"LecunNormal", {"lecun_normal", {}}},
      {"Constant", {"constant", {"value"}}},
      {"RandomUniform", {"random_uniform", {"minval", "maxval"}}},
      {"RandomNormal", {"random_normal", {"mean", "stddev"}}},
      {"TruncatedNormal", {"truncated_normal", {"mean", "stddev"}}},
      {"VarianceScaling", {"variance_scaling", {"scale", "mode", "distribution"}}},
      {"Orthogonal", {"orthogonal", {"gain"}}},
      {"Identity", {"identity", {"gain"}}},
  };
  return table;
}

[[noreturn]] void refuse_value(const Where& where, const std::string& key, const Json& value, const char* supported) {
  fail("{}: option '{}' is {}, but gradlab supports only {} (it would change results, so it is refused, not "
       "ignored)",
       describe(where), key, value.dump(), supported);
}

// A custom layer or initializer registered under a package name ("my_pkg>Dense") is user code.
void check_not_custom(const Json& object, const Where& where, const std::string& what) {
  if (!object.is_object() || !object.contains("registered_name")) return;
  const Json& registered = object["registered_name"];
  if (registered.is_null()) return;
  if (!registered.is_string() || !object.contains("class_name") || registered != object["class_name"]) {
    fail("{}: {} is a custom object registered as {}; gradlab reads only Keras's built-in classes",
         describe(where), what, registered.dump());
  }
}

Json initializer(const Json& value, const Where& where, const std::string& key) {
  if (value.is_string()) return value;  // Keras also accepts the snake-case name ("he_uniform")
  if (!value.is_object() || !value.contains("class_name") || !value["class_name"].is_string()) {
    fail("{}: option '{}' must be a Keras initializer object {{\"class_name\": ..., \"config\": ...}}, got {}",
         describe(where), key, value.dump());
  }
  check_not_custom(value, where, fmt::format("option '{}'", key));
  const std::string class_name = value["class_name"].get<std::string>();
  const auto& table = initializer_classes();
  const auto found = table.find(class_name);
  if (found == table.end()) {
    std::string known;
    for (const auto& [name, entry] : table) known += (known.empty() ? "" : ", ") + name;
    fail("{}: option '{}': gradlab has no initializer {} (it reads {})", describe(where), key, class_name, known);
  }
  const auto& [name, arguments] = found->second;
  const Json config = value.value("config", Json::object());
  if (!config.is_object()) fail("{}: option '{}': the initializer's config must be an object", describe(where), key);
  Json out{{"name", name}};
  for (const auto& [arg, v] : config.items()) {
    // gradlab draws from its own generator (--seed), never Keras's stream; a dtype is the layer's.
    if (arg == "seed" || arg == "dtype") continue;
    if (std::find(arguments.begin(), arguments.end(), arg) == arguments.end()) {
      fail("{}: option '{}': initializer {} has argument '{}', which gradlab does not support", describe(where), key,
           class_name, arg);
    }
    // Keras 2.0 to 2.2 called the truncated normal distribution "normal".
    out[arg] = arg == "distribution" && v == "normal" ? Json("truncated_normal") : v;
  }
  return arguments.empty() ? Json(name) : out;
}

Json activation(const Json& value, const Where& where, const std::string& key) {
  if (value == "hard_sigmoid" && !where.keras3) {
    fail("{}: option '{}' is \"hard_sigmoid\", which Keras 2 defines as clip(0.2 x + 0.5, 0, 1) and gradlab (as Keras "
         "3) as relu6(x + 3) / 6; refused rather than computed differently (use \"sigmoid\", or re-save the model "
         "with Keras 3)",
         describe(where), key);
  }
  if (value.is_string()) return value;
  // Keras 3 may write a built-in activation as a serialized function whose config is its name.
  if (value.is_object() && value.contains("config") && value["config"].is_string() &&
      value.value("module", std::string()).starts_with("keras")) {
    return value["config"];
  }
  fail("{}: option '{}' is {}; gradlab reads an activation's name (a custom activation is user code)",
       describe(where), key, value.dump());
}

void check_common(const Json& config, const Where& where) {
  if (config.contains("trainable") && config["trainable"] != true) {
    refuse_value(where, "trainable", config["trainable"], "true (every variable of a gradlab model trains)");
  }
  if (config.contains("dtype") && !config["dtype"].is_null()) {
    const std::string dtype = dtype_name(config["dtype"]);
    if (dtype != "float32" && dtype != "float64") {
      refuse_value(where, "dtype", config["dtype"], "float32 and float64 (each command chooses the dtype)");
    }
  }
}

}  // namespace

std::string describe(const Where& where) {
  return fmt::format("{}: Keras layer '{}' ({})", where.source, where.layer, where.class_name);
}

std::string dtype_name(const Json& dtype) {
  if (dtype.is_string()) return dtype.get<std::string>();
  if (dtype.is_object() && dtype.contains("config") && dtype["config"].is_object() &&
      dtype["config"].contains("name") && dtype["config"]["name"].is_string()) {
    return dtype["config"]["name"].get<std::string>();
  }
  return dtype.dump();
}

bool is_merge_layer(const std::string& class_name) { return class_name == "Add" || class_name == "Concatenate"; }

std::string known_layer_classes() {
  std::string s = "InputLayer";
  for (const auto& [name, entry] : classes()) s += ", " + name;
  return s;
}

Json convert_layer(const Json& config, const Where& where) {
  const auto found = classes().find(where.class_name);
  if (found == classes().end()) {
    fail("{}: gradlab's Keras reader has no {} layer (it reads {})", describe(where), where.class_name, known_layer_classes());
  }
  if (!config.is_object()) fail("{}: 'config' must be an object", describe(where));
  check_common(config, where);
  const KerasClass& keras_class = found->second;
  Json layer{{"name", where.layer}, {"type", keras_class.type}};
  for (const auto& [key, value] : config.items()) {
    // Read by the model (its name, its input's shape) or checked above.
    if (key == "name" || key == "trainable" || key == "dtype" || key == "batch_input_shape" ||
        key == "batch_shape" || key == "input_shape" || key == "input_dim") {
      continue;
    }
    const auto option = std::find_if(keras_class.options.begin(), keras_class.options.end(),
                                     [&name = key](const Option& o) { return name == o.key; });
    if (option == keras_class.options.end()) {
      fail("{}: option '{}' ({}) is not one gradlab's Keras reader knows; refusing it rather than ignoring "
           "something that may change results",
           describe(where), key, value.dump());
    }
    switch (option->rule) {
      case Rule::copy: layer[key] = value; break;
      case Rule::activation: layer[key] = activation(value, where, key); break;
      case Rule::initializer: layer[key] = initializer(value, where, key); break;
      case Rule::ignore: break;
      case Rule::null_only:
        if (!value.is_null()) refuse_value(where, key, value, "null (gradlab has no regularizers, constraints or noise shapes)");
        break;
      case Rule::false_only:
        if (value != false) refuse_value(where, key, value, "false");
        break;
      case Rule::zero_only:
        if (!value.is_number() || value.get<double>() != 0.0) refuse_value(where, key, value, "0 (put a Dropout layer between layers instead)");
        break;
      case Rule::single_axis:
        if (value.is_array() && value.size() == 1) {
          layer[key] = value[0];
        } else if (value.is_number_integer()) {
          layer[key] = value;
        } else {
          refuse_value(where, key, value, "one axis");
        }
        break;
      case Rule::dropout_seed:
      case Rule::null_default:
        if (!value.is_null()) layer[key] = value;
        break;
      case Rule::channels_last:
        if (!value.is_null() && value != "channels_last") {
          refuse_value(where, key, value, "\"channels_last\" (gradlab lays images out [batch, height, width, channels])");
        }
        break;
      case Rule::merge_mode:
        if (!value.is_string()) refuse_value(where, key, value, "\"concat\", \"sum\", \"mul\" or \"ave\" (a spec layer has one output)");
        layer[key] = value;
        break;
      case Rule::wrapped: {
        if (!value.is_object() || !value.contains("class_name") || !value["class_name"].is_string() ||
            !value.contains("config") || !value["config"].is_object()) {
          fail("{}: option 'layer' must be a Keras layer object with 'class_name' and 'config'", describe(where));
        }
        check_not_custom(value, where, "its wrapped layer");
        const std::string inner_class = value["class_name"].get<std::string>();
        if (inner_class != "SimpleRNN" && inner_class != "LSTM" && inner_class != "GRU") {
          fail("{}: gradlab wraps only SimpleRNN, LSTM and GRU layers, not {}", describe(where), inner_class);
        }
        const Json& inner_config = value["config"];
        const std::string inner_name = inner_config.contains("name") && inner_config["name"].is_string()
                                           ? inner_config["name"].get<std::string>()
                                           : where.layer;
        layer[key] = convert_layer(inner_config, Where{where.source, inner_name, inner_class, where.keras3});
        break;
      }
    }
  }
  return layer;
}

}  // namespace gradlab::keras
