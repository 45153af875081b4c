"""Several result sets, one per machine: who each host is, and what is
compared across hosts. The host is a factor: each host's runs are analysed
on their own, and runs of different hosts are never replicates of one
sample.

  levels   the same cell on host H and on the reference host R (the first
           given): each host's own median and bootstrap CI, and H against R
           as two independent samples of per-run values (exact Mann-Whitney
           on log values, Hodges-Lehmann ratio H/R and its inverted 95% CI),
           corrected per metric over the cells x hosts compared
  effects  each host's own comparisons (its report's, e.g. dmabuf-direct vs
           mem) side by side; for declared comparisons run in pairs, also
           whether the effect differs between hosts: the per-pair ratios
           candidate/baseline of H against those of R, unpaired, the same
           test (ratio of the effects and its CI), corrected per metric

Pure functions on load.ResultSet, stats.CellStats and verdict.Comparison.
A host is its hostname plus machine.machine_key (the machine type the
baselines are keyed by: CPU, CPUs, device and firmware, kernel, series,
IOMMU, measurement), both from meta.json.
"""
import math
import os
import re
from dataclasses import dataclass, field

from .jsondoc import LoadError
from .machine import machine_key
from .report import measure_of
from .stats import CPU_METRICS, run_values
from .verdict import VIRTUAL_TIME_METRICS, compare_values, finish, pair_units

HOST_METRICS = ("cpu_ns_per_io", "sys_cpu_ns_per_io", "iops", "lat_mean_ns", "lat_p99_ns")
EFFECT_WORDS = {"better": "differs", "worse": "differs", "same": "same",
                "inconclusive": "inconclusive", "descriptive": "descriptive"}


def machine_of(meta):
    """machine.machine_key of a result set, or None (with the reason) when
    its meta.json lacks a field the key needs."""
    try:
        return machine_key(meta), None
    except LoadError as e:
        return None, e.problem


def host_key(meta):
    """The machine a result set ran on: (hostname, machine key), or for a
    meta.json the machine key cannot read, (hostname, CPU model and count,
    kernel release, device model and firmware). None for plain fio output
    (fio's JSON records no machine)."""
    if meta.get("source") == "fio-json":
        return None
    key, _why = machine_of(meta)
    if key is not None:
        return (meta.get("hostname"), key)
    cpu = meta.get("cpu") if isinstance(meta.get("cpu"), dict) else {}
    kern = meta.get("kernel") if isinstance(meta.get("kernel"), dict) else {}
    dev = meta.get("device") if isinstance(meta.get("device"), dict) else {}
    return (meta.get("hostname"), cpu.get("model"), cpu.get("count"), kern.get("release"),
            dev.get("model"), dev.get("firmware"))


def describe(meta):
    """The host in one line, for the hosts table."""
    if meta.get("source") == "fio-json":
        return "not recorded (plain fio JSON)"
    cpu = meta.get("cpu") if isinstance(meta.get("cpu"), dict) else {}
    kern = meta.get("kernel") if isinstance(meta.get("kernel"), dict) else {}
    dev = meta.get("device") if isinstance(meta.get("device"), dict) else {}
    return "%s, %s x %s, kernel %s%s" % (
        meta.get("hostname") or "?", cpu.get("count", "?"), cpu.get("model", "unknown CPU"),
        kern.get("release", "?"),
        ", device %s" % " ".join(str(dev[k]) for k in ("model", "firmware") if dev.get(k))
        if dev else ", no device recorded")


def host_labels(sets):
    """A short, unique label per result set ([(path, meta)]), and notes on
    how labels were made and which sets share a machine. The label is the
    hostname; where two sets share it, the kernel is added, then the set's
    name. Plain fio output has no hostname: its directory name is used."""
    notes = []
    base = []
    for path, meta in sets:
        if meta.get("source") == "fio-json":
            base.append(os.path.basename(os.path.abspath(path)))
        else:
            base.append(str(meta.get("hostname") or os.path.basename(os.path.abspath(path))))
    labels = list(base)
    extras = (lambda m, p: (m.get("kernel") or {}).get("release")
              if isinstance(m.get("kernel"), dict) else None,
              lambda m, p: m.get("name"),
              lambda m, p: os.path.basename(os.path.abspath(p)))
    for extra in extras:
        for lab in sorted({l for l in labels if labels.count(l) > 1}):
            idx = [i for i, l in enumerate(labels) if l == lab]
            vals = [extra(sets[i][1], sets[i][0]) for i in idx]
            if len(set(map(str, vals))) > 1:        # only what tells them apart
                for i, v in zip(idx, vals):
                    labels[i] = "%s %s" % (lab, v) if v else lab
    for lab in sorted({l for l in labels if labels.count(l) > 1}):
        for n, i in enumerate([i for i, l in enumerate(labels) if l == lab]):
            labels[i] = "%s #%d" % (lab, n + 1)
    keys = {}
    for (path, meta), lab in zip(sets, labels):
        k = host_key(meta)
        if k is not None:
            keys.setdefault(k, []).append(lab)
    for labs in keys.values():
        if len(labs) > 1:
            notes.append("%s ran on the same machine by meta.json (hostname and machine "
                         "key): kept apart as separate sessions, not pooled"
                         % " and ".join("`%s`" % l for l in labs))
    if any(m.get("source") == "fio-json" for _, m in sets):
        notes.append("plain fio JSON records no host: such sets are labelled by their "
                     "directory name, and which machine they ran on is not known")
    return labels, notes


