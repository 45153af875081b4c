"""Parse a matrix file and expand it into an ordered list of cells.

A matrix is an INI file with one [matrix] section (see jobs/matrix/*.ini and
results/README.md). Everything here is a pure function of its inputs.
"""
import configparser
import os
import random
import re

from fioab.fio import fmt_size, parse_size

PATTERNS = ("randread", "randwrite", "read", "write", "randrw", "rw")
IOMMU_MODES = ("off", "lazy", "strict")
SYNC_ENGINES = ("psync", "sync", "pvsync", "pvsync2", "vsync")
# What the CPU metric counts: "instructions" boots the test VM with QEMU's
# instruction counting (scripts/vm --icount), "time" is plain CPU time;
# "auto" is instructions in the test VM and time on a real machine.
MEASURES = ("auto", "instructions", "time")

# key: (required, default)
KEYS = {
    "description": (False, ""),
    "arms": (True, None),
    "sources": (False, "udmabuf"),
    "patterns": (True, None),
    "bs": (True, None),
    "iodepth": (True, None),
    "numjobs": (False, "1"),
    "repeats": (False, "3"),
    "runtime": (False, "10"),
    "ramp_time": (False, "2"),
    "size": (False, "1g"),
    "rwmixread": (False, "70"),
    "iommu": (False, "off"),
    "precondition": (False, "no"),
    "seed": (False, ""),
    "jobs_dir": (False, ""),
    "nvme_size": (False, "2G"),
    "measure": (False, "auto"),
    "compare": (False, ""),
}

class MatrixError(Exception):
    """A matrix file is malformed; the message names the file, key and fix."""


def parse_seconds(text):
    """'10' -> 10.0, '1.5' -> 1.5, '500ms' -> 0.5."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*", text.lower())
    if not m:
        raise ValueError(f"'{text}' is not a duration (seconds, e.g. 10 or 500ms)")
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "ms" else v


def fio_seconds(sec):
    """Seconds as an fio time value, exact to the millisecond."""
    return f"{int(round(sec * 1000))}ms"


def _words(text):
    return [w for w in re.split(r"[\s,]+", text.strip()) if w]


def arm_info(jobs_dir, arm):
    """What an arm's job file needs: a buffer source, the engine, a sync engine."""
    path = os.path.join(jobs_dir, arm + ".fio")
    with open(path) as f:
        text = f.read()
    m = re.search(r"^\s*ioengine\s*=\s*(\S+)", text, re.M)
    engine = m.group(1) if m else "psync"
    dp = re.search(r"^\s*dmabuf_path\s*=\s*(\w+)", text, re.M)
    return {
        "arm": arm,
        "path": path,
        "uses_source": "${SOURCE}" in text,
        "uses_engine": "${ENGINE_SO}" in text,
        "sync": engine in SYNC_ENGINES,
        "ioengine": engine,
        # what the machine must offer is the path's: dmabuf-direct-sync is direct
        "path_arm": f"dmabuf-{dp.group(1)}" if dp else arm,
    }


def available_arms(jobs_dir):
    return sorted(f[:-4] for f in os.listdir(jobs_dir) if f.endswith(".fio"))


