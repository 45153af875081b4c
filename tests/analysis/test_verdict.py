"""Verdict logic on constructed samples: the rule is under test, not fio.
Oracles: scipy's own exact tests, published critical values, hand-computed
Walsh averages."""
import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, wilcoxon

from fioab import ranktests as rt
from fioab.verdict import bh, compare_values, finish, gate_status, holm


def judged(metric, base, cand, paired=True, min_effect=0.02, others=(), measure="time",
           correction="bh"):
    """Decide one comparison among `others` (more (base, cand) in its family)."""
    c = compare_values(metric, ("cell",), "base", "cand", base, cand, paired, min_effect)
    extra = [compare_values(metric, ("other", i), "base", "cand", b, k, paired, min_effect)
             for i, (b, k) in enumerate(others)]
    finish([c] + extra, correction=correction, measure=measure)
    return c


rng = np.random.default_rng(7)
BASE = 10000 * np.exp(rng.normal(0, 0.002, 7))      # icount-like: 0.2% noise
NOISY = 10000 * np.exp(rng.normal(0, 0.15, 7))      # plain TCG: 15% noise


@pytest.mark.parametrize("n", [5, 6, 7, 9, 12])
def test_signed_rank_p_matches_scipy(n):
    for _ in range(20):
        d = rng.normal(0.2, 1, n)
        for alt in ("two-sided", "less", "greater"):
            assert rt.signed_rank_p(d, alt) == pytest.approx(
                wilcoxon(d, alternative=alt, method="exact").pvalue, abs=1e-12)


@pytest.mark.parametrize("n,m", [(3, 4), (5, 5), (7, 7), (4, 9), (10, 8)])
def test_rank_sum_p_matches_scipy(n, m):
    for _ in range(10):
        x, y = rng.normal(0, 1, n), rng.normal(0.4, 1, m)
        for alt in ("two-sided", "less", "greater"):
            assert rt.rank_sum_p(x, y, alt) == pytest.approx(
                mannwhitneyu(y, x, alternative=alt, method="exact").pvalue, abs=1e-12)


def test_paired_estimate_and_ci_by_hand():
    # d = 0.01..0.07: the 28 Walsh averages are symmetric about 0.04; the
    # published two-sided 5% critical value of T at n = 7 is 2, so the CI is
    # the 3rd smallest and 3rd largest Walsh average: 0.02 and 0.06.
    d = np.arange(1, 8) / 100
    s = rt.paired_shift(np.ones(7), np.exp(d), 0.02)
    assert s.estimate == pytest.approx(0.04)
    assert s.ci == pytest.approx((0.02, 0.06))
    assert s.p == pytest.approx(2 / 128)       # all seven positive
    # n = 5 cannot give a 95% CI (the floor is p = 2/32)
    assert rt.paired_shift(np.ones(5), np.exp(d[:5]), 0.02).ci is None


def test_unpaired_shift_by_hand():
    # y = x + 1 exactly: all 16 differences lie in 0..2, their median is 1
    x = np.log([1.0, 2.0, 3.0, 4.0])
    s = rt.unpaired_shift(np.exp(x), np.exp(x + 1.0), 0.02)
    assert s.estimate == pytest.approx(1.0)
    assert s.p == pytest.approx(mannwhitneyu(x + 1, x, method="exact").pvalue)


def test_clear_reduction_is_better_and_increase_worse():
    c = judged("cpu_ns_per_io", BASE, BASE * 0.9)
    assert c.verdict == "better" and c.ratio == pytest.approx(0.9, rel=1e-3)
    assert c.ci[1] < 1 and c.p_adj == pytest.approx(2 / 128)
    assert judged("cpu_ns_per_io", BASE, BASE * 1.1).verdict == "worse"
    # more IOPS is better
    assert judged("iops", BASE, BASE * 1.1).verdict == "better"


def test_identical_runs_are_same_paired_and_unpaired():
    assert judged("cpu_ns_per_io", BASE, BASE).verdict == "same"
    c = judged("cpu_ns_per_io", BASE, BASE, paired=False)
    assert c.verdict == "same" and c.p_same_adj < 0.05


