// The deep probe (issue 6, item 6): `gradlab probe --depth 50 --width 256 --activation tanh --batch 128`
// as a benchmark. One iteration is one probe_pass: a forward pass of 50 Dense(256, tanh) layers
// (glorot_uniform) on a 128 x 256 float32 input from U[0, 1), recording each layer's output
// statistics, then one backward pass of mean(output) that records the gradient statistics of every
// layer's output and input and of every variable (grad norm, max |g|, weight norm), with anomaly
// detection on, as `gradlab probe` runs it. Its PyTorch peer is bench/torch/deep_probe.py.
//
// The pass is matrix-product bound: 150 products of 128 x 256 x 256 (forward x W, backward dY W^T and
// X^T dY), 2.52 GFLOP. The case `sgemm` runs exactly those products through gradlab's product
// kernel alone (src/kernels/blas.h: oneDNN's sgemm in shape-fixed tiles) on preallocated buffers, so the machine's rate for these shapes is measured in the same run; both
// cases report GFLOP/s (counter `GFLOP/s`, over wall time).
//
//   build-bench/bench/deep_probe --benchmark_repetitions=5
//   bench/run --bench deep_probe      (beside PyTorch, 1 and 2 threads)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "gradlab/gradlab.h"
#include "kernels/blas.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/lab/skip_network.h"

namespace {

using namespace gradlab;

constexpr int kDepth = 50;
constexpr int64_t kWidth = 256;
constexpr int64_t kBatch = 128;
// Forward, input gradient and kernel gradient: three products of batch x width x width per layer.
constexpr double kFlops = 3.0 * kDepth * 2.0 * kBatch * kWidth * kWidth;

SkipNetworkOptions deep_tanh() {
  return {.depth = kDepth, .units = kWidth, .activation = "tanh", .batch = kBatch, .input_features = kWidth};
}

void report_rate(benchmark::State& state) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(kFlops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void deep_probe(benchmark::State& state) {
  Rng rng(0);
  const SkipNetwork net(deep_tanh(), rng);
  const Tensor inputs = uniform({kBatch, kWidth}, rng);
  net(inputs);  // builds the layers outside the timed loop
  const ProbeForward forward = [&net](const std::vector<Tensor>& xs, const CallOptions& call) {
    return std::vector<Tensor>{net(xs[0], call)};
  };
  for (auto _ : state) {
    PassRecord pass = probe_pass(forward, {inputs}, {.training = true});
    benchmark::DoNotOptimize(pass.layers.data());
    if (pass.layers.size() != kDepth) state.SkipWithError("deep_probe: expected one record per Dense layer");
  }
  report_rate(state);
}

// The same 150 products as the probe's pass, through the product kernel directly: y_k = x_k W_k (NN),
// dx_k = dy_k W_k^T (NT), dW_k = x_k^T dy_k (TN), all row-major float32.
void sgemm(benchmark::State& state) {
  Rng rng(0);
  const Tensor w = uniform({kDepth, kWidth, kWidth}, rng, -0.1, 0.1);
  const Tensor activations = uniform({kDepth + 1, kBatch, kWidth}, rng);
  const Tensor output_grads = uniform({kDepth, kBatch, kWidth}, rng);
  std::vector<float> input_grad(static_cast<std::size_t>(kBatch * kWidth));
  std::vector<float> kernel_grad(static_cast<std::size_t>(kWidth * kWidth));
  const float* W = w.data<float>();
  float* A = const_cast<float*>(activations.data<float>());
  const float* dY = output_grads.data<float>();
  const int64_t b = kBatch, n = kWidth;
  const std::size_t wk = static_cast<std::size_t>(kWidth * kWidth), ak = static_cast<std::size_t>(kBatch * kWidth);
  for (auto _ : state) {
    for (std::size_t k = 0; k < kDepth; ++k) {
      kernels::gemm<float>(false, false, b, n, n, A + k * ak, W + k * wk, A + (k + 1) * ak);
    }
    for (std::size_t k = kDepth; k-- > 0;) {
      kernels::gemm<float>(false, true, b, n, n, dY + k * ak, W + k * wk, input_grad.data());
      kernels::gemm<float>(true, false, n, n, b, A + k * ak, dY + k * ak, kernel_grad.data());
    }
    benchmark::DoNotOptimize(input_grad.data());
    benchmark::DoNotOptimize(kernel_grad.data());
  }
  report_rate(state);
}

void configure(benchmark::internal::Benchmark* b) {
  // Process CPU time (all threads) beside wall time: on a loaded machine it is the steadier measure.
  b->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  configure(benchmark::RegisterBenchmark("deep_probe", deep_probe));
  configure(benchmark::RegisterBenchmark("sgemm", sgemm));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
