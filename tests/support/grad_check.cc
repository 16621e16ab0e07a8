#include "support/grad_check.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gradlab/autograd/gradient_tape.h"
#include "gradlab/autograd/math_ops.h"
#include "gradlab/autograd/reduce_ops.h"

namespace gradlab::test {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string index_string(const Shape& shape, int64_t flat) {
  std::vector<int64_t> index(static_cast<std::size_t>(shape.rank()));
  for (int64_t d = shape.rank(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return fmt::format("[{}]", fmt::join(index, ", "));
}

// The numeric side reduces with a plain loop rather than with gradlab ops, so that it shares no
// code with the analytic side beyond f itself.
double project(const Tensor& y, const Tensor& r) {
  const double* py = y.data<double>();
  const double* pr = r.data<double>();
  double total = 0;
  for (int64_t i = 0, n = y.numel(); i < n; ++i) total += py[i] * pr[i];
  return total;
}

struct Worst {
  double excess = -1;  // |a - n| / tolerance; above 1 fails
  std::size_t source = 0;
  int64_t flat = 0;
  double analytic = 0, numeric = 0, tolerance = 0;
};

}  // namespace

Tensor random_tensor(const Shape& shape, uint64_t seed, double low, double high, DType dtype) {
  std::vector<double> values(static_cast<std::size_t>(shape.numel()));
  uint64_t state = seed * 0x2545f4914f6cdd1dULL + 1;
  for (double& v : values) v = low + (high - low) * static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
  Tensor t = Tensor::empty(shape, DType::float64);
  std::copy(values.begin(), values.end(), t.data<double>());
  return t.to(dtype);
}

Tensor away_from_kinks(const Tensor& x, const std::vector<double>& kinks, double margin) {
  Tensor out = x.to(DType::float64);
  double* p = out.data<double>();
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    for (double k : kinks) {
      if (std::abs(p[i] - k) < margin) p[i] = p[i] >= k ? k + margin : k - margin;
    }
  }
  return out.to(x.dtype());
}

::testing::AssertionResult all_close(const Tensor& actual, const Shape& shape, const std::vector<double>& expected,
                                     double tolerance) {
  if (!actual.defined()) return ::testing::AssertionFailure() << "the tensor is undefined";
  if (actual.shape() != shape) {
    return ::testing::AssertionFailure() << "shape is " << actual.shape().to_string() << ", expected "
                                         << shape.to_string();
  }
  if (static_cast<int64_t>(expected.size()) != actual.numel()) {
    return ::testing::AssertionFailure() << expected.size() << " expected values for " << actual.description();
  }
  if (tolerance < 0) tolerance = actual.dtype() == DType::float64 ? 1e-12 : 2e-6;
  const std::vector<double> v = actual.to_vector();
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool both_nan = std::isnan(v[i]) && std::isnan(expected[i]);
    const bool equal = v[i] == expected[i];
    if (!both_nan && !equal && !(std::abs(v[i] - expected[i]) <= tolerance * std::max(1.0, std::abs(expected[i])))) {
      return ::testing::AssertionFailure() << fmt::format(
                 "{} at index {}: got {:.17g}, expected {:.17g} (tolerance {:.3g})", actual.description(),
                 index_string(shape, static_cast<int64_t>(i)), v[i], expected[i], tolerance);
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult check_gradients(const GradCheckFn& f, const std::vector<Tensor>& inputs,
                                           GradCheckOptions options, const std::vector<Variable>& variables) {
  std::vector<Tensor> xs;
  for (const Tensor& in : inputs) xs.push_back(in.to(DType::float64));
  std::vector<Tensor> sources = xs;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < xs.size(); ++i) labels.push_back(fmt::format("input {}", i));
  for (const Variable& v : variables) {
    if (v.dtype() != DType::float64) {
      return ::testing::AssertionFailure() << "variable '" << v.name() << "' is " << v.value().description()
                                           << "; check_gradients needs float64 variables";
    }
    sources.push_back(v.value());
    labels.push_back(fmt::format("variable '{}'", v.name()));
  }

  const Tensor y0 = f(xs);
  if (!y0.defined()) return ::testing::AssertionFailure() << "the function returned an undefined tensor";
  if (y0.dtype() != DType::float64) {
    return ::testing::AssertionFailure() << "the function returned " << y0.description()
                                         << " for float64 inputs; check_gradients needs float64 throughout";
  }
  Tensor r = random_tensor(y0.shape(), options.seed, -1.0, 1.0);
  if (!options.random_projection) r.fill(1.0);

  std::vector<Tensor> analytic;
  {
    GradientTape tape;
    for (const Tensor& s : sources) tape.watch(s);
    const Tensor loss = sum(mul(f(xs), r));
    analytic = tape.gradient(loss, sources);
  }

  Worst worst;
  int64_t failures = 0, checked = 0;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    Tensor& source = sources[s];
    if (analytic[s].defined() && analytic[s].shape() != source.shape()) {
      return ::testing::AssertionFailure() << "the gradient of " << labels[s] << " is "
                                           << analytic[s].description() << " but " << labels[s] << " is "
                                           << source.description();
    }
    const std::vector<double> a = analytic[s].defined() ? analytic[s].to(DType::float64).to_vector()
                                                        : std::vector<double>(static_cast<std::size_t>(source.numel()), 0.0);
    double* p = source.data<double>();
    for (int64_t j = 0, n = source.numel(); j < n; ++j) {
      const double saved = p[j];
      p[j] = saved + options.epsilon;
      const double plus = project(f(xs), r);
      p[j] = saved - options.epsilon;
      const double minus = project(f(xs), r);
      p[j] = saved;
      const double numeric = (plus - minus) / (2 * options.epsilon);
      const double tolerance = options.atol + options.rtol * std::max(std::abs(a[j]), std::abs(numeric));
      const double diff = std::abs(a[j] - numeric);
      double excess = diff / tolerance;
      if (!std::isfinite(a[j]) || !std::isfinite(numeric)) {
        excess = a[j] == numeric ? 0.0 : std::numeric_limits<double>::infinity();
      }
      ++checked;
      if (excess > 1.0) ++failures;
      if (excess > worst.excess) worst = {excess, s, j, a[j], numeric, tolerance};
    }
  }
  if (failures == 0) {
    return ::testing::AssertionSuccess() << checked << " gradient elements agree (worst at "
                                         << worst.excess << " of tolerance)";
  }
  return ::testing::AssertionFailure() << fmt::format(
             "gradient check failed for {} of {} elements; worst: {} {} at index {}: analytic {:.10g}, numeric "
             "{:.10g} (|difference| {:.3g} > tolerance {:.3g})",
             failures, checked, labels[worst.source], sources[worst.source].description(),
             index_string(sources[worst.source].shape(), worst.flat), worst.analytic, worst.numeric,
             std::abs(worst.analytic - worst.numeric), worst.tolerance);
}

}  // namespace gradlab::test
