#include "model_files.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace gradlab::cli {

void check_one_stdin(const std::vector<std::pair<std::string, std::string>>& option_paths) {
  std::string first;
  for (const auto& [option, path] : option_paths) {
    if (path != "-") continue;
    if (!first.empty()) throw UsageError(fmt::format("{} and {} both read standard input; only one can", first, option));
    first = option;
  }
}

void check_output_path(const std::string& option, const std::string& path) {
  if (path.empty() || path == "-") return;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw UsageError(fmt::format("{} {}: folder '{}' does not exist", option, path, folder));
  }
  if (::access(folder.c_str(), W_OK) != 0) throw UsageError(fmt::format("{} {}: folder '{}' is not writable", option, path, folder));
  if (std::filesystem::is_directory(path, ec)) throw UsageError(fmt::format("{} {}: is a folder, expected a file name", option, path));
}

void check_finite_input(const Tensor& t, const std::string& source, const std::string& name) {
  for (const double v : t.to_vector()) {
    if (!std::isfinite(v)) throw UsageError(fmt::format("{}: input '{}' has a non-finite value ({})", source, name, v));
  }
}

std::vector<Tensor> read_spec_inputs(const ModelSpec& spec, const std::string& path) {
  const TensorFile file = as_bad_input([&] { return read_safetensors(path); });
  std::vector<Tensor> xs;
  for (const auto& [name, shape] : spec.inputs) {
    const Tensor* t = file.find(name);
    if (!t) throw UsageError(fmt::format("{}: no tensor named '{}' for model input '{}'", path, name, name));
    bool fits = t->rank() == shape.rank() + 1 && t->dim(0) >= 1;
    for (int64_t i = 0; fits && i < shape.rank(); ++i) fits = t->dim(i + 1) == shape[i];
    if (!fits) {
      throw UsageError(fmt::format("{}: tensor '{}' is {}, expected a batch of input '{}', each {}", path, name,
                                   t->description(), name, shape.to_string()));
    }
    check_finite_input(*t, path, name);
    xs.push_back(*t);
  }
  if (file.size() != spec.inputs.size()) {
    throw UsageError(fmt::format("{}: has {} tensors but model '{}' has {} inputs", path, file.size(), spec.name,
                                 spec.inputs.size()));
  }
  return xs;
}

DType dtype_for(const std::string& dtype_option, const TensorFile& weights) {
  if (!dtype_option.empty()) return as_bad_input([&] { return parse_dtype(dtype_option); });
  return weights.size() > 0 ? weights.tensors().front().second.dtype() : DType::float32;
}

}  // namespace gradlab::cli
