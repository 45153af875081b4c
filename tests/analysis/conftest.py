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


def bh_by_definition(p):
    """Benjamini-Hochberg (1995) q-values from the definition, the tests'
    oracle for verdict.bh: p_(i) -> min over j >= i of min(1, m p_(j) / j)
    (quadratic, written apart from the production step-up loop)."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    m = len(p)
    out = [0.0] * m
    for pos, i in enumerate(order):
        out[i] = min(min(1.0, m * p[order[j]] / (j + 1)) for j in range(pos, m))
    return out
