"""analysis/report end to end on the real matrix fixture."""
import csv
import json
import os
import shutil
import subprocess

import pytest

from conftest import ANALYSIS, fixture
from fioab import gnuplot

REPORT = os.path.join(ANALYSIS, "report")


def run_report(*args):
    return subprocess.run(["/usr/bin/python3", REPORT] + list(args),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("report"))
    p = run_report(fixture("matrix"), "--baseline-arm", "libaio", "--out", out)
    assert p.returncode == 0, p.stderr
    return out


def test_tables(report_dir):
    rows = list(csv.DictReader(open(os.path.join(report_dir, "cells.csv"))))
    assert len(rows) == 12
    assert {r["arm"] for r in rows} == {"libaio", "io_uring"}
    comp = list(csv.DictReader(open(os.path.join(report_dir, "comparisons.csv"))))
    # 5 io_uring cells with an ok libaio cell x the 8 compared metrics these
    # randread fixtures carry (no system CPU samples, no writes)
    assert len(comp) == 40
    assert {r["verdict"] for r in comp} <= {"better", "worse", "same", "inconclusive"}
    # the Hodges-Lehmann ratio is the median of all candidate/baseline run
    # ratios: it lies between the extreme ratios of the medians' sides
    for r in comp:
        if r["ratio"]:
            assert float(r["ratio"]) > 0
            assert r["test"] == "rank-sum (unpaired)"
            assert (float(r["ratio"]) - 1) * (float(r["cand_median"]) -
                                              float(r["base_median"])) >= -1e-9 or \
                r["verdict"] in ("inconclusive", "same")


def test_report_md(report_dir):
    md = open(os.path.join(report_dir, "report.md")).read()
    head = md.split("## Data")[0]
    assert "## Headline findings" in head
    assert "not emulated" in head and "Machine:" in head
    assert "`libaio`" in head
    assert "1 failed" in md and "1 skipped" in md
    assert "| io_uring | randread | 4k | 1 | 1 | 3 |" in md


def test_figures(report_dir):
    figs = os.listdir(os.path.join(report_dir, "figures"))
    for stem in ("cpu_per_io_randread", "iops_vs_iodepth_randread", "latency_randread_4k",
                 "latency_randread_64k",
                 "heatmap_cpu_ns_per_io_io_uring_vs_libaio_randread_nj1",
                 "heatmap_lat_p99_ns_io_uring_vs_libaio_randread_nj1"):
        for ext in (".png", ".svg"):
            assert stem + ext in figs
            assert os.path.getsize(os.path.join(report_dir, "figures", stem + ext)) > 5000
    with open(os.path.join(report_dir, "figures", "cpu_per_io_randread.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(gnuplot.GNUPLOT is None, reason="gnuplot not installed")
def test_gnuplot_scripts(report_dir, tmp_path):
    gdir = os.path.join(report_dir, "gnuplot")
    gps = sorted(f for f in os.listdir(gdir) if f.endswith(".gp"))
    assert "cpu_ns_per_io_randread_qd1.gp" in gps and "iops_randread_bs4k.gp" in gps
    txt = open(os.path.join(report_dir, "ascii", "cpu_ns_per_io_randread_qd1.txt")).read()
    assert "io_uring" in txt and "libaio" in txt and "+---" in txt
    shutil.copytree(gdir, tmp_path / "g")
    out = gnuplot.render(str(tmp_path / "g" / "cpu_ns_per_io_randread_qd1.gp"), "svg")
    assert out == ""
    assert open(tmp_path / "g" / "cpu_ns_per_io_randread_qd1.svg").read().lstrip().startswith("<?xml")


def test_emulated_is_stated(tmp_path):
    shutil.copytree(fixture("matrix"), tmp_path / "m")
    meta = json.load(open(tmp_path / "m" / "meta.json"))
    meta["emulated"] = True
    json.dump(meta, open(tmp_path / "m" / "meta.json", "w"))
    p = run_report(str(tmp_path / "m"), "--baseline-arm", "libaio", "--no-plots",
                   "--no-ascii", "--out", str(tmp_path / "r"))
    assert p.returncode == 0, p.stderr
    md = open(tmp_path / "r" / "report.md").read()
    assert "**EMULATED hardware**" in md.split("## Headline")[0]


def test_no_mem_arm_means_no_comparisons(tmp_path):
    p = run_report(fixture("matrix"), "--no-plots", "--no-ascii", "--out", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert "No baseline arm" in open(tmp_path / "report.md").read()


def test_unknown_baseline_arm(tmp_path):
    p = run_report(fixture("matrix"), "--baseline-arm", "mem", "--out", str(tmp_path))
    assert p.returncode == 2
    assert "baseline arm 'mem'" in p.stderr and "io_uring" in p.stderr


def test_broken_file_stops_the_report(tmp_path):
    shutil.copytree(fixture("matrix"), tmp_path / "m")
    runs = sorted(os.listdir(tmp_path / "m" / "runs"))
    bad = tmp_path / "m" / "runs" / runs[3] / "fio.json"
    data = bad.read_text()
    bad.write_text(data[: len(data) - 200])
    p = run_report(str(tmp_path / "m"), "--out", str(tmp_path / "r"))
    assert p.returncode == 2
    assert str(bad) in p.stderr and "truncated" in p.stderr
    assert not (tmp_path / "r" / "report.md").exists()
