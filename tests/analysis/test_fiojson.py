"""analysis/report --fio-json: cells inferred from plain fio output (fio
3.33 and 3.41, tests/analysis/fixtures/fio-json/make), and the errors for
bad or foreign files."""
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import ANALYSIS, fixture
from fioab import fiojson
from fioab.load import LoadError, load_fio_json, load_results
from fioab.stats import run_values

REPORT = os.path.join(ANALYSIS, "report")
VERSIONS = ("fio-3.41", "fio-3.33")
DIRS = ("read", "write", "trim")
FIX = fixture("fio-json")


def raw(path):
    with open(path) as f:
        return json.load(f)


def run_report(*args):
    return subprocess.run(["/usr/bin/python3", REPORT] + list(args),
                          capture_output=True, text=True, timeout=300)


# What fixtures/fio-json/make ran, per version directory: cell (engine,
# pattern, bs, iodepth, numjobs) -> the files and jobs[] indices of its runs
# (libaio: numjobs=2, two entries per run, or one with group_reporting).
EXPECTED = {
    ("psync", "randread", 4096, 1, 1): [("psync-randread-4k-r%d.json" % r, [0]) for r in (1, 2, 3)],
    ("io_uring", "randread", 4096, 1, 1): [("io_uring-randread-4k-qd1-r%d.json" % r, [0])
                                           for r in (1, 2, 3)],
    ("libaio", "randread", 4096, 8, 2): [("libaio-randread-4k-qd8-nj2-r1.json", [0, 1]),
                                         ("libaio-randread-4k-qd8-nj2-r2.json", [0, 1]),
                                         ("libaio-randread-4k-qd8-nj2-group.json", [0])],
    ("psync", "randread", 65536, 1, 1): [("two-sections-64k.json", [0])],
    ("io_uring", "randread", 65536, 8, 1): [("two-sections-64k.json", [1])],
    ("psync", "randwrite", 4096, 1, 1): [("concurrent-randwrite.json", [0])],
    ("io_uring", "randwrite", 4096, 4, 1): [("concurrent-randwrite.json", [1])],
}


def by_cell(rs):
    out = {}
    for e in rs.entries:
        out.setdefault((e.cell[0],) + e.cell[2:], []).append(e)
    return out


def test_defaults_are_the_ones_fio_reports():
    """fio's normal output names the values a job with none of the cell's
    options set ran with: the oracle for fiojson.DEFAULTS, both versions."""
    for name in ("normal-3.33.txt", "normal-3.41.txt"):
        head = open(os.path.join(FIX, "bad", name)).readline()
        m = re.search(r"rw=(\w+), bs=\(R\) (\d+)B-\d+B.*ioengine=(\w+), iodepth=(\d+)", head)
        assert m, head
        assert (fiojson.DEFAULTS["rw"], fiojson.DEFAULTS["bs"], fiojson.DEFAULTS["ioengine"],
                fiojson.DEFAULTS["iodepth"]) == m.groups()
        text = open(os.path.join(FIX, "bad", name)).read()
        assert "Starting 1 process" in text and fiojson.DEFAULTS["numjobs"] == "1"


@pytest.mark.parametrize("version", VERSIONS)
def test_cells_and_repeats_from_the_options(version):
    root = os.path.join(FIX, version)
    rs = load_fio_json(root)
    got = {k: sorted((os.path.basename(e.run.path), e.repeat) for e in es)
           for k, es in by_cell(rs).items()}
    assert set(got) == set(EXPECTED)
    for k, want in EXPECTED.items():
        assert sorted(f for f, _ in got[k]) == sorted(f for f, _ in want), k
        assert sorted(r for _, r in got[k]) == list(range(len(want)))
    assert all(e.cell[1] is None and e.status == "ok" for e in rs.entries)
    # psync left iodepth unset (fio's default 1), io_uring gave iodepth=1:
    # one QD; the recorded options say so
    assert "iodepth" not in raw(os.path.join(root, "psync-randread-4k-r1.json"))["jobs"][0]["job options"]
    assert raw(os.path.join(root, "io_uring-randread-4k-qd1-r1.json"))["jobs"][0]["job options"]["iodepth"] == "1"
    fj = rs.meta["fio_json"]
    assert fj["files"] == 11 and fj["jobs"] == 13
    assert fj["defaults"] == {"iodepth": 5, "numjobs": 10}
    assert fj["factors"] == {} and fj["excluded"] == []
    assert fj["group_reporting_entries"] == 1
    assert rs.meta["emulated"] is None and rs.meta["hostname"] is None
    assert rs.meta["fio_version"] == version
    assert fj["flagless_versions"] == (["fio-3.33"] if version == "fio-3.33" else [])


