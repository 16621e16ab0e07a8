#include "gradlab/io/model_spec.h"

#include <map>
#include <set>

#include <fmt/ranges.h>

#include "gradlab/error.h"
#include "gradlab/io/atomic_file.h"
#include "gradlab/io/json_error.h"
#include "gradlab/io/keras_model.h"
#include "io/layer_registry.h"
#include "io/spec_repeat.h"

namespace gradlab {
namespace {

using spec::Json;

// Specs are small; anything bigger than this is not a spec.
constexpr std::uint64_t kMaxSpecBytes = 64 << 20;

std::string known_types() {
  std::string s;
  for (const auto& [name, type] : spec::layer_types()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

Shape parse_input_shape(const std::string& source, const std::string& name, const Json& value) {
  if (!value.is_array() || value.empty()) {
    fail("{}: input '{}' must have a non-empty shape array (without the batch dimension), got {}", source, name,
         value.dump());
  }
  std::vector<int64_t> dims;
  for (const Json& d : value) {
    if (!d.is_number_integer() || d.get<int64_t>() <= 0 || d.get<int64_t>() > kMaxTensorElements) {
      fail("{}: input '{}': dimensions must be positive integers, got {}", source, name, value.dump());
    }
    dims.push_back(d.get<int64_t>());
  }
  return Shape(std::move(dims));
}

std::vector<std::string> parse_name_list(const std::string& source, const std::string& where, const Json& value) {
  std::vector<std::string> names;
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array() || value.empty()) fail("{}: {} must be a name or a non-empty list of names", source, where);
  for (const Json& v : value) {
    if (!v.is_string()) fail("{}: {} must list names (strings), got {}", source, where, v.dump());
    names.push_back(v.get<std::string>());
  }
  return names;
}

// "layers[1] 'd2'": the position finds the entry in a long list, the name in the user's own words.
std::string entry_label(const Json& entry, std::size_t index) {
  std::string label = fmt::format("layers[{}]", index);
  if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) label += " '" + entry["name"].get<std::string>() + "'";
  return label;
}

LayerSpec parse_layer(const std::string& source, const Json& entry, std::size_t index,
                      std::map<std::string, int>& type_counts) {
  if (!entry.is_object()) fail("{}: layers[{}] must be an object, got {}", source, index, entry.dump());
  if (!entry.contains("type") || !entry["type"].is_string()) {
    fail("{}: {} needs a string 'type' (one of: {})", source, entry_label(entry, index), known_types());
  }
  LayerSpec layer;
  layer.type = entry["type"].get<std::string>();
  const auto& types = spec::layer_types();
  auto type = types.find(layer.type);
  if (type == types.end()) {
    fail("{}: {}: unknown layer type '{}' (known: {})", source, entry_label(entry, index), layer.type, known_types());
  }
  if (entry.contains("name")) {
    if (!entry["name"].is_string() || entry["name"].get<std::string>().empty()) {
      fail("{}: layers[{}] ({}): 'name' must be a non-empty string", source, index, layer.type);
    }
    layer.name = entry["name"].get<std::string>();
  } else {
    const int n = type_counts[layer.type]++;
    layer.name = n == 0 ? layer.type : layer.type + "_" + std::to_string(n);
  }
  const spec::Context where{source, layer.name, layer.type};
  layer.options = type->second.defaults;
  for (const auto& [key, value] : entry.items()) {
    if (key == "type" || key == "name") continue;
    if (key == "inputs") {
      layer.inputs = parse_name_list(source, fmt::format("layer '{}' ({}): key 'inputs'", layer.name, layer.type), value);
      continue;
    }
    if (!layer.options.contains(key)) {
      std::string keys = "name, type, inputs";
      for (const auto& [k, v] : type->second.defaults.items()) keys += ", " + k;
      fail("{}: layer '{}' ({}): unknown key '{}' (valid keys: {})", source, layer.name, layer.type, key, keys);
    }
    layer.options[key] = value;
  }
  for (const auto& [key, value] : layer.options.items()) {
    if (value.is_null()) fail("{}: layer '{}' ({}): missing required key '{}'", where.source, where.layer, where.type, key);
  }
  return layer;
}

// Kahn's algorithm: orders layers so each comes after its inputs, and names a cycle if there is one.
std::vector<LayerSpec> order_layers(const std::string& source, std::vector<LayerSpec> layers) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < layers.size(); ++i) index[layers[i].name] = i;
  std::vector<int> pending(layers.size(), 0);
  std::vector<std::vector<std::size_t>> users(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    for (const std::string& in : layers[i].inputs) {
      auto it = index.find(in);
      if (it == index.end()) continue;
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  std::vector<std::size_t> ready;
  for (std::size_t i = layers.size(); i-- > 0;) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<LayerSpec> ordered;
  while (!ready.empty()) {
    const std::size_t i = ready.back();
    ready.pop_back();
    ordered.push_back(layers[i]);
    for (auto u = users[i].rbegin(); u != users[i].rend(); ++u) {
      if (--pending[*u] == 0) ready.push_back(*u);
    }
  }
  if (ordered.size() != layers.size()) {
    std::string cycle;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (pending[i] > 0) cycle += (cycle.empty() ? "'" : ", '") + layers[i].name + "'";
    }
    fail("{}: the layers' inputs form a cycle; layers on or after it: {}", source, cycle);
  }
  return ordered;
}

// A functional Model keeps only what its outputs depend on, so a layer that reaches no output would
// vanish without a word (and a weights file holding its variables would then be refused).
void check_every_layer_reaches_an_output(const std::string& source, const std::vector<LayerSpec>& layers,
                                         const std::vector<std::string>& outputs) {
  std::map<std::string, const LayerSpec*> by_name;
  for (const LayerSpec& layer : layers) by_name[layer.name] = &layer;
  std::set<std::string> used;
  std::vector<std::string> pending(outputs.begin(), outputs.end());
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    if (!used.insert(name).second) continue;
    if (const auto it = by_name.find(name); it != by_name.end()) {
      pending.insert(pending.end(), it->second->inputs.begin(), it->second->inputs.end());
    }
  }
  std::vector<std::string> unused;
  for (const LayerSpec& layer : layers) {
    if (!used.count(layer.name)) unused.push_back("'" + layer.name + "'");
  }
  if (unused.empty()) return;
  fail("{}: layer{} {} reach{} no output (outputs: {}); list {} in 'outputs' (a model may have several) or "
       "remove {}, or give the next layer an explicit 'inputs'",
       source, unused.size() == 1 ? "" : "s", fmt::join(unused, ", "), unused.size() == 1 ? "es" : "",
       fmt::join(outputs, ", "), unused.size() == 1 ? "it" : "them", unused.size() == 1 ? "it" : "them");
}

}  // namespace

