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
///   ThroughTimeRecord r = probe_through_time(forward, {x});  // all of it, per recurrent layer call
///   r.layers[0].gates[1].near_zero;                          // an LSTM's forget gate closed
///
/// The lesson: the effective depth of a recurrent network "is not just the number of layers but the
/// number of layers times the number of time-steps"; these measure the time axis of that depth.

#include <cstdint>
#include <string>
#include <vector>

#include "gradlab/instrument/flow_summary.h"
#include "gradlab/instrument/layer_stats.h"
#include "gradlab/instrument/probe.h"
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
  /// piecewise-linear relu, leaky_relu, elu and linear, whose |f'| ≤ 1); NaN for gated cells and
  /// layer-normalized SimpleRNNs (the theorem is for the plain recurrence) and for activations with
  /// no such γ in this list.
  double pascanu_bound = 0;
  /// σ_max(W) < pascanu_bound by more than rounding (a relative 1e-6, so an orthogonal kernel's
  /// σ_max of 1 against tanh's bound of 1 is not counted); a plain SimpleRNN only.
  bool vanishing_guaranteed = false;
};

/// The spectrum of `layer`'s recurrent kernel (built). Throws Error for an unbuilt layer.
KernelSpectrum recurrent_kernel_spectrum(const RecurrentImpl& layer);

/// The share of one sigmoid gate's activations that are saturated, over the batch, the steps and
/// the units (SaturationThresholds: below `low`, above `high`).
struct GateSaturation {
  /// "i", "f", "o" (LSTM) or "z", "r" (GRU).
  std::string gate;
  /// Share below SaturationThresholds::low: the gate shut (an LSTM forget gate near 0 forgets c_{t-1},
  /// and the gradient along the cell state with it).
  double near_zero = 0;
  /// Share above SaturationThresholds::high: the gate wide open (a forget gate near 1 carries c_{t-1}
  /// and its gradient unchanged).
  double near_one = 0;
};

/// The saturation of the gates of `layer` (built) on one call's `inputs` (the sequence [N, T, F], then
/// its initial states, if any), computed from the states the cell runs through: LSTM i, f, o and GRU
/// z, r (the recurrent_activation gates; the candidate is not a gate). Empty for SimpleRNN (no
/// gates), for a layer-normalized cell and for a recurrent_activation other than sigmoid or
/// hard_sigmoid. Call it with no tape recording (it runs the cell's ops again).
std::vector<GateSaturation> gate_saturation(const RecurrentImpl& layer, const std::vector<Tensor>& inputs,
                                            const SaturationThresholds& thresholds = {});

/// Everything through time about one recurrent layer call of a probed pass.
struct RecurrentLayerThroughTime {
  std::string layer;
  /// "simple_rnn", "lstm" or "gru".
  std::string cell;
  /// Time steps T of the call.
  int64_t time_steps = 0;
  /// Whether the cell is layer-normalized (its state gradients then come from the tape's gradient by
  /// each step's state, ObserveLayerNormStates; its gates are not measured).
  bool layer_norm = false;
  /// ‖∂L/∂h_t‖ for t = 0..T-1, as StateGradients::grad_norm.
  std::vector<double> grad_norm;
  /// StateGradients::gain_per_step; NaN when not measured.
  double gain_per_step = 0;
  /// ‖∂L/∂h_0‖ / ‖∂L/∂h_{T-1}‖: how much of the gradient at the last step reaches the first
  /// (NaN when not measured, or when the last step's norm is 0 or either is not finite).
  double first_to_last_ratio = 0;
  /// The verdict in time, by the rule summarize_flow judges depth with (flow_summary.h): the squared
  /// norm's gain per step from first_to_last_ratio over T - 1 steps, vanishing or exploding when T - 1
  /// is more than FlowThresholds::trainable_depth_scales depth scales; nonfinite when a norm is not
  /// finite, zero when ‖∂L/∂h_0‖ (or the last step's) is 0; healthy otherwise (and when not measured).
  FlowVerdict verdict = FlowVerdict::healthy;
  KernelSpectrum spectrum;
  /// gate_saturation() of the call.
  std::vector<GateSaturation> gates;
};

/// The time axis of a probed pass: each recurrent layer call, and the verdict over layers × time.
struct ThroughTimeRecord {
  /// Recurrent layer calls (SimpleRNN, LSTM, GRU; a Bidirectional's two), in the order they ran: the
  /// bottom of a stack first.
  std::vector<RecurrentLayerThroughTime> layers;
  /// ‖∂L/∂h_0‖ of the first measured layer call over ‖∂L/∂h_{T-1}‖ of the last: the gradient that
  /// reaches the first step of the bottom layer against the one the loss gives the top layer's last
  /// step, across the lesson's "number of layers times the number of time-steps". NaN when no
  /// call was measured, or when the latter is 0 or either is not finite.
  double first_to_last_ratio = 0;
  /// The verdict over layers × time, judged as RecurrentLayerThroughTime::verdict over the steps from
  /// the top layer's last step back to step 0, plus one per layer below the top.
  FlowVerdict verdict = FlowVerdict::healthy;
  /// One sentence saying why, with the figures; empty when no call was measured.
  std::string reason;
};

/// Runs `forward` on `inputs` once in inference mode under a tape, differentiates L = mean of every
/// output element (the lesson's probe) and returns every recurrent layer call's state gradients
/// (as state_gradients_through_time; for layer-normalized cells, the tape's gradients by their step
/// states), kernel spectrum (recurrent_kernel_spectrum) and gate saturation, with the verdicts in
/// time. A pass without recurrent layers gives an empty record.
ThroughTimeRecord probe_through_time(const ProbeForward& forward, const std::vector<Tensor>& inputs,
                                     const FlowThresholds& thresholds = {},
                                     const SaturationThresholds& saturation = {});

}  // namespace gradlab
