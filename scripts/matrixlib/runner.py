"""Run a planned matrix: preflight each arm, run one fio process per cell and
repeat, record skips, show progress, stop cleanly on SIGINT/SIGTERM."""
import ctypes
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

from fioab.fio import judge_file

from . import matrix as mx
from . import schema

FIO_SLACK_S = 120          # beyond ramp + runtime before a cell counts as hung
PROC_STAT_PERIOD_S = 0.05  # system CPU sampling while fio runs (/proc/stat counts 10 ms)


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def hms(sec):
    sec = int(max(0, sec))
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"


def proc_stat_cpu():
    """The aggregate 'cpu' line of /proc/stat, in clock ticks (system-wide CPU,
    which also sees io-wq, SQPOLL and IRQ work that fio's own rusage misses)."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
        return [int(x) for x in parts[1:]]
    except (OSError, ValueError):
        return None


def schedstat_run_ns():
    """Run time of all tasks on all CPUs in ns: /proc/schedstat's per-CPU
    rq_cpu_time (the scheduler adds a task's slice when it is switched out),
    or None where the kernel has no schedstats."""
    try:
        with open("/proc/schedstat") as f:
            return sum(int(l.split()[7]) for l in f if l.startswith("cpu"))
    except (OSError, ValueError, IndexError):
        return None


class ProcStatSampler:
    """Samples the aggregate /proc/stat cpu line and /proc/schedstat's task
    run time while fio runs, stamped with CLOCK_REALTIME (the clock of fio's
    job_start), so that the analysis can take system-wide CPU over fio's
    measured window only (after the ramp, before the end) rather than over
    the whole process."""

    def __init__(self, period=PROC_STAT_PERIOD_S):
        self.period = period
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _take(self):
        v = proc_stat_cpu()
        if v is not None:
            self.samples.append([round(time.time(), 6)] + v + [schedstat_run_ns()])

    def _loop(self):
        self._take()
        while not self.stop.wait(self.period):
            self._take()
        self._take()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def doc(self):
        return {"clk_tck": os.sysconf("SC_CLK_TCK"), "cpus": os.cpu_count(),
                "columns": "time (CLOCK_REALTIME s), then the /proc/stat cpu line: user nice "
                           "system idle iowait irq softirq steal guest guest_nice, then "
                           "/proc/schedstat rq_cpu_time summed over CPUs (ns, or null)",
                "period_s": self.period, "samples": self.samples}


PERF_EVENTS = "cycles,instructions"


def pmu_doc(env=os.environ):
    """Whether `perf stat` can count PMU events here (FIO_DMABUF_PERF_EVENTS
    overrides the events, e.g. with a software event for tests). Machines
    without a PMU (most VMs) say so and are skipped."""
    events = env.get("FIO_DMABUF_PERF_EVENTS") or PERF_EVENTS
    perf = shutil.which("perf")
    if not perf:
        return {"available": False, "events": events,
                "reason": "no perf on this machine (Debian: linux-perf)"}
    try:
        p = subprocess.run([perf, "stat", "-x,", "-e", events, "true"], capture_output=True,
                           text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"available": False, "events": events, "reason": f"perf stat failed: {e}"}
    bad = [l.strip() for l in p.stderr.splitlines()
           if l.startswith(("<not supported>", "<not counted>"))]
    if p.returncode != 0 or bad:
        why = "; ".join(bad) or " ".join(p.stderr.split()[-12:])
        return {"available": False, "events": events,
                "reason": f"perf stat -e {events} counts nothing here (no PMU?): {why}"}
    return {"available": True, "events": events, "perf": perf, "interval_ms": 100}


# ---- skip decisions: pure functions of what the machine offers -------------

def libcuda_reason():
    """Why GPU memory cannot be used on this machine, or None."""
    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return "dma-buf source cuda unavailable: libcuda.so.1 cannot be loaded (no NVIDIA driver)"
    return None


def source_reason(source, probe, exists=os.path.exists, cuda_reason=libcuda_reason):
    """Why a dma-buf source cannot be used on the machine whose probe and
    device nodes (exists) these are, or None."""
    kind, _, arg = source.partition(":")
    if isinstance(probe, dict):
        ent = probe.get(kind) if kind != "heap" else probe.get("heaps", probe.get("heap"))
        if isinstance(ent, dict) and ent.get("available") is False:
            return f"dma-buf source {source} unavailable (dmabuf-probe: {ent.get('reason', 'not available')})"
        listed = ent.get(kind + "s" if kind == "heap" else "nodes") if isinstance(ent, dict) else None
        if arg and isinstance(listed, list) and listed:
            # dmabuf-probe --json: heaps [{"name": ...}], drm nodes [{"node": "card0", ...}]
            names = [x if isinstance(x, str) else str(x.get("node", x.get("name", "")))
                     for x in listed]
            hit = [x for x, n in zip(listed, names) if n == arg or arg.endswith("/" + n)
                   or n.endswith("/" + arg)]
            if not hit:
                return (f"dma-buf source {source} unavailable: dmabuf-probe lists only "
                        f"{', '.join(names)}")
            if isinstance(hit[0], dict) and hit[0].get("available") is False:
                return (f"dma-buf source {source} unavailable (dmabuf-probe: "
                        f"{hit[0].get('reason', 'not available')})")
    if kind == "mem":
        return None
    if kind == "udmabuf":
        return None if exists("/dev/udmabuf") else \
            "dma-buf source udmabuf unavailable: no /dev/udmabuf (kernel without CONFIG_UDMABUF, or module not loaded)"
    if kind == "heap":
        name = arg or "system"
        return None if exists(f"/dev/dma_heap/{name}") else \
            f"dma-buf source {source} unavailable: no /dev/dma_heap/{name} (CONFIG_DMABUF_HEAPS_SYSTEM?)"
    if kind == "drm":
        if arg:
            node = arg if arg.startswith("/") else f"/dev/dri/{arg}"
            return None if exists(node) else f"dma-buf source {source} unavailable: no {node}"
        return None if any(exists(f"/dev/dri/card{i}") for i in range(8)) else \
            "dma-buf source drm unavailable: no /dev/dri/card* (load vgem or a GPU driver)"
    if kind == "cuda":
        return cuda_reason()
    return f"unknown dma-buf source {source}"


_PATH_RULES = {}


def engine_path_rules(top=None):
    """The engine's own rule for which dmabuf_path each dmabuf_source takes
    (engine/path_rules.c, printed by `dmabuf-probe --paths`): source ->
    path -> None or why not. Read once."""
    top = top or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if top not in _PATH_RULES:
        probe = os.path.join(top, "build", "dmabuf-probe")
        try:
            out = subprocess.run([probe, "--paths"], capture_output=True, text=True,
                                 check=True).stdout
            _PATH_RULES[top] = json.loads(out)
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            raise RuntimeError(f"{probe} --paths (the engine's path rule) failed: {e}; "
                               f"run make") from e
    return _PATH_RULES[top]


def path_reason(arm, source, target_kind, probe, target_path, rules=None):
    """Why a dma-buf path cannot run with this source and target, or None.
    rules: the engine's path rule of the machine under test (default:
    engine_path_rules() of this checkout)."""
    kind = (source or "").partition(":")[0]
    path = arm[len("dmabuf-"):] if arm.startswith("dmabuf-") else None
    rules = engine_path_rules() if rules is None else rules
    why = rules.get(kind, {}).get(path) if path else None
    if why:
        return f"{arm} cannot use {source}: the engine refuses it: {why}"
    if arm != "dmabuf-direct":
        return None
    if target_kind != "block":
        return ("dmabuf-direct needs an nvme-pci block device; the target is a regular "
                "file (run with --device /dev/nvmeXnY or --vm)")
    if isinstance(probe, dict):
        api = probe.get("io_uring_dmabuf", probe.get("dmabuf_api"))
        why = None
        if isinstance(api, dict):
            api, why = api.get("available"), api.get("reason")
        if api is False:
            return (f"dmabuf-probe: {why}" if why else
                    "kernel lacks the io_uring dma-buf API (dmabuf-probe); boot a kernel "
                    "with the series for dmabuf-direct")
        for f in probe.get("files", []) if isinstance(probe.get("files"), list) else []:
            if isinstance(f, dict) and f.get("path") == target_path and f.get("direct") is False:
                return f"dmabuf-direct cannot use {target_path}: {f.get('reason', 'dmabuf-probe says no')}"
    return None


def io_uring_reason(info, disabled_value, euid=None):
    uses_uring = info["ioengine"] == "io_uring" or info["uses_engine"]
    if uses_uring and disabled_value == "2":
        return "io_uring is disabled on this kernel (kernel.io_uring_disabled=2)"
    if uses_uring and disabled_value == "1" and (os.geteuid() if euid is None else euid) != 0:
        return "io_uring is restricted (kernel.io_uring_disabled=1) and this user is not privileged"
    return None


# ---- fio ---------------------------------------------------------------------

def tail_reason(text, n=3):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    pick = [l for l in lines if any(w in l.lower() for w in ("error", "fail", "bad", "invalid",
                                                            "unrecognized", "not ", "fio-dmabuf"))]
    return " | ".join((pick or lines)[-n:]) or "no output"


def parse_only_reason(fio, job_path, env, arm):
    """Why fio --parse-only rejects an arm's job file here, or None."""
    p = subprocess.run([fio, "--parse-only", job_path], env=dict(os.environ, **env),
                       capture_output=True, text=True, timeout=60)
    text = p.stdout + p.stderr
    if p.returncode != 0 or "Bad option" in text or "unrecognized option" in text:
        return f"fio --parse-only rejects {arm}.fio here: {tail_reason(text)}"
    return None


