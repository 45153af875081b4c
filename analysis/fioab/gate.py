"""Regression gate: the same cells in a baseline and a candidate result set.

What is compared: per cell (arm, source, pattern, bs, iodepth, numjobs) and
metric (CPU time per I/O of fio's threads and system-wide, IOPS, per-run p99
latency; only the two CPU metrics when either side counted instructions),
the candidate's runs (one session: one boot of the machine) against the
baseline's runs, which come from k sessions (k boots of the same machine
type, same machine key: fioab.machine).

How, per cell and metric, on log values:
  shift h      Hodges-Lehmann shift of the candidate against all baseline
               runs pooled, its 95% CI [h_lo, h_hi] from inverting the exact
               Mann-Whitney test, and that test's p, Benjamini-Hochberg
               corrected over the metric's cells (fioab.verdict, unpaired:
               the two sets are independent runs). Read in the harmful
               direction (up for CPU and latency, down for IOPS).
  band b       how far another boot of the baseline's machine can move the
               cell: from the k sessions' medians m_1..m_k,
                 b = t(1 - alpha/m; df) * s * sqrt(1 + 1/k)
               a one-sided prediction bound (normal model of the boot
               effect) for where the median of one more session lands
               relative to the mean of k, Bonferroni over the m cells of the
               metric that have one; s = max(the cell's own standard
               deviation of the log session medians, the one pooled over the
               metric's cells), df = the pooled degrees of freedom, the sum
               of (k_c - 1) over those cells. Pooling is what lets two
               sessions give a usable band (22 cells x 1 = 22 df: t = 3.2,
               where one cell's 1 df would need t = 6.3 at 95% alone); the
               max keeps a cell that moves more between boots than the
               others from being judged by their spread.
  threshold T  the metric's smallest change that matters (--threshold,
               default by measurement mode: 2% for instruction counts, 5%
               for time, 10% for system-wide CPU).

Status per cell and metric (verdict.gate_status first, then the band):
  regression    significant after the correction, h >= T, and h_lo > b:
                the CI lies beyond what a reboot moves the cell
  ok            h_hi < max(T, b): no harmful change of the threshold or of
                the between-session band (a cell whose boots move it by b
                cannot show a smaller change from one candidate boot; the
                summary shows b per cell)
  inconclusive  neither: more repeats or sessions needed, or the cell is
                missing
With one baseline session there is no band (b = 0): the rule is the
threshold alone, on within-session noise, and the summary says so.

Why a verdict is reachable with the repeats used (ci.ini: 7 runs per cell
and session, 22 gated cells): the candidate's 7 runs against 2 sessions' 14
reach an exact two-sided p of 2/C(21, 7) = 1.7e-5, below the 0.05/22 a lone
regression must beat after BH over 22 cells (one session, 7 vs 7: 5.8e-4,
still below); the band exists from 2 sessions on and, pooled over the 22
cells, has 22 degrees of freedom. What the repeats cannot buy is a band
narrower than the boots' own spread: that takes more sessions (k enters as
sqrt(1 + 1/k) and through the degrees of freedom).
Exit: 0 no regression, 1 regression, 2 inconclusive. The gate passes only
when every cell is ok (intersection-union: no correction for that).
"""
import math
import os
import tempfile

import numpy as np
from scipy import stats as sps

from . import gnuplot, junit, tables
from .jsondoc import LoadError
from .load import ResultSet, cell_label
from .machine import machine_key
from .report import measure_of
from .stats import BOOT_RESAMPLES, CPU_METRICS, METRICS, cell_stats, metric_name, run_values
from .verdict import ALPHA, gate_status, min_effect_for, set_comparisons

