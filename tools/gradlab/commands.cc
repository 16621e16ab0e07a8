// What the commands share: the seed validator and writing to standard output.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.h"
#include "gradlab/nn/initializer_names.h"
#include "gradlab/nn/initializers.h"

namespace gradlab::cli {

const CLI::Validator kUnsignedDigits(
    [](std::string& value) -> std::string {
      uint64_t parsed = 0;
      const char* end = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
      if (!value.empty() && ec == std::errc() && ptr == end) return "";
      return "expected an integer in [0, 2^64), got '" + value + "'";
    },
    "", "digits");

// The library's own message lists the canonical names only; every alias it accepts passes.
const CLI::Validator kInitializerName(
    [](std::string& value) -> std::string {
      try {
        Initializer check(value);
        return "";
      } catch (const Error& e) {
        return e.what();
      }
    },
    fmt::format("one of {}", fmt::join(canonical_initializer_names(), ",")), "initializer");

const CLI::Validator kVariance(
    [](std::string& value) -> std::string {
      double parsed = 0;
      const char* end = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
      if (!value.empty() && ec == std::errc() && ptr == end && std::isfinite(parsed) && parsed >= 0) return "";
      return "expected a finite number >= 0, got '" + value + "'";
    },
    "finite >= 0", "variance");

void write_stdout(const std::string& text) {
  std::cout << text << std::flush;
  if (!std::cout) throw Error("cannot write to standard output");
}

}  // namespace gradlab::cli