@pytest.mark.parametrize("version", VERSIONS)
def test_repeats_in_the_order_fio_ran_them(version):
    root = os.path.join(FIX, version)
    rs = load_fio_json(root)
    stamp = {f: raw(os.path.join(root, f))["timestamp_ms"] for f in os.listdir(root)}
    for es in by_cell(rs).values():
        files = [os.path.basename(e.run.path) for e in sorted(es, key=lambda e: e.repeat)]
        assert [stamp[f] for f in files] == sorted(stamp[f] for f in files)
    # order over the whole set follows fio's timestamps, not file names
    orders = sorted(rs.entries, key=lambda e: e.order)
    ts = [stamp[os.path.basename(e.run.path)] for e in orders]
    assert ts == sorted(ts)
    assert [os.path.basename(e.run.path) for e in orders][0].startswith("psync-randread-4k-r1")


@pytest.mark.parametrize("version", VERSIONS)
def test_run_numbers_are_fios_summed_over_the_jobs_of_one_section(version):
    """Each run's I/Os, CPU and IOPS from the JSON fields of exactly its own
    jobs[] entries (CPU per I/O by its definition: (usr+sys)/100 x
    job_runtime summed, over all I/Os)."""
    root = os.path.join(FIX, version)
    rs = load_fio_json(root)
    cells = by_cell(rs)
    for k, want in EXPECTED.items():
        for e in cells[k]:
            f = os.path.basename(e.run.path)
            idx = dict(want)[f]
            jobs = [raw(os.path.join(root, f))["jobs"][i] for i in idx]
            ios = sum(j[d]["total_ios"] for j in jobs for d in DIRS)
            cpu_ns = sum((j["usr_cpu"] + j["sys_cpu"]) / 100 * j["job_runtime"] * 1e6
                         for j in jobs)
            assert e.run.ios == ios
            assert e.run.cpu_ns_per_io == pytest.approx(cpu_ns / ios, rel=1e-12)
            assert e.run.iops == pytest.approx(sum(j[d]["iops"] for j in jobs for d in DIRS))


def test_plain_json_runs_have_mean_latency_and_no_percentiles():
    root = os.path.join(FIX, "fio-3.33")
    rs = load_fio_json(root)
    # 3.33's io_uring runs are json+: binned, clat only (fio's default)
    for e in by_cell(rs)[("io_uring", "randread", 4096, 1, 1)]:
        j = raw(e.run.path)["jobs"][0]
        assert "bins" in j["read"]["clat_ns"] and "bins" not in j["read"]["lat_ns"]
        assert e.run.lat_kind == "clat" and e.run.bin_count.sum() == e.run.lat_n > 0
    # the plain json runs take that kind's mean, so latencies of one kind are compared
    assert rs.meta["fio_json"]["plain_kind"] == "clat"
    psync = by_cell(rs)[("psync", "randread", 4096, 1, 1)]
    for e in psync:
        j = raw(e.run.path)["jobs"][0]
        assert "bins" not in j["read"]["lat_ns"] and "bins" not in j["read"]["clat_ns"]
        v = run_values(e.run)
        assert e.run.lat_kind == "clat"
        assert v["lat_mean_ns"] == pytest.approx(j["read"]["clat_ns"]["mean"], rel=1e-12)
        assert v["lat_mean_ns"] != pytest.approx(j["read"]["lat_ns"]["mean"], rel=1e-6)
        assert np.isnan(v["lat_p99_ns"])


def test_an_option_that_differs_makes_distinct_cells(tmp_path):
    d = tmp_path / "set"
    shutil.copytree(os.path.join(FIX, "fio-3.41"), d)
    shutil.copy(os.path.join(FIX, "factor", "io_uring-randread-4k-qd1-direct0.json"), d)
    src = raw(os.path.join(FIX, "factor", "io_uring-randread-4k-qd1-direct0.json"))
    assert src["global options"]["direct"] == "0"
    rs = load_fio_json(str(d))
    assert rs.meta["fio_json"]["factors"] == {"direct": ["0", "1"]}
    arms = {e.cell[0] for e in rs.entries}
    assert {"io_uring direct=0", "io_uring direct=1", "psync direct=1",
            "libaio direct=1"} <= arms
    n = {a: sum(1 for e in rs.entries if e.cell[0] == a and e.cell[3] == 4096
                and e.cell[2] == "randread") for a in arms}
    assert n["io_uring direct=0"] == 1 and n["io_uring direct=1"] == 3
    # told to, the difference is taken as repeats of one cell
    rs = load_fio_json(str(d), ignore_options=("direct",))
    assert rs.meta["fio_json"]["factors"] == {}
    assert len(by_cell(rs)[("io_uring", "randread", 4096, 1, 1)]) == 4