ModelSpec parse_model_spec(const std::string& json_text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {
    fail("{}: not valid JSON: {}", source, json_error_text(e));
  }
  if (!root.is_object()) fail("{}: a model spec must be a JSON object", source);
  if (is_keras_model_json(root)) root = keras_model_to_spec(root, source);
  static const std::set<std::string> top_keys = {"name", "inputs", "layers", "outputs"};
  for (const auto& [key, value] : root.items()) {
    if (!top_keys.count(key)) fail("{}: unknown top-level key '{}' (valid keys: name, inputs, layers, outputs)", source, key);
  }
  ModelSpec spec;
  spec.source = source;
  spec.name = "model";
  if (root.contains("name")) {
    if (!root["name"].is_string() || root["name"].get<std::string>().empty()) fail("{}: 'name' must be a non-empty string", source);
    spec.name = root["name"].get<std::string>();
  }
  if (!root.contains("inputs") || !root["inputs"].is_object() || root["inputs"].empty()) {
    fail("{}: 'inputs' must be an object mapping each input name to its shape, e.g. {{\"x\": [128]}}", source);
  }
  std::set<std::string> names;
  for (const auto& [name, shape] : root["inputs"].items()) {
    spec.inputs.emplace_back(name, parse_input_shape(source, name, shape));
    names.insert(name);
  }
  if (!root.contains("layers") || !root["layers"].is_array() || root["layers"].empty()) {
    fail("{}: 'layers' must be a non-empty array of layer objects", source);
  }
  const Json expanded = spec::expand_repeats(source, root["layers"], spec.inputs.front().first);
  std::map<std::string, int> type_counts;
  std::vector<LayerSpec> layers;
  for (std::size_t i = 0; i < expanded.size(); ++i) {
    LayerSpec layer = parse_layer(source, expanded[i], i, type_counts);
    if (!names.insert(layer.name).second) fail("{}: layer name '{}' is used twice (names of inputs and layers must be unique)", source, layer.name);
    if (layer.inputs.empty()) layer.inputs = {i == 0 ? spec.inputs.front().first : layers.back().name};
    layers.push_back(std::move(layer));
  }
  for (const LayerSpec& layer : layers) {
    const bool multi = spec::layer_types().at(layer.type).multi_input;
    if (!multi && layer.inputs.size() != 1) {
      fail("{}: layer '{}' ({}): key 'inputs' must name exactly one input, got {}", source, layer.name, layer.type, layer.inputs.size());
    }
    if (multi && layer.inputs.size() < 2) {
      fail("{}: layer '{}' ({}): key 'inputs' must name at least two inputs", source, layer.name, layer.type);
    }
    for (const std::string& in : layer.inputs) {
      if (!names.count(in)) fail("{}: layer '{}' ({}): key 'inputs' names '{}', which is neither a layer nor a model input", source, layer.name, layer.type, in);
      if (in == layer.name) fail("{}: layer '{}' ({}): key 'inputs' names the layer itself (a cycle)", source, layer.name, layer.type);
    }
  }
  spec.outputs = root.contains("outputs") ? parse_name_list(source, "'outputs'", root["outputs"])
                                          : std::vector<std::string>{layers.back().name};
  for (const std::string& out : spec.outputs) {
    if (!names.count(out)) fail("{}: 'outputs' names '{}', which is neither a layer nor a model input", source, out);
  }
  check_every_layer_reaches_an_output(source, layers, spec.outputs);
  spec.layers = order_layers(source, std::move(layers));
  return spec;
}

