"""Run a matrix on another machine through fio's client/server mode
(scripts/run-matrix --remote HOST[:PORT]).

The machine under test runs `fio --server` and has this repository's
engine/dmabuf.so, build/dmabuf-probe and scripts/remote-collect (a POSIX
shell script), but no Python. Everything about it comes from there:

- facts (kernel, CPU, memory, IOMMU, the probe, the engine's path rule, the
  device nodes, the target's state, `fio --parse-only` of each arm) are
  gathered by remote-collect, run by exec_prerun= of small null jobs;
- system CPU is sampled by remote-collect, started and stopped by
  exec_prerun= / exec_postrun= lines added to each cell's job;
- what remote-collect wrote comes back through the one channel fio 3.41 has
  for text a server read from a file: remote-collect writes a job file on
  the server (--remote-config) of `exec` jobs whose `arguments=` hold the
  hex-encoded answer, and the server's log line "NAME : program=true,
  arguments=HEX" reaches the client. The output of exec_prerun and of exec
  jobs themselves stays in files on the server; `include` in a job file the
  client sends is read as text, not as a file, by fio 3.41's server.

fio --client returns the jobs' JSON as "client_stats" (plus an "All
clients" sum when there are several jobs); local_doc() turns it back into
fio's own layout so that the analysis reads remote results unchanged.
"""
import json
import os
import re
import signal
import subprocess
import time

from . import matrix as mx
from . import meta as mt
from . import runner as rn
from . import target as tg

DEFAULT_PORT = 8765         # fio --server's default
SAFE = re.compile(r"[A-Za-z0-9_./+-]+")
CLIENT_SLACK_S = 30         # a fio --client round trip costs about 1.4 s (the server polls once a second)
FETCH_TIMEOUT_S = 120


class RemoteError(Exception):
    """The remote machine or its answer is unusable; the message says why."""


class ServerLost(RemoteError):
    """The fio server went away or never answered: --resume runs it again."""


# ---- pure functions ------------------------------------------------------------

def parse_spec(text):
    """HOST, HOST:PORT, [IPV6] or [IPV6]:PORT -> {host, port, label, client,
    name}: label names its result directory, client is fio's --client=."""
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?", text) or \
        re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9.-]*)(?::(\d+))?", text)
    if not m:
        raise RemoteError(f"--remote {text!r}: expected HOST or HOST:PORT (a host name or "
                          f"IPv4 address, or [IPv6] in brackets), e.g. 192.0.2.7:8765")
    host, port = m.group(1), m.group(2)
    if port is not None and not 0 < int(port) < 65536:
        raise RemoteError(f"--remote {text}: port {port} is not in 1..65535")
    v6 = ":" in host
    label = (host.replace(":", ".") if v6 else host) + (f"_{port}" if port else "")
    p = int(port) if port else DEFAULT_PORT
    return {"host": host, "port": p, "label": label, "name": f"{host}:{p}",
            "client": (f"ip6:{host},{p}" if v6 else f"{host},{p}")}


def check_path(what, path):
    """Remote paths go into job files and shell commands: absolute, and
    only characters neither fio nor sh treat specially."""
    if not path.startswith("/") or not SAFE.fullmatch(path):
        raise RemoteError(f"{what} {path!r}: a path on the remote machine must be absolute "
                          f"and hold only letters, digits and _ . / + -")
    return path


def remote_paths(top, target_kind, target_path):
    """Where the remote's files are, for checkout (or install) directory top."""
    check_path("--remote-top", top)
    base = target_path if target_kind == "dir" else "/tmp"
    return {"top": top, "engine": f"{top}/engine/dmabuf.so",
            "probe": f"{top}/build/dmabuf-probe", "collect": f"{top}/scripts/remote-collect",
            "state": f"{base.rstrip('/')}/.fio-dmabuf-remote"}


def hexdump(text):
    return text.encode().hex()


def compact_job(text):
    """A job file without comments and blank lines (what fio reads of it)."""
    return "".join(l for l in text.splitlines(True)
                   if l.strip() and not l.lstrip().startswith((";", "#")))


def with_exec(job_text, prerun, postrun):
    """The job with exec_prerun/exec_postrun in its [global] section, so that
    every job and clone runs them (a [global] is added when it has none)."""
    lines = job_text.splitlines(True)
    add = [f"exec_prerun={prerun}\n", f"exec_postrun={postrun}\n"]
    for i, l in enumerate(lines):
        if l.strip() == "[global]":
            return "".join(lines[:i + 1] + add + lines[i + 1:])
    return "".join(["[global]\n"] + add) + job_text


