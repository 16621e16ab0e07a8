# The lab from Python: gradlab.probe, gradlab.sweep and gradlab.lesson return exactly what the CLI's
# JSON forms print for the same options and seed (the CLI binary of the same build tree is run and
# compared), bad options are ValueErrors, probe and sweep results render the CLI's report page, and
# Ctrl-C stops a sweep with KeyboardInterrupt.
import json
import os
import signal
import subprocess
import threading

import gradlab
import numpy as np
import pytest

from conftest import BINARY_DIR, SOURCE_DIR

CLI = BINARY_DIR / "gradlab"


def cli_json(*args):
    return json.loads(subprocess.run([str(CLI), *args], check=True, capture_output=True, text=True).stdout)


def without_version(d):
    return {k: v for k, v in d.items() if k != "version"}


def test_probe_is_the_clis_probe_json_for_the_same_options():
    result = gradlab.probe(depth=12, activation="tanh", init="he_uniform", skip="residual", norm="layer", seed=7)
    expected = cli_json("probe", "--depth", "12", "--activation", "tanh", "--init", "he_uniform", "--skip", "residual",
                        "--norm", "layer", "--seed", "7", "--json")
    assert isinstance(result, dict)
    assert result == expected  # same keys in the same order, same numbers bit for bit
    assert list(result) == list(expected)
    assert result["summary"]["verdict"] in ("healthy", "vanishing", "exploding")


def test_probe_of_a_model_spec_with_overrides_is_the_clis():
    spec = SOURCE_DIR / "examples" / "specs" / "deep_sigmoid.json"
    result = gradlab.probe(model=spec, activation="relu", dtype="float64", seed=3, batch=8)
    expected = cli_json("probe", "--model", str(spec), "--activation", "relu", "--dtype", "float64", "--seed", "3",
                        "--batch", "8", "--json")
    assert result == expected
    assert result["dtype"] == "float64"


def test_probe_seeds_differ_and_repeat():
    a, b, c = gradlab.probe(seed=1), gradlab.probe(seed=1), gradlab.probe(seed=2)
    assert a == b
    assert a["loss"] != c["loss"]


