// Expanding a sweep grid: validation, ids, seeds and the documented order (sweep_grid.h).
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/sweep_grid.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {


template <typename T, typename Show>
void check_list(const std::vector<T>& values, const char* key, Show show) {
  if (values.empty()) fail("sweep grid: '{}' is empty; give at least one value", key);
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (values[j] == values[i]) {
        fail("sweep grid: '{}' lists {} twice (its configurations would share an id)", key, show(values[i]));
      }
    }
  }
}

template <typename T>
void check_range(const std::vector<T>& values, const char* key, T low, T high) {
  for (const T v : values) {
    if (v < low || v > high) fail("sweep grid: '{}' value {} is out of range; expected {} to {}", key, v, low, high);
  }
}

void check_names(const std::vector<std::string>& values, const char* key, const std::vector<std::string>& known) {
  for (const std::string& v : values) {
    if (std::find(known.begin(), known.end(), v) == known.end()) {
      fail("sweep grid: '{}' value '{}' is unknown (known: {})", key, v, fmt::join(known, ", "));
    }
  }
}

// Numbers in ids and results: the shortest text that reads back to the same double.
std::string number_text(double v) { return fmt::format("{}", v); }

void check_variances(const std::vector<double>& values, const char* key) {
  check_list(values, key, number_text);
  for (const double v : values) {
    if (!std::isfinite(v) || v < 0) fail("sweep grid: '{}' value {} is out of range; expected a finite number >= 0", key, v);
  }
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }
template <typename T>
T as_is(T v) {
  return v;
}

