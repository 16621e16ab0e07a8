#include "gradlab/instrument/through_time.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/recurrent_op.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/tensor/creation.h"

namespace gradlab {
namespace {

// Collects each layer call's step gradients; a backward pass reports a call's steps last to first,
// one call after another.
class Collector : public RecurrentStepObserver {
 public:
  void on_state_gradient(const std::string& layer, int64_t step, int64_t steps, double grad_norm) override {
    if (step == steps - 1) {
      result.push_back({layer, std::vector<double>(static_cast<std::size_t>(steps), 0.0), 0.0});
    }
    result.back().grad_norm[static_cast<std::size_t>(step)] = grad_norm;
  }
  std::vector<StateGradients> result;
};

// Σ v² in double, so squares of tiny float32 gradients do not underflow.
double squared_norm(const Tensor& g) {
  double s = 0;
  for (double v : g.to_vector()) s += v * v;
  return s;
}

double fitted_gain(const std::vector<double>& norms) {
  double n = 0, st = 0, sy = 0, stt = 0, sty = 0;
  for (std::size_t t = 0; t < norms.size(); ++t) {
    if (!(norms[t] > 0) || !std::isfinite(norms[t])) continue;
    const double y = std::log(norms[t]), x = static_cast<double>(t);
    n += 1, st += x, sy += y, stt += x * x, sty += x * y;
  }
  if (n < 2) return std::numeric_limits<double>::quiet_NaN();
  const double slope = (n * sty - st * sy) / (n * stt - st * st);
  return std::exp(-slope);
}

// Column block [begin, begin + u) of a (u, G·u) kernel, as a row-major u × u matrix in double.
std::vector<double> block(const Tensor& kernel, int64_t begin, int64_t u) {
  const std::vector<double> all = kernel.to_vector();
  const int64_t cols = kernel.dim(1);
  std::vector<double> b(static_cast<std::size_t>(u * u));
  for (int64_t i = 0; i < u; ++i) {
    for (int64_t j = 0; j < u; ++j) b[i * u + j] = all[i * cols + begin + j];
  }
  return b;
}

std::vector<double> multiply(const std::vector<double>& a, const std::vector<double>& b, int64_t u) {
  std::vector<double> c(a.size(), 0.0);
  for (int64_t i = 0; i < u; ++i) {
    for (int64_t k = 0; k < u; ++k) {
      const double v = a[i * u + k];
      for (int64_t j = 0; j < u; ++j) c[i * u + j] += v * b[k * u + j];
    }
  }
  return c;
}

double frobenius(const std::vector<double>& m) {
  double s = 0;
  for (double v : m) s += v * v;
  return std::sqrt(s);
}

// σ_max by power iteration on BᵀB from a fixed start (all ones plus a ramp, which no kernel of
// ours is orthogonal to in practice), 500 iterations.
double largest_singular_value(const std::vector<double>& b, int64_t u) {
  std::vector<double> v(static_cast<std::size_t>(u)), w(v.size()), z(v.size());
  for (int64_t i = 0; i < u; ++i) v[i] = 1.0 + 0.01 * static_cast<double>(i);
  double sigma = 0;
  for (int iter = 0; iter < 500; ++iter) {
    double norm = 0;
    for (double e : v) norm += e * e;
    norm = std::sqrt(norm);
    if (norm == 0) return 0;
    for (double& e : v) e /= norm;
    for (int64_t i = 0; i < u; ++i) {
      double s = 0;
      for (int64_t j = 0; j < u; ++j) s += b[i * u + j] * v[j];
      w[i] = s;  // B v
    }
    for (int64_t j = 0; j < u; ++j) {
      double s = 0;
      for (int64_t i = 0; i < u; ++i) s += b[i * u + j] * w[i];
      z[j] = s;  // Bᵀ B v
    }
    double wn = 0;
    for (double e : w) wn += e * e;
    sigma = std::sqrt(wn);
    v = z;
  }
  return sigma;
}

// Gelfand: ρ = lim ‖B^k‖^(1/k); B^k by 12 squarings, rescaled each time so nothing overflows.
double spectral_radius(std::vector<double> b, int64_t u) {
  double log_scale = 0;
  for (int i = 0; i < 12; ++i) {
    const double f = frobenius(b);
    if (f == 0) return 0;
    for (double& e : b) e /= f;
    log_scale = 2 * (log_scale + std::log(f));
    b = multiply(b, b, u);
  }
  const double f = frobenius(b);
  if (f == 0) return 0;
  return std::exp((log_scale + std::log(f)) / 4096.0);
}

double pascanu_bound(const std::string& activation) {
  const ActivationFacts* facts = find_activation_facts(activation);
  return facts == nullptr ? std::numeric_limits<double>::quiet_NaN() : facts->inverse_max_slope;
}

// Keeps every recurrent layer call of a forward pass with its inputs, for the spectra and gate
// saturation computed once the tape is gone.
class RecurrentCalls : public LayerCallObserver {
 public:
  struct Call {
    const RecurrentImpl* layer;  // kept alive by the forward that called it
    std::vector<Tensor> inputs;
  };
  void on_layer_call(const LayerImpl& layer, const std::vector<Tensor>& inputs, const Tensor&,
                     const CallOptions&) override {
    if (const auto* rnn = dynamic_cast<const RecurrentImpl*>(&layer)) {
      calls.push_back({rnn, inputs});
    }
  }
  std::vector<Call> calls;
};

// Keeps the step states of every layer-normalized cell call, to differentiate the loss by them.
class LayerNormStates : public LayerNormStateObserver {
 public:
  void on_states(const RecurrentImpl& layer, const std::vector<Tensor>& states) override {
    calls.push_back({layer.name(), states});
  }
  struct Call {
    std::string layer;
    std::vector<Tensor> states;
  };
  std::vector<Call> calls;
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kBoundMargin = 1e-6;

double ratio(double first, double last) {
  return std::isfinite(first) && std::isfinite(last) && last != 0 ? first / last : kNaN;
}

// The depth rule of flow_summary.h applied in time: the squared norm's gain per step over `steps`
// steps against Schoenholz et al.'s trainable depth of k depth scales.
FlowVerdict verdict_of(double first, double ratio, int steps, bool finite, const FlowThresholds& thresholds) {
  if (!finite) return FlowVerdict::nonfinite;
  if (first == 0 || !(ratio > 0)) return FlowVerdict::zero;
  return verdict_of_gain(squared_gain_of_ratio(ratio, steps), steps, thresholds);
}

bool all_finite(const std::vector<double>& v) {
  for (double e : v) {
    if (!std::isfinite(e)) return false;
  }
  return true;
}

// Share of v below low and above high.
GateSaturation shares(std::string gate, const Tensor& values, const SaturationThresholds& thresholds) {
  const std::vector<double> v = values.to_vector();
  double low = 0, high = 0;
  for (double e : v) {
    low += e < thresholds.low ? 1 : 0;
    high += e > thresholds.high ? 1 : 0;
  }
  const double n = v.empty() ? 1.0 : static_cast<double>(v.size());
  return {std::move(gate), low / n, high / n};
}

Tensor columns_of(const Tensor& m, int64_t begin, int64_t width) { return slice(m, {0, begin}, {-1, width}); }

}  // namespace

std::vector<GateSaturation> gate_saturation(const RecurrentImpl& layer, const std::vector<Tensor>& inputs,
                                            const SaturationThresholds& thresholds) {
  const RecurrentOptions& o = layer.options();
  const RecurrentCell cell = layer.cell();
  if (cell == RecurrentCell::simple_rnn || o.layer_norm) return {};
  if (o.recurrent_activation != "sigmoid" && o.recurrent_activation != "hard_sigmoid") return {};
  if (!layer.built()) fail("{}: the layer is not built yet; call it once before reading its gates", layer.name());
  if (inputs.empty() || inputs[0].rank() != 3) fail("{}: gate_saturation needs the call's sequence [batch, time, features]", layer.name());
  const Tensor& x = inputs[0];
  const int64_t n = x.dim(0), steps = x.dim(1), f = x.dim(2), u = layer.units(), gu = gate_count(cell) * u;
  const Tensor h0 = inputs.size() > 1 ? inputs[1] : zeros(Shape({n, u}), x.dtype());
  const Tensor c0 = cell == RecurrentCell::lstm ? (inputs.size() > 2 ? inputs[2] : zeros(Shape({n, u}), x.dtype())) : Tensor();
  const Tensor bias = layer.bias().defined() ? layer.bias().value() : Tensor();
  const Tensor states = recurrent_sequence(x, h0, c0, layer.kernel().value(), layer.recurrent_kernel().value(), bias,
                                           {.cell = cell,
                                            .activation = o.activation,
                                            .recurrent_activation = o.recurrent_activation,
                                            .reset_after = o.reset_after,
                                            .go_backwards = o.go_backwards,
                                            .name = layer.name()});
  // The gates of processing step t see x at its processing position and h_{t-1}.
  const Tensor xs = o.go_backwards ? reverse(x, 1) : x;
  const Tensor h = reshape(slice(states, {0, 0, 0, 0}, {1, -1, -1, -1}), {n, steps, u});
  Tensor h_prev = reshape(h0, {n, 1, u});
  if (steps > 1) h_prev = concat({h_prev, slice(h, {0, 0, 0}, {-1, steps - 1, -1})}, 1);
  Tensor z = matmul(reshape(xs, {n * steps, f}), layer.kernel().value());
  Tensor r = matmul(reshape(h_prev, {n * steps, u}), layer.recurrent_kernel().value());
  if (bias.defined() && bias.rank() == 2) {
    z = z + reshape(slice(bias, {0, 0}, {1, -1}), {gu});
    r = r + reshape(slice(bias, {1, 0}, {1, -1}), {gu});
  } else if (bias.defined()) {
    z = z + bias;
  }
  const Tensor pre = z + r;
  const ActivationFn s = get_activation(o.recurrent_activation);
  if (cell == RecurrentCell::lstm) {
    return {shares("i", s(columns_of(pre, 0, u)), thresholds), shares("f", s(columns_of(pre, u, u)), thresholds),
            shares("o", s(columns_of(pre, 3 * u, u)), thresholds)};
  }
  return {shares("z", s(columns_of(pre, 0, u)), thresholds), shares("r", s(columns_of(pre, u, u)), thresholds)};
}

ThroughTimeRecord probe_through_time(const ProbeForward& forward, const std::vector<Tensor>& inputs,
                                     const FlowThresholds& thresholds, const SaturationThresholds& saturation) {
  Collector collector;
  RecurrentCalls calls;
  LayerNormStates normalized;
  std::vector<StateGradients> normalized_gradients;
  {
    GradientTape tape;
    for (const Tensor& x : inputs) tape.watch(x);
    Tensor loss;
    {
      ObserveLayerCalls observe(calls);
      ObserveLayerNormStates observe_states(normalized);
      // The mean of every output element: each output's mean weighted by its share of the elements.
      const std::vector<Tensor> outputs = forward(inputs, CallOptions{.training = false});
      double total = 0;
      for (const Tensor& y : outputs) total += static_cast<double>(y.numel());
      for (const Tensor& y : outputs) {
        const Tensor m = mean(y) * (static_cast<double>(y.numel()) / total);
        loss = loss.defined() ? loss + m : m;
      }
    }
    if (calls.calls.empty()) return {};
    // The layer-normalized cells' steps are tensors on the tape: the gradient by each is ∂L/∂h_t,
    // recurrent path included, as the fused cells report it.
    std::vector<Tensor> sources = inputs;
    for (const LayerNormStates::Call& c : normalized.calls) sources.insert(sources.end(), c.states.begin(), c.states.end());
    ObserveRecurrentSteps observe(collector);
    const std::vector<Tensor> grads = tape.gradient(loss, sources, UnconnectedGradients::zero);
    std::size_t k = inputs.size();
    for (const LayerNormStates::Call& c : normalized.calls) {
      StateGradients g{c.layer, {}, 0.0};
      for (std::size_t t = 0; t < c.states.size(); ++t, ++k) g.grad_norm.push_back(std::sqrt(squared_norm(grads[k])));
      normalized_gradients.push_back(std::move(g));
    }
  }
  ThroughTimeRecord record;
  // The backward pass reported the calls last to first; each forward call takes its own.
  std::vector<bool> used(collector.result.size(), false), used_normalized(normalized_gradients.size(), false);
  for (const RecurrentCalls::Call& call : calls.calls) {
    const RecurrentImpl& layer = *call.layer;
    RecurrentLayerThroughTime r;
    r.layer = layer.name();
    r.cell = std::string(cell_name(layer.cell()));
    r.time_steps = call.inputs[0].dim(1);
    r.layer_norm = layer.options().layer_norm;
    for (std::size_t k = collector.result.size(); k-- > 0 && !r.layer_norm;) {
      if (!used[k] && collector.result[k].layer == r.layer) {
        used[k] = true;
        r.grad_norm = collector.result[k].grad_norm;
        break;
      }
    }
    for (std::size_t k = 0; k < normalized_gradients.size() && r.layer_norm; ++k) {
      if (!used_normalized[k] && normalized_gradients[k].layer == r.layer) {
        used_normalized[k] = true;
        r.grad_norm = normalized_gradients[k].grad_norm;
        break;
      }
    }
    r.gain_per_step = r.grad_norm.empty() ? kNaN : fitted_gain(r.grad_norm);
    if (!r.grad_norm.empty()) {
      r.first_to_last_ratio = ratio(r.grad_norm.front(), r.grad_norm.back());
      r.verdict = verdict_of(r.grad_norm.front(), r.first_to_last_ratio, static_cast<int>(r.grad_norm.size()) - 1,
                             all_finite(r.grad_norm), thresholds);
    } else {
      r.first_to_last_ratio = kNaN;
    }
    r.spectrum = recurrent_kernel_spectrum(layer);
    r.gates = gate_saturation(layer, call.inputs, saturation);
    record.layers.push_back(std::move(r));
  }
  const RecurrentLayerThroughTime* bottom = nullptr;
  const RecurrentLayerThroughTime* top = nullptr;
  bool finite = true;
  for (const RecurrentLayerThroughTime& r : record.layers) {
    if (r.grad_norm.empty()) continue;
    if (!bottom) bottom = &r;
    top = &r;
    finite = finite && all_finite(r.grad_norm);
  }
  if (!bottom) {
    record.first_to_last_ratio = kNaN;
    return record;
  }
  const double first = bottom->grad_norm.front(), last = top->grad_norm.back();
  record.first_to_last_ratio = ratio(first, last);
  // From the last step of the top layer to step 0 of the bottom one: its steps back in time, then one
  // hop down per layer below it.
  int steps = static_cast<int>(top->time_steps) - 1;
  for (const RecurrentLayerThroughTime* r = bottom; r != top; ++r) ++steps;
  record.verdict = verdict_of(first, record.first_to_last_ratio, steps, finite, thresholds);
  const double gain = squared_gain_of_ratio(record.first_to_last_ratio, steps);
  const std::string where = fmt::format("step 0 of {} gets {:.3g} times the gradient norm of step {} of {}", bottom->layer,
                                        record.first_to_last_ratio, top->time_steps - 1, top->layer);
  const std::string scale = fmt::format(
      "{}: the squared norm's gain per step {:.4g}, depth scale {:.3g} steps, over {} steps", where, gain,
      gain_depth_scale(gain), steps);
  switch (record.verdict) {
    case FlowVerdict::nonfinite:
      record.reason = "the gradient overflowed: a state gradient norm is not finite";
      break;
    case FlowVerdict::zero:
      record.reason = first == 0 ? fmt::format("no gradient reaches step 0 of {}: its gradient norm is exactly 0", bottom->layer)
                                 : fmt::format("no gradient at step {} of {}: its gradient norm is 0", top->time_steps - 1, top->layer);
      break;
    case FlowVerdict::vanishing:
    case FlowVerdict::exploding:
      record.reason = fmt::format("{}, more than {:g} depth scales (Schoenholz et al. 2017)", scale,
                                  thresholds.trainable_depth_scales);
      break;
    case FlowVerdict::healthy:
      record.reason = fmt::format("{}, within {:g} depth scales (Schoenholz et al. 2017)", scale,
                                  thresholds.trainable_depth_scales);
      break;
  }
  return record;
}

std::vector<StateGradients> state_gradients_through_time(const Layer& model, const Tensor& x) {
  Collector collector;
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = mean(model(x));
  {
    ObserveRecurrentSteps observe(collector);
    tape.gradient(loss, x);
  }
  for (StateGradients& g : collector.result) g.gain_per_step = fitted_gain(g.grad_norm);
  return collector.result;
}

KernelSpectrum recurrent_kernel_spectrum(const RecurrentImpl& layer) {
  if (!layer.built()) fail("{}: the layer is not built yet; call it once before reading its spectrum", layer.name());
  static const std::vector<std::vector<std::string>> kGateNames = {{"h"}, {"i", "f", "c", "o"}, {"z", "r", "h"}};
  const Tensor kernel = layer.recurrent_kernel().value();
  const int64_t u = layer.units();
  KernelSpectrum out;
  out.layer = layer.name();
  const auto& names = kGateNames[static_cast<std::size_t>(layer.cell())];
  for (int64_t g = 0; g < gate_count(layer.cell()); ++g) {
    const std::vector<double> b = block(kernel, g * u, u);
    out.gates.push_back({names[g], largest_singular_value(b, u), spectral_radius(b, u)});
  }
  // A layer-normalized recurrence rescales W h_{t-1} by its own spread, outside the theorem.
  const bool plain = layer.cell() == RecurrentCell::simple_rnn && !layer.options().layer_norm;
  out.pascanu_bound = plain ? pascanu_bound(layer.options().activation) : std::numeric_limits<double>::quiet_NaN();
  // An orthogonal kernel's σ_max is 1 up to rounding: it must be below the bound by more than that.
  out.vanishing_guaranteed = out.gates.front().largest_singular_value < out.pascanu_bound * (1 - kBoundMargin);
  return out;
}

}  // namespace gradlab
