"""One report across hosts: analysis/report A B --out DIR, the host a
factor. Host B is SYNTHETIC: a copy of the matrix fixture with another
hostname and, where said, every io_uring run's fio CPU times scaled by a
known factor (made in tmp_path, never kept)."""
import csv
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from conftest import ANALYSIS, fixture, ok_run_dirs
from fioab import hosts as H
from fioab.load import load_results
from fioab.stats import cell_stats

REPORT = os.path.join(ANALYSIS, "report")
SCALE = 1.25


def run_report(*args):
    return subprocess.run(["/usr/bin/python3", REPORT] + list(args),
                          capture_output=True, text=True, timeout=300)


def raw(path):
    with open(path) as f:
        return json.load(f)


def put(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f)


def synthetic_host(src, dst, hostname, scale=1.0, arm="io_uring", kernel=None):
    """A copy of result set src as another machine, the fio CPU times of
    every ok run of `arm` multiplied by `scale`."""
    shutil.copytree(src, dst)
    m = raw(os.path.join(dst, "meta.json"))
    m["hostname"] = hostname
    if kernel:
        m["kernel"]["release"] = kernel
    m["note"] = "SYNTHETIC test host: a copy of %s, %s CPU x %g" % (src, arm, scale)
    put(os.path.join(dst, "meta.json"), m)
    for d in ok_run_dirs(dst):
        if raw(os.path.join(d, "cell.json"))["arm"] != arm or scale == 1.0:
            continue
        doc = raw(os.path.join(d, "fio.json"))
        for j in doc["jobs"]:
            j["usr_cpu"] *= scale
            j["sys_cpu"] *= scale
        put(os.path.join(d, "fio.json"), doc)
    return str(dst)


def cpu_per_io(fio_json):
    """CPU ns per I/O by its definition, from fio's fields."""
    doc = raw(fio_json)
    ns = sum((j["usr_cpu"] + j["sys_cpu"]) / 100 * j["job_runtime"] * 1e6 for j in doc["jobs"])
    ios = sum(j[d]["total_ios"] for j in doc["jobs"] for d in ("read", "write", "trim"))
    return ns / ios


