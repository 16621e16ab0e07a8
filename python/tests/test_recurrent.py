# SimpleRNN, LSTM, GRU and Bidirectional from Python: Keras's arguments, weights and gate orders,
# checked against a NumPy implementation of Keras's cell formulas in float64; return_state,
# initial_state and go_backwards; the tape's input gradient against central differences; bad input.
import gradlab
import numpy as np
import pytest


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_rnn(cell, x, kernel, recurrent, bias, h0=None, c0=None, go_backwards=False):
    """Keras's formulas (gates LSTM i, f, c, o; GRU z, r, h with reset_after): every step's h, and the final states."""
    n, steps, _ = x.shape
    units = recurrent.shape[0]
    h = np.zeros((n, units)) if h0 is None else h0
    c = np.zeros((n, units)) if c0 is None else c0
    outputs = []
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        xt = x[:, t]
        if cell == "simple_rnn":
            h = np.tanh(xt @ kernel + h @ recurrent + bias)
        elif cell == "lstm":
            z = xt @ kernel + h @ recurrent + bias
            i, f, g, o = np.split(z, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            xz, xr, xh = np.split(xt @ kernel + bias[0], 3, axis=1)
            hz, hr, hh = np.split(h @ recurrent + bias[1], 3, axis=1)
            z, r = sigmoid(xz + hz), sigmoid(xr + hr)
            h = z * h + (1 - z) * np.tanh(xh + r * hh)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


LAYERS = {"simple_rnn": gradlab.layers.SimpleRNN, "lstm": gradlab.layers.LSTM, "gru": gradlab.layers.GRU}


@pytest.mark.parametrize("cell", list(LAYERS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_outputs_match_kerass_formulas_in_float64(cell, go_backwards):
    x = np.random.default_rng(1).normal(size=(3, 7, 5))
    layer = LAYERS[cell](4, return_sequences=True, go_backwards=go_backwards, bias_initializer="random_normal",
                         dtype="float64")
    y = layer(x).numpy()
    kernel, recurrent, bias = layer.kernel.numpy(), layer.recurrent_kernel.numpy(), layer.bias.numpy()
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
    assert kernel.shape == (5, gates * 4) and recurrent.shape == (4, gates * 4)
    assert bias.shape == ((2, 12) if cell == "gru" else (gates * 4,))
    expected, _, _ = numpy_rnn(cell, x, kernel, recurrent, bias, go_backwards=go_backwards)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert layer.cell == cell and layer.units == 4 and layer.return_sequences


def test_keras_defaults_orthogonal_recurrent_kernel_and_unit_forget_bias():
    lstm = gradlab.layers.LSTM(6)
    lstm(np.zeros((1, 2, 3), dtype=np.float32))
    u = lstm.recurrent_kernel.numpy()
    np.testing.assert_allclose(u @ u.T, np.eye(6), atol=1e-5)  # (6, 24) with orthonormal rows (Saxe et al. 2014)
    np.testing.assert_array_equal(lstm.bias.numpy(), np.r_[np.zeros(6), np.ones(6), np.zeros(12)])  # i, f, c, o
    assert isinstance(lstm, gradlab.layers.RNN) and not lstm.return_state


def test_return_state_and_initial_state_as_keras():
    rng = np.random.default_rng(2)
    x, h0, c0 = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    lstm = gradlab.layers.LSTM(4, return_state=True, dtype="float64")
    out, h, c = lstm(x, initial_state=[h0, c0])
    _, eh, ec = numpy_rnn("lstm", x, lstm.kernel.numpy(), lstm.recurrent_kernel.numpy(), lstm.bias.numpy(), h0, c0)
    np.testing.assert_allclose(out.numpy(), eh, rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), eh, rtol=1e-12)
    np.testing.assert_allclose(c.numpy(), ec, rtol=1e-12)
    gru = gradlab.layers.GRU(4, dtype="float64")
    y = gru(x, initial_state=h0)  # without return_state: the output alone
    _, eh, _ = numpy_rnn("gru", x, gru.kernel.numpy(), gru.recurrent_kernel.numpy(), gru.bias.numpy(), h0)
    np.testing.assert_allclose(y.numpy(), eh, rtol=1e-12)


def test_bidirectional_concatenates_forward_and_time_ordered_backward():
    x = np.random.default_rng(3).normal(size=(2, 6, 3))
    bi = gradlab.layers.Bidirectional(gradlab.layers.SimpleRNN(4, return_sequences=True, dtype="float64"))
    y = bi(x).numpy()
    assert y.shape == (2, 6, 8) and bi.merge_mode == "concat"
    f, b = bi.forward_layer, bi.backward_layer
    assert isinstance(f, gradlab.layers.SimpleRNN)
    ef, _, _ = numpy_rnn("simple_rnn", x, f.kernel.numpy(), f.recurrent_kernel.numpy(), f.bias.numpy())
    eb, _, _ = numpy_rnn("simple_rnn", x, b.kernel.numpy(), b.recurrent_kernel.numpy(), b.bias.numpy(), go_backwards=True)
    np.testing.assert_allclose(y, np.concatenate([ef, eb[:, ::-1]], axis=-1), rtol=1e-12)
    summed = gradlab.layers.Bidirectional(gradlab.layers.GRU(4), merge_mode="sum")(x.astype(np.float32))
    assert summed.numpy().shape == (2, 4)


@pytest.mark.parametrize("cell", list(LAYERS))
def test_tape_gradient_through_time_matches_central_differences(cell):
    x = np.random.default_rng(4).normal(size=(2, 6, 3))
    layer = LAYERS[cell](3, dtype="float64")
    xt = gradlab.convert_to_tensor(x)
    with gradlab.GradientTape() as tape:
        tape.watch(xt)
        loss = gradlab.reduce_mean(layer(xt))
    grad = tape.gradient(loss, xt).numpy()
    weights = layer.kernel.numpy(), layer.recurrent_kernel.numpy(), layer.bias.numpy()
    f = lambda v: numpy_rnn(cell, v, *weights)[1].mean()
    numeric = np.zeros_like(x)
    eps = 1e-6
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (f(up) - f(down)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_recurrent_layers_in_models_come_back_as_their_classes():
    inputs = gradlab.Input((5, 3))
    outputs = gradlab.layers.Dense(2)(gradlab.layers.LSTM(4, name="encoder")(inputs))
    model = gradlab.Model(inputs, outputs)
    assert isinstance(model.get_layer("encoder"), gradlab.layers.LSTM)
    assert model(np.zeros((7, 5, 3), dtype=np.float32)).numpy().shape == (7, 2)


def test_bad_recurrent_input_is_a_value_error():
    with pytest.raises(ValueError, match="wraps a recurrent layer"):
        gradlab.layers.Bidirectional(gradlab.layers.Dense(3))
    with pytest.raises(ValueError):
        gradlab.layers.LSTM(0)
    with pytest.raises(ValueError, match="merge"):
        gradlab.layers.Bidirectional(gradlab.layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError):
        gradlab.layers.SimpleRNN(2)(np.zeros((3, 4), dtype=np.float32))  # rank 2: no time axis