// 64-bit FNV-1a: a fixed, documented hash, so seeds are the same on every platform and version.
uint64_t fnv1a_64(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace

void validate_grid(const SweepGrid& g) {
  check_list(g.depths, "depth", as_is<int>);
  check_range(g.depths, "depth", 1, kMaxProbeDepth);
  check_list(g.widths, "width", as_is<int64_t>);
  check_range(g.widths, "width", int64_t{1}, kMaxProbeUnits);
  check_list(g.activations, "activation", quoted);
  check_names(g.activations, "activation", activation_names());
  if (g.sigma_w2s.empty()) {
    if (!g.sigma_b2s.empty()) fail("sweep grid: 'sigma_b2' needs 'sigma_w2' (the variances replace the initializer together)");
    check_names(g.initializers, "init", initializer_names());
    // Aliases ("GlorotUniform") name the same initializer, and so the same id.
    std::vector<std::string> canonical;
    for (const std::string& name : g.initializers) canonical.push_back(Initializer(name).name());
    check_list(canonical, "init", quoted);
  } else {
    check_variances(g.sigma_w2s, "sigma_w2");
    if (!g.sigma_b2s.empty()) check_variances(g.sigma_b2s, "sigma_b2");
  }
  check_list(g.normalizations, "norm", [](SkipNormalization n) { return quoted(std::string(skip_normalization_name(n))); });
  for (const SkipNormalization n : g.normalizations) {
    // Instance normalization passes nothing on the sweep's [batch, features] vectors (skip_network.h).
    if (!is_swept(n)) {
      fail("sweep grid: 'norm' value '{}' is not swept: on vectors it passes no gradient", skip_normalization_name(n));
    }
  }
  check_list(g.skips, "skip", [](SkipConnection s) { return quoted(std::string(skip_connection_name(s))); });
  check_list(g.batches, "batch", as_is<int64_t>);
  check_range(g.batches, "batch", int64_t{1}, kMaxProbeUnits);
  check_list(g.dtypes, "dtype", [](DType d) { return quoted(std::string(dtype_name(d))); });
  if (g.trials < 1 || g.trials > kMaxSweepTrials) {
    fail("sweep grid: 'trials' is {}; expected 1 to {}", g.trials, kMaxSweepTrials);
  }
  if (grid_size(g) > kMaxSweepConfigurations) {
    fail("sweep grid: {} configurations; at most {} are allowed", grid_size(g), kMaxSweepConfigurations);
  }
}

int64_t grid_size(const SweepGrid& g) {
  // Saturating, so a hostile grid cannot overflow the count before validate_grid refuses it.
  int64_t n = 1;
  const std::size_t inits = g.sigma_w2s.empty() ? g.initializers.size() : g.sigma_w2s.size() * std::max<std::size_t>(g.sigma_b2s.size(), 1);
  for (const std::size_t size : {g.depths.size(), g.widths.size(), g.activations.size(), inits,
                                 g.normalizations.size(), g.skips.size(), g.batches.size(), g.dtypes.size(),
                                 static_cast<std::size_t>(std::max(g.trials, 0))}) {
    n = std::min<int64_t>(n * static_cast<int64_t>(std::min<std::size_t>(size, 1u << 30)), int64_t{1} << 40);
  }
  return n;
}

namespace {

using Parameters = std::vector<std::pair<std::string, std::string>>;

Parameters network_parameters(const SkipNetworkOptions& n) {
  Parameters p{{"depth", std::to_string(n.depth)},
          {"width", std::to_string(n.units)},
          {"activation", n.activation},
          {"init", n.kernel_initializer.name()},
          {"norm", std::string(skip_normalization_name(n.normalization))},
          {"skip", std::string(skip_connection_name(n.skip))},
          {"batch", std::to_string(n.batch)},
          {"dtype", std::string(dtype_name(n.dtype))}};
  if (n.gaussian_init) {
    p[3] = {"sigma_w2", number_text(n.gaussian_init->sigma_w2)};
    p.insert(p.begin() + 4, {"sigma_b2", number_text(n.gaussian_init->sigma_b2)});
  }
  return p;
}

Parameters variant_parameters(const SpecVariant& v) {
  Parameters p{{"model", v.spec ? v.spec->name : std::string()}};
  if (v.overrides.kernel_initializer) p.emplace_back("init", *v.overrides.kernel_initializer);
  if (v.overrides.hidden_activation) p.emplace_back("activation", *v.overrides.hidden_activation);
  if (v.batch) p.emplace_back("batch", std::to_string(*v.batch));
  if (v.input_distribution) p.emplace_back("input", std::string(input_distribution_name(*v.input_distribution)));
  if (v.dtype) p.emplace_back("dtype", std::string(dtype_name(*v.dtype)));
  return p;
}

Parameters recurrent_parameters(const RecurrentNetworkOptions& n) {
  return {{"cell", std::string(cell_name(n.cell))},
          {"layers", std::to_string(n.layers)},
          {"units", std::to_string(n.units)},
          {"time_steps", std::to_string(n.time_steps)},
          {"activation", n.activation},
          {"init", n.kernel_initializer.name()},
          {"recurrent_init", n.recurrent_initializer.name()},
          {"norm", n.layer_norm ? "layer" : "none"},
          {"batch", std::to_string(n.batch)},
          {"dtype", std::string(dtype_name(n.dtype))}};
}

Parameters with_loss(Parameters p, ProbeLoss loss) {
  if (loss != ProbeLoss::automatic) p.emplace_back("loss", std::string(probe_loss_name(loss)));
  return p;
}

std::string id_of(const Parameters& parameters, int trial) {
  std::string id;
  for (const auto& [name, value] : parameters) id += name + "=" + value + ",";
  return id + "trial=" + std::to_string(trial);
}

}  // namespace

std::vector<std::pair<std::string, std::string>> sweep_config_parameters(const SweepConfig& config) {
  return with_loss(config.spec        ? variant_parameters(*config.spec)
                   : config.recurrent ? recurrent_parameters(*config.recurrent)
                                      : network_parameters(config.network),
                   config.probe_loss);
}

std::string sweep_config_id(const SkipNetworkOptions& n, int trial) { return id_of(network_parameters(n), trial); }

uint64_t sweep_config_seed(uint64_t base_seed, std::string_view id) { return Rng(base_seed).fork(fnv1a_64(id)).seed(); }

namespace {

// One value of the init axis: an initializer by name, or the variances that replace it.
struct InitChoice {
  std::string initializer = SkipNetworkOptions{}.kernel_initializer.name();
  std::optional<GaussianInit> gaussian;
};

std::vector<InitChoice> init_choices(const SweepGrid& g) {
  std::vector<InitChoice> choices;
  if (g.sigma_w2s.empty()) {
    for (const std::string& name : g.initializers) choices.push_back({.initializer = name});
    return choices;
  }
  const std::vector<double> sigma_b2s = g.sigma_b2s.empty() ? std::vector<double>{0.0} : g.sigma_b2s;
  for (const double w2 : g.sigma_w2s)
    for (const double b2 : sigma_b2s) choices.push_back({.gaussian = GaussianInit{.sigma_w2 = w2, .sigma_b2 = b2}});
  return choices;
}

}  // namespace

std::vector<SweepConfig> expand_grid(const SweepGrid& g) {
  validate_grid(g);
  std::vector<SweepConfig> configs;
  configs.reserve(static_cast<std::size_t>(grid_size(g)));
  for (const int depth : g.depths)
    for (const int64_t width : g.widths)
      for (const std::string& activation : g.activations)
        for (const InitChoice& init : init_choices(g))
          for (const SkipNormalization norm : g.normalizations)
            for (const SkipConnection skip : g.skips)
              for (const int64_t batch : g.batches)
                for (const DType dtype : g.dtypes)
                  for (int trial = 0; trial < g.trials; ++trial) {
                    SweepConfig c;
                    c.network = {.skip = skip,
                                 .depth = depth,
                                 .units = width,
                                 .activation = activation,
                                 .kernel_initializer = init.initializer,
                                 .gaussian_init = init.gaussian,
                                 .batch = batch,
                                 .input_features = 128,
                                 .dtype = dtype,
                                 .normalization = norm};
                    c.trial = trial;
                    c.probe_loss = g.probe_loss;
                    c.id = id_of(with_loss(network_parameters(c.network), g.probe_loss), trial);
                    c.seed = sweep_config_seed(g.seed, c.id);
                    configs.push_back(std::move(c));
                  }
  return configs;
}

namespace {

// Initializer names, each known and, by its canonical name, listed once.
void check_initializers(const std::vector<std::string>& names, const char* key) {
  check_names(names, key, initializer_names());
  std::vector<std::string> canonical;
  for (const std::string& name : names) canonical.push_back(Initializer(name).name());
  check_list(canonical, key, quoted);
}

}  // namespace

void validate_recurrent_grid(const RecurrentSweepGrid& g) {
  check_list(g.cells, "cell", [](RecurrentCell c) { return quoted(std::string(cell_name(c))); });
  check_list(g.layers, "layers", as_is<int>);
  check_range(g.layers, "layers", 1, kMaxProbeDepth);
  check_list(g.units, "units", as_is<int64_t>);
  check_range(g.units, "units", int64_t{1}, kMaxProbeUnits);
  check_list(g.time_steps, "time_steps", as_is<int64_t>);
  check_range(g.time_steps, "time_steps", int64_t{1}, kMaxProbeTimeSteps);
  check_list(g.activations, "activation", quoted);
  check_names(g.activations, "activation", activation_names());
  check_initializers(g.initializers, "init");
  check_initializers(g.recurrent_initializers, "recurrent_init");
  check_list(g.layer_norms, "norm", [](bool on) { return quoted(on ? "layer" : "none"); });
  check_list(g.batches, "batch", as_is<int64_t>);
  check_range(g.batches, "batch", int64_t{1}, kMaxProbeUnits);
  check_list(g.dtypes, "dtype", [](DType d) { return quoted(std::string(dtype_name(d))); });
  if (g.trials < 1 || g.trials > kMaxSweepTrials) {
    fail("sweep grid: 'trials' is {}; expected 1 to {}", g.trials, kMaxSweepTrials);
  }
  if (recurrent_grid_size(g) > kMaxSweepConfigurations) {
    fail("sweep grid: {} configurations; at most {} are allowed", recurrent_grid_size(g), kMaxSweepConfigurations);
  }
}

int64_t recurrent_grid_size(const RecurrentSweepGrid& g) {
  int64_t n = 1;
  for (const std::size_t size : {g.cells.size(), g.layers.size(), g.units.size(), g.time_steps.size(),
                                 g.activations.size(), g.initializers.size(), g.recurrent_initializers.size(),
                                 g.layer_norms.size(), g.batches.size(), g.dtypes.size(),
                                 static_cast<std::size_t>(std::max(g.trials, 0))}) {
    n = std::min<int64_t>(n * static_cast<int64_t>(std::min<std::size_t>(size, 1u << 30)), int64_t{1} << 40);
  }
  return n;
}

std::vector<SweepConfig> expand_recurrent_grid(const RecurrentSweepGrid& g) {
  validate_recurrent_grid(g);
  std::vector<SweepConfig> configs;
  configs.reserve(static_cast<std::size_t>(recurrent_grid_size(g)));
  for (const RecurrentCell cell : g.cells)
    for (const int layers : g.layers)
      for (const int64_t units : g.units)
        for (const int64_t steps : g.time_steps)
          for (const std::string& activation : g.activations)
            for (const std::string& init : g.initializers)
              for (const std::string& recurrent_init : g.recurrent_initializers)
                for (const bool layer_norm : g.layer_norms)
                  for (const int64_t batch : g.batches)
                    for (const DType dtype : g.dtypes)
                      for (int trial = 0; trial < g.trials; ++trial) {
                        SweepConfig c;
                        c.recurrent = RecurrentNetworkOptions{.cell = cell,
                                                              .layers = layers,
                                                              .units = units,
                                                              .time_steps = steps,
                                                              .activation = activation,
                                                              .kernel_initializer = Initializer(init).name(),
                                                              .recurrent_initializer = Initializer(recurrent_init).name(),
                                                              .layer_norm = layer_norm,
                                                              .batch = batch,
                                                              .input_features = 128,
                                                              .dtype = dtype};
                        c.trial = trial;
                        c.id = id_of(recurrent_parameters(*c.recurrent), trial);
                        c.seed = sweep_config_seed(g.seed, c.id);
                        configs.push_back(std::move(c));
                      }
  return configs;
}

void validate_spec_grid(const SpecSweepGrid& g) {
  if (!g.spec) fail("sweep grid: no model spec to sweep");
  if (!g.initializers.empty()) {
    check_names(g.initializers, "init", initializer_names());
    std::vector<std::string> canonical;
    for (const std::string& name : g.initializers) canonical.push_back(Initializer(name).name());
    check_list(canonical, "init", quoted);
  }
  if (!g.activations.empty()) {
    check_list(g.activations, "activation", quoted);
    check_names(g.activations, "activation", activation_names());
  }
  if (!g.batches.empty()) {
    check_list(g.batches, "batch", as_is<int64_t>);
    check_range(g.batches, "batch", int64_t{1}, kMaxProbeUnits);
  }
  if (!g.input_distributions.empty()) {
    check_list(g.input_distributions, "input_dist",
               [](InputDistribution d) { return quoted(std::string(input_distribution_name(d))); });
  }
  if (!g.dtypes.empty()) check_list(g.dtypes, "dtype", [](DType d) { return quoted(std::string(dtype_name(d))); });
  if (g.trials < 1 || g.trials > kMaxSweepTrials) {
    fail("sweep grid: 'trials' is {}; expected 1 to {}", g.trials, kMaxSweepTrials);
  }
  if (spec_grid_size(g) > kMaxSweepConfigurations) {
    fail("sweep grid: {} configurations; at most {} are allowed", spec_grid_size(g), kMaxSweepConfigurations);
  }
  // The spec must take each override: one layer of each kind is enough to know.
  apply_spec_overrides(*g.spec, {.kernel_initializer = g.initializers.empty() ? std::nullopt : std::optional(g.initializers[0]),
                                 .hidden_activation = g.activations.empty() ? std::nullopt : std::optional(g.activations[0])});
  if (g.inputs) {
    if (!g.batches.empty() || !g.input_distributions.empty()) {
      fail("sweep grid: given inputs ({}) fix the batch and the input; 'batch' and 'input_dist' do not apply",
           g.inputs_source.empty() ? "<memory>" : g.inputs_source);
    }
    const auto& inputs = g.spec->inputs;
    if (g.inputs->size() != inputs.size()) {
      fail("sweep grid: {} input tensor(s) given for the {} input(s) of model '{}' ({})", g.inputs->size(),
           inputs.size(), g.spec->name, g.spec->source);
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& x = (*g.inputs)[i];
      const Shape& shape = inputs[i].second;
      bool fits = x.rank() == shape.rank() + 1 && x.dim(0) >= 1;
      for (int64_t d = 0; fits && d < shape.rank(); ++d) fits = x.dim(d + 1) == shape[d];
      if (!fits) {
        fail("sweep grid: the given tensor for input '{}' of model '{}' is {}, expected a batch of {}", inputs[i].first,
             g.spec->name, x.description(), shape.to_string());
      }
    }
  }
}

int64_t spec_grid_size(const SpecSweepGrid& g) {
  int64_t n = 1;
  for (const std::size_t size : {g.initializers.size(), g.activations.size(), g.batches.size(),
                                 g.input_distributions.size(), g.dtypes.size(),
                                 static_cast<std::size_t>(std::max(g.trials, 0))}) {
    // An empty list is one value: the spec's own, or the default.
    n = std::min<int64_t>(n * static_cast<int64_t>(std::clamp<std::size_t>(size, 1, 1u << 30)), int64_t{1} << 40);
  }
  return std::max(g.trials, 0) == 0 ? 0 : n;
}

std::vector<SweepConfig> expand_spec_grid(const SpecSweepGrid& g) {
  validate_spec_grid(g);
  // An absent axis is one pass of its loop with no value.
  const auto axis = [](const auto& list) {
    using T = typename std::decay_t<decltype(list)>::value_type;
    std::vector<std::optional<T>> values(list.begin(), list.end());
    if (values.empty()) values.emplace_back();
    return values;
  };
  std::vector<SweepConfig> configs;
  configs.reserve(static_cast<std::size_t>(spec_grid_size(g)));
  for (const auto& init : axis(g.initializers))
    for (const auto& activation : axis(g.activations))
      for (const auto& batch : axis(g.batches))
        for (const auto& distribution : axis(g.input_distributions))
          for (const auto& dtype : axis(g.dtypes))
            for (int trial = 0; trial < g.trials; ++trial) {
              SweepConfig c;
              c.spec = SpecVariant{.spec = g.spec,
                                   .overrides = {.kernel_initializer = init ? std::optional(Initializer(*init).name()) : std::nullopt,
                                                 .hidden_activation = activation},
                                   .batch = batch,
                                   .input_distribution = distribution,
                                   .dtype = dtype,
                                   .inputs = g.inputs,
                                   .inputs_source = g.inputs_source};
              c.trial = trial;
              c.probe_loss = g.probe_loss;
              c.id = id_of(with_loss(variant_parameters(*c.spec), g.probe_loss), trial);
              c.seed = sweep_config_seed(g.seed, c.id);
              configs.push_back(std::move(c));
            }
  return configs;
}

std::string spec_digest(const ModelSpec& spec) {
  // Layers sorted by name: the order they are listed in does not change the network.
  std::vector<const LayerSpec*> layers;
  for (const LayerSpec& layer : spec.layers) layers.push_back(&layer);
  std::sort(layers.begin(), layers.end(), [](const LayerSpec* a, const LayerSpec* b) { return a->name < b->name; });
  nlohmann::ordered_json canonical = {{"name", spec.name}, {"inputs", nlohmann::ordered_json::array()},
                                      {"layers", nlohmann::ordered_json::array()}, {"outputs", spec.outputs}};
  for (const auto& [name, shape] : spec.inputs) {
    canonical["inputs"].push_back({name, std::vector<int64_t>(shape.dims().begin(), shape.dims().end())});
  }
  for (const LayerSpec* layer : layers) canonical["layers"].push_back({layer->name, layer->type, layer->inputs, layer->options});
  return fmt::format("{:016x}", fnv1a_64(canonical.dump()));
}

SweepGrid lesson_remedy_grid(int trials, uint64_t seed) {
  return {.depths = {4, 8, 16, 32, 64},
          .widths = {32},
          .activations = {"relu", "tanh", "sigmoid"},
          .initializers = {"glorot_uniform", "he_uniform", "lecun_normal"},
          .normalizations = {SkipNormalization::none, SkipNormalization::batch, SkipNormalization::layer},
          .skips = {SkipConnection::none, SkipConnection::residual, SkipConnection::concat},
          .batches = {32},
          .dtypes = {DType::float32},
          .trials = trials,
          .seed = seed};
}

}  // namespace gradlab
