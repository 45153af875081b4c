"""Statistics per cell: exact pooled percentiles, medians, bootstrap CIs.

Pure functions on numpy arrays and the Run/ResultSet of load.py.
"""
import math
import zlib
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

PERCENTILES = (50.0, 90.0, 99.0, 99.9, 99.99)
# per-run metric: (attribute or function, unit label, lower is better)
METRICS = {
    "cpu_ns_per_io": ("CPU time per I/O", "ns", True),
    "sys_cpu_ns_per_io": ("system-wide CPU time per I/O", "ns", True),
    "ctx_per_io": ("context switches per I/O", "", True),
    "iops": ("IOPS", "IO/s", False),
    "bw_bytes": ("bandwidth", "B/s", False),
    "lat_mean_ns": ("mean latency", "ns", True),
    "lat_p50_ns": ("p50 latency", "ns", True),
    "lat_p99_ns": ("p99 latency", "ns", True),
    "lat_p99.9_ns": ("p99.9 latency", "ns", True),
    "read_lat_mean_ns": ("read mean latency", "ns", True),
    "read_lat_p99_ns": ("read p99 latency", "ns", True),
    "write_lat_mean_ns": ("write mean latency", "ns", True),
    "write_lat_p99_ns": ("write p99 latency", "ns", True),
    "cycles_per_io": ("PMU cycles per I/O, system-wide", "", True),
    "instructions_per_io": ("PMU instructions per I/O, system-wide", "", True),
}
# What the CPU metrics are called when the CPU clock counts instructions
# (QEMU icount: 1 ns of guest CPU time = 1 guest instruction).
INSTRUCTION_NAMES = {
    "cpu_ns_per_io": "guest instructions per I/O in fio's threads (QEMU icount, emulated)",
    "sys_cpu_ns_per_io": "guest instructions per I/O, system-wide (QEMU icount, emulated)",
}
CPU_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "cycles_per_io", "instructions_per_io")


def metric_name(metric, measure="time"):
    """What a metric is called in tables and headlines for this run's
    measurement mode (meta.json measure.cpu)."""
    if measure == "instructions" and metric in INSTRUCTION_NAMES:
        return INSTRUCTION_NAMES[metric]
    return METRICS[metric][0]
BOOT_RESAMPLES = 10000
CONFIDENCE = 0.95


def percentile_counts(n, pcts):
    """Sample counts fio's percentile rule needs: first bin with cum >= p/100*N.

    Exact rational arithmetic on the double fio parses the percentile into,
    so ties at whole numbers fall the same way as in fio (stat.c).
    """
    return [max(1, math.ceil(Fraction(float(p)) * n / 100)) for p in pcts]


def bin_percentiles(bin_ns, bin_count, pcts=PERCENTILES):
    """Percentiles of a json+ histogram the way fio computes them."""
    n = int(bin_count.sum())
    if n == 0:
        return [math.nan for _ in pcts]
    cum = np.cumsum(bin_count)
    idx = np.searchsorted(cum, percentile_counts(n, pcts), side="left")
    return [int(bin_ns[min(i, len(bin_ns) - 1)]) for i in idx]


def merge_bins(pairs):
    """Sum (bin_ns, bin_count) histograms; returns sorted keys and counts."""
    pairs = list(pairs)
    keys = np.concatenate([k for k, _ in pairs])
    counts = np.concatenate([c for _, c in pairs])
    keys, inv = np.unique(keys, return_inverse=True)
    return keys, np.bincount(inv, weights=counts, minlength=len(keys)).astype(np.int64)


def run_values(run):
    """Per-run metric values (one replicate)."""
    p50, p99, p999 = bin_percentiles(run.bin_ns, run.bin_count, (50.0, 99.0, 99.9))
    v = {"cpu_ns_per_io": run.cpu_ns_per_io, "sys_cpu_ns_per_io": run.sys_cpu_ns_per_io,
         "ctx_per_io": run.ctx_per_io,
         "iops": run.iops, "bw_bytes": run.bw_bytes,
         "lat_mean_ns": run.lat_mean_ns, "lat_p50_ns": p50,
         "lat_p99_ns": p99, "lat_p99.9_ns": p999}
    for ev in ("cycles", "instructions"):
        # "cycles", "cycles:u", "cpu_core/cycles/" (hybrid CPUs: summed)
        got = [c for name, c in run.pmu.items()
               if name.split(":")[0].strip("/").split("/")[-1] == ev]
        v[ev + "_per_io"] = sum(got) / run.ios if got else math.nan
    for d in ("read", "write"):
        keys, counts, n, total = run.lat_dir.get(d, (None, None, 0, 0.0))
        v[d + "_lat_mean_ns"] = total / n if n else math.nan
        v[d + "_lat_p99_ns"] = bin_percentiles(keys, counts, (99.0,))[0] if n else math.nan
    return v


def seed_for(*parts):
    """A stable seed from labels, so every report of the same data is identical."""
    return zlib.crc32(repr(parts).encode())


