"""Assemble a report directory: tables, figures, gnuplot scripts, report.md."""
import math
import os

from . import gnuplot, tables
from .fiojson import CELL_OPTIONS, CONCURRENT, DEFAULTS, NOT_CONFIG
from .load import CELL_KEYS, cell_dict, cell_label, fmt_size
from . import ranktests as rt
from .stats import CPU_METRICS, METRICS, cell_stats, metric_name
from .verdict import (ALPHA, VIRTUAL_TIME_METRICS, arm_comparisons, finish,
                      min_effect_for, paired_comparisons)

COMPARE_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "cycles_per_io",
                   "instructions_per_io", "iops", "lat_mean_ns",
                   "lat_p99_ns", "lat_p99.9_ns", "read_lat_p99_ns", "write_lat_p99_ns",
                   "ctx_per_io", "bw_bytes")
TABLE_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "iops", "lat_p99_ns")
HEADLINE_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "lat_p99_ns", "lat_mean_ns",
                    "iops")
HEATMAP_METRICS = ("cpu_ns_per_io", "lat_p99_ns", "iops")
COMP_KEYS = ("baseline_arm",) + CELL_KEYS


def measure_of(meta):
    """What the CPU metric counts in this result set: instructions or time."""
    m = meta.get("measure")
    return m.get("cpu", "time") if isinstance(m, dict) else "time"


def declared_of(meta):
    """The matrix's declared comparisons, [(candidate, baseline)]."""
    return [tuple(x.split(":", 1)) for x in meta.get("compare") or [] if ":" in x]


def default_baselines(stats):
    arms = {s.cell[0] for s in stats}
    return ["mem"] if "mem" in arms else []


def machine_lines(meta):
    if meta.get("source") == "fio-json":
        return ["**Plain fio output** (`--fio-json`): fio's JSON records no machine, "
                "kernel or device, so none is stated here, and whether the hardware "
                "was emulated is not known.",
                "fio: %s." % (meta.get("fio_version") or "?"),
                "Runs: %s, %s .. %s (fio's timestamps)." % (
                    meta.get("name"), meta.get("start", "?"), meta.get("end", "?"))]
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
    ms = meta.get("measure") if isinstance(meta.get("measure"), dict) else None
    if ms and ms.get("cpu") == "instructions":
        out.append("**Measurement: instruction counts.** %s, %s guest CPU(s): %s." % (
            ms.get("how", "QEMU icount"), ms.get("guest_cpus", "?"),
            ms.get("note", "CPU times are guest instruction counts")))
    elif ms:
        out.append("Measurement: %s." % ms.get("how", "CPU time"))
    if meta.get("note"):
        out.append("Note: %s." % meta["note"].rstrip("."))
    out.append("Run: %s, %s .. %s, host %s." % (meta.get("name"), meta.get("start", "?"),
                                                meta.get("end", "?"), meta.get("hostname", "?")))
    return out


def _sentence(c, meta, measure):
    """One declared comparison in words: the estimate and its 95% CI in the
    direction of the estimate ("7.1% [6.3..7.9] fewer")."""
    k = c.key
    less = c.ratio < 1
    size = 1 - c.ratio if less else c.ratio - 1
    if c.ci is None:    # too few pairs for a 95% CI (with --alpha above 0.05)
        ci_text = "(no 95%% CI at n=%d)" % c.n_cand
    else:
        lo, hi = c.ci
        ci = (1 - hi, 1 - lo) if less else (lo - 1, hi - 1)
        ci_text = "[%.1f..%.1f]" % (100 * ci[0], 100 * ci[1])
    if measure == "instructions" and c.metric in CPU_METRICS:
        what = "%s guest instructions per I/O%s (QEMU icount)" % (
            "fewer" if less else "more",
            " system-wide" if c.metric == "sys_cpu_ns_per_io" else " in fio's threads")
    else:
        what = "%s %s" % ("less" if less else "more", metric_name(c.metric, measure))
    where = "%s %s QD%d%s, IOMMU %s%s" % (
        k[3], fmt_size(k[4]), k[5], "" if k[6] == 1 else " nj%d" % k[6],
        meta.get("iommu", "unknown"), ", emulated" if meta.get("emulated") else "")
    return ("- `%s`%s used %.1f%% %s %s than `%s`, %s: **%s** (paired, n=%d, "
            "p_adj=%.2g, TOST p_adj=%.2g)." % (
                k[1], "/" + k[2] if k[2] else "", 100 * size, ci_text,
                what, k[0], where, c.verdict, c.n_cand, c.p_adj, c.p_same_adj))


