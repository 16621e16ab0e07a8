#include "gradlab/nn/recurrent.h"

#include <string_view>

#include "autograd/normalize_ops.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/nn/layer_normalization.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

thread_local std::vector<LayerNormStateObserver*> state_observers;

// Keras's LSTM bias with unit_forget_bias: bias_initializer for the input gate, ones for the
// forget gate, bias_initializer for the cell and output gates, drawn in that order.
class UnitForgetBias : public InitializerImpl {
 public:
  explicit UnitForgetBias(Initializer base) : base_(std::move(base)) {}
  Tensor generate(const Shape& shape, DType dtype, Rng& rng, const Fans&) const override {
    const int64_t units = shape[0] / 4;
    const Tensor input_gate = base_(Shape{units}, dtype, rng);
    const Tensor rest = base_(Shape{2 * units}, dtype, rng);
    return concat({input_gate, ones(Shape{units}, dtype), rest}, 0);
  }
  std::string name() const override { return "unit_forget_bias"; }
  std::string arguments() const override { return base_.description(); }

 private:
  Initializer base_;
};

std::string default_name(RecurrentCell cell) { return std::string(cell_name(cell)); }

// Validates before the base class takes an automatic name, so a rejected layer does not use one up.
const std::string& checked_name(RecurrentCell cell, int64_t units, const RecurrentOptions& o) {
  const std::string label = o.name.empty() ? default_name(cell) : o.name;
  if (units <= 0) fail("{}: units must be positive, got {}", label, units);
  for (const std::string* a : {&o.activation, &o.recurrent_activation}) {
    try {
      get_activation(*a);
    } catch (const Error& e) {
      fail("{}: {}", label, e.what());
    }
  }
  if (cell == RecurrentCell::gru && o.layer_norm && !o.reset_after) {
    fail("{}: a layer-normalized GRU needs reset_after = true (the recurrent product is normalized before the "
         "reset gate scales it)",
         label);
  }
  return o.name;
}

Tensor columns(const Tensor& m, int64_t begin, int64_t width) { return slice(m, {0, begin}, {-1, width}); }

// Ba et al. (2016)'s layer normalization of each row of a [rows, features] matrix.
Tensor normalize_rows(const Tensor& m, const Variable& gamma, const Variable& beta) {
  const detail::NormPlan plan{{.n = m.dim(0), .a = 1, .c = m.dim(1), .b = 1, .groups = 1}, {}};
  return detail::normalize_with_batch_statistics("layer_normalization", m, gamma.value(), beta.value(), plan,
                                                 LayerNormalizationOptions{}.epsilon);
}

}  // namespace

RecurrentImpl::RecurrentImpl(RecurrentCell cell, int64_t units, RecurrentOptions options)
    : LayerImpl(default_name(cell), checked_name(cell, units, options), options.dtype),
      cell_(cell),
      units_(units),
      options_(std::move(options)) {
  // The fused op takes the element-wise activations only; say so now rather than at the first call.
  if (!options_.layer_norm) {
    for (const std::string* a : {&options_.activation, &options_.recurrent_activation}) {
      if (*a == "softmax" || *a == "log_softmax") {
        fail("{}: '{}' is not an element-wise activation; a recurrent cell needs one (tanh, sigmoid, relu, ...)",
             name(), *a);
      }
    }
  }
}

