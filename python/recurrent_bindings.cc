// gradlab.layers.SimpleRNN, LSTM, GRU and Bidirectional with Keras's constructor arguments and
// defaults (from RecurrentOptions), and Keras's call: layer(x, initial_state=[h0]) returns the
// output, or [output, h] ([output, h, c] for LSTM) with return_state.
#include "layer_handles.h"

namespace gradlab::python {
namespace {

// One Python class per cell over the one implementation.
template <RecurrentCell Cell>
struct CellHandle : Handle<RecurrentImpl> {
  using Handle<RecurrentImpl>::Handle;
};

template <RecurrentCell Cell>
CellHandle<Cell> make_cell(int64_t units, RecurrentOptions options) {
  switch (Cell) {
    case RecurrentCell::simple_rnn: return CellHandle<Cell>(SimpleRNN(units, std::move(options)).shared_impl());
    case RecurrentCell::lstm: return CellHandle<Cell>(LSTM(units, std::move(options)).shared_impl());
    case RecurrentCell::gru: return CellHandle<Cell>(GRU(units, std::move(options)).shared_impl());
  }
  throw Error("unknown recurrent cell");
}

py::object call_recurrent(const Handle<RecurrentImpl>& layer, py::handle inputs, py::handle initial_state, bool training) {
  const bool with_states = !initial_state.is_none();
  if (!with_states && !layer.impl().options().return_state) return call_layer(layer, inputs, training);
  std::vector<Tensor> states;
  if (with_states) {
    if (py::isinstance<py::list>(initial_state) || py::isinstance<py::tuple>(initial_state)) {
      for (py::handle s : initial_state) states.push_back(to_tensor(s));
    } else {
      states.push_back(to_tensor(initial_state));
    }
  }
  const Tensor x = to_tensor(inputs);
  std::vector<Tensor> outs;
  {
    py::gil_scoped_release release;
    outs = Recurrent(std::static_pointer_cast<RecurrentImpl>(layer.shared_impl())).call(x, states, {.training = training});
  }
  if (!layer.impl().options().return_state) return py::cast(outs.front());
  py::list result;
  for (const Tensor& t : outs) result.append(py::cast(t));
  return result;
}

template <RecurrentCell Cell>
void bind_cell(py::module_& m, const char* name, const char* doc) {
  const RecurrentOptions d;
  auto cls = py::class_<CellHandle<Cell>, Handle<RecurrentImpl>>(m, name, doc);
  auto make = [](int64_t units, py::handle activation, py::handle recurrent_activation, bool use_bias,
                 py::handle kernel_initializer, py::handle recurrent_initializer, py::handle bias_initializer,
                 bool unit_forget_bias, bool reset_after, bool return_sequences, bool return_state, bool go_backwards,
                 bool layer_norm, std::optional<std::string> layer_name, py::handle dtype) {
    return make_cell<Cell>(units, {.activation = activation_name(activation),
                                   .recurrent_activation = activation_name(recurrent_activation),
                                   .use_bias = use_bias,
                                   .kernel_initializer = to_initializer(kernel_initializer),
                                   .recurrent_initializer = to_initializer(recurrent_initializer),
                                   .bias_initializer = to_initializer(bias_initializer),
                                   .unit_forget_bias = unit_forget_bias,
                                   .reset_after = reset_after,
                                   .return_sequences = return_sequences,
                                   .return_state = return_state,
                                   .go_backwards = go_backwards,
                                   .layer_norm = layer_norm,
                                   .name = name_or_empty(layer_name),
                                   .dtype = layer_dtype(dtype)});
  };
  // Keras's signatures: SimpleRNN has no gates; only LSTM has unit_forget_bias, only GRU reset_after.
  const auto units = py::arg("units");
  const auto activation = py::arg("activation") = d.activation;
  const auto use_bias = py::arg("use_bias") = d.use_bias;
  const auto kernel = py::arg("kernel_initializer") = d.kernel_initializer.name();
  const auto recurrent = py::arg("recurrent_initializer") = d.recurrent_initializer.name();
  const auto bias = py::arg("bias_initializer") = d.bias_initializer.name();
  const auto sequences = py::arg("return_sequences") = d.return_sequences;
  const auto state = py::arg("return_state") = d.return_state;
  const auto backwards = py::arg("go_backwards") = d.go_backwards;
  const auto layer_norm = py::arg("layer_norm") = d.layer_norm;
  const auto name_arg = py::arg("name") = py::none();
  const auto dtype_arg = py::arg("dtype") = py::none();
  if constexpr (Cell == RecurrentCell::simple_rnn) {
    cls.def(py::init([make](int64_t u, py::handle a, bool ub, py::handle k, py::handle r, py::handle b, bool rs,
                            bool st, bool gb, bool ln, std::optional<std::string> n, py::handle dt) {
              return make(u, a, py::str(RecurrentOptions{}.recurrent_activation), ub, k, r, b, false, false, rs, st, gb, ln,
                          std::move(n), dt);
            }),
            units, activation, use_bias, kernel, recurrent, bias, sequences, state, backwards, layer_norm, name_arg,
            dtype_arg);
  } else if constexpr (Cell == RecurrentCell::lstm) {
    cls.def(py::init([make](int64_t u, py::handle a, py::handle ra, bool ub, py::handle k, py::handle r, py::handle b,
                            bool ufb, bool rs, bool st, bool gb, bool ln, std::optional<std::string> n, py::handle dt) {
              return make(u, a, ra, ub, k, r, b, ufb, false, rs, st, gb, ln, std::move(n), dt);
            }),
            units, activation, py::arg("recurrent_activation") = d.recurrent_activation, use_bias, kernel, recurrent,
            bias, py::arg("unit_forget_bias") = d.unit_forget_bias, sequences, state, backwards, layer_norm, name_arg,
            dtype_arg);
  } else {
    cls.def(py::init([make](int64_t u, py::handle a, py::handle ra, bool ub, py::handle k, py::handle r, py::handle b,
                            bool ra_after, bool rs, bool st, bool gb, bool ln, std::optional<std::string> n, py::handle dt) {
              return make(u, a, ra, ub, k, r, b, false, ra_after, rs, st, gb, ln, std::move(n), dt);
            }),
            units, activation, py::arg("recurrent_activation") = d.recurrent_activation, use_bias, kernel, recurrent,
            bias, py::arg("reset_after") = d.reset_after, sequences, state, backwards, layer_norm, name_arg, dtype_arg);
  }
}

}  // namespace

void bind_recurrent_layers(py::module_& m) {
  py::class_<Handle<RecurrentImpl>, Layer>(m, "RNN", "What SimpleRNN, LSTM and GRU share (inputs [batch, time, features])")
      .def("__call__", &call_recurrent, py::arg("inputs"), py::arg("initial_state") = py::none(),
           py::arg("training") = false,
           "Keras's call: the output, or [output, h] ([output, h, c] for LSTM) with return_state; "
           "initial_state: h, or [h, c] for LSTM (zeros when not given)")
      .def_property_readonly("units", [](const Handle<RecurrentImpl>& r) { return r.impl().units(); })
      .def_property_readonly("cell", [](const Handle<RecurrentImpl>& r) { return std::string(cell_name(r.impl().cell())); })
      .def_property_readonly("return_sequences", [](const Handle<RecurrentImpl>& r) { return r.impl().options().return_sequences; })
      .def_property_readonly("return_state", [](const Handle<RecurrentImpl>& r) { return r.impl().options().return_state; });
  bind_cell<RecurrentCell::simple_rnn>(m, "SimpleRNN", "keras.layers.SimpleRNN: h_t = activation(x_t W + h_{t-1} U + b) (Elman 1990)");
  bind_cell<RecurrentCell::lstm>(m, "LSTM", "keras.layers.LSTM (Hochreiter & Schmidhuber 1997), gates i, f, c, o");
  bind_cell<RecurrentCell::gru>(m, "GRU", "keras.layers.GRU (Cho et al. 2014), gates z, r, h");

  py::class_<Handle<BidirectionalImpl>, Layer>(
      m, "Bidirectional", "keras.layers.Bidirectional (Schuster & Paliwal 1997): the layer forward and a copy backward, merged")
      .def(py::init([](const Layer& layer, const std::string& merge_mode, std::optional<std::string> name) {
             return handle<BidirectionalImpl>(Bidirectional(layer, {.merge_mode = merge_mode, .name = name_or_empty(name)}));
           }),
           py::arg("layer"), py::arg("merge_mode") = BidirectionalOptions{}.merge_mode, py::arg("name") = py::none())
      .def_property_readonly("forward_layer", [](const Handle<BidirectionalImpl>& b) { return layer_object(b.impl().forward_layer()); })
      .def_property_readonly("backward_layer", [](const Handle<BidirectionalImpl>& b) { return layer_object(b.impl().backward_layer()); })
      .def_property_readonly("merge_mode", [](const Handle<BidirectionalImpl>& b) { return b.impl().options().merge_mode; });
}

py::object recurrent_layer_object(const Layer& layer) {
  if (const auto* r = layer.as<RecurrentImpl>()) {
    switch (r->cell()) {
      case RecurrentCell::simple_rnn: return py::cast(CellHandle<RecurrentCell::simple_rnn>(layer.shared_impl()));
      case RecurrentCell::lstm: return py::cast(CellHandle<RecurrentCell::lstm>(layer.shared_impl()));
      case RecurrentCell::gru: return py::cast(CellHandle<RecurrentCell::gru>(layer.shared_impl()));
    }
  }
  if (layer.as<BidirectionalImpl>()) return py::cast(handle<BidirectionalImpl>(layer));
  return py::none();
}

}  // namespace gradlab::python
