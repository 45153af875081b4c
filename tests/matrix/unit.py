#!/usr/bin/python3
"""Unit tests of scripts/matrixlib's pure functions. Prints PASS/FAIL lines
(tests/lib.sh protocol) and exits 1 if any failed."""
import copy
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "scripts"))
sys.path.insert(0, os.path.join(TOP, "analysis"))

from fioab import fio                # noqa: E402  the shared rules
from matrixlib import matrix as mx   # noqa: E402
from matrixlib import meta as mt     # noqa: E402
from matrixlib import remote as rm   # noqa: E402
from matrixlib import runner as rn   # noqa: E402
from matrixlib import schema         # noqa: E402
from matrixlib import target as tg   # noqa: E402

FAILED = False
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, why):
    if not cond:
        raise AssertionError(why)


@test
def units():
    # one size grammar: the matrix's is the analysis' (fioab.fio.parse_size)
    check(mx.parse_size is fio.parse_size, "matrixlib has a parse_size of its own")
    check(fio.parse_size("4k") == 4096 and fio.parse_size("1m") == 1 << 20, "sizes")
    check(fio.parse_size("512") == 512, "plain bytes")
    check(fio.parse_size("64KiB") == 65536 and fio.parse_size("2G") == 2 << 30, "suffixes")
    check(mx.parse_seconds("500ms") == 0.5 and mx.parse_seconds("10") == 10, "durations")
    check(mx.fio_seconds(1.5) == "1500ms", "fio time")
    for bad in ("4q", "", "k", "1.5k", "-4k"):
        try:
            fio.parse_size(bad)
        except ValueError as e:
            check("is not a size" in str(e), f"unclear message for '{bad}': {e}")
            continue
        raise AssertionError(f"'{bad}' accepted as a size")
    check(mx.bs_label(4096) == "4k" and mx.bs_label(1 << 20) == "1m" and
          mx.bs_label(1536) == "1536", "bs labels")


@test
def fio_binary_rule():
    # $FIO, else config.mk's FIO_BIN, else build/fio/fio (tests/lib.sh alike)
    d = tempfile.mkdtemp()
    env = os.environ.pop("FIO", None)
    try:
        check(fio.fio_binary(d) == os.path.join(d, "build", "fio", "fio"), "no config.mk")
        write(f"{d}/config.mk", "FIO_SRC := /x\nFIO_BIN := /opt/fio/fio\n")
        check(fio.fio_binary(d) == "/opt/fio/fio", "config.mk FIO_BIN")
        write(f"{d}/config.mk", "FIO_BIN :=\n")
        check(fio.fio_binary(d) == os.path.join(d, "build", "fio", "fio"), "empty FIO_BIN")
        os.environ["FIO"] = "/usr/local/bin/fio"
        check(fio.fio_binary(d) == "/usr/local/bin/fio", "$FIO")
        # tests/lib.sh's bash copy of the rule picks the same fio in this tree
        del os.environ["FIO"]
        sh = subprocess.run(["bash", "-c", 'unset FIO; . "$1"; printf %s "$FIO"', "-",
                             os.path.join(TOP, "tests", "lib.sh")],
                            capture_output=True, text=True)
        check(sh.stdout == fio.fio_binary(TOP),
              f"tests/lib.sh picks {sh.stdout!r}, fio_binary() {fio.fio_binary(TOP)!r}")
    finally:
        os.environ.pop("FIO", None)
        if env is not None:
            os.environ["FIO"] = env


def infos_for(arms):
    return {a: mx.arm_info(os.path.join(TOP, "jobs"), a) for a in arms}


def small_matrix(**kw):
    m = {"arms": ["dmabuf-direct", "mem", "io_uring", "psync"], "sources": ["udmabuf", "heap"],
         "patterns": ["randread", "write"], "bs": [4096, 1 << 20], "iodepth": [1, 32],
         "numjobs": [1]}
    m.update(kw)
    return m


@test
def cells_sources_only_for_dmabuf_arms():
    m = small_matrix()
    cells = mx.base_cells(m, infos_for(m["arms"]))
    # dmabuf-direct x 2 sources + 3 other arms, each x 2 x 2 x 2
    check(len(cells) == (2 + 3) * 8, f"{len(cells)} cells")
    check(all((c["source"] is None) == (c["arm"] != "dmabuf-direct") for c in cells),
          "source set on a non-dma-buf arm or missing on a dma-buf arm")


@test
def plan_is_randomised_complete_blocks():
    m = small_matrix()
    cells = mx.base_cells(m, infos_for(m["arms"]))
    n = len(cells)
    for seed in range(20):
        p = mx.plan(cells, 5, seed)
        check(len(p) == 5 * n, "wrong count")
        check([c["order"] for c in p] == list(range(5 * n)), "orders not 0..N-1")
        check(len({c["run_id"] for c in p}) == len(p), "run ids not unique")
        for r in range(5):
            block = p[r * n:(r + 1) * n]
            check(all(c["repeat"] == r for c in block), "repeats not in blocks")
            check(sorted(map(str, map(mx.cell_key, block))) ==
                  sorted(map(str, map(mx.cell_key, cells))), "block is not a permutation")
        for a, b in zip(p, p[1:]):
            check(mx.cell_key(a) != mx.cell_key(b), f"seed {seed}: {a['run_id']} twice in a row")
        # Interleaved: the first block is not in matrix (arm-grouped) order.
        check([mx.cell_key(c) for c in p[:n]] != [mx.cell_key(c) for c in cells],
              "first block is in matrix order, not shuffled")
    check(mx.plan(cells, 3, 7) == mx.plan(cells, 3, 7), "same seed, different plan")
    check(mx.plan(cells, 3, 7) != mx.plan(cells, 3, 8), "seed has no effect")