def test_block_size_by_direction():
    """fio's bs=READ,WRITE,TRIM: a missing trailing value repeats the last."""
    assert fiojson.block_size("4k", "randrw") == 4096
    assert fiojson.block_size("4k,64k", "randread") == 4096
    assert fiojson.block_size("4k,64k", "write") == 65536
    assert fiojson.block_size("4k,64k", "randtrim") == 65536
    assert fiojson.block_size("4k,64k,8k", "trim") == 8192
    assert fiojson.block_size("4k,64k", "randread:8") == 4096
    for bs, rw, why in (("4k,64k", "randrw", "does both"), ("4k-8k", "read", "range"),
                        (",64k", "read", "empty"), ("4q", "read", "not a size")):
        with pytest.raises(fiojson.NotInferable, match=why):
            fiojson.block_size(bs, rw)


def test_uninferable_job_is_reported_not_guessed(tmp_path):
    d = tmp_path / "set"
    shutil.copytree(os.path.join(FIX, "fio-3.41"), d)
    p = d / "two-sections-64k.json"
    doc = raw(p)
    doc["jobs"][1]["job options"]["bssplit"] = "4k/50:64k/50"
    json.dump(doc, open(p, "w"))
    rs = load_fio_json(str(d))
    ex = rs.meta["fio_json"]["excluded"]
    assert len(ex) == 1 and "two-sections-64k.json jobs[1] (big-uring)" in ex[0] and "bssplit" in ex[0]
    assert ("io_uring", "randread", 65536, 8, 1) not in by_cell(rs)
    assert ("psync", "randread", 65536, 1, 1) in by_cell(rs)


def test_numjobs_that_fits_no_layout_is_reported(tmp_path):
    d = tmp_path / "set"
    os.makedirs(d)
    doc = raw(os.path.join(FIX, "fio-3.41", "libaio-randread-4k-qd8-nj2-r1.json"))
    doc["jobs"].append(dict(doc["jobs"][0]))      # three entries, numjobs=2
    json.dump(doc, open(d / "x.json", "w"))
    with pytest.raises(LoadError) as ei:
        load_fio_json(str(d))
    assert "3 entries where numjobs=2" in str(ei.value)


def test_report_says_what_was_inferred_and_what_not(tmp_path):
    out = tmp_path / "r"
    p = run_report("--fio-json", os.path.join(FIX, "fio-3.33"), "--baseline-arm", "psync",
                   "--no-plots", "--no-ascii", "--out", str(out))
    assert p.returncode == 0, p.stderr
    md = open(out / "report.md").read()
    head = md.split("## Data")[0]
    assert "Plain fio output" in head and "EMULATED" not in head and "not emulated" not in head
    sec = md.split("## Cells inferred from fio's options")[1].split("## Definitions")[0]
    for want in ("ioengine=psync, rw=read, bs=4096, iodepth=1, numjobs=1",
                 "iodepth in 5 job(s)", "group_reporting", "Concurrent: concurrent-randwrite.json",
                 "plain `json`", "mean of `clat_ns`", "Not inferable", "the device", "`vda`",
                 "fio-3.33 leaves them out"):
        assert want in sec, want
    rows = list(open(out / "cells.csv"))
    assert len(rows) == 1 + len(EXPECTED)
    # psync is the baseline and io_uring 4k QD1 matches it
    assert "| io_uring randread 4k QD1 vs psync | 3 vs 3 |" in open(out / "comparisons.md").read()


# ---- bad and foreign files: the same errors as the runner's loader -----------

