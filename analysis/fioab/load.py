"""Read and validate a result directory and the fio json+ files in it.

Everything that is wrong with an input raises LoadError naming the file and
the problem; nothing is skipped silently. The numbers kept per run are the
ones the statistics need (see Run).
"""
import datetime
import os
import re
from dataclasses import dataclass, field

import numpy as np

from . import fiojson
from .fio import DDIRS, FIO_JSON, check_doc, fmt_size, parse_size
from .jsondoc import LoadError, load_json, need, parse_json, read_text
from .stats import merge_bins

# the parts of a cell that identify it; repeats of one cell are replicates
CELL_KEYS = ("arm", "source", "pattern", "bs", "iodepth", "numjobs")
STATUSES = ("ok", "skipped", "failed")
META_SCHEMA = 1


@dataclass
class Run:
    """One fio invocation (one replicate of one cell), all jobs summed."""
    run_id: str
    cell: tuple            # values of CELL_KEYS
    repeat: int
    order: int
    ios: int               # data I/Os completed, all jobs and directions
    cpu_s: float           # (usr+sys)/100 * job_runtime, summed over jobs
    ctx: int               # context switches, summed over jobs
    iops: float            # summed over jobs (they run concurrently)
    bw_bytes: float        # B/s, summed over jobs
    runtime_ms: int        # longest direction runtime of any job
    lat_kind: str          # "lat" (submit to completion) or "clat"
    lat_n: int             # latency samples
    lat_sum_ns: float      # sum of latencies (mean * N, summed exactly)
    bin_ns: np.ndarray     # json+ bin values (bucket midpoints), sorted
    bin_count: np.ndarray  # counts per bin, pooled over jobs and directions
    fio_pct: list = field(default_factory=list)  # fio's own percentiles per job/ddir
    fio_version: str = ""
    path: str = ""
    # per direction: {"read": (bin_ns, bin_count, n, sum_ns)}, so that mixed
    # patterns report read and write latency apart
    lat_dir: dict = field(default_factory=dict)
    windows: list = field(default_factory=list)  # per job (job_start ms, job_runtime ms)
    sys_cpu_s: float = float("nan")  # system-wide busy CPU over the measured window
    sys_cpu_res_s: float = float("nan")  # its resolution: two /proc/stat units
    pmu: dict = field(default_factory=dict)  # perf stat event -> system-wide count in it

    @property
    def cpu_ns_per_io(self):
        """CPU time of fio's job threads per data I/O (see parse_fio)."""
        return self.cpu_s * 1e9 / self.ios

    @property
    def sys_cpu_ns_per_io(self):
        return self.sys_cpu_s * 1e9 / self.ios

    @property
    def ctx_per_io(self):
        return self.ctx / self.ios

    @property
    def lat_mean_ns(self):
        return self.lat_sum_ns / self.lat_n


@dataclass
class Entry:
    """One runs/<run_id> directory as the runner described it."""
    run_id: str
    cell: tuple
    repeat: int
    order: int
    status: str
    reason: object
    run: object = None     # Run when status is ok
    pair: object = None    # {"compare", "round", "position"} when run as a pair
    round: int = 0         # the runner's round (= repeat when nothing is paired)


@dataclass
class ResultSet:
    path: str
    meta: dict
    entries: list
    warnings: list = field(default_factory=list)

    @property
    def runs(self):
        return [e.run for e in self.entries if e.run is not None]


def cell_dict(cell):
    return dict(zip(CELL_KEYS, cell))


def cell_label(cell, short=False):
    c = cell_dict(cell)
    bs = fmt_size(c["bs"])
    s = "%s%s %s %s QD%d" % (c["arm"], "/" + c["source"] if c["source"] else "",
                             c["pattern"], bs, c["iodepth"])
    if c["numjobs"] != 1 or not short:
        s += " nj%d" % c["numjobs"]
    return s