@test
def plan_pairs_declared_comparisons():
    m = small_matrix(arms=["dmabuf-direct", "dmabuf-mapped", "mem", "psync"],
                     sources=["udmabuf"])
    cells = mx.base_cells(m, infos_for(m["arms"]))
    cmp_ = [("dmabuf-direct", "dmabuf-mapped"), ("dmabuf-direct", "mem")]
    conds = len(m["patterns"]) * len(m["bs"]) * len(m["iodepth"])
    orders = []
    for seed in range(10):
        p = mx.plan(cells, 4, seed, cmp_)
        # per round: two units per condition, plus psync alone
        check(len(p) == 4 * conds * (2 * 2 + 1), f"{len(p)} runs")
        check([c["order"] for c in p] == list(range(len(p))), "orders not 0..N-1")
        check(len({c["run_id"] for c in p}) == len(p), "run ids not unique")
        check(len({(mx.cell_key(c), c["repeat"]) for c in p}) == len(p),
              "a cell's repeat index is used twice")
        units = {}
        for c in p:
            if c.get("pair"):
                units.setdefault((c["pair"]["compare"], c["pair"]["round"],
                                  c["pattern"], c["bs"], c["iodepth"]), []).append(c)
            else:
                check(c["arm"] == "psync", f"{c['arm']} ran outside a pair")
        check(len(units) == 4 * conds * 2, f"{len(units)} units")
        for (label, rnd, *_), us in units.items():
            check(len(us) == 2, f"unit {label} round {rnd} has {len(us)} runs")
            a, b = sorted(us, key=lambda c: c["order"])
            check(b["order"] == a["order"] + 1, f"{label}: pair not back to back")
            check({a["arm"], b["arm"]} == set(label.split(":")), f"{label}: wrong arms")
            check([a["pair"]["position"], b["pair"]["position"]] == [0, 1], "positions")
            check(a["round"] == b["round"] == rnd, "round")
        orders.append(tuple(c["arm"] for c in p if c.get("pair") and
                            c["pair"]["position"] == 0))
        # rounds come in order: no run of round r+1 before one of round r
        rounds = [c["round"] for c in p]
        check(rounds == sorted(rounds), "rounds interleave")
    # the order within pairs is random: both arms lead sometimes
    leads = {a for o in orders for a in o}
    check({"dmabuf-direct", "dmabuf-mapped", "mem"} <= leads, f"leads only {leads}")
    check(len(set(orders)) > 1, "the same order for every seed")
    # a continued plan (run-matrix --until-resolved) keeps counting repeats
    p = mx.plan(cells, 2, 1, cmp_)
    counts = {}
    for c in p:
        counts[mx.cell_key(c)] = counts.get(mx.cell_key(c), 0) + 1
    more = mx.plan(cells, 1, 1, cmp_, first_round=2, first_order=len(p), counts=counts)
    check(more[0]["order"] == len(p) and all(c["round"] == 2 for c in more), "continuation")
    check(not ({(mx.cell_key(c), c["repeat"]) for c in p} &
               {(mx.cell_key(c), c["repeat"]) for c in more}), "continued repeats collide")


@test
def matrix_compare_and_measure_keys():
    with tempfile.TemporaryDirectory() as d:
        def parse(extra):
            path = os.path.join(d, "m.ini")
            with open(path, "w") as f:
                f.write("[matrix]\narms = mem io_uring dmabuf-mapped\npatterns = randread\n"
                        "bs = 4k\niodepth = 1\n" + extra)
            return mx.parse_matrix(path, os.path.join(TOP, "jobs"))
        m = parse("compare = io_uring:mem dmabuf-mapped:mem\nmeasure = instructions\n")
        check(m["compare"] == [("io_uring", "mem"), ("dmabuf-mapped", "mem")], "compare")
        check(m["measure"] == "instructions", "measure")
        check(mx.resolve_measure(parse(""), True) == "instructions", "auto in the VM")
        check(mx.resolve_measure(parse(""), False) == "time", "auto on a machine")
        for bad, why in (("compare = io_uring\n", "CANDIDATE:BASELINE"),
                         ("compare = io_uring:libaio\n", "not in arms"),
                         ("compare = mem:mem\n", "two different arms"),
                         ("compare = io_uring:mem mem:io_uring\n", "declared twice"),
                         ("measure = cycles\n", "expected one of")):
            try:
                parse(bad)
            except mx.MatrixError as e:
                check(why in str(e), f"{bad!r}: message {e}")
                continue
            raise AssertionError(f"{bad!r} accepted")


@test
def plan_single_cell():
    p = mx.plan([{"arm": "io_uring", "source": None, "pattern": "read", "bs": 4096,
                  "iodepth": 1, "numjobs": 1}], 3, 1)
    check([c["repeat"] for c in p] == [0, 1, 2], "one cell, three repeats")


