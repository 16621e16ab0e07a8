#include "gradlab/instrument/through_time.h"

#include <cmath>

#include <gtest/gtest.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/nn/dense.h"
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

// An LSTM whose forget-gate bias is +20 keeps that gate open at every step (sigmoid(20 + small) >
// 0.99), and one at -20 keeps it shut; the input gate, biased 0, is saturated nowhere.
TEST(GateSaturation, SeesAForgetGateHeldOpenOrShutByItsBias) {
  const Tensor x = random_tensor({3, 6, 4}, 3);
  for (const double forget_bias : {20.0, -20.0}) {
    LSTM lstm(5);
    lstm(x);
    std::vector<double> b(20, 0.0);
    for (int k = 5; k < 10; ++k) b[k] = forget_bias;
    Variable bias = lstm.bias();
    bias.assign(from_values({20}, b, DType::float64));
    const std::vector<GateSaturation> gates = gate_saturation(lstm.impl(), {x});
    ASSERT_EQ(gates.size(), 3u);
    EXPECT_EQ(gates[0].gate, "i");
    EXPECT_EQ(gates[1].gate, "f");
    EXPECT_EQ(gates[2].gate, "o");
    EXPECT_DOUBLE_EQ(gates[1].near_one, forget_bias > 0 ? 1.0 : 0.0);
    EXPECT_DOUBLE_EQ(gates[1].near_zero, forget_bias > 0 ? 0.0 : 1.0);
    EXPECT_DOUBLE_EQ(gates[0].near_one + gates[0].near_zero, 0.0);
  }
}

// With one step and a zero initial state, a GRU's gates are sigmoid(x W + b_x + b_h): the shares
// counted by hand from the weights must be gate_saturation's.
TEST(GateSaturation, CountsTheGatesOfTheFirstStepFromTheWeights) {
  const Tensor x = random_tensor({40, 1, 3}, 4) * 4.0;
  // Weights from a fixed generator, wide enough that some gates saturate whatever ran before.
  Rng rng(1);
  GRU gru(2, {.kernel_initializer = random_uniform(-2.0, 2.0)});
  gru.impl().set_rng(&rng);
  gru(x);
  const std::vector<double> xv = x.to_vector(), w = gru.kernel().value().to_vector(), b = gru.bias().value().to_vector();
  double z_low = 0, z_high = 0, r_low = 0, r_high = 0;
  for (int n = 0; n < 40; ++n) {
    for (int j = 0; j < 4; ++j) {  // z0, z1, r0, r1: the first 4 of the 6 columns
      double a = b[j] + b[6 + j];
      for (int f = 0; f < 3; ++f) a += xv[n * 3 + f] * w[f * 6 + j];
      const double s = 1 / (1 + std::exp(-a));
      (j < 2 ? z_low : r_low) += s < 0.01 ? 1 : 0;
      (j < 2 ? z_high : r_high) += s > 0.99 ? 1 : 0;
    }
  }
  const std::vector<GateSaturation> gates = gate_saturation(gru.impl(), {x});
  ASSERT_EQ(gates.size(), 2u);
  EXPECT_EQ(gates[0].gate, "z");
  EXPECT_DOUBLE_EQ(gates[0].near_zero, z_low / 80);
  EXPECT_DOUBLE_EQ(gates[0].near_one, z_high / 80);
  EXPECT_DOUBLE_EQ(gates[1].near_zero, r_low / 80);
  EXPECT_DOUBLE_EQ(gates[1].near_one, r_high / 80);
  EXPECT_GT(z_low + z_high + r_low + r_high, 0) << "the inputs should saturate some gates";
  EXPECT_TRUE(gate_saturation(SimpleRNN(2).impl(), {x}).empty());
}

