"""Comparisons and verdicts: exact rank tests per metric, a correction over
one family per metric, and an equivalence test that can say "same".

What is compared, and how:
  declared comparisons (matrix `compare = CAND:BASE ...`, run in pairs back
    to back): paired, exact Wilcoxon signed-rank on the per-pair log ratios,
    Hodges-Lehmann estimate and the CI from inverting the test;
  everything else (arms against a baseline arm without pairs, and the same
    cell in two result sets: the regression gate): unpaired, exact
    Mann-Whitney on log values, Hodges-Lehmann shift and its inverted CI.
Each metric is tested on its own. The correction (Benjamini-Hochberg by
default, or Holm) runs per metric over the family: the declared comparisons
x cells when the result set declares any (the other cells are then
descriptive and get no verdict), else all compared cells.

Verdicts (per comparison and metric, "good" direction from stats.METRICS):
  same          equivalence: both one-sided tests at +-min_effect (on the log
                scale, ratio 1/(1+e) .. 1+e) have adjusted p < alpha
  better/worse  not same, and the two-sided test has adjusted p < alpha
  inconclusive  neither
  descriptive   outside the declared family, or a metric that means nothing
                in this measurement mode (IOPS and latency under icount)
"""
import math
from dataclasses import dataclass

import numpy as np

from . import ranktests as rt
from .stats import METRICS

ALPHA = 0.05
# The smallest change that matters, by what the CPU metric counts:
# instruction counts vary by 0.1-0.4% within a boot and ~1% between boots;
# plain CPU time in a shared VM by 15% and more.
MIN_EFFECTS = {"instructions": 0.02, "time": 0.05}
MIN_EFFECT = MIN_EFFECTS["time"]
MIN_REPEATS = 2          # below this no test at all
# Metrics in virtual time under instruction counting: shown, never judged.
VIRTUAL_TIME_METRICS = ("iops", "bw_bytes", "lat_mean_ns", "lat_p50_ns", "lat_p99_ns",
                        "lat_p99.9_ns", "read_lat_p99_ns", "write_lat_p99_ns",
                        "read_lat_mean_ns", "write_lat_mean_ns")


def min_effect_for(measure):
    return MIN_EFFECTS.get(measure or "time", MIN_EFFECT)


@dataclass
class Comparison:
    metric: str
    key: tuple               # (baseline arm,) + candidate cell, or the cell (gate)
    base_label: str
    cand_label: str
    n_base: int
    n_cand: int
    base_median: float
    cand_median: float
    ratio: float             # Hodges-Lehmann estimate of candidate / baseline
    ci: object               # 95% CI of the ratio (inverted test), or None
    p: float                 # raw two-sided exact p (nan if not tested)
    p_same: float = math.nan  # raw TOST p at +-min_effect
    paired: bool = False
    family: bool = True      # part of the corrected family (else descriptive)
    p_adj: float = math.nan
    p_same_adj: float = math.nan
    min_effect: float = MIN_EFFECT
    verdict: str = "inconclusive"
    why: str = ""

    @property
    def change(self):
        return self.ratio - 1.0


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


def compare_values(metric, key, base_label, cand_label, base, cand, paired, min_effect):
    """One comparison of per-run values (paired: base[i] and cand[i] ran
    back to back). Values that are not positive and finite are dropped
    (with their partner when paired)."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    if paired:
        ok = np.isfinite(b) & np.isfinite(c) & (b > 0) & (c > 0)
        b, c = b[ok], c[ok]
    else:
        b = b[np.isfinite(b) & (b > 0)]
        c = c[np.isfinite(c) & (c > 0)]
    cmp_ = Comparison(metric=metric, key=key, base_label=base_label, cand_label=cand_label,
                      n_base=len(b), n_cand=len(c),
                      base_median=float(np.median(b)) if len(b) else math.nan,
                      cand_median=float(np.median(c)) if len(c) else math.nan,
                      ratio=math.nan, ci=None, p=math.nan, paired=paired,
                      min_effect=min_effect)
    if len(b) < MIN_REPEATS or len(c) < MIN_REPEATS:
        return cmp_
    s = (rt.paired_shift if paired else rt.unpaired_shift)(b, c, min_effect)
    cmp_.ratio, cmp_.ci, cmp_.p, cmp_.p_same = s.ratio, s.ratio_ci, s.p, s.p_same
    return cmp_


def decide(c, lower_is_better, alpha=ALPHA):
    """Set c.verdict and c.why from the adjusted p-values."""
    if not c.family:
        c.verdict = "descriptive"
        c.why = c.why or "outside the declared comparisons"
        return c
    if c.n_base < MIN_REPEATS or c.n_cand < MIN_REPEATS or math.isnan(c.p):
        c.verdict = "inconclusive"
        c.why = "too few repeats (n=%d vs %d)" % (c.n_base, c.n_cand)
        return c
    if c.p_same_adj < alpha:
        c.verdict = "same"
        c.why = "equivalent within +-%g%% (TOST p_adj=%.2g)" % (100 * c.min_effect,
                                                               c.p_same_adj)
        return c
    if c.p_adj < alpha:
        up = c.ratio > 1
        c.verdict = "worse" if up == lower_is_better else "better"
        c.why = "p_adj=%.2g" % c.p_adj
        return c
    c.verdict = "inconclusive"
    floor = rt.min_p_paired(c.n_cand) if c.paired else rt.min_p_unpaired(c.n_base, c.n_cand)
    c.why = "neither different (p_adj=%.2g) nor within +-%g%% (TOST p_adj=%.2g)" % (
        c.p_adj, 100 * c.min_effect, c.p_same_adj)
    if floor >= alpha:
        c.why += "; n=%d cannot reach p<%g" % (min(c.n_base, c.n_cand), alpha)
    return c


def finish(comps, alpha=ALPHA, correction="bh", measure="time"):
    """Correct p-values per metric over the family, then decide each."""
    by_metric = {}
    for c in comps:
        if measure == "instructions" and c.metric in VIRTUAL_TIME_METRICS:
            c.family = False
            c.why = "virtual time under QEMU icount: not a device's"
        if c.family:
            by_metric.setdefault(c.metric, []).append(c)
    for cs in by_metric.values():
        for attr, p_attr in (("p_adj", "p"), ("p_same_adj", "p_same")):
            adj = CORRECTIONS[correction]([getattr(c, p_attr) for c in cs])
            for c, p in zip(cs, adj):
                setattr(c, attr, float(p))
    for c in comps:
        decide(c, METRICS[c.metric][2], alpha)
    return comps


def compare_cells(b, c, metrics, key, base_label, cand_label, min_effect):
    """Unpaired comparisons of two CellStats on `metrics`, one test each."""
    return [compare_values(m, key, base_label, cand_label, b.values[m], c.values[m],
                           False, min_effect) for m in metrics]


def arm_comparisons(stats, baselines, metrics, min_effect=MIN_EFFECT, **kw):
    """Each non-baseline arm against each baseline arm, cell by cell,
    unpaired.

    A candidate cell (arm, source, pattern, bs, iodepth, numjobs) is matched
    to the baseline cell with the same source if there is one, else to the
    only baseline cell with the same pattern/bs/iodepth/numjobs.
    Returns (comparisons, unmatched candidate cells); not finished.
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
            comps += compare_cells(b, s, metrics, (base_arm,) + s.cell, b.cell[0],
                                   s.cell[0], min_effect)
    return comps, unmatched


