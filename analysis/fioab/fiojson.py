"""Cells from plain fio JSON: what a job was, read from the options fio
recorded, for output our runner did not write (analysis/report --fio-json).

Pure functions on parsed fio JSON documents; reading the files is
load.load_fio_json's. What fio records (stat.c json_add_job_opts):
"global options" (the [global] section and command-line options before the
first --name) and per job "job options", each holding only the options that
were set explicitly, under fio's canonical names (an alias such as
readwrite= is recorded as rw), as strings. fio 3.33 leaves out options that
take no value (time_based, group_reporting, stonewall); 3.41 records them
with the value "".

A job's cell is (arm, source, pattern, bs, iodepth, numjobs) as load.CELL_KEYS:
  arm      ioengine (external:PATH as external:BASENAME), plus every other
           option that differs between jobs of the same engine, pattern, bs,
           iodepth and numjobs (see factor_options): runs that ran
           differently are never taken as repeats of one cell
  source   none (plain fio has no buffer source; the dma-buf engine's
           dmabuf_source is an option like any other)
  pattern  rw (readwrite is the same as rw)
  bs       bs: one size, or for a pure read, write or trim pattern the entry
           of bs=READ,WRITE,TRIM that pattern uses
  iodepth, numjobs
Options left unset take fio's own defaults (DEFAULTS, from fio's options.c
.def fields; FIO_PREFERRED_ENGINE is psync on Linux), and the report says
how often each default was used.
"""
import os
import re

from .fio import parse_size

DEFAULTS = {"ioengine": "psync", "rw": "read", "bs": "4096", "iodepth": "1",
            "numjobs": "1"}
CELL_OPTIONS = tuple(DEFAULTS)
PURE = {"read": 0, "randread": 0, "write": 1, "randwrite": 1, "trim": 2,
        "randtrim": 2}
# Options that say how fio reports or logs, or name things, not what the
# job did: they never make two runs different cells.
NOT_CONFIG = frozenset((
    "name", "description", "output", "output-format", "group_reporting",
    "write_bw_log", "write_lat_log", "write_iops_log", "write_hist_log",
    "log_avg_msec", "log_hist_msec", "log_hist_coarseness", "log_max_value",
    "log_offset", "log_compression", "log_store_compressed", "log_unix_epoch",
    "log_alternate_epoch", "log_alternate_epoch_clock_id", "per_job_logs",
    "log_entries", "log_prio", "log_issue_time", "status-interval",
    "percentile_list", "lat_percentiles", "clat_percentiles",
    "slat_percentiles", "significant_figures"))
# options whose value makes bs something other than one size per I/O
BS_OVERRIDES = ("bssplit", "bsrange")
CONCURRENT = "(concurrent jobs)"    # pseudo-option: other jobs in the reporting group


class NotInferable(Exception):
    """A job whose cell cannot be read from its options (the reason)."""


def job_options(doc, job):
    """The options that applied to `job`: fio's "global options" overlaid
    with the job's own "job options" (strings)."""
    opts = {}
    for src in (doc.get("global options"), job.get("job options")):
        if isinstance(src, dict):
            opts.update({str(k): "" if v is None else str(v) for k, v in src.items()})
    return opts


def pattern_of(rw):
    """fio's rw value as a pattern name: readwrite is rw."""
    return "rw" if rw == "readwrite" else rw


def engine_label(ioengine):
    """ioengine as an arm name: external:/path/to/x.so -> external:x.so."""
    if ioengine.startswith("external:"):
        return "external:" + os.path.basename(ioengine[len("external:"):])
    return ioengine


def block_size(bs, pattern):
    """The one block size of a job from fio's bs value, or NotInferable."""
    parts = [p.strip() for p in bs.split(",")]
    if len(parts) == 1:
        text = parts[0]
    else:
        # bs=R,W,T: a missing trailing value takes the last one given
        base = pattern.split(":", 1)[0]
        if base not in PURE:
            raise NotInferable("bs=%s gives reads and writes different sizes and "
                               "rw=%s does both" % (bs, pattern))
        i = min(PURE[base], len(parts) - 1)
        text = parts[i]
        if not text:
            raise NotInferable("bs=%s leaves the %s size empty"
                               % (bs, ("read", "write", "trim")[PURE[base]]))
    if "-" in text or ":" in text:
        raise NotInferable("bs=%s is a range, not one size" % bs)
    try:
        n = parse_size(text)
    except ValueError:
        raise NotInferable("bs=%s is not a size this analysis reads" % bs)
    if n <= 0:
        raise NotInferable("bs=%s" % bs)
    return n


