# Files: safetensors and weights round trips, model specs, and hostile files as ValueError.
import gradlab
import numpy as np
import pytest


def test_safetensors_round_trip_keeps_values_and_dtypes(tmp_path):
    path = tmp_path / "t.safetensors"
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.linspace(0, 1, 4)}
    gradlab.save_safetensors(tensors, str(path), metadata={"who": "test"})
    back = gradlab.load_safetensors(str(path))
    assert sorted(back) == ["a", "b"]
    for name, value in tensors.items():
        assert back[name].dtype == value.dtype
        np.testing.assert_array_equal(back[name], value)
    assert gradlab.load_safetensors_metadata(str(path))["who"] == "test"


def test_a_hostile_safetensors_file_is_a_value_error_naming_the_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\xff" * 8 + b"{}")
    with pytest.raises(ValueError, match="bad.safetensors"):
        gradlab.load_safetensors(str(path))
    with pytest.raises(ValueError):
        gradlab.load_safetensors(str(tmp_path / "missing.safetensors"))


def test_weights_round_trip_through_a_file(tmp_path):
    x = np.random.default_rng(6).uniform(size=(2, 4)).astype(np.float32)
    def net():  # the file names variables by layer: the same names in both
        return gradlab.Sequential([gradlab.layers.Dense(3, activation="relu", name="hidden"),
                                   gradlab.layers.Dense(2, name="out")], name="net")

    a, b = net(), net()
    a(x)
    b(x)
    a.save_weights(str(tmp_path / "w.safetensors"))
    assert not np.array_equal(a(x).numpy(), b(x).numpy())  # different draws until loaded
    b.load_weights(str(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_load_spec_builds_the_example_networks(source_dir):
    model = gradlab.load_spec(str(source_dir / "examples" / "specs" / "deep_relu_he.json"), seed=3)
    assert isinstance(model, gradlab.Model)
    x = np.zeros((2, 784), dtype=np.float32)
    assert model(x).shape[0] == 2
    same = gradlab.load_spec(str(source_dir / "examples" / "specs" / "deep_relu_he.json"), seed=3)
    np.testing.assert_array_equal(np.asarray(model.layers[1].kernel), np.asarray(same.layers[1].kernel))
    inline = gradlab.load_spec('{"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2}]}')
    assert inline(np.ones((1, 3), dtype=np.float32)).shape == (1, 2)
    with pytest.raises(ValueError, match="units"):
        gradlab.load_spec('{"inputs": {"x": [3]}, "layers": [{"name": "d", "type": "dense", "units": -2}]}')