def _check_options(path, jobs, doc, cell):
    """Cross-check the explicitly set fio options against cell.json."""
    for i, job in enumerate(jobs):
        opts = fiojson.job_options(doc, job)
        c = cell_dict(cell)
        if "rw" in opts:
            rw = opts["rw"]
            if fiojson.pattern_of(rw) != c["pattern"]:
                raise LoadError(path, "jobs[%d] ran rw=%s but cell.json says "
                                "pattern %s" % (i, rw, c["pattern"]))
        if "bs" in opts and "," not in opts["bs"] and ":" not in opts["bs"]:
            try:
                bs = parse_size(opts["bs"])
            except ValueError:
                bs = None       # a size this check does not read: fio took it
            if bs is not None and bs != c["bs"]:
                raise LoadError(path, "jobs[%d] ran bs=%s but cell.json says "
                                "bs %d" % (i, opts["bs"], c["bs"]))
        if "iodepth" in opts:
            try:
                qd = int(opts["iodepth"])
            except ValueError:
                qd = None
            if qd is not None and qd != c["iodepth"]:
                raise LoadError(path, "jobs[%d] ran iodepth=%s but cell.json "
                                "says iodepth %d" % (i, opts["iodepth"], c["iodepth"]))


def parse_fio(path, doc, cell=None, run_id="", repeat=0, order=0, need_bins=True,
              plain_kind="lat"):
    """Turn one parsed fio json+ document into a Run (all jobs summed).
    It must be a good run as fio.check_doc defines it (the runner and the
    tests judge theirs with the same rule). With need_bins=False plain json
    (no latency bins) is taken too: the Run then has mean latencies from
    `plain_kind`_ns (N and mean) and no bins, so no latency percentiles."""
    check_doc(path, doc)
    jobs = doc["jobs"]
    if cell is not None:
        _check_options(path, jobs, doc, cell)
    ios = ctx = runtime_ms = lat_n = 0
    cpu_s = iops = bw = lat_sum = 0.0
    kinds = set()
    bins = []
    fio_pct = []
    windows = []
    per_dir = {}
    for i, job in enumerate(jobs):
        where = "jobs[%d]" % i
        jr = need(path, job, "job_runtime", int, where)
        usr = need(path, job, "usr_cpu", (int, float), where)
        sys_ = need(path, job, "sys_cpu", (int, float), where)
        ctx += need(path, job, "ctx", int, where)
        # CPU per I/O, the one definition (bench-overhead and the report take
        # it from Run.cpu_ns_per_io): fio's usr_cpu and sys_cpu are percent
        # of one CPU over the job's job_runtime (ms); summed over the jobs
        cpu_s += (usr + sys_) / 100.0 * jr / 1000.0
        if isinstance(job.get("job_start"), int) and job["job_start"] > 0:
            windows.append((job["job_start"], jr))
        # pick the latency kind once per job: lat if its bins are there
        has = {k: any(isinstance(job.get(d), dict) and
                      isinstance(job[d].get(k + "_ns"), dict) and
                      "bins" in job[d][k + "_ns"] and job[d].get("total_ios")
                      for d in DDIRS) for k in ("lat", "clat")}
        kind = "lat" if has["lat"] else "clat" if has["clat"] else None
        binned = kind is not None
        if kind is None and not need_bins:
            kind = plain_kind   # plain json: fio's mean of lat_ns or clat_ns, no bins
        job_ios = 0
        for d in DDIRS:
            dd = job.get(d)
            if dd is None:
                continue
            w = "%s.%s" % (where, d)
            n = need(path, dd, "total_ios", int, w)
            if n == 0:
                continue
            job_ios += n
            iops += need(path, dd, "iops", (int, float), w)
            bw += need(path, dd, "bw_bytes", (int, float), w)
            runtime_ms = max(runtime_ms, need(path, dd, "runtime", int, w))
            if kind is None:
                raise LoadError(path, "%s has no latency bins: run fio with "
                                "--output-format=json+ (and lat_percentiles=1)" % w)
            lat = need(path, dd, kind + "_ns", dict, w)
            ln = need(path, lat, "N", int, "%s.%s_ns" % (w, kind))
            mean = need(path, lat, "mean", (int, float), "%s.%s_ns" % (w, kind))
            if not binned:
                per_dir.setdefault(d, []).append((_NO_BINS, _NO_BINS, ln, mean * ln))
                lat_n += ln
                lat_sum += mean * ln
                kinds.add(kind)
                continue
            b = need(path, lat, "bins", dict, "%s.%s_ns" % (w, kind))
            try:
                keys = np.fromiter((int(k) for k in b), dtype=np.int64, count=len(b))
                counts = np.fromiter(b.values(), dtype=np.int64, count=len(b))
            except (ValueError, TypeError):
                raise LoadError(path, "%s.%s_ns.bins has a non-integer key or count"
                                % (w, kind))
            if counts.sum() != ln:
                raise LoadError(path, "%s.%s_ns: bins hold %d samples but N is %d "
                                "(edited or corrupt file?)" % (w, kind, counts.sum(), ln))
            if (counts < 0).any():
                raise LoadError(path, "%s.%s_ns.bins has a negative count" % (w, kind))
            bins.append((keys, counts))
            per_dir.setdefault(d, []).append((keys, counts, ln, mean * ln))
            lat_n += ln
            lat_sum += mean * ln
            kinds.add(kind)
            pct = lat.get("percentile")
            if isinstance(pct, dict):
                fio_pct.append({"job": i, "ddir": d, "kind": kind,
                                "percentile": {float(k): v for k, v in pct.items()}})
        ios += job_ios          # above 0: check_doc made sure
    if len(kinds) > 1:
        raise LoadError(path, "jobs mix lat and clat latency bins")
    keys, counts = merge_bins(bins) if bins else (_NO_BINS, _NO_BINS)
    lat_dir = {}
    for d, parts in per_dir.items():
        k, c = merge_bins((p[0], p[1]) for p in parts)
        lat_dir[d] = (k, c, sum(p[2] for p in parts), sum(p[3] for p in parts))
    return Run(run_id=run_id, cell=cell, repeat=repeat, order=order, ios=ios,
               cpu_s=cpu_s, ctx=ctx, iops=iops, bw_bytes=bw,
               runtime_ms=runtime_ms, lat_kind=kinds.pop(), lat_n=lat_n,
               lat_sum_ns=lat_sum, bin_ns=keys, bin_count=counts,
               fio_pct=fio_pct, fio_version=str(doc["fio version"]), path=path,
               lat_dir=lat_dir, windows=windows)