def _count(opts, name):
    v = opts.get(name, DEFAULTS[name])
    if not re.fullmatch(r"\s*\d+\s*", v) or int(v) <= 0:
        raise NotInferable("%s=%s is not a positive whole number" % (name, v))
    return int(v)


def infer_cell(opts):
    """(engine, pattern, bs, iodepth, numjobs) of one job from its options,
    and the options that took fio's default. Raises NotInferable."""
    defaults = [k for k in CELL_OPTIONS if k not in opts]
    got = dict(DEFAULTS, **{k: opts[k] for k in CELL_OPTIONS if k in opts})
    if opts.get("kb_base", "1024").strip() not in ("1024", ""):
        raise NotInferable("kb_base=%s: sizes are not in binary units" % opts["kb_base"])
    for o in BS_OVERRIDES:
        if o in opts:
            raise NotInferable("%s=%s: the block size is not one value" % (o, opts[o]))
    if "," in got["bs"] and opts.get("bs_is_seq_rand", "0") not in ("0", "false"):
        raise NotInferable("bs=%s with bs_is_seq_rand: sizes by sequential or random, "
                           "not by direction" % got["bs"])
    if not got["ioengine"]:
        raise NotInferable("ioengine is empty")
    pattern = pattern_of(got["rw"].strip())
    if not pattern:
        raise NotInferable("rw is empty")
    return ((engine_label(got["ioengine"].strip()), pattern,
             block_size(got["bs"], pattern), _count(opts, "iodepth"),
             _count(opts, "numjobs")), defaults)


def job_groups(doc):
    """The jobs[] entries of one fio run grouped into job sections: the
    numjobs clones of a section are consecutive entries with the same
    jobname, groupid and job options. Returns [(first index, last index)]."""
    groups = []
    prev = None
    for i, job in enumerate(doc["jobs"]):
        key = (job.get("jobname"), job.get("groupid"), repr(sorted(
            (job.get("job options") or {}).items())))
        if groups and key == prev:
            groups[-1][1] = i
        else:
            groups.append([i, i])
        prev = key
    return [tuple(g) for g in groups]


def config_of(opts, ignore=()):
    """The options that can make two runs of one base cell different: all
    explicitly set options but the cell's own, the reporting and logging
    ones (NOT_CONFIG) and those the user asked to ignore."""
    return {k: v for k, v in opts.items()
            if k not in CELL_OPTIONS and k not in NOT_CONFIG and k not in ignore}


def factor_options(items):
    """Options that differ between jobs of the same base cell. `items` is
    [(base cell, config dict)]; an option unset in some of them and set in
    others differs too. Returns {option: sorted values} ("" for a flag,
    None for unset)."""
    by_cell = {}
    for base, cfg in items:
        by_cell.setdefault(base, []).append(cfg)
    out = {}
    for cfgs in by_cell.values():
        names = set().union(*cfgs)
        for k in names:
            vals = {c.get(k) for c in cfgs}
            if len(vals) > 1:
                out.setdefault(k, set()).update(vals)
    return {k: sorted(v, key=lambda x: (x is None, str(x))) for k, v in sorted(out.items())}


def arm_label(engine, cfg, factors):
    """The arm of a job: its engine and, for every factor option, its value
    (`opt` for a flag, `opt unset` when not set)."""
    parts = [engine]
    for k in factors:
        v = cfg.get(k)
        parts.append("%s unset" % k if v is None else k if v == "" else "%s=%s" % (k, v))
    return " ".join(parts)


def foreign_format(text):
    """What a file that holds no JSON document is, when it is fio's own
    terse or normal output (None otherwise)."""
    first = next((l for l in text.splitlines() if l.strip()), "")
    if re.match(r"^\d+;fio-\d", first):
        return ("fio terse output (--output-format=terse), not JSON: rerun fio with "
                "--output-format=json+ (or json)")
    if re.match(r"^\S.*: \(g=\d+\): rw=", first) or re.match(r"^fio-\d", first) or \
            re.search(r"^\S.*: \(groupid=\d+, jobs=\d+\)", text, re.M):
        return ("fio's normal (human-readable) output, not JSON: rerun fio with "
                "--output-format=json+ (or json)")
    return None
