#include "io/layer_registry.h"

#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/bidirectional.h"
#include "gradlab/nn/conv.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/depthwise_conv.h"
#include "gradlab/nn/dropout.h"
#include "gradlab/nn/flatten.h"
#include "gradlab/nn/merge.h"
#include "gradlab/nn/normalization_layers.h"
#include "gradlab/nn/pooling.h"
#include "gradlab/nn/recurrent.h"
#include "gradlab/nn/reshape.h"
#include "gradlab/nn/zero_padding.h"

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

// The keys of a recurrent layer of this cell, with RecurrentOptions' defaults (Keras's). return_state
// is not a spec key: a layer in a spec has one output.
Json recurrent_defaults(RecurrentCell cell) {
  const RecurrentOptions d;
  Json j{{"units", nullptr}, {"activation", d.activation}};
  if (cell != RecurrentCell::simple_rnn) j["recurrent_activation"] = d.recurrent_activation;
  j["use_bias"] = d.use_bias;
  j["kernel_initializer"] = d.kernel_initializer.name();
  j["recurrent_initializer"] = d.recurrent_initializer.name();
  j["bias_initializer"] = d.bias_initializer.name();
  if (cell == RecurrentCell::lstm) j["unit_forget_bias"] = d.unit_forget_bias;
  if (cell == RecurrentCell::gru) j["reset_after"] = d.reset_after;
  j["return_sequences"] = d.return_sequences;
  j["go_backwards"] = d.go_backwards;
  j["layer_norm"] = d.layer_norm;
  return j;
}

// Dense's keys with DenseOptions' defaults (Keras's).
Json dense_defaults() {
  const DenseOptions d;
  return Json{{"units", nullptr},
              {"activation", d.activation},
              {"use_bias", d.use_bias},
              {"kernel_initializer", d.kernel_initializer.name()},
              {"bias_initializer", d.bias_initializer.name()}};
}

// One axis is written as an integer, several as a list, as a spec gives them.
Json axis_json(const std::vector<int64_t>& axes) { return axes.size() == 1 ? Json(axes.front()) : Json(axes); }

// A normalization layer's keys: `leading` (its axis, groups, momentum) followed by the epsilon and
// affine keys every normalization layer shares, with the defaults of its options struct `d`.
template <typename Options>
Json normalization_defaults(Json leading, const Options& d) {
  leading["epsilon"] = d.epsilon;
  leading["center"] = d.center;
  leading["scale"] = d.scale;
  leading["beta_initializer"] = d.beta_initializer.name();
  leading["gamma_initializer"] = d.gamma_initializer.name();
  return leading;
}

Json batch_normalization_defaults() {
  const BatchNormalizationOptions d;
  Json j = normalization_defaults(Json{{"axis", d.axis}, {"momentum", d.momentum}}, d);
  j["moving_mean_initializer"] = d.moving_mean_initializer.name();
  j["moving_variance_initializer"] = d.moving_variance_initializer.name();
  j["moving_variance_update"] = moving_variance_update_name(d.moving_variance_update);
  return j;
}

Json layer_normalization_defaults() {
  const LayerNormalizationOptions d;
  return normalization_defaults(Json{{"axis", axis_json(d.axis)}}, d);
}

Json group_normalization_defaults() {
  const GroupNormalizationOptions d;
  return normalization_defaults(Json{{"groups", d.groups}, {"axis", d.axis}}, d);
}

Json instance_normalization_defaults() {
  const InstanceNormalizationOptions d;
  return normalization_defaults(Json{{"axis", d.axis}}, d);
}

Json input_normalization_defaults() {
  const NormalizationOptions d;
  return Json{{"axis", axis_json(d.axis)}, {"mean", d.mean}, {"variance", d.variance}, {"invert", d.invert}};
}

