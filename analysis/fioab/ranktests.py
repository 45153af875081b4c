"""Exact rank tests on log ratios, with estimates and CIs that agree with them.

Paired (the same round of two arms run back to back): Wilcoxon signed-rank
on d_i = log(candidate_i / baseline_i), Hodges-Lehmann estimate (median of
the Walsh averages) and the CI from inverting the test (order statistics
of the Walsh averages). Unpaired (two result sets): Mann-Whitney rank-sum
on the log values, Hodges-Lehmann shift (median of all differences) and
its CI from inverting that test. Both are exact: null distributions by
dynamic programming, valid without ties (under instruction counting ties
have probability ~0; mid-ranks are used if they occur, which makes the
p-value approximate).

Equivalence (two one-sided tests at +-delta): the same statistic on data
shifted by the bounds; "same" when both one-sided p-values are below
alpha, which is the (1 - 2 alpha) CI lying inside the bounds.

All functions are pure; results are log-scale unless named ratio.
"""
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=None)
def signed_rank_null(n):
    """P(T+ = t), t = 0 .. n(n+1)/2, for n non-zero differences without ties."""
    c = np.zeros(n * (n + 1) // 2 + 1)
    c[0] = 1.0
    for r in range(1, n + 1):
        c[r:] = c[r:] + c[:-r].copy()
    return c / 2.0 ** n


@lru_cache(maxsize=None)
def rank_sum_null(n, m):
    """P(U = u), u = 0 .. n*m, U = #{(i, j): y_j > x_i}, |x| = n, |y| = m."""
    # f[a][b] over u, built by adding one observation at a time
    f = {(0, b): np.array([1.0]) for b in range(m + 1)}
    for a in range(1, n + 1):
        f[(a, 0)] = np.array([1.0])
        for b in range(1, m + 1):
            # the largest of the a + b values is an x (it adds 0 to U) or
            # a y (it exceeds all a x values: adds a)
            g = np.zeros(a * b + 1)
            g[:len(f[(a - 1, b)])] += f[(a - 1, b)]
            g[a:a + len(f[(a, b - 1)])] += f[(a, b - 1)]
            f[(a, b)] = g
    g = f[(n, m)]
    return g / g.sum()


def _ranks(v):
    """Ranks 1..n of v, ties given their mean rank."""
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    r[order] = np.arange(1, len(v) + 1)
    vs = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and vs[j + 1] == vs[i]:
            j += 1
        if j > i:
            r[order[i:j + 1]] = (i + j + 2) / 2.0
        i = j + 1
    return r


def signed_rank_stat(d):
    """(T+, n) for the non-zero differences of d."""
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    if len(d) == 0:
        return 0.0, 0
    r = _ranks(np.abs(d))
    return float(r[d > 0].sum()), len(d)


def _tail_p(pmf, t, alternative):
    """Exact p of statistic value t under pmf (indices are values)."""
    lo = float(pmf[:int(math.floor(t + 1e-9)) + 1].sum())   # P(S <= t)
    hi = float(pmf[int(math.ceil(t - 1e-9)):].sum())        # P(S >= t)
    if alternative == "less":
        return lo
    if alternative == "greater":
        return hi
    return min(1.0, 2.0 * min(lo, hi))


def signed_rank_p(d, alternative="two-sided"):
    t, n = signed_rank_stat(d)
    if n == 0:
        return 1.0
    return _tail_p(signed_rank_null(n), t, alternative)


def rank_sum_stat(x, y):
    """U = #{y_j > x_i} + 0.5 #{y_j == x_i}."""
    x = np.asarray(x, dtype=float)[:, None]
    y = np.asarray(y, dtype=float)[None, :]
    return float((y > x).sum() + 0.5 * (y == x).sum())


def rank_sum_p(x, y, alternative="two-sided"):
    """Exact Mann-Whitney p: is y shifted up (greater) against x?"""
    return _tail_p(rank_sum_null(len(x), len(y)), rank_sum_stat(x, y), alternative)


def _critical_count(pmf, tail):
    """Largest c with P(S <= c - 1) <= tail (0 when even S = 0 is likelier)."""
    cdf = np.cumsum(pmf)
    ok = np.nonzero(cdf <= tail + 1e-12)[0]
    return int(ok[-1]) + 1 if len(ok) else 0


def walsh_averages(d):
    d = np.asarray(d, dtype=float)
    i, j = np.triu_indices(len(d))
    return np.sort((d[i] + d[j]) / 2.0)


def min_p_paired(n):
    """The smallest two-sided p an exact signed-rank test can give at n."""
    return min(1.0, 2.0 / 2 ** n) if n else 1.0


def min_p_unpaired(n, m):
    return min(1.0, 2.0 / math.comb(n + m, n)) if n and m else 1.0


@dataclass
class Shift:
    """A comparison on the log scale: estimate, CI and p-values."""
    n: int
    m: int                  # baseline repeats (= n when paired)
    paired: bool
    estimate: float         # Hodges-Lehmann, log(candidate / baseline)
    ci: object              # (lo, hi) log, or None when n is too small
    p: float                # two-sided exact, H0: no shift
    p_same: float           # TOST: max of the two one-sided p at +-delta

    @property
    def ratio(self):
        return math.exp(self.estimate)

    @property
    def ratio_ci(self):
        return None if self.ci is None else (math.exp(self.ci[0]), math.exp(self.ci[1]))


def equivalence_bounds(min_effect):
    """The +-min_effect band on the log scale: ratio 1/(1+e) .. 1+e, symmetric
    in log, so A vs B and B vs A reach the same verdict."""
    b = math.log1p(min_effect)
    return -b, b


def paired_shift(base, cand, min_effect, conf=0.95):
    """Wilcoxon signed-rank comparison of paired runs (base_i, cand_i)."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    d = np.log(c) - np.log(b)
    n = len(d)
    w = walsh_averages(d)
    est = float(np.median(w))
    k = _critical_count(signed_rank_null(n), (1 - conf) / 2)
    ci = (float(w[k - 1]), float(w[len(w) - k])) if k >= 1 else None
    lo, hi = equivalence_bounds(min_effect)
    p_same = max(signed_rank_p(d - lo, "greater"), signed_rank_p(d - hi, "less"))
    return Shift(n=n, m=n, paired=True, estimate=est, ci=ci,
                 p=signed_rank_p(d), p_same=p_same)


def unpaired_shift(base, cand, min_effect, conf=0.95):
    """Mann-Whitney comparison of independent runs."""
    x = np.log(np.asarray(base, dtype=float))
    y = np.log(np.asarray(cand, dtype=float))
    n, m = len(x), len(y)
    diffs = np.sort((y[None, :] - x[:, None]).ravel())
    est = float(np.median(diffs))
    k = _critical_count(rank_sum_null(n, m), (1 - conf) / 2)
    ci = (float(diffs[k - 1]), float(diffs[len(diffs) - k])) if k >= 1 else None
    lo, hi = equivalence_bounds(min_effect)
    p_same = max(rank_sum_p(x + lo, y, "greater"), rank_sum_p(x + hi, y, "less"))
    return Shift(n=m, m=n, paired=False, estimate=est, ci=ci,
                 p=rank_sum_p(x, y), p_same=p_same)


def _binom_cdf(k, n, p):
    """P(X <= k), X ~ Binomial(n, p), 0 < p < 1; terms in log space, since
    comb(n, i) overflows a float from n of about 1,030 on."""
    lp, lq, ln = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    return sum(math.exp(ln - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq)
               for i in range(k + 1))


def _bisect(f, lo=0.0, hi=1.0):
    """The root of f, increasing on [lo, hi], to double precision."""
    for _ in range(100):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def binomial_ci(k, n, conf=0.95):
    """Clopper-Pearson (exact) CI for a rate of k events in n trials, e.g.
    guest boots that crashed: never narrower than the data allow."""
    if not 0 <= k <= n or n == 0:
        raise ValueError("binomial_ci: need 0 <= k <= n and n > 0, got k=%r n=%r" % (k, n))
    a = (1 - conf) / 2
    # lo: P(X >= k | lo) = a; hi: P(X <= k | hi) = a (both monotone in p)
    lo = 0.0 if k == 0 else _bisect(lambda p: (1 - _binom_cdf(k - 1, n, p)) - a)
    hi = 1.0 if k == n else _bisect(lambda p: a - _binom_cdf(k, n, p))
    return lo, hi
