#pragma once
/// Reading whole files and writing them atomically, so an interrupted write never leaves a
/// half-written file where a good one was.
///
///   write_file_atomically("grads.safetensors", bytes);   // temp file in the same folder, then rename
///   std::string text = read_file("model.json");          // "-" reads standard input

#include <cstdint>
#include <string>
#include <string_view>

namespace gradlab {

/// The whole content of `path` ("-" is standard input). Throws Error naming the file when it is
/// missing, unreadable, a directory, or larger than `max_bytes`.
std::string read_file(const std::string& path, std::uint64_t max_bytes = std::uint64_t{1} << 36);

/// Writes `bytes` to `path` through a temporary file in the same folder that is flushed to disk and
/// renamed over `path`; on any failure the temporary file is removed and `path` is untouched.
/// "-" writes to standard output instead. Throws Error naming the path and the reason.
void write_file_atomically(const std::string& path, std::string_view bytes);

}  // namespace gradlab
