#pragma once
// What the layer bindings share: a layer handle typed by its implementation, so that Python sees
// Dense, LSTM, ... as their own classes, and the conversions of Keras's constructor arguments.
#include <optional>
#include <string>

#include "bindings.h"

namespace gradlab::python {

/// A layer handle typed by its implementation.
template <class Impl>
struct Handle : Layer {
  using Layer::Layer;
  Impl& impl() const { return *as<Impl>(); }
};

/// `layer` as a handle typed by its implementation (which it must have).
template <class Impl>
Handle<Impl> handle(const Layer& layer) {
  return Handle<Impl>(layer.shared_impl());
}

/// A layer's name argument: None means the automatic name.
inline std::string name_or_empty(const std::optional<std::string>& name) { return name.value_or(""); }

/// A layer's dtype argument: None means the first input's.
inline std::optional<DType> layer_dtype(py::handle dtype) {
  if (dtype.is_none()) return std::nullopt;
  return to_dtype(dtype, DType::float32);
}

/// An activation argument: a name, or None for "linear" (Keras's Dense default).
inline std::string activation_name(py::handle activation) {
  if (activation.is_none()) return "linear";
  if (py::isinstance<py::str>(activation)) return activation.cast<std::string>();
  throw py::type_error("activation: expected a name such as 'relu' or None, got " +
                       py::repr(activation).cast<std::string>());
}

/// Calls a layer on tensors, NumPy arrays or symbolic tensors (one or a list), as Keras's __call__.
py::object call_layer(const Layer& layer, py::handle inputs, bool training);

/// The Python object for a recurrent layer or Bidirectional, as its own class; None for other layers.
py::object recurrent_layer_object(const Layer& layer);

/// The Python object for a convolution, pooling, Flatten, Reshape or ZeroPadding2D layer, as its own
/// class; None for others.
py::object conv_layer_object(const Layer& layer);

/// Adds Conv2D, Conv1D, DepthwiseConv2D, MaxPooling1D/2D, AveragePooling1D/2D,
/// GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D, Flatten, Reshape and ZeroPadding2D to
/// gradlab.layers.
void bind_conv_layers(py::module_& layers);

/// Adds SimpleRNN, LSTM, GRU and Bidirectional to gradlab.layers.
void bind_recurrent_layers(py::module_& layers);

}  // namespace gradlab::python
