// The lesson's gradient probe: 4 x Dense(32, relu) on a 32 x 128 U[0,1) input, forward and backward
// to the input only (tape.watch(inputs), mean, tape.gradient(mean, inputs)). The plain, residual and
// concat-skip networks are the lesson's cells 192-194; plain_forward runs the plain network without a
// tape. bench/torch/lesson_probe.py times the same cases in eager PyTorch; bench/run prints ratios.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "percentiles.h"
#include "gradlab/gradlab.h"

namespace {

using namespace gradlab;

constexpr int64_t kBatch = 32;
constexpr int64_t kFeatures = 128;
constexpr int64_t kUnits = 32;

using Network = std::function<Tensor(const Tensor&)>;

struct Probe {
  Tensor inputs;
  std::array<Dense, 4> layers;
  Network net;
};

// Keras's Dense defaults (glorot_uniform kernel, zero bias), as the lesson uses them.
std::array<Dense, 4> relu_layers() {
  DenseOptions o{.activation = "relu"};
  return {Dense(kUnits, o), Dense(kUnits, o), Dense(kUnits, o), Dense(kUnits, o)};
}

Probe make_probe(const std::string& name) {
  set_seed(0);
  Rng rng(0);
  Probe p{uniform({kBatch, kFeatures}, rng), relu_layers(), {}};
  const Dense l1 = p.layers[0], l2 = p.layers[1], l3 = p.layers[2], l4 = p.layers[3];
  if (name == "residual") {
    p.net = [=](const Tensor& x) {
      Tensor o1 = l1(x);
      Tensor o2 = l2(o1);
      Tensor o3 = l3(o2 + o1);
      return l4(o3 + o2);
    };
  } else if (name == "concat") {
    p.net = [=](const Tensor& x) {
      Tensor o1 = l1(x);
      Tensor o2 = l2(concat({o1, x}, -1));
      Tensor o3 = l3(concat({o2, o1, x}, -1));
      return l4(concat({o3, o2, o1}, -1));
    };
  } else {
    p.net = [=](const Tensor& x) { return l4(l3(l2(l1(x)))); };
  }
  p.net(p.inputs);  // builds the layers outside the timed loop
  return p;
}

Tensor probe_gradient(const Probe& p) {
  GradientTape tape;
  tape.watch(p.inputs);
  Tensor m = mean(p.net(p.inputs));
  return tape.gradient(m, p.inputs);
}

void backward_case(benchmark::State& state, const std::string& name) {
  const Probe p = make_probe(name);
  for (auto _ : state) {
    Tensor g = probe_gradient(p);
    benchmark::DoNotOptimize(g.raw_data());
  }
  // The lesson's printed figure, so a run shows the probe computes something sensible.
  state.counters["grad_norm"] = norm(probe_gradient(p)).item();
}

void forward_case(benchmark::State& state) {
  const Probe p = make_probe("plain");
  for (auto _ : state) {
    Tensor m = mean(p.net(p.inputs));
    benchmark::DoNotOptimize(m.raw_data());
  }
}

void configure(benchmark::internal::Benchmark* b) {
  // Process CPU time (all threads) beside wall time: on a loaded machine it is the steadier measure.
  gradlab::bench::with_percentiles(b->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime());
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* name : {"plain", "residual", "concat"}) {
    configure(benchmark::RegisterBenchmark(name, backward_case, std::string(name)));
  }
  configure(benchmark::RegisterBenchmark("plain_forward", forward_case));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