def declared_headline(comps, missing, declared, meta, measure, min_effect):
    """The declared comparisons as sentences, one block per metric."""
    out = []
    fam = [c for c in comps if c.family]
    for metric in HEADLINE_METRICS:
        cs = [c for c in fam if c.metric == metric]
        if not cs:
            continue
        counts = {v: sum(c.verdict == v for c in cs)
                  for v in ("better", "worse", "same", "inconclusive")}
        reached = counts["better"] + counts["worse"] + counts["same"]
        out += ["", "**%s**: a verdict on %d of %d declared comparisons (%d better, %d "
                "worse, %d same, %d inconclusive)." % (
                    metric_name(metric, measure)[0].upper() + metric_name(metric, measure)[1:],
                    reached, len(cs), counts["better"], counts["worse"], counts["same"],
                    counts["inconclusive"]), ""]
        for c in sorted(cs, key=lambda c: (c.cand_label, c.base_label, c.key[3:])):
            if c.ci is None:
                out.append("- `%s` vs `%s`, %s: inconclusive (%s)." % (
                    c.cand_label, c.base_label, cell_label(c.key[1:], short=True), c.why))
            else:
                out.append(_sentence(c, meta, measure))
    if missing:
        out += ["", "Declared but not compared (no pair with an ok run on both sides; "
                "see Failed or skipped runs): %s." % ", ".join(
                    "%s vs %s" % (cell_label(c, short=True), b) for c, b in missing)]
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
            ci = ("no 95%% CI at n=%d vs %d" % (c.n_cand, c.n_base) if c.ci is None else
                  "95%% CI of the ratio %.3f..%.3f" % c.ci)
            out.append("- **%s** %s than **%s** at %s %s QD%d nj%d "
                       "(Hodges-Lehmann estimate, %s; medians %s vs %s %s; "
                       "n=%d vs %d; corrected p=%.2g): **%s**." % (
                           k[1] + ("/" + k[2] if k[2] else ""), what, k[0], k[3],
                           fmt_size(k[4]), k[5], k[6], ci,
                           tables.show(metric, c.cand_median),
                           tables.show(metric, c.base_median),
                           tables.SHOW[metric][1], c.n_cand, c.n_base, c.p_adj, c.verdict))
        if not cs:
            continue
        if not held:
            out.append("- %s: no cell is significantly better or worse (%d same within "
                       "+-%g%%, %d inconclusive, %d descriptive)." % (
                           name[0].upper() + name[1:], counts["same"], 100 * min_effect,
                           counts["inconclusive"],
                           sum(c.verdict == "descriptive" for c in cs)))
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
    data = _FIG["hosts"][name] if name.startswith("hosts_") else \
        _FIG["comps"] if name in ("heatmap", "forest", "drift") else _FIG["stats"]
    return getattr(plot, name)(data, *args)


def render_figures(stats, comps, tasks, jobs=1, hosts=None):
    """Draw the figure tasks, in `jobs` forked processes when jobs > 1 (the
    data reach the workers by fork, not by pickling)."""
    _FIG.update(stats=stats, comps=comps, hosts=hosts)
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


def comparisons(rs, baselines, min_effect, alpha=ALPHA, correction="bh", resamples=None):
    """all_comparisons, under run-matrix --until-resolved's stopping rule when
    the result set was made with it (meta.json sequential)."""
    kw = {"resamples": resamples} if resamples else {}
    seq = rs.meta.get("sequential")
    if not (isinstance(seq, dict) and seq.get("looks")):
        return all_comparisons(rs, cell_stats(rs, **kw), baselines, min_effect, alpha,
                               correction)
    from .load import first_rounds
    from .sequential import sequential_finish
    held = {}

    def at(rounds):
        sub = first_rounds(rs, rounds)
        cs, held["unmatched"], held["missing"] = all_comparisons(
            sub, cell_stats(sub, **kw), baselines, min_effect, alpha, correction,
            finished=False)
        return cs
    comps = sequential_finish(at, seq, correction, measure_of(rs.meta))
    return comps, held["unmatched"], held["missing"]