_NO_BINS = np.zeros(0, dtype=np.int64)


# columns of a runner sample (cell.json proc_stat_samples): time, the ten
# /proc/stat cpu-line fields, /proc/schedstat task run time (ns)
IDLE_TICK_COLUMNS = (4, 5)          # idle, iowait (1/clk_tck s units)
RUN_NS_COLUMN = 11


def _interp_delta(t, v, t0, t1):
    return float(np.interp(t1, t, v) - np.interp(t0, t, v))


def _sample_columns(samples_doc, t0, t1):
    """(times, rows) of the samples when they cover [t0, t1], else None."""
    if not isinstance(samples_doc, dict):
        return None
    rows = samples_doc.get("samples") or []
    try:
        t = np.array([r[0] for r in rows], dtype=float)
    except (TypeError, IndexError):
        return None
    if len(t) < 2 or t[0] > t0 or t[-1] < t1 or t1 <= t0:
        return None
    return t, rows


def system_busy_s(samples_doc, t0, t1):
    """System-wide busy CPU seconds between CLOCK_REALTIME t0 and t1,
    interpolated linearly between the runner's samples; None when the
    samples do not cover the window.

    With one CPU (the test VM's default) it is the run time of all tasks,
    from /proc/schedstat (exact: when the sampler runs, every other task has
    been switched out and its slice counted); interrupts taken while the CPU
    idled are not in it. Under QEMU icount this is the only sound source:
    the guest's idle accounting runs ahead of its clock there (1.17-1.27 s of
    idle in 1 s of sleeping, measured). With more CPUs (a real machine) it
    is the window times the CPUs less /proc/stat's idle and iowait (kept
    from idle entry and exit with NO_HZ, in 10 ms units; interrupt work done
    from idle counts as busy)."""
    got = _sample_columns(samples_doc, t0, t1)
    if got is None:
        return None
    t, rows = got
    cpus = samples_doc.get("cpus") or 1
    tck = samples_doc.get("clk_tck") or 100
    try:
        if cpus == 1 and all(len(r) > RUN_NS_COLUMN and r[RUN_NS_COLUMN] is not None
                             for r in rows):
            return _interp_delta(t, [r[RUN_NS_COLUMN] for r in rows], t0, t1) / 1e9
        idle = _interp_delta(t, [sum(r[i] for i in IDLE_TICK_COLUMNS) for r in rows],
                             t0, t1) / tck
    except (TypeError, IndexError):
        return None
    return (t1 - t0) * cpus - idle


