#include "model_files.h"

#include <unistd.h>

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

DType dtype_for(const std::string& dtype_option, const TensorFile& weights) {
  if (!dtype_option.empty()) return as_bad_input([&] { return parse_dtype(dtype_option); });
  return weights.size() > 0 ? weights.tensors().front().second.dtype() : DType::float32;
}

}  // namespace gradlab::cli
