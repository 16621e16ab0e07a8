#pragma once
/// The recurrent network a probe, sweep or report builds inline: a stack of SimpleRNN, LSTM or GRU
/// layers over a drawn sequence, each returning its whole sequence to the next, the last returning
/// only its final output, so the loss reaches the top layer at its last step alone and every other
/// cell of the layers × time grid only through the recurrence and the layers above.
///
///   auto rng = std::make_shared<Rng>(seed);
///   RecurrentNetworkOptions network{.cell = RecurrentCell::lstm, .layers = 2, .time_steps = 100};
///   Tensor x = draw_recurrent_input(network, InputDistribution::uniform, *rng);  // the input first,
///   ProbeSubject subject = recurrent_network_subject(network, x, rng);           // then the kernels
///   ThroughTimeRecord r = probe_through_time(subject.forward, subject.inputs);
///
/// The lesson: "the effective depth is not just the number of layers but the number of layers
/// times the number of time-steps".

#include <cstdint>
#include <memory>
#include <string>

#include "gradlab/autograd/recurrent_op.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/dtype.h"

namespace gradlab {

/// The most time steps of an inline recurrent network.
inline constexpr int64_t kMaxProbeTimeSteps = 100000;

/// Options of the inline recurrent network, with Keras's defaults for the layers.
struct RecurrentNetworkOptions {
  RecurrentCell cell = RecurrentCell::simple_rnn;
  /// Recurrent layers stacked, at least 1.
  int layers = 1;
  /// Units of every layer.
  int64_t units = 32;
  /// Time steps T of the drawn sequence, at least 1.
  int64_t time_steps = 100;
  /// The cell activation of every layer (Keras's tanh); the gates keep sigmoid.
  std::string activation = "tanh";
  /// Initializer of every kernel (features × G·units) and recurrent kernel (units × G·units).
  Initializer kernel_initializer = "glorot_uniform";
  Initializer recurrent_initializer = "orthogonal";
  /// Layer-normalized cells (Ba et al. 2016; RecurrentOptions::layer_norm).
  bool layer_norm = false;
  /// Rows of the probe's input batch and features per time step.
  int64_t batch = 32;
  int64_t input_features = 128;
  DType dtype = DType::float32;
};

/// Throws Error naming the option for layers, units, time steps, batch or features below 1 (or above
/// kMaxProbeDepth, kMaxProbeUnits, kMaxProbeTimeSteps), or an unknown activation.
void validate_recurrent_network(const RecurrentNetworkOptions& options);

/// "2 x LSTM(64, tanh) over 100 steps, kernels glorot_uniform, recurrent orthogonal" (", layer
/// norm" for layer-normalized cells).
std::string recurrent_network_label(const RecurrentNetworkOptions& options);

/// The probe's input [batch, time_steps, input_features] in options.dtype, drawn from
/// `distribution` (U[0, 1) or N(0, 1)) with `rng`.
Tensor draw_recurrent_input(const RecurrentNetworkOptions& options, InputDistribution distribution, Rng& rng);

/// The network of `options` (validated) on `input` [N, T, F] (its N, T and F replace the options'),
/// layers named "<cell>1", "<cell>2", ... ("lstm1"), their weights drawn from `rng` in layer order on
/// the first call (the subject keeps `rng` alive until then).
ProbeSubject recurrent_network_subject(const RecurrentNetworkOptions& options, const Tensor& input,
                                       std::shared_ptr<Rng> rng);

}  // namespace gradlab
