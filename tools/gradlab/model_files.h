#pragma once
// Loading what `init` and `gradients` read (spec, weights, inputs), turning every problem with a file
// into a UsageError (exit status 2) that names the file.
#include <string>

#include "commands.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"

namespace gradlab::cli {

/// Runs `load`; a gradlab::Error it throws becomes a UsageError with the same message.
template <typename Load>
auto as_bad_input(Load&& load) -> decltype(load()) {
  try {
    return load();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

/// Rejects a command line where more than one of `paths` is "-": standard input can be read once.
void check_one_stdin(const std::vector<std::pair<std::string, std::string>>& option_paths);

/// Refuses, before any work, an output path that cannot be written: its folder missing or not
/// writable, or the path itself a folder. `option` names it in the message ("--out r.html: folder
/// 'x' does not exist"). An empty path (option not given) and "-" (standard output) pass.
void check_output_path(const std::string& option, const std::string& path);

/// Refuses (UsageError naming `source` and the tensor) an input tensor with a NaN or an infinity.
void check_finite_input(const Tensor& tensor, const std::string& source, const std::string& name);

/// The inputs of `spec` in safetensors file `path` (`--input`), in the spec's input order and the
/// file's dtype: one tensor named after each model input, shaped [batch >= 1, its shape...], finite,
/// and no other tensor. Anything else is a UsageError naming the file and the tensor.
std::vector<Tensor> read_spec_inputs(const ModelSpec& spec, const std::string& path);

/// The DType named by --dtype, or, if it is empty, the dtype of the first tensor of `weights`.
DType dtype_for(const std::string& dtype_option, const TensorFile& weights);

}  // namespace gradlab::cli