def split_output(text):
    """fio --client's stdout: (its text lines, the JSON document or None).
    The document starts at the first line that is just '{'."""
    m = re.search(r"^\{\s*$", text, re.M)
    if not m:
        return text, None
    try:
        doc, end = json.JSONDecoder().raw_decode(text, m.start())
    except ValueError:
        return text, None
    return text[:m.start()] + text[end:].lstrip("\n"), doc


def local_doc(doc):
    """fio --client's JSON in fio's own layout: client_stats back into jobs,
    without the client's "All clients" sum and the hostname/port it adds."""
    out = {k: v for k, v in doc.items() if k != "client_stats"}
    jobs = list(doc.get("client_stats") or [])
    if len(jobs) > 1 and jobs[-1].get("jobname") == "All clients":
        jobs = jobs[:-1]
    out["jobs"] = [{k: v for k, v in j.items() if k not in ("hostname", "port")}
                   for j in jobs]
    return out


def strip_prefix(line):
    """A server's text line without the client's '<hostname> ' prefix."""
    m = re.match(r"<[^>]*> ", line)
    return line[m.end():] if m else line


# what fio 3.41's client prints when it loses its server, or never reaches it
LOST_PATTERNS = ((r"client: host=\S+ disconnected", "lost during the run"),
                 (r"fio: client \S+, timeout on cmd .*", "stopped answering"),
                 (r"fio: connect: .*", "unreachable"),
                 (r"fio: failed to connect to \S+", "unreachable"))


def lost_reason(text, name):
    """Why the client lost or never reached the server at name, or None."""
    for pat, what in LOST_PATTERNS:
        m = re.search(pat, text)
        if m:
            return f"fio server {name} {what} ({m.group(0).strip()})"
    return None


def payload(text, tag):
    """The bytes remote-collect emitted under tag, from the client's output
    (the exec engine's 'fdm-TAG-I-N : program=true, arguments=HEX' lines)."""
    got, count = {}, None
    pat = re.compile(r"^(?:<[^>]*> )?fdm-(%s)-(\d+)-(\d+) : program=true, arguments=([0-9a-f]*)\s*$"
                     % re.escape(tag), re.M)
    for m in pat.finditer(text):
        i, n = int(m.group(2)), int(m.group(3))
        if count not in (None, n):
            raise RemoteError(f"answer {tag}: chunk counts {count} and {n} disagree")
        count = n
        got[i] = m.group(4)
    if count is None:
        raise RemoteError(f"no answer {tag} in the client's output")
    missing = sorted(set(range(count)) - set(got))
    if missing:
        raise RemoteError(f"answer {tag}: chunks {missing} of {count} did not come back")
    try:
        return bytes.fromhex("".join(got[i] for i in range(count)))
    except ValueError as e:
        raise RemoteError(f"answer {tag}: not hex: {e}") from e


def sections(data):
    """remote-collect's sections: '@@ NAME BYTES RC' lines, BYTES bytes of
    output and a newline each -> {name: (rc, text)}."""
    out, i = {}, 0
    while i < len(data):
        j = data.find(b"\n", i)
        head = data[i:j if j >= 0 else len(data)].decode(errors="replace").split()
        if j < 0 or len(head) != 4 or head[0] != "@@" or not head[2].isdigit():
            raise RemoteError(f"malformed section header at byte {i}: {' '.join(head)[:80]!r}")
        n = int(head[2])
        body = data[j + 1:j + 1 + n]
        if len(body) != n:
            raise RemoteError(f"section {head[1]} is cut short ({len(body)} of {n} bytes)")
        out[head[1]] = (int(head[3]) if head[3].lstrip("-").isdigit() else None,
                        body.decode(errors="replace"))
        i = j + 1 + n + 1
    return out


def text_of(secs, name, default=None):
    """A section's text when its command succeeded, else default."""
    rc, text = secs.get(name, (None, None))
    return text.strip() if rc == 0 else default


