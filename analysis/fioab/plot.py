"""matplotlib figures (PNG + SVG). Agg backend, no display needed."""
import math

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402

from .load import cell_dict, fmt_size  # noqa: E402
from .stats import METRICS, bin_percentiles  # noqa: E402

TAIL_PCTS = (50, 90, 99, 99.9, 99.99, 99.999)


def _save(fig, base, footer):
    if footer:
        fig.text(0.005, 0.005, footer, fontsize=7, color="0.35", ha="left", va="bottom")
    fig.savefig(base + ".png", dpi=110)
    fig.savefig(base + ".svg")
    plt.close(fig)
    return [base + ".png", base + ".svg"]


def _series_label(arm, source, numjobs, multi_nj):
    s = arm + ("/" + source if source else "")
    if multi_nj:
        s += " nj%d" % numjobs
    return s


def _colors(labels):
    """One colour per series label, the same in every panel of a figure."""
    cyc = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {lab: cyc[i % len(cyc)] for i, lab in enumerate(sorted(set(labels)))}


def _errs(s, m, scale):
    y = s.median[m] / scale
    if s.ci[m]:
        return y, y - s.ci[m][0] / scale, s.ci[m][1] / scale - y
    return y, 0.0, 0.0


def _groups(stats, pattern):
    return [s for s in stats if s.cell[2] == pattern and s.n > 0]


def metric_vs(stats, pattern, metric, xkey, panel_key, base, footer, scale, ylabel,
              logy=False):
    """Median with bootstrap-CI bars of `metric` vs xkey (bs or iodepth), one
    panel per value of panel_key, one line per arm/source/numjobs."""
    ss = _groups(stats, pattern)
    if not ss:
        return []
    panels = sorted({cell_dict(s.cell)[panel_key] for s in ss})
    multi_nj = len({s.cell[5] for s in ss}) > 1
    ncol = min(len(panels), 4)
    nrow = math.ceil(len(panels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol + 1.5, 3.6 * nrow + 0.6),
                             squeeze=False, sharey=False)
    colors = _colors(_series_label(s.cell[0], s.cell[1], s.cell[5], multi_nj) for s in ss)
    for ax, pv in zip(axes.flat, panels):
        lines = {}
        for s in ss:
            c = cell_dict(s.cell)
            if c[panel_key] != pv:
                continue
            lab = _series_label(c["arm"], c["source"], c["numjobs"], multi_nj)
            lines.setdefault(lab, []).append((c[xkey],) + _errs(s, metric, scale))
        for lab in sorted(lines):
            pts = sorted(lines[lab])
            x = [p[0] for p in pts]
            ax.errorbar(x, [p[1] for p in pts], yerr=[[p[2] for p in pts], [p[3] for p in pts]],
                        marker="o", ms=4, capsize=3, label=lab, color=colors[lab])
        ax.set_xscale("log", base=2)
        xs = sorted({cell_dict(s.cell)[xkey] for s in ss})
        ax.set_xticks(xs)
        ax.set_xticklabels([fmt_size(x) if xkey == "bs" else str(x) for x in xs])
        ax.minorticks_off()
        if logy:
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.set_title("%s, %s %s" % (pattern, {"iodepth": "QD", "bs": "bs"}[panel_key],
                                    fmt_size(pv) if panel_key == "bs" else pv), fontsize=10)
        ax.set_xlabel({"bs": "block size", "iodepth": "iodepth"}[xkey])
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles = [plt.Line2D([], [], color=colors[lab], marker="o", label=lab)
               for lab in sorted(colors)]
    fig.legend(handles=handles, loc="upper right", fontsize=8)
    fig.suptitle("%s (median, bootstrap 95%% CI)" % METRICS[metric][0])
    # fixed margins: tight_layout costs more than drawing here
    fig.subplots_adjust(left=0.07, right=0.86, bottom=0.16 / nrow, top=1 - 0.12 / nrow,
                        wspace=0.28, hspace=0.45)
    return _save(fig, base, footer)


def _tail_x(p):
    return 1.0 / (1.0 - p / 100.0)