@pytest.mark.parametrize("kwargs, args", [
    ({"sigma_w2": 1.76, "sigma_b2": 0.05, "activation": "tanh", "depth": 10},
     ["--sigma-w2", "1.76", "--sigma-b2", "0.05", "--activation", "tanh", "--depth", "10"]),
    ({"skip": "identity", "norm": "batch", "probe_loss": "random_projection", "seed": 4},
     ["--skip", "identity", "--norm", "batch", "--probe-loss", "random_projection", "--seed", "4"]),
    ({"cell": "lstm", "time_steps": 20, "depth": 2, "width": 16, "seed": 3},
     ["--cell", "lstm", "--time-steps", "20", "--layers", "2", "--units", "16", "--seed", "3"]),
    ({"cell": "simple_rnn", "time_steps": 12, "recurrent_init": "glorot_uniform", "norm": "layer"},
     ["--cell", "simple_rnn", "--time-steps", "12", "--recurrent-init", "glorot_uniform", "--norm", "layer"]),
    ({"depth": 6, "dead_batches": 3, "seed": 1}, ["--depth", "6", "--dead-batches", "3", "--seed", "1"]),
    ({"model": SOURCE_DIR / "examples" / "specs" / "fashion_mlp.json", "data": "fashion-mnist", "limit": 16},
     ["--model", str(SOURCE_DIR / "examples" / "specs" / "fashion_mlp.json"), "--data", "fashion-mnist", "--limit", "16"]),
])
def test_probe_takes_every_option_of_the_command(kwargs, args):
    assert gradlab.probe(**kwargs) == cli_json("probe", *args, "--json")


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": 0}, r"depth=0: must be in \[1, 10000\]"),
    ({"activation": "relux"}, "activation='relux'"),
    ({"init": "not_an_initializer"}, "not_an_initializer"),
    ({"skip": "dense"}, "skip='dense'"),
    ({"mode": "eval"}, "mode='eval'"),
    ({"trainable_depth_scales": 0.0}, "must be a positive number"),
    ({"model": "/nonexistent/net.json"}, "/nonexistent/net.json"),
    ({"model": SOURCE_DIR / "examples" / "specs" / "deep_sigmoid.json", "depth": 3}, "cannot go with model="),
    ({"weights": "w.safetensors"}, "weights= needs model="),
    ({"probe_loss": "sum"}, "probe_loss='sum'"),
    ({"sigma_b2": 0.1}, "sigma_b2= needs sigma_w2="),
    ({"sigma_w2": 2.0, "init": "he_normal"}, "cannot go with init="),
    ({"sigma_w2": -1.0}, "sigma_w2=-1"),
    ({"data": "fashion-mnist", "batch": 8}, "batch= describes the input"),
    ({"label_column": "y"}, "need data="),
    ({"cell": "rnn"}, "cell='rnn'"),
    ({"time_steps": 10}, "need cell="),
    ({"cell": "gru", "skip": "residual"}, "no skip connections"),
    ({"cell": "gru", "sigma_w2": 1.0}, "cannot go with cell="),
    ({"cell": "gru", "data": "fashion-mnist-sequence", "time_steps": 5}, "time_steps= cannot go with data="),
    ({"dead_batches": 0}, "dead_batches=0"),
])
def test_bad_probe_options_are_value_errors_naming_the_option(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradlab.probe(**kwargs)


def test_probe_runs_the_inline_recurrent_network_over_the_sequence_view():
    if not os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
        pytest.skip("Fashion-MNIST is not installed")
    result = gradlab.probe(cell="simple_rnn", depth=1, width=4, data="fashion-mnist-sequence", limit=3)
    assert result["input"] == "fashion-mnist-sequence (first 3 training images, 28x28)"
    assert "over 28 steps" in result["network"]


def test_probe_result_shows_the_clis_report_page_offline(tmp_path):
    options = ["--depth", "6", "--seed", "5"]
    html = gradlab.probe(depth=6, seed=5)._repr_html_()
    subprocess.run([str(CLI), "probe", *options, "--report", str(tmp_path / "p.html")], check=True, capture_output=True)
    page = (tmp_path / "p.html").read_text()
    assert html.startswith("<iframe srcdoc=\"") and html.endswith("</iframe>")
    import html as html_module
    inner = html_module.unescape(html[len("<iframe srcdoc=\""):html.index("\" style=")])
    assert inner == page
    assert "vegaEmbed" in inner and "<script src=" not in inner  # the chart library inlined: offline


def test_sweep_rows_are_the_clis_jsonl_lines_in_grid_order(tmp_path):
    out = tmp_path / "s.jsonl"
    subprocess.run([str(CLI), "sweep", "--depth", "3,6", "--activation", "relu,tanh", "--skip", "none,residual",
                    "--trials", "2", "--seed", "11", "--workers", "2", "--out", str(out)],
                   check=True, capture_output=True)
    expected = {row["id"]: row for row in map(json.loads, out.read_text().splitlines())}
    seen = []
    rows = gradlab.sweep(depth=[3, 6], activation=["relu", "tanh"], skip=["none", "residual"], trials=2, seed=11,
                         workers=2, progress=lambda done, total, row: seen.append((done, total, row["id"])))
    assert isinstance(rows, list) and len(rows) == 16
    assert {row["id"]: row for row in rows} == expected
    assert [row["id"].split(",")[0] for row in rows] == ["depth=3"] * 8 + ["depth=6"] * 8  # grid order
    assert [s[:2] for s in seen] == [(i, 16) for i in range(1, 17)]


def test_sweep_of_a_model_spec_and_by_variances_are_the_clis(tmp_path):
    spec = SOURCE_DIR / "examples" / "specs" / "deep_sigmoid.json"
    for args, kwargs in [
        (["--model", str(spec), "--init", "glorot_uniform,he_uniform", "--activation", "relu,sigmoid", "--batch", "8"],
         {"model": spec, "init": ["glorot_uniform", "he_uniform"], "activation": ["relu", "sigmoid"], "batch": 8}),
        (["--depth", "6", "--activation", "tanh", "--sigma-w2", "1,2", "--sigma-b2", "0,0.05", "--probe-loss",
          "random_projection"],
         {"depth": 6, "activation": "tanh", "sigma_w2": [1, 2], "sigma_b2": [0, 0.05], "probe_loss": "random_projection"}),
    ]:
        out = tmp_path / "s.jsonl"
        subprocess.run([str(CLI), "sweep", *args, "--out", str(out)], check=True, capture_output=True)
        expected = [json.loads(line) for line in out.read_text().splitlines()]
        assert sorted(gradlab.sweep(progress=False, **kwargs), key=lambda r: r["id"]) == sorted(expected, key=lambda r: r["id"])


def test_sweep_of_recurrent_networks_is_the_clis(tmp_path):
    out = tmp_path / "s.jsonl"
    subprocess.run([str(CLI), "sweep", "--cell", "simple_rnn,lstm", "--time-steps", "3,9", "--layers", "1,2", "--units",
                    "6", "--batch", "3", "--recurrent-init", "glorot_uniform,orthogonal", "--norm", "none,layer",
                    "--seed", "2", "--out", str(out)], check=True, capture_output=True)
    expected = [json.loads(line) for line in out.read_text().splitlines()]
    rows = gradlab.sweep(cell=["simple_rnn", "lstm"], time_steps=[3, 9], depth=[1, 2], width=6, batch=3,
                         recurrent_init=["glorot_uniform", "orthogonal"], norm=["none", "layer"], seed=2, progress=False)
    assert rows == expected  # both in grid order
    assert len(rows) == 32 and rows[0]["time_axis"]["time_steps"] == 3
    with pytest.raises(ValueError, match="need cell="):
        gradlab.sweep(time_steps=[10])
    with pytest.raises(ValueError, match="skip= cannot go with cell="):
        gradlab.sweep(cell="gru", skip="residual")


def test_sweep_progress_bar_goes_to_stderr(capsys):
    gradlab.sweep(depth=[2, 3], progress=True)
    err = capsys.readouterr().err
    assert "sweep" in err and "2/2" in err and err.endswith("\n")
    gradlab.sweep(depth=2, progress=False)
    assert capsys.readouterr().err == ""


def test_sweep_result_shows_the_clis_report_page(tmp_path):
    html = gradlab.sweep(depth=[2, 4], skip=["none", "concat"], progress=False)._repr_html_()
    subprocess.run([str(CLI), "sweep", "--depth", "2,4", "--skip", "none,concat", "--report", str(tmp_path / "s.html")],
                   check=True, capture_output=True)
    import html as html_module
    inner = html_module.unescape(html[len("<iframe srcdoc=\""):html.index("\" style=")])
    assert inner == (tmp_path / "s.html").read_text()


@pytest.mark.parametrize("kwargs, message", [
    ({"depth": [4, 4]}, "4"),
    ({"activation": "relux"}, "relux"),
    ({"norm": "weird"}, "weird"),
    ({"trials": 0}, "trials=0"),
    ({"depth": []}, "depth"),
    ({"model": SOURCE_DIR / "examples" / "specs" / "deep_sigmoid.json", "depth": 4}, "cannot go with model="),
    ({"input_dist": "normal"}, "need model="),
    ({"sigma_w2": 2, "init": "he_uniform"}, "cannot go with init="),
    ({"probe_loss": "sum"}, "probe_loss='sum'"),
])
def test_bad_sweep_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradlab.sweep(progress=False, **kwargs)


def test_ctrl_c_stops_a_sweep_with_keyboard_interrupt():
    # 100000 configurations on one worker take minutes; SIGINT after 0.3 s must stop the sweep at the
    # next configuration. If it did not, ctest's timeout would fail this test. Python's own handler
    # is installed for the test: a shell starting ctest in the background leaves SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            gradlab.sweep(depth=2, trials=100000, workers=1, progress=False)
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)