def drift_series(rs, metric):
    """{comparison: [(cell title, [(round, baseline, candidate)])]} for the
    declared pairs, in run order."""
    from .stats import run_values
    from .verdict import pair_units
    out = {}
    for label, rnd, ce, be in pair_units(rs):
        if ce.run is None or be.run is None:
            continue
        title = "%s%s %s QD%d" % (ce.cell[2], "" if not ce.cell[1] else " " + ce.cell[1],
                                  fmt_size(ce.cell[3]), ce.cell[4])
        out.setdefault(label, {}).setdefault(title, []).append(
            (rnd, run_values(be.run)[metric], run_values(ce.run)[metric]))
    return {k: sorted(v.items()) for k, v in out.items()}


def all_comparisons(rs, stats, baselines, min_effect, alpha, correction, finished=True):
    """Declared comparisons (paired, the corrected family) and every arm
    against the baseline arms (unpaired; descriptive when the result set
    declares comparisons, else the family). Returns (comparisons,
    unmatched cells, declared cells without a pair)."""
    measure = measure_of(rs.meta)
    declared = declared_of(rs.meta)
    comps, missing = paired_comparisons(rs, declared, COMPARE_METRICS, min_effect) \
        if declared else ([], [])
    arm, unmatched = arm_comparisons(stats, baselines, COMPARE_METRICS, min_effect)
    if declared:
        done = {(c.key, c.metric) for c in comps}
        arm = [c for c in arm if (c.key, c.metric) not in done]
        for c in arm:
            c.family = False
            c.why = "unpaired, outside the declared comparisons"
    # a metric the runs do not carry (system CPU in older result sets) is left out
    comps = [c for c in comps + arm if c.n_base or c.n_cand]
    if finished:
        comps = finish(comps, alpha=alpha, correction=correction, measure=measure)
    return comps, unmatched, missing


def build(rs, out, baselines=None, min_effect=None, alpha=ALPHA,
          correction="bh", plots=True, ascii_plots=True, resamples=None, jobs=1):
    """Write the whole report into `out`; returns a dict of what was made."""
    os.makedirs(out, exist_ok=True)
    kw = {"resamples": resamples} if resamples else {}
    stats = cell_stats(rs, **kw)
    measure = measure_of(rs.meta)
    if min_effect is None:
        min_effect = min_effect_for(measure)
    if baselines is None:
        baselines = default_baselines(stats)
    arms = sorted({s.cell[0] for s in stats})
    for b in baselines:
        if b not in arms:
            raise ValueError("baseline arm '%s' is not in %s (arms: %s)"
                             % (b, rs.path, ", ".join(arms)))
    for cand, base in declared_of(rs.meta):
        for a in (cand, base):
            if a not in arms:
                raise ValueError("meta.json declares the comparison %s:%s, but %s has no "
                                 "runs of arm '%s'" % (cand, base, rs.path, a))
    comps, unmatched, missing = comparisons(rs, baselines, min_effect, alpha, correction,
                                            resamples)
    tables.write_csv(os.path.join(out, "cells.csv"), tables.cell_rows(stats))
    tables.write_csv(os.path.join(out, "comparisons.csv"),
                     tables.comparison_rows(comps, COMP_KEYS))
    cells_md = tables.cells_markdown(stats, measure)
    comps_md = tables.comparisons_markdown(comps, TABLE_METRICS, comp_label) if comps else ""
    with open(os.path.join(out, "cells.md"), "w") as f:
        f.write(cells_md)
    with open(os.path.join(out, "comparisons.md"), "w") as f:
        f.write(comps_md or "No comparisons.\n")
    footer = "%s | %s | CIs: inverted exact rank tests (comparisons), bootstrap (cell medians)" % (
        rs.meta.get("name"), machine_footer(rs.meta))
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
        for label, cells in drift_series(rs, "cpu_ns_per_io").items():
            tasks.append(("drift", (label, cells, metric_name("cpu_ns_per_io", measure),
                                    "k instr/IO" if measure == "instructions" else "us/IO",
                                    os.path.join(fdir, _fname("drift", label.replace(":", "_vs_"))),
                                    footer)))
        if declared_of(rs.meta):
            for m in HEADLINE_METRICS:
                if measure == "instructions" and m in VIRTUAL_TIME_METRICS:
                    continue
                tasks.append(("forest", (m, os.path.join(fdir, _fname("forest", m)), footer,
                                         "Declared comparisons: %s" % metric_name(m, measure),
                                         min_effect)))
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
    md = report_markdown(rs, stats, comps, unmatched, missing, baselines, min_effect, alpha,
                         correction, cells_md, comps_md, figures, gps, ascii_blocks, out)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(md)
    return {"stats": stats, "comparisons": comps, "figures": figures,
            "gnuplot": [g for _, g in gps], "report": os.path.join(out, "report.md")}


CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg"}


def machine_footer(meta):
    """fio, kernel and hardware in a few words, for figure footers."""
    if meta.get("source") == "fio-json":
        return "%s | plain fio JSON: machine not recorded" % (meta.get("fio_version") or "fio ?")
    return "%s | kernel %s | %s" % (
        meta.get("fio_version", "fio ?"), (meta.get("kernel") or {}).get("release", "?"),
        "EMULATED hardware" if meta.get("emulated") else "not emulated")


def _listed(items, most=12):
    items = list(items)
    more = len(items) - most
    return items[:most] + (["... and %d more" % more] if more > 0 else [])


def inference_lines(rs):
    """What --fio-json read from fio's options, what took fio's defaults,
    and what it could not infer."""
    fj = rs.meta.get("fio_json") or {}
    dflt = fj.get("defaults") or {}
    factors = fj.get("factors") or {}
    L = ["## Cells inferred from fio's options", "",
         "- Read: %d `*.json` file(s) of fio's own output, %d job section(s) (the numjobs "
         "clones of a section are one run, summed as in every report)." % (
             fj.get("files", 0), fj.get("jobs", 0)),
         "- Cell = arm x pattern x bs x iodepth x numjobs, from the options fio recorded "
         "(its \"global options\", overlaid with each job's \"job options\"): arm = "
         "`ioengine`, pattern = `rw`, bs = `bs` (one size; for a read-, write- or trim-only "
         "pattern the entry of `bs=R,W,T` it uses), `iodepth`, `numjobs`.",
         "- fio's own defaults where an option was not set (options.c): %s. Used here: %s." % (
             ", ".join("%s=%s" % (k, DEFAULTS[k]) for k in CELL_OPTIONS),
             ", ".join("%s in %d job(s)" % (k, n) for k, n in sorted(dflt.items()))
             or "none"),
         "- Repeats: runs with the same cell and the same other options are taken as "
         "repeats, numbered in the order of fio's timestamps; fio does not record whether "
         "runs were meant as repeats. Options that say how fio reports or logs (%s) never "
         "separate runs%s." % (
             ", ".join("`%s`" % o for o in sorted(NOT_CONFIG)[:6]) + ", ...",
             "; ignored on request: %s" % ", ".join("`%s`" % o for o in fj["ignored_options"])
             if fj.get("ignored_options") else "")]
    if factors:
        L.append("- Options that differ between otherwise equal runs, so they are part of "
                 "the arm (distinct cells, never repeats): %s. If they should be repeats, "
                 "rerun with `--ignore-option NAME`." % "; ".join(
                     "`%s` (%s)" % ("concurrent jobs" if k == CONCURRENT else k, ", ".join(
                         "unset" if v is None else (v or "set") for v in vs))
                     for k, vs in factors.items()))
    else:
        L.append("- No option other than the cell's differs between runs of the same cell.")
    if fj.get("group_reporting_entries"):
        L.append("- %d run(s) are one `group_reporting` entry for numjobs > 1 (fio summed the "
                 "jobs; their options are the first job's: if a reporting group held other "
                 "job sections too, fio's JSON does not show them)." % fj["group_reporting_entries"])
    for c in _listed(fj.get("concurrent") or []):
        L.append("- Concurrent: %s (measured while the others ran)." % c)
    no_bins = sum(1 for r in rs.runs if len(r.bin_count) == 0)
    if no_bins:
        L.append("- %d of %d runs are plain `json`, not `json+`: no latency bins, so no "
                 "latency percentiles for them (fio's own percentiles are per job and "
                 "direction and cannot be pooled exactly); their latency is fio's mean of "
                 "`%s_ns`, the kind the json+ runs have (fio bins `clat` unless "
                 "lat_percentiles=1; `lat` when there are none)." % (
                     no_bins, len(rs.runs), fj.get("plain_kind", "lat")))
    L += ["", "Not inferable from fio's JSON, so not stated or guessed:", "",
          "- the machine and kernel, and whether the hardware was emulated;",
          "- the device: fio records only its options (filename: %s) and, when it could "
          "map the target to a disk, `disk_util` (%s);" % (
              ", ".join("`%s`" % f for f in _listed(fj.get("filenames") or [], 4)) or "not set",
              ", ".join("`%s`" % d for d in fj.get("disks") or []) or "none"),
          "- whether runs of one cell were meant as repeats (see above), and system-wide "
          "CPU (fio counts only its own threads)."]
    if fj.get("flagless_versions"):
        L.append("- options set without a value (time_based, group_reporting, stonewall): "
                 "%s leaves them out of its JSON (3.41 records them)." % ", ".join(
                     fj["flagless_versions"]))
    if fj.get("excluded"):
        L += ["", "Jobs not used (their cell cannot be read from their options):", ""]
        L += ["- %s" % x for x in fj["excluded"]]
    if fj.get("other_files"):
        L += ["", "Files not read (not `*.json`): %s." % ", ".join(
            "`%s`" % os.path.relpath(f, rs.path) for f in _listed(fj["other_files"]))]
    return L + [""]


