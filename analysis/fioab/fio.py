"""fio itself, one definition each: which fio binary, fio's size grammar,
and what a good fio run is.

Used by the analysis (load.py), the matrix runner (scripts/run-matrix,
scripts/matrixlib), scripts/bench-overhead and the test groups (through
tests/fio-check). tests/lib.sh mirrors fio_binary() in bash. No numpy here:
tests/fio-check judges every fio run of the test groups with it.

CPU per I/O is load.parse_fio's (Run.cpu_ns_per_io).
"""
import os
import re

from .jsondoc import LoadError, need, parse_json, preamble, read_text

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DDIRS = ("read", "write", "trim")   # "sync" holds fsyncs, not data I/Os
FIO_JSON = "fio JSON output"

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def fio_binary(top=TOP):
    """The fio to run: $FIO, else config.mk's FIO_BIN (the fio the engine was
    built against), else build/fio/fio. tests/lib.sh has the same rule in
    bash; change both together. Whether it exists is the caller's check."""
    fio = os.environ.get("FIO")
    if fio:
        return fio
    try:
        with open(os.path.join(top, "config.mk")) as f:
            for line in f:
                m = re.match(r"FIO_BIN *:?= *(.*)", line)
                if m:
                    fio = m.group(1).strip()
                    break
    except OSError:
        pass
    return fio or os.path.join(top, "build", "fio", "fio")


def parse_size(text):
    """'4k' -> 4096, '1m' -> 1048576, '512' -> 512: a whole number with an
    optional k, m, g or t (binary units, fio's default kb_base=1024) and an
    optional b or ib ('64KiB'). Anything else raises ValueError."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmgt]?)(i?b)?\s*", str(text).lower())
    if not m:
        raise ValueError(f"'{text}' is not a size (e.g. 4k, 128k, 1m)")
    return int(m.group(1)) * _UNITS[m.group(2)]


def fmt_size(n):
    """Bytes as the shortest exact label: 4096 -> '4k', 1048576 -> '1M'."""
    for unit, div in (("M", 1 << 20), ("k", 1 << 10)):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, unit)
    return str(n)


# ---- what a good fio run is ----------------------------------------------------
#
# A run is a valid measurement when: no fio job died by a signal (fio can
# then still exit 0 with "error": 0, so its stderr is read too); the output
# is one whole JSON document (fio's notices may come before it); it is fio's
# own (a "fio version" and a non-empty "jobs" list; not client/server
# output); and every job has an integer "error" of 0 and completed data
# I/O (total_ios, summed over read, write and trim, above 0).

def signal_reason(text):
    """Why the run is not valid when fio's output says a job got a signal."""
    for line in (text or "").splitlines():
        if "got signal" in line:
            return f"a fio job died by a signal: {line.strip()}"
    return None


def check_doc(path, doc):
    """Raise LoadError(path, why) unless `doc` (parsed fio JSON) is a good run."""
    if not isinstance(doc, dict):
        raise LoadError(path, "not fio output: the JSON is a %s, not an object"
                        % type(doc).__name__)
    if "client_stats" in doc and "jobs" not in doc:
        raise LoadError(path, "fio client/server output (client_stats) is not "
                        "supported; run fio locally")
    if "fio version" not in doc or "jobs" not in doc:
        raise LoadError(path, "not fio JSON output (no 'fio version' and "
                        "'jobs'); a foreign file?")
    jobs = doc["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise LoadError(path, "fio JSON has no jobs")
    for i, job in enumerate(jobs):
        where = "jobs[%d]" % i
        if not isinstance(job, dict):
            raise LoadError(path, "%s is not an object" % where)
        who = "fio job %s (%s)" % (job.get("jobname", "?"), where)
        err = need(path, job, "error", int, where)
        if err != 0:
            why = os.strerror(err) if err > 0 else "not an errno"
            raise LoadError(path, "%s reported error %d (%s)" % (who, err, why))
        ios = 0
        for d in DDIRS:
            if job.get(d) is None:
                continue
            n = need(path, job[d], "total_ios", int, "%s.%s" % (where, d))
            if n < 0:
                raise LoadError(path, "%s.%s total_ios is %d" % (where, d, n))
            ios += n
        if ios == 0:
            raise LoadError(path, "%s did no I/O (total_ios 0 in %s)"
                            % (who, ", ".join(d for d in DDIRS if job.get(d) is not None) or
                               "every direction: it has none"))


def judge(doc, stderr=""):
    """None when parsed fio JSON (and fio's stderr) is a good run, else why not."""
    why = signal_reason(stderr)
    if why:
        return why
    try:
        check_doc(FIO_JSON, doc)
    except LoadError as e:
        return e.problem
    return None


def judge_text(text, stderr="", where=FIO_JSON):
    """(doc, None) when fio's JSON output `text` (and its stderr) is a good
    run, else (doc or None, why not). `where` names the text in nothing but
    the messages of a caller that prints them with it."""
    why = signal_reason(stderr) or signal_reason("\n".join(preamble(text)))
    if why:
        return None, why
    try:
        doc = parse_json(where, text, FIO_JSON, warnings=[])
    except LoadError as e:
        return None, "fio wrote no valid JSON: %s" % e.problem
    return doc, judge(doc)


def judge_file(path, stderr=""):
    """None when fio's JSON output file at `path` (and fio's stderr, when
    given) is a good run, else why not (without the path)."""
    try:
        text = read_text(path, FIO_JSON)
    except LoadError as e:
        return signal_reason(stderr) or "fio wrote no valid JSON: %s" % e.problem
    return judge_text(text, stderr, path)[1]
