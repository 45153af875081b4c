"""The stopping rule of run-matrix --until-resolved, by simulation on kept
instruction-count runs: the false-positive rate of A/A experiments (with its
95% Clopper-Pearson CI, at or below alpha) and the power for a 3% effect.

Each experiment is a family of declared comparisons run round by round up
to the rule's maximum; every round draws, for each comparison, a baseline
and a candidate run from the same kept cell (with replacement) and scales
both by that experiment's boot shift (about 1% between boots, measured in
the test VM). The verdicts come from the real analysis code
(verdict.compare_values, verdict.finish, sequential.looks)."""
import os

import numpy as np
import pytest

from fioab import sequential
from fioab.ranktests import binomial_ci
from fioab.load import load_results
from fioab.verdict import ALPHA, compare_values, finish

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEPT = os.path.join(TOP, "results", "2026-12-01-vm-icount-series-v3")
EXPERIMENTS = 1000
FAMILY = 4            # declared comparisons per experiment
BOOT_SHIFT = 0.01     # sd of the log shift between boots (../shared/notes/test-vm.md)
MIN_EFFECT = 0.02     # the instruction-count band


def pools():
    """CPU per I/O of each kept icount cell with at least 7 ok runs."""
    rs = load_results(KEPT)
    assert (rs.meta.get("measure") or {}).get("cpu") == "instructions", \
        "%s is not an instruction-count result" % KEPT
    by = {}
    for e in rs.entries:
        if e.run is not None:
            by.setdefault(e.cell, []).append(e.run.cpu_ns_per_io)
    return [np.array(v) for v in by.values() if len(v) >= 7]


def experiment(rng, pool_list, effect):
    """One family under the stopping rule; returns the final verdicts."""
    n0 = 7
    looks = sequential.looks(n0)
    nmax = looks[-1][0]
    shift = np.exp(rng.normal(0, BOOT_SHIFT))
    picks = [pool_list[i] for i in rng.integers(0, len(pool_list), FAMILY)]
    base = [shift * p[rng.integers(0, len(p), nmax)] for p in picks]
    cand = [shift * effect * p[rng.integers(0, len(p), nmax)] for p in picks]
    final = {}
    for n, share in looks:
        comps = [compare_values("cpu_ns_per_io", (i,), "b", "c", base[i][:n], cand[i][:n],
                                True, MIN_EFFECT) for i in range(FAMILY)]
        finish(comps, alpha=ALPHA * share)
        for i, c in enumerate(comps):
            if i not in final or final[i] == "inconclusive":
                final[i] = c.verdict
        if all(v != "inconclusive" for v in final.values()):
            break           # the runner adds no more rounds
    return list(final.values())


@pytest.fixture(scope="module")
def kept():
    if not os.path.isdir(KEPT):
        pytest.fail("the kept instruction-count result %s is missing" % KEPT)
    return pools()


def test_false_positive_rate_at_or_below_alpha(kept):
    rng = np.random.default_rng(20261201)
    verdicts = [v for _ in range(EXPERIMENTS) for v in experiment(rng, kept, 1.0)]
    false = sum(v in ("better", "worse") for v in verdicts)
    rate = false / len(verdicts)
    lo, hi = binomial_ci(false, len(verdicts))
    print("A/A: %d false better/worse of %d comparisons: %.4f [%.4f..%.4f]"
          % (false, len(verdicts), rate, lo, hi))
    assert rate <= ALPHA and lo <= ALPHA
    assert hi <= ALPHA, "the CI of the false-positive rate reaches above alpha"


def test_power_for_a_three_percent_effect(kept):
    rng = np.random.default_rng(3)
    verdicts = [v for _ in range(EXPERIMENTS // 4) for v in experiment(rng, kept, 1.03)]
    worse = sum(v == "worse" for v in verdicts) / len(verdicts)
    false_same = sum(v == "same" for v in verdicts) / len(verdicts)
    print("3%% more instructions: power %.3f, wrongly 'same' %.4f" % (worse, false_same))
    assert worse >= 0.5, "power for a 3%% effect is %.2f" % worse
    assert false_same <= ALPHA


def test_looks_and_spending():
    assert sequential.looks(7) == [(7, 0.5), (11, 0.25), (14, 0.25)]
    assert sum(s for _, s in sequential.looks(1)) == pytest.approx(1.0)
    # each look's share must be above the exact test's floor at its n
    for n, s in sequential.looks(7):
        assert 2 / 2 ** n < ALPHA * s
