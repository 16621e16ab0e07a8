// gradlab.GradientTape with tf.GradientTape's `with` syntax: it records inside the block and answers
// gradient() after it.
#include <memory>
#include <optional>

#include "bindings.h"

namespace gradlab::python {
namespace {

struct PyTape {
  TapeOptions options;
  std::unique_ptr<GradientTape> tape;
  std::optional<GradientTape::Pause> paused;  // after the `with` block; destroyed before the tape

  GradientTape& entered(const char* what) {
    if (!tape) throw Error(std::string("GradientTape.") + what + ": use the tape in a `with` block first");
    return *tape;
  }
};

// A source is a Tensor or a Variable; a NumPy array has no identity the tape could have recorded.
Tensor source_tensor(py::handle source, const char* what) {
  if (py::isinstance<Tensor>(source)) return source.cast<Tensor>();
  if (py::isinstance<Variable>(source)) return source.cast<Variable>().value();
  throw py::type_error(std::string("GradientTape.") + what +
                       ": expected a gradlab.Tensor or Variable (convert a NumPy array with "
                       "gradlab.convert_to_tensor first and use that tensor in the block), got " +
                       py::str(py::type::of(source)).cast<std::string>());
}

UnconnectedGradients parse_unconnected(const std::string& name) {
  if (name == "none") return UnconnectedGradients::none;
  if (name == "zero") return UnconnectedGradients::zero;
  throw Error("unconnected_gradients must be 'none' or 'zero', got '" + name + "'");
}

}  // namespace

void bind_tape(py::module_& m) {
  py::class_<PyTape>(m, "GradientTape",
                     "Records differentiable ops inside a `with` block; gradient() after it (tf.GradientTape)")
      .def(py::init([](bool persistent, bool watch_accessed_variables) {
             auto t = std::make_unique<PyTape>();
             t->options = {.persistent = persistent, .watch_accessed_variables = watch_accessed_variables};
             return t;
           }),
           py::arg("persistent") = false, py::arg("watch_accessed_variables") = true)
      .def("__enter__",
           [](PyTape& t) -> PyTape& {
             if (t.tape) throw Error("GradientTape: a tape records in one `with` block only");
             t.tape = std::make_unique<GradientTape>(t.options);
             return t;
           },
           py::return_value_policy::reference)
      .def("__exit__", [](PyTape& t, py::args) {
        t.paused.emplace(t.entered("__exit__"));
        return false;
      })
      .def("watch", [](PyTape& t, py::handle x) {
        GradientTape& tape = t.entered("watch");
        if (py::isinstance<py::list>(x) || py::isinstance<py::tuple>(x)) {
          for (py::handle item : x) tape.watch(source_tensor(item, "watch"));
        } else {
          tape.watch(source_tensor(x, "watch"));
        }
      }, py::arg("tensor"))
      .def(
          "gradient",
          [](PyTape& t, const TensorArg& target, py::handle sources, const std::string& unconnected) -> py::object {
            GradientTape& tape = t.entered("gradient");
            const UnconnectedGradients mode = parse_unconnected(unconnected);
            if (py::isinstance<py::list>(sources) || py::isinstance<py::tuple>(sources)) {
              std::vector<Tensor> xs;
              for (py::handle s : sources) xs.push_back(source_tensor(s, "gradient"));
              py::list out;
              for (const Tensor& g : tape.gradient(target.value, xs, mode)) out.append(tensor_or_none(g));
              return out;
            }
            return tensor_or_none(tape.gradient(target.value, source_tensor(sources, "gradient"), mode));
          },
          py::arg("target"), py::arg("sources"), py::arg("unconnected_gradients") = "none")
      .def("reset", [](PyTape& t) { t.entered("reset").reset(); });
}

}  // namespace gradlab::python
