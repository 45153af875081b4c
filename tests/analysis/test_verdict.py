"""Verdict logic on constructed samples: the rule is under test, not fio.
Oracles: scipy's own exact tests, published critical values, hand-computed
Walsh averages."""
import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, wilcoxon

from conftest import bh_by_definition
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


# Seven paired log ratios -0.1 .. -0.7 (candidate lower: better CPU/IO) with
# the signs of the ranks in `up` turned positive. The exact two-sided
# signed-rank p is 2 * #{subsets of 1..7 with sum <= T+} / 2^7 (T+ = sum of
# `up`): T+ = 0 -> 2/128, 2 -> 2*3/128 = 6/128, 3 -> 2*5/128 = 10/128,
# 14 (the centre) -> 1.
def log_ratios(*up):
    d = -np.arange(1, 8) / 10
    for r in up:
        d[r - 1] = -d[r - 1]
    return d


def family(ds, correction=None):
    comps = [compare_values("cpu_ns_per_io", ("cell", i), "base", "cand",
                            np.full(7, 1000.0), 1000.0 * np.exp(d), True, 0.02)
             for i, d in enumerate(ds)]
    return finish(comps, correction=correction) if correction else finish(comps)


def test_raw_p_of_the_constructed_families():
    for up, p in (((), 2 / 128), ((2,), 6 / 128), ((3,), 10 / 128), ((1, 6, 7), 1.0)):
        c = compare_values("cpu_ns_per_io", ("cell",), "b", "c", np.full(7, 1000.0),
                           1000.0 * np.exp(log_ratios(*up)), True, 0.02)
        assert c.p == pytest.approx(p, rel=1e-12)
        assert c.p == pytest.approx(wilcoxon(log_ratios(*up), method="exact").pvalue,
                                    rel=1e-12)


def test_correction_over_the_family_one_effect_among_nulls():
    # One comparison at the floor (2/128) and three with p = 1. Both
    # corrections give the smallest p times m = 4 here (BH: min(4 * 2/128 / 1,
    # the larger ones' q = 1); Holm: 4 * 2/128), so this cannot tell BH from
    # Holm (the next tests do); it fails when the correction is dropped: raw
    # p = 0.0156 would say "better".
    ds = [log_ratios(), log_ratios(1, 6, 7), log_ratios(2, 5, 7), log_ratios(3, 4, 7)]
    for corr in ("bh", "holm"):
        cs = family(ds, corr)
        assert [c.p for c in cs] == pytest.approx([2 / 128, 1, 1, 1])
        assert cs[0].p_adj == pytest.approx(4 * 2 / 128, rel=1e-12)
        assert cs[0].verdict == "inconclusive"
    # the same comparison alone (a family of one) is better
    assert family(ds[:1], "bh")[0].verdict == "better"


def test_holm_and_bh_differ_four_at_the_floor():
    # Four of four at 2/128: BH q_(i) = min over j >= i of 4 * p / j = p for
    # every i (j = 4), so all stay at 2/128 and all are better; Holm:
    # 4p, max(4p, 3p), ... = 4 * 2/128 = 0.0625 for all, none better.
    ds = [log_ratios()] * 4
    bh_ = family(ds, "bh")
    holm_ = family(ds, "holm")
    assert [c.p_adj for c in bh_] == pytest.approx([2 / 128] * 4, rel=1e-12)
    assert [c.verdict for c in bh_] == ["better"] * 4
    assert [c.p_adj for c in holm_] == pytest.approx([8 / 128] * 4, rel=1e-12)
    assert [c.verdict for c in holm_] == ["inconclusive"] * 4


