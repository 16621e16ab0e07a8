// Peak memory of bench/conv_step.cc's training step (batch 64 of 28 x 28 x 1 images, 3 x (Conv2D 32
// 3 x 3 + normalization + ReLU), global average pooling, Dense(10), SGD with momentum): how far the
// process's resident-set high-water mark rises above its resident set just before the first step,
// over three steps (the first allocates the optimizer's slots and every first-use buffer; the
// later ones show whether anything grows). bench/torch/conv_step_memory.py measures the PyTorch
// peer the same way; bench/conv_step_memory.sh runs both in fresh processes and prints the medians.
//
//   build-bench/bench/conv_step_memory batch_norm   # {"case": "batch_norm", "step_peak_bytes": ..., ...}
//
// Linux only: writing 5 to /proc/self/clear_refs resets VmHWM to the current VmRSS (Linux 4.0+).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "conv_step_model.h"

namespace {

// "VmRSS:    1234 kB" -> bytes.
long long status_bytes(const std::string& field) {
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

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "batch_norm";
  if (name != "batch_norm" && name != "group_norm") {
    std::fprintf(stderr, "conv_step_memory: unknown case '%s' (batch_norm, group_norm)\n", name.c_str());
    return 2;
  }
  gradlab::bench::ConvStep step(name);
  std::ofstream("/proc/self/clear_refs") << "5";
  const long long before = status_bytes("VmRSS");
  double loss = 0;
  for (int i = 0; i < 3; ++i) loss = step.run();
  const long long high = status_bytes("VmHWM");
  std::printf("{\"case\": \"%s\", \"step_peak_bytes\": %lld, \"rss_before_bytes\": %lld, \"loss\": %.6f}\n",
              name.c_str(), high - before, before, loss);
  return 0;
}
