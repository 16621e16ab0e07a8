#include "gradlab/io/keras_model.h"

#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "gradlab/error.h"
#include "gradlab/io/json_error.h"
#include "io/keras_layers.h"

namespace gradlab {
namespace {

using keras::Json;
using keras::Where;

struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t tensor = 0;
};

bool is_model_class(const std::string& class_name) {
  return class_name == "Sequential" || class_name == "Functional" || class_name == "Model";
}

struct Entry {
  std::string name;
  std::string class_name;
  const Json* config;
  const Json* json;
};

// A layer of config.layers: its class, its name (Keras 2 and 3 put it in config, Functional entries
// beside it too) and its config.
Entry read_entry(const std::string& source, const Json& json, std::size_t index) {
  if (!json.is_object() || !json.contains("class_name") || !json["class_name"].is_string() ||
      !json.contains("config") || !json["config"].is_object()) {
    fail("{}: Keras layers[{}] must be an object with a string 'class_name' and an object 'config'", source, index);
  }
  Entry entry{"", json["class_name"].get<std::string>(), &json["config"], &json};
  const Json& config = json["config"];
  if (config.contains("name") && config["name"].is_string()) {
    entry.name = config["name"].get<std::string>();
  } else if (json.contains("name") && json["name"].is_string()) {
    entry.name = json["name"].get<std::string>();
  }
  if (entry.name.empty()) fail("{}: Keras layers[{}] ({}) has no name", source, index, entry.class_name);
  const Where where{source, entry.name, entry.class_name};
  if (is_model_class(entry.class_name)) {
    fail("{}: a nested model; gradlab specs are flat, so list its layers in the outer model", keras::describe(where));
  }
  if (json.contains("registered_name") && !json["registered_name"].is_null() && json["registered_name"] != json["class_name"]) {
    fail("{}: a custom layer registered as {}; gradlab reads only Keras's built-in layers", keras::describe(where),
         json["registered_name"].dump());
  }
  return entry;
}

// A fixed shape without the batch: Keras writes [null, 28, 28]; gradlab needs every other dimension.
Json input_shape(const Json& batch_shape, const Where& where, const char* key) {
  if (!batch_shape.is_array() || batch_shape.size() < 2) {
    fail("{}: '{}' must list the batch and at least one dimension, got {}", keras::describe(where), key, batch_shape.dump());
  }
  Json dims = Json::array();
  for (std::size_t i = 1; i < batch_shape.size(); ++i) {
    const Json& d = batch_shape[i];
    if (!d.is_number_integer() || d.get<int64_t>() <= 0) {
      fail("{}: '{}' is {}: dimension {} is not a positive integer (gradlab specs need a fixed shape, e.g. a "
           "fixed sequence length)",
           keras::describe(where), key, batch_shape.dump(), i);
    }
    dims.push_back(d);
  }
  return dims;
}

// An InputLayer's shape; its other options must be the plain dense input.
Json input_layer_shape(const Entry& entry, const std::string& source) {
  const Where where{source, entry.name, entry.class_name};
  const Json& config = *entry.config;
  static const std::set<std::string> plain = {"sparse", "ragged", "optional"};
  for (const auto& [key, value] : config.items()) {
    if (key == "name" || key == "batch_input_shape" || key == "batch_shape") continue;
    if (key == "dtype") {
      const std::string dtype = keras::dtype_name(value);
      if (dtype != "float32" && dtype != "float64") {
        fail("{}: dtype {} is not one gradlab computes in (float32, float64)", keras::describe(where), value.dump());
      }
      continue;
    }
    if (plain.count(key)) {
      if (value != false) fail("{}: option '{}' is {}; gradlab reads dense inputs only", keras::describe(where), key, value.dump());
      continue;
    }
    fail("{}: option '{}' ({}) is not one gradlab's Keras reader knows", keras::describe(where), key, value.dump());
  }
  for (const char* key : {"batch_shape", "batch_input_shape"}) {
    if (config.contains(key)) return input_shape(config[key], where, key);
  }
  fail("{}: has no 'batch_shape' (Keras 3) or 'batch_input_shape' (Keras 2)", keras::describe(where));
}

// [name, node, tensor(, kwargs)]: a Keras 2 inbound entry, and an entry of input_layers/output_layers.
TensorRef read_ref(const Json& item, const std::string& what) {
  if (!item.is_array() || item.size() < 3 || !item[0].is_string() || !item[1].is_number_integer() ||
      !item[2].is_number_integer()) {
    fail("{} must be [layer name, node index, tensor index], got {}", what, item.dump());
  }
  return {item[0].get<std::string>(), item[1].get<int64_t>(), item[2].get<int64_t>()};
}

void check_kwargs(const Json& kwargs, const Where& where) {
  if (kwargs.is_null()) return;
  if (!kwargs.is_object()) fail("{}: its call's keyword arguments must be an object, got {}", keras::describe(where), kwargs.dump());
  for (const auto& [key, value] : kwargs.items()) {
    if (!value.is_null()) {
      fail("{}: it is called with {}={}, which a gradlab spec cannot express (gradlab chooses training mode per "
           "command)",
           keras::describe(where), key, value.dump());
    }
  }
}

// Keras 3 nests tensors in "args" (a list of tensors for a merge layer); collects them in order.
void collect_keras_tensors(const Json& value, const Where& where, std::vector<TensorRef>& out) {
  if (value.is_array()) {
    for (const Json& v : value) collect_keras_tensors(v, where, out);
    return;
  }
  if (value.is_object() && value.value("class_name", Json()) == "__keras_tensor__") {
    const Json config = value.value("config", Json::object());
    const Json history = config.is_object() ? config.value("keras_history", Json()) : Json();
    out.push_back(read_ref(history, keras::describe(where) + ": an input's 'keras_history'"));
    return;
  }
  fail("{}: its call has an argument {} that is not a tensor (gradlab specs pass tensors only)", keras::describe(where),
       value.dump());
}

// The layers a Functional layer's single call takes, from Keras 2's [[[name, 0, 0, {}], ...]] or
// Keras 3's [{"args": [...], "kwargs": {...}}].
std::vector<std::string> inbound_layers(const Entry& entry, const std::string& source) {
  const Where where{source, entry.name, entry.class_name};
  const Json nodes = entry.json->value("inbound_nodes", Json::array());
  if (!nodes.is_array()) fail("{}: 'inbound_nodes' must be a list", keras::describe(where));
  if (nodes.empty()) fail("{}: is never called (no inbound nodes); a model's layers must be connected", keras::describe(where));
  if (nodes.size() > 1) {
    fail("{}: is called {} times (a shared layer); a gradlab spec calls each layer once", keras::describe(where), nodes.size());
  }
  const Json& node = nodes[0];
  std::vector<TensorRef> refs;
  if (node.is_object()) {
    collect_keras_tensors(node.value("args", Json::array()), where, refs);
    check_kwargs(node.value("kwargs", Json()), where);
  } else if (node.is_array()) {
    for (const Json& item : node) {
      refs.push_back(read_ref(item, keras::describe(where) + ": an inbound node"));
      if (item.size() > 3) check_kwargs(item[3], where);
    }
  } else {
    fail("{}: an inbound node must be a list (Keras 2) or an object (Keras 3), got {}", keras::describe(where), node.dump());
  }
  std::vector<std::string> names;
  for (const TensorRef& ref : refs) {
    if (ref.node != 0 || ref.tensor != 0) {
      fail("{}: takes output {} of call {} of layer '{}'; gradlab layers are called once and have one output",
           keras::describe(where), ref.tensor, ref.node, ref.layer);
    }
    names.push_back(ref.layer);
  }
  if (names.empty()) fail("{}: its call takes no tensor", keras::describe(where));
  return names;
}

// input_layers/output_layers: [[name, 0, 0], ...], or Keras 3's [name, 0, 0] for a single one.
std::vector<std::string> endpoint_layers(const Json& config, const char* key, const std::string& source) {
  if (!config.contains(key)) fail("{}: a Keras Functional model needs '{}'", source, key);
  const Json& value = config[key];
  const std::string what = fmt::format("{}: an entry of '{}'", source, key);
  std::vector<TensorRef> refs;
  if (value.is_array() && !value.empty() && value[0].is_string()) {
    refs.push_back(read_ref(value, what));
  } else if (value.is_array() && !value.empty()) {
    for (const Json& item : value) refs.push_back(read_ref(item, what));
  } else {
    fail("{}: '{}' must be a non-empty list of [layer name, node index, tensor index], got {}", source, key, value.dump());
  }
  std::vector<std::string> names;
  for (const TensorRef& ref : refs) {
    if (ref.node != 0 || ref.tensor != 0) fail("{}: '{}' names output {} of call {} of layer '{}'; gradlab layers have one", source, key, ref.tensor, ref.node, ref.layer);
    names.push_back(ref.layer);
  }
  return names;
}

std::string model_name(const Json& config, const char* fallback) {
  if (config.is_object() && config.contains("name") && config["name"].is_string() && !config["name"].get<std::string>().empty()) {
    return config["name"].get<std::string>();
  }
  return fallback;
}

Json sequential_to_spec(const Json& config, const std::string& source, bool keras3) {
  // Keras 2.0 to 2.2 wrote a Sequential's config as the bare list of layers.
  const Json& layers = config.is_array() ? config : config.value("layers", Json());
  if (!layers.is_array() || layers.empty()) fail("{}: a Keras Sequential model needs a non-empty 'layers' list", source);
  Json spec{{"name", model_name(config, "sequential")},
            {"inputs", Json::object()},
            {"layers", Json::array()}};
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Entry entry = read_entry(source, layers[i], i);
    const Where where{source, entry.name, entry.class_name, keras3};
    if (entry.class_name == "InputLayer") {
      if (i != 0) fail("{}: an InputLayer must come first in a Sequential model", keras::describe(where));
      spec["inputs"][entry.name] = input_layer_shape(entry, source);
      continue;
    }
    if (keras::is_merge_layer(entry.class_name)) fail("{}: a merge layer needs a Functional model", keras::describe(where));
    if (i == 0) {
      // No InputLayer: Keras 2 puts the shape on the first layer (and names the input NAME_input),
      // Keras 3 in its build_config, or the model's build_input_shape.
      const Json& c = *entry.config;
      Json shape;
      if (c.contains("batch_input_shape")) {
        shape = input_shape(c["batch_input_shape"], where, "batch_input_shape");
      } else if (entry.json->contains("build_config") && (*entry.json)["build_config"].is_object() &&
                 (*entry.json)["build_config"].contains("input_shape")) {
        shape = input_shape((*entry.json)["build_config"]["input_shape"], where, "build_config.input_shape");
      } else if (config.is_object() && config.contains("build_input_shape")) {
        shape = input_shape(config["build_input_shape"], where, "build_input_shape");
      } else {
        fail("{}: the model has no input shape (no InputLayer, batch_input_shape or build_config); build the model "
             "(or give it keras.Input(shape=...)) before calling to_json()",
             keras::describe(where));
      }
      spec["inputs"][entry.name + "_input"] = shape;
    }
    spec["layers"].push_back(keras::convert_layer(*entry.config, where));
  }
  if (spec["layers"].empty()) fail("{}: the Keras model has no layers besides its input", source);
  return spec;
}

