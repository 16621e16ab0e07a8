#include "gradlab/instrument/through_time.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/model.h"
#include "gradlab/tensor/creation.h"
#include "support/grad_check.h"

namespace gradlab {
namespace {

using test::random_tensor;

// ‖∂L/∂h_t‖ of a SimpleRNN written step by step with the unfused ops, from the tape: what the
// fused op's reported norms must equal.
std::vector<double> unfused_state_gradient_norms(const SimpleRNN& rnn, const Tensor& x) {
  const int64_t n = x.dim(0), steps = x.dim(1), f = x.dim(2), u = rnn.impl().units();
  GradientTape tape;
  tape.watch(x);
  Tensor h = zeros({n, u}, DType::float64);
  std::vector<Tensor> hs;
  for (int64_t t = 0; t < steps; ++t) {
    const Tensor xt = reshape(slice(x, {0, t, 0}, {-1, 1, -1}), {n, f});
    h = tanh(matmul(xt, rnn.kernel().value()) + matmul(h, rnn.recurrent_kernel().value()) + rnn.bias().value());
    hs.push_back(h);
  }
  std::vector<Tensor> outs;
  for (const Tensor& s : hs) outs.push_back(reshape(s, {n, 1, u}));
  const Tensor loss = mean(concat(outs, 1));
  std::vector<double> norms;
  for (const Tensor& g : tape.gradient(loss, hs)) norms.push_back(norm(g).item());
  return norms;
}

TEST(StateGradientsThroughTime, EqualTheTapeGradientsOfAnUnfusedCell) {
  const Tensor x = random_tensor({3, 7, 4}, 1);
  SimpleRNN rnn(5, {.return_sequences = true});
  rnn(x);
  const std::vector<StateGradients> g = state_gradients_through_time(rnn, x);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].layer, rnn.name());
  const std::vector<double> expected = unfused_state_gradient_norms(rnn, x);
  ASSERT_EQ(g[0].grad_norm.size(), expected.size());
  for (std::size_t t = 0; t < expected.size(); ++t) EXPECT_NEAR(g[0].grad_norm[t], expected[t], 1e-12 * expected[t]) << t;
}

// A SimpleRNN whose recurrent kernel is a tenth of an orthogonal matrix passes back at most 0.1 of
// the gradient per step: the fitted gain is below 0.1, and the first step sees ~0.1^(T-1) of the last.
TEST(StateGradientsThroughTime, AContractingKernelGivesAGainBelowItsNorm) {
  const Tensor x = random_tensor({4, 12, 3}, 2);
  SimpleRNN rnn(6, {.recurrent_initializer = orthogonal(0.1)});
  rnn(x);
  const std::vector<StateGradients> g = state_gradients_through_time(rnn, x);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_LT(g[0].gain_per_step, 0.1);
  EXPECT_GT(g[0].gain_per_step, 0.0);
  EXPECT_LT(g[0].grad_norm[0], g[0].grad_norm[11] * std::pow(0.1, 11) * 1.0001);
  // Every layer of a stack is listed, the last layer's backward first.
  Sequential stack({LSTM(4, {.return_sequences = true}), GRU(3)});
  stack(x);
  const std::vector<StateGradients> both = state_gradients_through_time(stack, x);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].grad_norm.size(), 12u);
  // Only the last step's output reaches the loss of the GRU (no return_sequences): the later steps
  // hold the gradient that came back through the recurrence alone.
  EXPECT_GT(both[0].grad_norm[11], 0.0);
}

TEST(RecurrentKernelSpectrum, SeparatesTheSpectralRadiusFromTheLargestSingularValue) {
  SimpleRNN rnn(2);
  rnn(random_tensor({1, 2, 2}, 3));
  // Upper triangular: eigenvalues 0.5 and 0.3, but a large off-diagonal entry.
  Variable(rnn.recurrent_kernel()).assign(from_values({2, 2}, {0.5, 10.0, 0.0, 0.3}, DType::float64));
  const KernelSpectrum s = recurrent_kernel_spectrum(rnn.impl());
  ASSERT_EQ(s.gates.size(), 1u);
  EXPECT_NEAR(s.gates[0].spectral_radius, 0.5, 1e-3);
  // σ_max of [[0.5, 10], [0, 0.3]]: sqrt of the larger eigenvalue of BᵀB.
  const double tr = 0.25 + 100.0 + 0.09, det = 0.15 * 0.15;
  EXPECT_NEAR(s.gates[0].largest_singular_value, std::sqrt((tr + std::sqrt(tr * tr - 4 * det)) / 2), 1e-9);
  EXPECT_EQ(s.pascanu_bound, 1.0);  // tanh: γ = 1
  EXPECT_FALSE(s.vanishing_guaranteed);
}

TEST(RecurrentKernelSpectrum, AnOrthogonalKernelHasUnitSpectrumPerGate) {
  LSTM lstm(8, {.recurrent_initializer = orthogonal(0.5)});
  lstm(random_tensor({1, 2, 3}, 4));
  const KernelSpectrum s = recurrent_kernel_spectrum(lstm.impl());
  ASSERT_EQ(s.gates.size(), 4u);
  EXPECT_EQ(s.gates[1].gate, "f");
  // Each 8 × 8 block of a (8, 32) matrix with orthonormal rows (times 0.5) has σ_max ≤ 0.5.
  for (const GateSpectrum& g : s.gates) {
    EXPECT_LE(g.largest_singular_value, 0.5 + 1e-9);
    EXPECT_LE(g.spectral_radius, g.largest_singular_value * 1.01);
  }
  EXPECT_TRUE(std::isnan(s.pascanu_bound));
  EXPECT_FALSE(s.vanishing_guaranteed);
  SimpleRNN sig(8, {.activation = "sigmoid", .recurrent_initializer = orthogonal(3.0)});
  sig(random_tensor({1, 2, 3}, 4));
  const KernelSpectrum t = recurrent_kernel_spectrum(sig.impl());
  EXPECT_NEAR(t.gates[0].largest_singular_value, 3.0, 1e-9);
  EXPECT_NEAR(t.gates[0].spectral_radius, 3.0, 0.01);
  EXPECT_EQ(t.pascanu_bound, 4.0);  // sigmoid: γ = 1/4
  EXPECT_TRUE(t.vanishing_guaranteed);
}

}  // namespace
}  // namespace gradlab
