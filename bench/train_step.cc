// One training step of an MLP 784-1024-1024-1024-10 (ReLU, He init) at batch 256: softmax
// cross-entropy from logits, tape.gradient over the trainable variables, SGD with momentum 0.9
// (issue 7, item 7). bench/torch/train_step.py times the same step in eager PyTorch; bench/compare.py
// runs both and prints the ratios (command in bench/README.md).
//
// Cases:
//   train_step  forward, loss, backward and the optimizer update;
//   sgemm       the step's twelve matrix products through gradlab's product kernel alone (four
//               forward, four dW = x^T dz, four dx = dz W^T), the floor a step cannot go below.
// Both report GFLOP/s counted as 3 x 2 x MACs of the forward pass (the usual convention; a step
// skips the first layer's dx, so it does 9% less work than counted).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "gradlab/gradlab.h"
#include "kernels/blas.h"

namespace {

using namespace gradlab;

constexpr int64_t kBatch = 256;
constexpr std::array<int64_t, 5> kWidths = {784, 1024, 1024, 1024, 10};

double step_flops() {
  double macs = 0;
  for (std::size_t i = 0; i + 1 < kWidths.size(); ++i)
    macs += double(kBatch) * double(kWidths[i] * kWidths[i + 1]);
  return 3 * 2 * macs;
}

// The same deterministic batch on both sides (bench/torch/train_step.py computes the same formula):
// pixel values in [0, 1] and labels cycling through the ten classes.
Tensor batch_images() {
  std::vector<double> v(static_cast<std::size_t>(kBatch * kWidths[0]));
  for (int64_t i = 0; i < kBatch; ++i) {
    for (int64_t j = 0; j < kWidths[0]; ++j)
      v[static_cast<std::size_t>(i * kWidths[0] + j)] = double((i * 7 + j * 13) % 256) / 255.0;
  }
  return from_values({kBatch, kWidths[0]}, v);
}

Tensor batch_labels() {
  std::vector<double> v(static_cast<std::size_t>(kBatch));
  for (int64_t i = 0; i < kBatch; ++i) v[static_cast<std::size_t>(i)] = double(i % 10);
  return from_values({kBatch}, v);
}

void flops_counter(benchmark::State& state) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(step_flops() / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void train_step_case(benchmark::State& state) {
  set_seed(0);
  std::vector<Layer> layers;
  for (std::size_t i = 1; i + 1 < kWidths.size(); ++i) {
    layers.push_back(Dense(kWidths[i], {.activation = "relu", .kernel_initializer = he_uniform()}));
  }
  layers.push_back(Dense(kWidths.back()));
  Sequential model(layers);
  const Tensor x = batch_images(), y = batch_labels();
  model(x);  // builds the variables outside the timed loop
  const std::vector<Variable> vars = model.trainable_variables();
  SGD optimizer({.learning_rate = 0.01, .momentum = 0.9});
  double loss_value = 0;
  for (auto _ : state) {
    GradientTape tape;
    const Tensor loss =
        sparse_categorical_crossentropy(y, model(x, {.training = true}), {.from_logits = true});
    optimizer.apply(tape.gradient(loss, vars), vars);
    loss_value = loss.item();
  }
  flops_counter(state);
  state.counters["loss"] = loss_value;  // the last step's loss, a sanity check that training moves
}

// The step's products with its shapes, each through the product kernel (src/kernels/blas.h) directly:
// z = x W, dW = x^T dz, dx = dz W^T. Operand values do not matter to the speed; buffers are
// allocated once.
void sgemm_case(benchmark::State& state) {
  struct Product {
    bool ta, tb;
    int64_t m, n, k;
    std::vector<float> a, b, c;
  };
  std::vector<Product> products;
  auto add = [&](bool ta, bool tb, int64_t m, int64_t n, int64_t k) {
    products.push_back({ta, tb, m, n, k, std::vector<float>(std::size_t(m * k), 0.5f),
                        std::vector<float>(std::size_t(k * n), 0.25f), std::vector<float>(std::size_t(m * n))});
  };
  for (std::size_t i = 0; i + 1 < kWidths.size(); ++i) {
    const int64_t in = kWidths[i], out = kWidths[i + 1];
    add(false, false, kBatch, out, in);  // z = x W
    add(true, false, in, out, kBatch);   // dW = x^T dz
    add(false, true, kBatch, in, out);   // dx = dz W^T
  }
  for (auto _ : state) {
    for (Product& p : products) kernels::gemm<float>(p.ta, p.tb, p.m, p.n, p.k, p.a.data(), p.b.data(), p.c.data());
    benchmark::DoNotOptimize(products.back().c.data());
  }
  flops_counter(state);
}

void configure(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  configure(benchmark::RegisterBenchmark("train_step", train_step_case));
  configure(benchmark::RegisterBenchmark("sgemm", sgemm_case));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
