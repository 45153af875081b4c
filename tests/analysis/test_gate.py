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
# the test VM's baseline (results/baselines/KEY/SESSION, fioab.machine)
KEPT_BASELINE = os.path.join(TOP, "results", "baselines",
                             "qemu-tcg-cpu-version-2.5+_1cpu_qemu-nvme-ctrl_fw-7.2.22_"
                             "linux-7.2.13_no-series_iommu-off_icount")
KEPT_SESSIONS = [os.path.join(KEPT_BASELINE, d) for d in sorted(os.listdir(KEPT_BASELINE))]
# the first baseline (one session, the default kernel as it was), kept as a result
KEPT_OLD = os.path.join(TOP, "results", "2026-12-01-vm-icount-ci-46666dc")


def test_identical_data_is_no_regression(tmp_path):
    # a kept instruction-count run against itself: every gated cell ok
    p = gate(KEPT_OLD, KEPT_OLD, "--no-ascii", "--json", str(tmp_path / "g.json"))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    g = json.load(open(tmp_path / "g.json"))
    assert g["result"] == "ok" and g["comparisons"]
    assert {c["metric"] for c in g["comparisons"]} <= {"cpu_ns_per_io", "sys_cpu_ns_per_io"}
    assert all(c["gate"] == "ok" for c in g["comparisons"])


def test_kept_sessions_against_their_baseline(tmp_path):
    # each session of the kept two-session baseline against the baseline:
    # no regression anywhere, and every gated cell has its band
    assert len(KEPT_SESSIONS) >= 2, KEPT_SESSIONS
    for s in KEPT_SESSIONS:
        p = gate(KEPT_BASELINE, s, "--no-ascii", "--json", str(tmp_path / "g.json"))
        assert p.returncode in (0, 2), p.stdout[-2000:] + p.stderr
        g = json.load(open(tmp_path / "g.json"))
        assert len(g["sessions"]) == len(KEPT_SESSIONS) and len(g["comparisons"]) == 44
        assert not [c for c in g["comparisons"] if c["gate"] == "regression"]
        assert all(c["band"] is not None and c["band"] > 0 for c in g["comparisons"])


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


# --- between-session variation: synthetic sessions whose truth is set here ----
#
# Each value is level(cell) x boot(session, cell) x code x jitter(run): the
# boot factor is one machine boot's offset, the same for all runs of that
# session; jitter is within-session noise. The gate is given the baseline's
# sessions and one candidate session and must judge the code factor.

import math  # noqa: E402

import pytest  # noqa: E402

import numpy as np  # noqa: E402
from scipy.stats import binom, t as student_t  # noqa: E402

from fioab.gate import between_session_bands, gate_junit, run_gate  # noqa: E402
from fioab.load import Entry, ResultSet, Run  # noqa: E402
from fioab.ranktests import binomial_ci  # noqa: E402

SYN_CELLS = [(arm, None, pat, 4096, qd, 1) for arm in ("mem", "io_uring", "libaio")
             for pat in ("randread", "randwrite") for qd in (1, 16)][:10]
SYN_LEVEL = {c: 5000.0 + 900 * i for i, c in enumerate(SYN_CELLS)}


def syn_meta(measure):
    return {"schema": 1, "name": "synthetic", "emulated": True, "iommu": "off",
            "cpu": {"model": "QEMU TCG CPU version 2.5+", "count": 1},
            "kernel": {"release": "7.2.13"}, "dmabuf_api": False,
            "device": {"model": "QEMU NVMe Ctrl", "firmware": "7.2.22"},
            "measure": {"cpu": measure}, "start": "2026-12-01T19:43:00+00:00"}


def syn_session(name, boot, rng, code=None, n=7, jitter=0.002, measure="instructions"):
    """One session: boot[cell] and code[cell] are factors (default 1)."""
    entries = []
    for i, cell in enumerate(SYN_CELLS):
        for r in range(n):
            v = SYN_LEVEL[cell] * boot[cell] * (code or {}).get(cell, 1.0) * \
                math.exp(rng.normal(0, jitter))
            ios = 100000
            run = Run(run_id="%s-%d-%d" % (name, i, r), cell=cell, repeat=r, order=i * n + r,
                      ios=ios, cpu_s=v * ios / 1e9, ctx=0, iops=1e5, bw_bytes=4e8,
                      runtime_ms=1000, lat_kind="lat", lat_n=1, lat_sum_ns=1e4,
                      bin_ns=np.array([10000]), bin_count=np.array([1]))
            entries.append(Entry(run.run_id, cell, r, run.order, "ok", None, run=run))
    return ResultSet(path="/synthetic/" + name, meta=syn_meta(measure), entries=entries)


