"""Assemble a report directory: tables, figures, gnuplot scripts, report.md."""
import math
import os

from . import gnuplot, tables
from .load import CELL_KEYS, cell_dict, cell_label, fmt_size
from .stats import METRICS, cell_stats
from .verdict import ALPHA, MIN_EFFECT, arm_comparisons

COMPARE_METRICS = ("cpu_ns_per_io", "iops", "lat_mean_ns", "lat_p99_ns",
                   "lat_p99.9_ns", "ctx_per_io", "bw_bytes")
TABLE_METRICS = ("cpu_ns_per_io", "iops", "lat_p99_ns", "lat_mean_ns")
HEADLINE_METRICS = ("cpu_ns_per_io", "lat_p99_ns", "lat_mean_ns", "iops")
HEATMAP_METRICS = ("cpu_ns_per_io", "lat_p99_ns", "iops")
COMP_KEYS = ("baseline_arm",) + CELL_KEYS


def default_baselines(stats):
    arms = {s.cell[0] for s in stats}
    return ["mem"] if "mem" in arms else []


def machine_lines(meta):
    cpu = meta.get("cpu") or {}
    kern = meta.get("kernel") or {}
    dev = meta.get("device")
    out = []
    if meta.get("emulated"):
        out.append("**EMULATED hardware** (meta.json `emulated: true`): the numbers "
                   "show the software path on an emulated device; they are not "
                   "the magnitude on real hardware.")
    else:
        out.append("Hardware: not emulated (meta.json `emulated: false`).")
    out.append("Machine: %s, %s CPUs, kernel %s, IOMMU %s, dma-buf API %s, %s." % (
        cpu.get("model", "unknown CPU"), cpu.get("count", "?"),
        kern.get("release", "?"), meta.get("iommu", "unknown"),
        {True: "present", False: "absent", None: "unknown"}.get(meta.get("dmabuf_api"), "?"),
        meta.get("fio_version", "fio ?")))
    if dev:
        out.append("Device: %s." % ", ".join("%s %s" % (k, v) for k, v in dev.items()))
    else:
        out.append("Device: none recorded.")
    if meta.get("note"):
        out.append("Note: %s." % meta["note"].rstrip("."))
    out.append("Run: %s, %s .. %s, host %s." % (meta.get("name"), meta.get("start", "?"),
                                                meta.get("end", "?"), meta.get("hostname", "?")))
    return out


def comp_label(key):
    return "%s vs %s" % (cell_label(key[1:], short=True), key[0])


def headline(comps, unmatched, baselines, min_effect):
    """Claim sentences for verdicts that hold; an explicit line when none do."""
    out = []
    if not baselines:
        return ["No baseline arm: pass `--baseline-arm ARM` to compare arms "
                "(the default, `mem`, is not in this result set)."]
    if not comps:
        return ["No cell of another arm matches a baseline cell; nothing to compare."]
    for metric in HEADLINE_METRICS:
        name = METRICS[metric][0]
        cs = [c for c in comps if c.metric == metric]
        held = sorted((c for c in cs if c.verdict in ("better", "worse")),
                      key=lambda c: -abs(c.ratio - 1))
        counts = {v: sum(c.verdict == v for c in cs)
                  for v in ("better", "worse", "same", "inconclusive")}
        for c in held:
            k = c.key
            lower = c.ratio < 1
            if metric == "cpu_ns_per_io":
                what = "uses %.1f%% %s CPU time per I/O" % (100 * abs(c.ratio - 1),
                                                           "less" if lower else "more")
            elif metric == "iops":
                what = "reaches %.1f%% %s IOPS" % (100 * abs(c.ratio - 1),
                                                  "fewer" if lower else "more")
            else:
                what = "has %.1f%% %s %s" % (100 * abs(c.ratio - 1),
                                            "lower" if lower else "higher", name)
            lo, hi = c.ci
            out.append("- **%s** %s than **%s** at %s %s QD%d nj%d "
                       "(95%% CI of the ratio %.3f..%.3f; medians %s vs %s %s; "
                       "n=%d vs %d; corrected p=%.2g): **%s**." % (
                           k[1] + ("/" + k[2] if k[2] else ""), what, k[0], k[3],
                           fmt_size(k[4]), k[5], k[6], lo, hi,
                           tables.show(metric, c.cand_median),
                           tables.show(metric, c.base_median),
                           tables.SHOW[metric][1], c.n_cand, c.n_base, c.p_adj, c.verdict))
        if not held:
            out.append("- %s: no cell shows a change of %g%% or more that holds at "
                       "the 95%% level (%d same, %d inconclusive)." % (
                           name[0].upper() + name[1:], 100 * min_effect,
                           counts["same"], counts["inconclusive"]))
        else:
            out.append("  (%s: %d better, %d worse, %d same, %d inconclusive of %d cells)"
                       % (name, counts["better"], counts["worse"], counts["same"],
                          counts["inconclusive"], len(cs)))
    gm = geomeans(comps)
    if gm:
        out.append("")
        out.append("Geometric mean of the cell ratios (descriptive, no CI; "
                   "< 1 means lower than the baseline):")
        for (base, arm), ms in sorted(gm.items()):
            out.append("- %s vs %s: %s" % (arm, base, ", ".join(
                "%s %.3f (%d cells)" % (METRICS[m][0], g, n) for m, (g, n) in ms.items())))
    if unmatched:
        out.append("")
        out.append("Cells not compared (no ok run in the cell or in its baseline cell): %s." % ", ".join(
            "%s vs %s" % (cell_label(c, short=True), b) for c, b in unmatched))
    return out


