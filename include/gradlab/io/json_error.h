#pragma once
/// The reason in a JSON library error, for messages people read: nlohmann::json's what() starts with
/// an internal tag ("[json.exception.parse_error.101] parse error at line 1, column 9: ...") that
/// names the library's class, not the problem; this drops it.
///
///   catch (const nlohmann::json::exception& e) { fail("{}: not valid JSON: {}", path, json_error_text(e)); }

#include <string>

#include <nlohmann/json.hpp>

namespace gradlab {

/// `e.what()` without its leading "[json.exception.<kind>.<id>] " tag.
std::string json_error_text(const nlohmann::json::exception& e);

}  // namespace gradlab
