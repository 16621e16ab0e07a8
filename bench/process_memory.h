#pragma once
// The process's resident set from /proc/self/status, for the peak-memory benchmarks
// (recurrent_memory.cc, conv_step_memory.cc). Linux only.
#include <fstream>
#include <sstream>
#include <string>

namespace gradlab::bench {

/// A /proc/self/status field in bytes ("VmRSS:    1234 kB" -> 1263616); -1 when it is absent.
inline long long status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream s(line.substr(field.size() + 1));
      long long kb = 0;
      s >> kb;
      return kb * 1024;
    }
  }
  return -1;
}

/// Resets VmHWM to the current VmRSS (writing 5 to /proc/self/clear_refs, Linux 4.0+).
inline void reset_peak_resident_set() { std::ofstream("/proc/self/clear_refs") << "5"; }

}  // namespace gradlab::bench