def geomeans(comps):
    acc = {}
    for c in comps:
        if c.metric in HEADLINE_METRICS and c.ratio > 0 and not math.isnan(c.ratio):
            acc.setdefault((c.key[0], c.key[1]), {}).setdefault(c.metric, []).append(c.ratio)
    return {k: {m: (math.exp(sum(map(math.log, v)) / len(v)), len(v))
                for m, v in sorted(ms.items(), key=lambda kv: HEADLINE_METRICS.index(kv[0]))}
            for k, ms in acc.items()}


def _fname(*parts):
    return "_".join(str(p).replace("/", "-").replace(" ", "") for p in parts if p != "")


def gnuplot_core(stats, out, patterns):
    """CPU per I/O vs bs (one script per pattern and iodepth) and IOPS vs
    iodepth (per pattern and bs). Returns [(title, gp path)]."""
    made = []
    gdir = os.path.join(out, "gnuplot")
    os.makedirs(gdir, exist_ok=True)
    for pat in patterns:
        ss = [s for s in stats if s.cell[2] == pat and s.n > 0]
        multi_nj = len({s.cell[5] for s in ss}) > 1
        for panel, xkey, metric, title_fmt in (
                (4, 3, "cpu_ns_per_io", "CPU us per I/O vs block size, %s QD%s"),
                (3, 4, "iops", "kIOPS vs iodepth, %s bs %s")):
            for pv in sorted({s.cell[panel] for s in ss}):
                series = {}
                for s in ss:
                    if s.cell[panel] != pv:
                        continue
                    lab = s.cell[0] + ("/" + s.cell[1] if s.cell[1] else "")
                    if multi_nj:
                        lab += " nj%d" % s.cell[5]
                    div = tables.SHOW[metric][0]
                    lo, hi = s.ci[metric] or (s.median[metric], s.median[metric])
                    series.setdefault(lab, []).append(
                        (s.cell[xkey], s.median[metric] / div, lo / div, hi / div))
                if not series:
                    continue
                xs = sorted({p[0] for v in series.values() for p in v})
                pvs = fmt_size(pv) if panel == 3 else pv
                base = os.path.join(gdir, _fname(metric, pat, ("qd%s" if panel == 4 else "bs%s") % pvs))
                title = title_fmt % (pat, pvs) + " (median, 95% CI)"
                gp = gnuplot.write_series_plot(
                    base, title, "block size" if xkey == 3 else "iodepth",
                    "CPU us/IO" if metric == "cpu_ns_per_io" else "kIOPS",
                    [(k, sorted(v)) for k, v in sorted(series.items())], logx=True,
                    xtics=[(x, fmt_size(x) if xkey == 3 else x) for x in xs],
                    yrange=("0", "*"))
                made.append((title, gp))
    return made


_FIG = {}


def _render(task):
    from . import plot
    name, args = task
    data = _FIG["comps"] if name == "heatmap" else _FIG["stats"]
    return getattr(plot, name)(data, *args)


