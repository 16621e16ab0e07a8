// Activation lookup by the names Keras uses in layer configs (activation="relu"), expanded from the
// table of autograd/activation_table.h.
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "autograd/activation_table.h"
#include "gradlab/autograd/activation_facts.h"
#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"

namespace gradlab {
namespace {

using detail::kNaN;

struct NamedActivation {
  Tensor (*fn)(const Tensor&);
  ActivationFacts facts;
};

#define GRADLAB_FACTS(name, slope_from, forward, slope, saturation, dead, kinks, homogeneous, inverse_max_slope) \
  {#name, true, Saturation::saturation, dead, inverse_max_slope},
constexpr ActivationFacts kElementwiseFacts[] = {GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_FACTS)};
#undef GRADLAB_FACTS

// The facts of the row `row` under the name `name` (an alias, or the row's own).
constexpr ActivationFacts facts_of(std::string_view name, std::string_view row) {
  for (ActivationFacts facts : kElementwiseFacts) {
    if (facts.name == row) {
      facts.name = name;
      return facts;
    }
  }
  throw "an alias of activation_table.h names no row";
}

// Each op with Keras's default arguments.
#define GRADLAB_NAMED(name, ...) {[](const Tensor& x) { return gradlab::name(x); }, facts_of(#name, #name)},
#define GRADLAB_NAMED_ALIAS(alias, name) \
  {[](const Tensor& x) { return gradlab::alias(x); }, facts_of(#alias, #name)},
#define GRADLAB_NAMED_ALONG_AXIS(name) \
  {[](const Tensor& x) { return gradlab::name(x); }, {#name, false, Saturation::none, false, kNaN}},

constexpr NamedActivation kActivations[] = {
    GRADLAB_ELEMENTWISE_ACTIVATIONS(GRADLAB_NAMED)
    GRADLAB_ACTIVATION_ALIASES(GRADLAB_NAMED_ALIAS)
    GRADLAB_AXIS_ACTIVATIONS(GRADLAB_NAMED_ALONG_AXIS)
};

#undef GRADLAB_NAMED
#undef GRADLAB_NAMED_ALIAS
#undef GRADLAB_NAMED_ALONG_AXIS

const NamedActivation* find_activation(std::string_view name) {
  for (const NamedActivation& a : kActivations) {
    if (name == a.facts.name) return &a;
  }
  return nullptr;
}

}  // namespace

ActivationFn get_activation(std::string_view name) {
  const NamedActivation* found = find_activation(name);
  if (found == nullptr) {
    fail("unknown activation '{}'; valid names are: {}", name, fmt::join(activation_names(), ", "));
  }
  return found->fn;
}

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const NamedActivation& a : kActivations) v.emplace_back(a.facts.name);
    return v;
  }();
  return names;
}

const ActivationFacts* find_activation_facts(std::string_view name) {
  const NamedActivation* found = find_activation(name);
  return found == nullptr ? nullptr : &found->facts;
}

bool is_saturating(std::string_view name) {
  const ActivationFacts* facts = find_activation_facts(name);
  return facts != nullptr && facts->saturation != Saturation::none;
}

}  // namespace gradlab
