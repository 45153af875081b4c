"""analysis/compare: the regression gate on real fixture runs."""
import json
import os
import shutil
import subprocess

from conftest import ANALYSIS, fixture

COMPARE = os.path.join(ANALYSIS, "compare")


def gate(*args):
    return subprocess.run(["/usr/bin/python3", COMPARE] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_same_build_is_not_a_regression(tmp_path):
    # self-check: two interleaved runs of the same build and config
    p = gate(fixture("gate", "base"), fixture("gate", "same"), "--json", str(tmp_path / "g.json"))
    assert p.returncode in (0, 2), p.stdout + p.stderr
    assert "REGRESSION" not in p.stdout
    g = json.load(open(tmp_path / "g.json"))
    assert g["result"] in ("ok", "inconclusive")
    assert not [c for c in g["comparisons"] if c["gate"] == "regression"]
    assert len(g["comparisons"]) == 6


TOP = os.path.dirname(ANALYSIS)
KEPT_BASELINE = os.path.join(TOP, "results", "baselines", "ci-vm")


def test_identical_data_is_no_regression(tmp_path):
    # the kept instruction-count baseline against itself: every gated cell ok
    p = gate(KEPT_BASELINE, KEPT_BASELINE, "--no-ascii", "--json", str(tmp_path / "g.json"))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    g = json.load(open(tmp_path / "g.json"))
    assert g["result"] == "ok" and g["comparisons"]
    assert {c["metric"] for c in g["comparisons"]} <= {"cpu_ns_per_io", "sys_cpu_ns_per_io"}
    assert all(c["gate"] == "ok" for c in g["comparisons"])


def test_self_check_both_directions():
    p = gate(fixture("gate", "same"), fixture("gate", "base"), "--no-ascii")
    assert p.returncode in (0, 2), p.stdout


def test_real_slowdown_is_a_regression(tmp_path):
    # candidate ran with thinktime_spin: more CPU per I/O and fewer IOPS
    summary = tmp_path / "summary.md"
    p = gate(fixture("gate", "base"), fixture("gate", "slow"), "--summary", str(summary),
             "--json", str(tmp_path / "g.json"))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "REGRESSION" in p.stdout
    assert summary.read_text() == p.stdout
    g = json.load(open(tmp_path / "g.json"))
    bad = {(c["cell"], c["metric"]) for c in g["comparisons"] if c["gate"] == "regression"}
    assert ("io_uring randread 4k QD4 nj1", "cpu_ns_per_io") in bad
    assert ("io_uring randread 4k QD4 nj1", "iops") in bad


def test_improvement_is_not_a_regression():
    # the other way round the slow set is the base: the candidate only improves
    p = gate(fixture("gate", "slow"), fixture("gate", "base"), "--no-ascii")
    assert p.returncode in (0, 2) and "REGRESSION" not in p.stdout


def test_ascii_plots_in_summary():
    # required, not skipped: without gnuplot the gate prints no plots and
    # this test must fail (make deps installs gnuplot)
    assert shutil.which("gnuplot"), "gnuplot is not installed (make deps installs it)"
    p = gate(fixture("gate", "base"), fixture("gate", "slow"))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "gnuplot not installed" not in p.stdout
    # one fenced dumb-terminal chart per gated metric with CIs: CPU, IOPS and
    # p99 (these fixtures carry no system-wide CPU samples)
    assert p.stdout.count("```") == 6
    for title in ("CPU time per I/O, candidate vs base", "IOPS, candidate vs base",
                  "p99 latency, candidate vs base"):
        assert title in p.stdout
    chart = p.stdout.split("```")[1]
    assert "+------" in chart                       # gnuplot's dumb-terminal frame


def test_missing_cell_is_inconclusive(tmp_path):
    shutil.copytree(fixture("gate", "same"), tmp_path / "c")
    runs = tmp_path / "c" / "runs"
    for d in os.listdir(runs):
        if json.load(open(runs / d / "cell.json"))["iodepth"] == 4:
            shutil.rmtree(runs / d)
    p = gate(fixture("gate", "base"), str(tmp_path / "c"), "--no-ascii")
    assert p.returncode in (1, 2)
    assert "QD4" in p.stdout and "no ok run in the candidate" in p.stdout


def test_bad_input_exit_3(tmp_path):
    shutil.copytree(fixture("gate", "same"), tmp_path / "c")
    (tmp_path / "c" / "meta.json").write_text("{\"schema\": 1, \"name\": ")
    p = gate(fixture("gate", "base"), str(tmp_path / "c"))
    assert p.returncode == 3
    assert "meta.json" in p.stderr and "truncated" in p.stderr


def test_threshold_option():
    p = gate(fixture("gate", "base"), fixture("gate", "same"), "--threshold", "bogus=1")
    assert p.returncode == 2 and "METRIC=FRACTION" in p.stderr


def _skip_cell(root, iodepth):
    """Turn one cell's runs into skips, as run-matrix records them."""
    runs = root / "runs"
    for d in os.listdir(runs):
        cell = json.load(open(runs / d / "cell.json"))
        if cell["iodepth"] == iodepth:
            cell.update(status="skipped", reason="test: the machine cannot run it")
            (runs / d / "cell.json").write_text(json.dumps(cell))
            os.remove(runs / d / "fio.json")


def test_cell_skipped_on_both_sides_is_not_gated(tmp_path):
    shutil.copytree(fixture("gate", "base"), tmp_path / "b")
    shutil.copytree(fixture("gate", "same"), tmp_path / "c")
    _skip_cell(tmp_path / "b", 4)
    _skip_cell(tmp_path / "c", 4)
    p = gate(str(tmp_path / "b"), str(tmp_path / "c"), "--no-ascii")
    assert p.returncode in (0, 2), p.stdout + p.stderr
    assert "skipped on both sides (not gated)" in p.stdout
    assert "no ok run on one side" not in p.stdout
    # Skipped in the candidate only: that is missing data, inconclusive.
    shutil.rmtree(tmp_path / "b")
    shutil.copytree(fixture("gate", "base"), tmp_path / "b")
    p = gate(str(tmp_path / "b"), str(tmp_path / "c"), "--no-ascii")
    assert p.returncode == 2 and "no ok run on one side" in p.stdout