def samples_doc(secs, period):
    """The cell's system-wide samples in the layout of the runner's own
    ProcStatSampler.doc(), from the 'clock' and 'samples' sections."""
    clock = (text_of(secs, "clock") or "").split()
    if len(clock) != 7:
        raise RemoteError(f"the sampler's clock line is {text_of(secs, 'clock')!r}")
    mode, off0, off1, cpus, tck, per, own = clock
    rows = []
    for line in (text_of(secs, "samples") or "").splitlines():
        f = line.split()
        if len(f) < 4 or f[1] != "cpu":
            continue        # a line cut short by a killed sampler
        try:
            t = (int(f[0]) + int(off0)) / 1e9
            rows.append([round(t, 6)] + [int(x) for x in f[2:-1]] +
                        [None if f[-1] == "-" else int(f[-1])])
        except ValueError:
            continue
    if len(rows) < 2:
        raise RemoteError(f"{len(rows)} system CPU sample(s) came back; the cell needs its "
                          f"first and last at least")
    doc = {"clk_tck": int(tck), "cpus": int(cpus),
           "columns": "time (CLOCK_REALTIME s), then the /proc/stat cpu line: user nice "
                      "system idle iowait irq softirq steal guest guest_nice, then "
                      "/proc/schedstat rq_cpu_time summed over CPUs (ns, or null: read "
                      "only where the machine has one CPU)",
           "period_s": float(per), "samples": rows,
           "sampler": {"host": text_of(secs, "host"), "by": "scripts/remote-collect",
                       "clock": "CLOCK_MONOTONIC from /proc/timer_list plus its realtime "
                                "offset" if mode == "timer_list" else "date +%s%N",
                       "own_cpu_ticks": int(own) if own.isdigit() else None}}
    if mode == "timer_list" and off1 not in (off0, "-"):
        doc["sampler"]["clock_offset_changed_ns"] = int(off1) - int(off0)
    return doc


def devnodes(secs):
    return set((text_of(secs, "devnodes") or "").split())


def facts_meta(secs, spec, paths, engine_version=None):
    """meta_doc()'s facts from remote-collect's sections."""
    cmdline = text_of(secs, "cmdline", "")
    cpus = text_of(secs, "cpus")
    aff = (text_of(secs, "affinity") or "").partition(":")[2]
    cpu = {"model": mt.cpu_model(text_of(secs, "cpu_model", "")) or "unknown",
           "count": int(cpus) if cpus and cpus.isdigit() else None,
           "affinity": mt.cpu_list_count(aff) if aff.strip() else None}
    gov = text_of(secs, "governor")
    if gov:
        cpu["governor"] = gov
    present = bool((text_of(secs, "iommu_classes") or "").split())
    gtype = text_of(secs, "sysfs_iommu_group_type")
    ck = (text_of(secs, "engine") or "").split()
    if engine_version is None:
        engine_version = (f"remote {paths['engine']} cksum {ck[0]} size {ck[1]}"
                          if len(ck) >= 2 else f"remote {paths['engine']}: missing")
    fio_bin = text_of(secs, "fio_bin")
    try:
        probe = json.loads(text_of(secs, "probe") or "")
    except ValueError:
        rc, t = secs.get("probe", (None, ""))
        probe = {"error": f"{paths['probe']} --json on {spec['name']} failed (exit {rc}): "
                          f"{(t or '').strip()[:300]}"}
    return {"virtualization": mt.virt_from(text_of(secs, "virt"),
                                           text_of(secs, "cpu_hypervisor", "")),
            "kernel": {"release": text_of(secs, "kernel_release", "unknown"), "cmdline": cmdline},
            "iommu": mt.iommu_mode(cmdline, gtype, present),
            "cpu": cpu, "memory_bytes": mt.parse_meminfo(text_of(secs, "meminfo", "")),
            "fio_version": text_of(secs, "fio_version"), "fio_bin": fio_bin,
            "engine_version": engine_version, "hostname": text_of(secs, "hostname", "unknown"),
            "probe": probe}


def dir_facts(secs, path):
    """dir_verdict()'s facts from remote-collect's dir_* sections."""
    facts = {"isdir": secs.get("dir_isdir", (1, ""))[0] == 0}
    if not facts["isdir"]:
        return facts
    if secs.get("dir_writable", (1, ""))[0] != 0:
        facts["odirect_error"] = "cannot create a file there: " + \
            secs.get("dir_writable", (1, "?"))[1].strip()
    else:
        try:
            f = json.loads(text_of(secs, "dir_odirect") or "")["files"][0]
            if f.get("o_direct") is not True:
                facts["odirect_error"] = f.get("reason") or "O_DIRECT open fails"
        except (ValueError, KeyError, IndexError, TypeError):
            facts["odirect_error"] = "dmabuf-probe could not test it: " + \
                secs.get("dir_odirect", (1, "no answer"))[1].strip()[:200]
    df = (text_of(secs, "dir_df") or "").splitlines()
    try:
        facts["free"] = int(df[-1].split()[3]) * 1024
    except (IndexError, ValueError):
        raise RemoteError(f"df -Pk {path} said {df!r}")
    ls = (text_of(secs, "dir_datafile") or "").split()
    facts["have"] = int(ls[4]) if len(ls) > 4 and ls[4].isdigit() else 0
    return facts


