"""Comparisons: ratio of medians with a bootstrap CI, Mann-Whitney U p-value
corrected over the cells, and a verdict that needs significance AND effect.

Verdicts (per cell and metric, "good" direction from stats.METRICS):
  better / worse  adjusted p < alpha, the ratio CI excludes 1 and the
                  median ratio is at least min_effect away from 1
  same            the ratio CI lies inside [1 - min_effect, 1 + min_effect]
  inconclusive    anything else: too few repeats, or too noisy to tell
"""
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

from .stats import METRICS, bootstrap_ratio_ci, quantile_ci, seed_for

ALPHA = 0.05
MIN_EFFECT = 0.05
MIN_REPEATS = 2          # below this no CI and no test at all


@dataclass
class Comparison:
    metric: str
    key: tuple               # what was compared (cell, or cell minus arm)
    base_label: str
    cand_label: str
    n_base: int
    n_cand: int
    base_median: float
    cand_median: float
    ratio: float             # median(cand) / median(base)
    ci: object               # (lo, hi) of the ratio, or None
    p: float                 # raw two-sided MWU p-value (nan if not tested)
    p_adj: float = math.nan  # after correction over the cells
    verdict: str = "inconclusive"
    why: str = ""

    @property
    def change(self):
        return self.ratio - 1.0