def test_lesson_is_the_clis_lesson_json():
    options = dict(trials=20, grid_trials=5, seed=3, depths=[4, 8], activations=["relu", "tanh"], norm_trials=1,
                   norm_depths=[8], recurrent_trials=1, recurrent_steps=[3, 9], conv_seeds=1, conv_depths=[2, 3])
    result = gradlab.lesson(**options)
    expected = cli_json("lesson", "--trials", "20", "--grid-trials", "5", "--seed", "3", "--depths", "4,8",
                        "--activations", "relu,tanh", "--norm-trials", "1", "--norm-depths", "8",
                        "--recurrent-trials", "1", "--recurrent-steps", "3,9", "--conv-seeds", "1", "--conv-depths", "2,3",
                        "--json")
    assert without_version(result) == without_version(expected)
    assert len(result["skip_connections"]) == 3
    assert [cell["depth"] for cell in result["conv"]["cells"]][:2] == [2, 3]


def test_lesson_without_its_convolutional_table():
    result = gradlab.lesson(trials=2, grid_trials=1, depths=[2], activations=["relu"], norm_trials=0,
                            recurrent_trials=0, conv_seeds=0)
    assert "conv" not in result


@pytest.mark.parametrize("kwargs, message", [({"trials": 0}, "trials"), ({"activations": ["relux"]}, "relux"),
                                             ({"dtype": "float16"}, "float16"),
                                             ({"conv_depths": [1]}, "depth")])
