"""Regression gate: the same cells in a baseline and a candidate result set.

Per cell and metric (CPU time per I/O, IOPS, per-run p99 latency):
  regression    the candidate is worse: significant after correction over
                the cells, CI excludes 1, and at least the threshold
  ok            the CI rules out a harmful change of the threshold or more
                (improvements and no-change pass)
  inconclusive  neither: more repeats needed (or the cell is missing)
Exit: 0 no regression, 1 regression, 2 inconclusive.
"""
import math
import os
import tempfile

from . import gnuplot, tables
from .load import cell_label
from .stats import CPU_METRICS, METRICS, cell_stats, metric_name
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


def measure_of(meta):
    m = meta.get("measure")
    return m.get("cpu", "time") if isinstance(m, dict) else "time"


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


def run_gate(base_rs, cand_rs, min_effect=None, thresholds=None,
             alpha=ALPHA, correction="bh", metrics=GATE_METRICS):
    """min_effect (the threshold of every metric without its own) defaults
    to the one for the measurement mode (2% for instruction counts)."""
    thresholds = dict(DEFAULT_THRESHOLDS, **(thresholds or {}))
    measure = "instructions" if "instructions" in (
        measure_of(base_rs.meta), measure_of(cand_rs.meta)) else "time"
    if min_effect is None:
        min_effect = min_effect_for(measure)
    metrics = gate_metrics(base_rs.meta, cand_rs.meta, metrics)
    bs, cs = cell_stats(base_rs, salt="base"), cell_stats(cand_rs, salt="candidate")
    comps, only_b, only_c, empty = set_comparisons(
        bs, cs, metrics, alpha=alpha, min_effect=min_effect,
        correction=correction, measure=measure)
    # a metric neither side carries (system CPU in older sets) is not gated
    comps = [c for c in comps if c.n_base or c.n_cand]
    coarse = resolution_limited(bs + cs, thresholds, min_effect)
    comps = [c for c in comps if (c.key, c.metric) not in coarse]
    rows = []
    for c in comps:
        eff = thresholds.get(c.metric, min_effect)
        rows.append((c, gate_status(c, METRICS[c.metric][2], eff)))
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
    return {"result": result, "exit": EXIT[result], "rows": rows, "missing": missing,
            "skipped": skipped, "coarse": sorted(coarse),
            "new": only_c, "meta_diff": meta_differences(base_rs.meta, cand_rs.meta),
            "min_effect": min_effect, "thresholds": thresholds, "alpha": alpha,
            "correction": correction, "metrics": metrics, "measure": measure,
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
    L += ["", "Rule: a regression is a change in the bad direction with an exact "
          "Mann-Whitney p < %g (unpaired: two sets of runs) after %s correction over "
          "the cells of each metric, and a Hodges-Lehmann estimate of at least the "
          "threshold (%s). `ok` needs the 95%% CI (inverted Mann-Whitney) to rule out a "
          "harmful change of the threshold; the gate passes only when every cell is "
          "`ok` (an intersection-union rule: no correction needed for that); otherwise "
          "the cell is inconclusive." % (g["alpha"], g["correction"].upper()
                                         if g["correction"] == "bh" else "Holm", th), ""]
    cells = []
    for cmp_, st in g["rows"]:
        if cmp_.key not in cells:
            cells.append(cmp_.key)
    by = {(cmp_.key, cmp_.metric): (cmp_, st) for cmp_, st in g["rows"]}
    header = ["#", "cell", "n base/cand"]
    for m in g["metrics"]:
        header += ["%s change [95%% CI]" % metric_name(m, g["measure"]).split(" (")[0],
                   "p_adj", "gate"]
    rows = []
    for i, k in enumerate(cells):
        first = by[(k, g["metrics"][0])][0] if (k, g["metrics"][0]) in by else None
        row = [i + 1, cell_label(k, short=True),
               "%d/%d" % (first.n_base, first.n_cand) if first else "-"]
        for m in g["metrics"]:
            if (k, m) not in by:
                row += ["-", "-", "-"]
                continue
            cmp_, st = by[(k, m)]
            row += [tables.change_text(cmp_), tables.num(cmp_.p_adj, 2),
                    {"regression": "**REGRESSION**", "ok": "ok",
                     "inconclusive": "inconclusive"}[st] +
                    (" (%s)" % cmp_.why if st == "inconclusive" and
                     not cmp_.why.startswith("not significant") else "")]
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
            "missing": [{"cell": cell_label(k), "why": w} for k, w in g["missing"]],
            "comparisons": [{"cell": cell_label(c.key), "metric": c.metric,
                             "n_base": c.n_base, "n_cand": c.n_cand,
                             "base_median": f(c.base_median), "cand_median": f(c.cand_median),
                             "ratio": f(c.ratio), "ci": list(c.ci) if c.ci else None,
                             "p": f(c.p), "p_adj": f(c.p_adj), "verdict": c.verdict,
                             "gate": st} for c, st in g["rows"]]}