def device_facts(secs):
    """device_verdict()'s facts from remote-collect's dev_* sections."""
    if secs.get("dev_exists", (1, ""))[0] != 0:
        return {"stat_error": "No such file or directory"}
    kind = text_of(secs, "dev_type", "other")
    facts = {"type": kind, "realpath": text_of(secs, "dev_realpath")}
    if kind == "block":
        parts = []
        for line in (text_of(secs, "dev_parts") or "").splitlines():
            if len(line.split()) == 2:
                parts.append(tuple(line.split()))
        size = text_of(secs, "dev_size")
        facts.update(mm=text_of(secs, "dev_mm"),
                     sysfs_name=os.path.basename(text_of(secs, "dev_sysfs") or ""),
                     partition=secs.get("dev_partition", (1, ""))[0] == 0,
                     mounted=tg.parse_mountinfo(text_of(secs, "mountinfo", "")),
                     swaps=tg.parse_swaps(text_of(secs, "swaps", "")),
                     holders=(text_of(secs, "dev_holders") or "").split(),
                     parts=parts, size_bytes=int(size) * 512 if size and size.isdigit() else None)
    elif kind == "file":
        ls = (text_of(secs, "dev_ls") or "").split()
        facts["size_bytes"] = int(ls[4]) if len(ls) > 4 and ls[4].isdigit() else None
    chunks = {}
    for line in (text_of(secs, "dev_bytes") or "").splitlines():
        off, _, hx = line.partition(" ")
        if off.isdigit():
            chunks[int(off)] = bytes.fromhex(hx.strip())
    found = tg.parse_blkid(text_of(secs, "blkid", "") or "")
    facts["signatures"] = found or tg.own_signatures(tg.head_from_ranges(chunks))
    return facts


SYSFS_KEYS = {"model": "sysfs_model", "firmware": "sysfs_firmware_rev",
              "transport": "sysfs_transport", "controller": "sysfs_controller",
              "pci_address": "sysfs_pci", "numa_node": "sysfs_numa_node",
              "logical_block_size": "sysfs_logical_block_size",
              "max_hw_sectors_kb": "sysfs_max_hw_sectors_kb"}


def device_identity(secs, target, paths):
    """meta.json's device from remote-collect's sysfs_* and nvme_id sections."""
    if target.get("kind") != "block":
        return None
    attrs = {k: text_of(secs, s) for k, s in SYSFS_KEYS.items()}
    if not attrs["pci_address"]:
        attrs["pci_address"] = text_of(secs, "sysfs_address")
    rc, out = secs.get("nvme_id", (None, ""))
    tool = f"{paths['top']}/build/nvme-id"
    if rc == 127:
        rc = None
    return mt.identity_doc(attrs, target, rc, out if rc == 0 else "", out, tool)


# ---- the remote machine ----------------------------------------------------------

