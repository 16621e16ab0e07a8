#pragma once
// Shared pieces of the Python module: how Python values become gradlab tensors and back, and the
// functions that add each part of the API to the module.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "gradlab/gradlab.h"
#include "gradlab/io/model_spec.h"
#include "gradlab/io/safetensors.h"
#include "gradlab/io/weights.h"

namespace gradlab::python {

namespace py = pybind11;

/// A function argument that accepts a gradlab.Tensor, a Variable (its value), a NumPy array or
/// anything np.asarray takes. float32 and float64 C-contiguous writable arrays are shared without a
/// copy; other arrays are copied (integers and lists become float32, as tf.convert_to_tensor does).
struct TensorArg {
  Tensor value;
};

/// The tensor a Python value stands for (see TensorArg); a TypeError when there is none.
Tensor to_tensor(py::handle value);

/// A NumPy array sharing the tensor's memory (no copy); the array keeps the tensor alive.
py::array to_numpy(const Tensor& tensor);

/// The Python object for a tensor handle: None for an undefined tensor (an unconnected gradient).
py::object tensor_or_none(const Tensor& tensor);

/// DType from "float32" / "float64" or a NumPy dtype; None gives `fallback`.
DType to_dtype(py::handle dtype, DType fallback);

/// Axes from None (all), an int or a sequence of ints.
std::vector<int64_t> to_axes(py::handle axis);

/// An Initializer from an initializer object or a name ("he_uniform", "HeUniform").
Initializer to_initializer(py::handle value);

/// The Python object for a layer handle, as its own class (a Model's layers come back as Dense, ...).
py::object layer_object(const Layer& layer);

void bind_tensor(py::module_& m);
void bind_tape(py::module_& m);
void bind_ops(py::module_& m);
void bind_initializers(py::module_& m);
void bind_layers(py::module_& m);
void bind_io(py::module_& m);

}  // namespace gradlab::python

namespace pybind11::detail {

template <>
struct type_caster<gradlab::python::TensorArg> {
  PYBIND11_TYPE_CASTER(gradlab::python::TensorArg, const_name("Tensor | numpy.ndarray"));
  bool load(handle src, bool /*convert*/) {
    try {
      value.value = gradlab::python::to_tensor(src);
      return true;
    } catch (const pybind11::type_error&) {
      return false;
    }
  }
};

}  // namespace pybind11::detail
