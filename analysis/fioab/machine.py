"""The machine key: which baseline a result set may be gated against.

A baseline holds for one machine type only. The key names it, from the
result set's meta.json (scripts/matrixlib/meta.py writes it), in this fixed
order, fields joined by "_":

  CPU_NCPU_DEVICE_FW_KERNEL_SERIES_IOMMU_MEASURE[_GPU]

  CPU      cpu.model                      qemu-tcg-cpu-version-2.5+
  NCPU     cpu.count, then "cpu"          1cpu
  DEVICE   device.model; "host-files" when device is null (a --dir run)
  FW       "fw-" device.firmware; "fw-none" for host files
  KERNEL   "linux-" kernel.release        linux-7.2.13
  SERIES   "series" / "no-series" / "series-unknown": dmabuf_api true,
           false or null (whether the io_uring dma-buf API was present)
  IOMMU    "iommu-" iommu                 iommu-off
  MEASURE  "icount" when measure.cpu is instructions (the test VM under
           QEMU icount), else "cputime" (also when measure is absent: result
           sets older than it measured time)
  GPU      only where dmabuf-probe listed CUDA devices: "gpu-" their names,
           "+"-joined, N"x" before a name that repeats: gpu-nvidia-h200

Each value is lower-cased and every run of characters other than a-z, 0-9,
".", "+" and "-" becomes one "-" (so "_" never appears inside a field); the
slug loses case and punctuation only. The test VM's key:

  qemu-tcg-cpu-version-2.5+_1cpu_qemu-nvme-ctrl_fw-7.2.22_linux-7.2.13_no-series_iommu-off_icount

A required field that is missing (cpu.model, cpu.count, kernel.release,
iommu; device.model and device.firmware when there is a device) is an error
naming the field: a key that silently said "unknown" would match other
machines.

Baselines live in results/baselines/KEY/SESSION/, one result set per
session (a boot of the machine; SESSION is the run's start in UTC,
YYYYMMDDTHHMMSSZ), so the gate can see how much a cell moves between boots.
A directory that holds meta.json itself is a baseline of one session.

  python3 -m fioab.machine key RESULTS            the key of a result set
  python3 -m fioab.machine fields RESULTS         the fields it comes from
  python3 -m fioab.machine session-name RESULTS   its session directory name
  python3 -m fioab.machine sessions BASELINE      a baseline's sessions, checked
  python3 -m fioab.machine list ROOT              the keys under ROOT and their sessions
(run with analysis/ on PYTHONPATH; exit 3 with the file and problem on bad input)
"""
import argparse
import datetime
import os
import re
import sys

from .jsondoc import LoadError
from .load import load_meta, load_results
from .report import measure_of

SEP = "_"
SESSION_RE = re.compile(r"^\d{8}T\d{6}Z$")


def slug(text):
    """One key field: lower case, runs of other characters than a-z 0-9 . + -
    as one "-", no "-" at either end."""
    s = re.sub(r"[^a-z0-9.+-]+", "-", str(text).lower()).strip("-")
    return re.sub(r"-{2,}", "-", s)


def _need(meta, path, dotted):
    v = meta
    for k in dotted.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    if v is None or (isinstance(v, str) and not v.strip()):
        raise LoadError(path, "meta.json has no '%s': the machine key needs it "
                        "(see analysis/fioab/machine.py)" % dotted)
    return v


def _gpus(meta):
    probe = meta.get("probe")
    cuda = probe.get("cuda") if isinstance(probe, dict) else None
    devs = cuda.get("devices") if isinstance(cuda, dict) else None
    names = [d.get("name") for d in devs or [] if isinstance(d, dict) and d.get("name")]
    if not names:
        return None
    parts = []
    for n in sorted(set(names)):
        c = names.count(n)
        parts.append(("%dx" % c if c > 1 else "") + slug(n))
    return "gpu-" + "+".join(parts)


def key_fields(meta, path="meta.json"):
    """[(field, the meta.json value it comes from, key part)], in key order."""
    if not isinstance(meta, dict):
        raise LoadError(path, "meta.json is not an object")
    model = _need(meta, path, "cpu.model")
    count = _need(meta, path, "cpu.count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise LoadError(path, "meta.json 'cpu.count' is %r, expected a positive integer"
                        % (count,))
    dev = meta.get("device")
    if dev is None:
        dev_part, fw_part, dev_v, fw_v = "host-files", "fw-none", None, None
    elif isinstance(dev, dict):
        dev_v = _need(meta, path, "device.model")
        fw_v = _need(meta, path, "device.firmware")
        dev_part, fw_part = slug(dev_v), "fw-" + slug(fw_v)
    else:
        raise LoadError(path, "meta.json 'device' is %r, expected an object or null" % (dev,))
    release = _need(meta, path, "kernel.release")
    api = meta.get("dmabuf_api")
    if api not in (True, False, None):
        raise LoadError(path, "meta.json 'dmabuf_api' is %r, expected true, false or null"
                        % (api,))
    series = {True: "series", False: "no-series", None: "series-unknown"}[api]
    iommu = _need(meta, path, "iommu")
    measure = measure_of(meta)
    if measure not in ("instructions", "time"):
        raise LoadError(path, "meta.json 'measure.cpu' is %r, expected instructions or time"
                        % (measure,))
    out = [("cpu.model", model, slug(model)),
           ("cpu.count", count, "%dcpu" % count),
           ("device.model", dev_v, dev_part),
           ("device.firmware", fw_v, fw_part),
           ("kernel.release", release, "linux-" + slug(release)),
           ("dmabuf_api", api, series),
           ("iommu", iommu, "iommu-" + slug(iommu)),
           ("measure.cpu", measure, "icount" if measure == "instructions" else "cputime")]
    gpu = _gpus(meta)
    if gpu:
        out.append(("probe.cuda.devices", gpu[4:], gpu))
    for f, _, part in out:
        if not part or part.endswith("-"):
            raise LoadError(path, "meta.json '%s' gives an empty machine-key field" % f)
    return out


