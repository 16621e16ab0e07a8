# examples/lesson.ipynb executed headless (Debian's python3-nbclient with the python3 kernel of
# python3-ipykernel): no cell fails, and its outputs are the lesson's quantities.
import os
import sys

import nbclient
import nbformat


def stream_lines(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", "".join(output.get("traceback", []))
            if output.output_type == "stream":
                yield from output.text.splitlines()


def test_lesson_notebook_runs_and_prints_the_lessons_quantities(source_dir, cpp_lesson_norms, tmp_path,
                                                               monkeypatch):
    # The kernel is this Python (ipykernel's python3 kernel runs sys.executable) in another folder, so
    # it finds the module under test through an absolute PYTHONPATH.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(os.path.abspath(p) for p in sys.path if p))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(source_dir / "examples" / "lesson.ipynb", as_version=4)
    # Generous limits: on a loaded 2-core machine the kernel once took over a minute to start (nbclient's
    # default startup limit is 60 s); a real failure is a cell's error, which these do not hide.
    nbclient.NotebookClient(notebook, timeout=240, startup_timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    lines = list(stream_lines(notebook))

    norms = [line.rsplit(" ", 1)[1] for line in lines if line.startswith("gradient norm for the input")]
    assert norms == cpp_lesson_norms  # the same cells in C++, the same seed: the same numbers

    # He: 2 / 10 and 2 / 100; Glorot: 2 / 42 and 2 / 228. 25% is over 4 standard deviations of the
    # sample variance of 320 draws (5%), so a change of seed fails with probability below 1e-4.
    variances = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("variance of weights")]
    expected = [2 / 10, 2 / 100, 2 / 42, 2 / 228]
    assert len(variances) == 4
    for got, want in zip(variances, expected):
        assert abs(got - want) < 0.25 * want, (variances, expected)

    means = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if "largest |" in line}
    assert means["input: largest |column mean|"] > 3  # U[2, 5) has mean 3.5
    assert means["batch normalization: largest |column mean|"] < 1e-5
    assert means["layer normalization: largest |row mean|"] < 1e-5