def design_lines(comps, declared, measure, min_effect, alpha, correction):
    """How the verdicts were reached, and why this many repeats can reach one."""
    fam = [c for c in comps if c.family]
    per_metric = {}
    for c in fam:
        per_metric.setdefault(c.metric, []).append(c)
    m = max((len(v) for v in per_metric.values()), default=0)
    ns = sorted({min(c.n_base, c.n_cand) for c in fam if c.n_cand})
    out = []
    if declared:
        n = ns[0] if ns else 0
        need = next(k for k in range(2, 64) if rt.min_p_paired(k) <= alpha / max(m, 1))
        out += [
            "- Compared: the declared comparisons (%s), each candidate cell against the "
            "baseline cell run right beside it (back to back, in random order within the "
            "pair; pairs shuffled across each round)." % ", ".join(
                "`%s` vs `%s`" % d for d in declared),
            "- Test: exact two-sided Wilcoxon signed-rank on the per-pair log ratios "
            "log(candidate/baseline), each metric on its own; estimate: Hodges-Lehmann "
            "(median of the Walsh averages) with the 95% CI from inverting the same test "
            "(order statistics of the Walsh averages), so the CI excludes 1 exactly when "
            "p < 0.05.",
            "- Family and correction: %s over the %d declared comparison x cell tests of "
            "each metric (the largest family here); the other cells are compared unpaired "
            "(exact Mann-Whitney) for description only, without a verdict." % (
                CORRECTION_NAMES[correction], m),
            "- Why %s pairs can reach a verdict: at n pairs the exact test cannot go below "
            "p = 2/2^n (%s at n = %d). %s rejects a test at that floor when at least "
            "m x floor / alpha of the m tests reach it (%s of %d here); to reach alpha for "
            "a single comparison alone would need n = %d." % (
                "/".join(map(str, ns)) or "0",
                "%.3g" % rt.min_p_paired(n) if n else "-", n,
                CORRECTION_NAMES[correction],
                "%.0f" % math.ceil(m * rt.min_p_paired(n) / alpha) if n else "-", m, need)]
    else:
        out += ["- Compared: each arm against the baseline arm cell by cell, unpaired: "
                "exact two-sided Mann-Whitney on log values, Hodges-Lehmann shift with "
                "the 95%% CI from inverting the test; %s correction over the cells of "
                "each metric." % CORRECTION_NAMES[correction]]
    out += ["- Verdicts: **same** when two one-sided tests at +-%g%% (ratio %.4f..%.4f) "
            "both have adjusted p < %g (equivalence); else **better**/**worse** when the "
            "two-sided adjusted p < %g; else inconclusive. min_effect = %g%% is the value "
            "for measure = %s." % (
                100 * min_effect, 1 / (1 + min_effect), 1 + min_effect, alpha, alpha,
                100 * min_effect, measure)]
    if measure == "instructions":
        out.append("- Under QEMU instruction counting IOPS, bandwidth and latency run in "
                   "virtual time: they are shown, never judged (verdict `descriptive`).")
    return out