Recurrent make_recurrent(RecurrentCell cell, const Json& o, const Context& where, DType dtype) {
  const int64_t units = get_int(o, "units", where);
  if (units <= 0) fail("{}: layer '{}' ({}): key 'units' must be positive, got {}", where.source, where.layer, where.type, units);
  RecurrentOptions options{.activation = get_string(o, "activation", where),
                           .use_bias = get_bool(o, "use_bias", where),
                           .kernel_initializer = get_initializer(o, "kernel_initializer", where),
                           .recurrent_initializer = get_initializer(o, "recurrent_initializer", where),
                           .bias_initializer = get_initializer(o, "bias_initializer", where),
                           .return_sequences = get_bool(o, "return_sequences", where),
                           .go_backwards = get_bool(o, "go_backwards", where),
                           .layer_norm = get_bool(o, "layer_norm", where),
                           .name = where.layer,
                           .dtype = dtype};
  if (cell != RecurrentCell::simple_rnn) options.recurrent_activation = get_string(o, "recurrent_activation", where);
  if (cell == RecurrentCell::lstm) options.unit_forget_bias = get_bool(o, "unit_forget_bias", where);
  if (cell == RecurrentCell::gru) options.reset_after = get_bool(o, "reset_after", where);
  return Recurrent(std::make_shared<RecurrentImpl>(cell, units, std::move(options)));
}

std::optional<RecurrentCell> recurrent_cell(const std::string& type) {
  for (RecurrentCell cell : {RecurrentCell::simple_rnn, RecurrentCell::lstm, RecurrentCell::gru}) {
    if (type == cell_name(cell)) return cell;
  }
  return std::nullopt;
}

LayerType recurrent_type(RecurrentCell cell) {
  return {recurrent_defaults(cell), false, [cell](const Json& o, const Context& where, DType dtype) -> Layer {
            return make_recurrent(cell, o, where, dtype);
          }};
}

// Bidirectional's "layer": a recurrent layer object, its keys checked as a spec layer's are. It is
// named after the wrapper unless it has a "name", so its copies are forward_<name> and backward_<name>.
Layer wrapped_layer(const Json& o, const Context& where, DType dtype) {
  const Json& inner = o.at("layer");
  const std::string type = inner.is_object() && inner.contains("type") && inner["type"].is_string()
                               ? inner["type"].get<std::string>()
                               : std::string();
  const std::optional<RecurrentCell> cell = recurrent_cell(type);
  if (!cell) {
    fail("{}: layer '{}' (bidirectional): key 'layer' must be a recurrent layer object with type simple_rnn, lstm or "
         "gru, got {}",
         where.source, where.layer, inner.dump());
  }
  std::string name = where.layer;
  Json options = recurrent_defaults(*cell);
  for (const auto& [key, value] : inner.items()) {
    if (key == "type") continue;
    if (key == "name") {
      if (!value.is_string() || value.get<std::string>().empty()) bad_choice(inner, "name", where, "a non-empty string");
      name = value.get<std::string>();
      continue;
    }
    if (!options.contains(key)) {
      fail("{}: layer '{}' (bidirectional): its {} layer has no key '{}'", where.source, where.layer, type, key);
    }
    options[key] = value;
  }
  for (const auto& [key, value] : options.items()) {
    if (value.is_null()) fail("{}: layer '{}' (bidirectional): its {} layer misses required key '{}'", where.source, where.layer, type, key);
  }
  const Context inner_where{where.source, name, type};
  return make_recurrent(*cell, options, inner_where, dtype);
}

// A size per spatial axis, as Keras takes it: one integer for every axis, or a list of `rank`
// integers (height first). The layers check that they are positive, naming themselves.
std::array<int64_t, 2> get_window(const Json& options, const char* key, const Context& where, int rank) {
  const std::vector<int64_t> v = get_int_list(options, key, where);
  if (v.size() == 1) return rank == 1 ? std::array<int64_t, 2>{1, v[0]} : std::array<int64_t, 2>{v[0], v[0]};
  if (static_cast<int>(v.size()) != rank) {
    bad_choice(options, key, where, rank == 1 ? "an integer or a list of 1 integer" : "an integer or a list of 2 integers");
  }
  return rank == 1 ? std::array<int64_t, 2>{1, v[0]} : std::array<int64_t, 2>{v[0], v[1]};
}

// Conv1D's and Conv2D's keys with their options' defaults (Keras's); a window of 1 is written 1.
template <typename Options>
Json conv_defaults(const Options& d) {
  return Json{{"filters", nullptr},
              {"kernel_size", nullptr},
              {"strides", 1},
              {"padding", d.padding},
              {"dilation_rate", 1},
              {"groups", d.groups},
              {"activation", d.activation},
              {"use_bias", d.use_bias},
              {"kernel_initializer", d.kernel_initializer.name()},
              {"bias_initializer", d.bias_initializer.name()}};
}

