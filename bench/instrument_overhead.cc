// What the instruments cost: one forward and backward pass of mean(output) with instruments off, with
// a GradientProbe recording every layer call, and with the probe plus anomaly detection — on the
// lesson's three 4 x Dense(32, relu) networks (32 x 128 input) and on a deep one (50 x Dense(256,
// tanh), 128 x 256 input). Two kinds of pass:
//   input   the lesson's probe: the gradient with respect to the input only; the probe records
//           activation gradients but not variable ones (GradientProbeOptions::variables = false);
//   train   a training step: gradients with respect to the input and every trainable variable; the
//           probe also records every variable's gradient statistics.
// The target is at most 20% more time with instruments on for the lesson's networks. After the runs,
// a table gives on / off for each network and pass, from the medians of the repetitions.
//
//   build/bench/instrument_overhead --benchmark_repetitions=10 --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gradlab/gradlab.h"
#include "gradlab/instrument/anomaly.h"
#include "gradlab/instrument/probe.h"
#include "gradlab/lab/skip_network.h"

namespace {

using namespace gradlab;

enum class Instruments { off, probe, probe_and_anomaly };
const char* kInstrumentNames[] = {"off", "probe", "probe+anomaly"};
enum class Pass { input, train };
const char* kPassNames[] = {"input", "train"};

struct Network {
  std::unique_ptr<Rng> rng;
  std::unique_ptr<SkipNetwork> net;
  Tensor inputs;
};

Network make_network(const SkipNetworkOptions& options) {
  Network n{std::make_unique<Rng>(0), nullptr, {}};
  n.net = std::make_unique<SkipNetwork>(options, *n.rng);
  n.inputs = uniform({options.batch, options.input_features}, *n.rng);
  (*n.net)(n.inputs);  // builds the layers outside the timed loop
  return n;
}

Tensor run_pass(const Network& n, const std::vector<Tensor>& sources, Pass kind, Instruments instruments) {
  GradientTape tape;
  tape.watch(n.inputs);
  if (instruments == Instruments::off) return tape.gradient(mean((*n.net)(n.inputs)), sources)[0];
  std::unique_ptr<AnomalyDetector> detector;
  if (instruments == Instruments::probe_and_anomaly) detector = std::make_unique<AnomalyDetector>();
  GradientProbe probe({.variables = kind == Pass::train});
  Tensor loss;
  {
    ObserveLayerCalls observe(probe);
    loss = mean((*n.net)(n.inputs));
  }
  Tensor g = probe.gradient(tape, loss, sources)[0];
  benchmark::DoNotOptimize(probe.take().layers.data());
  return g;
}

void run_case(benchmark::State& state, const SkipNetworkOptions& options, Pass kind, Instruments instruments) {
  const Network n = make_network(options);
  std::vector<Tensor> sources{n.inputs};
  if (kind == Pass::train) {
    for (const Variable& v : n.net->trainable_variables()) sources.push_back(v.value());
  }
  for (auto _ : state) {
    Tensor g = run_pass(n, sources, kind, instruments);
    benchmark::DoNotOptimize(g.raw_data());
  }
}

// Keeps the median wall and CPU time of each case so main() can print on / off. The machine is shared,
// so the CPU time (of this process, all threads) is the steadier figure.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  struct Times {
    double wall = 0, cpu = 0;
  };
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const Times t{run.GetAdjustedRealTime(), run.GetAdjustedCPUTime()};
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        medians[run.run_name.function_name] = t;
      } else if (run.run_type == Run::RT_Iteration) {
        singles.try_emplace(run.benchmark_name(), t);
      }
    }
  }
  Times time_of(const std::string& name) const {
    auto it = medians.find(name);
    if (it != medians.end()) return it->second;
    auto s = singles.find(name);
    return s != singles.end() ? s->second : Times{};
  }
  std::map<std::string, Times> medians, singles;
};

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::pair<std::string, SkipNetworkOptions>> networks = {
      {"lesson_plain", {.skip = SkipConnection::none}},
      {"lesson_residual", {.skip = SkipConnection::residual}},
      {"lesson_concat", {.skip = SkipConnection::concat}},
      {"deep_tanh_50x256", {.depth = 50, .units = 256, .activation = "tanh", .batch = 128, .input_features = 256}},
  };
  for (const auto& [name, options] : networks) {
    for (Pass kind : {Pass::input, Pass::train}) {
      for (Instruments i : {Instruments::off, Instruments::probe, Instruments::probe_and_anomaly}) {
        const std::string label = name + "/" + kPassNames[static_cast<int>(kind)] + "/" + kInstrumentNames[static_cast<int>(i)];
        benchmark::RegisterBenchmark(label.c_str(), run_case, options, kind, i)->Unit(benchmark::kMicrosecond);
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%-20s %-6s %9s %9s %12s %12s %12s %12s\n", "network", "pass", "off us", "off CPU", "probe / off",
              "(CPU)", "+anomaly/off", "(CPU)");
  for (const auto& [name, options] : networks) {
    for (const char* kind : kPassNames) {
      const std::string prefix = name + "/" + kind + "/";
      const RatioReporter::Times off = reporter.time_of(prefix + "off");
      if (off.wall <= 0 || off.cpu <= 0) continue;
      const RatioReporter::Times probe = reporter.time_of(prefix + "probe");
      const RatioReporter::Times both = reporter.time_of(prefix + "probe+anomaly");
      std::printf("%-20s %-6s %9.1f %9.1f %12.3f %12.3f %12.3f %12.3f\n", name.c_str(), kind, off.wall, off.cpu,
                  probe.wall / off.wall, probe.cpu / off.cpu, both.wall / off.wall, both.cpu / off.cpu);
    }
  }
  benchmark::Shutdown();
  return 0;
}