def per_run_cpu(root):
    """{(arm, pattern, bs, iodepth, numjobs): {repeat: CPU ns per I/O}}."""
    out = {}
    for d in ok_run_dirs(root):
        c = raw(os.path.join(d, "cell.json"))
        key = (c["arm"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"])
        out.setdefault(key, {})[c["repeat"]] = cpu_per_io(os.path.join(d, "fio.json"))
    return out


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hosts")
    a = fixture("matrix")
    b = synthetic_host(a, tmp / "hostb", "synthetic-b", SCALE)
    out = str(tmp / "report")
    p = run_report(a, b, "--baseline-arm", "libaio", "--out", out, "-j", "1", "--no-ascii")
    assert p.returncode == 0, p.stderr
    return a, b, out


def rows(out, name):
    return list(csv.DictReader(open(os.path.join(out, name))))


def test_levels_against_the_reference_host(two_hosts):
    """B/A per cell from each host's own runs: exactly SCALE for io_uring
    and 1 for libaio (Hodges-Lehmann of a pure scale change), n 3 vs 3
    (never the 6 runs pooled), p from scipy's exact Mann-Whitney."""
    a, b, out = two_hosts
    va, vb = per_run_cpu(a), per_run_cpu(b)
    got = [r for r in rows(out, "hosts_levels.csv") if r["metric"] == "cpu_ns_per_io"]
    assert len(got) == 10
    for r in got:
        assert (r["reference_host"], r["host"]) == ("fixture-host", "synthetic-b")
        key = (r["arm"], r["pattern"], int(r["bs"]), int(r["iodepth"]), int(r["numjobs"]))
        xa, xb = list(va[key].values()), list(vb[key].values())
        assert int(r["n_base"]) == len(xa) == 3 and int(r["n_cand"]) == len(xb) == 3
        want = SCALE if r["arm"] == "io_uring" else 1.0
        assert float(r["ratio"]) == pytest.approx(want, rel=1e-5)
        assert np.median([y / x for x in xa for y in xb]) == pytest.approx(want, rel=1e-9)
        assert float(r["p"]) == pytest.approx(
            mannwhitneyu(np.log(xb), np.log(xa), method="exact").pvalue, rel=1e-5)
        # 3 vs 3 cannot reach alpha: never a verdict
        assert r["verdict"] == "inconclusive"


def test_each_hosts_cells_are_its_own(two_hosts):
    a, b, out = two_hosts
    cells = [r for r in rows(out, "hosts_cells.csv") if r["metric"] == "cpu_ns_per_io"
             and r["n"] != "0"]
    for host, root in (("fixture-host", a), ("synthetic-b", b)):
        v = per_run_cpu(root)
        mine = [r for r in cells if r["host"] == host]
        assert len(mine) == 10
        for r in mine:
            key = (r["arm"], r["pattern"], int(r["bs"]), int(r["iodepth"]), int(r["numjobs"]))
            assert int(r["n"]) == len(v[key])
            assert float(r["median"]) == pytest.approx(np.median(list(v[key].values())),
                                                       rel=1e-5)


def test_effects_side_by_side(two_hosts):
    """Each host's io_uring vs libaio comparison: on B the candidate's CPU is
    SCALE times A's, so B's Hodges-Lehmann ratio is SCALE times A's."""
    _a, _b, out = two_hosts
    eff = [r for r in rows(out, "hosts_effects.csv") if r["metric"] == "cpu_ns_per_io"]
    by = {}
    for r in eff:
        by.setdefault((r["pattern"], r["bs"], r["iodepth"], r["numjobs"]), {})[r["host"]] = r
    assert len(by) == 5
    for per in by.values():
        ra, rb = float(per["fixture-host"]["ratio"]), float(per["synthetic-b"]["ratio"])
        assert rb / ra == pytest.approx(SCALE, rel=1e-5)


def test_report_and_figures(two_hosts):
    _a, _b, out = two_hosts
    md = open(os.path.join(out, "report.md")).read()
    assert md.startswith("# fio-dmabuf results across 2 hosts")
    assert "never pooled as replicates" in md and "Reference host: `fixture-host`" in md
    assert "| `synthetic-b` |" in md and "## Across hosts" in md and "### Definitions" in md
    for h in ("fixture-host", "synthetic-b"):
        assert os.path.exists(os.path.join(out, "hosts", h, "report.md"))
        assert "[report](hosts/%s/report.md)" % h in md
    figs = os.listdir(os.path.join(out, "figures"))
    for stem in ("hosts_cpu_ns_per_io_randread", "hosts_iops_randread",
                 "hosts_forest_cpu_ns_per_io"):
        assert stem + ".png" in figs and stem + ".svg" in figs
        assert "![%s](figures/%s.png)" % (stem, stem) in md


# ---- declared comparisons run in pairs: does the effect differ by host? ------

def make_paired(root, cand="io_uring", base="libaio"):
    """Declare cand:base and mark the matrix fixture's runs as pairs (each
    repeat of a condition: base at order 2k, cand at 2k+1). SYNTHETIC
    pairing of real runs, for the cross-host arithmetic."""
    m = raw(os.path.join(root, "meta.json"))
    m["compare"] = ["%s:%s" % (cand, base)]
    put(os.path.join(root, "meta.json"), m)
    runs = {}
    for d in ok_run_dirs(root):
        c = raw(os.path.join(d, "cell.json"))
        runs[(c["arm"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"], c["repeat"])] = d
    order = 0
    for (arm, *cond), d in sorted(runs.items()):
        if arm != base or (cand,) + tuple(cond) not in runs:
            continue
        for pos, x in enumerate((d, runs[(cand,) + tuple(cond)])):
            c = raw(os.path.join(x, "cell.json"))
            c.update(order=order, round=c["repeat"],
                     pair={"compare": "%s:%s" % (cand, base), "round": c["repeat"],
                           "position": pos})
            put(os.path.join(x, "cell.json"), c)
            order += 1


def pair_ratio_values(root):
    v = per_run_cpu(root)
    out = {}
    for (arm, *cond), reps in v.items():
        if arm == "io_uring" and ("libaio",) + tuple(cond) in v:
            base = v[("libaio",) + tuple(cond)]
            out[tuple(cond)] = [reps[r] / base[r] for r in sorted(reps) if r in base]
    return out


def test_effect_difference_between_hosts(tmp_path):
    a = str(tmp_path / "a")
    shutil.copytree(fixture("matrix"), a)
    make_paired(a)
    b = synthetic_host(a, tmp_path / "b", "synthetic-b", SCALE)
    c = synthetic_host(a, tmp_path / "c", "synthetic-c", 1.0)
    hs = [H.Host(lab, load_results(p), [], []) for lab, p in
          (("A", a), ("B", b), ("C", c))]
    diffs, notes = H.effect_differences(hs, 0.05, 0.05, "bh", metrics=("cpu_ns_per_io",))
    assert notes == []
    ra, rb = pair_ratio_values(a), pair_ratio_values(b)
    assert len(ra) == 5
    got = {(d.key[2],) + d.key[5:]: d for d in diffs}
    assert len(got) == 10
    for cond, xa in ra.items():
        d = got[("B",) + cond]
        assert d.key[:3] == ("io_uring:libaio", "A", "B")
        assert d.n_base == d.n_cand == 3
        # each pair's ratio on B is SCALE x A's: the effect is SCALE times larger
        assert d.ratio == pytest.approx(SCALE, rel=1e-9)
        assert d.p == pytest.approx(mannwhitneyu(np.log(rb[cond]), np.log(xa),
                                                 method="exact").pvalue, rel=1e-9)
        assert d.verdict in ("differs", "same", "inconclusive")
        # C ran the very same pairs: the same effect
        assert got[("C",) + cond].ratio == pytest.approx(1.0, rel=1e-12)
    # the CLI shows them beside each host's paired comparison
    out = str(tmp_path / "r")
    p = run_report(a, b, "--out", out, "--no-plots", "--no-ascii")
    assert p.returncode == 0, p.stderr
    md = open(os.path.join(out, "report.md")).read()
    assert "effect on synthetic-b / on fixture-host [95% CI]" in md
    assert "+25.0%" in md.split("### CPU time per I/O")[1].split("Levels by host")[0]
    diff_rows = rows(out, "hosts_effect_differences.csv")
    assert {r["comparison"] for r in diff_rows} == {"io_uring:libaio"}


def test_cpu_is_not_compared_across_measurement_modes(tmp_path):
    a = fixture("matrix")
    b = synthetic_host(a, tmp_path / "b", "synthetic-b")
    m = raw(os.path.join(b, "meta.json"))
    m["measure"] = {"cpu": "instructions", "how": "SYNTHETIC"}
    put(os.path.join(b, "meta.json"), m)
    hs = []
    for lab, p in (("A", a), ("B", b)):
        rs = load_results(p)
        hs.append(H.Host(lab, rs, cell_stats(rs, resamples=200), []))
    levels, only, notes = H.level_comparisons(hs, 0.05, 0.05, "bh")
    assert {c.metric for c in levels} == {"iops", "lat_mean_ns", "lat_p99_ns"}
    assert all(not c.family and c.verdict == "descriptive" for c in levels)
    assert any("cpu_ns_per_io not compared" in n and "instructions on B" in n for n in notes)
    assert only == []


def test_host_labels():
    def meta(host, kernel="6.1", name="x", model="cpu"):
        return {"hostname": host, "kernel": {"release": kernel}, "name": name,
                "cpu": {"model": model, "count": 2}, "iommu": "off", "device": None}
    labels, notes = H.host_labels([("/r/a", meta("h1")), ("/r/b", meta("h2"))])
    assert labels == ["h1", "h2"] and notes == []
    # same hostname, other kernel: the kernel tells them apart
    labels, notes = H.host_labels([("/r/a", meta("h", "6.1")), ("/r/b", meta("h", "7.2"))])
    assert labels == ["h 6.1", "h 7.2"] and notes == []
    # the same machine twice: the set's name, then its directory
    labels, notes = H.host_labels([("/r/a", meta("h", name="n1")),
                                   ("/r/b", meta("h", name="n2"))])
    assert labels == ["h n1", "h n2"]
    assert len(notes) == 1 and "same machine" in notes[0] and "not pooled" in notes[0]
    labels, _ = H.host_labels([("/r/a", meta("h")), ("/s/b", meta("h"))])
    assert labels == ["h a", "h b"]
    labels, _ = H.host_labels([("/r/a", meta("h")), ("/s/a", meta("h"))])
    assert labels == ["h #1", "h #2"]
    # another CPU under the same hostname is another machine
    _, notes = H.host_labels([("/r/a", meta("h", model="c1")), ("/r/b", meta("h", model="c2"))])
    assert not any("same machine" in n for n in notes)
    # plain fio output: the directory name, said so
    labels, notes = H.host_labels([("/d/fio-3.41", {"source": "fio-json"}),
                                   ("/d/other", {"source": "fio-json"})])
    assert labels == ["fio-3.41", "other"] and "directory name" in notes[0]


def test_cli_errors(tmp_path):
    a = fixture("matrix")
    p = run_report(a, a, "--no-plots")
    assert p.returncode == 2 and "--out DIR is required" in p.stderr
    p = run_report(a, a, "--out", str(tmp_path / "r"), "--no-plots", "--no-ascii")
    assert p.returncode == 2 and "given twice" in p.stderr
    b = synthetic_host(a, tmp_path / "b", "synthetic-b")
    p = run_report(a, b, "--out", str(tmp_path / "r"), "--baseline-arm", "mem", "--no-plots")
    assert p.returncode == 2 and "baseline arm 'mem' is in none" in p.stderr
