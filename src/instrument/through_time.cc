#include "gradlab/instrument/through_time.h"

#include <cmath>
#include <limits>

#include "gradlab/autograd/activation_facts.h"
#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/ops.h"
#include "gradlab/autograd/recurrent_op.h"
#include "gradlab/error.h"

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

}  // namespace

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
  out.pascanu_bound = layer.cell() == RecurrentCell::simple_rnn ? pascanu_bound(layer.options().activation)
                                                                : std::numeric_limits<double>::quiet_NaN();
  out.vanishing_guaranteed = out.gates.front().largest_singular_value < out.pascanu_bound;
  return out;
}

}  // namespace gradlab
