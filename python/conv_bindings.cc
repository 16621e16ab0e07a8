// gradlab.layers.Conv2D, Conv1D, DepthwiseConv2D, the pooling layers (max and average, 1D and 2D,
// and global), Flatten, Reshape and ZeroPadding2D with Keras's constructor arguments and defaults
// (from the options structs): channels last, a size given as an int or an (height, width) pair,
// kernel (kh, kw, cin / groups, filters).
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
template <Pooling2DImpl::Kind Kind, int Rank>
struct PoolHandle : Handle<Pooling2DImpl> {
  using Handle<Pooling2DImpl>::Handle;
};
template <PoolingKind Kind, int Rank>
struct GlobalPoolHandle : Handle<GlobalPoolingImpl> {
  using Handle<GlobalPoolingImpl>::Handle;
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

// ZeroPadding2D's padding as Keras takes it: an int for all four sides, a pair (height, width) of
// symmetric paddings, or ((top, bottom), (left, right)).
std::array<std::array<int64_t, 2>, 2> zero_padding_of(py::handle value) {
  if (py::isinstance<py::int_>(value)) {
    const auto v = value.cast<int64_t>();
    return {{{v, v}, {v, v}}};
  }
  const auto items = value.cast<std::vector<py::object>>();
  if (items.size() != 2) throw Error(fmt::format("padding: expected an int, a pair or a pair of pairs, got {} values", items.size()));
  std::array<std::array<int64_t, 2>, 2> padding{};
  for (std::size_t axis = 0; axis < 2; ++axis) {
    padding[axis] = pair_of(items[axis], "padding");
  }
  return padding;
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

  const DepthwiseConv2DOptions dw;
  py::class_<Handle<DepthwiseConv2DImpl>, Layer>(m, "DepthwiseConv2D",
                                                 "keras.layers.DepthwiseConv2D on [batch, height, width, channels]: each channel "
                                                 "convolved alone; kernel (kh, kw, channels, depth_multiplier)")
      .def(py::init([](py::handle kernel_size, py::handle strides, const std::string& padding, int64_t depth_multiplier,
                       py::handle dilation_rate, py::handle activation, bool use_bias, py::handle depthwise_initializer,
                       py::handle bias_initializer, std::optional<std::string> name, py::handle dtype) {
             return handle<DepthwiseConv2DImpl>(DepthwiseConv2D(pair_of(kernel_size, "kernel_size"),
                                                                {.strides = pair_of(strides, "strides"),
                                                                 .padding = padding,
                                                                 .depth_multiplier = depth_multiplier,
                                                                 .dilation_rate = pair_of(dilation_rate, "dilation_rate"),
                                                                 .activation = activation_name(activation),
                                                                 .use_bias = use_bias,
                                                                 .depthwise_initializer = to_initializer(depthwise_initializer),
                                                                 .bias_initializer = to_initializer(bias_initializer),
                                                                 .name = name_or_empty(name),
                                                                 .dtype = layer_dtype(dtype)}));
           }),
           py::arg("kernel_size"), py::arg("strides") = dw.strides[0], py::arg("padding") = dw.padding,
           py::arg("depth_multiplier") = dw.depth_multiplier, py::arg("dilation_rate") = dw.dilation_rate[0],
           py::arg("activation") = py::none(), py::arg("use_bias") = dw.use_bias,
           py::arg("depthwise_initializer") = dw.depthwise_initializer.name(), py::arg("bias_initializer") = dw.bias_initializer.name(),
           name_arg, dtype_arg)
      .def_property_readonly("depth_multiplier", [](const Handle<DepthwiseConv2DImpl>& c) { return c.impl().options().depth_multiplier; });

  const auto pool2d = [&m]<Pooling2DImpl::Kind Kind>(const char* class_name, const char* doc) {
    py::class_<PoolHandle<Kind, 2>, Handle<Pooling2DImpl>>(m, class_name, doc)
        .def(py::init([](py::handle pool_size, py::handle strides, const std::string& padding, std::optional<std::string> name) {
               Pooling2DOptions o{.strides = std::nullopt, .padding = padding, .name = name_or_empty(name)};
               if (!strides.is_none()) o.strides = pair_of(strides, "strides");
               return PoolHandle<Kind, 2>(std::make_shared<Pooling2DImpl>(Kind, pair_of(pool_size, "pool_size"), o));
             }),
             py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = Pooling2DOptions{}.padding,
             py::arg("name") = py::none());
  };
  pool2d.template operator()<Pooling2DImpl::Kind::max>("MaxPooling2D", "keras.layers.MaxPooling2D: the largest value of each window, per channel");
  pool2d.template operator()<Pooling2DImpl::Kind::average>("AveragePooling2D", "keras.layers.AveragePooling2D: the mean of each window, per channel (padding left out of the mean)");
  const auto pool1d = [&m]<Pooling2DImpl::Kind Kind>(const char* class_name, const char* doc) {
    py::class_<PoolHandle<Kind, 1>, Handle<Pooling2DImpl>>(m, class_name, doc)
        .def(py::init([](int64_t pool_size, std::optional<int64_t> strides, const std::string& padding, std::optional<std::string> name) {
               return PoolHandle<Kind, 1>(std::make_shared<Pooling2DImpl>(
                   Kind, pool_size, Pooling1DOptions{.strides = strides, .padding = padding, .name = name_or_empty(name)}));
             }),
             py::arg("pool_size") = 2, py::arg("strides") = py::none(), py::arg("padding") = Pooling1DOptions{}.padding,
             py::arg("name") = py::none());
  };
  pool1d.template operator()<Pooling2DImpl::Kind::max>("MaxPooling1D", "keras.layers.MaxPooling1D on [batch, steps, channels]: the largest value of each window");
  pool1d.template operator()<Pooling2DImpl::Kind::average>("AveragePooling1D", "keras.layers.AveragePooling1D on [batch, steps, channels]: the mean of each window");

  py::class_<Handle<GlobalPoolingImpl>, Layer>(m, "_GlobalPooling", "What the global pooling layers share");
  const auto global_pool = [&m]<PoolingKind Kind, int Rank>(const char* class_name, const char* doc) {
    py::class_<GlobalPoolHandle<Kind, Rank>, Handle<GlobalPoolingImpl>>(m, class_name, doc)
        .def(py::init([](bool keepdims, std::optional<std::string> name) {
               return GlobalPoolHandle<Kind, Rank>(
                   std::make_shared<GlobalPoolingImpl>(Kind, Rank, GlobalPoolingOptions{.keepdims = keepdims, .name = name_or_empty(name)}));
             }),
             py::arg("keepdims") = GlobalPoolingOptions{}.keepdims, py::arg("name") = py::none());
  };
  global_pool.template operator()<PoolingKind::average, 2>("GlobalAveragePooling2D", "keras.layers.GlobalAveragePooling2D: each channel's mean over height and width");
  global_pool.template operator()<PoolingKind::max, 2>("GlobalMaxPooling2D", "keras.layers.GlobalMaxPooling2D: each channel's largest value over height and width");
  global_pool.template operator()<PoolingKind::average, 1>("GlobalAveragePooling1D", "keras.layers.GlobalAveragePooling1D: each channel's mean over the steps");
  global_pool.template operator()<PoolingKind::max, 1>("GlobalMaxPooling1D", "keras.layers.GlobalMaxPooling1D: each channel's largest value over the steps");

  py::class_<Handle<FlattenImpl>, Layer>(m, "Flatten", "keras.layers.Flatten: [batch, ...] to [batch, every other element]")
      .def(py::init([](std::optional<std::string> name) { return handle<FlattenImpl>(Flatten({.name = name_or_empty(name)})); }),
           py::arg("name") = py::none());
  py::class_<Handle<ReshapeImpl>, Layer>(m, "Reshape", "keras.layers.Reshape: each example to target_shape (one entry may be -1)")
      .def(py::init([](std::vector<int64_t> target_shape, std::optional<std::string> name) {
             return handle<ReshapeImpl>(Reshape(std::move(target_shape), {.name = name_or_empty(name)}));
           }),
           py::arg("target_shape"), py::arg("name") = py::none())
      .def_property_readonly("target_shape", [](const Handle<ReshapeImpl>& r) { return r.impl().target_shape(); });
  py::class_<Handle<ZeroPadding2DImpl>, Layer>(m, "ZeroPadding2D",
                                               "keras.layers.ZeroPadding2D: zeros around each image, ((top, bottom), (left, right))")
      .def(py::init([](py::handle padding, std::optional<std::string> name) {
             return handle<ZeroPadding2DImpl>(ZeroPadding2D({.padding = zero_padding_of(padding), .name = name_or_empty(name)}));
           }),
           py::arg("padding") = 1, py::arg("name") = py::none())
      .def_property_readonly("padding", [](const Handle<ZeroPadding2DImpl>& z) { return z.impl().padding(); });
}

py::object conv_layer_object(const Layer& layer) {
  if (const auto* conv = layer.as<ConvImpl>()) {
    return conv->spatial_rank() == 2 ? py::cast(ConvHandle<2>(layer.shared_impl())) : py::cast(ConvHandle<1>(layer.shared_impl()));
  }
  if (const auto* p = layer.as<Pooling2DImpl>()) {
    const bool max = p->kind() == Pooling2DImpl::Kind::max;
    if (p->spatial_rank() == 2) {
      return max ? py::cast(PoolHandle<Pooling2DImpl::Kind::max, 2>(layer.shared_impl()))
                 : py::cast(PoolHandle<Pooling2DImpl::Kind::average, 2>(layer.shared_impl()));
    }
    return max ? py::cast(PoolHandle<Pooling2DImpl::Kind::max, 1>(layer.shared_impl()))
               : py::cast(PoolHandle<Pooling2DImpl::Kind::average, 1>(layer.shared_impl()));
  }
  if (const auto* g = layer.as<GlobalPoolingImpl>()) {
    const bool max = g->kind() == PoolingKind::max;
    if (g->spatial_rank() == 2) {
      return max ? py::cast(GlobalPoolHandle<PoolingKind::max, 2>(layer.shared_impl()))
                 : py::cast(GlobalPoolHandle<PoolingKind::average, 2>(layer.shared_impl()));
    }
    return max ? py::cast(GlobalPoolHandle<PoolingKind::max, 1>(layer.shared_impl()))
               : py::cast(GlobalPoolHandle<PoolingKind::average, 1>(layer.shared_impl()));
  }
  if (layer.as<DepthwiseConv2DImpl>()) return py::cast(handle<DepthwiseConv2DImpl>(layer));
  if (layer.as<FlattenImpl>()) return py::cast(handle<FlattenImpl>(layer));
  if (layer.as<ReshapeImpl>()) return py::cast(handle<ReshapeImpl>(layer));
  if (layer.as<ZeroPadding2DImpl>()) return py::cast(handle<ZeroPadding2DImpl>(layer));
  return py::none();
}

}  // namespace gradlab::python