def report_markdown(rs, stats, comps, unmatched, missing, baselines, min_effect, alpha,
                    correction, cells_md, comps_md, figures, gps, ascii_blocks, out):
    meta = rs.meta
    measure = measure_of(meta)
    declared = declared_of(meta)
    L = ["# fio-dmabuf results: %s" % meta.get("name"), ""]
    L += machine_lines(meta)
    L += ["", "## Headline findings", ""]
    if declared:
        L += declared_headline(comps, missing, declared, meta, measure, min_effect)
        forest = [f for f in figures if os.path.basename(f).startswith("forest_")
                  and f.endswith(".png")]
        if forest:
            L.append("")
            for f in forest:
                L.append("![%s](%s)" % (os.path.basename(f)[:-4], os.path.relpath(f, out)))
        L += ["", "Unpaired, descriptive: every arm against %s." % (
            ", ".join("`%s`" % b for b in baselines) or "no baseline arm"), ""]
    elif baselines:
        L.append("Each arm against baseline %s, cell by cell (arm x source x pattern x "
                 "bs x iodepth x numjobs), unpaired (see Definitions)." % (
                     ", ".join("`%s`" % b for b in baselines)))
        L.append("")
    if not declared:
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
    if meta.get("source") == "fio-json":
        L += [""] + inference_lines(rs)
    L += ["", "## Definitions", ""]
    L += design_lines(comps, declared, measure, min_effect, alpha, correction)
    L += ["- CPU time per I/O = sum over jobs of (usr_cpu + sys_cpu)/100 x job_runtime, "
          "divided by all I/Os completed (read+write+trim): CPU time of fio's job "
          "threads (getrusage), not of kernel helper threads or interrupts on other CPUs.",
          "- System-wide CPU time per I/O = CPU time of the whole machine over fio's "
          "measured window only (fio's job_start, which fio resets at the end of the ramp, "
          "to job_start + job_runtime; interpolated between the runner's 50 ms samples), "
          "divided by the same I/Os: it sees work moved to io-wq, SQPOLL or kernel threads. "
          "With one CPU (the test VM's default) it is the run time of all tasks from "
          "/proc/schedstat, exact, without interrupts taken while the CPU idled; with more "
          "CPUs it is the window times the CPUs less /proc/stat's idle and iowait (10 ms "
          "units). It also holds whatever else the machine ran (in the test VM: the "
          "runner's sampler). fio's own figure runs a little past job_runtime (to the end "
          "of its I/O loop), so the two can differ by that tail.",
          "- Under QEMU icount (measure = instructions) 1 ns of guest CPU time is one guest "
          "instruction (user and kernel); with one guest CPU nothing else can run "
          "meanwhile, so fio's figure counts the instructions of its own threads.",
          "- IOPS and bandwidth are summed over jobs; ctx/IO = context switches per I/O.",
          "- Cell medians over repeats (one repeat = one fio run), with percentile-bootstrap "
          "95% CIs (10,000 resamples): descriptive.",
          "- Latency percentiles are exact for the pooled runs: json+ bins summed over "
          "repeats, jobs and directions, then fio's own rule (first bin with cumulative "
          "count >= p/100 x N). Bins are fio's histogram buckets (about 1.6% wide).",
          "- Comparison ratios are Hodges-Lehmann estimates of candidate / baseline from "
          "per-run values, each run weighted equally; the p99 comparisons use each run's "
          "own p99. The pooled percentiles in the cell table weight each I/O equally "
          "(faster runs contribute more I/Os). Mixed patterns (randrw, rw) report read "
          "and write latency apart (read_lat_*, write_lat_* in cells.csv and "
          "comparisons.csv); their all-I/O latency mixes the two.", ""]
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


# ---- several hosts --------------------------------------------------------------

