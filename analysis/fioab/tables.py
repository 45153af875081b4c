"""CSV rows and markdown tables of cells and comparisons."""
import csv
import math

from .load import CELL_KEYS, cell_dict, fmt_size
from .stats import METRICS, PERCENTILES

# how a metric is shown: (divisor, unit)
SHOW = {
    "cpu_ns_per_io": (1e3, "us"),
    "sys_cpu_ns_per_io": (1e3, "us"),
    "ctx_per_io": (1, ""),
    "iops": (1e3, "k"),
    "bw_bytes": (1 << 20, "MiB/s"),
    "lat_mean_ns": (1e3, "us"),
    "lat_p50_ns": (1e3, "us"),
    "lat_p99_ns": (1e3, "us"),
    "lat_p99.9_ns": (1e3, "us"),
    "read_lat_mean_ns": (1e3, "us"),
    "read_lat_p99_ns": (1e3, "us"),
    "write_lat_mean_ns": (1e3, "us"),
    "write_lat_p99_ns": (1e3, "us"),
    "cycles_per_io": (1, ""),
    "instructions_per_io": (1, ""),
}


def num(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    d = max(0, digits - 1 - mag)
    return "%.*f" % (d, x)


def show(metric, x):
    div, _ = SHOW[metric]
    return num(x / div if x is not None else None)


def show_ci(metric, ci):
    if ci is None:
        return ""
    return "%s..%s" % (show(metric, ci[0]), show(metric, ci[1]))


def pct_name(p):
    return "p%g" % p


def cell_rows(stats):
    rows = []
    for s in stats:
        r = dict(cell_dict(s.cell))
        r["source"] = r["source"] or ""
        r.update(n=s.n, failed=s.failed, skipped=s.skipped)
        for m in METRICS:
            r[m + "_median"] = s.median[m]
            r[m + "_ci_lo"] = s.ci[m][0] if s.ci[m] else ""
            r[m + "_ci_hi"] = s.ci[m][1] if s.ci[m] else ""
            r[m + "_cv"] = s.cv[m]
        r["lat_kind"] = s.lat_kind
        r["pooled_lat_samples"] = s.pooled_n
        r["pooled_lat_mean_ns"] = s.pooled_mean_ns
        for p in PERCENTILES:
            r["pooled_lat_%s_ns" % pct_name(p)] = s.pooled_pct[p]
        rows.append(r)
    return rows


def comparison_rows(comps, key_names):
    rows = []
    for c in comps:
        r = dict(zip(key_names, c.key))
        if "source" in r:
            r["source"] = r["source"] or ""
        r.update(metric=c.metric, base=c.base_label, candidate=c.cand_label,
                 n_base=c.n_base, n_cand=c.n_cand, base_median=c.base_median,
                 cand_median=c.cand_median, ratio=c.ratio,
                 ratio_ci_lo=c.ci[0] if c.ci else "",
                 ratio_ci_hi=c.ci[1] if c.ci else "",
                 change_pct=100 * (c.ratio - 1), p=c.p, p_adj=c.p_adj,
                 p_same=c.p_same, p_same_adj=c.p_same_adj,
                 test="signed-rank (paired)" if c.paired else "rank-sum (unpaired)",
                 min_effect=c.min_effect, verdict=c.verdict, why=c.why)
        rows.append(r)
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        if not rows:
            f.write("")
            return
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("%.6g" % v if isinstance(v, float) and not math.isnan(v)
                            else "" if isinstance(v, float) else v)
                        for k, v in r.items()})


def md_table(header, rows, align=None):
    align = align or ["---"] * len(header)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(x).replace("|", "/") for x in r) + " |")
    return "\n".join(out) + "\n"


def cells_markdown(stats, measure="time"):
    cpu = ["CPU us/IO [95% CI]", "system CPU us/IO"] if measure != "instructions" else \
        ["k instructions/IO, fio's threads [95% CI]", "k instructions/IO, system-wide"]
    virt = " (virtual time)" if measure == "instructions" else ""
    header = ["arm", "pattern", "bs", "QD", "jobs", "n"] + cpu + [
              "ctx/IO", "kIOPS%s [95%% CI]" % virt, "MiB/s",
              "lat mean us", "p50 us", "p99 us", "p99.9 us", "p99.99 us",
              "read / write p99 us"]
    rows = []
    for s in stats:
        c = cell_dict(s.cell)
        arm = c["arm"] + ("/" + c["source"] if c["source"] else "")
        n = str(s.n)
        if s.failed or s.skipped:
            n += " (%s)" % ", ".join(x for x in (
                "%d failed" % s.failed if s.failed else "",
                "%d skipped" % s.skipped if s.skipped else "") if x)
        if s.n == 0:
            rows.append([arm, c["pattern"], fmt_size(c["bs"]), c["iodepth"],
                         c["numjobs"], n] + ["-"] * 11)
            continue

        def mci(m):
            v = show(m, s.median[m])
            return v + (" [%s]" % show_ci(m, s.ci[m]) if s.ci[m] else "")
        mixed = c["pattern"] in ("randrw", "rw")
        rows.append([arm, c["pattern"], fmt_size(c["bs"]), c["iodepth"], c["numjobs"], n,
                     mci("cpu_ns_per_io"), show("sys_cpu_ns_per_io", s.median["sys_cpu_ns_per_io"]),
                     num(s.median["ctx_per_io"]), mci("iops"),
                     show("bw_bytes", s.median["bw_bytes"]),
                     num(s.pooled_mean_ns / 1e3)] +
                    [num(s.pooled_pct[p] / 1e3) for p in (50.0, 99.0, 99.9, 99.99)] +
                    ["%s / %s" % (show("read_lat_p99_ns", s.median["read_lat_p99_ns"]),
                                  show("write_lat_p99_ns", s.median["write_lat_p99_ns"]))
                     if mixed else ""])
    return md_table(header, rows, ["---"] * 5 + ["--:"] * 12)


