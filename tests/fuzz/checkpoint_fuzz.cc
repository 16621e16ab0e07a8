// libFuzzer entry point for the checkpoint target; the work is gradlab::fuzz::checkpoint() in fuzz_targets.h.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  gradlab::fuzz::checkpoint({reinterpret_cast<const char*>(data), size});
  return 0;
}