def machine_key(meta, path="meta.json"):
    return SEP.join(part for _, _, part in key_fields(meta, path))


def result_key(root):
    """The key of the result set in directory root."""
    p = os.path.join(root, "meta.json")
    return machine_key(load_meta(p), p)


def session_name(meta, path="meta.json"):
    """A session's directory name: the run's start in UTC, YYYYMMDDTHHMMSSZ."""
    start = meta.get("start") if isinstance(meta, dict) else None
    try:
        t = datetime.datetime.fromisoformat(start)
    except (TypeError, ValueError):
        raise LoadError(path, "meta.json 'start' is %r, not an ISO 8601 time" % (start,))
    if t.tzinfo is None:
        raise LoadError(path, "meta.json 'start' %r has no time zone" % start)
    return t.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def baseline_sessions(base):
    """The result sets of a baseline: base itself when it holds meta.json,
    else its subdirectories that do (sorted by name). Raises LoadError when
    there are none, or when the sessions are not of one machine key."""
    if not os.path.isdir(base):
        raise LoadError(base, "not a directory")
    if os.path.exists(os.path.join(base, "meta.json")):
        return [base]
    subs = sorted(os.path.join(base, d) for d in os.listdir(base)
                  if os.path.isdir(os.path.join(base, d)))
    sessions = [d for d in subs if os.path.exists(os.path.join(d, "meta.json"))]
    if not sessions:
        raise LoadError(base, "neither a result set (no meta.json) nor a baseline of "
                        "sessions (no SESSION/meta.json under it)")
    keys = {}
    for s in sessions:
        keys.setdefault(result_key(s), []).append(os.path.basename(s))
    if len(keys) > 1:
        raise LoadError(base, "sessions of different machines: " + "; ".join(
            "%s: %s" % (", ".join(v), k) for k, v in sorted(keys.items())))
    return sessions


def load_baseline(base):
    """[ResultSet] of a baseline's sessions (see baseline_sessions)."""
    return [load_results(s) for s in baseline_sessions(base)]


def list_baselines(root):
    """[(key, [session names], problem or None)] for each directory under root.
    A problem is a directory whose sessions do not derive its own name as key,
    or that is not a baseline at all."""
    out = []
    if not os.path.isdir(root):
        return out
    for d in sorted(os.listdir(root)):
        path = os.path.join(root, d)
        if not os.path.isdir(path) or os.path.islink(path):
            continue
        try:
            sessions = baseline_sessions(path)
            key = result_key(sessions[0])
        except LoadError as e:
            out.append((d, [], str(e)))
            continue
        names = [os.path.basename(s) for s in sessions] if sessions != [path] else ["."]
        problem = None if key == d else "its sessions have key %s" % key
        out.append((d, names, problem))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fioab.machine",
                                 description="Machine keys of result sets and baselines.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, what in (("key", "RESULTS"), ("fields", "RESULTS"), ("session-name", "RESULTS"),
                       ("sessions", "BASELINE"), ("list", "ROOT")):
        sub.add_parser(name).add_argument("dir", metavar=what)
    a = ap.parse_args(argv)
    try:
        if a.cmd == "key":
            print(result_key(a.dir))
        elif a.cmd == "fields":
            p = os.path.join(a.dir, "meta.json")
            for f, v, part in key_fields(load_meta(p), p):
                print("%-18s %-40s %s" % (f, v, part))
        elif a.cmd == "session-name":
            p = os.path.join(a.dir, "meta.json")
            print(session_name(load_meta(p), p))
        elif a.cmd == "sessions":
            for s in baseline_sessions(a.dir):
                print(s)
        else:
            rows = list_baselines(a.dir)
            for key, names, problem in rows:
                if problem:
                    print("%s: NOT USABLE: %s" % (key, problem))
                else:
                    print("%s: %d session%s (%s)" % (key, len(names), "" if len(names) == 1
                                                     else "s", ", ".join(names)))
            if not rows:
                print("(no baselines under %s)" % a.dir)
    except LoadError as e:
        print("fioab.machine: %s" % e, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