ModelSpec read_model_spec(const std::string& path) {
  return parse_model_spec(read_file(path, kMaxSpecBytes), path == "-" ? "standard input" : path);
}

Model build_model(const ModelSpec& spec, const BuildOptions& options) {
  std::map<std::string, SymbolicTensor> values;
  std::vector<SymbolicTensor> inputs;
  for (const auto& [name, shape] : spec.inputs) {
    inputs.push_back(Input(shape, {.name = name, .dtype = options.dtype}));
    values[name] = inputs.back();
  }
  for (const LayerSpec& layer : spec.layers) {
    const spec::Context where{spec.source, layer.name, layer.type};
    const spec::LayerType& type = spec::layer_types().at(layer.type);
    std::vector<SymbolicTensor> args;
    for (const std::string& in : layer.inputs) args.push_back(values.at(in));
    try {
      Layer made = type.make(layer.options, where, options.dtype);
      if (options.rng) made.impl().set_rng(options.rng);
      values[layer.name] = type.multi_input ? made(args) : made(args[0]);
      if (options.rng) made.impl().set_rng(nullptr);
    } catch (const Error& e) {
      const std::string prefix = fmt::format("{}: layer '{}'", spec.source, layer.name);
      if (std::string_view(e.what()).starts_with(prefix)) throw;
      fail("{} ({}): {}", prefix, layer.type, e.what());
    }
  }
  std::vector<SymbolicTensor> outputs;
  for (const std::string& out : spec.outputs) outputs.push_back(values.at(out));
  return Model(inputs, outputs, spec.name);
}

std::vector<std::string> spec_layer_types() {
  std::vector<std::string> names;
  for (const auto& [name, type] : spec::layer_types()) names.push_back(name);
  return names;
}

}  // namespace gradlab
