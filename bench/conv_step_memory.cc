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
#include <string>

#include "conv_step_model.h"
#include "process_memory.h"

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "batch_norm";
  if (name != "batch_norm" && name != "group_norm") {
    std::fprintf(stderr, "conv_step_memory: unknown case '%s' (batch_norm, group_norm)\n", name.c_str());
    return 2;
  }
  gradlab::bench::ConvStep step(name);
  gradlab::bench::reset_peak_resident_set();
  const long long before = gradlab::bench::status_bytes("VmRSS");
  double loss = 0;
  for (int i = 0; i < 3; ++i) loss = step.run();
  const long long high = gradlab::bench::status_bytes("VmHWM");
  std::printf("{\"case\": \"%s\", \"step_peak_bytes\": %lld, \"rss_before_bytes\": %lld, \"loss\": %.6f}\n",
              name.c_str(), high - before, before, loss);
  return 0;
}
