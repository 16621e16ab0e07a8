// gradlab.layers (Dense, Add, Concatenate, Activation, the normalization layers, Dropout, Input; the
// recurrent layers are in recurrent_bindings.cc, the convolution layers in conv_bindings.cc) and
// gradlab.Model / gradlab.Sequential, with Keras's constructor arguments. Each Python class wraps
// the library's layer handle; a Model's layers come back as their own classes.
#include <optional>
#include <string>

#include "layer_handles.h"

namespace gradlab::python {
namespace {

bool is_symbolic(py::handle inputs) {
  if (py::isinstance<SymbolicTensor>(inputs)) return true;
  if (py::isinstance<py::list>(inputs) || py::isinstance<py::tuple>(inputs)) {
    for (py::handle item : inputs) {
      if (py::isinstance<SymbolicTensor>(item)) return true;
    }
  }
  return false;
}

std::vector<SymbolicTensor> symbolic_list(py::handle inputs) {
  if (py::isinstance<SymbolicTensor>(inputs)) return {inputs.cast<SymbolicTensor>()};
  return inputs.cast<std::vector<SymbolicTensor>>();
}

}  // namespace

py::object call_layer(const Layer& layer, py::handle inputs, bool training) {
  if (is_symbolic(inputs)) {
    if (py::isinstance<SymbolicTensor>(inputs)) return py::cast(layer(inputs.cast<SymbolicTensor>()));
    return py::cast(layer(symbolic_list(inputs)));
  }
  std::vector<Tensor> xs;
  const bool several = py::isinstance<py::list>(inputs) || py::isinstance<py::tuple>(inputs);
  if (several) {
    for (py::handle item : inputs) xs.push_back(to_tensor(item));
  } else {
    xs.push_back(to_tensor(inputs));
  }
  const CallOptions options{.training = training};
  if (auto* model = layer.as<ModelImpl>(); model != nullptr && model->outputs().size() > 1) {
    std::vector<Tensor> outs;
    {
      py::gil_scoped_release release;
      outs = model->call_all(xs, options);
    }
    py::list result;
    for (const Tensor& t : outs) result.append(py::cast(t));
    return result;
  }
  Tensor out;
  {
    py::gil_scoped_release release;
    out = several ? layer(xs, options) : layer(xs.front(), options);
  }
  return py::cast(out);
}

namespace {

py::list variable_list(const std::vector<Variable>& variables) {
  py::list out;
  for (const Variable& v : variables) out.append(py::cast(v));
  return out;
}

py::list layer_list(const std::vector<Layer>& layers) {
  py::list out;
  for (const Layer& l : layers) out.append(layer_object(l));
  return out;
}

std::vector<Layer> to_layers(py::handle layers) {
  std::vector<Layer> out;
  if (layers.is_none()) return out;
  for (py::handle l : layers) out.push_back(l.cast<Layer>());
  return out;
}

}  // namespace

py::object layer_object(const Layer& layer) {
  // The most derived implementation first: InstanceNormalization is a GroupNormalization.
  if (layer.as<DenseImpl>()) return py::cast(handle<DenseImpl>(layer));
  if (layer.as<ActivationImpl>()) return py::cast(handle<ActivationImpl>(layer));
  if (layer.as<AddImpl>()) return py::cast(handle<AddImpl>(layer));
  if (layer.as<ConcatenateImpl>()) return py::cast(handle<ConcatenateImpl>(layer));
  if (layer.as<BatchNormalizationImpl>()) return py::cast(handle<BatchNormalizationImpl>(layer));
  if (layer.as<LayerNormalizationImpl>()) return py::cast(handle<LayerNormalizationImpl>(layer));
  if (layer.as<InstanceNormalizationImpl>()) return py::cast(handle<InstanceNormalizationImpl>(layer));
  if (layer.as<GroupNormalizationImpl>()) return py::cast(handle<GroupNormalizationImpl>(layer));
  if (layer.as<NormalizationImpl>()) return py::cast(handle<NormalizationImpl>(layer));
  if (layer.as<DropoutImpl>()) return py::cast(handle<DropoutImpl>(layer));
  if (py::object recurrent = recurrent_layer_object(layer); !recurrent.is_none()) return recurrent;
  if (py::object conv = conv_layer_object(layer); !conv.is_none()) return conv;
  if (layer.as<ModelImpl>()) return py::cast(handle<ModelImpl>(layer));
  if (layer.as<SequentialImpl>()) return py::cast(handle<SequentialImpl>(layer));
  return py::cast(layer);
}

void bind_layers(py::module_& top) {
  py::module_ m = top.attr("layers");

  py::class_<SymbolicTensor>(m, "SymbolicTensor", "A placeholder for building a functional Model (Keras's KerasTensor)")
      .def_property_readonly("shape",
                             [](const SymbolicTensor& s) {
                               py::list dims;
                               dims.append(py::none());
                               for (int64_t d : s.shape()) dims.append(d);
                               return py::tuple(dims);
                             })
      .def_property_readonly("dtype", [](const SymbolicTensor& s) { return std::string(dtype_name(s.dtype())); })
      .def_property_readonly("name", &SymbolicTensor::name)
      .def("__add__", [](const SymbolicTensor& a, const SymbolicTensor& b) { return a + b; })
      .def("__repr__", [](const SymbolicTensor& s) {
        return "<SymbolicTensor " + s.name() + " shape=(None, " + s.shape().to_string() + ") " +
               std::string(dtype_name(s.dtype())) + ">";
      });
  auto input = [](const std::vector<int64_t>& shape, std::optional<std::string> name, py::handle dtype) {
    return Input(Shape(shape), {.name = name_or_empty(name), .dtype = to_dtype(dtype, DType::float32)});
  };
  for (py::module_ where : {m, top}) {
    where.def("Input", input, py::arg("shape"), py::arg("name") = py::none(), py::arg("dtype") = py::none(),
              "A functional model's input of `shape` (without the batch dimension)");
  }

  top.def("clear_session", &clear_session, "Restarts automatic layer names (dense, dense_1, ...) from the beginning");

  py::class_<Layer>(m, "Layer", "A Keras-style layer: built from its first input's shape, then called on tensors")
      .def("__call__", &call_layer, py::arg("inputs"), py::arg("training") = false)
      .def_property_readonly("name", &Layer::name)
      .def_property_readonly("built", &Layer::built)
      .def_property("trainable", &Layer::trainable, &Layer::set_trainable)
      .def_property_readonly("variables", [](const Layer& l) { return variable_list(l.variables()); })
      .def_property_readonly("weights", [](const Layer& l) { return variable_list(l.variables()); })
      .def_property_readonly("trainable_variables", [](const Layer& l) { return variable_list(l.trainable_variables()); })
      .def_property_readonly("trainable_weights", [](const Layer& l) { return variable_list(l.trainable_variables()); })
      .def_property_readonly("non_trainable_variables",
                             [](const Layer& l) { return variable_list(l.non_trainable_variables()); })
      .def("count_params", &Layer::count_params)
      .def("save_weights",
           [](const Layer& l, const std::string& path) {
             py::gil_scoped_release release;
             write_safetensors(path, model_weights(l));
           },
           py::arg("path"), "Writes the variables to a safetensors file (atomically)")
      .def("load_weights",
           [](const Layer& l, const std::string& path) {
             py::gil_scoped_release release;
             load_weights(l, read_safetensors(path));
           },
           py::arg("path"), "Reads the variables from a safetensors file written by save_weights")
      // Keras's attributes for a layer's own variables: layer.kernel, layer.bias, layer.gamma, ...
      .def("__getattr__",
           [](const Layer& l, const std::string& attribute) -> py::object {
             const std::string full = l.name() + "/" + attribute;
             for (const Variable& v : l.impl().own_variables()) {
               if (v.name() == full) return py::cast(v);
             }
             throw py::attribute_error("'" + l.type() + "' layer '" + l.name() + "' has no attribute '" +
                                       attribute + "'" + (l.built() ? "" : " (it is not built yet: call it first)"));
           })
      .def("__repr__", [](const Layer& l) {
        const std::string config = l.impl().config_summary();
        return "<gradlab " + l.type() + " '" + l.name() + "'" + (config.empty() ? "" : " " + config) + ">";
      });

  py::class_<Handle<DenseImpl>, Layer>(m, "Dense", "Keras's Dense: activation(x @ kernel + bias), kernel (in, units)")
      .def(py::init([](int64_t units, py::handle activation, bool use_bias, py::handle kernel_initializer,
                       py::handle bias_initializer, std::optional<std::string> name, py::handle dtype) {
             return handle<DenseImpl>(Dense(units, {.activation = activation_name(activation),
                                                    .use_bias = use_bias,
                                                    .kernel_initializer = to_initializer(kernel_initializer),
                                                    .bias_initializer = to_initializer(bias_initializer),
                                                    .name = name_or_empty(name),
                                                    .dtype = layer_dtype(dtype)}));
           }),
           py::arg("units"), py::arg("activation") = py::none(), py::arg("use_bias") = true,
           py::arg("kernel_initializer") = "glorot_uniform", py::arg("bias_initializer") = "zeros",
           py::arg("name") = py::none(), py::arg("dtype") = py::none())
      .def_property_readonly("units", [](const Handle<DenseImpl>& d) { return d.impl().units(); });

  py::class_<Handle<ActivationImpl>, Layer>(m, "Activation", "Keras's Activation layer")
      .def(py::init([](const std::string& activation, std::optional<std::string> name) {
             return handle<ActivationImpl>(Activation(activation, {.name = name_or_empty(name)}));
           }),
           py::arg("activation"), py::arg("name") = py::none());

  py::class_<Handle<AddImpl>, Layer>(m, "Add", "Keras's Add: the element-wise sum of its inputs")
      .def(py::init([](std::optional<std::string> name) { return handle<AddImpl>(Add({.name = name_or_empty(name)})); }),
           py::arg("name") = py::none());

  py::class_<Handle<ConcatenateImpl>, Layer>(m, "Concatenate", "Keras's Concatenate along `axis`")
      .def(py::init([](int64_t axis, std::optional<std::string> name) {
             return handle<ConcatenateImpl>(Concatenate({.axis = axis, .name = name_or_empty(name)}));
           }),
           py::arg("axis") = -1, py::arg("name") = py::none());

  const auto center = py::arg("center") = true;
  const auto scale = py::arg("scale") = true;
  const auto beta_init = py::arg("beta_initializer") = "zeros";
  const auto gamma_init = py::arg("gamma_initializer") = "ones";
  const auto name_arg = py::arg("name") = py::none();
  const auto dtype_arg = py::arg("dtype") = py::none();

  py::class_<Handle<BatchNormalizationImpl>, Layer>(m, "BatchNormalization",
                                                    "Ioffe & Szegedy (2015), with Keras's arguments and defaults")
      .def(py::init([](int64_t axis, double momentum, double epsilon, bool c, bool s, py::handle beta,
                       py::handle gamma, py::handle moving_mean, py::handle moving_variance,
                       std::optional<std::string> name, py::handle dtype) {
             return handle<BatchNormalizationImpl>(BatchNormalization({.axis = axis,
                                                                       .momentum = momentum,
                                                                       .epsilon = epsilon,
                                                                       .center = c,
                                                                       .scale = s,
                                                                       .beta_initializer = to_initializer(beta),
                                                                       .gamma_initializer = to_initializer(gamma),
                                                                       .moving_mean_initializer = to_initializer(moving_mean),
                                                                       .moving_variance_initializer = to_initializer(moving_variance),
                                                                       .name = name_or_empty(name),
                                                                       .dtype = layer_dtype(dtype)}));
           }),
           py::arg("axis") = -1, py::arg("momentum") = BatchNormalizationOptions{}.momentum,
           py::arg("epsilon") = BatchNormalizationOptions{}.epsilon, center, scale, beta_init,
           gamma_init, py::arg("moving_mean_initializer") = "zeros", py::arg("moving_variance_initializer") = "ones",
           name_arg, dtype_arg);

  py::class_<Handle<LayerNormalizationImpl>, Layer>(m, "LayerNormalization",
                                                    "Ba et al. (2016), with Keras's arguments and defaults")
      .def(py::init([](py::handle axis, double epsilon, bool c, bool s, py::handle beta, py::handle gamma,
                       std::optional<std::string> name, py::handle dtype) {
             return handle<LayerNormalizationImpl>(LayerNormalization({.axis = to_axes(axis),
                                                                       .epsilon = epsilon,
                                                                       .center = c,
                                                                       .scale = s,
                                                                       .beta_initializer = to_initializer(beta),
                                                                       .gamma_initializer = to_initializer(gamma),
                                                                       .name = name_or_empty(name),
                                                                       .dtype = layer_dtype(dtype)}));
           }),
           py::arg("axis") = -1, py::arg("epsilon") = LayerNormalizationOptions{}.epsilon, center, scale, beta_init, gamma_init, name_arg, dtype_arg);

  py::class_<Handle<GroupNormalizationImpl>, Layer>(m, "GroupNormalization",
                                                    "Wu & He (2018), with Keras's arguments and defaults")
      .def(py::init([](int64_t groups, int64_t axis, double epsilon, bool c, bool s, py::handle beta, py::handle gamma,
                       std::optional<std::string> name, py::handle dtype) {
             return handle<GroupNormalizationImpl>(GroupNormalization({.groups = groups,
                                                                       .axis = axis,
                                                                       .epsilon = epsilon,
                                                                       .center = c,
                                                                       .scale = s,
                                                                       .beta_initializer = to_initializer(beta),
                                                                       .gamma_initializer = to_initializer(gamma),
                                                                       .name = name_or_empty(name),
                                                                       .dtype = layer_dtype(dtype)}));
           }),
           py::arg("groups") = GroupNormalizationOptions{}.groups, py::arg("axis") = -1,
           py::arg("epsilon") = GroupNormalizationOptions{}.epsilon, center, scale, beta_init,
           gamma_init, name_arg, dtype_arg);

  py::class_<Handle<InstanceNormalizationImpl>, Layer>(m, "InstanceNormalization",
                                                       "Ulyanov et al. (2016): GroupNormalization with one group per channel")
      .def(py::init([](int64_t axis, double epsilon, bool c, bool s, py::handle beta, py::handle gamma,
                       std::optional<std::string> name, py::handle dtype) {
             return handle<InstanceNormalizationImpl>(InstanceNormalization({.axis = axis,
                                                                             .epsilon = epsilon,
                                                                             .center = c,
                                                                             .scale = s,
                                                                             .beta_initializer = to_initializer(beta),
                                                                             .gamma_initializer = to_initializer(gamma),
                                                                             .name = name_or_empty(name),
                                                                             .dtype = layer_dtype(dtype)}));
           }),
           py::arg("axis") = -1, py::arg("epsilon") = InstanceNormalizationOptions{}.epsilon, center, scale, beta_init, gamma_init, name_arg, dtype_arg);

  py::class_<Handle<NormalizationImpl>, Layer>(m, "Normalization", "Keras's Normalization of inputs: (x - mean) / sqrt(variance)")
      .def(py::init([](py::handle axis, std::vector<double> mean, std::vector<double> variance, bool invert,
                       std::optional<std::string> name, py::handle dtype) {
             return handle<NormalizationImpl>(Normalization({.axis = to_axes(axis),
                                                             .mean = std::move(mean),
                                                             .variance = std::move(variance),
                                                             .invert = invert,
                                                             .name = name_or_empty(name),
                                                             .dtype = layer_dtype(dtype)}));
           }),
           py::arg("axis") = -1, py::arg("mean") = std::vector<double>{}, py::arg("variance") = std::vector<double>{},
           py::arg("invert") = false, name_arg, dtype_arg)
      .def("adapt", [](const Handle<NormalizationImpl>& n, const TensorArg& data) {
        py::gil_scoped_release release;
        n.impl().adapt(data.value);
      }, py::arg("data"));

  py::class_<Handle<DropoutImpl>, Layer>(m, "Dropout", "Srivastava et al. (2014): zeroes `rate` of the units when training")
      .def(py::init([](double rate, std::optional<uint64_t> seed, std::optional<std::string> name) {
             return handle<DropoutImpl>(Dropout(rate, {.seed = seed, .name = name_or_empty(name)}));
           }),
           py::arg("rate"), py::arg("seed") = py::none(), name_arg)
      .def_property_readonly("rate", [](const Handle<DropoutImpl>& d) { return d.impl().rate(); });

  bind_recurrent_layers(m);
  bind_conv_layers(m);

  py::class_<Handle<ModelImpl>, Layer>(top, "Model", "Keras's functional Model(inputs, outputs)")
      .def(py::init([](py::handle inputs, py::handle outputs, std::optional<std::string> name) {
             return handle<ModelImpl>(Model(symbolic_list(inputs), symbolic_list(outputs), name_or_empty(name)));
           }),
           py::arg("inputs"), py::arg("outputs"), name_arg)
      .def_property_readonly("layers", [](const Handle<ModelImpl>& mo) { return layer_list(mo.impl().layers()); })
      .def("get_layer", [](const Handle<ModelImpl>& mo, const std::string& n) { return layer_object(mo.impl().get_layer(n)); },
           py::arg("name"))
      .def("summary", [](const Handle<ModelImpl>& mo) { py::print(mo.impl().summary()); });

  py::class_<Handle<SequentialImpl>, Layer>(top, "Sequential", "Keras's Sequential: layers applied in order")
      .def(py::init([](py::handle layers, std::optional<std::string> name) {
             return handle<SequentialImpl>(Sequential(to_layers(layers), name_or_empty(name)));
           }),
           py::arg("layers") = py::none(), name_arg)
      .def("add", [](const Handle<SequentialImpl>& s, const Layer& l) { s.impl().add(l); }, py::arg("layer"))
      .def_property_readonly("layers", [](const Handle<SequentialImpl>& s) { return layer_list(s.impl().layers()); })
      .def("summary", [](const Handle<SequentialImpl>& s) { py::print(s.impl().summary()); });
}

}  // namespace gradlab::python