class RemoteHost:
    """The machine under test behind fio --server: the same questions as
    runner.LocalHost, answered from remote-collect's facts, and cells run
    through fio --client."""

    def __init__(self, spec, fio, paths, log):
        self.spec, self.fio, self.paths, self.log = spec, fio, paths, log
        self.remote = spec["name"]
        self.engine_so = paths["engine"]
        self.secs = {}
        self.parse_names = {}
        self.child = None
        self.interrupted = False
        self.period = rn.PROC_STAT_PERIOD_S
        self.nonce = f"{os.getpid()}.{int(time.time())}"

    def on_signal(self):
        self.interrupted = True
        if self.child and self.child.poll() is None:
            try:
                os.killpg(self.child.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    # -- fio --client
    def client(self, argv, cwd, timeout, out_path=None, owner=None):
        """Run argv (client_argv()'s) in cwd. Returns (rc, output, why) where
        why says the server was lost or the client was killed at timeout."""
        out_path = out_path or os.path.join(cwd, ".client.out")
        owner = owner or self
        with open(out_path, "w") as f:
            owner.child = subprocess.Popen(argv, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                           start_new_session=True)
            why = None
            try:
                rc = owner.child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(owner.child.pid, signal.SIGKILL)
                rc = owner.child.wait()
                why = (f"fio --client={self.spec['client']} did not finish within {timeout:.0f} s "
                       f"and was killed (fio server {self.spec['name']} unreachable or hung?)")
            owner.child = None
        with open(out_path, errors="replace") as f:
            text = f.read()
        if out_path.endswith(".client.out"):
            os.unlink(out_path)
        if why is None and rc != 0:
            why = lost_reason(text, self.spec["name"])
        return rc, text, why

    def fetch(self, state, tag, cwd, owner=None):
        """The sections remote-collect emitted into state/fetch.fio under tag."""
        rc, text, why = self.client(self.client_argv(f"--remote-config={state}/fetch.fio"), cwd,
                                    FETCH_TIMEOUT_S, owner=owner)
        if f"unable to open '{state}/fetch.fio'" in text:      # fio may exit 0 or drop us
            raise RemoteError(f"{self.paths['collect']} left no {state}/fetch.fio on "
                              f"{self.spec['name']}: is it there (--remote-top "
                              f"{self.paths['top']}), and can fio's server write "
                              f"{self.paths['state']}?")
        if why:
            raise ServerLost(why)
        try:
            return sections(payload(text, tag))
        except RemoteError:
            if rc != 0:
                raise RemoteError(f"fetching {state}/fetch.fio from {self.spec['name']} "
                                  f"failed (fio --client exited {rc}): {rn.tail_reason(text)}")
            raise

    def collect(self, kind, path, parse_jobs, cwd):
        """Run remote-collect's facts (and one parse check per job text of
        parse_jobs, {name: text}) on the remote, and read them back."""
        p = self.paths
        st = f"{p['state']}/facts"
        tag = f"facts.{self.nonce}".replace("-", "")
        ranges = ",".join(f"{o}:{n}" for o, n in tg.signature_ranges())
        sh = f"sh {p['collect']}"
        jobs = ["[global]", "ioengine=null", "size=4k", "bs=4k", "rw=read", "thread=1",
                "[fdm-clear]",
                f"exec_prerun=mkdir -p {st} && cd {st} && rm -rf out parse fetch.fio && mkdir out",
                "[fdm-facts]", "stonewall",
                f"exec_prerun=cd {st} && {sh} facts {st} {kind} {path} {p['engine']} "
                f"{p['probe']} {tg.DATA_FILE} {ranges}"]
        for name, text in parse_jobs.items():
            hx = hexdump(compact_job(text))
            if len(hx) > 7000:
                raise RemoteError(f"the {name} job is too long for remote-collect's parse "
                                  f"check ({len(hx)} hex characters; fio reads 8192 a line)")
            jobs += [f"[fdm-parse-{name}]", f"exec_prerun=cd {st} && {sh} parse {st} {name} {hx}"]
        jobs += ["[fdm-emit]", "stonewall", f"exec_prerun=cd {st} && {sh} emit {st} {tag}"]
        job_path = os.path.join(cwd, ".remote-collect.fio")
        with open(job_path, "w") as f:
            f.write("\n".join(jobs) + "\n")
        try:
            rc, text, why = self.client(self.client_argv(job_path), cwd, FETCH_TIMEOUT_S)
        finally:
            os.unlink(job_path)
        if why:
            raise ServerLost(why)
        if rc != 0:
            raise RemoteError(f"running scripts/remote-collect on {self.spec['name']} failed "
                              f"(fio --client exited {rc}): {rn.tail_reason(text)}")
        self.secs = self.fetch(st, tag, cwd)
        for need in ("hostname", "kernel_release"):
            if need not in self.secs:
                raise RemoteError(f"{p['collect']} on {self.spec['name']} gave no {need}: is "
                                  f"it there (--remote-top {p['top']})?")
        return self.secs

    # -- the questions runner.Runner asks
    def engine_reason(self):
        if secs_rc(self.secs, "engine") != 0:
            return f"{self.engine_so} is not on {self.spec['name']} (run make there)"
        return None

    def io_uring(self):
        euid = text_of(self.secs, "euid")
        return text_of(self.secs, "io_uring_disabled"), int(euid) if euid and euid.isdigit() else 0

    def source_reason(self, source, probe):
        nodes = devnodes(self.secs)

        def cuda():
            ent = probe.get("cuda") if isinstance(probe, dict) else None
            if isinstance(ent, dict) and ent.get("available") is True:
                return None
            return (f"dma-buf source cuda unavailable on {self.spec['name']}: "
                    f"{(ent or {}).get('reason', 'dmabuf-probe did not say')}")
        return rn.source_reason(source, probe, exists=nodes.__contains__, cuda_reason=cuda)

    def path_rules(self):
        try:
            return json.loads(text_of(self.secs, "paths") or "")
        except ValueError:
            raise RemoteError(f"{self.paths['probe']} --paths on {self.spec['name']}: "
                              f"{secs_text(self.secs, 'paths')[:200]}")

    def cell_env(self, m, c, target):
        return mx.fio_env(m, c, target["path"], self.engine_so)

    def parse_reason(self, c, info, env):
        name = self.parse_names.get((c["arm"], c["source"]))
        if name is None or f"parse.{name}" not in self.secs:
            return None     # not checked: the run will say
        rc, text = self.secs[f"parse.{name}"]
        if rc != 0 or "Bad option" in text or "unrecognized option" in text:
            return (f"fio --parse-only on {self.spec['name']} rejects {c['arm']}.fio: "
                    f"{rn.tail_reason(text)}")
        return None

    def state(self):
        return f"{self.paths['state']}/cell"

    def tag(self, c):
        return f"c{c['order']}.{self.nonce}".replace("-", "")

    def job_text(self, info, env, c):
        st, sh = self.state(), f"sh {self.paths['collect']}"
        return with_exec(mx.render_job(info["path"], env),
                         f"mkdir -p {st} && cd {st} && {sh} start {st} {self.period} {self.tag(c)}",
                         f"cd {st} && {sh} stop {st} {self.tag(c)}")

    def client_argv(self, *args):
        return [self.fio, f"--client={self.spec['client']}"] + list(args)

    def command(self, info, env, run_dir, pmu):
        argv = self.client_argv("--output-format=json+", "job.fio")
        return argv, "cd " + run_dir + " && " + " ".join(argv)

    def execute(self, r, c, pd, argv, env):
        limit = r.m["ramp_time"] + r.m["runtime"] + rn.FIO_SLACK_S + CLIENT_SLACK_S
        t0, start = time.monotonic(), mt.now()
        rc, text, why = self.client(argv, pd, limit, os.path.join(pd, "client.out"), owner=r)
        elapsed, end = time.monotonic() - t0, mt.now()
        if r.interrupted:
            return None
        os.unlink(os.path.join(pd, "client.out"))
        log, doc = split_output(text)
        with open(os.path.join(pd, "stderr.log"), "w") as f:
            f.write(log)
        if doc is not None and (doc.get("client_stats") or not why):
            rn.write_json(os.path.join(pd, "fio.json"), local_doc(doc))
        plain = "\n".join(strip_prefix(l) for l in log.splitlines())
        extra = {"start": start, "end": end, "elapsed_s": round(elapsed, 3), "fio_rc": rc,
                 "engine_lines": rn.engine_lines(plain),
                 "remote": {"server": self.spec["name"], "hostname": text_of(self.secs, "hostname"),
                            "fio_json": "fio --client's client_stats as fio's jobs (remote.local_doc)"}}
        reason = why or rn.fio_reason(rc, plain, os.path.join(pd, "fio.json"))
        if why:
            extra["retry"] = True       # --resume runs it again
            return reason, extra
        if reason:
            return reason, extra
        try:
            samples = samples_doc(self.fetch(self.state(), self.tag(c), pd, owner=r), self.period)
        except RemoteError as e:
            if r.interrupted:
                return None
            if isinstance(e, ServerLost):
                extra["retry"] = True
            return f"system CPU samples from {self.spec['name']}: {e}", extra
        rows = samples["samples"]
        extra["proc_stat"] = {"clk_tck": samples["clk_tck"], "before": rows[0][1:-1],
                              "after": rows[-1][1:-1],
                              "note": "system-wide cpu ticks from the cell's first to its last "
                                      "sample on the remote (ramp included)"}
        extra["proc_stat_samples"] = samples
        return None, extra

    def precondition(self, r, d, job):
        path = os.path.join(d, "job.fio")
        with open(path, "w") as f:
            f.write("[precondition]\n" + "".join(f"{k}={v}\n" for k, v in job.items()
                                                 if k != "name"))
        argv = self.client_argv("--output-format=json", "job.fio")
        with open(os.path.join(d, "cmdline"), "w") as f:
            f.write("cd " + d + " && " + " ".join(argv) + "\n")
        rc, text, why = self.client(argv, d, None, os.path.join(d, "stderr.log"), owner=r)
        return rc


def secs_rc(secs, name):
    return secs.get(name, (None, ""))[0]


def secs_text(secs, name):
    return secs.get(name, (None, ""))[1] or ""