def paired_comparisons(rs, declared, metrics, min_effect=MIN_EFFECT, value_of=None):
    """Declared comparisons (cand, base) from the pairs the runner ran back to
    back: one paired comparison per candidate cell and metric.

    Returns (comparisons, [(candidate cell, baseline arm)] for declared cells
    with no pair of ok runs); not finished."""
    from .stats import run_values
    value_of = value_of or run_values
    units = list(pair_units(rs))
    comps, missing = [], []
    for cand, base in declared:
        label = "%s:%s" % (cand, base)
        per_cell = {}
        for lab, _rnd, ce, be in units:
            if lab != label:
                continue
            per_cell.setdefault(ce.cell, [])
            if ce.run is not None and be.run is not None:
                per_cell[ce.cell].append((be.run, ce.run))
        for cell in sorted(per_cell, key=_sort_key):
            pairs = per_cell[cell]
            if not pairs:
                missing.append((cell, base))
                continue
            vb = [value_of(b) for b, _ in pairs]
            vc = [value_of(c) for _, c in pairs]
            for m in metrics:
                comps.append(compare_values(m, (base,) + cell, base, cand,
                                            [v[m] for v in vb], [v[m] for v in vc],
                                            True, min_effect))
    return comps, missing


def pair_units(rs):
    """Every pair the runner ran, by round: (comparison label, round,
    candidate entry, baseline entry)."""
    groups = {}
    for e in rs.entries:
        if e.pair:
            groups.setdefault((e.pair["compare"], e.pair["round"], e.cell[2:]), []).append(e)
    for (label, rnd, _cond), es in sorted(groups.items(), key=lambda kv: kv[0][1]):
        cand, base = label.split(":", 1)
        for ce, be in _units(es, cand, base):
            yield label, rnd, ce, be


def _units(es, cand, base):
    """(candidate, baseline) entries of one comparison, round and condition:
    the runner ran each unit as two consecutive runs, positions 0 and 1."""
    es = sorted(es, key=lambda e: e.order)
    out = []
    for a, b in zip(es, es[1:]):
        if a.pair["position"] == 0 and b.pair["position"] == 1 and b.order == a.order + 1:
            byarm = {a.cell[0]: a, b.cell[0]: b}
            if cand in byarm and base in byarm:
                out.append((byarm[cand], byarm[base]))
    return out


def _sort_key(cell):
    return tuple((0, v) if isinstance(v, int) else (1, v or "") for v in cell)


def set_comparisons(base_stats, cand_stats, metrics, min_effect=MIN_EFFECT, **kw):
    """The same cell in two result sets (the regression gate), unpaired.

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
        comps += compare_cells(b[cell], c[cell], metrics, cell, "base", "candidate",
                               min_effect)
    only_b = [k for k in b if k not in c and b[k].n > 0]
    only_c = [k for k in c if k not in b]
    return finish(comps, **kw), only_b, only_c, empty


def gate_status(c, lower_is_better, threshold):
    """Regression gate per comparison: regression / ok / inconclusive.

    regression: significantly worse (adjusted p < alpha) with an estimated
    change of at least the threshold; ok: the CI rules out a harmful change
    of the threshold (non-inferiority; improvements pass). All cells must be
    ok for the gate to pass, an intersection-union rule that needs no
    multiplicity correction."""
    if c.ci is None:
        return "inconclusive"
    harmful = (c.ratio - 1) if lower_is_better else (1 - c.ratio)
    if c.verdict == "worse" and harmful >= threshold:
        return "regression"
    lo, hi = c.ci
    if lower_is_better:
        return "ok" if hi < 1 + threshold else "inconclusive"
    return "ok" if lo > 1 / (1 + threshold) else "inconclusive"