GATE_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "iops", "lat_p99_ns")
# System-wide CPU comes from /proc/stat in 10 ms units: it is gated at 10%,
# enough for work that moves to io-wq or SQPOLL (+27-40% system-wide,
# measured), not for small drifts. --threshold overrides.
DEFAULT_THRESHOLDS = {"sys_cpu_ns_per_io": 0.10}
EXIT = {"ok": 0, "regression": 1, "inconclusive": 2}
META_KEYS = (("cpu", "model"), ("cpu", "count"), ("kernel", "release"),
             ("emulated",), ("iommu",), ("fio_version",), ("engine_version",),
             ("measure", "cpu"), ("measure", "guest_cpus"))
BAND_ALPHA = ALPHA


def gate_metrics(base_meta, cand_meta, metrics=GATE_METRICS):
    """The metrics the gate may judge: only the CPU metrics when either side
    counted instructions (IOPS and latency there are in virtual time)."""
    if "instructions" in (measure_of(base_meta), measure_of(cand_meta)):
        return tuple(m for m in metrics if m in CPU_METRICS)
    return tuple(metrics)


def _get(meta, path):
    v = meta
    for k in path:
        v = v.get(k) if isinstance(v, dict) else None
    return v


def meta_differences(base, cand):
    out = []
    for path in META_KEYS:
        a, b = _get(base, path), _get(cand, path)
        if a != b:
            out.append("%s: %r vs %r" % (".".join(path), a, b))
    return out