def render_figures(stats, comps, tasks, jobs=1):
    """Draw the figure tasks, in `jobs` forked processes when jobs > 1 (the
    data reach the workers by fork, not by pickling)."""
    _FIG.update(stats=stats, comps=comps)
    try:
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(jobs, len(tasks))) as pool:
                done = pool.map(_render, tasks, chunksize=1)
        else:
            done = [_render(t) for t in tasks]
    finally:
        _FIG.clear()
    return [f for fs in done for f in fs]


def build(rs, out, baselines=None, min_effect=MIN_EFFECT, alpha=ALPHA,
          correction="bh", plots=True, ascii_plots=True, resamples=None, jobs=1):
    """Write the whole report into `out`; returns a dict of what was made."""
    os.makedirs(out, exist_ok=True)
    kw = {"resamples": resamples} if resamples else {}
    stats = cell_stats(rs, **kw)
    if baselines is None:
        baselines = default_baselines(stats)
    arms = sorted({s.cell[0] for s in stats})
    for b in baselines:
        if b not in arms:
            raise ValueError("baseline arm '%s' is not in %s (arms: %s)"
                             % (b, rs.path, ", ".join(arms)))
    comps, unmatched = arm_comparisons(stats, baselines, COMPARE_METRICS,
                                       alpha=alpha, min_effect=min_effect,
                                       correction=correction)
    tables.write_csv(os.path.join(out, "cells.csv"), tables.cell_rows(stats))
    tables.write_csv(os.path.join(out, "comparisons.csv"),
                     tables.comparison_rows(comps, COMP_KEYS))
    cells_md = tables.cells_markdown(stats)
    comps_md = tables.comparisons_markdown(comps, TABLE_METRICS, comp_label) if comps else ""
    with open(os.path.join(out, "cells.md"), "w") as f:
        f.write(cells_md)
    with open(os.path.join(out, "comparisons.md"), "w") as f:
        f.write(comps_md or "No comparisons.\n")
    footer = "%s | %s | kernel %s | %s | n = ok repeats per cell; CI: bootstrap percentile 95%%" % (
        rs.meta.get("name"), rs.meta.get("fio_version", "fio ?"),
        (rs.meta.get("kernel") or {}).get("release", "?"),
        "EMULATED hardware" if rs.meta.get("emulated") else "not emulated")
    patterns = sorted({s.cell[2] for s in stats if s.n > 0})
    figures = []
    if plots:
        fdir = os.path.join(out, "figures")
        os.makedirs(fdir, exist_ok=True)
        tasks = []
        for pat in patterns:
            tasks.append(("metric_vs", (pat, "cpu_ns_per_io", "bs", "iodepth",
                                        os.path.join(fdir, _fname("cpu_per_io", pat)),
                                        footer, 1e3, "CPU us per I/O")))
            tasks.append(("metric_vs", (pat, "iops", "iodepth", "bs",
                                        os.path.join(fdir, _fname("iops_vs_iodepth", pat)),
                                        footer, 1e3, "kIOPS")))
            for bs in sorted({s.cell[3] for s in stats if s.cell[2] == pat and s.n > 0}):
                tasks.append(("latency", (pat, bs, os.path.join(
                    fdir, _fname("latency", pat, fmt_size(bs))), footer)))
        for key in sorted({(c.key[0], c.key[1], c.key[3], c.key[6]) for c in comps}):
            for m in HEATMAP_METRICS:
                tasks.append(("heatmap", (key[2], m, key[0], key[1], key[3], os.path.join(
                    fdir, _fname("heatmap", m, key[1], "vs", key[0], key[2], "nj%d" % key[3])),
                    footer)))
        figures = render_figures(stats, comps, tasks, jobs)
    gps = gnuplot_core(stats, out, patterns)
    ascii_blocks = []
    if ascii_plots:
        adir = os.path.join(out, "ascii")
        os.makedirs(adir, exist_ok=True)
        for title, gp in gps:
            txt = gnuplot.render(gp, "dumb")
            if txt is None:
                ascii_blocks.append((title, "(gnuplot not installed: no ASCII plot)"))
                break
            with open(os.path.join(adir, os.path.basename(gp)[:-3] + ".txt"), "w") as f:
                f.write(txt)
            ascii_blocks.append((title, txt))
    md = report_markdown(rs, stats, comps, unmatched, baselines, min_effect, alpha,
                         correction, cells_md, comps_md, figures, gps, ascii_blocks, out)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(md)
    return {"stats": stats, "comparisons": comps, "figures": figures,
            "gnuplot": [g for _, g in gps], "report": os.path.join(out, "report.md")}


