# Conv2D, Conv1D, the pooling layers and Flatten from Python: Keras's arguments, NHWC layout and
# kernel (kh, kw, cin / groups, filters), checked against a NumPy implementation in float64 with
# TensorFlow's same padding (the smaller half before); the tape's gradient against central
# differences; a small CNN trained with gradlab.train; bad input.
import gradlab
import numpy as np
import pytest


def same_pads(size, kernel, stride, dilation):
    extent = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def numpy_conv2d(x, kernel, bias, strides=(1, 1), padding="valid", dilation=(1, 1)):
    kh, kw, cin, filters = kernel.shape
    if padding == "same":
        (t, b), (l, r) = same_pads(x.shape[1], kh, strides[0], dilation[0]), same_pads(x.shape[2], kw, strides[1], dilation[1])
        x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    eh, ew = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh, ow = (x.shape[1] - eh) // strides[0] + 1, (x.shape[2] - ew) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * strides[0]:i * strides[0] + eh:dilation[0], j * strides[1]:j * strides[1] + ew:dilation[1], :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias


@pytest.mark.parametrize("kwargs", [
    {},
    {"padding": "same"},
    {"strides": 2, "padding": "same"},
    {"strides": (2, 1), "dilation_rate": 1},
    {"dilation_rate": 2, "padding": "same"},
])
def test_conv2d_matches_numpy_in_float64(kwargs):
    x = np.random.default_rng(1).normal(size=(2, 7, 6, 3))
    layer = gradlab.layers.Conv2D(4, (3, 2), bias_initializer="random_normal", dtype="float64", **kwargs)
    y = layer(x).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    assert kernel.shape == (3, 2, 3, 4) and layer.filters == 4
    strides = kwargs.get("strides", 1)
    strides = strides if isinstance(strides, tuple) else (strides, strides)
    dilation = (kwargs.get("dilation_rate", 1),) * 2
    expected = numpy_conv2d(x, kernel, bias, strides, kwargs.get("padding", "valid"), dilation)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_conv1d_is_conv2d_over_one_row():
    x = np.random.default_rng(2).normal(size=(2, 9, 3))
    layer = gradlab.layers.Conv1D(5, 4, padding="same", dtype="float64")
    y = layer(x).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    assert kernel.shape == (4, 3, 5)
    expected = numpy_conv2d(x[:, None], kernel[None], bias, padding="same")[:, 0]
    np.testing.assert_allclose(y, expected, rtol=1e-12)


def test_pooling_and_flatten():
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 3))
    windows = x.reshape(2, 3, 2, 3, 2, 3)
    np.testing.assert_allclose(gradlab.layers.MaxPooling2D()(x).numpy(), windows.max(axis=(2, 4)))
    np.testing.assert_allclose(gradlab.layers.AveragePooling2D(pool_size=(2, 2))(x).numpy(), windows.mean(axis=(2, 4)),
                               rtol=1e-12)
    np.testing.assert_allclose(gradlab.layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-12)
    assert gradlab.layers.GlobalAveragePooling2D(keepdims=True)(x).numpy().shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(gradlab.layers.Flatten()(x).numpy(), x.reshape(2, -1))


def test_tape_gradient_of_a_conv_matches_central_differences():
    x = np.random.default_rng(4).normal(size=(1, 5, 5, 2))
    layer = gradlab.layers.Conv2D(3, 3, strides=2, padding="same", activation="tanh", dtype="float64")
    xt = gradlab.convert_to_tensor(x)
    with gradlab.GradientTape() as tape:
        tape.watch(xt)
        loss = gradlab.reduce_mean(layer(xt))
    grad = tape.gradient(loss, xt).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    f = lambda v: np.tanh(numpy_conv2d(v, kernel, bias, (2, 2), "same")).mean()
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += 1e-6
        down[index] -= 1e-6
        numeric[index] = (f(up) - f(down)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-10)