def perf_window(path, start, t0, t1):
    """System-wide counts per event between CLOCK_REALTIME t0 and t1 from
    `perf stat -a -x, -I MS` output started at `start`: each interval's count
    is prorated by its overlap with the window. None when the file does not
    cover the window."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    counts, last = {}, {}
    for line in lines:
        f = line.strip().split(",")
        if not line.strip() or line.startswith("#") or len(f) < 4:
            continue
        try:
            t, c = start + float(f[0]), float(f[1])
        except ValueError:
            continue        # <not counted>, <not supported>
        ev = f[3]
        a = last.get(ev, start)
        last[ev] = t
        overlap = min(t, t1) - max(a, t0)
        if t > a and overlap > 0:
            counts[ev] = counts.get(ev, 0.0) + c * overlap / (t - a)
    if not last or min(last.values()) < t1:
        return None
    return counts


def measured_window(run):
    """fio's measured window of a run in CLOCK_REALTIME seconds, from the
    first job's start to the last one's end. fio sets job_start again when
    the ramp ends (reset_all_stats), so it is where the measurement starts."""
    if not run.windows:
        return None
    starts = [s / 1000.0 for s, _ in run.windows]
    ends = [s / 1000.0 + r / 1000.0 for s, r in run.windows]
    return min(starts), max(ends)


def load_fio(path, cell=None, warnings=None, **kw):
    """One fio json+ file. fio's warning lines before the document are
    reported in `warnings` (a list) when given, else they are an error."""
    return parse_fio(path, load_json(path, "fio json+ output", warnings), cell, **kw)


def _parse_cell(path, c):
    if not isinstance(c, dict):
        raise LoadError(path, "cell.json is not an object")
    vals = []
    for k in CELL_KEYS:
        if k not in c:
            raise LoadError(path, "cell.json has no '%s'" % k)
        v = c[k]
        if k in ("arm", "pattern"):
            ok = isinstance(v, str) and v
        elif k == "source":
            ok = v is None or (isinstance(v, str) and v)
        else:
            ok = isinstance(v, int) and not isinstance(v, bool) and v > 0
        if not ok:
            raise LoadError(path, "cell.json '%s' is %r" % (k, v))
        vals.append(v)
    st = c.get("status")
    if st not in STATUSES:
        raise LoadError(path, "cell.json 'status' is %r, expected one of %s"
                        % (st, ", ".join(STATUSES)))
    rep = c.get("repeat", 0)
    order = c.get("order", 0)
    for k, v in (("repeat", rep), ("order", order)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise LoadError(path, "cell.json '%s' is %r" % (k, v))
    pair = c.get("pair")
    if pair is not None and not (isinstance(pair, dict) and isinstance(pair.get("compare"), str)
                                 and isinstance(pair.get("round"), int)
                                 and pair.get("position") in (0, 1)):
        raise LoadError(path, "cell.json 'pair' is %r, expected {compare, round, "
                        "position 0 or 1}" % (pair,))
    rnd = c.get("round", rep)
    if not isinstance(rnd, int) or isinstance(rnd, bool) or rnd < 0:
        raise LoadError(path, "cell.json 'round' is %r" % (rnd,))
    return tuple(vals), rep, order, st, c.get("reason"), pair, rnd, c


def load_meta(path):
    meta = load_json(path, "meta.json")
    if not isinstance(meta, dict):
        raise LoadError(path, "meta.json is not an object")
    if meta.get("schema") != META_SCHEMA:
        raise LoadError(path, "unknown schema %r (this analysis reads schema %d)"
                        % (meta.get("schema"), META_SCHEMA))
    for k in ("name", "emulated"):
        if k not in meta:
            raise LoadError(path, "meta.json has no '%s'" % k)
    if not isinstance(meta["emulated"], bool):
        raise LoadError(path, "meta.json 'emulated' is %r, expected true or false"
                        % (meta["emulated"],))
    return meta


def load_results(root):
    """Load RESULTS/ (meta.json + runs/*/cell.json [+ fio.json])."""
    if not os.path.isdir(root):
        raise LoadError(root, "not a directory")
    if not os.path.exists(os.path.join(root, "meta.json")) and \
            not os.path.isdir(os.path.join(root, "runs")):
        raise LoadError(root, "not a result directory of scripts/run-matrix (no meta.json, "
                        "no runs/); for a directory of fio's own JSON output use "
                        "analysis/report --fio-json")
    meta = load_meta(os.path.join(root, "meta.json"))
    runs_dir = os.path.join(root, "runs")
    if not os.path.isdir(runs_dir):
        raise LoadError(runs_dir, "missing: no runs/ directory in the result set")
    entries = []
    warnings = []
    seen = {}
    versions = set()
    for run_id in sorted(os.listdir(runs_dir)):
        d = os.path.join(runs_dir, run_id)
        if not os.path.isdir(d):
            continue
        cpath = os.path.join(d, "cell.json")
        cell, rep, order, st, reason, pair, rnd, cdoc = _parse_cell(
            cpath, load_json(cpath, "cell.json"))
        key = (cell, rep)
        if key in seen:
            raise LoadError(cpath, "repeat %d of this cell also in runs/%s"
                            % (rep, seen[key]))
        seen[key] = run_id
        e = Entry(run_id, cell, rep, order, st, reason, pair=pair, round=rnd)
        fpath = os.path.join(d, "fio.json")
        if st == "ok":
            e.run = load_fio(fpath, cell, warnings=warnings, run_id=run_id,
                             repeat=rep, order=order)
            versions.add(e.run.fio_version)
            win = measured_window(e.run)
            samples = cdoc.get("proc_stat_samples")
            busy = system_busy_s(samples, *win) if win else None
            if busy is not None:
                e.run.sys_cpu_s = busy
                rows = samples.get("samples") or [[]]
                exact = samples.get("cpus") == 1 and len(rows[0]) > RUN_NS_COLUMN and \
                    rows[0][RUN_NS_COLUMN] is not None
                e.run.sys_cpu_res_s = 0.0 if exact else 2.0 / (samples.get("clk_tck") or 100)
            ps = cdoc.get("perf_stat")
            if win and isinstance(ps, dict) and isinstance(ps.get("start"), (int, float)):
                e.run.pmu = perf_window(os.path.join(d, str(ps.get("file"))), ps["start"],
                                        *win) or {}
        elif os.path.exists(fpath):
            warnings.append("%s: status %s, fio.json ignored" % (cpath, st))
        entries.append(e)
    if not entries:
        raise LoadError(runs_dir, "no runs (no runs/*/cell.json)")
    if len(versions) > 1:
        warnings.append("%s: runs come from different fio versions: %s"
                        % (root, ", ".join(sorted(versions))))
    _check_kinds(root, entries)
    return ResultSet(path=root, meta=meta, entries=entries, warnings=warnings)


