# GradientTape with tf.GradientTape's `with` syntax, its gradients checked against NumPy.
import gradlab
import numpy as np
import pytest


def test_dense_input_gradient_matches_the_formula():
    # loss = mean(x @ W + b) over N x units outputs, so dloss/dx = ones(N, units) @ W.T / (N * units).
    x = gradlab.convert_to_tensor(np.random.default_rng(2).uniform(size=(5, 7)))
    layer = gradlab.layers.Dense(3)
    with gradlab.GradientTape() as tape:
        tape.watch(x)
        loss = gradlab.reduce_mean(layer(x))
    dx, dkernel = tape.gradient(loss, [x, layer.kernel])
    kernel = np.asarray(layer.kernel)
    np.testing.assert_allclose(dx.numpy(), np.ones((5, 3)) @ kernel.T / 15, rtol=1e-12)
    np.testing.assert_allclose(dkernel.numpy(), x.numpy().T @ np.ones((5, 3)) / 15, rtol=1e-12)


def test_the_tape_stops_recording_when_the_block_ends():
    x = gradlab.random.uniform((2, 2), dtype="float64")
    with gradlab.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = gradlab.reduce_sum(x * x)
    z = gradlab.reduce_sum(x * 3.0)  # after the block: not recorded
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 2 * x.numpy())
    assert tape.gradient(z, x) is None  # as in TensorFlow: z is not connected to x on the tape


def test_an_unconnected_source_gives_none_or_zeros():
    x = gradlab.random.uniform((2, 2))
    u = gradlab.random.uniform((2, 2))
    with gradlab.GradientTape(persistent=True) as tape:
        tape.watch([x, u])
        y = gradlab.reduce_sum(x)
    assert tape.gradient(y, u) is None
    np.testing.assert_array_equal(tape.gradient(y, u, unconnected_gradients="zero").numpy(), np.zeros((2, 2)))


def test_misuse_is_an_exception_with_gradlabs_message():
    x = gradlab.random.uniform((2, 2))
    tape = gradlab.GradientTape()
    with pytest.raises(ValueError, match="`with` block"):
        tape.watch(x)
    with gradlab.GradientTape() as tape:
        with pytest.raises(TypeError, match="convert_to_tensor"):
            tape.watch(np.ones((2, 2)))
        tape.watch(x)
        y = gradlab.reduce_sum(x)
    tape.gradient(y, x)
    with pytest.raises(gradlab.Error):  # a non-persistent tape answers once
        tape.gradient(y, x)
    assert issubclass(gradlab.Error, ValueError)
