#pragma once
/// One forward and backward pass of a model on given inputs: its loss, outputs and every gradient,
/// named as `gradlab gradients` writes them, plus a per-layer table of gradient norms.
///
///   Model model = build_model(read_model_spec("m.json"));
///   load_weights(model, read_safetensors("w.safetensors"));
///   ModelGradients g = compute_gradients(model, read_safetensors("x.safetensors"), {});
///   write_safetensors("g.safetensors", g.tensors);
///
/// The loss is the mean (or sum) of every element of every output. `tensors` holds:
///   loss                       a scalar
///   output/<name>              each model output
///   grad/input/<name>          d loss / d each model input
///   grad/<layer>/<variable>    d loss / d each trainable variable ("grad/d1/kernel")
///   state/<layer>/<variable>   after a training pass, each non-trainable variable the pass changed
///                              (batch normalization's moving statistics)

#include <string>
#include <vector>

#include "gradlab/io/safetensors.h"
#include "gradlab/nn/model.h"

namespace gradlab {

/// How the outputs are reduced to the scalar that is differentiated.
enum class LossReduction { mean, sum };

/// Parses "mean" or "sum"; throws Error naming the value otherwise.
LossReduction parse_loss_reduction(const std::string& name);

/// Options of compute_gradients().
struct GradientsOptions {
  /// Training mode (batch statistics, moving-statistics updates), as Keras's training=True.
  bool training = false;
  LossReduction loss = LossReduction::mean;
};

/// Gradient norms of one layer call.
struct LayerGradientNorms {
  std::string layer;
  std::string type;
  /// ||d loss / d output||_2 of the layer.
  double output_grad_norm = 0;
  /// ||d loss / d variable||_2 for each trainable variable of the layer, by variable name.
  std::vector<std::pair<std::string, double>> variable_grad_norms;
};

/// Everything one pass produced.
struct ModelGradients {
  TensorFile tensors;
  /// One row per layer call, in the order they ran.
  std::vector<LayerGradientNorms> layers;
};

/// Runs `model` on `inputs` (one tensor per model input, named as the model's inputs, each with its
/// batch dimension) and differentiates the loss. A missing or extra input, a wrong shape or dtype,
/// or a NaN or infinite input value is an Error naming the tensor.
ModelGradients compute_gradients(const Model& model, const TensorFile& inputs, const GradientsOptions& options);

}  // namespace gradlab
