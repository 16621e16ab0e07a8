#pragma once
/// A model's variables as named tensors: "<layer>/<variable>" with Keras's names and shapes
/// ("d1/kernel" shaped (in, out), "d1/bias", "bn/moving_mean", ...), ready for safetensors.
///
///   write_safetensors("w.safetensors", model_weights(model));
///   load_weights(model, read_safetensors("w.safetensors"));

#include "gradlab/io/safetensors.h"
#include "gradlab/nn/layer.h"

namespace gradlab {

/// Every variable of `model` (trainable and not), named as the variables are.
TensorFile model_weights(const Layer& model);

/// Copies each of `model`'s variables from the tensor of the same name in `file`. A missing tensor,
/// an extra tensor that is not a variable of the model, or a wrong shape or dtype is an Error naming
/// the file and the tensor (a checkpoint from a different model is refused before anything changes).
void load_weights(const Layer& model, const TensorFile& file);

}  // namespace gradlab