Json functional_to_spec(const Json& config, const std::string& source, bool keras3) {
  if (!config.is_object() || !config.contains("layers") || !config["layers"].is_array() || config["layers"].empty()) {
    fail("{}: a Keras Functional model needs a non-empty 'layers' list", source);
  }
  Json spec{{"name", model_name(config, "model")}, {"inputs", Json::object()}, {"layers", Json::array()}};
  std::map<std::string, Json> input_shapes;
  const Json& layers = config["layers"];
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Entry entry = read_entry(source, layers[i], i);
    if (entry.class_name == "InputLayer") {
      input_shapes[entry.name] = input_layer_shape(entry, source);
      continue;
    }
    const Where where{source, entry.name, entry.class_name, keras3};
    Json layer = keras::convert_layer(*entry.config, where);
    layer["inputs"] = inbound_layers(entry, source);
    spec["layers"].push_back(std::move(layer));
  }
  // The model's inputs in Keras's order (the order a caller passes them).
  for (const std::string& name : endpoint_layers(config, "input_layers", source)) {
    const auto found = input_shapes.find(name);
    if (found == input_shapes.end()) fail("{}: 'input_layers' names '{}', which is not an InputLayer of the model", source, name);
    spec["inputs"][name] = found->second;
  }
  if (spec["layers"].empty()) fail("{}: the Keras model has no layers besides its inputs", source);
  spec["outputs"] = endpoint_layers(config, "output_layers", source);
  return spec;
}

}  // namespace