def resolution_limited(stats, thresholds, min_effect):
    """(cell, metric) that cannot be gated at their threshold: system-wide CPU
    where /proc/stat's two 10 ms units at the window's edges are more than
    half the threshold of the busy time measured (mostly idle, short runs).
    Listed in the summary, not gated."""
    out = set()
    th = thresholds.get("sys_cpu_ns_per_io", min_effect)
    for st in stats:
        res = [r.sys_cpu_res_s / r.sys_cpu_s for r in st.runs
               if r.sys_cpu_s == r.sys_cpu_s and r.sys_cpu_s > 0]
        if res and sorted(res)[len(res) // 2] > th / 2:
            out.add((st.cell, "sys_cpu_ns_per_io"))
    return out


def pool_sessions(sessions, path=None):
    """One ResultSet holding the runs of all sessions (meta: the first's)."""
    return ResultSet(path=path or sessions[0].path, meta=sessions[0].meta,
                     entries=[e for s in sessions for e in s.entries],
                     warnings=[w for s in sessions for w in s.warnings])


def session_medians(sessions, metric):
    """{cell: [median of each session that has ok runs with a usable value]}."""
    out = {}
    for s in sessions:
        vals = {}
        for e in s.entries:
            if e.run is not None:
                v = run_values(e.run)[metric]
                if math.isfinite(v) and v > 0:
                    vals.setdefault(e.cell, []).append(v)
        for cell, v in vals.items():
            out.setdefault(cell, []).append(float(np.median(v)))
    return out


def between_session_bands(medians, alpha=BAND_ALPHA):
    """{cell: band} on the log scale (module docstring: the prediction bound
    for one more session's median), for the cells with at least two session
    medians; {} when there are none. Pure: medians is {cell: [values > 0]}."""
    logs = {c: np.log(np.asarray(m, dtype=float)) for c, m in medians.items() if len(m) >= 2}
    if not logs:
        return {}
    df = sum(len(v) - 1 for v in logs.values())
    pooled_var = sum(float(np.sum((v - v.mean()) ** 2)) for v in logs.values()) / df
    q = float(sps.t.ppf(1 - alpha / len(logs), df))
    out = {}
    for c, v in logs.items():
        s = math.sqrt(max(float(np.var(v, ddof=1)), pooled_var))
        out[c] = q * s * math.sqrt(1 + 1 / len(v))
    return out


def harm_bounds(c, lower_is_better):
    """(h_lo, h_hi): the comparison's 95% CI as a log shift in the harmful
    direction."""
    lo, hi = math.log(c.ci[0]), math.log(c.ci[1])
    return (lo, hi) if lower_is_better else (-hi, -lo)


def banded_status(c, lower_is_better, threshold, band):
    """(status, note): verdict.gate_status at the threshold, then the
    between-session band (log scale; None: no band, the status stands).
    A regression whose CI does not lie beyond the band is not one; a cell
    whose CI lies below the band is ok (module docstring)."""
    st = gate_status(c, lower_is_better, threshold)
    if band is None or c.ci is None:
        return st, ""
    h_lo, h_hi = harm_bounds(c, lower_is_better)
    if st == "regression" and h_lo <= band:
        if h_hi < band:
            return "ok", "within the between-session band"
        return "inconclusive", "CI reaches into the between-session band"
    if st == "inconclusive" and h_hi < band:
        return "ok", "within the between-session band"
    return st, ""


def run_gate(base, cand_rs, min_effect=None, thresholds=None,
             alpha=ALPHA, correction="bh", metrics=GATE_METRICS,
             resamples=BOOT_RESAMPLES):
    """base: the baseline's sessions, a list of ResultSets (or one ResultSet:
    one session). min_effect (the threshold of every metric without its own)
    defaults to the one for the measurement mode (2% for instruction
    counts)."""
    sessions = list(base) if isinstance(base, (list, tuple)) else [base]
    if not sessions:
        raise ValueError("run_gate: no baseline sessions")
    base_rs = pool_sessions(sessions, os.path.dirname(sessions[0].path)
                            if len(sessions) > 1 else sessions[0].path)
    thresholds = dict(DEFAULT_THRESHOLDS, **(thresholds or {}))
    measure = "instructions" if "instructions" in (
        measure_of(base_rs.meta), measure_of(cand_rs.meta)) else "time"
    if min_effect is None:
        min_effect = min_effect_for(measure)
    metrics = gate_metrics(base_rs.meta, cand_rs.meta, metrics)
    bs = cell_stats(base_rs, resamples, salt="base")
    cs = cell_stats(cand_rs, resamples, salt="candidate")
    comps, only_b, only_c, empty = set_comparisons(
        bs, cs, metrics, alpha=alpha, min_effect=min_effect,
        correction=correction, measure=measure)
    # a metric neither side carries (system CPU in older sets) is not gated
    comps = [c for c in comps if c.n_base or c.n_cand]
    coarse = resolution_limited(bs + cs, thresholds, min_effect)
    comps = [c for c in comps if (c.key, c.metric) not in coarse]
    gated = {c.key for c in comps}
    bands = {}
    for m in metrics:
        med = {cell: v for cell, v in session_medians(sessions, m).items()
               if cell in gated and (cell, m) not in coarse}
        for cell, b in between_session_bands(med, BAND_ALPHA).items():
            bands[(cell, m)] = b
    rows = []
    for c in comps:
        eff = thresholds.get(c.metric, min_effect)
        st, note = banded_status(c, METRICS[c.metric][2], eff, bands.get((c.key, c.metric)))
        c.band = bands.get((c.key, c.metric))
        c.gate_note = note
        rows.append((c, st))
    statuses = [s for _, s in rows]
    n_base = {st.cell: st.n for st in bs}
    n_cand = {st.cell: st.n for st in cs}
    # A cell neither machine could run (e.g. direct on a kernel without the
    # series) is skipped alike on both sides: reported, not gated.
    skipped = [k for k in empty if n_base.get(k, 0) == 0 and n_cand.get(k, 0) == 0]
    missing = [(k, "no ok run in the candidate") for k in only_b] + \
              [(k, "no ok run on one side") for k in empty if k not in skipped]
    if "regression" in statuses:
        result = "regression"
    elif "inconclusive" in statuses or missing or not rows:
        result = "inconclusive"
    else:
        result = "ok"
    keys = {}
    for name, rs in [(s.path, s) for s in sessions] + [("candidate", cand_rs)]:
        try:
            keys[name] = machine_key(rs.meta, os.path.join(rs.path, "meta.json"))
        except LoadError as e:
            keys[name] = "(no key: %s)" % e.problem
    return {"result": result, "exit": EXIT[result], "rows": rows, "missing": missing,
            "skipped": skipped, "coarse": sorted(coarse),
            "new": only_c, "meta_diff": meta_differences(base_rs.meta, cand_rs.meta),
            "min_effect": min_effect, "thresholds": thresholds, "alpha": alpha,
            "correction": correction, "metrics": metrics, "measure": measure,
            "sessions": sessions, "band_alpha": BAND_ALPHA, "keys": keys,
            "base": base_rs, "cand": cand_rs}


def _ascii_chart(g, metric, tmpdir):
    """Change (%) per cell with its CI, as a gnuplot dumb plot."""
    rows = [(c, s) for c, s in g["rows"] if c.metric == metric and c.ci]
    if not rows:
        return None
    eff = 100 * g["thresholds"].get(metric, g["min_effect"])
    pts = [(i + 1, 100 * (c.ratio - 1), 100 * (c.ci[0] - 1), 100 * (c.ci[1] - 1))
           for i, (c, _) in enumerate(rows)]
    base = os.path.join(tmpdir, "gate_" + metric.replace(".", "_"))
    lo = min(min(p[2] for p in pts), -eff) * 1.15
    hi = max(max(p[3] for p in pts), eff) * 1.15
    gp = gnuplot.write_series_plot(
        base, "%s, candidate vs base" % METRICS[metric][0], "cell #",
        "% change, 95% CI", [("median ratio - 1", pts)],
        xtics=[(p[0], p[0]) for p in pts], hlines=(-eff, 0, eff),
        yrange=("%g" % lo, "%g" % hi), cols=80, rows=22, key=False)
    with open(gp) as f:
        text = f.read()
    # points with error bars, not lines joining unrelated cells
    with open(gp, "w") as f:
        f.write(text.replace("with yerrorlines", "with yerrorbars")
                .replace('set xlabel "cell #"', 'set xlabel "cell #"\nset xrange [0:%d]'
                         % (len(pts) + 1)))
    return gnuplot.render(gp, "dumb")


def summary_markdown(g, ascii_plots=True):
    head = {"ok": "no regression", "regression": "REGRESSION",
            "inconclusive": "INCONCLUSIVE (more repeats needed)"}[g["result"]]
    b, c = g["base"], g["cand"]
    L = ["## fio-dmabuf performance gate: %s (exit %d)" % (head, g["exit"]), "",
         "Base `%s` (%s), candidate `%s` (%s)." % (
             b.path, b.meta.get("name"), c.path, c.meta.get("name"))]
    if b.meta.get("emulated") or c.meta.get("emulated"):
        L.append("**EMULATED hardware**: changes are of the software path on an "
                 "emulated device.")
    for d in g["meta_diff"]:
        L.append("- warning: machines differ, %s" % d)
    th = ", ".join("%s %g%%" % (metric_name(m, g["measure"]),
                                100 * g["thresholds"].get(m, g["min_effect"]))
                   for m in g["metrics"])
    if g["measure"] == "instructions":
        L.append("Measurement: **instruction counts** (QEMU icount): only the CPU metrics "
                 "are gated; IOPS and latency are in virtual time.")
    L += ["", "Rule: per cell and metric, the candidate's runs against all baseline runs: "
          "Hodges-Lehmann shift, its 95%% CI (inverted exact Mann-Whitney, unpaired) and "
          "the test's p after %s correction over the cells of each metric (alpha %g). "
          "A regression is significant, at least the threshold (%s) and, with two or "
          "more baseline sessions, its CI lies beyond the cell's between-session band "
          "(how far another boot of the baseline machine moves the cell: a one-sided "
          "prediction bound from the spread of the sessions' medians, t(1 - %g/m) "
          "with the pooled degrees of freedom, Bonferroni over the m cells). `ok` needs "
          "the CI to rule out a harmful change of the threshold or of the band, "
          "whichever is larger; the gate passes only when every cell is `ok` (an "
          "intersection-union rule: no correction needed for that); otherwise the "
          "cell is inconclusive." % (g["correction"].upper() if g["correction"] == "bh"
                                     else "Holm", g["alpha"], th, g["band_alpha"]), ""]
    k = len(g["sessions"])
    if k >= 2:
        L.append("Baseline: %d sessions (%s): the between-session band comes from "
                 "them." % (k, ", ".join("`%s` %s" % (os.path.basename(s.path.rstrip("/")),
                                                       s.meta.get("engine_version"))
                                         for s in g["sessions"])))
    else:
        L.append("Baseline: **one session**: how much a cell moves between boots is "
                 "unknown, so the gate judges on the threshold and within-session noise "
                 "alone; another boot of the same code can then look like a change. Add "
                 "a session on another boot (`scripts/ci-perf --update-baseline`).")
    bk = {v for n, v in g["keys"].items() if n != "candidate"}
    if g["keys"].get("candidate") not in bk:
        L.append("- warning: machine keys differ: baseline %s, candidate %s" % (
            ", ".join("`%s`" % x for x in sorted(bk)), "`%s`" % g["keys"].get("candidate")))
    L.append("")
    cells = []
    for cmp_, st in g["rows"]:
        if cmp_.key not in cells:
            cells.append(cmp_.key)
    by = {(cmp_.key, cmp_.metric): (cmp_, st) for cmp_, st in g["rows"]}
    header = ["#", "cell", "n base/cand"]
    for m in g["metrics"]:
        header += ["%s change [95%% CI]" % metric_name(m, g["measure"]).split(" (")[0],
                   "band", "p_adj", "gate"]
    rows = []
    for i, k in enumerate(cells):
        first = by[(k, g["metrics"][0])][0] if (k, g["metrics"][0]) in by else None
        row = [i + 1, cell_label(k, short=True),
               "%d/%d" % (first.n_base, first.n_cand) if first else "-"]
        for m in g["metrics"]:
            if (k, m) not in by:
                row += ["-", "-", "-", "-"]
                continue
            cmp_, st = by[(k, m)]
            note = cmp_.gate_note or (cmp_.why if st == "inconclusive" and
                                      not cmp_.why.startswith("not significant") else "")
            row += [tables.change_text(cmp_), band_text(cmp_.band), tables.num(cmp_.p_adj, 2),
                    {"regression": "**REGRESSION**", "ok": "ok",
                     "inconclusive": "inconclusive"}[st] + (" (%s)" % note if note else "")]
        rows.append(row)
    if rows:
        L.append(tables.md_table(header, rows))
    for k, why in g["missing"]:
        L.append("- %s: %s (inconclusive)" % (cell_label(k, short=True), why))
    for k in g["new"]:
        L.append("- %s: only in the candidate (not gated)" % cell_label(k, short=True))
    for k in g["skipped"]:
        L.append("- %s: skipped on both sides (not gated)" % cell_label(k, short=True))
    for k, m in g.get("coarse", []):
        L.append("- %s: %s not gated: /proc/stat's 10 ms units are more than half the "
                 "threshold of the busy time in its window" % (cell_label(k, short=True),
                                                             metric_name(m, g["measure"])))
    n = {s: sum(st == s for _, st in g["rows"]) for s in EXIT}
    L += ["", "%d comparisons: %d ok, %d regression, %d inconclusive." % (
        len(g["rows"]), n["ok"], n["regression"], n["inconclusive"])]
    small = [cmp_ for cmp_, _ in g["rows"] if min(cmp_.n_base, cmp_.n_cand) < 5]
    if small:
        L.append("Some cells have fewer than 5 repeats per side: an exact Mann-Whitney "
                 "test cannot go below p = 2/C(n+m, n) (0.0079 at 5 vs 5), so after the "
                 "correction over the cells a regression can rarely be shown.")
    if ascii_plots:
        L += ["", "ASCII plots: change per cell (numbered as in the table) with its "
              "95% CI; dashed lines at 0 and +-threshold."]
        with tempfile.TemporaryDirectory(prefix="fioab-gate.") as tmp:
            for m in g["metrics"]:
                txt = _ascii_chart(g, m, tmp)
                if txt:
                    L += ["", "```", txt.rstrip("\n"), "```"]
                elif txt is None and gnuplot.GNUPLOT is None:
                    L += ["", "(gnuplot not installed: no ASCII plots)"]
                    break
    L.append("")
    return "\n".join(L)


def gate_json(g):
    def f(x):
        return None if isinstance(x, float) and math.isnan(x) else x
    return {"result": g["result"], "exit": g["exit"],
            "base": g["base"].path, "candidate": g["cand"].path,
            "min_effect": g["min_effect"], "thresholds": g["thresholds"],
            "alpha": g["alpha"], "correction": g["correction"],
            "meta_differences": g["meta_diff"],
            "machine_keys": g["keys"],
            "sessions": [s.path for s in g["sessions"]], "band_alpha": g["band_alpha"],
            "missing": [{"cell": cell_label(k), "why": w} for k, w in g["missing"]],
            "comparisons": [{"cell": cell_label(c.key), "metric": c.metric,
                             "n_base": c.n_base, "n_cand": c.n_cand,
                             "base_median": f(c.base_median), "cand_median": f(c.cand_median),
                             "ratio": f(c.ratio), "ci": list(c.ci) if c.ci else None,
                             "p": f(c.p), "p_adj": f(c.p_adj), "verdict": c.verdict,
                             "band": None if c.band is None else math.expm1(c.band),
                             "gate": st, "note": c.gate_note} for c, st in g["rows"]]}


def band_text(band):
    """The between-session band (a shift in the harmful direction) as a
    percentage, "-" when there is none."""
    return "-" if band is None else "%.1f%%" % (100 * math.expm1(band))


def gate_junit(g):
    """JUnit XML (fioab.junit): one test case per cell, failed when a metric
    regressed, an error when one is inconclusive or the cell is missing,
    skipped when it is not gated; each metric's line in the case's text."""
    by = {}
    for c, st in g["rows"]:
        by.setdefault(c.key, []).append((c, st))
    cases = []
    rank = {"ok": 0, "inconclusive": 1, "regression": 2}
    for key, items in by.items():
        worst = max((st for _, st in items), key=rank.get)
        lines = ["%s: %s, band %s, p_adj %s: %s%s" % (
            metric_name(c.metric, g["measure"]), tables.change_text(c), band_text(c.band),
            tables.num(c.p_adj, 2), st, " (%s)" % c.gate_note if c.gate_note else "")
            for c, st in items]
        bad = [ln for ln, (_, st) in zip(lines, items) if st == worst and st != "ok"]
        cases.append(junit.Case(
            name=cell_label(key, short=True), classname="perf-gate",
            status={"ok": "pass", "regression": "fail", "inconclusive": "error"}[worst],
            message="; ".join(bad)[:500], detail="\n".join(lines)))
    for k, why in g["missing"]:
        cases.append(junit.Case(name=cell_label(k, short=True), classname="perf-gate",
                                status="error", message=why + " (inconclusive)"))
    for k in g["skipped"]:
        cases.append(junit.Case(name=cell_label(k, short=True), classname="perf-gate",
                                status="skip", message="skipped on both sides (not gated)"))
    for k in g["new"]:
        cases.append(junit.Case(name=cell_label(k, short=True), classname="perf-gate",
                                status="skip", message="only in the candidate (not gated)"))
    gated = set(by)
    for k, m in g.get("coarse", []):
        if k not in gated:
            cases.append(junit.Case(name=cell_label(k, short=True), classname="perf-gate",
                                    status="skip", message="%s not gated: /proc/stat "
                                    "resolution" % metric_name(m, g["measure"])))
    suite = junit.Suite(name="perf-gate: %s vs %s" % (g["cand"].path, g["base"].path),
                        cases=cases)
    return junit.to_xml([suite], name="fio-dmabuf performance gate")
