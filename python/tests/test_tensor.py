# Tensors and NumPy: shared memory where the layout allows, copies where it does not, dtypes kept.
import gradlab
import numpy as np
import pytest


def test_a_float32_array_is_shared_without_a_copy_both_ways():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = gradlab.convert_to_tensor(a)
    assert t.shape == (2, 3) and t.dtype == "float32"
    back = np.asarray(t)
    assert np.shares_memory(back, a)
    a[0, 0] = 42
    assert t.numpy()[0, 0] == 42
    memory = memoryview(t)  # the buffer protocol
    assert memory.format == "f" and memory.shape == (2, 3)


def test_float64_stays_float64_and_is_shared():
    a = np.linspace(0, 1, 8).reshape(2, 4)
    t = gradlab.convert_to_tensor(a)
    assert t.dtype == "float64"
    assert np.shares_memory(t.numpy(), a)


def test_an_op_result_outlives_its_python_handle_through_the_array():
    x = gradlab.constant(np.ones((3, 3), dtype=np.float32))
    y = np.asarray(x * 2.0)  # the tensor object is gone; the array holds its memory
    del x
    np.testing.assert_array_equal(y, np.full((3, 3), 2.0, dtype=np.float32))


@pytest.mark.parametrize("make", [
    lambda: np.arange(12, dtype=np.float32).reshape(3, 4).T,  # not C-contiguous
    lambda: np.arange(12, dtype=np.int64).reshape(4, 3),  # integers become float32
    lambda: np.frombuffer(np.arange(12, dtype=np.float32).tobytes(), dtype=np.float32).reshape(4, 3),  # read-only
])
def test_other_layouts_are_copied_with_the_same_values(make):
    a = make()
    t = gradlab.convert_to_tensor(a)
    assert not np.shares_memory(t.numpy(), a)
    np.testing.assert_array_equal(t.numpy(), a.astype(np.float32))
    assert t.dtype == "float32"


def test_python_numbers_and_lists_become_float32_as_in_tensorflow():
    assert gradlab.convert_to_tensor([[1.0, 2.0]]).dtype == "float32"
    assert gradlab.convert_to_tensor(3.0).shape == ()
    assert gradlab.convert_to_tensor(np.float64(3.0)).dtype == "float64"


def test_operators_follow_the_tensor_dtype_and_broadcast():
    x = gradlab.convert_to_tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose((x + 1.0).numpy(), [[2, 3], [4, 5]])
    np.testing.assert_allclose((2.0 * x - x / 2.0).numpy(), 1.5 * x.numpy())
    np.testing.assert_allclose((x @ x).numpy(), x.numpy() @ x.numpy())
    assert (x + 1.0).dtype == "float64"


def test_reductions_and_norm_match_numpy():
    a = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(gradlab.reduce_mean(a).item(), a.mean())
    np.testing.assert_allclose(gradlab.reduce_sum(a, axis=0).numpy(), a.sum(axis=0))
    np.testing.assert_allclose(gradlab.reduce_max(a, axis=[1], keepdims=True).numpy(), a.max(axis=1, keepdims=True))
    np.testing.assert_allclose(gradlab.norm(a).item(), np.linalg.norm(a))
    np.testing.assert_allclose(gradlab.concat([a, a], axis=-1).numpy(), np.concatenate([a, a], axis=-1))
    with pytest.raises(ValueError, match="only ord='euclidean'"):
        gradlab.norm(a, ord=1)


def test_every_activation_is_bound_by_name():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(gradlab.activations.relu(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(gradlab.activations.sigmoid(x).numpy(), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(gradlab.activations.get("tanh")(x).numpy(), np.tanh(x))
    for name in ["linear", "relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "softsign", "swish"]:
        assert callable(getattr(gradlab.activations, name))
