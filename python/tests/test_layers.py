# Layers, models and initializers with Keras's arguments; variables as arrays; bad input as ValueError.
import gradlab
import numpy as np
import pytest


def test_kernel_and_bias_are_arrays_that_share_the_variables_memory():
    layer = gradlab.layers.Dense(4, activation="relu", bias_initializer="ones")
    x = np.random.default_rng(3).uniform(size=(2, 3)).astype(np.float32)
    y = layer(x)
    kernel, bias = np.asarray(layer.kernel), layer.bias.numpy()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    np.testing.assert_allclose(y.numpy(), np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    layer.kernel.assign(np.zeros((3, 4), dtype=np.float32))
    assert not kernel.any()  # the array saw the in-place assignment
    np.testing.assert_allclose(layer(x).numpy(), np.ones((2, 4)))
    assert [v.name for v in layer.trainable_variables] == [layer.name + "/kernel", layer.name + "/bias"]
    with pytest.raises(AttributeError, match="no attribute 'gamma'"):
        layer.gamma


def test_wrong_input_width_is_a_value_error_naming_the_layer():
    layer = gradlab.layers.Dense(2, name="dense_first")
    layer(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="dense_first"):
        layer(np.zeros((1, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="unknown initializer 'he_unifrom'"):
        gradlab.layers.Dense(2, kernel_initializer="he_unifrom")


def test_add_and_concatenate_layers_match_the_ops():
    a = gradlab.random.uniform((2, 3))
    b = gradlab.random.uniform((2, 3))
    np.testing.assert_array_equal(gradlab.layers.Add()([a, b]).numpy(), (a + b).numpy())
    np.testing.assert_array_equal(gradlab.layers.Concatenate(axis=-1)([a, b]).numpy(),
                                  np.concatenate([a.numpy(), b.numpy()], axis=-1))


def test_normalization_layers_normalize_what_they_promise():
    x = np.random.default_rng(4).normal(3.0, 2.0, size=(64, 8))
    y = gradlab.layers.BatchNormalization()(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-6)
    y = gradlab.layers.LayerNormalization()(x).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-6)
    y = gradlab.layers.GroupNormalization(groups=2)(x).numpy()
    np.testing.assert_allclose(y.reshape(64, 2, 4).mean(axis=2), 0, atol=1e-6)
    y = gradlab.layers.InstanceNormalization()(x.reshape(64, 2, 4)).numpy()
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-6)
    norm = gradlab.layers.Normalization()
    norm.adapt(x)
    np.testing.assert_allclose(norm(x).numpy().mean(axis=0), 0, atol=1e-6)
    bn = gradlab.layers.BatchNormalization(momentum=0.5)
    bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.mean(axis=0), rtol=1e-6)


def test_every_initializer_by_class_and_by_name():
    for name in gradlab.initializers.names():
        init = gradlab.initializers.get(name)
        # delta_orthogonal initializes convolution kernels only (window..., in_channels, filters).
        shape = (3, 3, 6, 6) if name == "delta_orthogonal" else (6, 6)
        values = init(shape, seed=7).numpy()
        assert values.shape == shape and np.isfinite(values).all(), name
    by_class = gradlab.initializers.HeUniform()((10, 32), seed=1).numpy()
    by_name = gradlab.initializers.get("he_uniform")((10, 32), seed=1).numpy()
    np.testing.assert_array_equal(by_class, by_name)
    assert np.abs(by_class).max() <= np.sqrt(6 / 10)
    for cls in ["Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling",
                "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
                "Orthogonal", "Identity"]:
        assert getattr(gradlab.initializers, cls)()((4, 4)).shape == (4, 4), cls
    np.testing.assert_array_equal(gradlab.initializers.Constant(2.5)((3,)).numpy(), [2.5, 2.5, 2.5])
    scaled = gradlab.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")
    np.testing.assert_array_equal(scaled((10, 32), seed=1).numpy(), by_class)  # He-uniform by definition
    with pytest.raises(ValueError, match="mode must be fan_in, fan_out or fan_avg"):
        gradlab.initializers.VarianceScaling(mode="fan_sideways")


def test_functional_model_and_sequential():
    gradlab.clear_session()
    inputs = gradlab.Input((8,))
    hidden = gradlab.layers.Dense(16, activation="tanh")(inputs)
    outputs = gradlab.layers.Dense(4)(hidden + hidden)
    model = gradlab.Model(inputs, outputs)
    assert inputs.shape == (None, 8)
    x = np.random.default_rng(5).uniform(size=(3, 8)).astype(np.float32)
    first, second = model.layers[-2:] if len(model.layers) > 2 else model.layers
    assert isinstance(model.layers[0], gradlab.layers.Dense)
    h = np.tanh(x @ np.asarray(model.layers[0].kernel) + model.layers[0].bias.numpy())
    expected = (h + h) @ np.asarray(model.layers[-1].kernel) + model.layers[-1].bias.numpy()
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert model.count_params() == 8 * 16 + 16 + 16 * 4 + 4

    seq = gradlab.Sequential([gradlab.layers.Dense(5, activation="relu")])
    seq.add(gradlab.layers.Dense(2))
    assert seq(x).shape == (3, 2)
    assert [type(l).__name__ for l in seq.layers] == ["Dense", "Dense"]
