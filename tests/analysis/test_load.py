"""Loading: numbers from real fio json+ runs, and every error path."""
import json
import os
import shutil

import numpy as np
import pytest

from conftest import fixture, ok_run_dirs
from fioab.load import LoadError, load_fio, load_results, parse_size

DIRS = ("read", "write", "trim")


def raw(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.parametrize("name", ["psync-nj2.json", "libaio-nj2-group.json",
                                  "io_uring-randrw.json", "io_uring-clat-only.json"])
def test_run_numbers_match_fio_json(name):
    path = fixture("fio", name)
    doc = raw(path)
    run = load_fio(path)
    ios = sum(j[d]["total_ios"] for j in doc["jobs"] for d in DIRS)
    cpu_ms = sum((j["usr_cpu"] + j["sys_cpu"]) / 100 * j["job_runtime"] for j in doc["jobs"])
    assert ios > 1000
    assert run.ios == ios
    assert run.cpu_ns_per_io == pytest.approx(cpu_ms * 1e6 / ios, rel=1e-12)
    assert run.ctx_per_io == pytest.approx(sum(j["ctx"] for j in doc["jobs"]) / ios)
    assert run.iops == pytest.approx(sum(j[d]["iops"] for j in doc["jobs"] for d in DIRS))
    # fio's iops is total_ios per runtime: check our sum against that definition
    assert run.iops == pytest.approx(sum(1000.0 * j[d]["total_ios"] / j[d]["runtime"]
                                         for j in doc["jobs"] for d in DIRS
                                         if j[d]["total_ios"]), rel=1e-3)
    assert run.bw_bytes == pytest.approx(sum(j[d]["bw_bytes"] for j in doc["jobs"] for d in DIRS))
    kind = "lat" if "bins" in doc["jobs"][0]["read"].get("lat_ns", {}) else "clat"
    assert run.lat_kind == kind
    n = sum(j[d][kind + "_ns"]["N"] for j in doc["jobs"] for d in DIRS if j[d]["total_ios"])
    assert run.lat_n == n == int(run.bin_count.sum())
    mean = sum(j[d][kind + "_ns"]["mean"] * j[d][kind + "_ns"]["N"]
               for j in doc["jobs"] for d in DIRS if j[d]["total_ios"]) / n
    assert run.lat_mean_ns == pytest.approx(mean)
    assert np.all(np.diff(run.bin_ns) > 0)


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
    assert parse_size("4k") == 4096 and parse_size("64K") == 65536
    assert parse_size("1m") == 1 << 20 and parse_size("4096") == 4096


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
