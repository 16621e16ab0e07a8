#include "gradlab/train/output_check.h"

#include "gradlab/error.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/model.h"

namespace gradlab {
namespace {

// The layer that produces the model's single output, descending into nested models; undefined when
// there is no single one.
Layer output_layer(const Layer& model) {
  Layer layer = model;
  for (;;) {
    if (const auto* graph = layer.as<ModelImpl>()) {
      if (graph->outputs().size() != 1 || graph->outputs().front().is_input()) return Layer();
      layer = graph->outputs().front().node().layer;
    } else if (const auto* stack = layer.as<SequentialImpl>()) {
      if (stack->layers().empty()) return Layer();
      layer = stack->layers().back();
    } else {
      return layer;
    }
  }
}

bool is_binary(const std::string& loss) { return loss == "binary_crossentropy"; }
bool is_categorical(const std::string& loss) {
  return loss == "categorical_crossentropy" || loss == "sparse_categorical_crossentropy";
}

}  // namespace

std::optional<std::string> output_activation(const Layer& model) {
  const Layer layer = output_layer(model);
  if (!layer.defined()) return std::nullopt;
  return layer_activation(layer.impl());
}

std::optional<int64_t> output_units(const Layer& model) {
  if (const auto* graph = model.as<ModelImpl>()) {
    if (graph->outputs().size() != 1) return std::nullopt;
    const Shape& shape = graph->outputs().front().shape();
    return shape.rank() == 0 ? std::nullopt : std::optional<int64_t>(shape[shape.rank() - 1]);
  }
  if (const auto* dense = output_layer(model).as<DenseImpl>()) return dense->units();
  return std::nullopt;
}

bool infer_from_logits(const Layer& model, const std::string& loss) {
  const std::optional<std::string> activation = output_activation(model);
  if (!activation) return true;
  if (is_categorical(loss)) return *activation != "softmax";
  if (is_binary(loss)) return *activation != "sigmoid";
  return true;
}

void check_output_fits_loss(const Layer& model, const LossSetting& s) {
  const Layer layer = output_layer(model);
  const std::optional<std::string> activation = output_activation(model);
  if (s.from_logits && activation && ((is_categorical(s.loss) && *activation == "softmax") ||
                                      (is_binary(s.loss) && *activation == "sigmoid"))) {
    fail("model '{}': its output layer '{}' applies {}, so it outputs probabilities, but {} was told from_logits = "
         "true and would apply {} a second time (the run trains, but badly); set from_logits = false "
         "(gradlab train: --from-logits false, or leave the option out), or make the output layer linear",
         model.name(), layer.name(), *activation, s.loss, *activation);
  }
  const std::optional<int64_t> units = output_units(model);
  if (s.classes <= 0 || !units) return;
  if (is_binary(s.loss) && s.classes == 2 && *units == 1) return;
  if (*units != s.classes) {
    fail("model '{}': the model has {} output{} (layer '{}'), the data {} classes; give the output layer {} units{}",
         model.name(), *units, *units == 1 ? "" : "s", layer.defined() ? layer.name() : "?", s.classes, s.classes,
         s.classes == 2 ? " (or 1 unit with binary_crossentropy)" : "");
  }
}

}  // namespace gradlab
