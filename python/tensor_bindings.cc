// gradlab.Tensor and the conversions between NumPy arrays and tensors.
#include <memory>
#include <string>

#include "bindings.h"

namespace gradlab::python {
namespace {

// Holds a Python object for a tensor that shares its memory. The last tensor handle may go away on
// a thread that does not hold the GIL (inside a call that released it), hence the acquire.
std::shared_ptr<const void> hold(py::object object) {
  PyObject* held = object.release().ptr();
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(const_cast<void*>(p)));
  });
}

Shape shape_of(const py::array& array) {
  std::vector<int64_t> dims(array.shape(), array.shape() + array.ndim());
  return Shape(dims);
}

template <typename T>
Tensor copy_array(py::handle value) {
  auto array = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!array) throw py::error_already_set();
  Tensor t = Tensor::empty(shape_of(array), dtype_of<T>);
  std::copy_n(array.data(), array.size(), t.template data<T>());
  return t;
}

}  // namespace

Tensor to_tensor(py::handle value) {
  if (py::isinstance<Tensor>(value)) return value.cast<Tensor>();
  if (py::isinstance<Variable>(value)) return value.cast<Variable>().value();
  if (py::isinstance<py::array>(value)) {
    auto array = py::reinterpret_borrow<py::array>(value);
    const bool f32 = array.dtype().is(py::dtype::of<float>());
    const bool f64 = array.dtype().is(py::dtype::of<double>());
    const bool shareable = (array.flags() & py::array::c_style) &&
                           (array.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) && array.writeable();
    if ((f32 || f64) && shareable) {
      return Tensor::wrap(array.mutable_data(), shape_of(array), f32 ? DType::float32 : DType::float64,
                          hold(py::reinterpret_borrow<py::object>(value)));
    }
    if (f64) return copy_array<double>(value);
    if (array.dtype().kind() == 'f' || array.dtype().kind() == 'i' || array.dtype().kind() == 'u' ||
        array.dtype().kind() == 'b') {
      return copy_array<float>(value);
    }
    throw py::type_error("gradlab: cannot make a tensor from a NumPy array of dtype " +
                         py::str(py::object(array.dtype())).cast<std::string>());
  }
  if (py::isinstance<py::float_>(value) || py::isinstance<py::int_>(value) || py::isinstance<py::list>(value) ||
      py::isinstance<py::tuple>(value) || py::hasattr(value, "__array__")) {
    py::array array = py::module_::import("numpy").attr("asarray")(value);
    if (array.dtype().kind() == 'f' && !py::hasattr(value, "__array__")) return copy_array<float>(array);
    return to_tensor(array);
  }
  throw py::type_error("gradlab: expected a Tensor, a Variable or a NumPy array, got " +
                       py::str(py::type::of(value)).cast<std::string>());
}

py::array to_numpy(const Tensor& tensor) {
  auto* keep = new Tensor(tensor);
  py::capsule base(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  std::vector<py::ssize_t> dims(tensor.shape().begin(), tensor.shape().end());
  return dispatch(tensor.dtype(), [&](auto zero) -> py::array {
    using T = decltype(zero);
    return py::array_t<T>(dims, static_cast<T*>(tensor.raw_data()), base);
  });
}

py::object tensor_or_none(const Tensor& tensor) {
  if (!tensor.defined()) return py::none();
  return py::cast(tensor);
}

DType to_dtype(py::handle dtype, DType fallback) {
  if (dtype.is_none()) return fallback;
  if (py::isinstance<py::str>(dtype)) return parse_dtype(dtype.cast<std::string>());
  const py::dtype d = py::dtype::from_args(py::reinterpret_borrow<py::object>(dtype));
  if (d.is(py::dtype::of<float>())) return DType::float32;
  if (d.is(py::dtype::of<double>())) return DType::float64;
  return parse_dtype(py::str(py::object(d)).cast<std::string>());
}

std::vector<int64_t> to_axes(py::handle axis) {
  if (axis.is_none()) return {};
  if (py::isinstance<py::int_>(axis)) return {axis.cast<int64_t>()};
  return axis.cast<std::vector<int64_t>>();
}

void bind_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor", py::buffer_protocol(),
                     "A gradlab tensor: float32 or float64, row-major. np.asarray(t) shares its memory.")
      .def(py::init([](const TensorArg& value, py::object dtype) {
             const Tensor& t = value.value;
             return dtype.is_none() ? t : t.to(to_dtype(dtype, t.dtype()));
           }),
           py::arg("value"), py::arg("dtype") = py::none())
      .def_buffer([](Tensor& t) {
        return dispatch(t.dtype(), [&](auto zero) {
          using T = decltype(zero);
          std::vector<py::ssize_t> dims(t.shape().begin(), t.shape().end());
          std::vector<py::ssize_t> strides(dims.size());
          py::ssize_t stride = sizeof(T);
          for (std::size_t i = dims.size(); i-- > 0;) {
            strides[i] = stride;
            stride *= dims[i];
          }
          return py::buffer_info(t.raw_data(), sizeof(T), py::format_descriptor<T>::format(),
                                 static_cast<py::ssize_t>(dims.size()), dims, strides);
        });
      })
      .def_property_readonly("shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape().to_vector())); })
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); })
      .def_property_readonly("ndim", &Tensor::rank)
      .def_property_readonly("size", &Tensor::numel)
      .def("numpy", &to_numpy, "The values as a NumPy array that shares this tensor's memory")
      .def(
          "__array__",
          [](const Tensor& t, py::object dtype, py::object /*copy*/) -> py::object {
            py::array a = to_numpy(t);
            return dtype.is_none() ? py::object(a) : a.attr("astype")(dtype);
          },
          py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("item", &Tensor::item)
      .def("__float__", &Tensor::item)
      .def("__len__", [](const Tensor& t) {
        if (t.rank() == 0) throw py::type_error("len() of a 0-d tensor");
        return t.dim(0);
      })
      .def("__repr__", [](const Tensor& t) { return "gradlab.Tensor(" + t.to_string() + ")"; });

  py::class_<Variable>(m, "Variable", "A layer's weight: a named tensor that optimizers update in place")
      .def_property_readonly("name", &Variable::name)
      .def_property_readonly("value", &Variable::value)
      .def_property_readonly("shape", [](const Variable& v) { return py::tuple(py::cast(v.shape().to_vector())); })
      .def_property_readonly("dtype", [](const Variable& v) { return std::string(dtype_name(v.dtype())); })
      .def_property_readonly("trainable", &Variable::trainable)
      .def("numpy", [](const Variable& v) { return to_numpy(v.value()); },
           "The current values as a NumPy array that shares the variable's memory")
      .def(
          "__array__",
          [](const Variable& v, py::object dtype, py::object /*copy*/) -> py::object {
            py::array a = to_numpy(v.value());
            return dtype.is_none() ? py::object(a) : a.attr("astype")(dtype);
          },
          py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("assign", [](Variable& v, const TensorArg& value) { v.assign(value.value); })
      .def("__repr__", [](const Variable& v) {
        return "gradlab.Variable('" + v.name() + "', " + v.value().to_string() + ")";
      });
}

}  // namespace gradlab::python
