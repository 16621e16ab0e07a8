// A 200-configuration sweep, as `gradlab sweep` runs it: depths 4..64 x 5 activations x 2
// initializers x {no normalization, batch} x {no skip, residual}, width 32, batch 32, float32; each
// configuration builds its network, draws its input, probes one pass (per-layer forward and gradient
// statistics, anomaly detection) and summarizes the flow. One iteration is the whole sweep, on as many
// workers as OMP_NUM_THREADS says (bench/compare.py sets it to the thread count of the run).
// bench/torch/sweep.py runs the same sweep in eager PyTorch with retain_grad; bench/README.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "percentiles.h"
#include "gradlab/lab/sweep_run.h"

namespace {

using namespace gradlab;

SweepGrid bench_grid() {
  return {.depths = {4, 8, 16, 32, 64},
          .widths = {32},
          .activations = {"relu", "tanh", "sigmoid", "elu", "selu"},
          .initializers = {"glorot_uniform", "he_uniform"},
          .normalizations = {SkipNormalization::none, SkipNormalization::batch},
          .skips = {SkipConnection::none, SkipConnection::residual},
          .batches = {32},
          .trials = 1};
}

int workers_from_environment() {
  const char* threads = std::getenv("OMP_NUM_THREADS");
  return threads ? std::max(1, std::atoi(threads)) : 1;
}

void sweep_case(benchmark::State& state) {
  const std::vector<SweepConfig> configs = expand_grid(bench_grid());
  const int workers = workers_from_environment();
  int64_t counts[std::size(kFlowVerdicts)] = {};
  for (auto _ : state) {
    std::fill(std::begin(counts), std::end(counts), 0);
    run_sweep(configs, {.workers = workers}, [&](const SweepResult& r) { ++counts[static_cast<int>(r.verdict)]; });
  }
  // The verdicts, so a run shows the sweep measured something sensible.
  state.counters["configs"] = static_cast<double>(configs.size());
  state.counters["workers"] = workers;
  state.counters["vanishing"] = static_cast<double>(counts[static_cast<int>(FlowVerdict::vanishing)]);
  state.counters["exploding"] = static_cast<double>(counts[static_cast<int>(FlowVerdict::exploding)]);
  state.counters["healthy"] = static_cast<double>(counts[static_cast<int>(FlowVerdict::healthy)]);
  state.counters["nonfinite"] = static_cast<double>(counts[static_cast<int>(FlowVerdict::nonfinite)]);
  state.counters["zero"] = static_cast<double>(counts[static_cast<int>(FlowVerdict::zero)]);
}

}  // namespace

int main(int argc, char** argv) {
  gradlab::bench::with_percentiles(benchmark::RegisterBenchmark("sweep", sweep_case)
                                       ->Unit(benchmark::kMillisecond)
                                       ->UseRealTime()
                                       ->MeasureProcessCPUTime());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