def report_markdown(rs, stats, comps, unmatched, baselines, min_effect, alpha,
                    correction, cells_md, comps_md, figures, gps, ascii_blocks, out):
    meta = rs.meta
    L = ["# fio-dmabuf results: %s" % meta.get("name"), ""]
    L += machine_lines(meta)
    L += ["", "## Headline findings", ""]
    if baselines:
        L.append("Each arm against baseline %s, cell by cell (arm x source x pattern x "
                 "bs x iodepth x numjobs). A finding needs a Mann-Whitney U p < %g after "
                 "%s correction over the cells, a bootstrap 95%% CI of the median ratio "
                 "that excludes 1, and a change of at least %g%%." % (
                     ", ".join("`%s`" % b for b in baselines), alpha,
                     {"holm": "Holm", "bh": "Benjamini-Hochberg"}[correction],
                     100 * min_effect))
        L.append("")
    L += headline(comps, unmatched, baselines, min_effect)
    n_ok = sum(s.n for s in stats)
    n_fail = sum(s.failed for s in stats)
    n_skip = sum(s.skipped for s in stats)
    reps = sorted({s.n for s in stats if s.n})
    L += ["", "## Data", "",
          "%d cells, %d ok runs (%s repeats per cell), %d failed, %d skipped. "
          "Source: `%s`." % (len(stats), n_ok, "/".join(map(str, reps)) or "0",
                             n_fail, n_skip, rs.path)]
    if min(reps or [0]) < 5:
        L.append("")
        L.append("Fewer than 5 repeats in some cells: a two-sided Mann-Whitney U "
                 "test needs at least 4 repeats per side to reach p < 0.05, and more "
                 "after the correction over the cells, so expect 'inconclusive' "
                 "there. Use 9-10 repeats for published claims.")
    for w in rs.warnings:
        L.append("- warning: %s" % w)
    failed = [s for s in stats if s.reasons]
    if failed:
        L += ["", "Failed or skipped runs:", ""]
        for s in failed:
            L.append("- %s: %s" % (cell_label(s.cell), "; ".join(s.reasons)))
    L += ["", "## Definitions", "",
          "- CPU time per I/O = sum over jobs of (usr_cpu + sys_cpu)/100 x job_runtime, "
          "divided by all I/Os completed (read+write+trim): CPU time of fio's job "
          "threads (getrusage), not of kernel helper threads or interrupts on other CPUs.",
          "- IOPS and bandwidth are summed over jobs; ctx/IO = context switches per I/O.",
          "- Medians over repeats (one repeat = one fio run), with percentile-bootstrap "
          "95% CIs (10,000 resamples).",
          "- Latency percentiles are exact for the pooled runs: json+ bins summed over "
          "repeats, jobs and directions, then fio's own rule (first bin with cumulative "
          "count >= p/100 x N). Bins are fio's histogram buckets (about 1.6% wide).",
          "- Comparison ratios are median(arm) / median(baseline) of per-run values; "
          "the p99 comparisons use each run's own p99.", ""]
    L += ["## Cells", "", cells_md, ""]
    if comps_md:
        L += ["## Comparisons", "",
              "Change = median ratio - 1 with its 95% CI. All metrics: `comparisons.csv`.",
              "", comps_md, ""]
    if figures:
        L += ["## Figures", ""]
        for f in figures:
            if f.endswith(".png"):
                rel = os.path.relpath(f, out)
                L.append("![%s](%s)" % (os.path.basename(f)[:-4], rel))
                L.append("")
    if gps:
        L += ["## gnuplot", "",
              "Scripts in `gnuplot/` (`gnuplot X.gp` writes X.svg; "
              "`gnuplot -e \"term='dumb'\" X.gp` prints ASCII).", ""]
        for title, txt in ascii_blocks:
            L += ["%s:" % title, "", "```", txt.rstrip("\n"), "```", ""]
    L += ["Files: `cells.csv`, `comparisons.csv`, `cells.md`, `comparisons.md`, "
          "`figures/`, `gnuplot/`, `ascii/`.", ""]
    return "\n".join(L)