def test_a_small_cnn_learns_and_its_layers_come_back_as_their_classes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(256, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype(np.int64)  # top half brighter
    inputs = gradlab.Input((8, 8, 1))
    h = gradlab.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(inputs)
    h = gradlab.layers.MaxPooling2D(name="pool")(h)
    outputs = gradlab.layers.Dense(2)(gradlab.layers.Flatten()(h))
    model = gradlab.Model(inputs, outputs)
    assert isinstance(model.get_layer("conv"), gradlab.layers.Conv2D)
    assert isinstance(model.get_layer("pool"), gradlab.layers.MaxPooling2D)
    result = gradlab.train(model, x, y, epochs=10, batch_size=32, learning_rate=0.01, validation_split=0.25, progress=False)
    assert result["history"]["val_accuracy"][-1] > 0.8  # chance is 0.5


def test_bad_convolution_input_is_a_value_error():
    with pytest.raises(ValueError, match="conv_a"):
        gradlab.layers.Conv2D(2, 5, name="conv_a")(np.zeros((1, 3, 3, 1), dtype=np.float32))  # kernel larger than input
    with pytest.raises(ValueError):
        gradlab.layers.Conv2D(2, 3, strides=0)
    with pytest.raises(ValueError, match="conv_c"):
        gradlab.layers.Conv2D(4, 1, groups=2, name="conv_c")(np.zeros((1, 3, 3, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="kernel_size"):
        gradlab.layers.Conv2D(2, (1, 2, 3))


def test_depthwise_conv2d_convolves_each_channel_alone():
    x = np.random.default_rng(6).normal(size=(2, 6, 5, 3))
    layer = gradlab.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", bias_initializer="random_normal",
                                           dtype="float64", name="dw")
    y = layer(x).numpy()
    kernel, bias = layer.kernel.numpy(), layer.bias.numpy()
    assert kernel.shape == (3, 3, 3, 2) and layer.depth_multiplier == 2 and y.shape == (2, 6, 5, 6)
    # Keras's output channel c * depth_multiplier + m is input channel c convolved with kernel[:, :, c, m].
    for c in range(3):
        for m in range(2):
            k = kernel[:, :, c:c + 1, m:m + 1]
            expected = numpy_conv2d(x[..., c:c + 1], k, bias[c * 2 + m:c * 2 + m + 1], padding="same")
            np.testing.assert_allclose(y[..., c * 2 + m:c * 2 + m + 1], expected, rtol=1e-12, atol=1e-12)


def test_one_dimensional_and_global_pools():
    x = np.random.default_rng(7).normal(size=(2, 6, 3))
    windows = x.reshape(2, 3, 2, 3)
    np.testing.assert_allclose(gradlab.layers.MaxPooling1D()(x).numpy(), windows.max(axis=2))
    np.testing.assert_allclose(gradlab.layers.AveragePooling1D(pool_size=3, strides=1)(x).numpy(),
                               np.stack([x[:, t:t + 3].mean(axis=1) for t in range(4)], axis=1), rtol=1e-12)
    np.testing.assert_allclose(gradlab.layers.GlobalAveragePooling1D()(x).numpy(), x.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(gradlab.layers.GlobalMaxPooling1D()(x).numpy(), x.max(axis=1))
    images = np.random.default_rng(8).normal(size=(2, 4, 5, 3))
    np.testing.assert_allclose(gradlab.layers.GlobalMaxPooling2D()(images).numpy(), images.max(axis=(1, 2)))
    assert gradlab.layers.GlobalMaxPooling2D(keepdims=True)(images).numpy().shape == (2, 1, 1, 3)


def test_reshape_and_zero_padding():
    x = np.random.default_rng(9).normal(size=(2, 12))
    layer = gradlab.layers.Reshape((3, -1, 2))
    np.testing.assert_array_equal(layer(x).numpy(), x.reshape(2, 3, 2, 2))
    assert layer.target_shape == [3, -1, 2]
    images = np.random.default_rng(10).normal(size=(1, 2, 3, 2))
    padded = gradlab.layers.ZeroPadding2D(((1, 0), (2, 1)))(images).numpy()
    np.testing.assert_array_equal(padded, np.pad(images, ((0, 0), (1, 0), (2, 1), (0, 0))))
    assert gradlab.layers.ZeroPadding2D()(images).numpy().shape == (1, 4, 5, 2)
    assert gradlab.layers.ZeroPadding2D((2, 0))(images).numpy().shape == (1, 6, 3, 2)
    with pytest.raises(ValueError, match="padding"):
        gradlab.layers.ZeroPadding2D((1, 2, 3))


def test_every_image_layer_comes_back_as_its_class():
    inputs = gradlab.Input((8, 8, 2))
    h = gradlab.layers.ZeroPadding2D(name="zp")(inputs)
    h = gradlab.layers.DepthwiseConv2D(3, name="dw")(h)
    h = gradlab.layers.Reshape((8, 16), name="rows")(h)
    h = gradlab.layers.MaxPooling1D(name="mp1")(h)
    h = gradlab.layers.AveragePooling1D(name="ap1")(h)
    a = gradlab.layers.GlobalMaxPooling1D(name="gmp1")(h)
    b = gradlab.layers.GlobalAveragePooling1D(name="gap1")(h)
    model = gradlab.Model(inputs, gradlab.layers.Add()([a, b]))
    assert model(np.zeros((3, 8, 8, 2), dtype=np.float32)).numpy().shape == (3, 16)
    expected = {"zp": gradlab.layers.ZeroPadding2D, "dw": gradlab.layers.DepthwiseConv2D, "rows": gradlab.layers.Reshape,
                "mp1": gradlab.layers.MaxPooling1D, "ap1": gradlab.layers.AveragePooling1D,
                "gmp1": gradlab.layers.GlobalMaxPooling1D, "gap1": gradlab.layers.GlobalAveragePooling1D}
    for name, cls in expected.items():
        assert type(model.get_layer(name)) is cls, name


def test_a_cnn_trains_on_fashion_mnist_images_by_name(tmp_path):
    spec = tmp_path / "cnn.json"
    spec.write_text('{"name": "tiny_cnn", "inputs": {"image": [28, 28, 1]}, "layers": ['
                    '{"name": "conv", "type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "activation": "relu"},'
                    '{"name": "gap", "type": "global_average_pooling2d"}, {"name": "logits", "type": "dense", "units": 10}],'
                    '"outputs": ["logits"]}')
    result = gradlab.train(str(spec), data="fashion-mnist-images", limit=64, epochs=1, batch_size=32, progress=False)
    assert result["history"]["epoch"] == [0] and result["test"]["examples"] == 64
    with pytest.raises(ValueError, match=r"takes inputs of shape \[28, 28, 1\] but fashion-mnist/train has examples of shape "
                                         r"\[784\] \(the dataset fashion-mnist-images gives"):
        gradlab.train(str(spec), data="fashion-mnist", limit=64, epochs=1, progress=False)