def syn_gate(base, cand, **kw):
    g = run_gate(base, cand, resamples=2, metrics=("cpu_ns_per_io",), **kw)
    assert {c.metric for c, _ in g["rows"]} == {"cpu_ns_per_io"}
    return g


def every(f):
    return {c: f for c in SYN_CELLS}


def test_another_boot_shifted_one_percent_is_ok():
    # Baseline: two boots 1% apart (-0.5%, +0.5%). Candidate: the same code on
    # a third boot, +1% against their middle. Instruction counts, 2% threshold.
    rng = np.random.default_rng(1)
    base = [syn_session("a", every(0.995), rng), syn_session("b", every(1.005), rng)]
    g = syn_gate(base, syn_session("c", every(1.01), rng))
    assert g["result"] == "ok" and g["exit"] == 0, [(c.key, s) for c, s in g["rows"]]
    assert len(g["rows"]) == len(SYN_CELLS)
    # the band came from the two sessions: every cell has one
    assert all(c.band is not None and c.band > 0 for c, _ in g["rows"])


def test_five_percent_regression_on_another_boot_is_caught():
    rng = np.random.default_rng(2)
    base = [syn_session("a", every(0.995), rng), syn_session("b", every(1.005), rng)]
    slow = SYN_CELLS[:3]
    cand = syn_session("c", every(1.01), rng, code={c: 1.05 for c in slow})
    g = syn_gate(base, cand)
    assert g["result"] == "regression" and g["exit"] == 1
    status = {c.key: s for c, s in g["rows"]}
    assert {k for k, s in status.items() if s == "regression"} == set(slow)
    assert all(status[k] == "ok" for k in SYN_CELLS[3:])
    # JUnit: one case per cell, failed exactly where the code got slower
    import xml.etree.ElementTree as ET
    root = ET.fromstring(gate_junit(g))
    cases = list(root.iter("testcase"))
    assert len(cases) == len(SYN_CELLS)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    from fioab.load import cell_label
    assert failed == {cell_label(k, short=True) for k in slow}
    assert root.get("tests") == str(len(SYN_CELLS)) and root.get("failures") == "3"


def test_boots_that_move_more_than_the_threshold_widen_the_gate():
    # Time mode (5% threshold) on a machine whose boots move every cell by
    # +-4%: a candidate boot at +6% from the sessions' middle, same code.
    rng = np.random.default_rng(3)
    a = syn_session("a", every(0.96), rng, measure="time")
    b = syn_session("b", every(1.04), rng, measure="time")
    cand = syn_session("c", every(1.06), rng, measure="time")
    g = syn_gate([a, b], cand)
    assert "regression" not in {s for _, s in g["rows"]}, g["result"]
    assert g["result"] == "ok"
    # the same runs as one session (no between-session model): a false alarm
    one = syn_gate(ResultSet("/synthetic/ab", a.meta, a.entries + b.entries), cand)
    assert one["result"] == "regression"
    # and a change well beyond the band is still caught: +60% in two cells
    big = syn_session("d", every(1.06), rng, code={c: 1.6 for c in SYN_CELLS[:2]},
                      measure="time")
    g = syn_gate([a, b], big)
    assert {c.key for c, s in g["rows"] if s == "regression"} == set(SYN_CELLS[:2])


def test_band_is_the_prediction_bound_written_out():
    # oracle: the formula from the module docstring, by hand, for 3 cells
    med = {"x": [100.0, 102.0], "y": [50.0, 50.5], "z": [10.0, 10.1, 9.9]}
    logs = {k: np.log(v) for k, v in med.items()}
    ss = {k: float(((v - v.mean()) ** 2).sum()) for k, v in logs.items()}
    df = 1 + 1 + 2
    pooled = sum(ss.values()) / df
    q = student_t.ppf(1 - 0.05 / 3, df)
    want = {k: q * math.sqrt(max(ss[k] / (len(v) - 1), pooled)) * math.sqrt(1 + 1 / len(v))
            for k, v in logs.items()}
    got = between_session_bands(med)
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12)
    assert between_session_bands({"x": [100.0]}) == {}


