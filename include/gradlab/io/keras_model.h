#pragma once
/// Keras's own architecture JSON (`model.to_json()`, Keras 2 and 3, Sequential and Functional) read
/// as a gradlab model spec. parse_model_spec() calls it for any document with a top-level
/// "class_name", so every command that takes a spec takes a Keras file too; the mapping is in
/// docs/model-spec.md.
///
///   // {"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", ...}, ...]}}
///   ModelSpec spec = read_model_spec("model.json");   // a Keras to_json() file
///   Model model = build_model(spec);

#include <string>

#include <nlohmann/json.hpp>

namespace gradlab {

/// Whether a parsed JSON document is Keras's architecture JSON rather than a gradlab spec: an object
/// with a top-level "class_name".
bool is_keras_model_json(const nlohmann::ordered_json& root);

/// The gradlab spec (the JSON of docs/model-spec.md) equivalent to a Keras `model.to_json()`
/// document. Layers, initializers, activations and options are mapped to gradlab's; a layer class,
/// an option value or a wiring gradlab lacks (Conv2D, a regularizer, dropout inside an LSTM, a layer
/// called twice, a nested model) is an Error naming `source`, the Keras layer's name, its class and
/// the option, never silently dropped. Options that cannot change results (seeds of initializers,
/// `unroll`, `implementation`, dtype policies float32 and float64) are ignored.
nlohmann::ordered_json keras_model_to_spec(const nlohmann::ordered_json& root, const std::string& source);

}  // namespace gradlab