def _check_kinds(root, entries):
    kinds = {}
    for e in entries:
        if e.run is not None:
            kinds.setdefault(e.cell, set()).add(e.run.lat_kind)
    for c, k in kinds.items():
        if len(k) > 1:
            raise LoadError(root, "cell %s mixes lat and clat latency bins across "
                            "repeats; pooled percentiles would be wrong" % cell_label(c))


# ---- plain fio output (analysis/report --fio-json) ----------------------------

def fio_json_files(root, exclude=()):
    """(the *.json files under root, recursively, sorted; the other files),
    or ([root], []) when root is a file. Directories in `exclude` (the
    report's own output) are not entered."""
    if os.path.isfile(root):
        return [root], []
    if not os.path.isdir(root):
        raise LoadError(root, "missing: no such file or directory")
    skip = {os.path.realpath(x) for x in exclude}
    files, other = [], []
    for d, subs, names in os.walk(root):
        subs[:] = sorted(s for s in subs if os.path.realpath(os.path.join(d, s)) not in skip)
        for n in sorted(names):
            (files if n.lower().endswith(".json") else other).append(os.path.join(d, n))
    return files, other


def _read_fio_doc(path, warnings):
    """One file of plain fio output, parsed and judged as load_fio does;
    fio's terse and normal output are named as such."""
    text = read_text(path, FIO_JSON)
    try:
        doc = parse_json(path, text, FIO_JSON, warnings)
    except LoadError:
        why = fiojson.foreign_format(text)
        if why:
            raise LoadError(path, why)
        raise
    if isinstance(doc, dict) and isinstance(doc.get("jobs"), list):
        for i, job in enumerate(doc["jobs"]):
            if isinstance(job, dict) and "mixed" in job and \
                    not any(isinstance(job.get(d), dict) for d in DDIRS):
                raise LoadError(path, "jobs[%d] reports reads and writes only together "
                                "(unified_rw_reporting): rerun fio without it" % i)
    check_doc(path, doc)
    return doc


