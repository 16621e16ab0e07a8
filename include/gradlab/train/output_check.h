#pragma once
/// Checks that a model's output fits the loss and the labels before any training step, so the two
/// mistakes a Keras user makes first are an error naming the fix instead of a run that silently
/// trains badly (a softmax output fed to a loss told from_logits = true) or fails mid-epoch (5 output
/// units for 10 classes).
///
///   check_output_fits_loss(model, {.loss = "sparse_categorical_crossentropy", .from_logits = true,
///                                  .classes = 10});   // Error if the output layer applies softmax

#include <cstdint>
#include <optional>
#include <string>

#include "gradlab/nn/layer.h"

namespace gradlab {

/// The activation the layer producing the model's single output applies last (layer_activation():
/// "softmax", "sigmoid", and "linear" for layers without one), found through nested models; nullopt
/// when the model has several outputs or none that a layer produces.
std::optional<std::string> output_activation(const Layer& model);

/// The number of units of the model's single output (the last dimension of its shape); nullopt when
/// it is not known before a call (a Sequential that has not run) or there are several outputs.
std::optional<int64_t> output_units(const Layer& model);

/// The loss and labels a model is about to be trained or evaluated with.
struct LossSetting {
  /// A Keras loss name ("sparse_categorical_crossentropy", "binary_crossentropy", "mse", ...).
  std::string loss;
  bool from_logits = true;
  /// Classes of class-id labels; 0 for regression targets.
  int64_t classes = 0;
};

/// The from_logits a cross-entropy should use for `model` when the user did not say: false when the
/// output layer applies softmax (categorical losses) or sigmoid (binary_crossentropy), so its outputs
/// are already probabilities; true otherwise (gradlab's default).
bool infer_from_logits(const Layer& model, const std::string& loss);

/// Throws Error naming the model, its output layer and the fix when
/// - a cross-entropy is told from_logits = true but the output layer applies softmax (categorical) or
///   sigmoid (binary): the loss would squash the probabilities a second time (Keras warns in the same
///   case, keras/src/backend/tensorflow/nn.py categorical_crossentropy);
/// - class-id labels have `classes` classes but the output has a different number of units
///   (a single sigmoid/logit unit is accepted for 2 classes with binary_crossentropy).
void check_output_fits_loss(const Layer& model, const LossSetting& setting);

}  // namespace gradlab
