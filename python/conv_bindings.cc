// gradlab.layers.Conv2D, Conv1D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and Flatten
// with Keras's constructor arguments and defaults (from the options structs): channels last, a size
// given as an int or an (height, width) pair, kernel (kh, kw, cin / groups, filters).
#include <fmt/format.h>

#include "layer_handles.h"

namespace gradlab::python {
namespace {

// Conv2D and Conv1D share one implementation, as max and average pooling do; a tag gives each its
// own Python class.
template <int Tag>
struct ConvHandle : Handle<ConvImpl> {
  using Handle<ConvImpl>::Handle;
};
template <Pooling2DImpl::Kind Kind>
struct PoolHandle : Handle<Pooling2DImpl> {
  using Handle<Pooling2DImpl>::Handle;
};

// Keras takes an int for both axes or a pair.
std::array<int64_t, 2> pair_of(py::handle value, const char* name) {
  if (py::isinstance<py::int_>(value)) {
    const auto v = value.cast<int64_t>();
    return {v, v};
  }
  const auto items = value.cast<std::vector<int64_t>>();
  if (items.size() != 2) throw Error(fmt::format("{}: expected an int or a pair (height, width), got {} values", name, items.size()));
  return {items[0], items[1]};
}

}  // namespace

void bind_conv_layers(py::module_& m) {
  const Conv2DOptions c2;
  const Conv1DOptions c1;
  const auto name_arg = py::arg("name") = py::none();
  const auto dtype_arg = py::arg("dtype") = py::none();
  py::class_<Handle<ConvImpl>, Layer>(m, "_Conv", "What Conv1D and Conv2D share");
  py::class_<Handle<Pooling2DImpl>, Layer>(m, "_Pooling2D", "What MaxPooling2D and AveragePooling2D share");
  py::class_<ConvHandle<2>, Handle<ConvImpl>>(m, "Conv2D",
                                               "keras.layers.Conv2D on [batch, height, width, channels]; kernel (kh, kw, cin / groups, filters)")
      .def(py::init([](int64_t filters, py::handle kernel_size, py::handle strides, const std::string& padding,
                       py::handle dilation_rate, int64_t groups, py::handle activation, bool use_bias,
                       py::handle kernel_initializer, py::handle bias_initializer, std::optional<std::string> name,
                       py::handle dtype) {
             return ConvHandle<2>(Conv2D(filters, pair_of(kernel_size, "kernel_size"),
                                         {.strides = pair_of(strides, "strides"),
                                          .padding = padding,
                                          .dilation_rate = pair_of(dilation_rate, "dilation_rate"),
                                          .groups = groups,
                                          .activation = activation_name(activation),
                                          .use_bias = use_bias,
                                          .kernel_initializer = to_initializer(kernel_initializer),
                                          .bias_initializer = to_initializer(bias_initializer),
                                          .name = name_or_empty(name),
                                          .dtype = layer_dtype(dtype)})
                                      .shared_impl());
           }),
           py::arg("filters"), py::arg("kernel_size"), py::arg("strides") = c2.strides[0], py::arg("padding") = c2.padding,
           py::arg("dilation_rate") = c2.dilation_rate[0], py::arg("groups") = c2.groups, py::arg("activation") = py::none(),
           py::arg("use_bias") = c2.use_bias, py::arg("kernel_initializer") = c2.kernel_initializer.name(),
           py::arg("bias_initializer") = c2.bias_initializer.name(), name_arg, dtype_arg)
      .def_property_readonly("filters", [](const ConvHandle<2>& c) { return c.impl().filters(); });
  py::class_<ConvHandle<1>, Handle<ConvImpl>>(m, "Conv1D", "keras.layers.Conv1D on [batch, steps, channels]; kernel (k, cin / groups, filters)")
      .def(py::init([](int64_t filters, int64_t kernel_size, int64_t strides, const std::string& padding,
                       int64_t dilation_rate, int64_t groups, py::handle activation, bool use_bias,
                       py::handle kernel_initializer, py::handle bias_initializer, std::optional<std::string> name,
                       py::handle dtype) {
             return ConvHandle<1>(Conv1D(filters, kernel_size,
                                         {.strides = strides,
                                          .padding = padding,
                                          .dilation_rate = dilation_rate,
                                          .groups = groups,
                                          .activation = activation_name(activation),
                                          .use_bias = use_bias,
                                          .kernel_initializer = to_initializer(kernel_initializer),
                                          .bias_initializer = to_initializer(bias_initializer),
                                          .name = name_or_empty(name),
                                          .dtype = layer_dtype(dtype)})
                                      .shared_impl());
           }),
           py::arg("filters"), py::arg("kernel_size"), py::arg("strides") = c1.strides, py::arg("padding") = c1.padding,
           py::arg("dilation_rate") = c1.dilation_rate, py::arg("groups") = c1.groups, py::arg("activation") = py::none(),
           py::arg("use_bias") = c1.use_bias, py::arg("kernel_initializer") = c1.kernel_initializer.name(),
           py::arg("bias_initializer") = c1.bias_initializer.name(), name_arg, dtype_arg)
      .def_property_readonly("filters", [](const ConvHandle<1>& c) { return c.impl().filters(); });

  const auto pool = [&m]<Pooling2DImpl::Kind Kind>(const char* class_name, const char* doc) {
    py::class_<PoolHandle<Kind>, Handle<Pooling2DImpl>>(m, class_name, doc)
        .def(py::init([](py::handle pool_size, py::handle strides, const std::string& padding, std::optional<std::string> name) {
               Pooling2DOptions o{.strides = std::nullopt, .padding = padding, .name = name_or_empty(name)};
               if (!strides.is_none()) o.strides = pair_of(strides, "strides");
               return PoolHandle<Kind>(std::make_shared<Pooling2DImpl>(Kind, pair_of(pool_size, "pool_size"), o));
             }),
             py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = Pooling2DOptions{}.padding,
             py::arg("name") = py::none());
  };
  pool.template operator()<Pooling2DImpl::Kind::max>("MaxPooling2D", "keras.layers.MaxPooling2D: the largest value of each window, per channel");
  pool.template operator()<Pooling2DImpl::Kind::average>("AveragePooling2D", "keras.layers.AveragePooling2D: the mean of each window, per channel (padding left out of the mean)");
  py::class_<Handle<GlobalPoolingImpl>, Layer>(m, "GlobalAveragePooling2D", "keras.layers.GlobalAveragePooling2D: each channel's mean over height and width")
      .def(py::init([](bool keepdims, std::optional<std::string> name) {
             return handle<GlobalPoolingImpl>(GlobalAveragePooling2D({.keepdims = keepdims, .name = name_or_empty(name)}));
           }),
           py::arg("keepdims") = GlobalPoolingOptions{}.keepdims, py::arg("name") = py::none());
  py::class_<Handle<FlattenImpl>, Layer>(m, "Flatten", "keras.layers.Flatten: [batch, ...] to [batch, every other element]")
      .def(py::init([](std::optional<std::string> name) { return handle<FlattenImpl>(Flatten({.name = name_or_empty(name)})); }),
           py::arg("name") = py::none());
}

py::object conv_layer_object(const Layer& layer) {
  if (const auto* conv = layer.as<ConvImpl>()) {
    return conv->spatial_rank() == 2 ? py::cast(ConvHandle<2>(layer.shared_impl())) : py::cast(ConvHandle<1>(layer.shared_impl()));
  }
  // The Python module has the two-dimensional pools and global average pool only; the others stay
  // plain layers.
  if (const auto* p = layer.as<Pooling2DImpl>(); p != nullptr && p->spatial_rank() == 2) {
    return p->kind() == Pooling2DImpl::Kind::max ? py::cast(PoolHandle<Pooling2DImpl::Kind::max>(layer.shared_impl()))
                                                 : py::cast(PoolHandle<Pooling2DImpl::Kind::average>(layer.shared_impl()));
  }
  if (layer.type() == "global_average_pooling2d") return py::cast(handle<GlobalPoolingImpl>(layer));
  if (layer.as<FlattenImpl>()) return py::cast(handle<FlattenImpl>(layer));
  return py::none();
}

}  // namespace gradlab::python
