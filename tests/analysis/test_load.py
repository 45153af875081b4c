"""Loading: numbers from real fio json+ runs, and every error path."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import fixture, ok_run_dirs
from fioab import fio
from fioab.load import LoadError, load_fio, load_results, parse_size
from fioab.stats import run_values

DIRS = ("read", "write", "trim")


def raw(path):
    with open(path) as f:
        return json.load(f)


# Expected numbers by hand from each file's fields (fio writes usr_cpu and
# sys_cpu as percent of one CPU over the job's job_runtime, in ms; with
# group_reporting the times and runtimes are summed over the group, so the
# group's job_runtime is 2 x 1000 ms). CPU ns per I/O = sum over jobs of
# (usr + sys)/100 * job_runtime, over all I/Os of all jobs and directions.
HAND = {
    # one job: (4.7 + 45.3) = 50.0 % of 1000 ms = 500 ms; 27798 reads
    "io_uring-clat-only.json": dict(ios=27798, cpu_ns_per_io=500e6 / 27798,
                                    ctx=13843, lat_kind="clat",
                                    lat_mean_ns=60081.65681),
    # one job: (5.1 + 43.4) = 48.5 % of 1000 ms = 485 ms; 28835 reads +
    # 28638 writes = 57473; mean latency weighted by each direction's N
    "io_uring-randrw.json": dict(ios=57473, cpu_ns_per_io=485e6 / 57473,
                                 ctx=8859, lat_kind="lat",
                                 lat_mean_ns=(126461.379261 * 28835 +
                                              151106.899749 * 28638) / 57473),
    # group_reporting, numjobs=2: (2.0 + 22.35) = 24.35 % of 2000 ms = 487 ms;
    # 61883 reads (not the direction runtime, 1001 ms: that would halve it)
    "libaio-nj2-group.json": dict(ios=61883, cpu_ns_per_io=487e6 / 61883,
                                  ctx=15458, lat_kind="lat", lat_mean_ns=129014.055556),
    # numjobs=2, separate jobs: (2.1 + 22.5) = 24.6 % of 1000 ms = 246 ms and
    # (1.6 + 22.8) = 24.4 % of 1000 ms = 244 ms: 490 ms; 14346 + 14349 = 28695
    # reads (averaging the jobs would give 245 ms: half)
    "psync-nj2.json": dict(ios=28695, cpu_ns_per_io=490e6 / 28695,
                           ctx=14342 + 14335, lat_kind="lat",
                           lat_mean_ns=(69293.882337 * 14346 + 69276.650777 * 14349) / 28695),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_run_numbers_match_fio_json(name):
    path = fixture("fio", name)
    doc = raw(path)
    run = load_fio(path)
    want = HAND[name]
    assert run.ios == want["ios"]
    assert run.cpu_ns_per_io == pytest.approx(want["cpu_ns_per_io"], rel=1e-12)
    assert run.ctx_per_io == pytest.approx(want["ctx"] / want["ios"], rel=1e-12)
    assert run.lat_kind == want["lat_kind"]
    assert run.lat_n == want["ios"] == int(run.bin_count.sum())
    assert run.lat_mean_ns == pytest.approx(want["lat_mean_ns"], rel=1e-12)
    # IOPS and bandwidth: fio's own per-job, per-direction figures, summed
    assert run.iops == pytest.approx(sum(j[d]["iops"] for j in doc["jobs"] for d in DIRS))
    # fio's iops is total_ios per runtime: check our sum against that definition
    assert run.iops == pytest.approx(sum(1000.0 * j[d]["total_ios"] / j[d]["runtime"]
                                         for j in doc["jobs"] for d in DIRS
                                         if j[d]["total_ios"]), rel=1e-3)
    assert run.bw_bytes == pytest.approx(sum(j[d]["bw_bytes"] for j in doc["jobs"] for d in DIRS))
    assert np.all(np.diff(run.bin_ns) > 0)


def test_randrw_directions_equal_fio_per_direction_numbers():
    """One job: the read and write latency kept apart must be fio's own mean
    and p99 of each direction, as fio printed them."""
    run = load_fio(fixture("fio", "io_uring-randrw.json"))
    v = run_values(run)
    assert v["read_lat_mean_ns"] == pytest.approx(126461.379261, rel=1e-12)
    assert v["write_lat_mean_ns"] == pytest.approx(151106.899749, rel=1e-12)
    assert v["read_lat_p99_ns"] == 228352 and v["write_lat_p99_ns"] == 288768


def test_two_jobs_without_group_reporting_are_summed():
    doc = raw(fixture("fio", "psync-nj2.json"))
    assert len(doc["jobs"]) == 2
    run = load_fio(fixture("fio", "psync-nj2.json"))
    assert run.ios == doc["jobs"][0]["read"]["total_ios"] + doc["jobs"][1]["read"]["total_ios"]


def test_randrw_counts_both_directions():
    doc = raw(fixture("fio", "io_uring-randrw.json"))
    j = doc["jobs"][0]
    assert j["read"]["total_ios"] and j["write"]["total_ios"]
    run = load_fio(fixture("fio", "io_uring-randrw.json"))
    assert run.ios == j["read"]["total_ios"] + j["write"]["total_ios"]


def test_result_set_loads_with_failed_and_skipped():
    rs = load_results(fixture("matrix"))
    st = [e.status for e in rs.entries]
    assert st.count("failed") == 1 and st.count("skipped") == 1
    assert len(rs.runs) == st.count("ok") == 30
    assert rs.warnings == []


def test_parse_size():
    # the one size grammar (analysis/fioab/fio.py), which load.py and the
    # matrix runner (scripts/matrixlib/matrix.py) both import
    assert parse_size is fio.parse_size
    assert parse_size("4k") == 4096 and parse_size("64K") == 65536
    assert parse_size("1m") == 1 << 20 and parse_size("4096") == 4096
    assert parse_size("64KiB") == 65536 and parse_size("1mb") == 1 << 20
    for bad in ("4q", "", "k", "1.5k", "4k,8k"):
        with pytest.raises(ValueError, match="is not a size"):
            parse_size(bad)


# ---- error paths: every one must name the file and say what is wrong ----

def first_fio(root):
    return os.path.join(ok_run_dirs(root)[0], "fio.json")


def expect_error(root, path, words):
    with pytest.raises(LoadError) as ei:
        load_results(root)
    msg = str(ei.value)
    assert path in msg, msg
    for w in words:
        assert w in msg, msg
    return msg


def test_truncated_fio_json(matrix_copy):
    p = first_fio(matrix_copy)
    data = open(p).read()
    open(p, "w").write(data[:len(data) // 2])
    expect_error(matrix_copy, p, ["truncated JSON"])


def test_malformed_fio_json(matrix_copy):
    p = first_fio(matrix_copy)
    data = open(p).read()
    i = data.index('"jobs"')
    open(p, "w").write(data[:i] + "]" + data[i:])
    expect_error(matrix_copy, p, ["malformed JSON", "line"])


def test_foreign_json(matrix_copy):
    p = first_fio(matrix_copy)
    json.dump({"benchmark": "something else", "results": [1, 2]}, open(p, "w"))
    expect_error(matrix_copy, p, ["not fio JSON output"])


def test_empty_file(matrix_copy):
    p = first_fio(matrix_copy)
    open(p, "w").close()
    expect_error(matrix_copy, p, ["empty file"])


def test_binary_file(matrix_copy):
    p = first_fio(matrix_copy)
    open(p, "wb").write(b"\x89PNG\r\n\x1a\n\xff\xfe")
    expect_error(matrix_copy, p, ["not UTF-8"])


def test_concatenated_documents(matrix_copy):
    p = first_fio(matrix_copy)
    data = open(p).read()
    open(p, "w").write(data + data)
    expect_error(matrix_copy, p, ["extra data"])


def test_plain_json_without_bins(matrix_copy):
    # what --output-format=json (not json+) leaves: no bins
    p = first_fio(matrix_copy)
    doc = raw(p)
    for j in doc["jobs"]:
        for d in DIRS:
            for k in ("lat_ns", "clat_ns"):
                j[d][k].pop("bins", None)
    json.dump(doc, open(p, "w"))
    expect_error(matrix_copy, p, ["no latency bins", "json+"])


def test_bins_disagree_with_n(matrix_copy):
    p = first_fio(matrix_copy)
    doc = raw(p)
    bins = doc["jobs"][0]["read"]["lat_ns"]["bins"]
    k = next(iter(bins))
    bins[k] += 1
    json.dump(doc, open(p, "w"))
    expect_error(matrix_copy, p, ["bins hold", "N is"])


def test_job_error(matrix_copy):
    p = first_fio(matrix_copy)
    doc = raw(p)
    doc["jobs"][0]["error"] = 5
    json.dump(doc, open(p, "w"))
    expect_error(matrix_copy, p, ["error 5"])


def test_missing_field(matrix_copy):
    p = first_fio(matrix_copy)
    doc = raw(p)
    del doc["jobs"][0]["job_runtime"]
    json.dump(doc, open(p, "w"))
    expect_error(matrix_copy, p, ["jobs[0]", "job_runtime"])


def test_cell_does_not_match_fio_options(matrix_copy):
    d = ok_run_dirs(matrix_copy)[0]
    c = raw(os.path.join(d, "cell.json"))
    c["bs"] = c["bs"] * 2
    json.dump(c, open(os.path.join(d, "cell.json"), "w"))
    expect_error(matrix_copy, os.path.join(d, "fio.json"), ["bs=", "cell.json says"])


def test_ok_run_without_fio_json(matrix_copy):
    d = ok_run_dirs(matrix_copy)[0]
    os.unlink(os.path.join(d, "fio.json"))
    expect_error(matrix_copy, os.path.join(d, "fio.json"), ["missing"])


def test_bad_cell_status(matrix_copy):
    d = ok_run_dirs(matrix_copy)[0]
    c = raw(os.path.join(d, "cell.json"))
    c["status"] = "done"
    json.dump(c, open(os.path.join(d, "cell.json"), "w"))
    expect_error(matrix_copy, os.path.join(d, "cell.json"), ["status", "done"])


def test_duplicate_repeat(matrix_copy):
    d = ok_run_dirs(matrix_copy)[0]
    shutil.copytree(d, d + "-copy")
    expect_error(matrix_copy, "cell.json", ["repeat 0 of this cell also in"])


def test_meta_schema(matrix_copy):
    p = os.path.join(matrix_copy, "meta.json")
    m = raw(p)
    m["schema"] = 7
    json.dump(m, open(p, "w"))
    expect_error(matrix_copy, p, ["unknown schema 7"])


def test_missing_meta(matrix_copy):
    p = os.path.join(matrix_copy, "meta.json")
    os.unlink(p)
    expect_error(matrix_copy, p, ["missing"])


def test_client_server_output(matrix_copy):
    p = first_fio(matrix_copy)
    doc = raw(p)
    doc["client_stats"] = doc.pop("jobs")
    json.dump(doc, open(p, "w"))
    expect_error(matrix_copy, p, ["client_stats"])


def test_mixed_latency_kinds_in_a_cell(matrix_copy):
    # a repeat whose fio.json only has clat bins must not be pooled with lat bins
    d = ok_run_dirs(matrix_copy)[0]
    c = raw(os.path.join(d, "cell.json"))
    src = load_results(fixture("matrix"))
    p = os.path.join(d, "fio.json")
    doc = raw(p)
    for j in doc["jobs"]:
        lat = j["read"]["lat_ns"]
        j["read"]["clat_ns"] = dict(lat)
        del j["read"]["lat_ns"]["bins"]
    json.dump(doc, open(p, "w"))
    assert src.entries
    with pytest.raises(LoadError) as ei:
        load_results(matrix_copy)
    assert "mixes lat and clat" in str(ei.value)
    assert c["arm"] in str(ei.value)


def test_fio_warning_lines_before_json_are_reported(matrix_copy):
    # fio prints some warnings into the --output file ahead of the document
    p = first_fio(matrix_copy)
    data = open(p).read()
    open(p, "w").write("fio: time_based requires a runtime/timeout setting\n" + data)
    rs = load_results(matrix_copy)
    assert len(rs.runs) == 30
    assert any(p in w and "time_based requires" in w for w in rs.warnings)
    # on its own (no warnings list to report to) it is an error
    with pytest.raises(LoadError) as ei:
        load_fio(p)
    assert "text before the JSON" in str(ei.value)


def test_text_only_file(matrix_copy):
    p = first_fio(matrix_copy)
    open(p, "w").write("fio: engine libfoo not loadable\nfio: failed to load engine\n")
    expect_error(matrix_copy, p, ["no JSON document", "libfoo"])