def bootstrap_median_ci(x, seed, resamples=BOOT_RESAMPLES, conf=CONFIDENCE):
    """Percentile-bootstrap CI of the median; None when n < 2."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return None
    rng = np.random.default_rng(seed)
    meds = np.median(x[rng.integers(0, len(x), (resamples, len(x)))], axis=1)
    a = (1 - conf) / 2
    lo, hi = np.quantile(meds, [a, 1 - a])
    return float(lo), float(hi)


def bootstrap_ratio_ci(base, cand, seed, resamples=BOOT_RESAMPLES, conf=CONFIDENCE):
    """Percentile-bootstrap CI of median(cand)/median(base), groups resampled
    independently; None when either side has fewer than 2 values."""
    a = np.asarray(base, dtype=float)
    b = np.asarray(cand, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return None
    rng = np.random.default_rng(seed)
    ma = np.median(a[rng.integers(0, len(a), (resamples, len(a)))], axis=1)
    mb = np.median(b[rng.integers(0, len(b), (resamples, len(b)))], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = mb / ma
    r = r[np.isfinite(r)]
    if len(r) == 0:
        return None
    q = (1 - conf) / 2
    lo, hi = np.quantile(r, [q, 1 - q])
    return float(lo), float(hi)


def boot_medians(X, seed, resamples=BOOT_RESAMPLES):
    """Bootstrap distribution of the median for each row of X (metrics x
    repeats), all rows resampled with the same repeat indices (a joint
    resample of whole runs). Returns (rows x resamples) or None if n < 2."""
    X = np.asarray(X, dtype=float)
    n = X.shape[1]
    if n < 2:
        return None
    rng = np.random.default_rng(seed)
    R = X[:, rng.integers(0, n, (resamples, n))]          # rows x B x n
    mid = [(n - 1) // 2, n // 2]
    R.partition(mid, axis=2)
    return 0.5 * (R[:, :, mid[0]] + R[:, :, mid[1]])


def quantile_ci(dist, conf=CONFIDENCE):
    a = (1 - conf) / 2
    lo, hi = np.quantile(dist, [a, 1 - a])
    return float(lo), float(hi)


@dataclass
class CellStats:
    cell: tuple
    n: int                        # ok repeats
    failed: int                   # repeats with status failed
    skipped: int
    values: dict                  # metric -> np.array over repeats (repeat order)
    median: dict                  # metric -> float
    ci: dict                      # metric -> (lo, hi) or None
    cv: dict                      # metric -> coefficient of variation or nan
    pooled_pct: dict              # percentile -> ns, exact over all repeats and jobs
    pooled_mean_ns: float
    pooled_n: int                 # latency samples pooled
    lat_kind: str
    bin_ns: np.ndarray = field(repr=False, default=None)
    bin_count: np.ndarray = field(repr=False, default=None)
    reasons: list = field(default_factory=list)
    boot: dict = field(repr=False, default_factory=dict)  # metric -> bootstrap medians
    runs: list = field(repr=False, default_factory=list)  # the ok Runs, repeat order


def cell_stats(rs, resamples=BOOT_RESAMPLES, salt=""):
    """CellStats for every cell of a ResultSet, sorted by cell. `salt` keeps
    the bootstrap draws of two result sets independent."""
    by_cell = {}
    for e in rs.entries:
        by_cell.setdefault(e.cell, []).append(e)
    out = []
    for cell in sorted(by_cell, key=_cell_sort_key):
        es = sorted(by_cell[cell], key=lambda e: e.repeat)
        runs = [e.run for e in es if e.run is not None]
        vals = {m: np.array([]) for m in METRICS}
        if runs:
            per = [run_values(r) for r in runs]
            vals = {m: np.array([p[m] for p in per], dtype=float) for m in METRICS}
        med = {m: float(np.median(v)) if len(v) else math.nan for m, v in vals.items()}
        bm = boot_medians(np.array([vals[m] for m in METRICS]).reshape(len(METRICS), -1),
                          seed_for(salt, cell), resamples) if len(runs) > 1 else None
        boot = dict(zip(METRICS, bm)) if bm is not None else {}
        ci = {m: quantile_ci(boot[m]) if m in boot else None for m in METRICS}
        cv = {m: float(np.std(v, ddof=1) / np.mean(v)) if len(v) > 1 and np.mean(v)
              else math.nan for m, v in vals.items()}
        if runs:
            keys, counts = merge_bins((r.bin_ns, r.bin_count) for r in runs)
            pooled = dict(zip(PERCENTILES, bin_percentiles(keys, counts)))
            pn = sum(r.lat_n for r in runs)
            pmean = sum(r.lat_sum_ns for r in runs) / pn
            kind = runs[0].lat_kind
        else:
            keys = counts = None
            pooled = {p: math.nan for p in PERCENTILES}
            pn, pmean, kind = 0, math.nan, ""
        out.append(CellStats(
            cell=cell, n=len(runs),
            failed=sum(e.status == "failed" for e in es),
            skipped=sum(e.status == "skipped" for e in es),
            values=vals, median=med, ci=ci, cv=cv, pooled_pct=pooled,
            pooled_mean_ns=pmean, pooled_n=pn, lat_kind=kind,
            bin_ns=keys, bin_count=counts, boot=boot, runs=runs,
            reasons=sorted({str(e.reason) for e in es if e.status != "ok" and e.reason})))
    return out


def _cell_sort_key(cell):
    return tuple((0, v) if isinstance(v, int) else (1, v or "") for v in cell)