void RecurrentImpl::build(const std::vector<Shape>& input_shapes, DType) {
  const Shape& shape = input_shapes.front();
  if (shape.rank() != 3) {
    fail("{}: expected a sequence input of rank 3 [batch, time, features], got shape {}", name(), shape.to_string());
  }
  const int64_t gu = gate_count(cell_) * units_;
  kernel_ = add_weight("kernel", Shape{shape[2], gu}, options_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", Shape{units_, gu}, options_.recurrent_initializer);
  if (options_.use_bias) {
    if (cell_ == RecurrentCell::lstm && options_.unit_forget_bias) {
      bias_ = add_weight("bias", Shape{gu}, Initializer(std::make_shared<UnitForgetBias>(options_.bias_initializer)));
    } else if (cell_ == RecurrentCell::gru && options_.reset_after) {
      bias_ = add_weight("bias", Shape{2, gu}, options_.bias_initializer);
    } else {
      bias_ = add_weight("bias", Shape{gu}, options_.bias_initializer);
    }
  }
  if (options_.layer_norm) {
    kernel_gamma_ = add_weight("kernel_norm/gamma", Shape{gu}, "ones");
    kernel_beta_ = add_weight("kernel_norm/beta", Shape{gu}, "zeros");
    recurrent_gamma_ = add_weight("recurrent_norm/gamma", Shape{gu}, "ones");
    recurrent_beta_ = add_weight("recurrent_norm/beta", Shape{gu}, "zeros");
    if (cell_ == RecurrentCell::lstm) {
      state_gamma_ = add_weight("state_norm/gamma", Shape{units_}, "ones");
      state_beta_ = add_weight("state_norm/beta", Shape{units_}, "zeros");
    }
  }
}

Tensor RecurrentImpl::run_cell(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  if (options_.layer_norm) return run_layer_norm_cell(x, h0, c0);
  return recurrent_sequence(x, h0, c0, kernel_.value(), recurrent_kernel_.value(),
                            bias_.defined() ? bias_.value() : Tensor(),
                            {.cell = cell_,
                             .activation = options_.activation,
                             .recurrent_activation = options_.recurrent_activation,
                             .reset_after = options_.reset_after,
                             .go_backwards = options_.go_backwards,
                             .name = name()});
}

// The same cells, step by step on the differentiable ops, with the products layer-normalized.
Tensor RecurrentImpl::run_layer_norm_cell(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const int64_t n = x.dim(0), steps = x.dim(1), u = units_, gu = gate_count(cell_) * u;
  if (steps == 0) fail("{}: the input sequence has 0 time steps; a recurrent layer needs at least 1", name());
  const auto act = get_activation(options_.activation);
  const auto sig = get_activation(options_.recurrent_activation);
  Tensor input_bias, recurrent_bias;
  if (bias_.defined()) {
    input_bias = bias_.value();
    if (bias_.shape().rank() == 2) {
      input_bias = reshape(slice(bias_.value(), {0, 0}, {1, -1}), {gu});
      recurrent_bias = reshape(slice(bias_.value(), {1, 0}, {1, -1}), {gu});
    }
  }
  // Normalization is per row, so the input products of all steps are normalized at once.
  Tensor xw = normalize_rows(matmul(reshape(x, {n * steps, x.dim(2)}), kernel_.value()), kernel_gamma_, kernel_beta_);
  if (input_bias.defined()) xw = xw + input_bias;
  xw = reshape(xw, {n, steps, gu});
  Tensor h = h0, c = c0;
  std::vector<Tensor> hs, cs, states;
  for (int64_t t = 0; t < steps; ++t) {
    const int64_t src = options_.go_backwards ? steps - 1 - t : t;
    const Tensor xt = reshape(slice(xw, {0, src, 0}, {-1, 1, -1}), {n, gu});
    Tensor rec = normalize_rows(matmul(h, recurrent_kernel_.value()), recurrent_gamma_, recurrent_beta_);
    if (recurrent_bias.defined()) rec = rec + recurrent_bias;
    switch (cell_) {
      case RecurrentCell::simple_rnn: h = act(xt + rec); break;
      case RecurrentCell::lstm: {
        const Tensor z = xt + rec;
        const Tensor i = sig(columns(z, 0, u)), f = sig(columns(z, u, u)), g = act(columns(z, 2 * u, u)),
                     o = sig(columns(z, 3 * u, u));
        c = f * c + i * g;
        h = o * act(normalize_rows(c, state_gamma_, state_beta_));
        cs.push_back(reshape(c, {n, 1, u}));
        break;
      }
      case RecurrentCell::gru: {
        const Tensor z = sig(columns(xt, 0, u) + columns(rec, 0, u));
        const Tensor r = sig(columns(xt, u, u) + columns(rec, u, u));
        const Tensor hh = act(columns(xt, 2 * u, u) + r * columns(rec, 2 * u, u));
        h = z * h + (1.0 - z) * hh;
        break;
      }
    }
    states.push_back(h);
    hs.push_back(reshape(h, {n, 1, u}));
  }
  for (LayerNormStateObserver* observer : state_observers) observer->on_states(*this, states);
  Tensor out = reshape(concat(hs, 1), {1, n, steps, u});
  if (cell_ == RecurrentCell::lstm) out = concat({out, reshape(concat(cs, 1), {1, n, steps, u})}, 0);
  return out;
}

Tensor RecurrentImpl::forward(const std::vector<Tensor>& inputs, const CallOptions&) {
  const Tensor& x = inputs.front();
  if (x.rank() != 3) {
    fail("{}: expected a sequence input of rank 3 [batch, time, features], got shape {}", name(),
         x.shape().to_string());
  }
  const int64_t features = kernel_.shape()[0];
  if (x.dim(2) != features) {
    fail("{}: input has {} features but the kernel was built for {}", name(), x.dim(2), features);
  }
  if (inputs.size() > 1 && static_cast<int>(inputs.size()) != 1 + state_count()) {
    fail("{}: an LSTM takes 2 initial states (h, c), got {}", name(), inputs.size() - 1);
  }
  const int64_t n = x.dim(0), steps = x.dim(1);
  const Tensor h0 = inputs.size() > 1 ? inputs[1] : zeros(Shape{n, units_}, x.dtype());
  const Tensor c0 = cell_ != RecurrentCell::lstm ? Tensor()
                    : inputs.size() > 2          ? inputs[2]
                                                 : zeros(Shape{n, units_}, x.dtype());
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i].shape() != Shape{n, units_}) {
      fail("{}: initial state {} is {} but the batch of {} and {} units need [{}, {}]", name(), i,
           inputs[i].shape().to_string(), n, units_, n, units_);
    }
  }
  if (steps == 0) fail("{}: the input sequence has 0 time steps; a recurrent layer needs at least 1", name());
  const Tensor states = run_cell(x, h0, c0);
  const Tensor last_h = reshape(slice(states, {0, 0, steps - 1, 0}, {1, -1, 1, -1}), {n, units_});
  last_states_ = {last_h};
  if (cell_ == RecurrentCell::lstm) {
    last_states_.push_back(reshape(slice(states, {1, 0, steps - 1, 0}, {1, -1, 1, -1}), {n, units_}));
  }
  if (!options_.return_sequences) return last_h;
  return reshape(slice(states, {0, 0, 0, 0}, {1, -1, -1, -1}), {n, steps, units_});
}