def test_small_real_shift_within_band_is_same_not_better():
    # 0.5% less, exactly, in every pair: significant, but inside +-2%
    c = judged("cpu_ns_per_io", BASE, BASE * 0.995)
    assert c.p_adj < 0.05 and c.verdict == "same"
    # with a 0.1% band the same data are "better"
    assert judged("cpu_ns_per_io", BASE, BASE * 0.995, min_effect=0.001).verdict == "better"


def test_noise_and_few_repeats_are_inconclusive():
    assert judged("cpu_ns_per_io", NOISY, NOISY[::-1] * 1.03).verdict == "inconclusive"
    c = judged("cpu_ns_per_io", BASE[:5], BASE[:5] * 0.8)
    assert c.verdict == "inconclusive" and "cannot reach" in c.why
    c = judged("cpu_ns_per_io", [100.0], [50.0])
    assert c.verdict == "inconclusive" and "too few repeats" in c.why


def test_each_metric_tested_alone():
    # ties in one metric must not change another's exact p
    base, cand = BASE, BASE * 0.9
    a = judged("cpu_ns_per_io", base, cand)
    tied = compare_values("lat_p99_ns", ("cell",), "b", "c", [5.0] * 7, [5.0] * 7, True,
                          0.02)
    b = compare_values("cpu_ns_per_io", ("cell",), "b", "c", base, cand, True, 0.02)
    finish([tied, b])
    assert a.p == b.p == pytest.approx(2 / 128)


def test_correction_over_the_family():
    # one clear effect among null comparisons: BH and Holm adjust differently
    others = [(BASE, BASE * np.exp(rng.normal(0, 0.002, 7))) for _ in range(3)]
    c_bh = judged("cpu_ns_per_io", BASE, BASE * 0.9, others=others)
    c_holm = judged("cpu_ns_per_io", BASE, BASE * 0.9, others=others, correction="holm")
    assert c_bh.p_adj == pytest.approx(4 * 2 / 128)      # rank 1 of 4
    assert c_holm.p_adj == pytest.approx(4 * 2 / 128)
    # with 4 of 4 at the floor BH keeps each at the floor, Holm does not
    four = [(BASE, BASE * 0.9)] * 3
    assert judged("cpu_ns_per_io", BASE, BASE * 0.9, others=four).p_adj == \
        pytest.approx(2 / 128)
    assert judged("cpu_ns_per_io", BASE, BASE * 0.9, others=four,
                  correction="holm").p_adj == pytest.approx(4 * 2 / 128)


def test_holm_and_bh_values():
    p = [0.01, 0.04, 0.03, 0.005]
    assert list(holm(p)) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert list(bh(p)) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    out = holm([0.01, float("nan")])
    assert out[0] == pytest.approx(0.01) and np.isnan(out[1])


def test_virtual_time_metrics_are_not_judged_under_icount():
    c = judged("iops", BASE, BASE * 2, measure="instructions")
    assert c.verdict == "descriptive" and "virtual time" in c.why
    assert judged("cpu_ns_per_io", BASE, BASE * 2, measure="instructions").verdict == "worse"


def test_gate_status():
    worse = judged("cpu_ns_per_io", BASE, BASE * 1.2, paired=False)
    assert gate_status(worse, True, 0.02) == "regression"
    better = judged("cpu_ns_per_io", BASE, BASE * 0.8, paired=False)
    assert gate_status(better, True, 0.02) == "ok"
    # a real 1% shift (between boots) is no regression at a 2% threshold
    shifted = judged("cpu_ns_per_io", BASE, BASE * 1.01, paired=False)
    assert gate_status(shifted, True, 0.02) == "ok"
    noisy = judged("iops", NOISY, NOISY[::-1], paired=False)
    assert gate_status(noisy, False, 0.02) == "inconclusive"


def test_min_p_floors():
    assert rt.min_p_paired(5) == pytest.approx(0.0625)
    assert rt.min_p_paired(7) == pytest.approx(0.015625)
    assert rt.min_p_unpaired(5, 5) == pytest.approx(2 / math.comb(10, 5))
