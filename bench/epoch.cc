// One training epoch of the lesson's Fashion-MNIST MLP 784-256-128-100-10 (ReLU, He uniform, Adam
// 1e-3, batch 128, softmax cross-entropy from logits) over the 60,000 training images, through fit()
// (train/fit.h) as `gradlab train` runs it: a seeded shuffle, then 469 batches, each a forward pass,
// tape.gradient, an Adam step and the accuracy metric (issue 7, item 7). The anomaly check is off,
// since the PyTorch side has none; bench/torch/epoch.py runs the same epoch in eager PyTorch and
// bench/compare.py prints the ratio (command in bench/README.md). Needs Debian's dataset-fashion-mnist.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "gradlab/gradlab.h"
#include "gradlab/train/dataset.h"
#include "gradlab/train/fit.h"

namespace {

using namespace gradlab;

Sequential lesson_mlp() {
  std::vector<Layer> layers;
  for (int64_t units : {256, 128, 100}) {
    layers.push_back(Dense(units, {.activation = "relu", .kernel_initializer = he_uniform()}));
  }
  layers.push_back(Dense(10));
  return Sequential(layers);
}

void epoch_case(benchmark::State& state) {
  const Dataset train = load_dataset("fashion-mnist").train;
  set_seed(0);
  Sequential model = lesson_mlp();
  model(zeros({1, train.feature_shape()[1]}));  // builds the variables outside the timed loop
  const auto optimizer = std::make_shared<Adam>(AdamOptions{.learning_rate = 1e-3});
  uint64_t epoch = 0;
  double accuracy = 0;
  for (auto _ : state) {
    const History h = fit(
        model, train,
        {.optimizer = optimizer, .epochs = 1, .batch_size = 128, .seed = epoch++, .detect_anomalies = false});
    accuracy = h.epochs.back().accuracy.value_or(0);
  }
  state.counters["train_accuracy"] = accuracy;  // the last epoch's, a sanity check
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::RegisterBenchmark("epoch", epoch_case)
      ->Unit(benchmark::kMillisecond)
      ->MeasureProcessCPUTime()
      ->UseRealTime()
      ->Iterations(1);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
