# gradlab.train: the command's training from Python. A spec trained on a CSV file gives what
# `gradlab train --json` prints for the same options (every number but the timings); a model object
# is trained in place on NumPy arrays and learns; bad options are ValueErrors.
import json
import subprocess

import gradlab
import numpy as np
import pytest

from conftest import BINARY_DIR

CLI = BINARY_DIR / "gradlab"


def separable(n, seed):
    """Two classes split by the sign of x0 + x1 (4 features): learnable by a small MLP."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


@pytest.fixture
def csv_and_spec(tmp_path):
    x, y = separable(240, 0)
    csv = tmp_path / "points.csv"
    with open(csv, "w") as f:
        f.write("a,b,c,d,label\n")
        for row, label in zip(x, y):
            f.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
    spec = tmp_path / "mlp.json"
    spec.write_text(json.dumps({
        "name": "mlp", "inputs": {"points": [4]},
        "layers": [{"name": "hidden", "type": "dense", "units": 8, "activation": "relu"},
                   {"name": "logits", "type": "dense", "units": 2}],
        "outputs": ["logits"]}))
    return csv, spec


def without_timings(summary):
    summary = dict(summary)
    history = dict(summary.pop("history"))
    history.pop("epochs", None)  # each epoch's seconds
    return summary, {k: v for k, v in history.items() if "seconds" not in k}


def test_a_spec_on_a_csv_file_is_the_clis_run(csv_and_spec):
    csv, spec = csv_and_spec
    result = gradlab.train(spec, data=csv, label_column="label", epochs=3, batch_size=16, optimizer="sgd",
                           learning_rate=0.05, momentum=0.9, validation_split=0.25, seed=5, sample_every=5,
                           progress=False)
    expected = json.loads(subprocess.run(
        [str(CLI), "train", "--model", str(spec), "--data", str(csv), "--label-column", "label", "--epochs", "3",
         "--batch-size", "16", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--validation-split", "0.25",
         "--seed", "5", "--sample-every", "5", "--json"], check=True, capture_output=True, text=True).stdout)
    assert list(result) == list(expected)
    got_summary, got_history = without_timings(result)
    want_summary, want_history = without_timings(expected)
    assert got_summary == want_summary
    assert json.dumps(got_history, sort_keys=True) == json.dumps(want_history, sort_keys=True)
    assert result["stop_reason"] == "completed" and result["validation_examples"] == 60


def test_a_model_object_learns_from_arrays_in_place():
    x, y = separable(512, 1)
    xv, yv = separable(256, 2)
    gradlab.clear_session()
    model = gradlab.Sequential([gradlab.layers.Dense(16, activation="relu"), gradlab.layers.Dense(2)])
    model(x[:1])  # built, so its starting weights can be compared
    before = np.array(model.layers[0].kernel.numpy())
    result = gradlab.train(model, x, y, validation_data=(xv, yv), epochs=8, batch_size=32, learning_rate=0.01,
                           seed=3, progress=False)
    assert not np.array_equal(before, model.layers[0].kernel.numpy())  # trained in place
    assert result["data"] == "arrays" and result["train_examples"] == 512 and result["validation_examples"] == 256
    assert result["history"]["val_accuracy"][-1] > 0.9  # the classes are linearly separable; chance is 0.5
    logits = model(xv).numpy()
    assert (logits.argmax(axis=1) == yv).mean() > 0.9


def test_float_targets_train_a_regression():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32))
    model = gradlab.Sequential([gradlab.layers.Dense(1)])
    result = gradlab.train(model, x, y, loss="mse", epochs=30, batch_size=32, learning_rate=0.05, progress=False)
    losses = result["history"]["loss"]
    assert losses[-1] < 0.01 * losses[0]
    assert "accuracy" not in result["history"]


def test_the_adding_problem_is_the_clis_run(tmp_path):
    spec = tmp_path / "adding.json"
    spec.write_text(json.dumps({
        "name": "adding", "inputs": {"sequence": [6, 2]},
        "layers": [{"name": "rnn", "type": "simple_rnn", "units": 4},
                   {"name": "sum", "type": "dense", "units": 1}],
        "outputs": ["sum"]}))
    result = gradlab.train(spec, data="adding-problem", time_steps=6, data_seed=3, limit=64, loss="mse", epochs=2,
                           batch_size=16, seed=2, progress=False)
    expected = json.loads(subprocess.run(
        [str(CLI), "train", "--model", str(spec), "--data", "adding-problem", "--time-steps", "6", "--data-seed", "3",
         "--limit", "64", "--loss", "mse", "--epochs", "2", "--batch-size", "16", "--seed", "2", "--json"],
        check=True, capture_output=True, text=True).stdout)
    assert without_timings(result) == without_timings(expected)
    assert result["train_examples"] == 64
    other_data = gradlab.train(spec, data="adding-problem", time_steps=6, data_seed=4, limit=64, loss="mse", epochs=2,
                               batch_size=16, seed=2, progress=False)
    assert other_data["history"]["loss"] != result["history"]["loss"]  # data_seed draws other sequences


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": -1}, "epochs=-1"),
    ({"batch_size": 0}, "batch_size=0"),
    ({"validation_split": 1.5}, "validation_split=1.5"),
    ({"optimizer": "adamm"}, "adamm"),
    ({"loss": "hinge_loss"}, "hinge_loss"),
    ({"data": "fashion-mnist"}, "cannot go with x="),
    ({"time_steps": 5}, "cannot go with x="),
])
def test_bad_train_options_are_value_errors(kwargs, message):
    x, y = separable(8, 5)
    model = gradlab.Sequential([gradlab.layers.Dense(2)])
    with pytest.raises(ValueError, match=message):
        gradlab.train(model, x, y, progress=False, **kwargs)


def test_examples_must_be_given_once():
    model = gradlab.Sequential([gradlab.layers.Dense(2)])
    with pytest.raises(ValueError, match="give the examples"):
        gradlab.train(model)
    with pytest.raises(ValueError, match="class ids must be >= 0"):
        gradlab.train(model, np.zeros((2, 3)), np.array([0, -1]), progress=False)