def test_one_session_falls_back_to_the_threshold_and_says_so():
    from fioab.gate import summary_markdown
    rng = np.random.default_rng(4)
    g = syn_gate([syn_session("a", every(1.0), rng)], syn_session("c", every(1.0), rng))
    assert all(c.band is None for c, _ in g["rows"])
    assert "one session" in summary_markdown(g, ascii_plots=False)


def test_false_alarm_rate_of_another_boot_at_or_below_alpha():
    # 200 candidate boots of unchanged code on a machine whose boots move each
    # cell by a normal offset with sd 4% (time mode, 5% threshold: the band,
    # not the threshold, must hold the false alarms), against a baseline of
    # two fresh boots each time. A regression anywhere in the 10 cells is a
    # false alarm; the rule is built for at most alpha = 5% of gates.
    rng = np.random.default_rng(5)
    trials, alarms, alarms_one = 200, 0, 0

    def boot():
        return {c: math.exp(rng.normal(0, 0.04)) for c in SYN_CELLS}
    for _ in range(trials):
        a = syn_session("a", boot(), rng, measure="time")
        b = syn_session("b", boot(), rng, measure="time")
        c = syn_session("c", boot(), rng, measure="time")
        alarms += syn_gate([a, b], c)["result"] == "regression"
        if _ < 40:
            alarms_one += syn_gate(ResultSet("/s/ab", a.meta, a.entries + b.entries),
                                   c)["result"] == "regression"
    # not demonstrably above 5% (95% CI of the rate reaches below it) and
    # within what Binomial(200, 0.05) gives 99% of the time
    assert binomial_ci(alarms, trials)[0] < 0.05, alarms
    assert alarms <= binom.ppf(0.99, trials, 0.05), alarms
    # without the sessions' band the same data alarm most of the time
    assert alarms_one >= 20, alarms_one


def test_power_for_five_percent_with_icount_boot_noise():
    # instruction counts: boots move cells by sd 0.4% (boot-to-boot changes
    # of about 1%), within-session 0.2%; every cell 5% slower on the
    # candidate boot: the gate must call a regression in (almost) every try
    rng = np.random.default_rng(6)
    caught = 0
    cells_caught = 0

    def boot():
        return {c: math.exp(rng.normal(0, 0.004)) for c in SYN_CELLS}
    for _ in range(40):
        base = [syn_session("a", boot(), rng), syn_session("b", boot(), rng)]
        g = syn_gate(base, syn_session("c", boot(), rng, code=every(1.05)))
        caught += g["result"] == "regression"
        cells_caught += sum(s == "regression" for _, s in g["rows"])
    assert caught == 40
    assert cells_caught >= 0.95 * 40 * len(SYN_CELLS), cells_caught


def test_band_rule_case_by_case():
    # A significant +10% [5%..15%] CPU change (threshold 5%) against bands
    # of 3%, 10% and 20%: beyond the band, reaching into it, inside it; and
    # the same for IOPS (higher is better): -9% [-13%..-5%].
    from fioab.gate import banded_status
    from fioab.verdict import Comparison
    cpu = Comparison("cpu_ns_per_io", ("cell",), "b", "c", 7, 7, 100.0, 110.0, 1.10,
                     (1.05, 1.15), 0.001, verdict="worse")
    iops = Comparison("iops", ("cell",), "b", "c", 7, 7, 100.0, 91.0, 0.91,
                      (0.87, 0.95), 0.001, verdict="worse")
    for c, lower in ((cpu, True), (iops, False)):
        lo, hi = ((math.log(1.05), math.log(1.15)) if lower else
                  (-math.log(0.95), -math.log(0.87)))
        assert banded_status(c, lower, 0.05, None)[0] == "regression"
        assert banded_status(c, lower, 0.05, lo * 0.6)[0] == "regression"
        assert banded_status(c, lower, 0.05, (lo + hi) / 2)[0] == "inconclusive"
        assert banded_status(c, lower, 0.05, hi * 1.2) == ("ok", "within the between-session band")
    # not significant, CI +-3% with a 2% threshold: inconclusive without a
    # band, ok inside a 4% band
    flat = Comparison("cpu_ns_per_io", ("cell",), "b", "c", 7, 7, 100.0, 100.0, 1.0,
                      (0.97, 1.03), 0.9, verdict="inconclusive")
    assert banded_status(flat, True, 0.02, None)[0] == "inconclusive"
    assert banded_status(flat, True, 0.02, math.log(1.04))[0] == "ok"
