# The README's "Python" example, taken from the README and run as it stands.
import contextlib
import io


def readme_block(source_dir, tag):
    lines = (source_dir / "README.md").read_text().splitlines()
    start = lines.index(tag) + 2  # the tag, then the opening fence
    end = lines.index("```", start)
    return "\n".join(lines[start:end])


def test_the_python_example_runs_and_prints_what_it_says(source_dir):
    code = readme_block(source_dir, "<!-- tested by python/tests/test_readme.py -->")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("gradient norm for the input ") and float(lines[0].split()[-1]) > 0
    assert lines[1].startswith("variance of weights ")
    assert lines[2] == "float64"
    assert "64" in lines[3] and "128" in lines[3]  # the error names the widths


def test_the_lab_example_runs_and_prints_what_it_says(source_dir):
    code = readme_block(source_dir, "<!-- lab example, tested by python/tests/test_readme.py -->")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0].split()[0] in ("healthy", "vanishing", "exploding") and float(lines[0].split()[1]) > 0
    assert lines[1].split()[0] == "8" and lines[1].split()[1].startswith("depth=4,")
    assert lines[2] == "[True, True, True]"


def test_the_train_example_runs_and_prints_what_it_says(source_dir):
    code = readme_block(source_dir, "<!-- train example, tested by python/tests/test_readme.py -->")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue().splitlines() == ["completed 5 True"]
