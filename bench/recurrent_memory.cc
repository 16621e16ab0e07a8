// Peak memory of one forward plus backward (BPTT) step of bench/recurrent.cc's cases (batch 32, T = 100
// steps of 128 float32 features, 128 units, the output of every step, gradients of sum(y) with respect
// to the input and every weight): how far the process's resident-set high-water mark rises above its
// resident set just before the step. bench/torch/recurrent_memory.py measures torch.nn.LSTM / RNN the
// same way; bench/recurrent_memory.sh runs both in fresh processes and prints the medians.
//
//   build-bench/bench/recurrent_memory lstm      # {"case": "lstm", "step_peak_bytes": ..., ...}
//
// Linux only: writing 5 to /proc/self/clear_refs resets VmHWM to the current VmRSS (Linux 4.0+), so the
// measurement is the step's own rise, whatever the set-up touched before it.
#include <cstdio>
#include <string>
#include <vector>

#include "gradlab/gradlab.h"
#include "process_memory.h"

namespace {

using namespace gradlab;

}  // namespace

int main(int argc, char** argv) {
  const std::string name = argc > 1 ? argv[1] : "lstm";
  if (name != "lstm" && name != "simple_rnn" && name != "gru") {
    std::fprintf(stderr, "recurrent_memory: unknown case '%s' (lstm, simple_rnn, gru)\n", name.c_str());
    return 2;
  }
  set_seed(0);
  Rng rng(0);
  const Tensor x = normal({32, 100, 128}, rng);
  Layer layer = name == "lstm" ? Layer(LSTM(128, {.return_sequences = true}))
                : name == "gru" ? Layer(GRU(128, {.return_sequences = true}))
                                : Layer(SimpleRNN(128, {.return_sequences = true}));
  // Builds the weights on one step of one row, so that no buffer of the measured step's size exists
  // before it (the tensor buffer cache would keep one): PyTorch's peer builds its module without a
  // forward pass.
  layer(normal({1, 1, 128}, rng));
  std::vector<Tensor> sources{x};
  for (const Variable& v : layer.trainable_variables()) sources.push_back(v.value());
  gradlab::bench::reset_peak_resident_set();
  const long long before = gradlab::bench::status_bytes("VmRSS");
  {
    GradientTape tape;
    tape.watch(x);
    const Tensor loss = sum(layer(x));
    const std::vector<Tensor> grads = tape.gradient(loss, sources);
    if (grads.empty()) return 1;
  }
  const long long high = gradlab::bench::status_bytes("VmHWM");
  std::printf("{\"case\": \"%s\", \"step_peak_bytes\": %lld, \"rss_before_bytes\": %lld}\n", name.c_str(), high - before,
              before);
  return 0;
}