@test
def render_job_expands_like_fio():
    env = {"FILENAME": "/x", "SIZE": "1", "RW": "read", "RWMIXREAD": "70", "BS": "4096",
           "IODEPTH": "1", "NUMJOBS": "1", "RUNTIME": "1000ms", "RAMP_TIME": "0ms",
           "SOURCE": "udmabuf", "ENGINE_SO": "/e.so"}
    text = mx.render_job(os.path.join(TOP, "jobs", "dmabuf-bounce.fio"), env)
    code = [l for l in text.splitlines() if not l.lstrip().startswith((";", "#"))]
    check(not any("${" in l for l in code), "unexpanded variable left")
    check("filename=/x" in text and "dmabuf_source=udmabuf" in text, "values missing")
    check("lat_percentiles=1" in text, "include not inlined")
    check(not any(l.strip().startswith("include") for l in text.splitlines()),
          "include directive left in the rendered job")
    text = mx.render_job(os.path.join(TOP, "jobs", "io_uring.fio"), {})
    check("filename=\n" in text, "an unset variable must expand to nothing, as in fio")


@test
def every_arm_file_shares_the_include():
    for a in ("dmabuf-direct", "dmabuf-mapped", "dmabuf-bounce", "mem", "io_uring", "libaio",
              "psync"):
        with open(os.path.join(TOP, "jobs", a + ".fio")) as f:
            check("include common.inc" in f.read(), f"{a}.fio lacks the include")
    with open(os.path.join(TOP, "jobs", "common.inc")) as f:
        inc = f.read()
    for opt in ("ramp_time=", "lat_percentiles=1", "scramble_buffers=0", "direct=1"):
        check(opt in inc, f"common.inc lacks {opt}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@test
def matrix_errors_name_the_cause():
    d = tempfile.mkdtemp()
    good = "[matrix]\narms = io_uring\npatterns = read\nbs = 4k\niodepth = 1\n"
    m = mx.parse_matrix(write(f"{d}/g.ini", good), os.path.join(TOP, "jobs"))
    check(m["repeats"] == 3 and m["iommu"] == ["off"], "defaults")
    cases = [
        (good + "bogus = 1\n", "unknown key(s) bogus"),
        (good.replace("io_uring", "nosucharm"), "no job file"),
        (good.replace("bs = 4k", "bs = 4q"), "bs = 4q"),
        (good.replace("bs = 4k", "bs = 1000"), "multiple of 512"),
        (good.replace("patterns = read\n", ""), "key 'patterns' is missing"),
        (good.replace("read", "readish"), "'readish' is not one of"),
        (good + "iommu = sometimes\n", "iommu = sometimes"),
        (good + "sources = gpu\n", "'gpu' is not mem"),
        ("arms = x\n", "not an INI file"),
    ]
    for text, want in cases:
        try:
            mx.parse_matrix(write(f"{d}/b.ini", text), os.path.join(TOP, "jobs"))
        except mx.MatrixError as e:
            check(want in str(e) and "b.ini" in str(e), f"error '{e}' lacks '{want}'")
            continue
        raise AssertionError(f"accepted a matrix that should fail with '{want}'")


@test
def signatures():
    blank = bytes(70000)
    check(tg.own_signatures(blank) == [], "blank device has signatures")
    ext4 = bytearray(blank)
    ext4[1080:1082] = b"\x53\xef"
    check(any("ext" in s for s in tg.own_signatures(bytes(ext4))), "ext4 magic missed")
    mbr = bytearray(blank)
    mbr[510:512] = b"\x55\xaa"
    check(tg.own_signatures(bytes(mbr)) == [], "boot signature alone is not a partition table")
    mbr[446 + 4] = 0x83
    check(any("MBR" in s for s in tg.own_signatures(bytes(mbr))), "MBR entry missed")
    gpt = bytearray(mbr)
    gpt[512:520] = b"EFI PART"
    check(any("GPT" in s for s in tg.own_signatures(bytes(gpt))), "GPT missed")


@test
def iommu_modes():
    check(mt.iommu_mode("", "DMA") == "strict", "DMA group")
    check(mt.iommu_mode("", "DMA-FQ") == "lazy", "DMA-FQ group")
    check(mt.iommu_mode("", "identity") == "off", "identity group")
    check(mt.iommu_mode("intel_iommu=on iommu.strict=0", None, True) == "lazy", "cmdline lazy")
    check(mt.iommu_mode("intel_iommu=on iommu.strict=1", None, True) == "strict", "cmdline strict")
    check(mt.iommu_mode("quiet", None, False) == "off", "no IOMMU")
    check(mt.iommu_mode("quiet", None, True) == "unknown", "IOMMU of unknown mode")


@test
def engine_path_rule():
    """The engine's table (dmabuf-probe --paths, from engine/path_rules.c)
    against what this test expects on its own: host memory has no dma-buf
    for direct or bounce; mapped needs host pages (mem, udmabuf); the rest
    is allowed."""
    refused = {("mem", "direct"), ("mem", "bounce"),
               ("heap", "mapped"), ("drm", "mapped"), ("cuda", "mapped")}
    rules = rn.engine_path_rules()
    check(sorted(rules) == ["cuda", "drm", "heap", "mem", "udmabuf"], "sources: %s" % sorted(rules))
    for src, paths in rules.items():
        check(sorted(paths) == ["bounce", "direct", "mapped"], "%s paths: %s" % (src, sorted(paths)))
        for path, why in paths.items():
            want = (src, path) in refused
            check(bool(why) == want, "%s/%s: the engine says %r, expected %s"
                  % (src, path, why, "refused" if want else "taken"))
    check("dmabuf-bounce cannot use mem" in rn.path_reason("dmabuf-bounce", "mem", "file", None, "/f"),
          "bounce from host memory not refused")


@test
def skip_reasons():
    none = lambda p: False       # noqa: E731
    every = lambda p: True       # noqa: E731
    check("udmabuf" in rn.source_reason("udmabuf", None, none), "missing udmabuf not reported")
    check(rn.source_reason("udmabuf", None, every) is None, "present udmabuf reported missing")
    check("/dev/dma_heap/system" in rn.source_reason("heap", None, none), "default heap name")
    check("/dev/dma_heap/cma" in rn.source_reason("heap:cma", None, none), "named heap")
    check(rn.source_reason("mem", None, none) is None, "mem needs nothing")
    probe = {"udmabuf": {"available": False, "reason": "size_limit_mb=0"}}
    check("size_limit_mb=0" in rn.source_reason("udmabuf", probe, every), "probe reason not used")
    check("regular file" in rn.path_reason("dmabuf-direct", "udmabuf", "file", None, "/f"),
          "direct on a file")
    check(rn.path_reason("dmabuf-direct", "udmabuf", "block", None, "/dev/nvme0n1") is None,
          "direct on a block device without a probe")
    check("kernel lacks" in rn.path_reason("dmabuf-direct", "udmabuf", "block",
                                           {"io_uring_dmabuf": False}, "/dev/nvme0n1"),
          "probe's 'no API' ignored")
    check("pin" in rn.path_reason("dmabuf-mapped", "heap:system", "block", None, "/d"),
          "mapped with a heap")
    # the shapes scripts/dmabuf-probe.c prints (print_nodes): heaps by "name",
    # DRM card nodes by "node", each with its own available/reason
    real = {"io_uring_dmabuf": {"available": False, "reason": "kernel X lacks the API"},
            "heaps": {"available": True, "reason": "1 heap",
                      "heaps": [{"name": "system", "available": True, "reason": "ok"}]},
            "drm": {"available": True, "reason": "1 of 2 card nodes export dumb buffers",
                    "nodes": [{"node": "card0", "driver": "vgem", "available": True,
                               "reason": "exports"},
                              {"node": "card1", "driver": "bochs", "available": False,
                               "reason": "no dumb buffers"}]}}
    check(rn.source_reason("drm:card0", real, every) is None, "listed DRM node refused")
    check(rn.source_reason("drm:/dev/dri/card0", real, every) is None, "DRM node by path")
    check("no dumb buffers" in (rn.source_reason("drm:card1", real, every) or ""),
          "a node the probe says cannot export is not skipped")
    check("lists only card0, card1" in (rn.source_reason("drm:card7", real, every) or ""),
          "unlisted DRM node")
    probe_bin = os.path.join(TOP, "build", "dmabuf-probe")
    if os.path.exists("/dev/dri/card0") and os.access(probe_bin, os.X_OK):
        import subprocess
        live = json.loads(subprocess.run([probe_bin, "--json"], capture_output=True,
                                         text=True).stdout)
        node = next((n for n in live["drm"]["nodes"] if n.get("available")), None)
        if node:
            check(rn.source_reason("drm:" + node["node"], live, os.path.exists) is None,
                  "the real probe's DRM node refused")
    check("kernel X lacks" in rn.path_reason("dmabuf-direct", "udmabuf", "block", real, "/d"),
          "probe's reason not passed on")
    check(rn.source_reason("heap:system", real, every) is None, "listed heap refused")
    check("lists only system" in rn.source_reason("heap:cma", real, every), "unlisted heap")
    check(rn.path_reason("dmabuf-mapped", "udmabuf", "file", None, "/f") is None,
          "mapped with udmabuf on a file")
    check(rn.path_reason("dmabuf-bounce", "drm", "file", None, "/f") is None, "bounce with drm")


@test
def fio_judge_catches_bad_runs():
    # one judge of a good fio run: the runner's and tests/fio-check's
    check(rn.judge_file is fio.judge_file, "the runner judges fio runs its own way")
    judge = fio.judge_file
    d = tempfile.mkdtemp()
    ok = {"fio version": "fio-3.41",
          "jobs": [{"jobname": "a", "error": 0, "read": {"total_ios": 5}}]}
    check(judge(write(f"{d}/ok.json", "note: x\n" + json.dumps(ok)), "") is None,
          "good run rejected")
    bad = copy.deepcopy(ok)
    bad["jobs"][0]["error"] = 5
    check("error 5" in judge(write(f"{d}/e.json", json.dumps(bad)), ""), "job error")
    bad["jobs"][0]["error"] = "5"
    check("'error' is '5'" in judge(write(f"{d}/s.json", json.dumps(bad)), ""), "error type")
    bad["jobs"][0].update(error=0, read={"total_ios": 0})
    check("no I/O" in judge(write(f"{d}/z.json", json.dumps(bad)), ""), "zero I/O")
    bad["jobs"] = [ok["jobs"][0], {"jobname": "b", "error": 0, "write": {"total_ios": 0}}]
    check("fio job b (jobs[1]) did no I/O" in judge(write(f"{d}/z2.json", json.dumps(bad)), ""),
          "one job of two did no I/O")
    check("signal" in judge(f"{d}/ok.json", "fio: pid=12, got signal=11\n"), "signal")
    check("signal" in judge(write(f"{d}/p.json", "fio: pid=3, got signal=9\n" + json.dumps(ok)),
                            ""), "signal before the JSON")
    check("no valid JSON" in judge(write(f"{d}/t.json", '{"jobs": [{"job'), ""),
          "truncated JSON")
    check("no valid JSON" in judge(write(f"{d}/x.json", json.dumps(ok) * 2), ""),
          "two documents")
    check("no valid JSON" in judge(f"{d}/absent.json", ""), "no file")
    check("no jobs" in judge(write(f"{d}/n.json", json.dumps({"fio version": "f", "jobs": []})),
                             ""), "no jobs")
    check("not fio JSON" in judge(write(f"{d}/f.json", json.dumps({"jobs": ok["jobs"]})), ""),
          "foreign JSON")
    # tests/fio-check is a thin command line over the same judge
    cli = [sys.executable, os.path.join(TOP, "tests", "fio-check")]
    r = subprocess.run(cli + [f"{d}/ok.json"], capture_output=True, text=True)
    check(r.returncode == 0 and not r.stderr, f"fio-check rejects a good run: {r.stderr}")
    r = subprocess.run(cli + [f"{d}/e.json"], capture_output=True, text=True)
    check(r.returncode == 1 and f"{d}/e.json: " in r.stderr and "error 5" in r.stderr,
          f"fio-check on a job error: {r.returncode} {r.stderr}")
    r = subprocess.run(cli + [f"{d}/ok.json", write(f"{d}/fio.log", "got signal=11\n")],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "signal" in r.stderr, f"fio-check and a signal in the log: {r.stderr}")


def good_meta():
    return {"schema": 1, "name": "x", "emulated": True, "kernel": {"release": "6", "cmdline": ""},
            "iommu": "off", "dmabuf_api": None, "cpu": {"model": "m", "count": 2},
            "memory_bytes": 1, "fio_version": "fio-3.41", "engine_version": "abc",
            "device": None, "matrix": "ci.ini", "start": "t", "end": None, "hostname": "h",
            "probe": None}


@test
def meta_schema():
    check(schema.validate_meta(good_meta()) == [], "good meta rejected")
    dev = good_meta()
    dev["device"] = {"model": "QEMU NVMe Ctrl", "firmware": "1.0", "lba_format": None,
                     "mdts": 7, "pci_address": "0000:00:04.0"}
    check(schema.validate_meta(dev) == [], "meta with a device rejected")
    for key, val, want in [("schema", 2, "schema"), ("emulated", "yes", "emulated"),
                           ("iommu", "on", "iommu"), ("dmabuf_api", "maybe", "dmabuf_api"),
                           ("memory_bytes", True, "memory_bytes"), ("kernel", {}, "release"),
                           ("device", {"model": "m"}, "firmware")]:
        m = good_meta()
        m[key] = val
        check(any(want in p for p in schema.validate_meta(m)), f"bad {key} accepted")
    m = good_meta()
    del m["probe"]
    check(any("probe" in p for p in schema.validate_meta(m)), "missing probe accepted")


@test
def cell_schema():
    c = {"arm": "mem", "source": None, "pattern": "read", "bs": 4096, "iodepth": 1,
         "numjobs": 1, "repeat": 0, "order": 3, "status": "ok", "reason": None}
    check(schema.validate_cell(c) == [], "good cell rejected")
    for key, val in [("status", "done"), ("bs", 0), ("order", "3"), ("reason", "x")]:
        b = dict(c, **{key: val})
        check(schema.validate_cell(b), f"bad {key} accepted")
    check(schema.validate_cell(dict(c, status="skipped")), "skip without a reason accepted")


# ---- --remote: remote.py and scripts/remote-collect ----------------------------

COLLECT = os.path.join(TOP, "scripts", "remote-collect")
PROBE = os.path.join(TOP, "build", "dmabuf-probe")
ENGINE = os.path.join(TOP, "engine", "dmabuf.so")


def collect(*args):
    """Run scripts/remote-collect here, as fio's server would there."""
    p = subprocess.run(["sh", COLLECT] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=120)
    check(p.returncode == 0, f"remote-collect {args[0]} exited {p.returncode}: {p.stderr}")
    return p


def served(state, tag, host="fdm-test"):
    """What fio's client prints of state/fetch.fio: the exec engine's
    'NAME : program=true, arguments=HEX' line per job, as '<host> ...',
    read with this test's own INI reading, in a shuffled order."""
    import random
    lines, name = [], None
    with open(os.path.join(state, "fetch.fio")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("[") and line != "[global]":
                name = line[1:-1]
            elif line.startswith("arguments=") and name:
                lines.append(f"<{host}> {name} : program=true, arguments={line[10:]}")
                lines.append(f"<{host}> {name} : Running true {line[10:]}")
    random.Random(tag).shuffle(lines)
    return "\n".join(["hostname=fdm-test, be=0, 64-bit, os=Linux"] + lines) + "\n"


def facts_here(d, kind, path):
    collect("facts", d, kind, path, ENGINE, PROBE, tg.DATA_FILE,
            ",".join(f"{o}:{n}" for o, n in tg.signature_ranges()))
    collect("emit", d, "t1")
    return rm.sections(rm.payload(served(d, "t1"), "t1"))


@test
def remote_spec():
    s = rm.parse_spec("host1")
    check((s["host"], s["port"], s["label"], s["client"]) == ("host1", 8765, "host1", "host1,8765"),
          f"plain host: {s}")
    s = rm.parse_spec("127.0.0.1:8801")
    check((s["port"], s["label"], s["client"], s["name"]) ==
          (8801, "127.0.0.1_8801", "127.0.0.1,8801", "127.0.0.1:8801"), f"host:port: {s}")
    s = rm.parse_spec("[::1]:9000")
    check((s["host"], s["client"], s["label"]) == ("::1", "ip6:::1,9000", "..1_9000"), f"v6: {s}")
    for bad, why in (("a:99999", "not in 1..65535"), ("a b", "expected HOST"), ("", "expected"),
                     ("host:", "expected HOST"), ("-x", "expected HOST")):
        try:
            rm.parse_spec(bad)
        except rm.RemoteError as e:
            check(why in str(e), f"{bad!r}: unclear message {e}")
            continue
        raise AssertionError(f"--remote {bad!r} accepted")
    for bad in ("relative/dir", "/a b", "/a;b", "/a$b", "/a#b"):
        try:
            rm.check_path("--dir", bad)
        except rm.RemoteError as e:
            check("absolute" in str(e) and repr(bad) in str(e), f"{bad!r}: {e}")
            continue
        raise AssertionError(f"remote path {bad!r} accepted")


@test
def remote_client_json():
    """fio --client's JSON (client_stats, an 'All clients' sum when there are
    several jobs, hostname/port on each) back into fio's own layout, which
    the shared judge (fioab.fio) accepts and the client layout it refuses."""
    job = {"jobname": "mem", "groupid": 0, "error": 0, "job_start": 1, "job_runtime": 300,
           "read": {"total_ios": 7}, "hostname": "127.0.0.1", "port": 8801}
    two = {"fio version": "fio-3.41", "global options": {}, "disk_util": [],
           "client_stats": [dict(job), dict(job, job_start=2),
                            dict(job, jobname="All clients", job_start=0)]}
    check(fio.judge(two) is not None, "the judge took client/server JSON as it is")
    got = rm.local_doc(two)
    check(fio.judge(got) is None, f"the judge refuses the converted JSON: {fio.judge(got)}")
    check([j["job_start"] for j in got["jobs"]] == [1, 2], f"jobs: {got['jobs']}")
    check(all("hostname" not in j and "port" not in j for j in got["jobs"]), "client keys kept")
    check("client_stats" not in got and got["disk_util"] == [], "top level")
    one = dict(two, client_stats=[dict(job)])
    check(len(rm.local_doc(one)["jobs"]) == 1, "a lone job is no 'All clients' sum")
    text = "<fdm-r1> fio-dmabuf: job=mem x\n{\n" + '  "a": 1\n}\nclient: tail\n'
    log, doc = rm.split_output(text)
    check(doc == {"a": 1} and "fio-dmabuf: job=mem" in log and "tail" in log, f"split: {log!r}")
    check(rm.strip_prefix("<fdm-r1> fio-dmabuf: x") == "fio-dmabuf: x", "prefix")
    # what fio 3.41 printed when its server was killed, and when none listened
    check("lost during the run" in rm.lost_reason("client: host=127.0.0.1 disconnected\n",
                                                  "127.0.0.1:8801"), "disconnect")
    why = rm.lost_reason("fio: connect: Connection refused\nfio: failed to connect to "
                         "127.0.0.1:8801\n", "127.0.0.1:8801")
    check(why.startswith("fio server 127.0.0.1:8801 unreachable") and "refused" in why, why)
    check(rm.lost_reason("fio: job error\n", "h:1") is None, "a job error is not a lost server")


@test
def remote_with_exec():
    """The sampler's exec_prerun/exec_postrun reach every job: fio's own
    parser (--showcmd) is the judge."""
    env = mx.fio_env(small_matrix(size=1 << 20, runtime=1, ramp_time=0, rwmixread=70),
                     {"pattern": "randread", "bs": 4096, "iodepth": 1, "numjobs": 2,
                      "source": None}, "/tmp/x", ENGINE)
    for arm in ("mem", "psync"):
        text = rm.with_exec(mx.render_job(os.path.join(TOP, "jobs", arm + ".fio"), env),
                            "echo PRE", "echo POST")
        path = write(tempfile.mktemp(suffix=".fio"), text)
        p = subprocess.run([fio.fio_binary(TOP), "--showcmd", path], capture_output=True,
                           text=True)
        os.unlink(path)
        check(p.returncode == 0, f"{arm}: fio --showcmd: {p.stderr}")
        jobs = [l for l in p.stdout.split("--name=")[1:]] or [""]
        check("--exec_prerun=echo PRE" in p.stdout and "--exec_postrun=echo POST" in p.stdout
              and p.stdout.index("--exec_prerun") < p.stdout.index("--name="),
              f"{arm}: not in the global options: {p.stdout}")
        check(len(jobs) == 1, f"{arm}: {len(jobs)} jobs")
    check(rm.with_exec("[j]\nbs=4k\n", "a", "b").startswith("[global]\nexec_prerun=a\n"),
          "a job file without [global]")


@test
def remote_collect_channel():
    """remote-collect's sections and hex chunks, read back as fio's client
    prints them: bytes of every value survive (a payload larger than one
    chunk, with newlines, ';', '#', '$' and non-ASCII)."""
    d = tempfile.mkdtemp()
    out = os.path.join(d, "out")
    os.makedirs(out)
    blob = bytes(range(256)) * 40 + bytes(100) + b"; # ${X} $ncpus\n\n@@ fake 1 0\n"
    with open(os.path.join(d, "blob"), "wb") as f:
        f.write(blob)
    # one section by remote-collect's own sect(), through its parse command's path
    p = subprocess.run(["sh", "-c", f'. /dev/null; OUT={out}; ' + "sect() { " +
                        "_name=$1; shift; \"$@\" >\"$OUT/.t\" 2>&1; _rc=$?; " +
                        "_n=$(wc -c <\"$OUT/.t\" | tr -d ' '); " +
                        "{ printf '@@ %s %s %s\\n' \"$_name\" \"$_n\" \"$_rc\"; cat \"$OUT/.t\"; " +
                        "printf '\\n'; } >\"$OUT/$_name\"; }; " +
                        f"sect blob cat {d}/blob; sect fails sh -c 'echo no; exit 3'"],
                       capture_output=True)
    check(p.returncode == 0, p.stderr)
    collect("emit", d, "x.1")
    with open(os.path.join(d, "fetch.fio")) as f:
        n = sum(1 for l in f if l.startswith("[fdm-"))
    check(n >= 2, f"{n} chunk(s): the test wants more than one")
    text = served(d, "x.1")
    secs = rm.sections(rm.payload(text, "x.1"))
    check(secs["blob"] == (0, blob.decode(errors="replace")), "the blob did not survive")
    check(secs["fails"] == (3, "no\n"), f"exit status or text lost: {secs['fails']}")
    # a chunk that did not come back, another answer's chunks
    drop = "\n".join(l for l in text.splitlines() if "-1-" not in l.split(" : ")[0])
    for bad, want in ((drop, "did not come back"), (text, "no answer y.1")):
        try:
            rm.payload(bad, "y.1" if want == "no answer y.1" else "x.1")
        except rm.RemoteError as e:
            check(want in str(e), f"unclear: {e}")
            continue
        raise AssertionError(f"payload accepted: {want}")


@test
def remote_facts_are_the_machines():
    """remote-collect run here must say what this machine's own readers say
    (meta.py's local_facts, socket, platform, dmabuf-probe run directly)."""
    import platform
    import socket
    d = tempfile.mkdtemp()
    data = tempfile.mkdtemp(dir="/var/tmp")
    try:
        secs = facts_here(d, "dir", data)
        paths = rm.remote_paths(TOP, "dir", data)
        got = rm.facts_meta(secs, rm.parse_spec("h:1"), paths)
        want = mt.local_facts(fio.fio_binary(TOP), TOP, {"kind": "file", "path": data})
        check(got["hostname"] == socket.gethostname(), f"hostname {got['hostname']}")
        check(got["kernel"] == {"release": platform.release(),
                                "cmdline": open("/proc/cmdline").read().strip()}, "kernel")
        for k in ("virtualization", "iommu", "cpu", "memory_bytes"):
            check(got[k] == want[k], f"{k}: remote-collect says {got[k]!r}, meta.py {want[k]!r}")
        live = json.loads(subprocess.run([PROBE, "--json"], capture_output=True,
                                         text=True).stdout)
        check(got["probe"] == live, "dmabuf-probe --json differs")
        rules = json.loads(subprocess.run([PROBE, "--paths"], capture_output=True,
                                          text=True).stdout)
        host = rm.RemoteHost(rm.parse_spec("h:1"), "fio", paths, sys.stderr)
        host.secs = secs
        check(host.path_rules() == rules, "the engine's path rule differs")
        check(host.io_uring() == (rn._read_sysctl("/proc/sys/kernel/io_uring_disabled"),
                                  os.geteuid()), f"io_uring {host.io_uring()}")
        check(host.engine_reason() is None, f"the engine is here: {host.engine_reason()}")
        for src in ("udmabuf", "heap", "heap:system", "drm", "mem"):
            check(host.source_reason(src, live) == rn.source_reason(src, live),
                  f"{src}: {host.source_reason(src, live)!r} vs {rn.source_reason(src, live)!r}")
        # the directory check: the same verdict as the local one
        check(tg.dir_verdict(data, 1 << 20, rm.dir_facts(secs, data)) ==
              tg.check_dir(data, 1 << 20), "dir verdicts differ")
        free = tg.dir_facts(data)["free"]
        for size in (free * 4, ):
            for facts in (rm.dir_facts(secs, data), tg.dir_facts(data)):
                try:
                    tg.dir_verdict(data, size, facts)
                except tg.TargetError as e:
                    check("bytes are free" in str(e), str(e))
                    continue
                raise AssertionError("a matrix larger than the free space was accepted")
        secs = facts_here(d, "dir", data + "/nonexistent")
        try:
            tg.dir_verdict(data + "/nonexistent", 1, rm.dir_facts(secs, data + "/nonexistent"))
            raise AssertionError("a missing --dir accepted")
        except tg.TargetError as e:
            check("is not a directory" in str(e), str(e))
    finally:
        subprocess.run(["rm", "-rf", d, data])


@test
def remote_device_facts():
    """The device check from remote-collect's facts gives the local verdict
    on the same images (ext4, a DOS partition table, blank)."""
    d = tempfile.mkdtemp()
    try:
        imgs = {}
        blank = os.path.join(d, "blank.img")
        with open(blank, "wb") as f:
            f.truncate(8 << 20)
        imgs["blank"] = blank
        mbr = os.path.join(d, "mbr.img")
        head = bytearray(8 << 20)
        head[446 + 4] = 0x83
        head[510:512] = b"\x55\xaa"
        with open(mbr, "wb") as f:
            f.write(head)
        imgs["mbr"] = mbr
        mkfs = "/usr/sbin/mkfs.ext4" if os.path.exists("/usr/sbin/mkfs.ext4") else "mkfs.ext4"
        ext4 = os.path.join(d, "ext4.img")
        with open(ext4, "wb") as f:
            f.truncate(32 << 20)
        if subprocess.run([mkfs, "-q", "-F", ext4], capture_output=True).returncode == 0:
            imgs["ext4"] = ext4
        imgs["missing"] = os.path.join(d, "nonexistent")
        imgs["chardev"] = "/dev/null"
        for name, path in imgs.items():
            secs = facts_here(os.path.join(d, "st-" + name), "device", path)
            verdicts = []
            for facts in (rm.device_facts(secs), tg.device_facts(path)):
                try:
                    verdicts.append(tg.device_verdict(path, facts, False))
                except tg.TargetError as e:
                    verdicts.append(str(e))
            check(verdicts[0] == verdicts[1], f"{name}: remote {verdicts[0]!r}, "
                                              f"local {verdicts[1]!r}")
            # our own magic check alone, from the bytes remote-collect read
            if name in ("mbr", "ext4"):
                with open(path, "rb") as f:
                    full = f.read(70000)
                facts = rm.device_facts(dict(secs, blkid=(1, "")))
                check(facts["signatures"] == tg.own_signatures(full) != [],
                      f"{name}: signatures from the ranges {facts['signatures']} vs "
                      f"{tg.own_signatures(full)}")
        check("ext4" in imgs, "mkfs.ext4 missing: the ext4 case did not run")
    finally:
        subprocess.run(["rm", "-rf", d])


@test
def remote_sampler():
    """remote-collect's sampler against this test's own clock and /proc/stat,
    and the analysis' system CPU over a window from it against the runner's
    own sampler running alongside."""
    import time
    sys.path.insert(0, os.path.join(TOP, "analysis"))
    from fioab import load
    d = tempfile.mkdtemp()
    try:
        local = rn.ProcStatSampler()
        with local:
            t0 = time.time()
            collect("start", d, "0.05", "cellA")
            t_started = time.time()
            collect("start", d, "0.05", "cellA")        # a second job of the cell
            time.sleep(0.5)
            burn = time.time() + 0.3
            while time.time() < burn:
                pass
            collect("stop", d, "cellA")                 # the first job ends: go on
            t_first = time.time()
            time.sleep(1.0)
            t_stop = time.time()
            collect("stop", d, "cellA")                 # the last one: final sample
            t1 = time.time()
        with open("/proc/stat") as f:
            cpus = sum(1 for l in f if l[:3] == "cpu" and l[3].isdigit())
        doc = rm.samples_doc(rm.sections(rm.payload(served(d, "cellA"), "cellA")), 0.05)
        rows = doc["samples"]
        ts = [r[0] for r in rows]
        check(t0 <= ts[0] <= t_started and t_stop <= ts[-1] <= t1,
              f"first and last sample at {ts[0]:.3f}, {ts[-1]:.3f}: not within the first start "
              f"({t0:.3f}..{t_started:.3f}) and the last stop ({t_stop:.3f}..{t1:.3f}); "
              f"the clock is not CLOCK_REALTIME, or a stop ended the sampling early")
        check(any(t_first < t < t_stop for t in ts), "no samples between the first job's "
                                                     "stop and the last one's")
        # every 50 ms, give or take what a loaded machine does to fork and exec
        gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
        check(len(rows) >= 6 and gaps[len(gaps) // 2] < 0.2,
              f"{len(rows)} samples, median gap {gaps[len(gaps) // 2]:.2f} s")
        check(all(len(r) == len(local.samples[0]) for r in rows), "columns differ from the "
                                                                  "runner's own")
        check(all(x <= y for a, b in zip(rows, rows[1:]) for x, y in zip(a[1:11], b[1:11])),
              "counters go back")
        check(doc["cpus"] == cpus and doc["clk_tck"] == os.sysconf("SC_CLK_TCK"), "cpus, tck")
        check(doc["sampler"]["host"] == os.uname().nodename, "sampler host")
        w0, w1 = ts[0] + 0.1, ts[-1] - 0.1
        a, b = load.system_busy_s(doc, w0, w1), load.system_busy_s(local.doc(), w0, w1)
        check(a is not None and b is not None and abs(a - b) <= 0.1 + 0.05 * b,
              f"system busy over the window: remote-collect {a}, runner {b}")
        # a new cell's start drops what an earlier cell left
        collect("start", d, "0.05", "cellB")
        collect("stop", d, "cellB")
        doc = rm.samples_doc(rm.sections(rm.payload(served(d, "cellB"), "cellB")), 0.05)
        check(doc["samples"][0][0] > t1, "cellB kept cellA's samples")
    finally:
        subprocess.run(["rm", "-rf", d])


@test
def signature_ranges_cover_the_magics():
    """own_signatures() on just the ranges signature_ranges() names finds what
    it finds on the whole head, for a head holding each magic."""
    for off, magic, what in tg._MAGICS:
        head = bytearray(70000)
        head[off:off + len(magic)] = magic
        sparse = tg.head_from_ranges({o: bytes(head[o:o + n]) for o, n in tg.signature_ranges()})
        check(tg.own_signatures(sparse) == tg.own_signatures(bytes(head)) == [what],
              f"{what}: {tg.own_signatures(sparse)}")
    check(tg.parse_blkid("PTTYPE=dos\n") == ["a dos partition table"], "blkid PTTYPE")
    check(tg.parse_blkid("TYPE=ext4\nUSAGE=filesystem\nUUID=u\n") ==
          ["a ext4 file system (UUID u)"], "blkid TYPE")


for t in TESTS:
    try:
        t()
        print(f"PASS unit-{t.__name__}")
    except Exception as e:  # noqa: BLE001 - report any failure as a FAIL line
        FAILED = True
        print(f"FAIL unit-{t.__name__}: {type(e).__name__}: {e}")
sys.exit(1 if FAILED else 0)
