#pragma once
// JSON has no infinity or NaN: every printer writes a non-finite figure (an overflowed gradient) as
// null, through this one function.
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

namespace gradlab::cli {

/// `v` as a JSON number, or null when it is NaN or infinite.
inline nlohmann::ordered_json json_number(double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nullptr; }

/// `v` as a JSON number, or null when it is unset, NaN or infinite.
inline nlohmann::ordered_json json_number(const std::optional<double>& v) { return v ? json_number(*v) : nullptr; }

}  // namespace gradlab::cli