def build_hosts(sets, out, baselines=None, min_effect=None, alpha=ALPHA, correction="bh",
                plots=True, ascii_plots=True, resamples=None, jobs=1):
    """One report per host (OUT/hosts/LABEL/, each as build() writes it) and
    the cross-host report OUT/report.md (see hosts.py for what is compared).
    `sets` are ResultSets, the first the reference host."""
    from . import hosts as H    # hosts imports this module (measure_of)
    paths = [os.path.realpath(rs.path) for rs in sets]
    for i, p in enumerate(paths):
        if p in paths[:i]:
            raise ValueError("%s is given twice: each result set is one host" % sets[i].path)
    labels, notes = H.host_labels([(rs.path, rs.meta) for rs in sets])
    if baselines:
        known = set().union(*({e.cell[0] for e in rs.entries} for rs in sets))
        for b in baselines:
            if b not in known:
                raise ValueError("baseline arm '%s' is in none of the result sets (arms: %s)"
                                 % (b, ", ".join(sorted(known))))
    os.makedirs(out, exist_ok=True)
    hs = []
    for lab, rs in zip(labels, sets):
        arms = {e.cell[0] for e in rs.entries}
        bl = None
        if baselines:
            bl = [b for b in baselines if b in arms]
            for b in baselines:
                if b not in arms:
                    notes.append("`%s` has no runs of baseline arm `%s`" % (lab, b))
        hout = os.path.join(out, "hosts", H.slug(lab))
        made = build(rs, hout, baselines=bl, min_effect=min_effect, alpha=alpha,
                     correction=correction, plots=plots, ascii_plots=ascii_plots,
                     resamples=resamples, jobs=jobs)
        hs.append(H.Host(lab, rs, made["stats"], made["comparisons"], hout))
    me = H.cross_min_effect(hs, min_effect, min_effect_for)
    levels, only, lnotes = H.level_comparisons(hs, me, alpha, correction)
    effects = H.effect_table(hs, H.HOST_METRICS)
    diffs, dnotes = H.effect_differences(hs, me, alpha, correction)
    tables.write_csv(os.path.join(out, "hosts_cells.csv"),
                     tables.host_cell_rows(hs, H.HOST_METRICS))
    tables.write_csv(os.path.join(out, "hosts_levels.csv"), tables.comparison_rows(
        levels, ("reference_host", "host") + CELL_KEYS))
    tables.write_csv(os.path.join(out, "hosts_effects.csv"), tables.host_effect_rows(effects))
    tables.write_csv(os.path.join(out, "hosts_effect_differences.csv"), tables.comparison_rows(
        diffs, ("comparison", "reference_host", "host") + CELL_KEYS))
    footer = "%d hosts: %s | each host's own runs; nothing pooled across hosts" % (
        len(hs), ", ".join(labels))
    figures = []
    if plots:
        fdir = os.path.join(out, "figures")
        os.makedirs(fdir, exist_ok=True)
        data = [(h.label, h.stats) for h in hs]
        pats = sorted({s.cell[2] for h in hs for s in h.stats if s.n > 0})
        tasks = []
        for pat in pats:
            if sum(any(s.cell[2] == pat and s.n for s in h.stats) for h in hs) < 2:
                continue
            for m, ylabel in (("cpu_ns_per_io", "CPU us per I/O"), ("iops", "kIOPS")):
                tasks.append(("hosts_metric_vs", (pat, m, "bs", "iodepth", os.path.join(
                    fdir, _fname("hosts", m, pat)), footer, 1e3, ylabel)))
        for m in H.HOST_METRICS:
            if any(k[1] == m for k in effects):
                tasks.append(("hosts_forest", (m, labels, os.path.join(
                    fdir, _fname("hosts_forest", m)), footer,
                    "Each host's own comparisons: %s" % METRICS[m][0], me)))
        figures = render_figures(None, None, tasks, jobs,
                                 hosts={"hosts_metric_vs": data, "hosts_forest": effects}) \
            if tasks else []
    md = hosts_markdown(hs, levels, only, effects, diffs, notes + lnotes + dnotes, me, alpha,
                        correction, figures, out)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(md)
    return {"hosts": hs, "levels": levels, "effects": effects, "differences": diffs,
            "figures": figures, "report": os.path.join(out, "report.md")}


