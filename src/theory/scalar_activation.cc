#include "gradlab/theory/scalar_activation.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/activation_table.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"

namespace gradlab::theory {
namespace {

// phi' goes through the kernel's backward rule with an upstream gradient of 1, so the theory's phi'
// is the slope gradlab's backward pass uses, kink conventions included.
template <typename A>
double slope(double x) {
  if constexpr (A::kSlopeFrom == detail::SlopeFrom::output) return A::d(1.0, A::f(x));
  return A::d(1.0, x);
}

// The element-wise rows of the table of activations, then their aliases.
const std::vector<ScalarActivation>& table() {
  namespace traits = detail::activation_traits;
  static const std::vector<ScalarActivation> entries = [] {
    std::vector<ScalarActivation> v = {
#define GRADLAB_SCALAR(name, slope_from, forward, d, saturation, dead, kinks, homogeneous, ...) \
  {#name, &traits::name::f<double>, &slope<traits::name>, {GRADLAB_UNPARENTHESIZE kinks}, homogeneous},
        GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_SCALAR)
#undef GRADLAB_SCALAR
    };
    const auto row_named = [&v](std::string_view name) {
      return *std::find_if(v.begin(), v.end(), [name](const ScalarActivation& a) { return a.name == name; });
    };
#define GRADLAB_SCALAR_ALIAS(alias, row) \
  v.push_back(row_named(#row));           \
  v.back().name = #alias;
    GRADLAB_ACTIVATION_ALIASES(GRADLAB_SCALAR_ALIAS)
#undef GRADLAB_SCALAR_ALIAS
    return v;
  }();
  return entries;
}

}  // namespace

const ScalarActivation& scalar_activation(std::string_view name) {
  for (const ScalarActivation& a : table()) {
    if (a.name == name) return a;
  }
  const bool known = std::find(activation_names().begin(), activation_names().end(), name) != activation_names().end();
  fail("unknown activation '{}'{}; the theory covers the elementwise activations: {}", name,
       known ? " for the mean-field theory (it is not elementwise)" : "", fmt::join(scalar_activation_names(), ", "));
}

std::vector<std::string> scalar_activation_names() {
  std::vector<std::string> names;
  for (const ScalarActivation& a : table()) names.push_back(a.name);
  return names;
}

}  // namespace gradlab::theory
