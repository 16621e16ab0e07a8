// Results that must not depend on the number of threads a product may use: the matrix products of
// the lesson's networks and larger ones (shapes on which OpenBLAS's own threading gave other bits
// with 1 and 2 threads on a Zen 5 machine among them), and a deep Dense stack's forward and backward
// pass. docs/conventions.md ("Determinism") says why they cannot: a product's tiles follow from its
// shape alone. Thread counts above the machine's cores are tested too; the pool runs them anyway.
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/conv_ops.h"
#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/threads.h"

namespace gradlab {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.numel() * dtype_size(a.dtype())) == 0;
}

template <typename F>
auto with_threads(int threads, F&& compute) {
  BlasThreadsScope scope(threads);
  return compute();
}

constexpr int kThreadCounts[] = {2, 3, 4};

struct Product {
  int64_t m, k, n;
};

TEST(BlasThreadCount, ProductsAreBitIdenticalWithAnyThreadCount) {
  // Batch x features x units of the lesson's stacks (vectors, and 8 sequences of 8 steps), then
  // products large enough to be cut into tiles, odd sizes that leave partial tiles among them.
  const Product products[] = {{32, 128, 32},    {32, 32, 32},    {64, 128, 32},  {64, 32, 32},
                              {256, 512, 256},  {64, 4096, 64},  {128, 1024, 10}, {257, 300, 529},
                              {256, 1024, 1024}};
  Rng rng(11);
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Product& p : products) {
      const Tensor a = uniform({p.m, p.k}, rng, -1.0, 1.0, dtype);
      const Tensor b = uniform({p.k, p.n}, rng, -1.0, 1.0, dtype);
      const Tensor at = uniform({p.k, p.m}, rng, -1.0, 1.0, dtype);
      const Tensor bt = uniform({p.n, p.k}, rng, -1.0, 1.0, dtype);
      for (const auto& [ta, tb] : {std::pair{false, false}, {false, true}, {true, false}, {true, true}}) {
        const Tensor& lhs = ta ? at : a;
        const Tensor& rhs = tb ? bt : b;
        const Tensor one = with_threads(1, [&] { return matmul(lhs, rhs, ta, tb); });
        for (int threads : kThreadCounts) {
          const Tensor many = with_threads(threads, [&] { return matmul(lhs, rhs, ta, tb); });
          EXPECT_TRUE(same_bytes(one, many)) << dtype_name(dtype) << " " << p.m << "x" << p.k << "x" << p.n
                                             << " transpose " << ta << tb << ", 1 and " << threads << " threads";
        }
      }
    }
  }
}

// A 12-layer Dense(64, tanh) stack on [256, 128]: outputs and input gradient.
std::vector<Tensor> deep_stack_pass() {
  Rng rng(5);
  std::vector<Dense> layers;
  for (int k = 0; k < 12; ++k) {
    layers.emplace_back(64, DenseOptions{.activation = "tanh", .name = fmt::format("d{}", k)});
    layers.back().impl().set_rng(&rng);
  }
  Tensor x = uniform({256, 128}, rng, 0.0, 1.0);
  GradientTape tape;
  tape.watch(x);
  Tensor y = x;
  for (const Dense& layer : layers) y = layer(y);
  const Tensor grad = tape.gradient(mean(y), x);
  return {y, grad};
}

TEST(BlasThreadCount, DeepStackForwardAndBackwardAreBitIdenticalWithAnyThreadCount) {
  const std::vector<Tensor> one = with_threads(1, deep_stack_pass);
  for (int threads : kThreadCounts) {
    const std::vector<Tensor> many = with_threads(threads, deep_stack_pass);
    EXPECT_TRUE(same_bytes(one[0], many[0])) << "outputs, 1 and " << threads << " threads";
    EXPECT_TRUE(same_bytes(one[1], many[1])) << "input gradients, 1 and " << threads << " threads";
  }
  EXPECT_GT(norm(one[1]).item(), 0.0);
}

// A float32 convolution whose batch oneDNN runs in chunks (kernels/convolution_onednn.h: 2 images
// per chunk here, the last chunk of 1 built separately): output, input, kernel and bias gradients.
std::vector<Tensor> chunked_convolution_pass() {
  Rng rng(9);
  const Tensor x = uniform({5, 20, 20, 16}, rng, -1.0, 1.0);
  const Tensor kernel = uniform({3, 3, 16, 64}, rng, -0.2, 0.2);
  const Tensor bias = uniform({64}, rng, -1.0, 1.0);
  const Tensor weights = uniform({5, 20, 20, 64}, rng, -1.0, 1.0);
  GradientTape tape;
  tape.watch(x);
  tape.watch(kernel);
  tape.watch(bias);
  const Tensor y = conv2d(x, kernel, bias, {.padding = Padding::same});
  std::vector<Tensor> out = tape.gradient(sum(y * weights), {x, kernel, bias});
  out.insert(out.begin(), y);
  return out;
}

TEST(BlasThreadCount, ChunkedConvolutionIsBitIdenticalWithAnyThreadCount) {
  const std::vector<Tensor> one = with_threads(1, chunked_convolution_pass);
  const char* names[] = {"outputs", "input gradients", "kernel gradients", "bias gradients"};
  for (int threads : kThreadCounts) {
    const std::vector<Tensor> many = with_threads(threads, chunked_convolution_pass);
    for (std::size_t i = 0; i < one.size(); ++i) {
      EXPECT_TRUE(same_bytes(one[i], many[i])) << names[i] << ", 1 and " << threads << " threads";
    }
  }
  EXPECT_GT(norm(one[2]).item(), 0.0);
}

// Convolutions from several threads at once (sweep workers), sharing oneDNN's cached primitives: each
// caller gets the single-threaded bits.
TEST(BlasThreadCount, ConcurrentConvolutionsGetTheSameBits) {
  const std::vector<Tensor> expected = with_threads(1, chunked_convolution_pass);
  BlasThreadsScope two(2);
  std::vector<std::vector<Tensor>> results(4);
  {
    std::vector<std::jthread> callers;
    for (auto& r : results) callers.emplace_back([&r] { r = chunked_convolution_pass(); });
  }
  for (const auto& r : results) {
    ASSERT_EQ(r.size(), expected.size());
    for (std::size_t i = 0; i < r.size(); ++i) EXPECT_TRUE(same_bytes(expected[i], r[i])) << "result " << i;
  }
}

// Two threads computing products at once (a user's own threads, or sweep workers with several
// product threads each): one of them gets the pool, the other runs its tiles alone; both get the
// single-threaded bits.
TEST(BlasThreadCount, ConcurrentCallersGetTheSameBits) {
  Rng rng(3);
  const Tensor a = uniform({256, 512}, rng, -1.0, 1.0);
  const Tensor b = uniform({512, 384}, rng, -1.0, 1.0);
  const Tensor expected = with_threads(1, [&] { return matmul(a, b); });
  BlasThreadsScope two(2);
  std::vector<Tensor> results(4);
  {
    std::vector<std::jthread> callers;
    for (Tensor& r : results) callers.emplace_back([&] { r = matmul(a, b); });
  }
  for (const Tensor& r : results) EXPECT_TRUE(same_bytes(expected, r));
}

}  // namespace
}  // namespace gradlab
