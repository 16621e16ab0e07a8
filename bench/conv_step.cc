// One training step of a small CNN at issue 18's speed target (item 7): batch 64 of 28 x 28 x 1
// images, three times Conv2D(32, 3 x 3, padding "same") + normalization + ReLU, then
// GlobalAveragePooling2D and Dense(10); sparse softmax cross-entropy from logits, tape.gradient over
// every trainable variable, SGD with momentum 0.9. bench/torch/conv_step.py times the same step in
// eager PyTorch; bench/compare.py runs both and prints the ratios (bench/run --bench conv_step).
//
// Cases:
//   batch_norm  the normalization is BatchNormalization (training mode: batch statistics);
//   group_norm  the normalization is GroupNormalization with 8 groups of 4 channels;
//   max_pool    forward and backward of max_pool2d (2 x 2, stride 2) alone on the step's activation
//               shape [64, 28, 28, 32], gradient of sum(y) with respect to the input;
//   avg_pool    the same with avg_pool2d.
// Both report GFLOP/s counted as 3 x 2 x the convolutions' multiply-adds (forward, input gradient,
// kernel gradient; the first layer's input gradient is not needed, so a step does less than counted).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "conv_step_model.h"
#include "gradlab/gradlab.h"
#include "percentiles.h"

namespace {

using namespace gradlab;

void conv_step_case(benchmark::State& state, const std::string& norm) {
  bench::ConvStep step(norm);
  double loss_value = 0;
  for (auto _ : state) loss_value = step.run();
  state.counters["GFLOP/s"] =
      benchmark::Counter(bench::ConvStep::flops() / 1e9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["loss"] = loss_value;  // the last step's loss, a sanity check that training moves
}

void pooling_case(benchmark::State& state, bool max) {
  Rng rng(0);
  const Tensor x = normal(
      {bench::ConvStep::kBatch, bench::ConvStep::kSide, bench::ConvStep::kSide, bench::ConvStep::kFilters},
      rng);
  for (auto _ : state) {
    GradientTape tape;
    tape.watch(x);
    const Pool2DArgs args{.pool_size = {2, 2}, .strides = {2, 2}};
    const Tensor y = max ? max_pool2d(x, args) : avg_pool2d(x, args);
    benchmark::DoNotOptimize(tape.gradient(sum(y), x).raw_data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* norm : {"batch_norm", "group_norm"}) {
    gradlab::bench::with_percentiles(benchmark::RegisterBenchmark(norm, conv_step_case, std::string(norm))
                                         ->Unit(benchmark::kMillisecond)
                                         ->MeasureProcessCPUTime()
                                         ->UseRealTime());
  }
  for (const bool max : {true, false}) {
    gradlab::bench::with_percentiles(
        benchmark::RegisterBenchmark(max ? "max_pool" : "avg_pool", pooling_case, max)
            ->Unit(benchmark::kMicrosecond)
            ->MeasureProcessCPUTime()
            ->UseRealTime());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