def latency(stats, pattern, bs, base, footer):
    """Per iodepth: percentile curve (x = 1/(1-p), log) and CDF from the
    pooled json+ bins, one line per arm."""
    # plain fio json (not json+) has no bins: nothing to draw for those cells
    ss = [s for s in _groups(stats, pattern) if s.cell[3] == bs and len(s.bin_count)]
    if not ss:
        return []
    qds = sorted({s.cell[4] for s in ss})
    multi_nj = len({s.cell[5] for s in ss}) > 1
    fig, axes = plt.subplots(2, len(qds), figsize=(4.4 * len(qds) + 1.5, 7.2), squeeze=False)
    colors = _colors(_series_label(s.cell[0], s.cell[1], s.cell[5], multi_nj) for s in ss)
    for j, qd in enumerate(qds):
        at, ac = axes[0][j], axes[1][j]
        for s in sorted((s for s in ss if s.cell[4] == qd), key=lambda s: s.cell):
            c = cell_dict(s.cell)
            name = _series_label(c["arm"], c["source"], c["numjobs"], multi_nj)
            lab = "%s (n=%d)" % (name, s.n)
            cum = np.cumsum(s.bin_count)
            frac = cum / cum[-1]
            us = s.bin_ns / 1e3
            # tail curve: the exact percentile (fio's rule on the pooled bins)
            # at 300 log-spaced points of x = 1/(1-p), from p0 to p99.9999
            xs = np.logspace(0, 6, 300)
            ys = np.array(bin_percentiles(s.bin_ns, s.bin_count, 100 * (1 - 1 / xs))) / 1e3
            at.step(xs, ys, where="post", label=lab, color=colors[name])
            # CDF through exact (bin, cumulative fraction) points, at most ~400
            keep = np.unique(np.searchsorted(frac, np.linspace(0, 1, 400)).clip(max=len(frac) - 1))
            ac.step(us[keep], frac[keep], where="post", color=colors[name], label=lab)
        at.set_xscale("log")
        at.set_yscale("log")
        at.set_xticks([_tail_x(p) for p in TAIL_PCTS])
        at.set_xticklabels(["p%g" % p for p in TAIL_PCTS], fontsize=8)
        at.minorticks_off()
        at.set_xlim(1, _tail_x(TAIL_PCTS[-1]))
        at.set_ylabel("latency (us)")
        at.set_title("%s %s QD%d: percentiles" % (pattern, fmt_size(bs), qd), fontsize=10)
        at.grid(alpha=0.3, which="both")
        ac.set_xscale("log")
        ac.set_xlabel("latency (us)")
        ac.set_ylabel("fraction of I/Os")
        ac.set_title("CDF (pooled json+ bins)", fontsize=10)
        ac.grid(alpha=0.3)
        at.legend(fontsize=7)
    kind = ss[0].lat_kind
    fig.suptitle("%s latency, exact pooled over repeats and jobs" %
                 ("submission-to-completion (lat)" if kind == "lat" else "completion (clat)"))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.1, top=0.9, wspace=0.3, hspace=0.38)
    return _save(fig, base, footer)


def heatmap(comps, pattern, metric, base_arm, arm, numjobs, base, footer):
    """Relative change (candidate/baseline - 1) over bs x iodepth."""
    cs = [c for c in comps if c.metric == metric and c.key[0] == base_arm
          and c.key[1] == arm and c.key[3] == pattern and c.key[6] == numjobs]
    if not cs:
        return []
    bss = sorted({c.key[4] for c in cs})
    qds = sorted({c.key[5] for c in cs})
    z = np.full((len(bss), len(qds)), np.nan)
    alpha = np.full(z.shape, 0.3)     # faded unless the change holds
    for c in cs:
        i, j = bss.index(c.key[4]), qds.index(c.key[5])
        z[i, j] = 100 * (c.ratio - 1)
        if c.verdict in ("better", "worse"):
            alpha[i, j] = 1.0
    lim = max(10.0, float(np.nanmax(np.abs(z)))) if np.isfinite(z).any() else 10.0
    lower_better = METRICS[metric][2]
    cmap = "RdBu_r" if lower_better else "RdBu"   # red = worse, blue = better
    fig, ax = plt.subplots(figsize=(1.4 * len(qds) + 3.2, 1.0 * len(bss) + 2.2))
    im = ax.imshow(z, cmap=cmap, norm=TwoSlopeNorm(0, -lim, lim), aspect="auto",
                   alpha=alpha)
    for c in cs:
        i, j = bss.index(c.key[4]), qds.index(c.key[5])
        txt = "%+.1f%%\n" % (100 * (c.ratio - 1))
        if c.ci:
            txt += "[%+.0f..%+.0f]\n" % (100 * (c.ci[0] - 1), 100 * (c.ci[1] - 1))
        txt += c.verdict
        if c.verdict not in ("better", "worse"):
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                       hatch="//", edgecolor="0.75", lw=0))
        ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                fontweight="bold" if c.verdict in ("better", "worse") else "normal",
                bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85))
    ax.set_xticks(range(len(qds)))
    ax.set_xticklabels(["QD%d" % q for q in qds])
    ax.set_yticks(range(len(bss)))
    ax.set_yticklabels([fmt_size(b) for b in bss])
    ax.set_xlabel("iodepth")
    ax.set_ylabel("block size")
    ax.set_title("%s: %s vs %s, %s nj%d\n(faded, hatched: no significant change of at least the minimum effect)"
                 % (METRICS[metric][0], arm, base_arm, pattern, numjobs), fontsize=9)
    fig.colorbar(im, ax=ax, label="change vs %s (%%)" % base_arm)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, base, footer)


