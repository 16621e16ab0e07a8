#include "io/layer_registry.h"

#include "gradlab/nn/activation_layer.h"
#include "gradlab/nn/dense.h"
#include "gradlab/nn/merge.h"

namespace gradlab::spec {

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
      {"add", {Json::object(), true, [](const Json&, const Context& where, DType) -> Layer {
                 return Add({.name = where.layer});
               }}},
      {"concatenate",
       {Json{{"axis", -1}},
        true,
        [](const Json& o, const Context& where, DType) -> Layer {
          return Concatenate({.axis = get_int(o, "axis", where), .name = where.layer});
        }}},
  };
  return types;
}

}  // namespace gradlab::spec
