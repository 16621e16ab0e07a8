// Results that must not depend on the number of BLAS threads: the matrix products of the lesson's
// networks (and larger ones), and a deep Dense stack's forward and backward pass. docs/conventions.md
// ("Determinism") says why they do not, and where that stops being a promise.
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/dense.h"
#include "gradlab/tensor/creation.h"

// OpenBLAS's own API (declared in its cblas.h, which the tests do not include).
extern "C" void openblas_set_num_threads(int threads);
extern "C" int openblas_get_num_threads(void);

namespace gradlab {
namespace {

// Sets OpenBLAS's thread count for one scope and restores the previous count after it.
class BlasThreads {
 public:
  explicit BlasThreads(int threads) : previous_(openblas_get_num_threads()) { openblas_set_num_threads(threads); }
  ~BlasThreads() { openblas_set_num_threads(previous_); }
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  int previous_;
};

// Whether OpenBLAS accepts 2 threads here (it caps the count at the cores it found).
bool two_threads_available() {
  BlasThreads two(2);
  return openblas_get_num_threads() == 2;
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.numel() * dtype_size(a.dtype())) == 0;
}

template <typename F>
Tensor with_threads(int threads, F&& compute) {
  BlasThreads scope(threads);
  return compute();
}

struct Product {
  int64_t m, k, n;
};

TEST(BlasThreadCount, ProductsAreBitIdenticalWithOneAndTwoThreads) {
  if (!two_threads_available()) GTEST_SKIP() << "OpenBLAS runs on one thread on this machine";
  // Batch x features x units of the lesson's stacks (vectors, and 8 sequences of 8 steps), then products
  // big enough that OpenBLAS splits them across both threads (above 64^3 multiply-adds).
  const Product products[] = {{32, 128, 32}, {32, 32, 32},    {64, 128, 32},
                              {64, 32, 32},  {256, 512, 256}, {64, 4096, 64}};
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
        const Tensor two = with_threads(2, [&] { return matmul(lhs, rhs, ta, tb); });
        EXPECT_TRUE(same_bytes(one, two)) << dtype_name(dtype) << " " << p.m << "x" << p.k << "x" << p.n
                                          << " transpose " << ta << tb;
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

TEST(BlasThreadCount, DeepStackForwardAndBackwardAreBitIdenticalWithOneAndTwoThreads) {
  if (!two_threads_available()) GTEST_SKIP() << "OpenBLAS runs on one thread on this machine";
  std::vector<Tensor> one, two;
  {
    BlasThreads scope(1);
    one = deep_stack_pass();
  }
  {
    BlasThreads scope(2);
    two = deep_stack_pass();
  }
  EXPECT_TRUE(same_bytes(one[0], two[0])) << "outputs";
  EXPECT_TRUE(same_bytes(one[1], two[1])) << "input gradients";
  EXPECT_GT(norm(one[1]).item(), 0.0);
}

}  // namespace
}  // namespace gradlab
