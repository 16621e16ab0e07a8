#pragma once
// The layer types a model spec can name: for each, its keys with defaults and how to make the layer.
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "gradlab/nn/layer.h"

namespace gradlab::spec {

using Json = nlohmann::ordered_json;

/// Where a value came from, for error messages: "model.json: layer 'd1' (dense)".
struct Context {
  const std::string& source;
  const std::string& layer;
  const std::string& type;
};

struct LayerType {
  /// Every type-specific key with its Keras default (null: required).
  Json defaults;
  /// Whether the layer takes several inputs (merge layers).
  bool multi_input = false;
  /// Makes the layer from options already completed with defaults and checked for unknown keys.
  std::function<Layer(const Json& options, const Context& where, DType dtype)> make;
};

const std::map<std::string, LayerType>& layer_types();

// Typed readers of option values: each names the key and the layer when the value is wrong.
std::string get_string(const Json& options, const char* key, const Context& where);
bool get_bool(const Json& options, const char* key, const Context& where);
int64_t get_int(const Json& options, const char* key, const Context& where);
double get_number(const Json& options, const char* key, const Context& where);
Initializer get_initializer(const Json& options, const char* key, const Context& where);

}  // namespace gradlab::spec