def forest(comps, metric, base, footer, title, min_effect):
    """Every declared comparison of one metric as a point (Hodges-Lehmann
    change) with its 95% CI, the +-min_effect band shaded."""
    cs = [c for c in comps if c.metric == metric and c.family and c.ci]
    if not cs:
        return []
    cs.sort(key=lambda c: (c.cand_label, c.base_label, c.key[3], c.key[4], c.key[5]))
    y = np.arange(len(cs))[::-1]
    mid = np.array([100 * (c.ratio - 1) for c in cs])
    lo = np.array([100 * (c.ci[0] - 1) for c in cs])
    hi = np.array([100 * (c.ci[1] - 1) for c in cs])
    colour = {"better": "tab:blue", "worse": "tab:red", "same": "tab:green"}
    fig, ax = plt.subplots(figsize=(8.5, 1.2 + 0.26 * len(cs)))
    band = 100 * min_effect
    ax.axvspan(-band, band, color="0.9", zorder=0)
    ax.axvline(0, color="0.5", lw=0.8, zorder=1)
    for i, c in enumerate(cs):
        ax.errorbar(mid[i], y[i], xerr=[[mid[i] - lo[i]], [hi[i] - mid[i]]], fmt="o", ms=4,
                    color=colour.get(c.verdict, "0.45"), capsize=2, lw=1.2, zorder=2)
    # small and large effects on one axis: linear within +-10%, log beyond
    ax.set_xscale("symlog", linthresh=10)
    ax.set_yticks(y)
    ax.set_yticklabels(["%s vs %s  %s %s QD%d%s" % (
        c.cand_label + ("/" + c.key[2] if c.key[2] else ""), c.base_label, c.key[3],
        fmt_size(c.key[4]), c.key[5], "" if c.key[6] == 1 else " nj%d" % c.key[6])
        for c in cs], fontsize=7)
    ax.set_xlabel("change vs baseline (%%; linear to +-10%%, log beyond), Hodges-Lehmann "
                  "estimate and 95%% CI; grey band: +-%g%% ('same')" % band, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", color="0.85", lw=0.5)
    handles = [plt.Line2D([], [], color=v, marker="o", ls="", label=k)
               for k, v in list(colour.items()) + [("inconclusive", "0.45")]]
    ax.legend(handles=handles, fontsize=7, loc="best")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, base, footer)


