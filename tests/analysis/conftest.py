"""Shared paths and helpers for the analysis tests."""
import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
ANALYSIS = os.path.join(TOP, "analysis")
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, ANALYSIS)


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


@pytest.fixture
def matrix_copy(tmp_path):
    """A writable copy of the matrix result set."""
    dst = tmp_path / "matrix"
    shutil.copytree(fixture("matrix"), dst)
    return str(dst)


def ok_run_dirs(root):
    import json
    out = []
    for d in sorted(os.listdir(os.path.join(root, "runs"))):
        with open(os.path.join(root, "runs", d, "cell.json")) as f:
            if json.load(f)["status"] == "ok":
                out.append(os.path.join(root, "runs", d))
    return out
