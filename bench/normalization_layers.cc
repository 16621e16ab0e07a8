// Forward plus backward of each normalization layer on a (256, 1024) float32 input: gradients of
// sum(y) with respect to the input, gamma and beta (batch normalization in training mode, so with
// batch statistics and the moving-average update). bench/torch/normalization_layers.py times the same cases
// in eager PyTorch; bench/compare.py prints the ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "percentiles.h"
#include "gradlab/gradlab.h"
#include "gradlab/nn/normalization_layers.h"

namespace {

using namespace gradlab;

constexpr int64_t kBatch = 256;
constexpr int64_t kFeatures = 1024;

Layer make_layer(const std::string& name) {
  if (name == "batch_norm") return BatchNormalization();
  if (name == "layer_norm") return LayerNormalization();
  if (name == "group_norm") return GroupNormalization({.groups = 32});
  if (name == "instance_norm") return InstanceNormalization();
  return Normalization();
}

void layer_case(benchmark::State& state, const std::string& name) {
  set_seed(0);
  Rng rng(0);
  const Tensor x = normal({kBatch, kFeatures}, rng);
  Layer layer = make_layer(name);
  if (auto* norm = layer.as<NormalizationImpl>()) norm->adapt(x);
  layer(x, {.training = true});  // builds outside the timed loop
  const std::vector<Variable> variables = layer.trainable_variables();
  std::vector<Tensor> sources{x};
  for (const Variable& v : variables) sources.push_back(v.value());
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    Tensor loss = sum(layer(x, {.training = true}));
    std::vector<Tensor> grads = tape.gradient(loss, sources);
    benchmark::DoNotOptimize(grads.front().raw_data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* name : {"batch_norm", "layer_norm", "group_norm", "instance_norm", "input_norm"}) {
    gradlab::bench::with_percentiles(
        benchmark::RegisterBenchmark(name, layer_case, std::string(name))->Unit(benchmark::kMicrosecond));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
