// gradlab.initializers: Keras's initializers by class (HeUniform()) and by name (get("he_uniform")).
// The names come from the library's one table; the classes with arguments bind its factories.
#include <string>

#include "bindings.h"

namespace gradlab::python {
namespace {

Tensor draw(const Initializer& init, py::handle shape, py::handle dtype, py::handle seed) {
  const Shape s(py::isinstance<py::int_>(shape) ? std::vector<int64_t>{shape.cast<int64_t>()}
                                                 : shape.cast<std::vector<int64_t>>());
  const DType d = to_dtype(dtype, DType::float32);
  if (seed.is_none()) return init(s, d, default_rng());
  Rng rng(seed.cast<uint64_t>());
  return init(s, d, rng);
}

}  // namespace

Initializer to_initializer(py::handle value) {
  if (py::isinstance<Initializer>(value)) return value.cast<Initializer>();
  if (py::isinstance<py::str>(value)) return Initializer(value.cast<std::string>());
  throw py::type_error("expected an initializer (gradlab.initializers.HeUniform()) or its name ('he_uniform'), got " +
                       py::repr(value).cast<std::string>());
}

void bind_initializers(py::module_& top) {
  py::module_ m = top.attr("initializers");
  py::class_<Initializer>(m, "Initializer", "How a layer's variables get their first values (Keras semantics)")
      .def(py::init([](const std::string& name) { return Initializer(name); }), py::arg("name"))
      .def("__call__", &draw, py::arg("shape"), py::arg("dtype") = py::none(), py::arg("seed") = py::none(),
           "Draws a tensor of `shape` (from the default generator, or a fresh one seeded with `seed`)")
      .def_property_readonly("name", &Initializer::name)
      .def("__repr__", [](const Initializer& i) { return "gradlab.initializers." + i.description(); });
  py::implicitly_convertible<py::str, Initializer>();

  m.def("get", [](const std::string& name) { return Initializer(name); }, py::arg("name"),
        "The initializer of a Keras name or class name ('he_uniform', 'HeUniform')");
  m.def("names", &initializer_names, "Every name get() accepts");

  for (const char* name : {"Zeros", "Ones", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                           "LecunNormal"}) {
    const std::string n = name;
    m.def(name, [n]() { return Initializer(n); });
  }
  m.def("Constant", &constant, py::arg("value") = 0.0);
  m.def("RandomUniform", &random_uniform, py::arg("minval") = -0.05, py::arg("maxval") = 0.05);
  m.def("RandomNormal", &random_normal, py::arg("mean") = 0.0, py::arg("stddev") = 0.05);
  m.def("TruncatedNormal", &truncated_normal_initializer, py::arg("mean") = 0.0, py::arg("stddev") = 0.05);
  m.def("Orthogonal", &orthogonal, py::arg("gain") = 1.0);
  m.def("Identity", &identity, py::arg("gain") = 1.0);
  m.def(
      "VarianceScaling",
      [](double scale, const std::string& mode, const std::string& distribution) {
        return variance_scaling(
            {.scale = scale, .mode = parse_fan_mode(mode), .distribution = parse_distribution(distribution)});
      },
      py::arg("scale") = 1.0, py::arg("mode") = "fan_in", py::arg("distribution") = "truncated_normal");
}

}  // namespace gradlab::python
