// Expanding a sweep grid: validation, ids, seeds and the documented order (sweep.h).
#include <algorithm>

#include <fmt/format.h>

#include "gradlab/autograd/activations.h"
#include "gradlab/error.h"
#include "gradlab/instrument/sweep.h"
#include "gradlab/nn/initializers.h"
#include "gradlab/tensor/rng.h"

namespace gradlab {
namespace {

constexpr int kMaxDepth = 10000;
constexpr int64_t kMaxUnits = int64_t{1} << 20;

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

std::string_view sweep_skip_name(SkipConnection skip) {
  switch (skip) {
    case SkipConnection::none: return "none";
    case SkipConnection::residual: return "residual";
    case SkipConnection::concat: return "concat";
  }
  fail("sweep_skip_name: unknown SkipConnection {}", static_cast<int>(skip));
}

SkipConnection parse_sweep_skip(std::string_view name) {
  for (const SkipConnection skip : kSkipConnections) {
    if (sweep_skip_name(skip) == name) return skip;
  }
  fail("unknown skip connection '{}' (known: none, residual, concat)", name);
}

SkipNormalization parse_sweep_norm(std::string_view name) {
  for (const SkipNormalization n : {SkipNormalization::none, SkipNormalization::batch, SkipNormalization::layer,
                                    SkipNormalization::group}) {
    if (skip_normalization_name(n) == name) return n;
  }
  fail("unknown normalization '{}' (known: none, batch, layer, group)", name);
}

void validate_grid(const SweepGrid& g) {
  check_list(g.depths, "depth", as_is<int>);
  check_range(g.depths, "depth", 1, kMaxDepth);
  check_list(g.widths, "width", as_is<int64_t>);
  check_range(g.widths, "width", int64_t{1}, kMaxUnits);
  check_list(g.activations, "activation", quoted);
  check_names(g.activations, "activation", activation_names());
  check_names(g.initializers, "init", initializer_names());
  // Aliases ("GlorotUniform") name the same initializer, and so the same id.
  std::vector<std::string> canonical;
  for (const std::string& name : g.initializers) canonical.push_back(Initializer(name).name());
  check_list(canonical, "init", quoted);
  check_list(g.normalizations, "norm", [](SkipNormalization n) { return quoted(std::string(skip_normalization_name(n))); });
  check_list(g.skips, "skip", [](SkipConnection s) { return quoted(std::string(sweep_skip_name(s))); });
  check_list(g.batches, "batch", as_is<int64_t>);
  check_range(g.batches, "batch", int64_t{1}, kMaxUnits);
  check_list(g.dtypes, "dtype", [](DType d) { return quoted(std::string(dtype_name(d))); });
  if (g.trials < 1 || g.trials > 1000000) fail("sweep grid: 'trials' is {}; expected 1 to 1000000", g.trials);
  if (grid_size(g) > 10000000) fail("sweep grid: {} configurations; at most 10000000 are allowed", grid_size(g));
}

int64_t grid_size(const SweepGrid& g) {
  // Saturating, so a hostile grid cannot overflow the count before validate_grid refuses it.
  int64_t n = 1;
  for (const std::size_t size : {g.depths.size(), g.widths.size(), g.activations.size(), g.initializers.size(),
                                 g.normalizations.size(), g.skips.size(), g.batches.size(), g.dtypes.size(),
                                 static_cast<std::size_t>(std::max(g.trials, 0))}) {
    n = std::min<int64_t>(n * static_cast<int64_t>(std::min<std::size_t>(size, 1u << 30)), int64_t{1} << 40);
  }
  return n;
}

std::string sweep_config_id(const SkipNetworkOptions& n, int trial) {
  return fmt::format("depth={},width={},activation={},init={},norm={},skip={},batch={},dtype={},trial={}", n.depth,
                     n.units, n.activation, n.kernel_initializer.name(), skip_normalization_name(n.normalization),
                     sweep_skip_name(n.skip), n.batch, dtype_name(n.dtype), trial);
}

uint64_t sweep_config_seed(uint64_t base_seed, std::string_view id) { return Rng(base_seed).fork(fnv1a_64(id)).seed(); }

std::vector<SweepConfig> expand_grid(const SweepGrid& g) {
  validate_grid(g);
  std::vector<SweepConfig> configs;
  configs.reserve(static_cast<std::size_t>(grid_size(g)));
  for (const int depth : g.depths)
    for (const int64_t width : g.widths)
      for (const std::string& activation : g.activations)
        for (const std::string& init : g.initializers)
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
                                 .kernel_initializer = init,
                                 .batch = batch,
                                 .input_features = 128,
                                 .dtype = dtype,
                                 .normalization = norm};
                    c.trial = trial;
                    c.id = sweep_config_id(c.network, trial);
                    c.seed = sweep_config_seed(g.seed, c.id);
                    configs.push_back(std::move(c));
                  }
  return configs;
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
