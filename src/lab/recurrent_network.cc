#include "gradlab/lab/recurrent_network.h"

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/nn/model.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

std::string_view keras_class(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::simple_rnn: return "SimpleRNN";
    case RecurrentCell::lstm: return "LSTM";
    case RecurrentCell::gru: return "GRU";
  }
  return "SimpleRNN";
}

Layer recurrent_layer(const RecurrentNetworkOptions& o, int k) {
  const RecurrentOptions options{.activation = o.activation,
                                 .kernel_initializer = o.kernel_initializer,
                                 .recurrent_initializer = o.recurrent_initializer,
                                 .return_sequences = k < o.layers,
                                 .layer_norm = o.layer_norm,
                                 .name = fmt::format("{}{}", cell_name(o.cell), k),
                                 .dtype = o.dtype};
  switch (o.cell) {
    case RecurrentCell::simple_rnn: return SimpleRNN(o.units, options);
    case RecurrentCell::lstm: return LSTM(o.units, options);
    case RecurrentCell::gru: return GRU(o.units, options);
  }
  fail("unknown RecurrentCell {}", static_cast<int>(o.cell));
}

std::shared_ptr<Sequential> stack(const RecurrentNetworkOptions& o, Rng* rng) {
  std::vector<Layer> layers;
  for (int k = 1; k <= o.layers; ++k) {
    layers.push_back(recurrent_layer(o, k));
    if (rng) layers.back().impl().set_rng(rng);
  }
  return std::make_shared<Sequential>(std::move(layers), "recurrent_network");
}

void check_range(const char* what, int64_t value, int64_t most) {
  if (value < 1 || value > most) fail("recurrent network: {} must be in [1, {}], got {}", what, most, value);
}

}  // namespace

void validate_recurrent_network(const RecurrentNetworkOptions& o) {
  check_range("layers", o.layers, kMaxProbeDepth);
  check_range("units", o.units, kMaxProbeUnits);
  check_range("time steps", o.time_steps, kMaxProbeTimeSteps);
  check_range("batch", o.batch, kMaxProbeUnits);
  check_range("input features", o.input_features, kMaxProbeUnits);
  get_activation(o.activation);
}

std::string recurrent_network_label(const RecurrentNetworkOptions& o) {
  return fmt::format("{} x {}({}, {}) over {} steps, kernels {}, recurrent {}{}", o.layers, keras_class(o.cell), o.units,
                     o.activation, o.time_steps, o.kernel_initializer.name(), o.recurrent_initializer.name(),
                     o.layer_norm ? ", layer norm" : "");
}

Tensor draw_recurrent_input(const RecurrentNetworkOptions& o, InputDistribution distribution, Rng& rng) {
  validate_recurrent_network(o);
  const Shape shape({o.batch, o.time_steps, o.input_features});
  return distribution == InputDistribution::normal ? normal(shape, rng, 0.0, 1.0, o.dtype)
                                                   : uniform(shape, rng, 0.0, 1.0, o.dtype);
}

ProbeSubject recurrent_network_subject(const RecurrentNetworkOptions& network, const Tensor& input,
                                       std::shared_ptr<Rng> rng) {
  if (input.rank() != 3) {
    fail("recurrent network: expected an input [batch, time, features], got shape {}", input.shape().to_string());
  }
  RecurrentNetworkOptions options = network;
  options.batch = input.dim(0);
  options.time_steps = input.dim(1);
  options.input_features = input.dim(2);
  validate_recurrent_network(options);
  auto net = stack(options, rng.get());
  ProbeSubject subject;
  subject.inputs = {input.to(options.dtype)};
  subject.forward = [net, rng](const std::vector<Tensor>& xs, const CallOptions& o) {
    return std::vector<Tensor>{(*net)(xs[0], o)};
  };
  subject.float64_forward = [net, options, x = subject.inputs[0]] {
    RecurrentNetworkOptions o64 = options;
    o64.dtype = DType::float64;
    // The twin's weights are replaced by the float32 network's, so its generator does not matter.
    auto net64 = stack(o64, nullptr);
    (*net64)(x.to(DType::float64));
    std::vector<Variable> from = net->variables(), to = net64->variables();
    for (std::size_t i = 0; i < from.size(); ++i) to[i].assign(from[i].value().to(DType::float64));
    return ProbeForward([net64](const std::vector<Tensor>& xs, const CallOptions& o) {
      return std::vector<Tensor>{(*net64)(xs[0], o)};
    });
  };
  return subject;
}

}  // namespace gradlab
