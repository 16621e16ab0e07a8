#pragma once
/// Model specs: a network described once, in JSON, and built into a functional Model.
/// The format is documented in docs/model-spec.md.
///
///   ModelSpec spec = read_model_spec("lesson_residual.json");
///   Model model = build_model(spec, {.dtype = DType::float64});
///
///   {"name": "lesson_residual",
///    "inputs": {"x": [128]},
///    "layers": [
///      {"name": "d1", "type": "dense", "units": 32, "activation": "relu"},
///      {"name": "d2", "type": "dense", "units": 32, "activation": "relu"},
///      {"name": "s1", "type": "add", "inputs": ["d2", "d1"]},
///      {"name": "d3", "type": "dense", "units": 32, "activation": "relu", "inputs": ["s1"]}],
///    "outputs": ["d3"]}

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradlab/nn/model.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {

/// One entry of a spec's "layers" list, after validation.
struct LayerSpec {
  std::string name;
  std::string type;
  /// Names of the layers or model inputs it takes; resolved (never empty) after parsing.
  std::vector<std::string> inputs;
  /// The type-specific keys (everything but name, type and inputs), validated against the type.
  nlohmann::ordered_json options;
};

/// A validated model spec: names resolve, there are no cycles, every key is known.
struct ModelSpec {
  std::string name;
  /// Model inputs in file order: name and shape without the batch dimension.
  std::vector<std::pair<std::string, Shape>> inputs;
  /// Layers in an order where every layer comes after its inputs.
  std::vector<LayerSpec> layers;
  std::vector<std::string> outputs;
  /// The file or "<memory>", for error messages.
  std::string source = "<memory>";
};

/// Parses and validates a spec. Unknown keys or types, missing or mistyped values, dangling or cyclic
/// "inputs" and duplicate names are Errors naming the source, the layer and the key.
ModelSpec parse_model_spec(const std::string& json_text, const std::string& source = "<memory>");
/// Reads and parses a spec file ("-" for standard input).
ModelSpec read_model_spec(const std::string& path);

/// Options of build_model().
struct BuildOptions {
  DType dtype = DType::float32;
  /// Generator for initial values; the thread's default_rng() if null.
  Rng* rng = nullptr;
};

/// Builds the spec's functional Model; every layer is built and initialized. Shape mismatches are
/// Errors naming the layer.
Model build_model(const ModelSpec& spec, const BuildOptions& options = {});

/// Every layer type a spec may use ("dense", "activation", "add", "concatenate", ...).
std::vector<std::string> spec_layer_types();

}  // namespace gradlab
