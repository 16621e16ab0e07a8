#include "io/spec_repeat.h"

#include <optional>
#include <set>

#include "gradlab/error.h"

namespace gradlab::spec {
namespace {

void expand_into(const std::string& source, const Json& layers, const std::string& where, const std::string& first_input,
                 Json& out);

// What feeds the next layer appended to `out`: a block's "$input"; nullopt when that layer has no
// name to refer to (an error only if the block uses "$input").
std::optional<std::string> feeding(const std::string& first_input, const Json& out) {
  if (out.empty()) return first_input;
  const Json& last = out.back();
  if (!last.contains("name") || !last["name"].is_string()) return std::nullopt;
  return last["name"].get<std::string>();
}

void expand_block(const std::string& source, const Json& block, const std::string& where, const std::string& first_input,
                  Json& out) {
  for (const auto& [key, value] : block.items()) {
    if (key != "repeat" && key != "layers") fail("{}: {}: unknown key '{}' in a repeat block (valid keys: repeat, layers)", source, where, key);
  }
  const Json& count = block["repeat"];
  if (!count.is_number_integer() || count.get<int64_t>() < 1 || count.get<int64_t>() > static_cast<int64_t>(kMaxExpandedLayers)) {
    fail("{}: {}: 'repeat' must be an integer from 1 to {}, got {}", source, where, kMaxExpandedLayers, count.dump());
  }
  if (!block.contains("layers") || !block["layers"].is_array() || block["layers"].empty()) {
    fail("{}: {}: a repeat block needs a non-empty 'layers' array", source, where);
  }
  // A nested block at the start of this one is fed by what feeds this copy: leave "$input" for below.
  Json body = Json::array();
  expand_into(source, block["layers"], where + ".layers", "$input", body);
  std::set<std::string> own;
  for (const Json& layer : body) {
    if (layer.contains("name") && layer["name"].is_string()) own.insert(layer["name"].get<std::string>());
  }
  const int64_t copies = count.get<int64_t>();
  for (int64_t k = 1; k <= copies; ++k) {
    const std::optional<std::string> input = feeding(first_input, out);
    const std::string suffix = "_" + std::to_string(k);
    for (Json layer : body) {
      if (layer.contains("name") && layer["name"].is_string()) layer["name"] = layer["name"].get<std::string>() + suffix;
      if (layer.contains("inputs")) {
        Json& inputs = layer["inputs"];
        const auto rename = [&](Json& name) {
          if (!name.is_string()) return;
          const std::string n = name.get<std::string>();
          if (n == "$input") {
            if (!input) fail("{}: {}: '$input' names the layer before the block, which needs a \"name\"", source, where);
            name = *input;
          } else if (own.count(n)) {
            name = n + suffix;
          }
        };
        if (inputs.is_array()) {
          for (Json& name : inputs) rename(name);
        } else {
          rename(inputs);
        }
      }
      out.push_back(std::move(layer));
      if (out.size() > kMaxExpandedLayers) fail("{}: {}: the spec expands to more than {} layers", source, where, kMaxExpandedLayers);
    }
  }
}

void expand_into(const std::string& source, const Json& layers, const std::string& where, const std::string& first_input,
                 Json& out) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Json& entry = layers[i];
    const std::string here = where + "[" + std::to_string(i) + "]";
    if (entry.is_object() && entry.contains("repeat")) {
      expand_block(source, entry, here, first_input, out);
    } else {
      out.push_back(entry);
      if (out.size() > kMaxExpandedLayers) fail("{}: the spec expands to more than {} layers", source, kMaxExpandedLayers);
    }
  }
}

}  // namespace

Json expand_repeats(const std::string& source, const Json& layers, const std::string& first_input) {
  Json out = Json::array();
  expand_into(source, layers, "layers", first_input, out);
  return out;
}

}  // namespace gradlab::spec
