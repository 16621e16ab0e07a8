#include "io/layer_registry.h"

#include <cmath>
#include <vector>

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/merge.h"
#include "gradlab/nn/normalization.h"

namespace gradlab::spec {

namespace {

[[noreturn]] void bad_choice(const Json& options, const char* key, const Context& where, const char* expected) {
  fail("{}: layer '{}' ({}): key '{}' must be {}, got {}", where.source, where.layer, where.type, key, expected,
       options.at(key).dump());
}

// An integer or a list of integers ("axis": -1 or [1, 2]).
std::vector<int64_t> get_int_list(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  if (v.is_number_integer()) return {v.get<int64_t>()};
  std::vector<int64_t> out;
  if (v.is_array()) {
    for (const Json& e : v) {
      if (!e.is_number_integer()) bad_choice(options, key, where, "an integer or a list of integers");
      out.push_back(e.get<int64_t>());
    }
    return out;
  }
  bad_choice(options, key, where, "an integer or a list of integers");
}

// A number or a list of finite numbers ("mean": 0.5 or [0.1, 0.2]); [] when not given.
std::vector<double> get_number_list(const Json& options, const char* key, const Context& where) {
  const Json& v = options.at(key);
  auto number = [&](const Json& e) {
    if (!e.is_number() || !std::isfinite(e.get<double>())) bad_choice(options, key, where, "a number or a list of numbers");
    return e.get<double>();
  };
  if (v.is_number()) return {number(v)};
  if (!v.is_array()) bad_choice(options, key, where, "a number or a list of numbers");
  std::vector<double> out;
  for (const Json& e : v) out.push_back(number(e));
  return out;
}

}  // namespace

const std::map<std::string, LayerType>& layer_types() {
  static const std::map<std::string, LayerType> types = {
      {"dense",
       {Json{{"units", nullptr},
             {"activation", "linear"},
             {"use_bias", true},
             {"kernel_initializer", "glorot_uniform"},
             {"bias_initializer", "zeros"}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          const int64_t units = get_int(o, "units", where);
          if (units <= 0) fail("{}: layer '{}' (dense): key 'units' must be positive, got {}", where.source, where.layer, units);
          return Dense(units, {.activation = get_string(o, "activation", where),
                               .use_bias = get_bool(o, "use_bias", where),
                               .kernel_initializer = get_initializer(o, "kernel_initializer", where),
                               .bias_initializer = get_initializer(o, "bias_initializer", where),
                               .name = where.layer,
                               .dtype = dtype});
        }}},
      {"activation",
       {Json{{"activation", nullptr}},
        false,
        [](const Json& o, const Context& where, DType) -> Layer {
          return Activation(get_string(o, "activation", where), {.name = where.layer});
        }}},
      {"dropout",
       {Json{{"rate", nullptr}, {"seed", -1}},
        false,
        [](const Json& o, const Context& where, DType) -> Layer {
          const double rate = get_number(o, "rate", where);
          if (!(rate >= 0.0 && rate < 1.0)) bad_choice(o, "rate", where, "a number in [0, 1)");
          // -1 stands for Keras's seed=None: the layer draws its seed from the model's generator.
          const int64_t value = get_int(o, "seed", where);
          if (value < -1) bad_choice(o, "seed", where, "-1 (none) or a non-negative integer");
          std::optional<uint64_t> seed;
          if (value >= 0) seed = static_cast<uint64_t>(value);
          return Dropout(rate, {.seed = seed, .name = where.layer});
        }}},
      {"add", {Json::object(), true, [](const Json&, const Context& where, DType) -> Layer {
                 return Add({.name = where.layer});
               }}},
      {"concatenate",
       {Json{{"axis", -1}},
        true,
        [](const Json& o, const Context& where, DType) -> Layer {
          return Concatenate({.axis = get_int(o, "axis", where), .name = where.layer});
        }}},
      {"batch_normalization",
       {Json{{"axis", -1},
             {"momentum", 0.99},
             {"epsilon", 1e-3},
             {"center", true},
             {"scale", true},
             {"beta_initializer", "zeros"},
             {"gamma_initializer", "ones"},
             {"moving_mean_initializer", "zeros"},
             {"moving_variance_initializer", "ones"},
             {"moving_variance_update", "biased"}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          const std::string update = get_string(o, "moving_variance_update", where);
          if (update != "biased" && update != "unbiased") bad_choice(o, "moving_variance_update", where, "'biased' or 'unbiased'");
          return BatchNormalization({.axis = get_int(o, "axis", where),
                                     .momentum = get_number(o, "momentum", where),
                                     .epsilon = get_number(o, "epsilon", where),
                                     .center = get_bool(o, "center", where),
                                     .scale = get_bool(o, "scale", where),
                                     .beta_initializer = get_initializer(o, "beta_initializer", where),
                                     .gamma_initializer = get_initializer(o, "gamma_initializer", where),
                                     .moving_mean_initializer = get_initializer(o, "moving_mean_initializer", where),
                                     .moving_variance_initializer = get_initializer(o, "moving_variance_initializer", where),
                                     .moving_variance_update = parse_moving_variance_update(update),
                                     .name = where.layer,
                                     .dtype = dtype});
        }}},
      {"layer_normalization",
       {Json{{"axis", -1},
             {"epsilon", 1e-3},
             {"center", true},
             {"scale", true},
             {"beta_initializer", "zeros"},
             {"gamma_initializer", "ones"}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          std::vector<int64_t> axis = get_int_list(o, "axis", where);
          if (axis.empty()) bad_choice(o, "axis", where, "an integer or a non-empty list of integers");
          return LayerNormalization({.axis = std::move(axis),
                                     .epsilon = get_number(o, "epsilon", where),
                                     .center = get_bool(o, "center", where),
                                     .scale = get_bool(o, "scale", where),
                                     .beta_initializer = get_initializer(o, "beta_initializer", where),
                                     .gamma_initializer = get_initializer(o, "gamma_initializer", where),
                                     .name = where.layer,
                                     .dtype = dtype});
        }}},
      {"group_normalization",
       {Json{{"groups", 32},
             {"axis", -1},
             {"epsilon", 1e-3},
             {"center", true},
             {"scale", true},
             {"beta_initializer", "zeros"},
             {"gamma_initializer", "ones"}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          return GroupNormalization({.groups = get_int(o, "groups", where),
                                     .axis = get_int(o, "axis", where),
                                     .epsilon = get_number(o, "epsilon", where),
                                     .center = get_bool(o, "center", where),
                                     .scale = get_bool(o, "scale", where),
                                     .beta_initializer = get_initializer(o, "beta_initializer", where),
                                     .gamma_initializer = get_initializer(o, "gamma_initializer", where),
                                     .name = where.layer,
                                     .dtype = dtype});
        }}},
      {"instance_normalization",
       {Json{{"axis", -1},
             {"epsilon", 1e-3},
             {"center", true},
             {"scale", true},
             {"beta_initializer", "zeros"},
             {"gamma_initializer", "ones"}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          return InstanceNormalization({.axis = get_int(o, "axis", where),
                                        .epsilon = get_number(o, "epsilon", where),
                                        .center = get_bool(o, "center", where),
                                        .scale = get_bool(o, "scale", where),
                                        .beta_initializer = get_initializer(o, "beta_initializer", where),
                                        .gamma_initializer = get_initializer(o, "gamma_initializer", where),
                                        .name = where.layer,
                                        .dtype = dtype});
        }}},
      {"normalization",
       {Json{{"axis", -1}, {"mean", Json::array()}, {"variance", Json::array()}, {"invert", false}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          return Normalization({.axis = get_int_list(o, "axis", where),
                                .mean = get_number_list(o, "mean", where),
                                .variance = get_number_list(o, "variance", where),
                                .invert = get_bool(o, "invert", where),
                                .name = where.layer,
                                .dtype = dtype});
        }}},
  };
  return types;
}

}  // namespace gradlab::spec