def drift(_data, label, cells, what, ylabel, base, footer):
    """Per-round values of both arms of one declared comparison, one panel
    per cell: drift across the run is shown, not averaged away. `cells` is
    [(title, [(round, baseline value, candidate value)])]."""
    cells = [c for c in cells if c[1]]
    if not cells:
        return []
    cols = min(4, len(cells))
    rows = (len(cells) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.3 * cols, 2.4 * rows + 0.6),
                             squeeze=False)
    cand, basearm = label.split(":")
    for ax, (title, pts) in zip(axes.flat, cells):
        pts = sorted(pts)
        r = [p[0] for p in pts]
        ax.plot(r, [p[1] / 1e3 for p in pts], "o-", ms=3, lw=1, label=basearm)
        ax.plot(r, [p[2] / 1e3 for p in pts], "s-", ms=3, lw=1, label=cand)
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("round", fontsize=7)
        ax.set_ylabel(ylabel, fontsize=7)
    for ax in list(axes.flat)[len(cells):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("%s vs %s, every pair in run order: %s" % (cand, basearm, what), fontsize=9)
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    return _save(fig, base, footer)


def hosts_metric_vs(hosts, pattern, metric, xkey, panel_key, base, footer, scale, ylabel):
    """The hosts side by side: one column per host, one row per value of
    panel_key (iodepth), `metric` (median, bootstrap CI) vs xkey, one line
    per arm, the same colours and y range in every column of a row.
    `hosts` is [(label, [CellStats])]."""
    hs = [(lab, _groups(st, pattern)) for lab, st in hosts]
    hs = [(lab, ss) for lab, ss in hs if ss]
    if len(hs) < 2:
        return []
    panels = sorted({cell_dict(s.cell)[panel_key] for _, ss in hs for s in ss})
    multi_nj = len({s.cell[5] for _, ss in hs for s in ss}) > 1
    colors = _colors(_series_label(s.cell[0], s.cell[1], s.cell[5], multi_nj)
                     for _, ss in hs for s in ss)
    xs = sorted({cell_dict(s.cell)[xkey] for _, ss in hs for s in ss})
    fig, axes = plt.subplots(len(panels), len(hs), figsize=(3.9 * len(hs) + 1.6,
                                                            3.0 * len(panels) + 0.8),
                             squeeze=False, sharey="row")
    for i, pv in enumerate(panels):
        for j, (lab, ss) in enumerate(hs):
            ax = axes[i][j]
            lines = {}
            for s in ss:
                c = cell_dict(s.cell)
                if c[panel_key] == pv:
                    name = _series_label(c["arm"], c["source"], c["numjobs"], multi_nj)
                    lines.setdefault(name, []).append((c[xkey],) + _errs(s, metric, scale))
            for name in sorted(lines):
                pts = sorted(lines[name])
                ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                            yerr=[[p[2] for p in pts], [p[3] for p in pts]], marker="o",
                            ms=4, capsize=3, color=colors[name], label=name)
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs)
            ax.set_xticklabels([fmt_size(x) if xkey == "bs" else str(x) for x in xs],
                               fontsize=8)
            ax.minorticks_off()
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
            ax.set_title("%s\n%s, %s %s" % (lab, pattern, {"iodepth": "QD", "bs": "bs"}[panel_key],
                                             fmt_size(pv) if panel_key == "bs" else pv),
                         fontsize=9)
            if i == len(panels) - 1:
                ax.set_xlabel({"bs": "block size", "iodepth": "iodepth"}[xkey])
            if j == 0:
                ax.set_ylabel(ylabel)
    handles = [plt.Line2D([], [], color=colors[n], marker="o", label=n) for n in sorted(colors)]
    fig.legend(handles=handles, loc="upper right", fontsize=8)
    fig.suptitle("%s by host (median, bootstrap 95%% CI; each host's own runs)"
                 % METRICS[metric][0], fontsize=10)
    fig.subplots_adjust(left=0.08, right=0.84, bottom=0.1 / len(panels) + 0.04,
                        top=1 - 0.12 / len(panels) - 0.05, wspace=0.12, hspace=0.55)
    return _save(fig, base, footer)


def hosts_forest(effects, metric, labels, base, footer, title, min_effect):
    """Each comparison that several hosts made, one row per comparison and
    cell, one point (estimate and 95% CI) per host, side by side.
    `effects` is {(comparison key, metric): {host label: Comparison}}."""
    rows = [(k[0], v) for k, v in effects.items() if k[1] == metric and
            any(not math.isnan(c.ratio) for c in v.values())]
    if not rows:
        return []
    cyc = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(8.8, 2.0 + 0.25 * len(rows) * len(labels)))
    band = 100 * min_effect
    ax.axvspan(-band, band, color="0.9", zorder=0)
    ax.axvline(0, color="0.5", lw=0.8, zorder=1)
    step = 0.8 / len(labels)
    ticks, names = [], []
    for r, (key, per) in enumerate(rows):
        y0 = len(rows) - 1 - r
        ticks.append(y0)
        names.append("%s vs %s  %s %s QD%d%s" % (
            key[1] + ("/" + key[2] if key[2] else ""), key[0], key[3], fmt_size(key[4]),
            key[5], "" if key[6] == 1 else " nj%d" % key[6]))
        for j, lab in enumerate(labels):
            c = per.get(lab)
            if c is None or math.isnan(c.ratio):
                continue
            y = y0 + 0.4 - step * (j + 0.5)
            mid = 100 * (c.ratio - 1)
            # no 95% CI at this n: the estimate alone
            lo, hi = (100 * (c.ci[0] - 1), 100 * (c.ci[1] - 1)) if c.ci else (mid, mid)
            ax.errorbar(mid, y, xerr=[[mid - lo], [hi - mid]], fmt="o", ms=3.5, capsize=2,
                        lw=1.1, color=cyc[j % len(cyc)], zorder=2,
                        mfc="white" if c.verdict not in ("better", "worse", "same") else None)
    ax.set_xscale("symlog", linthresh=10)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(ticks)
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel("change vs baseline (%%; linear to +-10%%, log beyond): each host's own "
                  "estimate and 95%% CI\n(no bar: too few runs for one; open: no verdict; "
                  "grey band: +-%g%%)" % band, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", color="0.85", lw=0.5)
    handles = [plt.Line2D([], [], color=cyc[j % len(cyc)], marker="o", ls="", label=lab)
               for j, lab in enumerate(labels)]
    ax.legend(handles=handles, fontsize=7, loc="best")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, base, footer)
