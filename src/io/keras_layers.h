#pragma once
// One Keras layer's config (from model.to_json()) as a gradlab spec layer object: the table of the
// Keras classes gradlab reads, each option mapped, checked or refused.
#include <string>

#include <nlohmann/json.hpp>

namespace gradlab::keras {

using Json = nlohmann::ordered_json;

/// Where a Keras layer came from, for error messages: "model.json: Keras layer 'dense_1' (Dense)".
struct Where {
  const std::string& source;
  const std::string& layer;
  const std::string& class_name;
  /// Whether the file is Keras 3's (a top-level "module", or keras_version 3.x): activations whose
  /// meaning changed between versions (hard_sigmoid) are read only from Keras 3 files.
  bool keras3 = false;
};

/// "model.json: Keras layer 'dense_1' (Dense)".
std::string describe(const Where& where);

/// The gradlab spec layer ({"name", "type", options...}, without "inputs") for a Keras layer of
/// `class_name` with `config`; an Error naming the layer for a class, option or value gradlab lacks.
Json convert_layer(const Json& config, const Where& where);

/// Whether `class_name` is a merge layer (takes several inputs).
bool is_merge_layer(const std::string& class_name);

/// The Keras layer classes gradlab reads, for error messages ("InputLayer, Dense, ...").
std::string known_layer_classes();

/// The dtype a Keras "dtype" value names ("float32"; a Keras 3 DTypePolicy object's config name).
std::string dtype_name(const Json& dtype);

}  // namespace gradlab::keras
