#pragma once
// Repeat blocks of a model spec's "layers" list (docs/model-spec.md), expanded before the layers are
// parsed: {"repeat": 20, "layers": [...]} stands for 20 copies of its layers in a row.

#include <string>

#include "io/layer_registry.h"

namespace gradlab::spec {

/// Most layers a spec may expand to.
inline constexpr std::size_t kMaxExpandedLayers = 100000;

/// `layers` with every repeat block (nested ones too) replaced by its copies. Copy k (1-based) of a
/// layer named "d" is named "d_k"; "inputs" naming a layer of the same block name its copy k; the name
/// "$input" names what feeds the copy: the model input `first_input` at the start of the list, else the
/// layer before (which must have a "name"). Errors name `source` and the block's position.
Json expand_repeats(const std::string& source, const Json& layers, const std::string& first_input);

}  // namespace gradlab::spec