class LocalHost:
    """The machine under test is this one: its files, its fio, its /proc.
    scripts/matrixlib/remote.py's RemoteHost answers the same questions for
    a machine behind fio --server."""
    remote = None

    def __init__(self, fio, top):
        self.fio, self.top = fio, top
        self.engine_so = os.path.join(top, "engine", "dmabuf.so")

    def on_signal(self):
        pass

    def engine_reason(self):
        return None if os.path.isfile(self.engine_so) else \
            f"{self.engine_so} is not built (run make)"

    def io_uring(self):
        """kernel.io_uring_disabled and the effective uid of fio's jobs."""
        return _read_sysctl("/proc/sys/kernel/io_uring_disabled"), os.geteuid()

    def source_reason(self, source, probe):
        return source_reason(source, probe)

    def path_rules(self):
        return engine_path_rules(self.top)

    def cell_env(self, m, c, target):
        return mx.fio_env(m, c, target["path"], self.engine_so)

    def parse_reason(self, c, info, env):
        return parse_only_reason(self.fio, info["path"], env, c["arm"])

    def job_text(self, info, env, c):
        return mx.render_job(info["path"], env)

    def command(self, info, env, run_dir, pmu):
        """fio's argv (run in the cell's directory) and the cmdline file's text."""
        argv = [self.fio, "--output-format=json+", "--output=fio.json", info["path"]]
        if pmu.get("available"):
            # system-wide counts every 100 ms, so the analysis can take fio's
            # measured window only (as with /proc/stat)
            argv = [pmu["perf"], "stat", "-a", "-x,", "-I", str(pmu["interval_ms"]),
                    "-e", pmu["events"], "-o", "perf-stat.csv", "--"] + argv
        cmdline = ("cd " + shlex.quote(run_dir) + " && env " +
                   " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " +
                   " ".join(shlex.quote(a) for a in argv))
        return argv, cmdline

    def execute(self, r, c, pd, argv, env):
        """Run one cell's fio in pd, sampling system CPU meanwhile. Returns
        (why it failed or None, cell.json extras), or None when interrupted."""
        limit = r.m["ramp_time"] + r.m["runtime"] + FIO_SLACK_S
        t0, st0, start = time.monotonic(), proc_stat_cpu(), mx_now()
        t_launch = time.time()
        reason = None
        with open(os.path.join(pd, "stderr.log"), "w") as err, ProcStatSampler() as sampler:
            r.child = subprocess.Popen(argv, cwd=pd, env=dict(os.environ, **env), stdout=err,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            try:
                rc = r.child.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                os.killpg(r.child.pid, signal.SIGKILL)
                rc = r.child.wait()
                reason = f"fio did not finish within {limit:.0f} s and was killed"
            r.child = None
        elapsed, st1, end = time.monotonic() - t0, proc_stat_cpu(), mx_now()
        if r.interrupted:
            return None
        with open(os.path.join(pd, "stderr.log")) as f:
            text = f.read()
        reason = reason or fio_reason(rc, text, os.path.join(pd, "fio.json"))
        extra = {"start": start, "end": end, "elapsed_s": round(elapsed, 3), "fio_rc": rc,
                 "engine_lines": engine_lines(text),
                 "proc_stat": {"clk_tck": os.sysconf("SC_CLK_TCK"), "before": st0, "after": st1,
                               "note": "system-wide cpu ticks over the whole fio process, ramp included"},
                 "proc_stat_samples": sampler.doc()}
        if r.pmu.get("available"):
            extra["perf_stat"] = {"file": "perf-stat.csv", "start": round(t_launch, 6),
                                  "events": r.pmu["events"],
                                  "interval_ms": r.pmu["interval_ms"],
                                  "note": "perf stat -a -I: system-wide; times are from "
                                          "its start, which is about 'start'"}
        return reason, extra

    def precondition(self, r, d, job):
        """Run the precondition job (a dict of fio options) in d."""
        argv = [self.fio] + [f"--{k}={v}" for k, v in job.items()] + \
            ["--output-format=json", "--output=fio.json"]
        with open(os.path.join(d, "cmdline"), "w") as f:
            f.write(" ".join(shlex.quote(a) for a in argv) + "\n")
        with open(os.path.join(d, "stderr.log"), "w") as err:
            r.child = subprocess.Popen(argv, cwd=d, stdout=err, stderr=subprocess.STDOUT,
                                       start_new_session=True)
            rc = r.child.wait()
            r.child = None
        return rc


def engine_lines(text):
    """The engine's fio-dmabuf: counter lines of fio's output."""
    return [l for l in text.splitlines() if l.startswith("fio-dmabuf:")]


def fio_reason(rc, text, fio_json):
    """Why a finished fio run is not a good one (its exit status, its
    output, its JSON), or None."""
    if rc < 0:
        return (f"fio was killed by {signal.Signals(-rc).name}; last output: "
                f"{tail_reason(text)}")
    if rc != 0:
        return f"fio exited {rc}: {tail_reason(text)}"
    return judge_file(fio_json, text)     # what a good fio run is


class Runner:
    def __init__(self, args, m, planned, infos, out, target, fio, top, probe, log=sys.stderr,
                 host=None, label=""):
        self.a, self.m, self.infos = args, m, infos
        self.planned = planned
        self.out, self.target, self.fio, self.top, self.probe = out, target, fio, top, probe
        self.log = log
        self.host = host or LocalHost(fio, top)
        self.label = label          # prefix of the progress lines: the remote's name
        self.engine_so = self.host.engine_so
        self.interrupted = False
        self.child = None
        self.preflight = {}
        self.partial = os.path.join(out, ".partial")
        self.pmu = {"available": False}
        self.earlier = {}           # run id -> reasons of attempts --resume redoes
        self._first_run = True

    @property
    def planned(self):
        return self._planned

    @planned.setter
    def planned(self, cells):
        self._planned = cells
        self.by_order = {c["order"]: c for c in cells}

    # -- signals
    def on_signal(self, signum, _frame):
        if not self.interrupted:
            print(f"\nrun-matrix: {self.label}got {signal.Signals(signum).name}; stopping after "
                  f"discarding the cell in progress", file=self.log, flush=True)
        self.interrupted = True
        self.host.on_signal()
        if self.child and self.child.poll() is None:
            try:
                os.killpg(self.child.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    # -- per arm
    def arm_skip(self, c):
        info = self.infos[c["arm"]]
        if info["sync"] and c["iodepth"] > 1:
            return (f"{info['ioengine']} is synchronous: iodepth {c['iodepth']} has no effect "
                    f"(its iodepth 1 cell is the measurement)")
        key = (c["arm"], c["source"])
        if key not in self.preflight:
            self.preflight[key] = self.arm_preflight(c)
        return self.preflight[key]

    def arm_preflight(self, c):
        info, h = self.infos[c["arm"]], self.host
        if info["uses_engine"]:
            r = h.engine_reason()
            if r:
                return r
        r = io_uring_reason(info, *h.io_uring())
        if r:
            return r
        if info["uses_source"]:
            r = h.source_reason(c["source"], self.probe) or path_reason(
                info.get("path_arm", c["arm"]), c["source"], self.target["kind"], self.probe,
                self.target["path"], rules=h.path_rules())
            if r:
                return r
        return h.parse_reason(c, info, h.cell_env(self.m, c, self.target))

    # -- per cell
    def cell_doc(self, c, status, reason, **extra):
        doc = {k: c[k] for k in ("arm", "source", "pattern", "bs", "iodepth", "numjobs",
                                 "repeat", "order")}
        doc.update(status=status, reason=reason, run_id=c["run_id"])
        for k in ("round", "pair"):
            if k in c:
                doc[k] = c[k]
        doc.update(extra)
        if c["run_id"] in self.earlier:
            doc["earlier_attempts"] = self.earlier[c["run_id"]]
        return doc

    def run_cell(self, c):
        """Run one cell into .partial/RUN_ID, then move it to runs/RUN_ID.
        Returns its status, or None when interrupted (nothing kept)."""
        info = self.infos[c["arm"]]
        pd = os.path.join(self.partial, c["run_id"])
        shutil.rmtree(pd, ignore_errors=True)
        os.makedirs(pd)
        cell_env = self.host.cell_env(self.m, c, self.target)
        with open(os.path.join(pd, "job.fio"), "w") as f:
            f.write(f"; {c['arm']}.fio as fio read it for run {c['run_id']}: include\n"
                    f"; inlined, variables expanded from the environment in cmdline.\n"
                    f"; Self-contained: 'fio job.fio' repeats this run.\n")
            f.write(self.host.job_text(info, cell_env, c))
        argv, cmdline = self.host.command(info, cell_env, self.out + "/runs/" + c["run_id"],
                                          self.pmu)
        with open(os.path.join(pd, "cmdline"), "w") as f:
            f.write(cmdline + "\n")
        skip = self.arm_skip(c) or self.partner_skip(c)
        if self.interrupted:        # the preflight's fio may have seen the signal
            shutil.rmtree(pd, ignore_errors=True)
            return None
        if skip:
            open(os.path.join(pd, "stderr.log"), "w").close()
            write_json(os.path.join(pd, "cell.json"), self.cell_doc(c, "skipped", skip))
            os.rename(pd, os.path.join(self.out, "runs", c["run_id"]))
            return "skipped"
        got = self.host.execute(self, c, pd, argv, cell_env)
        if got is None or self.interrupted:
            shutil.rmtree(pd, ignore_errors=True)
            return None
        reason, extra = got
        status = "failed" if reason else "ok"
        fj = os.path.join(pd, "fio.json")
        if status == "failed" and os.path.exists(fj):
            os.rename(fj, os.path.join(pd, "fio-failed.json"))
        write_json(os.path.join(pd, "cell.json"), self.cell_doc(c, status, reason, **extra))
        os.rename(pd, os.path.join(self.out, "runs", c["run_id"]))
        return status

    def redo_lost(self):
        """On the first run of a resumed directory, cells that failed because
        the machine under test was lost (cell.json retry) are run again:
        their directories go, their reasons are kept for the new attempt."""
        runs = os.path.join(self.out, "runs")
        for rid in sorted(os.listdir(runs)):
            try:
                doc = schema.load_json(os.path.join(runs, rid, "cell.json"))
            except (OSError, ValueError):
                continue
            if doc.get("status") == "failed" and doc.get("retry"):
                self.earlier[rid] = doc.get("earlier_attempts", []) + [doc.get("reason")]
                shutil.rmtree(os.path.join(runs, rid))

    def precondition(self):
        """Write the region once, sequentially, so reads do not hit unwritten
        (deallocated) blocks. Kept in precondition/, outside runs/."""
        d = os.path.join(self.out, "precondition")
        if os.path.exists(os.path.join(d, "done")):
            return
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        job = {"name": "precondition", "filename": self.target["path"], "size": self.m["size"],
               "rw": "write", "bs": "1m", "iodepth": 16, "ioengine": "libaio", "direct": 1}
        print(f"run-matrix: {self.label}preconditioning {self.target['path']} "
              f"({self.m['size']} bytes)", file=self.log, flush=True)
        rc = self.host.precondition(self, d, job)
        if self.interrupted:
            return
        if rc != 0:
            raise RuntimeError(f"precondition write failed (fio exited {rc}); see {d}/stderr.log")
        open(os.path.join(d, "done"), "w").close()

    def run(self):
        """Run every planned cell not yet done. Returns counts by status, plus
        'interrupted'."""
        os.makedirs(os.path.join(self.out, "runs"), exist_ok=True)
        shutil.rmtree(self.partial, ignore_errors=True)
        if self._first_run:
            self._first_run = False
            self.redo_lost()
        done = set(os.listdir(os.path.join(self.out, "runs")))
        counts = {"ok": 0, "skipped": 0, "failed": 0}
        for rid in done:
            try:
                st = schema.load_json(os.path.join(self.out, "runs", rid, "cell.json"))["status"]
                counts[st] = counts.get(st, 0) + 1
            except (OSError, ValueError, KeyError):
                pass
        if self.m["precondition"]:
            self.precondition()
        n = len(self.planned)
        todo = [c for c in self.planned if c["run_id"] not in done]
        if done:
            print(f"run-matrix: {self.label}resuming: {len(done)} of {n} cells already done",
                  file=self.log)
        t_start = time.monotonic()
        ran_time, ran = 0.0, 0
        guess = self.m["ramp_time"] + self.m["runtime"] + 1.0
        for k, c in enumerate(todo):
            if self.interrupted:
                break
            i = n - len(todo) + k + 1
            t0 = time.monotonic()
            status = self.run_cell(c)
            if status is None:
                break
            counts[status] += 1
            dt = time.monotonic() - t0
            if status != "skipped":
                ran_time += dt
                ran += 1
            left = [x for x in todo[k + 1:]]
            per = ran_time / ran if ran else guess
            # Cells whose arm is known to skip cost nothing; the rest cost 'per'.
            eta = per * sum(1 for x in left if not self.cached_skip(x))
            what = (f"{c['arm']}{'/' + c['source'] if c['source'] else ''} {c['pattern']} "
                    f"bs={mx.bs_label(c['bs'])} qd={c['iodepth']} nj={c['numjobs']} r{c['repeat']}")
            print(f"{self.label}[{i}/{n}] {what}: {status} ({dt:.1f} s) | elapsed "
                  f"{hms(time.monotonic() - t_start)}, ETA {hms(eta)}", file=self.log, flush=True)
        shutil.rmtree(self.partial, ignore_errors=True)
        counts["interrupted"] = self.interrupted
        counts["total"] = n
        return counts

    def partner(self, c):
        """The other run of c's pair unit, or None."""
        if not c.get("pair"):
            return None
        for o in (c["order"] - 1, c["order"] + 1):
            p = self.by_order.get(o)
            if p is not None and p.get("pair") and \
                    p["pair"]["compare"] == c["pair"]["compare"] and \
                    p["pair"]["round"] == c["pair"]["round"] and \
                    p["pair"]["position"] != c["pair"]["position"]:
                return p
        return None

    def partner_skip(self, c):
        """A pair whose other arm cannot run here measures nothing paired:
        skip this half too (the arm's own cells elsewhere still run)."""
        p = self.partner(c)
        why = self.arm_skip(p) if p is not None else None
        if why:
            return f"its pair partner {p['arm']} ({c['pair']['compare']}) is skipped here: {why}"
        return None

    def cached_skip(self, c):
        info = self.infos[c["arm"]]
        if info["sync"] and c["iodepth"] > 1:
            return True
        p = self.partner(c)
        return bool(self.preflight.get((c["arm"], c["source"])) or
                    (p is not None and self.preflight.get((p["arm"], p["source"]))))


def mx_now():
    from .meta import now
    return now()


def _read_sysctl(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None