def change_text(c):
    if math.isnan(c.ratio):
        return "-"
    s = "%+.1f%%" % (100 * (c.ratio - 1))
    if c.ci:
        s += " [%+.1f..%+.1f]" % (100 * (c.ci[0] - 1), 100 * (c.ci[1] - 1))
    return s


VERDICT_MARK = {"better": "**better**", "worse": "**WORSE**", "same": "same",
                "inconclusive": "inconclusive", "descriptive": "(descriptive)"}


def comparisons_markdown(comps, metrics, label_of):
    """One row per compared cell, one column group per metric."""
    by = {}
    order = []
    for c in comps:
        if c.key not in by:
            by[c.key] = {}
            order.append(c.key)
        by[c.key][c.metric] = c
    header = ["cell", "n"]
    for m in metrics:
        header += ["%s change [95%% CI]" % METRICS[m][0], "verdict"]
    rows = []
    for k in order:
        first = next(iter(by[k].values()))
        row = [label_of(k), "%d vs %d" % (first.n_base, first.n_cand)]
        for m in metrics:
            c = by[k].get(m)
            row += [change_text(c), VERDICT_MARK[c.verdict]] if c else ["-", "-"]
        rows.append(row)
    return md_table(header, rows, ["---", "--:"] + ["--:", "---"] * len(metrics))


CELL_COLUMNS = CELL_KEYS


# ---- across hosts ---------------------------------------------------------------

def host_cell_rows(hosts, metrics):
    """Long rows: one per host, cell and metric (each host's own n, median
    and bootstrap CI)."""
    rows = []
    for h in hosts:
        for s in h.stats:
            for m in metrics:
                r = {"host": h.label}
                r.update(cell_dict(s.cell))
                r["source"] = r["source"] or ""
                r.update(metric=m, n=s.n, median=s.median[m],
                         ci_lo=s.ci[m][0] if s.ci[m] else "",
                         ci_hi=s.ci[m][1] if s.ci[m] else "")
                rows.append(r)
    return rows


def host_effect_rows(effects):
    """Long rows of each host's own comparisons side by side."""
    rows = []
    for (key, metric), per in effects.items():
        for host, c in per.items():
            r = {"host": host}
            r.update(comparison_rows([c], ("baseline_arm",) + CELL_KEYS)[0])
            rows.append(r)
    return rows


def _median_ci(metric, s):
    if s is None or s.n == 0:
        return "-"
    v = show(metric, s.median[metric])
    if not v:
        return "-"
    return v + (" [%s]" % show_ci(metric, s.ci[metric]) if s.ci[metric] else "") + \
        " (n=%d)" % s.n


def host_levels_markdown(hosts, levels, metric, label_of):
    """One row per cell that the reference host and another host both ran:
    each host's median [CI] (n), then each host against the reference."""
    ref = hosts[0]
    by = {(c.key[1], c.key[2:]): c for c in levels if c.metric == metric}
    cells = sorted({k[1] for k in by}, key=lambda c: tuple(
        (0, v) if isinstance(v, int) else (1, v or "") for v in c))
    if not cells:
        return ""
    stats = {h.label: {s.cell: s for s in h.stats} for h in hosts}
    header = ["cell"] + ["%s%s" % (h.label, " (reference)" if h is ref else "")
                         for h in hosts] + \
        ["%s / %s [95%% CI]" % (h.label, ref.label) for h in hosts[1:]]
    rows = []
    for cell in cells:
        row = [label_of(cell)] + [_median_ci(metric, stats[h.label].get(cell)) for h in hosts]
        for h in hosts[1:]:
            c = by.get((h.label, cell))
            row.append("%s %s" % (change_text(c), VERDICT_MARK[c.verdict]) if c else "-")
        rows.append(row)
    return md_table(header, rows, ["---"] + ["--:"] * (len(header) - 1))


def host_effects_markdown(hosts, effects, diffs, metric, label_of):
    """One row per comparison and cell that several hosts made: each host's
    change [CI] and verdict, then (paired comparisons) how each host's
    effect compares with the reference host's."""
    ref = hosts[0]
    rows_in = [(k[0], v) for k, v in effects.items() if k[1] == metric]
    if not rows_in:
        return ""
    dby = {}
    for c in diffs:
        if c.metric == metric:
            label, _r, host = c.key[:3]
            dby[(label, host, c.key[3:])] = c
    header = ["comparison, cell"] + [h.label for h in hosts] + \
        ["effect on %s / on %s [95%% CI]" % (h.label, ref.label) for h in hosts[1:]]
    rows = []
    for key, per in rows_in:
        row = [label_of(key)]
        for h in hosts:
            c = per.get(h.label)
            row.append("%s %s" % (change_text(c), VERDICT_MARK[c.verdict]) if c else "-")
        for h in hosts[1:]:
            d = dby.get(("%s:%s" % (key[1], key[0]), h.label, key[1:]))
            row.append("%s %s" % (change_text(d), d.verdict) if d else "-")
        rows.append(row)
    return md_table(header, rows, ["---"] + ["--:"] * (len(header) - 1))