def parse_matrix(path, default_jobs_dir):
    """Read and check a matrix file; return a dict of typed values."""
    cp = configparser.ConfigParser(inline_comment_prefixes=(";", "#"),
                                   interpolation=None)
    try:
        with open(path) as f:
            cp.read_file(f)
    except OSError as e:
        raise MatrixError(f"{path}: cannot read the matrix: {e.strerror}")
    except configparser.Error as e:
        raise MatrixError(f"{path}: not an INI file: {e}".replace("\n", " "))
    if cp.sections() != ["matrix"]:
        raise MatrixError(f"{path}: expected exactly one [matrix] section, "
                          f"found {cp.sections() or 'none'}")
    sec = cp["matrix"]
    unknown = sorted(set(sec) - set(KEYS))
    if unknown:
        raise MatrixError(f"{path}: unknown key(s) {', '.join(unknown)}; "
                          f"known keys: {', '.join(KEYS)}")
    raw = {}
    for key, (required, default) in KEYS.items():
        if key in sec and sec[key].strip():
            raw[key] = sec[key].strip()
        elif required:
            raise MatrixError(f"{path}: key '{key}' is missing or empty; "
                              f"add e.g. '{key} = ...' under [matrix]")
        else:
            raw[key] = default

    def fail(key, why):
        raise MatrixError(f"{path}: {key} = {raw[key]}: {why}")

    m = {"description": raw["description"]}
    jd = raw["jobs_dir"]
    if jd:
        jd = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), jd))
    else:
        jd = default_jobs_dir
    if not os.path.isdir(jd):
        fail("jobs_dir", f"{jd} is not a directory")
    m["jobs_dir"] = jd
    known = available_arms(jd)
    m["arms"] = _words(raw["arms"])
    for a in m["arms"]:
        if a not in known:
            fail("arms", f"no job file {jd}/{a}.fio; available arms: {' '.join(known)}")
    if len(set(m["arms"])) != len(m["arms"]):
        fail("arms", "an arm is listed twice")
    m["sources"] = _words(raw["sources"])
    for s in m["sources"]:
        if not re.fullmatch(r"(mem|udmabuf|heap|drm|cuda)(:[A-Za-z0-9_./-]+)?", s):
            fail("sources", f"'{s}' is not mem, udmabuf, heap[:NAME], drm[:NODE] or cuda[:DEV]")
    m["patterns"] = _words(raw["patterns"])
    for p in m["patterns"]:
        if p not in PATTERNS:
            fail("patterns", f"'{p}' is not one of {' '.join(PATTERNS)}")
    try:
        m["bs"] = [parse_size(w) for w in _words(raw["bs"])]
    except ValueError as e:
        fail("bs", str(e))
    for b in m["bs"]:
        if b < 512 or b % 512:
            fail("bs", f"{b} is not a positive multiple of 512 bytes (direct=1 needs that)")
    for key in ("iodepth", "numjobs"):
        try:
            m[key] = [int(w) for w in _words(raw[key])]
        except ValueError:
            fail(key, "expected whole numbers, e.g. '1 32'")
        if any(v < 1 or v > 4096 for v in m[key]):
            fail(key, "values must be between 1 and 4096")
    for key in ("repeats", "rwmixread"):
        try:
            m[key] = int(raw[key])
        except ValueError:
            fail(key, "expected a whole number")
    if m["repeats"] < 1:
        fail("repeats", "must be at least 1")
    if not 0 <= m["rwmixread"] <= 100:
        fail("rwmixread", "must be 0..100")
    for key in ("runtime", "ramp_time"):
        try:
            m[key] = parse_seconds(raw[key])
        except ValueError as e:
            fail(key, str(e))
    if m["runtime"] <= 0:
        fail("runtime", "must be more than 0")
    try:
        m["size"] = parse_size(raw["size"])
    except ValueError as e:
        fail("size", str(e))
    m["iommu"] = _words(raw["iommu"])
    for i in m["iommu"]:
        if i not in IOMMU_MODES:
            fail("iommu", f"'{i}' is not one of {' '.join(IOMMU_MODES)}")
    if raw["precondition"].lower() not in ("yes", "no", "1", "0", "true", "false"):
        fail("precondition", "expected yes or no")
    m["precondition"] = raw["precondition"].lower() in ("yes", "1", "true")
    if raw["seed"]:
        try:
            m["seed"] = int(raw["seed"])
        except ValueError:
            fail("seed", "expected a whole number")
    else:
        m["seed"] = None
    m["nvme_size"] = raw["nvme_size"]
    for key in ("arms", "patterns", "bs", "iodepth", "numjobs"):
        if not m[key]:
            fail(key, "lists nothing")
    m["measure"] = raw["measure"]
    if m["measure"] not in MEASURES:
        fail("measure", f"expected one of {' '.join(MEASURES)}")
    m["compare"] = []
    for w in _words(raw["compare"]):
        cand, sep, base = w.partition(":")
        if not sep or not cand or not base or cand == base:
            fail("compare", f"'{w}' is not CANDIDATE:BASELINE (two different arms, "
                            f"e.g. dmabuf-direct:dmabuf-mapped)")
        for a in (cand, base):
            if a not in m["arms"]:
                fail("compare", f"'{w}' names arm {a}, which is not in arms")
        if (cand, base) in m["compare"] or (base, cand) in m["compare"]:
            fail("compare", f"'{w}' is declared twice")
        m["compare"].append((cand, base))
    return m


def resolve_measure(m, in_vm):
    """What the CPU metric of this run counts: instructions or time."""
    if m["measure"] == "auto":
        return "instructions" if in_vm else "time"
    return m["measure"]


def compare_label(pair):
    return f"{pair[0]}:{pair[1]}"


def source_slug(source):
    return re.sub(r"[^A-Za-z0-9]+", "-", source) if source else ""


def bs_label(bs):
    """The size in run ids and progress lines: fmt_size in lower case (4k, 1m)."""
    return fmt_size(bs).lower()


def base_cells(m, infos):
    """Every cell of the matrix once (without repeats), in matrix order."""
    cells = []
    for arm in m["arms"]:
        sources = m["sources"] if infos[arm]["uses_source"] else [None]
        for src in sources:
            for pat in m["patterns"]:
                for bs in m["bs"]:
                    for qd in m["iodepth"]:
                        for nj in m["numjobs"]:
                            cells.append({"arm": arm, "source": src, "pattern": pat,
                                          "bs": bs, "iodepth": qd, "numjobs": nj})
    return cells


