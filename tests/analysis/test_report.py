"""analysis/report end to end on the real matrix fixture."""
import csv
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from conftest import ANALYSIS, bh_by_definition, fixture, ok_run_dirs
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


def fio_iops_per_run(root):
    """{cell key: [per-run IOPS]}: the sum of fio's own per-job read iops."""
    out = {}
    for d in ok_run_dirs(root):
        c = json.load(open(os.path.join(d, "cell.json")))
        doc = json.load(open(os.path.join(d, "fio.json")))
        key = (c["arm"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"])
        out.setdefault(key, []).append(sum(j["read"]["iops"] for j in doc["jobs"]))
    return out


def test_tables(report_dir):
    rows = list(csv.DictReader(open(os.path.join(report_dir, "cells.csv"))))
    assert len(rows) == 12
    assert {r["arm"] for r in rows} == {"libaio", "io_uring"}
    comp = list(csv.DictReader(open(os.path.join(report_dir, "comparisons.csv"))))
    # 5 io_uring cells with an ok libaio cell x the 8 compared metrics these
    # randread fixtures carry (no system CPU samples, no writes)
    assert len(comp) == 40
    assert all(r["test"] == "rank-sum (unpaired)" for r in comp)
    # 3 vs 3 runs: an exact two-sided Mann-Whitney cannot go below
    # p = 2/C(6,3) = 0.1, so no cell can be better or worse at alpha 0.05,
    # and with a +-5% band and 3 runs none is shown the same either
    assert {r["verdict"] for r in comp} == {"inconclusive"}
    assert all(float(r["p"]) >= 0.1 - 1e-12 for r in comp)


def test_iops_comparisons_against_fio_and_scipy(report_dir):
    """IOPS rows against independent numbers: per-run IOPS from fio's own
    iops fields, the Hodges-Lehmann ratio as the median of the 3 x 3
    candidate/baseline run ratios (exp and log are monotone, so it is the
    median of the log differences), p from scipy's exact Mann-Whitney, and
    p_adj as Benjamini-Hochberg (the report's default) over the 5 cells."""
    iops = fio_iops_per_run(fixture("matrix"))
    comp = [r for r in csv.DictReader(open(os.path.join(report_dir, "comparisons.csv")))
            if r["metric"] == "iops"]
    assert len(comp) == 5
    for r in comp:
        assert (r["baseline_arm"], r["arm"]) == ("libaio", "io_uring")
        cell = (r["pattern"], int(r["bs"]), int(r["iodepth"]), int(r["numjobs"]))
        base, cand = iops[("libaio",) + cell], iops[("io_uring",) + cell]
        assert len(base) == len(cand) == 3
        assert float(r["base_median"]) == pytest.approx(np.median(base), rel=1e-5)
        assert float(r["cand_median"]) == pytest.approx(np.median(cand), rel=1e-5)
        ratios = [c / b for b in base for c in cand]
        assert float(r["ratio"]) == pytest.approx(np.median(ratios), rel=1e-5)
        assert float(r["p"]) == pytest.approx(
            mannwhitneyu(np.log(cand), np.log(base), method="exact").pvalue, rel=1e-5)
    want = bh_by_definition([float(r["p"]) for r in comp])
    assert [float(r["p_adj"]) for r in comp] == pytest.approx(want, rel=1e-5)
    # the correction did something here: some p_adj differs from its p
    assert any(abs(float(r["p_adj"]) - float(r["p"])) > 0.1 for r in comp)


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


def test_gnuplot_scripts(report_dir, tmp_path):
    # required, not skipped: without gnuplot there are no ASCII plots and
    # this test must fail (make deps installs gnuplot)
    assert gnuplot.GNUPLOT is not None, "gnuplot is not installed (make deps installs it)"
    md = open(os.path.join(report_dir, "report.md")).read()
    assert "gnuplot not installed" not in md
    gdir = os.path.join(report_dir, "gnuplot")
    gps = sorted(f for f in os.listdir(gdir) if f.endswith(".gp"))
    assert "cpu_ns_per_io_randread_qd1.gp" in gps and "iops_randread_bs4k.gp" in gps
    txt = open(os.path.join(report_dir, "ascii", "cpu_ns_per_io_randread_qd1.txt")).read()
    assert "io_uring" in txt and "libaio" in txt and "+---" in txt
    # the same ASCII plot is in report.md, fenced
    assert "```\n" + txt.rstrip("\n") + "\n```" in md
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


def test_headline_without_a_ci_at_alpha_0_1():
    """--alpha 0.1 with 4 vs 3 runs: better at p = 2/C(7,3) = 0.057, below the
    95% CI's reach; the headline says there is no CI instead of crashing."""
    from fioab.report import headline
    from fioab.verdict import compare_values, finish
    c = compare_values("cpu_ns_per_io", ("libaio", "io_uring", None, "randread", 4096, 1, 1),
                       "libaio", "io_uring", [100, 101, 102, 103], [80, 81, 82], False, 0.05)
    finish([c], alpha=0.1)
    assert c.verdict == "better" and c.ci is None
    lines = headline([c], [], ["libaio"], 0.05)
    assert any("io_uring" in l and "no 95% CI at n=3 vs 4" in l for l in lines), lines


def test_sentence_without_a_ci():
    """A declared comparison with no 95% CI (too few pairs) is put in words
    with that said, not a formatting error."""
    from fioab.report import _sentence
    from fioab.verdict import compare_values, finish
    c = compare_values("cpu_ns_per_io", ("mem", "dmabuf-direct", "udmabuf", "randread", 4096, 1, 1),
                       "mem", "dmabuf-direct", [100, 101, 102], [80, 81, 82], True, 0.02)
    finish([c], alpha=0.3)
    assert c.ci is None
    s = _sentence(c, {"iommu": "off"}, "time")
    assert "(no 95% CI at n=3)" in s and "`dmabuf-direct`/udmabuf" in s
