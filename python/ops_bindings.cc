// Differentiable ops under TensorFlow's names (reduce_mean, norm, concat, ...), activations by
// Keras's names, tensor creation and gradlab.random. Each is the library's op; nothing is computed here.
#include <string>

#include "bindings.h"

namespace gradlab::python {
namespace {

Shape to_shape(py::handle shape) {
  if (py::isinstance<py::int_>(shape)) return Shape{shape.cast<int64_t>()};
  return Shape(shape.cast<std::vector<int64_t>>());
}

using Binary = Tensor (*)(const Tensor&, const Tensor&);

// Python's operators: the other operand may be a Tensor, an array or a number, which takes the
// tensor's dtype (a Python float is float32 otherwise, and x + 1.0 on a float64 x stays float64).
Tensor like(const TensorArg& other, const Tensor& a) {
  return other.value.dtype() == a.dtype() ? other.value : cast(other.value, a.dtype());
}

void bind_operator(py::class_<Tensor>& cls, const char* name, const char* reflected, Binary op) {
  cls.def(name, [op](const Tensor& a, const TensorArg& b) { return op(a, like(b, a)); });
  cls.def(reflected, [op](const Tensor& a, const TensorArg& b) { return op(like(b, a), a); });
}

}  // namespace

void bind_ops(py::module_& m) {
  auto tensor = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));
  bind_operator(tensor, "__add__", "__radd__", [](const Tensor& a, const Tensor& b) { return add(a, b); });
  bind_operator(tensor, "__sub__", "__rsub__", [](const Tensor& a, const Tensor& b) { return sub(a, b); });
  bind_operator(tensor, "__mul__", "__rmul__", [](const Tensor& a, const Tensor& b) { return mul(a, b); });
  bind_operator(tensor, "__truediv__", "__rtruediv__", [](const Tensor& a, const Tensor& b) { return div(a, b); });
  tensor.def("__matmul__", [](const Tensor& a, const TensorArg& b) { return matmul(a, b.value); });
  tensor.def("__neg__", [](const Tensor& a) { return neg(a); });

  const auto x = py::arg("x");
  m.def("add", [](const TensorArg& a, const TensorArg& b) { return add(a.value, b.value); }, py::arg("x"), py::arg("y"));
  m.def("subtract", [](const TensorArg& a, const TensorArg& b) { return sub(a.value, b.value); }, py::arg("x"), py::arg("y"));
  m.def("multiply", [](const TensorArg& a, const TensorArg& b) { return mul(a.value, b.value); }, py::arg("x"), py::arg("y"));
  m.def("divide", [](const TensorArg& a, const TensorArg& b) { return div(a.value, b.value); }, py::arg("x"), py::arg("y"));
  m.def("matmul",
        [](const TensorArg& a, const TensorArg& b, bool ta, bool tb) { return matmul(a.value, b.value, ta, tb); },
        py::arg("a"), py::arg("b"), py::arg("transpose_a") = false, py::arg("transpose_b") = false);
  m.def("negative", [](const TensorArg& a) { return neg(a.value); }, x);
  m.def("exp", [](const TensorArg& a) { return exp(a.value); }, x);
  m.def("log", [](const TensorArg& a) { return log(a.value); }, x);
  m.def("sqrt", [](const TensorArg& a) { return sqrt(a.value); }, x);
  m.def("square", [](const TensorArg& a) { return square(a.value); }, x);
  m.def("abs", [](const TensorArg& a) { return abs(a.value); }, x);
  m.def("pow", [](const TensorArg& a, double e) { return pow(a.value, e); }, x, py::arg("exponent"));
  m.def("stop_gradient", [](const TensorArg& a) { return stop_gradient(a.value); }, x);
  m.def("cast", [](const TensorArg& a, py::handle dtype) { return cast(a.value, to_dtype(dtype, a.value.dtype())); },
        x, py::arg("dtype"));

  const auto axis = py::arg("axis") = py::none();
  const auto keepdims = py::arg("keepdims") = false;
  m.def("reduce_mean", [](const TensorArg& a, py::handle ax, bool k) { return mean(a.value, to_axes(ax), k); },
        x, axis, keepdims, "tf.reduce_mean: the mean over `axis` (all axes when None)");
  m.def("reduce_sum", [](const TensorArg& a, py::handle ax, bool k) { return sum(a.value, to_axes(ax), k); },
        x, axis, keepdims);
  m.def("reduce_max", [](const TensorArg& a, py::handle ax, bool k) { return reduce_max(a.value, to_axes(ax), k); },
        x, axis, keepdims);
  m.def("reduce_variance", [](const TensorArg& a, py::handle ax, bool k) { return variance(a.value, to_axes(ax), k); },
        x, axis, keepdims);
  m.def(
      "norm",
      [](const TensorArg& a, py::object ord, py::handle ax, bool k) {
        const bool euclidean = (py::isinstance<py::str>(ord) && ord.cast<std::string>() == "euclidean") ||
                               (!py::isinstance<py::str>(ord) && py::float_(ord).cast<double>() == 2.0);
        if (!euclidean) {
          throw Error("norm: only ord='euclidean' (2) is supported, got " + py::repr(ord).cast<std::string>());
        }
        return norm(a.value, to_axes(ax), k);
      },
      x, py::arg("ord") = "euclidean", axis, keepdims, "tf.norm with ord='euclidean' (the 2-norm over `axis`)");
  m.def(
      "concat",
      [](const std::vector<TensorArg>& values, int64_t ax) {
        std::vector<Tensor> xs;
        for (const TensorArg& v : values) xs.push_back(v.value);
        return concat(xs, ax);
      },
      py::arg("values"), py::arg("axis") = -1);
  m.def("reshape", [](const TensorArg& a, const std::vector<int64_t>& shape) { return reshape(a.value, shape); },
        x, py::arg("shape"));
  m.def("transpose", [](const TensorArg& a, const std::vector<int64_t>& perm) { return transpose(a.value, perm); },
        x, py::arg("perm") = std::vector<int64_t>{});

  m.def("convert_to_tensor",
        [](const TensorArg& a, py::handle dtype) {
          const DType d = to_dtype(dtype, a.value.dtype());
          return d == a.value.dtype() ? a.value : a.value.to(d);
        },
        py::arg("value"), py::arg("dtype") = py::none(),
        "A tensor sharing the array's memory when it is a C-contiguous float32/float64 array, else a copy");
  m.def("constant",
        [](const TensorArg& a, py::handle dtype) { return a.value.to(to_dtype(dtype, a.value.dtype())).clone(); },
        py::arg("value"), py::arg("dtype") = py::none(), "A tensor holding a copy of the values");
  m.def("zeros", [](py::handle shape, py::handle dtype) { return zeros(to_shape(shape), to_dtype(dtype, DType::float32)); },
        py::arg("shape"), py::arg("dtype") = py::none());
  m.def("ones", [](py::handle shape, py::handle dtype) { return ones(to_shape(shape), to_dtype(dtype, DType::float32)); },
        py::arg("shape"), py::arg("dtype") = py::none());

  py::module_ random = m.attr("random");
  random.def("set_seed", &set_seed, py::arg("seed"), "Reseeds the default generator that layers and gradlab.random use");
  random.def(
      "uniform",
      [](py::handle shape, double minval, double maxval, py::handle dtype) {
        return uniform(to_shape(shape), default_rng(), minval, maxval, to_dtype(dtype, DType::float32));
      },
      py::arg("shape"), py::arg("minval") = 0.0, py::arg("maxval") = 1.0, py::arg("dtype") = py::none());
  random.def(
      "normal",
      [](py::handle shape, double mean_value, double stddev, py::handle dtype) {
        return normal(to_shape(shape), default_rng(), mean_value, stddev, to_dtype(dtype, DType::float32));
      },
      py::arg("shape"), py::arg("mean") = 0.0, py::arg("stddev") = 1.0, py::arg("dtype") = py::none());
  random.def(
      "truncated_normal",
      [](py::handle shape, double mean_value, double stddev, py::handle dtype) {
        return truncated_normal(to_shape(shape), default_rng(), mean_value, stddev, to_dtype(dtype, DType::float32));
      },
      py::arg("shape"), py::arg("mean") = 0.0, py::arg("stddev") = 1.0, py::arg("dtype") = py::none());

  py::module_ activations = m.attr("activations");
  for (const std::string& name : activation_names()) {
    ActivationFn fn = get_activation(name);
    activations.def(name.c_str(), [fn](const TensorArg& a) { return fn(a.value); }, x);
  }
  activations.def("get", [](const std::string& name) {
    ActivationFn fn = get_activation(name);
    return py::cpp_function([fn](const TensorArg& a) { return fn(a.value); }, py::arg("x"));
  }, py::arg("name"));
}

}  // namespace gradlab::python