def cell_key(c):
    return (c["arm"], c["source"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"])


def plan(cells, repeats, seed, compare=(), first_round=0, first_order=0, counts=None):
    """Randomised complete blocks: round r runs every cell once, in its own
    random order, so arms interleave (A B A B) and drift hits all of them
    alike. No cell runs twice in a row across a block boundary (when the
    matrix has more than one cell).

    With declared comparisons (CANDIDATE, BASELINE), a round is made of
    units instead: each comparison, for each cell of its candidate, runs
    the candidate and the matching baseline cell back to back, in random
    order within the pair ("pair": comparison, round, position); arms in
    no comparison run alone. Units are shuffled across the round. An arm in
    several comparisons then runs once per comparison in a round, so
    `repeat` counts a cell's runs, not rounds.

    first_round, first_order and counts (cell key -> runs so far) continue
    an earlier plan (run-matrix --until-resolved). Returns cells with
    repeat, order, run_id (and pair)."""
    rng = random.Random(seed * 1000003 + first_round if seed is not None else None)
    units = _units(cells, compare)
    counts = dict(counts or {})
    out = []
    last = None
    for r in range(first_round, first_round + repeats):
        block = list(range(len(units)))
        rng.shuffle(block)
        if last is not None and len(block) > 1 and block[0] == last:
            j = rng.randrange(1, len(block))
            block[0], block[j] = block[j], block[0]
        last = block[-1]
        for u in block:
            label, members = units[u]
            members = list(members)
            if label:
                rng.shuffle(members)
            for pos, i in enumerate(members):
                c = dict(cells[i])
                k = cell_key(c)
                c["repeat"] = counts.get(k, 0)
                counts[k] = c["repeat"] + 1
                c["round"] = r
                if label:
                    c["pair"] = {"compare": label, "round": r, "position": pos}
                out.append(c)
    for order, c in enumerate(out, first_order):
        c["order"] = order
        c["run_id"] = run_id(c)
    return out


def _units(cells, compare):
    """Index lists of what runs together: (comparison label, [cand, base])
    per comparison and candidate cell, or ("", [i]) for a cell of an arm in
    no comparison (every cell once when nothing is declared)."""
    if not compare:
        return [("", [i]) for i in range(len(cells))]
    units = []
    in_pair = set()
    for cand, base in compare:
        for i, c in enumerate(cells):
            if c["arm"] != cand:
                continue
            for j, b in enumerate(cells):
                if b["arm"] == base and same_condition(c, b) and \
                        (c["source"] is None or b["source"] is None or
                         c["source"] == b["source"]):
                    units.append((compare_label((cand, base)), [i, j]))
                    in_pair.update((i, j))
    units += [("", [i]) for i in range(len(cells)) if i not in in_pair]
    return units


def same_condition(a, b):
    """Two cells differ only in arm (and source): they can be paired."""
    return all(a[k] == b[k] for k in ("pattern", "bs", "iodepth", "numjobs"))


def run_id(c):
    src = f"_{source_slug(c['source'])}" if c["source"] else ""
    return (f"{c['order']:05d}_{c['arm']}{src}_{c['pattern']}_{bs_label(c['bs'])}"
            f"_qd{c['iodepth']}_nj{c['numjobs']}_r{c['repeat']}")


def fio_env(m, c, filename, engine_so):
    """The ${VAR}s of jobs/common.inc and the arm files for one cell."""
    return {
        "FILENAME": filename,
        "SIZE": str(m["size"]),
        "RW": c["pattern"],
        "RWMIXREAD": str(m["rwmixread"]),
        "BS": str(c["bs"]),
        "IODEPTH": str(c["iodepth"]),
        "NUMJOBS": str(c["numjobs"]),
        "RUNTIME": fio_seconds(m["runtime"]),
        "RAMP_TIME": fio_seconds(m["ramp_time"]),
        "SOURCE": c["source"] or "",
        "ENGINE_SO": engine_so,
    }


def render_job(path, env, _depth=0):
    """The job file as fio reads it: includes inlined (fio's rule: the name
    as given if it exists, else next to the including file) and ${VAR}
    replaced by env (unset -> empty, as fio does)."""
    if _depth > 8:
        raise MatrixError(f"{path}: includes nested too deep")
    out = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("include "):
                name = s[len("include "):].strip()
                if not os.path.exists(name):
                    name = os.path.join(os.path.dirname(path), name)
                out.append(f"; --- include {os.path.basename(name)}\n")
                out.append(render_job(name, env, _depth + 1))
                out.append(f"; --- end of {os.path.basename(name)}\n")
                continue
            if s.startswith((";", "#")):
                out.append(line)        # fio does not expand comments either
                continue
            out.append(re.sub(r"\$\{([^}]+)\}", lambda mm: env.get(mm.group(1), ""), line))
    return "".join(out)