def one_file_dir(tmp_path, text=None, src=None, name="out.json"):
    d = tmp_path / "set"
    os.makedirs(d, exist_ok=True)
    if src:
        shutil.copy(src, d / name)
    else:
        (d / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(d), str(d / name)


GOOD = os.path.join(FIX, "fio-3.41", "psync-randread-4k-r1.json")


@pytest.mark.parametrize("kind,words", [
    ("terse", ["fio terse output", "--output-format=json+"]),
    ("normal", ["fio's normal (human-readable) output", "--output-format=json+"]),
    ("text", ["no JSON document", "hello"]),
    ("nojobs", ["not fio JSON output"]),
    ("truncated", ["truncated JSON"]),
    ("empty", ["empty file"]),
    ("binary", ["not UTF-8"]),
    ("twice", ["extra data"]),
    ("client", ["client_stats"]),
    ("error", ["error 5"]),
    ("mixed", ["unified_rw_reporting"]),
])
def test_bad_file(tmp_path, kind, words):
    good = open(GOOD).read()
    doc = json.loads(good)
    if kind == "terse":
        d, p = one_file_dir(tmp_path, src=os.path.join(FIX, "bad", "terse-3.41.txt"))
    elif kind == "normal":
        d, p = one_file_dir(tmp_path, src=os.path.join(FIX, "bad", "normal-3.33.txt"))
    elif kind == "text":
        d, p = one_file_dir(tmp_path, "hello, not fio\n")
    elif kind == "nojobs":
        d, p = one_file_dir(tmp_path, json.dumps({"fio version": "fio-3.41", "x": 1}))
    elif kind == "truncated":
        d, p = one_file_dir(tmp_path, good[:len(good) // 2])
    elif kind == "empty":
        d, p = one_file_dir(tmp_path, "")
    elif kind == "binary":
        d, p = one_file_dir(tmp_path, b"\x89PNG\r\n\x1a\n\xff\xfe")
    elif kind == "twice":
        d, p = one_file_dir(tmp_path, good + good)
    elif kind == "client":
        doc["client_stats"] = doc.pop("jobs")
        d, p = one_file_dir(tmp_path, json.dumps(doc))
    elif kind == "error":
        doc["jobs"][0]["error"] = 5
        d, p = one_file_dir(tmp_path, json.dumps(doc))
    else:
        doc["jobs"][0]["mixed"] = doc["jobs"][0].pop("read")
        for k in ("write", "trim"):
            doc["jobs"][0].pop(k)
        d, p = one_file_dir(tmp_path, json.dumps(doc))
    with pytest.raises(LoadError) as ei:
        load_fio_json(d)
    msg = str(ei.value)
    assert p in msg, msg
    for w in words:
        assert w in msg, msg
    # the CLI: exit 2, the same message, no report
    r = run_report("--fio-json", d, "--out", str(tmp_path / "r"), "--no-plots", "--no-ascii")
    assert r.returncode == 2 and p in r.stderr and words[0] in r.stderr, r.stderr
    assert not (tmp_path / "r" / "report.md").exists()


def test_every_bad_file_is_named(tmp_path):
    d = tmp_path / "set"
    shutil.copytree(os.path.join(FIX, "fio-3.41"), d)
    shutil.copy(os.path.join(FIX, "bad", "terse-3.41.txt"), d / "a-terse.json")
    data = open(GOOD).read()
    (d / "b-cut.json").write_text(data[:data.index(",\n", 1000) + 2])
    with pytest.raises(LoadError) as ei:
        load_fio_json(str(d))
    msg = str(ei.value)
    assert "2 of 13 files are not good fio JSON output" in msg
    assert str(d / "a-terse.json") + ": fio terse output" in msg
    assert str(d / "b-cut.json") + ": truncated JSON" in msg


def test_no_json_files_and_a_runner_directory_hint(tmp_path):
    d = tmp_path / "set"
    os.makedirs(d)
    shutil.copy(os.path.join(FIX, "bad", "terse-3.41.txt"), d)
    with pytest.raises(LoadError, match=r"no \*\.json files here.*1 other file"):
        load_fio_json(str(d))
    # a directory of fio output given without --fio-json
    with pytest.raises(LoadError, match="use analysis/report --fio-json"):
        load_results(os.path.join(FIX, "fio-3.41"))


def test_non_json_files_are_listed_and_report_dir_skipped(tmp_path):
    d = tmp_path / "set"
    shutil.copytree(os.path.join(FIX, "fio-3.41"), d)
    (d / "notes.txt").write_text("how I ran it\n")
    p = run_report("--fio-json", str(d), "--no-plots", "--no-ascii")
    assert p.returncode == 0, p.stderr
    md = open(d / "report" / "report.md").read()
    assert "Files not read (not `*.json`): `notes.txt`" in md
    # a second report does not read the first one's output
    (d / "report" / "stray.json").write_text("{}")
    p = run_report("--fio-json", str(d), "--no-plots", "--no-ascii")
    assert p.returncode == 0, p.stderr