LayerType conv_type(int rank) {
  Json defaults = rank == 1 ? conv_defaults(Conv1DOptions{}) : conv_defaults(Conv2DOptions{});
  return {std::move(defaults), false, [rank](const Json& o, const Context& where, DType dtype) -> Layer {
            const Conv2DOptions options{.strides = get_window(o, "strides", where, rank),
                                        .padding = get_string(o, "padding", where),
                                        .dilation_rate = get_window(o, "dilation_rate", where, rank),
                                        .groups = get_int(o, "groups", where),
                                        .activation = get_string(o, "activation", where),
                                        .use_bias = get_bool(o, "use_bias", where),
                                        .kernel_initializer = get_initializer(o, "kernel_initializer", where),
                                        .bias_initializer = get_initializer(o, "bias_initializer", where),
                                        .name = where.layer,
                                        .dtype = dtype};
            const int64_t filters = get_int(o, "filters", where);
            const std::array<int64_t, 2> kernel_size = get_window(o, "kernel_size", where, rank);
            if (rank == 2) return Conv2D(filters, kernel_size, options);
            return Conv1D(filters, kernel_size[1],
                          {.strides = options.strides[1],
                           .padding = options.padding,
                           .dilation_rate = options.dilation_rate[1],
                           .groups = options.groups,
                           .activation = options.activation,
                           .use_bias = options.use_bias,
                           .kernel_initializer = options.kernel_initializer,
                           .bias_initializer = options.bias_initializer,
                           .name = where.layer,
                           .dtype = dtype});
          }};
}

// DepthwiseConv2D's keys with Keras's defaults.
LayerType depthwise_conv_type() {
  const DepthwiseConv2DOptions d;
  return {Json{{"kernel_size", nullptr},
               {"strides", 1},
               {"padding", d.padding},
               {"depth_multiplier", d.depth_multiplier},
               {"dilation_rate", 1},
               {"activation", d.activation},
               {"use_bias", d.use_bias},
               {"depthwise_initializer", d.depthwise_initializer.name()},
               {"bias_initializer", d.bias_initializer.name()}},
          false, [](const Json& o, const Context& where, DType dtype) -> Layer {
            return DepthwiseConv2D(get_window(o, "kernel_size", where, 2),
                                   {.strides = get_window(o, "strides", where, 2),
                                    .padding = get_string(o, "padding", where),
                                    .depth_multiplier = get_int(o, "depth_multiplier", where),
                                    .dilation_rate = get_window(o, "dilation_rate", where, 2),
                                    .activation = get_string(o, "activation", where),
                                    .use_bias = get_bool(o, "use_bias", where),
                                    .depthwise_initializer = get_initializer(o, "depthwise_initializer", where),
                                    .bias_initializer = get_initializer(o, "bias_initializer", where),
                                    .name = where.layer,
                                    .dtype = dtype});
          }};
}

// The pooling layers' keys; "strides": [] stands for Keras's None (the pool size).
LayerType pooling_type(PoolingKind kind, int rank) {
  const Pooling2DOptions d;
  Json pool_size = rank == 1 ? Json(2) : Json::array({2, 2});
  return {Json{{"pool_size", std::move(pool_size)}, {"strides", Json::array()}, {"padding", d.padding}}, false,
          [kind, rank](const Json& o, const Context& where, DType) -> Layer {
            const std::array<int64_t, 2> pool_size = get_window(o, "pool_size", where, rank);
            Pooling2DOptions options{.padding = get_string(o, "padding", where), .name = where.layer};
            if (!(o.at("strides").is_array() && o.at("strides").empty())) options.strides = get_window(o, "strides", where, rank);
            if (rank == 2) return Layer(std::make_shared<Pooling2DImpl>(kind, pool_size, std::move(options)));
            Pooling1DOptions steps{.padding = options.padding, .name = where.layer};
            if (options.strides) steps.strides = (*options.strides)[1];
            return Layer(std::make_shared<Pooling2DImpl>(kind, pool_size[1], steps));
          }};
}

LayerType global_pooling_type(PoolingKind kind, int rank) {
  return {Json{{"keepdims", GlobalPoolingOptions{}.keepdims}}, false,
          [kind, rank](const Json& o, const Context& where, DType) -> Layer {
            return Layer(std::make_shared<GlobalPoolingImpl>(
                kind, rank, GlobalPoolingOptions{.keepdims = get_bool(o, "keepdims", where), .name = where.layer}));
          }};
}

