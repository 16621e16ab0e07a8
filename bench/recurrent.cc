// Forward plus backward (BPTT) of one recurrent layer, the shape of issue 17's speed target: batch 32,
// T = 100 steps of 128 float32 features, 128 units, the output of every step; gradients of sum(y)
// with respect to the input and every weight. bench/torch/recurrent.py times the same cases with
// torch.nn.LSTM and torch.nn.RNN; bench/compare.py prints the ratios.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "percentiles.h"
#include "gradlab/gradlab.h"

namespace {

using namespace gradlab;

constexpr int64_t kBatch = 32;
constexpr int64_t kSteps = 100;
constexpr int64_t kFeatures = 128;
constexpr int64_t kUnits = 128;

Layer make_layer(const std::string& name) {
  if (name == "lstm") return LSTM(kUnits, {.return_sequences = true});
  if (name == "gru") return GRU(kUnits, {.return_sequences = true});
  return SimpleRNN(kUnits, {.return_sequences = true});
}

void recurrent_case(benchmark::State& state, const std::string& name) {
  set_seed(0);
  Rng rng(0);
  const Tensor x = normal({kBatch, kSteps, kFeatures}, rng);
  Layer layer = make_layer(name);
  layer(x);  // builds outside the timed loop
  std::vector<Tensor> sources{x};
  for (const Variable& v : layer.trainable_variables()) sources.push_back(v.value());
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    Tensor loss = sum(layer(x));
    std::vector<Tensor> grads = tape.gradient(loss, sources);
    benchmark::DoNotOptimize(grads.front().raw_data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* name : {"lstm", "simple_rnn", "gru"}) {
    gradlab::bench::with_percentiles(
        benchmark::RegisterBenchmark(name, recurrent_case, std::string(name))->Unit(benchmark::kMicrosecond));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
