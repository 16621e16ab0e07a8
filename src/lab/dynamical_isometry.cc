// Jacobian spectra of Dense stacks at the edge of chaos, Gaussian against orthogonal weights.
#include "gradlab/lab/dynamical_isometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "gradlab/autograd/ops.h"
#include "gradlab/error.h"
#include "gradlab/nn/gaussian_init.h"
#include "gradlab/tensor/creation.h"
#include "gradlab/tensor/rng.h"
#include "gradlab/theory/critical_line.h"
#include "gradlab/theory/scalar_activation.h"

namespace gradlab {

std::string_view isometry_weights_name(IsometryWeights weights) {
  return weights == IsometryWeights::gaussian ? "gaussian" : "orthogonal";
}

std::vector<IsometryDepth> dense_stack_jacobians(const std::vector<Dense>& layers, const Tensor& example,
                                                 std::span<const int> depths) {
  if (!example.defined() || example.rank() != 2 || example.dim(0) != 1) {
    fail("dense_stack_jacobians: the example must be one row [1, features], got {}",
         example.defined() ? example.shape().to_string() : std::string("an undefined tensor"));
  }
  for (std::size_t k = 0; k < depths.size(); ++k) {
    if (depths[k] < 1 || depths[k] > static_cast<int>(layers.size()) || (k > 0 && depths[k] <= depths[k - 1])) {
      fail("dense_stack_jacobians: depths must ascend within [1, {}], got {} at position {}", layers.size(), depths[k], k);
    }
  }
  for (const Dense& layer : layers) {
    if (!layer.kernel().value().defined()) fail("dense_stack_jacobians: layer {} is not built", layer.name());
  }
  // The layers' own arithmetic, in float64, on the tape: x @ kernel + bias, then the activation.
  const Tensor x = example.to(DType::float64);
  GradientTape tape({.persistent = true, .watch_accessed_variables = false});
  tape.watch(x);
  std::vector<Tensor> outputs;
  Tensor h = x;
  for (std::size_t k = 0; k < layers.size() && static_cast<int>(k) < (depths.empty() ? 0 : depths.back()); ++k) {
    const DenseImpl& dense = layers[k].impl();
    Tensor pre = matmul(h, dense.kernel().value().to(DType::float64));
    if (dense.bias().value().defined()) pre = add(pre, dense.bias().value().to(DType::float64));
    h = get_activation(dense.options().activation)(pre);
    outputs.push_back(h);
  }
  std::vector<IsometryDepth> out;
  for (const int depth : depths) {
    out.push_back({.depth = depth,
                   .spectrum = jacobian_spectrum(input_output_jacobian(tape, outputs[static_cast<std::size_t>(depth - 1)], x))});
  }
  return out;
}

void validate(const DynamicalIsometryOptions& options) {
  if (options.width < 1 || options.width > kMaxIsometryWidth) {
    fail("dynamical isometry: width must be in [1, {}], got {}", kMaxIsometryWidth, options.width);
  }
  if (options.depths.empty()) fail("dynamical isometry: needs at least one depth");
  std::vector<int> depths = options.depths;
  std::sort(depths.begin(), depths.end());
  for (std::size_t k = 0; k < depths.size(); ++k) {
    if (depths[k] < 1 || depths[k] > kMaxIsometryDepth) {
      fail("dynamical isometry: every depth must be in [1, {}], got {}", kMaxIsometryDepth, depths[k]);
    }
    if (k > 0 && depths[k] == depths[k - 1]) fail("dynamical isometry: depth {} is listed twice", depths[k]);
  }
  if (!std::isfinite(options.sigma_b2) || options.sigma_b2 < 0) {
    fail("dynamical isometry: sigma_b2 must be finite and >= 0, got {}", options.sigma_b2);
  }
  if (options.activations.empty()) fail("dynamical isometry: needs at least one activation");
  for (const std::string& activation : options.activations) {
    const double w2 = theory::critical_sigma_w2(theory::scalar_activation(activation), options.sigma_b2);
    if (!std::isfinite(w2)) {
      fail("dynamical isometry: {} has no critical sigma_w2 at sigma_b2 = {} (chi_1 < 1 up to 1e6)", activation, options.sigma_b2);
    }
  }
}

namespace {

// The theory's mean squared singular value after each depth: the product of chi(q^l) along the
// length map from the example's q^1 (the first layer sees the example itself).
std::vector<double> predicted_means(const theory::ScalarActivation& phi, const theory::InitVariances& v, double q1,
                                    int deepest) {
  std::vector<double> means;
  double q = q1, product = 1;
  for (int l = 1; l <= deepest; ++l) {
    const double chi = std::isfinite(q) ? theory::gradient_gain(phi, {.sigma_w2 = v.sigma_w2, .sigma_b2 = v.sigma_b2}, q)
                                        : std::nan("");
    product *= chi;
    means.push_back(product);
    q = std::isfinite(q) ? theory::length_map(phi, v, q) : q;
  }
  return means;
}

IsometryArm measure_arm(const DynamicalIsometryOptions& o, const std::string& activation, IsometryWeights weights,
                        uint64_t stream) {
  const theory::ScalarActivation& phi = theory::scalar_activation(activation);
  IsometryArm arm{.activation = activation, .weights = weights};
  arm.variances = {.sigma_w2 = theory::critical_sigma_w2(phi, o.sigma_b2), .sigma_b2 = o.sigma_b2};
  arm.propagation = theory::gradient_propagation(phi, arm.variances);
  const double q_star = arm.propagation.q_star;
  arm.q_in = std::isfinite(q_star) && q_star > 0 ? q_star : 1.0;

  Rng rng = Rng(o.seed).fork(stream);
  const GaussianInit init{.sigma_w2 = arm.variances.sigma_w2, .sigma_b2 = arm.variances.sigma_b2};
  const Initializer kernel =
      weights == IsometryWeights::gaussian ? gaussian_kernel(init) : orthogonal(std::sqrt(arm.variances.sigma_w2));
  // The example: phi(sqrt(q_in) z), the activation of a layer whose pre-activations have length q_in.
  const std::vector<double> z = normal({1, o.width}, rng, 0.0, 1.0, DType::float64).to_vector();
  std::vector<double> x(z.size());
  for (std::size_t i = 0; i < z.size(); ++i) x[i] = phi.value(std::sqrt(arm.q_in) * z[i]);
  const Tensor example = from_values({1, o.width}, x, DType::float64);

  std::vector<Dense> layers;
  Tensor h = example;
  for (int k = 1; k <= o.depths.back(); ++k) {
    Dense layer(o.width, {.activation = activation, .kernel_initializer = kernel, .bias_initializer = gaussian_bias(init),
                          .name = fmt::format("layer{}", k)});
    layer.impl().set_rng(&rng);
    h = layer(h);  // builds it, drawing kernel then bias
    layers.push_back(std::move(layer));
  }
  arm.depths = dense_stack_jacobians(layers, example, o.depths);
  double mean_square = 0;
  for (const double v : x) mean_square += v * v;
  mean_square /= static_cast<double>(x.size());
  const std::vector<double> predicted =
      predicted_means(phi, arm.variances, arm.variances.sigma_w2 * mean_square + arm.variances.sigma_b2, o.depths.back());
  for (IsometryDepth& d : arm.depths) d.predicted_mean_squared = predicted[static_cast<std::size_t>(d.depth - 1)];
  return arm;
}

}  // namespace

DynamicalIsometry run_dynamical_isometry(const DynamicalIsometryOptions& options) {
  validate(options);
  DynamicalIsometry study{.options = options};
  std::sort(study.options.depths.begin(), study.options.depths.end());
  uint64_t stream = 0;
  for (const std::string& activation : study.options.activations) {
    for (const IsometryWeights weights : {IsometryWeights::gaussian, IsometryWeights::orthogonal}) {
      study.arms.push_back(measure_arm(study.options, activation, weights, ++stream));
    }
  }
  return study;
}

}  // namespace gradlab