bool is_keras_model_json(const nlohmann::ordered_json& root) { return root.is_object() && root.contains("class_name"); }

nlohmann::ordered_json keras_model_to_spec(const nlohmann::ordered_json& root, const std::string& source) {
  if (!root["class_name"].is_string()) fail("{}: Keras 'class_name' must be a string", source);
  const std::string class_name = root["class_name"].get<std::string>();
  if (!is_model_class(class_name)) {
    fail("{}: a Keras {} is not a model; gradlab reads the to_json() of a Sequential, Functional or Model", source,
         class_name);
  }
  if (!root.contains("config")) fail("{}: a Keras model needs a 'config'", source);
  // Keras 3 writes a "module" beside every class name; Keras 2 a keras_version of 2.x (or nothing).
  const bool keras3 = root.contains("module") ||
                      (root.contains("keras_version") && root["keras_version"].is_string() &&
                       root["keras_version"].get<std::string>().starts_with("3"));
  try {
    if (class_name == "Sequential") return sequential_to_spec(root["config"], source, keras3);
    return functional_to_spec(root["config"], source, keras3);
  } catch (const nlohmann::json::exception& e) {
    // A value of an unexpected JSON type where the reader asked for a string or an object.
    fail("{}: not a Keras {} config gradlab can read: {}", source, class_name, json_error_text(e));
  }
}

}  // namespace gradlab
