// The --grid file of `gradlab sweep`: a JSON object of lists, read as hostile input.
#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "gradlab/error.h"
#include "gradlab/io/json_error.h"
#include "gradlab/lab/probe_configuration.h"
#include "gradlab/lab/recurrent_network.h"
#include "sweep_files.h"

namespace gradlab::cli {
namespace {

using Json = nlohmann::json;

constexpr const char* kKeys =
    "depth, width, activation, init, sigma_w2, sigma_b2, norm, skip, batch, dtype, trials, seed; or model, "
    "or cell, with their keys";
constexpr const char* kRecurrentKeys =
    "cell, layers, units, time_steps, activation, init, recurrent_init, norm, batch, dtype, trials, seed";
constexpr const char* kSpecKeys = "model, input, init, activation, batch, input_dist, dtype, trials, seed";

std::string shown(const Json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// A list, or a single value taken as a list of one.
std::vector<Json> values_of(const Json& value) {
  if (value.is_array()) return std::vector<Json>(value.begin(), value.end());
  return {value};
}

template <typename T>
std::vector<T> integers(const Json& value, const std::string& source, const char* key, int64_t low,
                        int64_t high) {
  std::vector<T> out;
  for (const Json& v : values_of(value)) {
    if (!v.is_number_integer() || v.get<int64_t>() < low || v.get<int64_t>() > high) {
      fail("{}: key '{}' must hold integers from {} to {}, got {}", source, key, low, high, shown(v));
    }
    out.push_back(static_cast<T>(v.get<int64_t>()));
  }
  return out;
}

template <typename T, typename Parse>
std::vector<T> names(const Json& value, const std::string& source, const char* key, Parse parse) {
  std::vector<T> out;
  for (const Json& v : values_of(value)) {
    if (!v.is_string()) fail("{}: key '{}' must hold names, got {}", source, key, shown(v));
    try {
      out.push_back(parse(v.get<std::string>()));
    } catch (const Error& e) {
      fail("{}: key '{}': {}", source, key, e.what());
    }
  }
  return out;
}

// Variances (sigma_w2, sigma_b2): numbers; their range is validate_grid's to check.
std::vector<double> numbers(const Json& value, const std::string& source, const char* key) {
  std::vector<double> out;
  for (const Json& v : values_of(value)) {
    if (!v.is_number()) fail("{}: key '{}' must hold numbers, got {}", source, key, shown(v));
    out.push_back(v.get<double>());
  }
  return out;
}

std::string as_name(const std::string& s) { return s; }

int trials_of(const Json& value, const std::string& source) {
  if (value.is_array()) fail("{}: key 'trials' must be one integer, got {}", source, shown(value));
  return integers<int>(value, source, "trials", 1, kMaxSweepTrials).front();
}

uint64_t seed_of(const Json& value, const std::string& source) {
  if (!value.is_number_unsigned())
    fail("{}: key 'seed' must be an unsigned integer, got {}", source, shown(value));
  return value.get<uint64_t>();
}

// A file named in the grid: relative to the grid file's folder, so a grid and its spec travel together.
std::string file_of(const Json& value, const std::string& source, const char* key) {
  if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>() == "-") {
    fail("{}: key '{}' must be a file name, got {}", source, key, shown(value));
  }
  const std::filesystem::path path(value.get<std::string>());
  if (path.is_absolute() || source == "-") return path.string();
  return (std::filesystem::path(source).parent_path() / path).string();
}

// A list that is given must hold something: an axis left as the spec says is a key left out.
template <typename T>
std::vector<T> given(std::vector<T> values, const std::string& source, const char* key) {
  if (values.empty())
    fail("{}: sweep grid: '{}' is empty; give at least one value, or leave the key out", source, key);
  return values;
}

// The keys every kind of grid has, with one meaning and range; false for any other key.
template <typename Grid>
bool read_shared_key(Grid& g, const std::string& key, const Json& value, const std::string& source) {
  if (key == "init") {
    g.initializers = given(names<std::string>(value, source, "init", as_name), source, "init");
  } else if (key == "activation") {
    g.activations = given(names<std::string>(value, source, "activation", as_name), source, "activation");
  } else if (key == "batch") {
    g.batches = given(integers<int64_t>(value, source, "batch", 1, kMaxProbeUnits), source, "batch");
  } else if (key == "dtype") {
    g.dtypes =
        given(names<DType>(value, source, "dtype", [](const std::string& s) { return parse_dtype(s); }),
              source, "dtype");
  } else if (key == "trials") {
    g.trials = trials_of(value, source);
  } else if (key == "seed") {
    g.seed = seed_of(value, source);
  } else {
    return false;
  }
  return true;
}

SpecSweepRequest parse_spec_grid(const Json& root, const std::string& source) {
  SpecSweepRequest r;
  SpecSweepGrid& g = r.grid;
  for (const auto& [key, value] : root.items()) {
    if (read_shared_key(g, key, value, source)) continue;
    if (key == "model") {
      r.model = file_of(value, source, "model");
    } else if (key == "input") {
      r.input = file_of(value, source, "input");
    } else if (key == "input_dist") {
      g.input_distributions =
          given(names<InputDistribution>(value, source, "input_dist",
                                         [](const std::string& s) { return parse_input_distribution(s); }),
                source, "input_dist");
    } else if (key == "depth" || key == "width" || key == "norm" || key == "skip") {
      fail("{}: key '{}' does not apply to a sweep of a model spec ('model'; valid keys: {})", source, key,
           kSpecKeys);
    } else {
      fail("{}: unknown key '{}' (valid keys: {})", source, key, kSpecKeys);
    }
  }
  return r;
}

RecurrentSweepGrid parse_recurrent_grid(const Json& root, const std::string& source) {
  RecurrentSweepGrid g;
  for (const auto& [key, value] : root.items()) {
    if (read_shared_key(g, key, value, source)) continue;
    if (key == "cell") {
      g.cells = names<RecurrentCell>(value, source, "cell",
                                     [](const std::string& s) { return parse_recurrent_cell(s); });
    } else if (key == "layers") {
      g.layers = integers<int>(value, source, "layers", 1, kMaxProbeDepth);
    } else if (key == "units") {
      g.units = integers<int64_t>(value, source, "units", 1, kMaxProbeUnits);
    } else if (key == "time_steps") {
      g.time_steps = integers<int64_t>(value, source, "time_steps", 1, kMaxProbeTimeSteps);
    } else if (key == "recurrent_init") {
      g.recurrent_initializers = names<std::string>(value, source, "recurrent_init", as_name);
    } else if (key == "norm") {
      g.layer_norms =
          names<bool>(value, source, "norm", [](const std::string& s) { return parse_recurrent_norm(s); });
    } else {
      fail("{}: key '{}' does not apply to a sweep of recurrent networks ('cell'; valid keys: {})", source,
           key, kRecurrentKeys);
    }
  }
  try {
    validate_recurrent_grid(g);
  } catch (const Error& e) {
    fail("{}: {}", source, e.what());
  }
  return g;
}

}  // namespace

bool parse_recurrent_norm(const std::string& name) {
  if (name != "none" && name != "layer") {
    fail("norm '{}' is not a recurrent cell's: none, or layer (the layer-normalized cells of Ba et al. 2016)",
         name);
  }
  return name == "layer";
}

SweepGridFile parse_sweep_grid(const std::string& json_text, const std::string& source) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {
    fail("{}: not valid JSON: {}", source, json_error_text(e));
  }
  if (!root.is_object()) fail("{}: a sweep grid must be a JSON object with keys {}", source, kKeys);
  if (root.contains("model") && root.contains("cell")) {
    fail(
        "{}: keys 'model' and 'cell' exclude each other: a sweep is of a model spec or of recurrent networks",
        source);
  }
  if (root.contains("model")) return parse_spec_grid(root, source);
  if (root.contains("cell")) return parse_recurrent_grid(root, source);
  SweepGrid g;
  for (const auto& [key, value] : root.items()) {
    if (read_shared_key(g, key, value, source)) continue;
    if (key == "depth") {
      g.depths = integers<int>(value, source, "depth", 1, kMaxProbeDepth);
    } else if (key == "width") {
      g.widths = integers<int64_t>(value, source, "width", 1, kMaxProbeUnits);
    } else if (key == "sigma_w2") {
      g.sigma_w2s = numbers(value, source, "sigma_w2");
    } else if (key == "sigma_b2") {
      g.sigma_b2s = numbers(value, source, "sigma_b2");
    } else if (key == "norm") {
      g.normalizations = names<SkipNormalization>(
          value, source, "norm", [](const std::string& s) { return parse_skip_normalization(s); });
    } else if (key == "skip") {
      g.skips = names<SkipConnection>(value, source, "skip",
                                      [](const std::string& s) { return parse_skip_connection(s); });
    } else if (key == "input" || key == "input_dist") {
      fail("{}: key '{}' needs 'model': it applies to a sweep of a model spec", source, key);
    } else {
      fail("{}: unknown key '{}' (valid keys: {})", source, key, kKeys);
    }
  }
  if (root.contains("init") && root.contains("sigma_w2")) {
    fail("{}: keys 'init' and 'sigma_w2' exclude each other: the variances replace the initializer", source);
  }
  try {
    validate_grid(g);
  } catch (const Error& e) {
    fail("{}: {}", source, e.what());
  }
  return g;
}

}  // namespace gradlab::cli
