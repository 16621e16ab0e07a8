// What the commands share: the seed validator and writing to standard output.
#include <charconv>
#include <cstdint>
#include <iostream>

#include "commands.h"

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

void write_stdout(const std::string& text) {
  std::cout << text << std::flush;
  if (!std::cout) throw Error("cannot write to standard output");
}

}  // namespace gradlab::cli