// Two stacked LSTMs: the record lists the bottom first, its norms are those of
// state_gradients_through_time (which lists the top first), and the verdict's ratio is the bottom's
// first step over the top's last.
TEST(ProbeThroughTime, ListsEachLayerBottomFirstWithTheRatioAcrossTheGrid) {
  const Tensor x = random_tensor({2, 9, 3}, 5);
  Sequential model({LSTM(4, {.return_sequences = true}), LSTM(4)});
  model(x);
  const std::vector<StateGradients> expected = state_gradients_through_time(model, x);
  const ThroughTimeRecord r = probe_through_time(
      [&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{model(xs[0], o)}; }, {x});
  ASSERT_EQ(r.layers.size(), 2u);
  ASSERT_EQ(expected.size(), 2u);
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(r.layers[k].layer, expected[1 - k].layer);
    EXPECT_EQ(r.layers[k].grad_norm, expected[1 - k].grad_norm);
    EXPECT_EQ(r.layers[k].time_steps, 9);
    EXPECT_EQ(r.layers[k].cell, "lstm");
    EXPECT_EQ(r.layers[k].gates.size(), 3u);
    EXPECT_EQ(r.layers[k].spectrum.gates.size(), 4u);
  }
  EXPECT_DOUBLE_EQ(r.first_to_last_ratio, r.layers[0].grad_norm.front() / r.layers[1].grad_norm.back());
  EXPECT_DOUBLE_EQ(r.layers[1].first_to_last_ratio, r.layers[1].grad_norm.front() / r.layers[1].grad_norm.back());
  EXPECT_FALSE(r.reason.empty());
}

// A SimpleRNN with a recurrent kernel of 0.1 times an orthogonal matrix over 30 steps: its first
// step gets under 0.1^29 of the last's gradient, so the verdict in time is vanishing; a Dense-only
// pass has no time axis.
TEST(ProbeThroughTime, JudgesAContractingRecurrenceVanishing) {
  const Tensor x = random_tensor({2, 30, 3}, 6);
  SimpleRNN rnn(6, {.recurrent_initializer = orthogonal(0.1)});
  rnn(x);
  const auto forward = [&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{rnn(xs[0], o)}; };
  const ThroughTimeRecord r = probe_through_time(forward, {x});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.verdict, FlowVerdict::vanishing);
  EXPECT_EQ(r.layers[0].verdict, FlowVerdict::vanishing);
  EXPECT_TRUE(r.layers[0].spectrum.vanishing_guaranteed);
  Dense dense(3);
  const Tensor v = random_tensor({2, 3}, 7);
  EXPECT_TRUE(probe_through_time([&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{dense(xs[0], o)}; }, {v})
                  .layers.empty());
}

// A layer-normalized SimpleRNN runs on unfused ops: its state gradients come from the tape's
// gradient by each step's state. One norm per step, the last step's the loss's own gradient, every
// earlier one reached through the recurrence, and no Pascanu bound for a recurrence the
// normalization rescales.
TEST(ProbeThroughTime, MeasuresALayerNormalizedCellThroughTheTape) {
  const Tensor x = random_tensor({2, 8, 3}, 8);
  SimpleRNN rnn(4, {.layer_norm = true});
  rnn(x);
  const auto forward = [&](const std::vector<Tensor>& xs, const CallOptions& o) { return std::vector<Tensor>{rnn(xs[0], o)}; };
  const ThroughTimeRecord r = probe_through_time(forward, {x});
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_TRUE(r.layers[0].layer_norm);
  ASSERT_EQ(r.layers[0].grad_norm.size(), 8u);
  // Only the last step's output is the loss's, and ∂L/∂h_7 = 1/(N·U) for every element: its norm is
  // sqrt(N·U)/(N·U) = 1/sqrt(8).
  EXPECT_NEAR(r.layers[0].grad_norm.back(), 1 / std::sqrt(8.0), 1e-12);
  for (double g : r.layers[0].grad_norm) EXPECT_GT(g, 0);
  EXPECT_TRUE(std::isnan(r.layers[0].spectrum.pascanu_bound));
  EXPECT_FALSE(r.layers[0].spectrum.vanishing_guaranteed);
}

}  // namespace
}  // namespace gradlab
