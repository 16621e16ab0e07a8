// `import gradlab`: the library's tensors, tape, ops, layers, initializers, files and lab for Python.
// gradlab::Error becomes gradlab.Error, a ValueError, with the library's message.
#include "bindings.h"
#include "json_objects.h"

PYBIND11_MODULE(gradlab, m) {
  namespace py = pybind11;
  using namespace gradlab::python;
  m.doc() = "gradlab: a C++ deep-learning library and lab for vanishing and exploding gradients";
  m.attr("__version__") = GRADLAB_PYTHON_VERSION;
  py::register_exception<gradlab::Error>(m, "Error", PyExc_ValueError);

  // Submodules are registered in sys.modules too, so `import gradlab.layers` and
  // `from gradlab.initializers import HeUniform` work as they do for Keras.
  auto submodule = [&m](const char* name, const char* doc) {
    py::module_ sub = m.def_submodule(name, doc);
    py::module_::import("sys").attr("modules")[py::str(std::string("gradlab.") + name)] = sub;
    return sub;
  };
  submodule("random", "Random tensors from gradlab's Philox generator");
  submodule("activations", "Activation functions by Keras's names");
  submodule("initializers", "Keras's initializers, by class and by name");
  submodule("layers", "Keras-style layers");

  bind_tensor(m);
  bind_tape(m);
  bind_ops(m);
  bind_initializers(m);
  bind_layers(m);
  bind_io(m);
  bind_lab(m);
  bind_train(m);
}
