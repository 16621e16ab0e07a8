#pragma once
/// Instruments through time: how the gradient fares along a recurrent layer's time steps, and what
/// its recurrent kernel lets through.
///
///   LSTM lstm(64, {.return_sequences = true});
///   std::vector<StateGradients> g = state_gradients_through_time(lstm, x);   // x [N, T, F]
///   g[0].grad_norm[0];          // ‖∂L/∂h_0‖: the gradient that reached the first step
///   g[0].gain_per_step;         // its geometric rate per step back in time
///   KernelSpectrum s = recurrent_kernel_spectrum(rnn.impl());
///   s.gates[0].largest_singular_value < s.pascanu_bound;   // vanishing guaranteed (Pascanu et al. 2013)
///
/// The lesson: the effective depth of a recurrent network "is not just the number of layers but the
/// number of layers times the number of time-steps"; these measure the time axis of that depth.

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/nn/layer.h"
#include "gradlab/nn/recurrent.h"

namespace gradlab {

/// One recurrent layer's state gradients along time.
struct StateGradients {
  std::string layer;
  /// ‖∂L/∂h_t‖ for each processing step t = 0..T-1 (step 0 ran first), with L = mean(model(x)) as in
  /// the lesson's probe: the full gradient, from the outputs at t and after and through the
  /// recurrent path.
  std::vector<double> grad_norm;
  /// exp(-b) for the least-squares line log ‖∂L/∂h_t‖ = a + b t over the steps with a non-zero norm:
  /// the factor by which the gradient grows (> 1) or shrinks (< 1) per step back in time. NaN with
  /// fewer than two such steps.
  double gain_per_step = 0;
};

/// Runs `model` (a layer or model with one input) on x in inference mode under a tape and returns, for
/// every fused recurrent layer call in it (SimpleRNN, LSTM, GRU and their Bidirectional copies, in
/// the order their backward ran: last layer first), its state gradients through time. A
/// layer-normalized cell runs on unfused ops and is not listed.
std::vector<StateGradients> state_gradients_through_time(const Layer& model, const Tensor& x);

/// The spectrum of one gate's (units × units) block of a recurrent kernel.
struct GateSpectrum {
  /// "h" for SimpleRNN; "i", "f", "c", "o" (LSTM); "z", "r", "h" (GRU).
  std::string gate;
  /// σ_max: the largest singular value (the spectral norm), by power iteration on BᵀB.
  double largest_singular_value = 0;
  /// ρ: the largest eigenvalue modulus, from Gelfand's formula ‖B^k‖^(1/k) with k = 2^12.
  double spectral_radius = 0;
};

/// A recurrent kernel's spectrum beside the bound of Pascanu, Mikolov & Bengio (2013), "On the
/// difficulty of training recurrent neural networks", section 2.1: for h_t = f(W h_{t-1} + ...) with
/// |f'| ≤ γ, σ_max(W) < 1/γ is sufficient for the gradient to vanish as it goes back in time.
struct KernelSpectrum {
  std::string layer;
  /// One entry per gate block, in the kernel's order.
  std::vector<GateSpectrum> gates;
  /// 1/γ for a SimpleRNN's activation (tanh and softsign 1, sigmoid 4, hard_sigmoid 6, and 1 for the
  /// piecewise-linear relu, leaky_relu, elu and linear, whose |f'| ≤ 1); NaN for gated cells (the
  /// theorem is for the plain recurrence) and for activations with no such γ in this list.
  double pascanu_bound = 0;
  /// σ_max(W) < pascanu_bound (a SimpleRNN only).
  bool vanishing_guaranteed = false;
};

/// The spectrum of `layer`'s recurrent kernel (built). Throws Error for an unbuilt layer.
KernelSpectrum recurrent_kernel_spectrum(const RecurrentImpl& layer);

}  // namespace gradlab