def test_bad_lesson_options_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradlab.lesson(**kwargs)


def test_probe_of_a_model_object_is_the_probe_of_its_spec(tmp_path):
    # The same network and weights as a spec file and as a Python object give the same figures.
    spec = SOURCE_DIR / "examples" / "specs" / "deep_sigmoid.json"
    model = gradlab.load_spec(str(spec))
    weights = tmp_path / "w.safetensors"
    model.save_weights(str(weights))
    x = np.random.default_rng(6).uniform(size=(16, 784)).astype(np.float32)
    gradlab.save_safetensors({"images": x}, str(tmp_path / "x.safetensors"))
    from_object = gradlab.probe(model=model, input=x)
    from_spec = gradlab.probe(model=spec, weights=weights, input=tmp_path / "x.safetensors")
    assert from_object["layers"] == from_spec["layers"]
    assert from_object["summary"] == from_spec["summary"]
    drawn = gradlab.probe(model=model, batch=8, seed=2)
    assert drawn["input"] == "batch 8 drawn from U[0, 1), seed 2"
    with pytest.raises(ValueError, match="a model object is probed as it is"):
        gradlab.probe(model=model, init="he_uniform")
    with pytest.raises(ValueError, match="no declared input shape"):
        gradlab.probe(model=gradlab.Sequential([gradlab.layers.Dense(2)]))


def test_probe_of_a_model_object_checks_the_data_fits_its_input(tmp_path):
    csv = tmp_path / "rows.csv"
    csv.write_text("a,b,label\n1,2,0\n3,4,1\n5,6,0\n")
    inputs = gradlab.Input(shape=[3], name="x")
    model = gradlab.Model(inputs, gradlab.layers.Dense(2)(inputs))
    with pytest.raises(ValueError, match=r"--data .*rows\.csv: its examples have 2 features, but the model's input 'x' "
                                         r"has shape \[3\]"):
        gradlab.probe(model=model, data=csv, label_column="label")
    two = gradlab.Input(shape=[2], name="x")
    fits = gradlab.Model(two, gradlab.layers.Dense(2)(two))
    result = gradlab.probe(model=fits, data=csv, label_column="label")
    assert result["input"].endswith("(first 3 rows, 2 features)")
