"""Verdict logic on constructed samples (the one place numbers are made up:
the rule itself is under test, not fio)."""
import numpy as np
import pytest

from fioab.verdict import (bh, compare_samples, decide, finish, gate_status,
                           holm, mwu_p)


def verdict(metric, base, cand, min_effect=0.05, others=()):
    """Decide one comparison among `others` (extra p-values for the correction)."""
    c = compare_samples(metric, ("cell",), "base", "cand", base, cand)
    extra = [compare_samples(metric, ("other", i), "base", "cand", b, k)
             for i, (b, k) in enumerate(others)]
    finish([c] + extra, min_effect=min_effect)
    return c


rng = np.random.default_rng(7)
BASE = 100 + rng.normal(0, 1, 10)          # 1% noise
NOISY = 100 + rng.normal(0, 15, 10)        # 15% noise


def test_clear_cpu_reduction_is_better():
    c = verdict("cpu_ns_per_io", BASE, BASE * 0.8)
    assert c.verdict == "better" and c.ratio == pytest.approx(0.8)
    assert c.ci[1] < 1 and c.p_adj < 0.05


def test_clear_cpu_increase_is_worse():
    assert verdict("cpu_ns_per_io", BASE, BASE * 1.2).verdict == "worse"


def test_direction_follows_metric():
    # more IOPS is better, more CPU per I/O is worse
    assert verdict("iops", BASE, BASE * 1.2).verdict == "better"
    assert verdict("iops", BASE, BASE * 0.8).verdict == "worse"
    assert verdict("lat_p99_ns", BASE, BASE * 0.8).verdict == "better"


def test_identical_distributions_are_same():
    c = verdict("cpu_ns_per_io", BASE, BASE[::-1] + 0.01)
    assert c.verdict == "same", c.why


def test_significant_but_small_is_not_better():
    # a real 2% shift with tiny noise: significant, but below the 5% minimum
    base = 100 + rng.normal(0, 0.1, 10)
    c = verdict("cpu_ns_per_io", base, base * 0.98)
    assert c.p_adj < 0.05
    assert c.verdict == "same"
    # with a 1% minimum effect the same data is "better"
    assert verdict("cpu_ns_per_io", base, base * 0.98, min_effect=0.01).verdict == "better"


def test_too_few_repeats_is_inconclusive():
    c = verdict("cpu_ns_per_io", [100.0], [50.0])
    assert c.verdict == "inconclusive" and "too few repeats" in c.why
    # n=3 per side: the exact MWU cannot go below p=0.1
    c = verdict("cpu_ns_per_io", [100, 101, 102], [50, 51, 52])
    assert c.p == pytest.approx(0.1) and c.verdict == "inconclusive"


def test_noisy_is_inconclusive():
    c = verdict("cpu_ns_per_io", NOISY, NOISY[::-1] * 1.03)
    assert c.verdict == "inconclusive"


def test_correction_over_cells_can_remove_significance():
    # n=4 per side: the best exact p is 0.0286; alone it is significant,
    # with 9 other (null) cells Holm multiplies it by 10
    base, cand = [100, 101, 102, 103], [80, 81, 82, 83]
    assert verdict("cpu_ns_per_io", base, cand).verdict == "better"
    nulls = [([100, 101, 102, 103], [101, 100, 103, 102])] * 9
    c = verdict("cpu_ns_per_io", base, cand, others=nulls)
    assert c.p_adj == pytest.approx(10 * c.p) and c.verdict == "inconclusive"


def test_mwu_exact_small_samples():
    assert mwu_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    assert mwu_p([5, 5, 5], [5, 5, 5]) == 1.0


def test_holm_and_bh():
    p = [0.01, 0.04, 0.03, 0.005]
    assert list(holm(p)) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert list(bh(p)) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    out = holm([0.01, float("nan")])
    assert out[0] == pytest.approx(0.01) and np.isnan(out[1])


def test_gate_status():
    worse = verdict("cpu_ns_per_io", BASE, BASE * 1.2)
    assert gate_status(worse, True, 0.05) == "regression"
    better = verdict("cpu_ns_per_io", BASE, BASE * 0.8)
    assert gate_status(better, True, 0.05) == "ok"
    same = verdict("iops", BASE, BASE[::-1])
    assert gate_status(same, False, 0.05) == "ok"
    noisy = verdict("iops", NOISY, NOISY[::-1])
    assert gate_status(noisy, False, 0.05) == "inconclusive"


def test_decide_without_ci():
    c = compare_samples("iops", ("x",), "b", "c", [1.0, 2.0], [3.0])
    assert decide(c, False).verdict == "inconclusive"