def load_fio_json(root, ignore_options=(), exclude=()):
    """A ResultSet from fio's own JSON or json+ output: every *.json file
    under `root` (or the file `root`). Cells come from the options fio
    recorded (fiojson); what cannot be read from them is in
    meta["fio_json"]. Every file must be good fio output: all the bad ones
    are named, with their problem, and nothing is analysed."""
    files, other = fio_json_files(root, exclude)
    if not files:
        raise LoadError(root, "no *.json files here (fio --output-format=json+ or json "
                        "output expected)%s" % (
                            "; found %d other file(s), e.g. %s" % (len(other), other[0])
                            if other else ""))
    warnings, docs, errors = [], [], []
    for f in files:
        try:
            docs.append((f, _read_fio_doc(f, warnings)))
        except LoadError as e:
            errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise LoadError(root, "%d of %d files are not good fio JSON output, so nothing "
                        "was analysed:\n%s" % (len(errors), len(files),
                                                "\n".join("  " + str(e) for e in errors)))
    units, excluded, concurrent, defaults = [], [], [], {}
    disks, filenames, versions, flagless = set(), set(), set(), set()
    grouped = 0
    for f, doc in docs:
        rel = os.path.relpath(f, root) if f != root else os.path.basename(f)
        versions.add(str(doc["fio version"]))
        if (0,) < _version_tuple(doc["fio version"]) <= (3, 33):
            flagless.add(str(doc["fio version"]))
        for du in doc.get("disk_util") or []:
            if isinstance(du, dict) and du.get("name"):
                disks.add(str(du["name"]))
        groups = fiojson.job_groups(doc)
        gids = [doc["jobs"][a].get("groupid") for a, _ in groups]
        for gi, (a, b) in enumerate(groups):
            job = doc["jobs"][a]
            where = "%s jobs[%s] (%s)" % (rel, a if a == b else "%d..%d" % (a, b),
                                          job.get("jobname", "?"))
            opts = fiojson.job_options(doc, job)
            try:
                base, dflt = fiojson.infer_cell(opts)
            except fiojson.NotInferable as e:
                excluded.append("%s: %s" % (where, e))
                continue
            n_entries = b - a + 1
            if n_entries not in (1, base[4]):
                excluded.append("%s: %d entries where numjobs=%d (neither one entry per "
                                "job nor one group_reporting entry)" % (where, n_entries, base[4]))
                continue
            grouped += n_entries == 1 and base[4] > 1
            for k in dflt:
                defaults[k] = defaults.get(k, 0) + 1
            if "filename" in opts:
                filenames.add(opts["filename"])
            cfg = fiojson.config_of(opts, ignore_options)
            others = sum(g == gids[gi] for g in gids) - 1
            cfg[fiojson.CONCURRENT] = str(others)
            if others:
                concurrent.append("%s ran alongside %d other job section(s) of its "
                                  "reporting group %s" % (where, others, gids[gi]))
            sub = {"fio version": doc["fio version"], "jobs": doc["jobs"][a:b + 1]}
            run = parse_fio(f, sub, None, run_id="%s#%d" % (rel, a), need_bins=False)
            t = doc.get("timestamp_ms", doc.get("timestamp", 0))
            units.append((t if isinstance(t, (int, float)) else 0, rel, a, base, cfg, run, sub))
    # runs without bins (plain json) take the kind the binned runs have, so
    # that latencies compared between cells are of one kind
    binned = {u[5].lat_kind for u in units if len(u[5].bin_count)}
    plain_kind = next(iter(binned)) if len(binned) == 1 else "lat"
    for i, u in enumerate(units):
        if not len(u[5].bin_count) and u[5].lat_kind != plain_kind:
            run = parse_fio(u[5].path, u[6], None, run_id=u[5].run_id, need_bins=False,
                            plain_kind=plain_kind)
            units[i] = u[:5] + (run, u[6])
    if len(binned) > 1:
        warnings.append("%s: latency bins of both kinds (lat and clat) in different "
                        "cells: latency compared between them mixes the two" % root)
    if not units:
        raise LoadError(root, "no job's cell could be read from its options:\n%s"
                        % "\n".join("  " + x for x in excluded))
    factors = fiojson.factor_options([(u[3], u[4]) for u in units])
    entries, reps = [], {}
    for order, (_t, _rel, _a, base, cfg, run, _sub) in enumerate(sorted(units,
                                                                          key=lambda u: u[:3])):
        cell = (fiojson.arm_label(base[0], cfg, factors), None) + base[1:]
        rep = reps[cell] = reps.get(cell, -1) + 1
        run.cell, run.repeat, run.order = cell, rep, order
        entries.append(Entry(run.run_id, cell, rep, order, "ok", None, run=run, round=rep))
    _check_kinds(root, entries)
    if len(versions) > 1:
        warnings.append("%s: runs come from different fio versions: %s"
                        % (root, ", ".join(sorted(versions))))
    stamps = sorted(datetime.datetime.fromtimestamp(d["timestamp"], datetime.timezone.utc)
                    .isoformat(timespec="seconds") for _, d in docs
                    if isinstance(d.get("timestamp"), int) and not isinstance(d["timestamp"], bool))
    meta = {"schema": META_SCHEMA, "name": os.path.basename(os.path.abspath(root)),
            "emulated": None, "source": "fio-json", "hostname": None,
            "fio_version": ", ".join(sorted(versions)),
            "start": stamps[0] if stamps else None, "end": stamps[-1] if stamps else None,
            "fio_json": {
                "files": len(files), "other_files": other, "jobs": len(units),
                "defaults": defaults, "factors": factors, "excluded": excluded,
                "concurrent": concurrent, "group_reporting_entries": grouped,
                "filenames": sorted(filenames), "disks": sorted(disks),
                "flagless_versions": sorted(flagless), "plain_kind": plain_kind,
                "ignored_options": sorted(ignore_options)}}
    return ResultSet(path=root, meta=meta, entries=entries, warnings=warnings)


def _version_tuple(v):
    """'fio-3.33' -> (3, 33); (0,) when it does not read."""
    m = re.match(r"fio-(\d+)\.(\d+)", str(v))
    return (int(m.group(1)), int(m.group(2))) if m else (0,)


def first_rounds(rs, rounds):
    """The result set as it stood after its first `rounds` rounds."""
    return ResultSet(path=rs.path, meta=rs.meta, warnings=rs.warnings,
                     entries=[e for e in rs.entries if e.round < rounds])
