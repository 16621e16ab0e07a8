#include "model_files.h"

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

DType dtype_for(const std::string& dtype_option, const TensorFile& weights) {
  if (!dtype_option.empty()) return as_bad_input([&] { return parse_dtype(dtype_option); });
  return weights.size() > 0 ? weights.tensors().front().second.dtype() : DType::float32;
}

}  // namespace gradlab::cli