def test_none_bh_and_holm_give_three_different_decisions():
    """p = 3/64, 1/64, 5/64, 1/64 (in this order), m = 4, alpha = 0.05.
    Sorted: 1/64, 1/64, 3/64, 5/64.
      raw:  1/64, 1/64, 3/64 < 0.05 -> three better
      BH:   q_(4) = 5/64 * 4/4 = 5/64; q_(3) = min(3/64 * 4/3 = 4/64, 5/64)
            = 1/16; q_(2) = min(1/64 * 4/2, 1/16) = 1/32; q_(1) =
            min(1/64 * 4/1, 1/32) = 1/32  -> two better (3/64 -> 1/16 is not)
      Holm: 4 * 1/64 = 1/16; max(1/16, 3 * 1/64) = 1/16; max(1/16, 2 * 3/64)
            = 3/32; max(3/32, 1 * 5/64) = 3/32  -> none better
    """
    ds = [log_ratios(2), log_ratios(), log_ratios(3), log_ratios()]
    bh_ = family(ds, "bh")
    assert [c.p for c in bh_] == pytest.approx([3 / 64, 1 / 64, 5 / 64, 1 / 64], rel=1e-12)
    assert [c.p_adj for c in bh_] == pytest.approx([1 / 16, 1 / 32, 5 / 64, 1 / 32], rel=1e-12)
    assert [c.verdict for c in bh_] == ["inconclusive", "better", "inconclusive", "better"]
    holm_ = family(ds, "holm")
    assert [c.p_adj for c in holm_] == pytest.approx([3 / 32, 1 / 16, 3 / 32, 1 / 16],
                                                     rel=1e-12)
    assert [c.verdict for c in holm_] == ["inconclusive"] * 4
    # finish() without a correction named applies BH
    assert [c.p_adj for c in family(ds)] == \
        pytest.approx([1 / 16, 1 / 32, 5 / 64, 1 / 32], rel=1e-12)


def test_holm_and_bh_values():
    # by hand: sorted 0.005, 0.01, 0.03, 0.04 (m = 4)
    #   Holm: 4*0.005 = 0.02; max(0.02, 3*0.01) = 0.03; max(0.03, 2*0.03) =
    #         0.06; max(0.06, 1*0.04) = 0.06
    #   BH:   0.04*4/4 = 0.04; min(0.03*4/3, 0.04) = 0.04; min(0.01*4/2, 0.04)
    #         = 0.02; min(0.005*4/1, 0.02) = 0.02
    p = [0.01, 0.04, 0.03, 0.005]
    assert list(holm(p)) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert list(bh(p)) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    out = holm([0.01, float("nan")])
    assert out[0] == pytest.approx(0.01) and np.isnan(out[1])
    # nan entries are left out of m: BH over 0.02, 0.04 (m = 2) gives
    # min(0.02*2/1, 0.04*2/2) = 0.04 and 0.04
    out = bh([float("nan"), 0.02, 0.04])
    assert np.isnan(out[0]) and list(out[1:]) == pytest.approx([0.04, 0.04])


def holm_by_definition(p):
    """Holm (1979): p_(i) -> max over j <= i of min(1, (m - j + 1) p_(j))."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    m = len(p)
    out = [0.0] * m
    for pos, i in enumerate(order):
        out[i] = max(min(1.0, (m - j) * p[order[j]]) for j in range(pos + 1))
    return out


def test_holm_and_bh_match_their_definitions():
    # an independent implementation (the textbook formulas, quadratic) on
    # random vectors with ties and values near 1
    r = np.random.default_rng(11)
    for _ in range(200):
        m = int(r.integers(1, 12))
        p = list(np.round(r.uniform(0, 1, m) ** 2, 2))
        assert list(holm(p)) == pytest.approx(holm_by_definition(p), abs=1e-15)
        assert list(bh(p)) == pytest.approx(bh_by_definition(p), abs=1e-15)


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


@pytest.mark.parametrize("k,n", [(0, 40), (1, 40), (3, 40), (40, 40), (2, 7), (5, 4000), (2000, 4000)])
def test_binomial_ci_matches_scipy_beta(k, n):
    """Clopper-Pearson bounds are beta quantiles (scipy's, the oracle)."""
    from scipy.stats import beta
    lo, hi = rt.binomial_ci(k, n)
    assert lo == pytest.approx(beta.ppf(0.025, k, n - k + 1) if k else 0.0, abs=1e-12)
    assert hi == pytest.approx(beta.ppf(0.975, k + 1, n - k) if k < n else 1.0, abs=1e-12)


def test_binomial_ci_zero_of_forty_is_the_rule_of_three_bound():
    """0 of 40: the upper bound solves (1 - p)^40 = 0.025 (hand-computed)."""
    assert rt.binomial_ci(0, 40)[1] == pytest.approx(1 - 0.025 ** (1 / 40), rel=1e-12)