def hosts_markdown(hs, levels, only, effects, diffs, notes, min_effect, alpha, correction,
                   figures, out):
    from . import hosts as H
    ref = hs[0]
    ms = sorted({h.measure for h in hs})
    measure = ms[0] if len(ms) == 1 else "time"
    L = ["# fio-dmabuf results across %d hosts" % len(hs), "",
         "The host is a factor: each host's runs are analysed on their own (its full "
         "report is linked below), and runs of different hosts are never pooled as "
         "replicates. Reference host: `%s` (the first given)." % ref.label, ""]
    rows = []
    for h in hs:
        m = h.rs.meta
        key, why = H.machine_of(m) if m.get("source") != "fio-json" else (None, "plain fio JSON")
        rows.append(["`%s`" % h.label, H.describe(m), "`%s`" % key if key else "(%s)" % why,
                     "unknown" if m.get("emulated") is None else
                     "**EMULATED**" if m.get("emulated") else "no",
                     h.measure, "%d / %d" % (len(h.rs.runs), len(h.rs.entries)),
                     sum(1 for s in h.stats if s.n), "`%s`" % h.rs.path,
                     "[report](%s)" % os.path.relpath(os.path.join(h.out, "report.md"), out)])
    L.append(tables.md_table(["host", "machine", "machine key", "emulated", "CPU counts", "ok runs",
                              "cells", "result set", "report"], rows))
    for n in notes:
        L.append("- %s" % n)
    if notes:
        L.append("")
    L += ["## Across hosts", "", "### Definitions", "",
          "- Host: the hostname in meta.json plus its machine key (analysis/fioab/machine.py: "
          "CPU model and count, device and firmware, kernel, series, IOMMU, measurement); "
          "the label is the hostname (with the kernel or set name where two sets share "
          "one). Plain fio JSON records neither: its directory name is the label.",
          "- Levels: for each cell (arm x source x pattern x bs x iodepth x numjobs) with "
          "ok runs on the reference host R and on host H: each host's median over its own "
          "repeats with its bootstrap 95%% CI (as in its report), and H against R as two "
          "independent samples: exact two-sided Mann-Whitney on the log per-run values of "
          "H against those of R, the Hodges-Lehmann ratio H/R with the 95%% CI from "
          "inverting that test; %s over the cells x hosts of each metric. Verdicts as in "
          "each report, read for H against R: **same** (both one-sided tests at +-%g%% "
          "reject), else better/worse (H lower/higher where lower is better), else "
          "inconclusive." % (CORRECTION_NAMES[correction], 100 * min_effect),
          "- Effects: each host's own comparisons (candidate arm vs baseline arm, from its "
          "report, with its own CI and verdict) side by side. For a declared comparison "
          "run in pairs on both hosts, the host difference of the effect: the per-pair "
          "ratios candidate/baseline of H against those of R, the same unpaired test; the "
          "estimate is H's effect over R's (a ratio of ratios, 1 = the same effect), "
          "corrected the same way: **differs** / **same** (within +-%g%%) / inconclusive." %
          (100 * min_effect),
          "- Only what was measured the same way is compared: CPU metrics are not "
          "compared between a host that counts instructions (QEMU icount) and one that "
          "counts time, and IOPS and latency are descriptive where either host ran in "
          "virtual time. Emulated and real hardware are compared as they are: the "
          "difference then includes the emulation.", ""]
    for metric in H.HOST_METRICS:
        eff = tables.host_effects_markdown(hs, effects, diffs, metric, comp_label)
        lev = tables.host_levels_markdown(hs, levels, metric, lambda c: cell_label(c, short=True))
        if not (eff or lev):
            continue
        name = metric_name(metric, measure)
        L += ["### %s" % (name[0].upper() + name[1:]), ""]
        if eff:
            cs = [c for c in diffs if c.metric == metric]
            L += ["Effects by host (change vs baseline [95%% CI] and verdict, each host's "
                  "own)%s:" % ("; host difference of the effect: %d differ, %d same, %d "
                               "inconclusive, %d descriptive of %d" % (
                                   sum(c.verdict == "differs" for c in cs),
                                   sum(c.verdict == "same" for c in cs),
                                   sum(c.verdict == "inconclusive" for c in cs),
                                   sum(c.verdict == "descriptive" for c in cs), len(cs))
                               if cs else ""), "", eff]
        if lev:
            cs = [c for c in levels if c.metric == metric]
            L += ["Levels by host (median [bootstrap 95%% CI] (n); host vs %s: change [95%% "
                  "CI] and verdict; %d better, %d worse, %d same, %d inconclusive, %d "
                  "descriptive):" % (ref.label, *[sum(c.verdict == v for c in cs) for v in (
                      "better", "worse", "same", "inconclusive", "descriptive")]), "", lev]
    if only:
        L += ["Cells without an ok run on the reference host (not compared across hosts): "
              "%s%s." % (", ".join("%s on `%s`" % (cell_label(c, short=True), h)
                                   for h, c in only[:20]),
                         " and %d more" % (len(only) - 20) if len(only) > 20 else ""), ""]
    if figures:
        L += ["## Figures", ""]
        for f in figures:
            if f.endswith(".png"):
                L += ["![%s](%s)" % (os.path.basename(f)[:-4], os.path.relpath(f, out)), ""]
    L += ["Files: `hosts_cells.csv` (each host's cells), `hosts_levels.csv`, "
          "`hosts_effects.csv`, `hosts_effect_differences.csv`, `figures/hosts_*`, and "
          "each host's own report under `hosts/`.", ""]
    return "\n".join(L)