std::vector<Tensor> RecurrentImpl::call_with_states(const std::vector<Tensor>& inputs, const CallOptions& options) {
  std::vector<Tensor> out{call(inputs, options)};
  if (options_.return_state) out.insert(out.end(), last_states_.begin(), last_states_.end());
  last_states_.clear();
  return out;
}

std::string RecurrentImpl::config_summary() const {
  std::string s = fmt::format("units={}, activation={}", units_, options_.activation);
  if (cell_ != RecurrentCell::simple_rnn) s += fmt::format(", recurrent_activation={}", options_.recurrent_activation);
  s += fmt::format(", use_bias={}, kernel_initializer={}, recurrent_initializer={}, bias_initializer={}",
                   options_.use_bias, options_.kernel_initializer.description(),
                   options_.recurrent_initializer.description(), options_.bias_initializer.description());
  if (cell_ == RecurrentCell::lstm) s += fmt::format(", unit_forget_bias={}", options_.unit_forget_bias);
  if (cell_ == RecurrentCell::gru) s += fmt::format(", reset_after={}", options_.reset_after);
  s += fmt::format(", return_sequences={}, return_state={}, go_backwards={}", options_.return_sequences,
                   options_.return_state, options_.go_backwards);
  if (options_.layer_norm) s += ", layer_norm=true";
  return s;
}

std::vector<Tensor> Recurrent::call(const Tensor& x, const std::vector<Tensor>& initial_state,
                                    CallOptions options) const {
  std::vector<Tensor> inputs{x};
  inputs.insert(inputs.end(), initial_state.begin(), initial_state.end());
  return impl().call_with_states(inputs, options);
}

SimpleRNN::SimpleRNN(int64_t units, RecurrentOptions options)
    : Recurrent(std::make_shared<RecurrentImpl>(RecurrentCell::simple_rnn, units, std::move(options))) {}
LSTM::LSTM(int64_t units, RecurrentOptions options)
    : Recurrent(std::make_shared<RecurrentImpl>(RecurrentCell::lstm, units, std::move(options))) {}
GRU::GRU(int64_t units, RecurrentOptions options)
    : Recurrent(std::make_shared<RecurrentImpl>(RecurrentCell::gru, units, std::move(options))) {}

ObserveLayerNormStates::ObserveLayerNormStates(LayerNormStateObserver& observer) : observer_(&observer) {
  state_observers.push_back(observer_);
}

ObserveLayerNormStates::~ObserveLayerNormStates() { std::erase(state_observers, observer_); }

}  // namespace gradlab
