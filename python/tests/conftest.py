# The module under test is build/python/gradlab*.so (ctest sets PYTHONPATH); the tests compare with
# the C++ examples in the same build tree (GRADLAB_BINARY_DIR) and read the source tree's files.
import os
import pathlib
import subprocess

import pytest

SOURCE_DIR = pathlib.Path(os.environ.get("GRADLAB_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BINARY_DIR = pathlib.Path(os.environ.get("GRADLAB_BINARY_DIR", SOURCE_DIR / "build"))


@pytest.fixture
def source_dir():
    return SOURCE_DIR


@pytest.fixture
def cpp_lesson_norms():
    """The three input-gradient norms examples/lesson_skip_connections.cc prints (In [192]-[194])."""
    out = subprocess.run([str(BINARY_DIR / "examples" / "example_lesson_skip_connections")],
                         check=True, capture_output=True, text=True).stdout
    return [line.rsplit(" ", 1)[1] for line in out.splitlines()]