// ZeroPadding2D's padding as Keras takes it: an integer (every side), a pair (height, width), or a
// pair of pairs ((top, bottom), (left, right)).
std::array<std::array<int64_t, 2>, 2> get_padding_2d(const Json& options, const Context& where) {
  const Json& v = options.at("padding");
  const char* expected = "an integer, a list [height, width] or a list [[top, bottom], [left, right]] of integers";
  if (v.is_array() && v.size() == 2 && v[0].is_array() && v[1].is_array()) {
    std::array<std::array<int64_t, 2>, 2> out{};
    for (std::size_t axis = 0; axis < 2; ++axis) {
      if (v[axis].size() != 2 || !v[axis][0].is_number_integer() || !v[axis][1].is_number_integer()) {
        bad_choice(options, "padding", where, expected);
      }
      out[axis] = {v[axis][0].get<int64_t>(), v[axis][1].get<int64_t>()};
    }
    return out;
  }
  const std::vector<int64_t> sizes = get_int_list(options, "padding", where);
  if (sizes.size() == 1) return {{{sizes[0], sizes[0]}, {sizes[0], sizes[0]}}};
  if (sizes.size() == 2) return {{{sizes[0], sizes[0]}, {sizes[1], sizes[1]}}};
  bad_choice(options, "padding", where, expected);
}

}  // namespace

const std::map<std::string, LayerType>& layer_types() {
  static const std::map<std::string, LayerType> types = {
      {"dense",
       {dense_defaults(),
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
       {Json{{"axis", ConcatenateOptions{}.axis}},
        true,
        [](const Json& o, const Context& where, DType) -> Layer {
          return Concatenate({.axis = get_int(o, "axis", where), .name = where.layer});
        }}},
      {"batch_normalization",
       {batch_normalization_defaults(),
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
       {layer_normalization_defaults(),
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
       {group_normalization_defaults(),
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
       {instance_normalization_defaults(),
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
       {input_normalization_defaults(),
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          return Normalization({.axis = get_int_list(o, "axis", where),
                                .mean = get_number_list(o, "mean", where),
                                .variance = get_number_list(o, "variance", where),
                                .invert = get_bool(o, "invert", where),
                                .name = where.layer,
                                .dtype = dtype});
        }}},
      {"conv2d", conv_type(2)},
      {"conv1d", conv_type(1)},
      {"depthwise_conv2d", depthwise_conv_type()},
      {"max_pooling2d", pooling_type(PoolingKind::max, 2)},
      {"average_pooling2d", pooling_type(PoolingKind::average, 2)},
      {"max_pooling1d", pooling_type(PoolingKind::max, 1)},
      {"average_pooling1d", pooling_type(PoolingKind::average, 1)},
      {"global_average_pooling2d", global_pooling_type(PoolingKind::average, 2)},
      {"global_average_pooling1d", global_pooling_type(PoolingKind::average, 1)},
      {"global_max_pooling2d", global_pooling_type(PoolingKind::max, 2)},
      {"global_max_pooling1d", global_pooling_type(PoolingKind::max, 1)},
      {"flatten", {Json::object(), false, [](const Json&, const Context& where, DType) -> Layer {
                     return Flatten({.name = where.layer});
                   }}},
      {"reshape", {Json{{"target_shape", nullptr}}, false, [](const Json& o, const Context& where, DType) -> Layer {
                     return Reshape(get_int_list(o, "target_shape", where), {.name = where.layer});
                   }}},
      {"zero_padding2d",
       {Json{{"padding", 1}}, false, [](const Json& o, const Context& where, DType) -> Layer {
          return ZeroPadding2D({.padding = get_padding_2d(o, where), .name = where.layer});
        }}},
      {"simple_rnn", recurrent_type(RecurrentCell::simple_rnn)},
      {"lstm", recurrent_type(RecurrentCell::lstm)},
      {"gru", recurrent_type(RecurrentCell::gru)},
      {"bidirectional",
       {Json{{"layer", nullptr}, {"merge_mode", BidirectionalOptions{}.merge_mode}},
        false,
        [](const Json& o, const Context& where, DType dtype) -> Layer {
          return Bidirectional(wrapped_layer(o, where, dtype),
                               {.merge_mode = get_string(o, "merge_mode", where), .name = where.layer});
        }}},
  };
  return types;
}

}  // namespace gradlab::spec