def mwu_p(a, b):
    """Two-sided Mann-Whitney U p-value (exact without ties, else normal)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if len(a) < 1 or len(b) < 1:
        return math.nan
    if np.all(a == a[0]) and np.all(b == b[0]) and a[0] == b[0]:
        return 1.0
    return float(mannwhitneyu(b, a, alternative="two-sided").pvalue)


def holm(ps):
    """Holm step-down adjusted p-values; nan entries stay nan."""
    ps = np.asarray(ps, dtype=float)
    out = np.full(len(ps), math.nan)
    idx = [i for i in range(len(ps)) if not math.isnan(ps[i])]
    m = len(idx)
    running = 0.0
    for rank, i in enumerate(sorted(idx, key=lambda i: ps[i])):
        running = max(running, min(1.0, (m - rank) * ps[i]))
        out[i] = running
    return out


def bh(ps):
    """Benjamini-Hochberg adjusted p-values (q-values); nan entries stay nan."""
    ps = np.asarray(ps, dtype=float)
    out = np.full(len(ps), math.nan)
    idx = sorted((i for i in range(len(ps)) if not math.isnan(ps[i])),
                 key=lambda i: ps[i])
    m = len(idx)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        i = idx[rank]
        running = min(running, ps[i] * m / (rank + 1))
        out[i] = running
    return out


CORRECTIONS = {"holm": holm, "bh": bh}


def decide(c, lower_is_better, alpha=ALPHA, min_effect=MIN_EFFECT):
    """Set c.verdict and c.why from c.ratio, c.ci and c.p_adj."""
    if c.n_base < MIN_REPEATS or c.n_cand < MIN_REPEATS or c.ci is None:
        c.verdict = "inconclusive"
        c.why = "too few repeats (n=%d vs %d)" % (c.n_base, c.n_cand)
        return c
    lo, hi = c.ci
    if lo >= 1 - min_effect and hi <= 1 + min_effect:
        c.verdict = "same"
        c.why = "CI within +-%g%%" % (100 * min_effect)
        return c
    significant = not math.isnan(c.p_adj) and c.p_adj < alpha
    excludes_one = lo > 1 or hi < 1
    large = abs(c.ratio - 1) >= min_effect
    if significant and excludes_one and large:
        up = c.ratio > 1
        c.verdict = "worse" if up == lower_is_better else "better"
        c.why = "p_adj=%.3g, |change| >= %g%%" % (c.p_adj, 100 * min_effect)
        return c
    c.verdict = "inconclusive"
    if not significant:
        c.why = "not significant (p_adj=%.3g)" % c.p_adj
        if min(c.n_base, c.n_cand) < 4:
            c.why += "; n<4 cannot reach p<0.05"
    elif not large:
        c.why = "change below %g%% but CI too wide" % (100 * min_effect)
    else:
        c.why = "CI includes no change"
    return c


def compare_samples(metric, key, base_label, cand_label, base, cand):
    base = np.asarray(base, dtype=float)
    cand = np.asarray(cand, dtype=float)
    mb = float(np.median(base)) if len(base) else math.nan
    mc = float(np.median(cand)) if len(cand) else math.nan
    ratio = mc / mb if mb else math.nan
    return Comparison(metric=metric, key=key, base_label=base_label,
                      cand_label=cand_label, n_base=len(base), n_cand=len(cand),
                      base_median=mb, cand_median=mc, ratio=ratio,
                      ci=bootstrap_ratio_ci(base, cand, seed_for(key, metric)),
                      p=mwu_p(base, cand) if len(base) and len(cand) else math.nan)


def compare_cells(b, c, metrics, key, base_label, cand_label):
    """Comparisons of two CellStats on `metrics`, reusing their bootstrap
    medians (drawn independently) and one vectorised U test."""
    out = []
    ps = [math.nan] * len(metrics)
    if b.n and c.n:
        A = np.array([b.values[m] for m in metrics])
        B = np.array([c.values[m] for m in metrics])
        same = np.all(A == A[:, :1], axis=1) & np.all(B == B[:, :1], axis=1) & (A[:, 0] == B[:, 0])
        with np.errstate(all="ignore"):
            p = mannwhitneyu(B, A, alternative="two-sided", axis=1).pvalue
        ps = [1.0 if s else float(x) for s, x in zip(same, np.atleast_1d(p))]
    for m, p in zip(metrics, ps):
        mb, mc = b.median[m], c.median[m]
        ci = None
        if m in b.boot and m in c.boot:
            with np.errstate(divide="ignore", invalid="ignore"):
                r = c.boot[m] / b.boot[m]
            r = r[np.isfinite(r)]
            if len(r):
                ci = quantile_ci(r)
        out.append(Comparison(metric=m, key=key, base_label=base_label,
                              cand_label=cand_label, n_base=b.n, n_cand=c.n,
                              base_median=mb, cand_median=mc,
                              ratio=mc / mb if mb else math.nan, ci=ci, p=p))
    return out


def finish(comps, alpha=ALPHA, min_effect=MIN_EFFECT, correction="bh",
           min_effects=None):
    """Correct p-values per metric over the cells, then decide each."""
    by_metric = {}
    for c in comps:
        by_metric.setdefault(c.metric, []).append(c)
    for metric, cs in by_metric.items():
        adj = CORRECTIONS[correction]([c.p for c in cs])
        eff = (min_effects or {}).get(metric, min_effect)
        for c, p in zip(cs, adj):
            c.p_adj = float(p)
            decide(c, METRICS[metric][2], alpha, eff)
    return comps


def arm_comparisons(stats, baselines, metrics, **kw):
    """Each non-baseline arm against each baseline arm, cell by cell.

    A candidate cell (arm, source, pattern, bs, iodepth, numjobs) is matched
    to the baseline cell with the same source if there is one, else to the
    only baseline cell with the same pattern/bs/iodepth/numjobs.
    Returns (comparisons, unmatched candidate cells).
    """
    comps = []
    unmatched = []
    for base_arm in baselines:
        bcells = {}
        for s in stats:
            if s.cell[0] == base_arm:
                bcells.setdefault(s.cell[2:], []).append(s)
        for s in stats:
            if s.cell[0] in baselines:
                continue
            cands = bcells.get(s.cell[2:], [])
            same_src = [b for b in cands if b.cell[1] == s.cell[1]]
            b = same_src[0] if same_src else cands[0] if len(cands) == 1 else None
            if b is None or s.n == 0 or b.n == 0:
                unmatched.append((s.cell, base_arm))
                continue
            comps += compare_cells(b, s, metrics, (base_arm,) + s.cell, b.cell[0], s.cell[0])
    return finish(comps, **kw), unmatched


def set_comparisons(base_stats, cand_stats, metrics, **kw):
    """The same cell in two result sets (the regression gate).

    Returns (comparisons, cells only in base, cells only in candidate,
    cells present in both but without an ok run on one side)."""
    b = {s.cell: s for s in base_stats}
    c = {s.cell: s for s in cand_stats}
    comps = []
    empty = []
    for cell in [k for k in b if k in c]:
        if b[cell].n == 0 or c[cell].n == 0:
            empty.append(cell)
            continue
        comps += compare_cells(b[cell], c[cell], metrics, cell, "base", "candidate")
    only_b = [k for k in b if k not in c and b[k].n > 0]
    only_c = [k for k in c if k not in b]
    return finish(comps, **kw), only_b, only_c, empty


def gate_status(c, lower_is_better, min_effect):
    """Regression gate per comparison: regression / ok / inconclusive.

    ok needs the CI to rule out a harmful change of min_effect or more
    (improvements pass); regression is a 'worse' verdict."""
    if c.verdict == "worse":
        return "regression"
    if c.ci is None:
        return "inconclusive"
    lo, hi = c.ci
    if lower_is_better:
        return "ok" if hi < 1 + min_effect else "inconclusive"
    return "ok" if lo > 1 - min_effect else "inconclusive"
