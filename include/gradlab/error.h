#pragma once
/// gradlab's one exception type.
///
///   try { dense(x); } catch (const gradlab::Error& e) { std::cerr << e.what(); }
///
/// Every message names the layer, op or file involved, the shapes or values it saw and
/// what it expected: "dense_2: input has 64 features but the kernel was built for 32".

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace gradlab {

/// The single exception type thrown by gradlab for bad usage, bad input and failed checks.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// Throws `Error` with a fmt-formatted message.
/// Example: `fail("{}: expected rank 2, got {}", name, shape.to_string());`
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace gradlab