def slug(label):
    """A label as a directory name."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", label).strip("_") or "host"


@dataclass
class Host:
    label: str
    rs: object                # load.ResultSet
    stats: list               # stats.CellStats
    comps: list = field(default_factory=list)   # its own report's comparisons
    out: str = ""             # its report directory

    @property
    def measure(self):
        return measure_of(self.rs.meta)


def _skip(metric, ref, host):
    """Why `metric` cannot be compared between the two hosts, or None."""
    if metric in CPU_METRICS and ref.measure != host.measure:
        return ("the CPU metric counts %s on %s and %s on %s" % (
            ref.measure, ref.label, host.measure, host.label))
    return None


def level_comparisons(hosts, min_effect, alpha, correction, metrics=HOST_METRICS):
    """Each host against the reference host (hosts[0]) cell by cell, as two
    independent samples of per-run values. Returns (comparisons, cells of
    a host that the reference has no ok run of, notes). Keys are
    (reference label, host label) + cell."""
    ref = hosts[0]
    rcells = {s.cell: s for s in ref.stats if s.n > 0}
    comps, only, notes = [], [], set()
    for h in hosts[1:]:
        for s in h.stats:
            if s.n == 0:
                continue
            r = rcells.get(s.cell)
            if r is None:
                only.append((h.label, s.cell))
                continue
            for m in metrics:
                why = _skip(m, ref, h)
                if why:
                    notes.add("%s not compared between hosts: %s" % (m, why))
                    continue
                c = compare_values(m, (ref.label, h.label) + s.cell, ref.label, h.label,
                                   r.values[m], s.values[m], False, min_effect)
                if not (c.n_base or c.n_cand):
                    continue
                if m in VIRTUAL_TIME_METRICS and "instructions" in (ref.measure, h.measure):
                    c.family = False
                    c.why = "virtual time under QEMU icount on one of the hosts"
                comps.append(c)
    return finish(comps, alpha=alpha, correction=correction), only, sorted(notes)


def pair_ratios(rs, metrics):
    """{(comparison label, candidate cell): {metric: [candidate/baseline per
    pair]}} for the declared comparisons a result set ran in pairs."""
    out = {}
    for label, _rnd, ce, be in pair_units(rs):
        if ce.run is None or be.run is None:
            continue
        vc, vb = run_values(ce.run), run_values(be.run)
        d = out.setdefault((label, ce.cell), {m: [] for m in metrics})
        for m in metrics:
            d[m].append(vc[m] / vb[m] if vb[m] and not math.isnan(vb[m]) else math.nan)
    return out


def effect_table(hosts, metrics):
    """{(comparison key, metric): {host label: Comparison}} for the
    comparisons at least two hosts made, in a stable order."""
    table = {}
    for h in hosts:
        for c in h.comps:
            if c.metric in metrics:
                table.setdefault((c.key, c.metric), {})[h.label] = c
    return {k: v for k, v in sorted(table.items(), key=lambda kv: _key_order(kv[0]))
            if len(v) > 1}


def _key_order(k):
    key, metric = k
    return (metric,) + tuple((0, x) if isinstance(x, int) else (1, x or "") for x in key)


def effect_differences(hosts, min_effect, alpha, correction, metrics=HOST_METRICS):
    """For every declared comparison and cell that both the reference host
    and host H ran in pairs: H's per-pair ratios against R's, unpaired.
    The estimate is the ratio of H's effect to R's (1 = the same effect).
    Key: (comparison label, reference label, host label) + candidate cell."""
    ref = hosts[0]
    rr = pair_ratios(ref.rs, metrics)
    comps, notes = [], set()
    for h in hosts[1:]:
        hr = pair_ratios(h.rs, metrics)
        for (label, cell), vals in sorted(hr.items(), key=lambda kv: repr(kv[0])):
            if (label, cell) not in rr:
                continue
            for m in metrics:
                why = _skip(m, ref, h)
                if why:
                    notes.add("%s effects not compared between hosts: %s" % (m, why))
                    continue
                c = compare_values(m, (label, ref.label, h.label) + cell, ref.label, h.label,
                                   rr[(label, cell)][m], vals[m], False, min_effect)
                if not (c.n_base or c.n_cand):
                    continue
                if m in VIRTUAL_TIME_METRICS and "instructions" in (ref.measure, h.measure):
                    c.family = False
                    c.why = "virtual time under QEMU icount on one of the hosts"
                comps.append(c)
    comps = finish(comps, alpha=alpha, correction=correction)
    for c in comps:
        c.verdict = EFFECT_WORDS[c.verdict]
    return comps, sorted(notes)


def cross_min_effect(hosts, given, min_effect_for):
    """The +-band for 'same' across hosts: --min-effect, else the
    measurement mode's when every host counts the same thing, else time's."""
    if given is not None:
        return given
    ms = {h.measure for h in hosts}
    return min_effect_for(ms.pop() if len(ms) == 1 else "time")
