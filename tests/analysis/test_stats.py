"""Per-cell statistics: CPU time per I/O against hand-computed numbers (a
constructed three-job fio document, with and without group_reporting, and
the real numjobs=2 matrix runs), IOPS against fio's own fields, medians and
bootstrap CIs.

What fio writes (../shared/notes/analysis.md "CPU accounting", fio stat.c):
usr_cpu = usr_time * 100 / job_runtime and likewise sys_cpu, i.e. percent of
ONE CPU over that job's job_runtime (ms, after the ramp). So a job's CPU time
is (usr_cpu + sys_cpu) / 100 * job_runtime; a run's is the SUM over jobs[]
(jobs run concurrently, each on its own thread). With group_reporting fio
sums usr/sys time and job_runtime over the group's jobs, so the percentages
are runtime-weighted and (usr_cpu + sys_cpu) / 100 * job_runtime is again
the group's total. CPU per I/O divides by all I/Os of all jobs and
directions.
"""
import json
import os

import numpy as np
import pytest

from conftest import fixture, ok_run_dirs
from fioab.load import load_results
from fioab.stats import bootstrap_median_ci, bootstrap_ratio_ci, cell_stats


@pytest.fixture(scope="module")
def stats():
    return cell_stats(load_results(fixture("matrix")), resamples=2000)


# ---- a constructed fio json+ document with known CPU numbers ----------------

def read_ddir(ios, runtime_ms, lat_ns):
    """A fio json+ 'read' object: `ios` I/Os all in the bin at `lat_ns`."""
    iops = 1000.0 * ios / runtime_ms
    return {"total_ios": ios, "runtime": runtime_ms, "iops": iops,
            "bw_bytes": iops * 4096, "io_bytes": ios * 4096,
            "lat_ns": {"N": ios, "mean": float(lat_ns), "min": lat_ns, "max": lat_ns,
                       "percentile": {"50.000000": lat_ns, "99.000000": lat_ns},
                       "bins": {str(lat_ns): ios}}}


def empty_ddir():
    return {"total_ios": 0, "runtime": 0, "iops": 0.0, "bw_bytes": 0, "io_bytes": 0,
            "lat_ns": {"N": 0, "mean": 0.0, "min": 0, "max": 0}}


def job(runtime_ms, usr, sys_, ctx, read):
    return {"jobname": "cell", "groupid": 0, "error": 0, "job_start": 0,
            "job_runtime": runtime_ms, "usr_cpu": usr, "sys_cpu": sys_, "ctx": ctx,
            "majf": 0, "minf": 0, "read": read, "write": empty_ddir(),
            "trim": empty_ddir()}


# Three concurrent jobs, deliberately unlike each other:
#   job  job_runtime  usr_cpu  sys_cpu  CPU time                      read I/Os
#   0    1000 ms      10 %     30 %     (10 + 30)/100 * 1000 = 400 ms  2000
#   1    2000 ms       5 %     20 %     ( 5 + 20)/100 * 2000 = 500 ms  2500
#   2    1000 ms       1 %      4 %     ( 1 +  4)/100 * 1000 =  50 ms   500
#   sum                                                        950 ms  5000
THREE_JOBS = [job(1000, 10.0, 30.0, 100, read_ddir(2000, 1000, 10000)),
              job(2000, 5.0, 20.0, 200, read_ddir(2500, 2000, 20000)),
              job(1000, 1.0, 4.0, 50, read_ddir(500, 1000, 40000))]


def group_reported():
    """What fio prints for the same three jobs with group_reporting: usr and
    sys time and job_runtime summed (210 ms usr = 100+100+10, 740 ms sys =
    300+400+40, 4000 ms runtime), so usr_cpu = 210*100/4000 = 5.25 % and
    sys_cpu = 740*100/4000 = 18.5 %; total_ios and bins summed, the
    direction runtime the longest (2000 ms)."""
    g = job(4000, 5.25, 18.5, 350, read_ddir(5000, 2000, 10000))
    g["read"]["lat_ns"].update(mean=18000.0, max=40000,
                               bins={"10000": 2000, "20000": 2500, "40000": 500})
    return [g]


# CPU ns per I/O = 950 ms * 1e6 ns/ms / 5000 I/Os = 190000 ns, both ways.
# The defects give something else:
#   averaged over the 3 jobs:       950/3 ms / 5000        =  63333.3 ns
#   mean of the per-job ratios:     (400e6/2000 + 500e6/2500 + 50e6/500)/3
#                                   = (200000 + 200000 + 100000)/3 = 166666.7 ns
#   usr only:                       (100 + 100 + 10) ms / 5000 = 42000 ns
#   sys only:                       (300 + 400 + 40) ms / 5000 = 148000 ns
#   group, direction runtime (2000 ms) instead of job_runtime (4000 ms):
#                                   23.75 % * 2000 ms / 5000 = 95000 ns
CPU_NS_PER_IO = 190000.0
CTX_PER_IO = 350 / 5000          # 100 + 200 + 50 context switches
MEAN_LAT_NS = 18000.0            # (2000*10000 + 2500*20000 + 500*40000) / 5000


def write_set(root, docs):
    """A result set with one run per arm: {arm: fio jobs[]}."""
    os.makedirs(os.path.join(root, "runs"))
    with open(os.path.join(root, "meta.json"), "w") as f:
        json.dump({"schema": 1, "name": "constructed", "emulated": False}, f)
    for i, (arm, jobs) in enumerate(sorted(docs.items())):
        d = os.path.join(root, "runs", "%04d-%s" % (i, arm))
        os.makedirs(d)
        with open(os.path.join(d, "cell.json"), "w") as f:
            json.dump({"arm": arm, "source": None, "pattern": "randread", "bs": 4096,
                       "iodepth": 1, "numjobs": 3, "repeat": 0, "order": i,
                       "status": "ok", "reason": None}, f)
        with open(os.path.join(d, "fio.json"), "w") as f:
            json.dump({"fio version": "fio-3.41", "jobs": jobs}, f)


@pytest.fixture(scope="module")
def constructed(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("constructed") / "set")
    write_set(root, {"separate": THREE_JOBS, "group": group_reported()})
    return {s.cell[0]: s for s in cell_stats(load_results(root), resamples=100)}


@pytest.mark.parametrize("arm", ["separate", "group"])
def test_cpu_per_io_is_summed_over_jobs_by_hand(constructed, arm):
    s = constructed[arm]
    assert s.n == 1
    assert s.values["cpu_ns_per_io"][0] == pytest.approx(CPU_NS_PER_IO, rel=1e-12)
    assert s.median["cpu_ns_per_io"] == pytest.approx(CPU_NS_PER_IO, rel=1e-12)
    assert s.median["ctx_per_io"] == pytest.approx(CTX_PER_IO, rel=1e-12)
    assert s.median["lat_mean_ns"] == pytest.approx(MEAN_LAT_NS, rel=1e-12)
    # pooled bins: 2000 at 10 us, then 2500 at 20 us: p50 (2500th I/O) is 20 us
    assert s.pooled_pct[50.0] == 20000 and s.pooled_pct[99.0] == 40000


def test_iops_summed_over_separate_jobs(constructed):
    # 2000/1.0 s + 2500/2.0 s + 500/1.0 s = 2000 + 1250 + 500 IO/s
    assert constructed["separate"].median["iops"] == pytest.approx(3750.0, rel=1e-12)


# ---- the real numjobs=2 runs of the matrix fixture --------------------------

# io_uring randread 4k QD1 nj2, fio's fields per run (job 0; job 1) and the
# CPU per I/O by hand: (usr + sys)/100 * 1000 ms summed over both jobs,
# over both jobs' read total_ios.
#   r0: (1.0 + 26.8) = 27.8 % -> 278 ms; (2.1 + 25.8) = 27.9 % -> 279 ms;
#       557 ms / (14547 + 14524 = 29071)
#   r1: (1.7 + 24.6) = 26.3 % -> 263 ms; (0.9 + 25.2) = 26.1 % -> 261 ms;
#       524 ms / (15729 + 15722 = 31451)
#   r2: (1.8 + 22.7) = 24.5 % -> 245 ms; (1.6 + 22.8) = 24.4 % -> 244 ms;
#       489 ms / (14652 + 14670 = 29322)
NJ2_CPU = [557e6 / 29071, 524e6 / 31451, 489e6 / 29322]   # 19160, 16661, 16677 ns
# fio's own read iops, summed over the two jobs
NJ2_IOPS = [14532.467532 + 14509.490509, 15713.286713 + 15706.293706,
            14637.362637 + 14670.0]
# io_uring randread 4k QD1 nj1: one job, job_runtime 1000 ms
#   r0: (1.7 + 44.6) = 46.3 % -> 463 ms / 17333;  r1: (1.7 + 44.4) = 46.1 % ->
#   461 ms / 17904;  r2: (4.8 + 41.4) = 46.2 % -> 462 ms / 17585
NJ1_CPU = [463e6 / 17333, 461e6 / 17904, 462e6 / 17585]   # 26712, 25748, 26272 ns


def test_numjobs2_cpu_per_io_by_hand(stats):
    by = {s.cell: s for s in stats}
    two = by[("io_uring", None, "randread", 4096, 1, 2)]
    one = by[("io_uring", None, "randread", 4096, 1, 1)]
    assert list(two.values["cpu_ns_per_io"]) == pytest.approx(NJ2_CPU, rel=1e-12)
    assert two.median["cpu_ns_per_io"] == pytest.approx(489e6 / 29322, rel=1e-12)
    assert list(two.values["iops"]) == pytest.approx(NJ2_IOPS, rel=1e-12)
    assert two.median["iops"] == pytest.approx(14637.362637 + 14670.0, rel=1e-12)
    assert list(one.values["cpu_ns_per_io"]) == pytest.approx(NJ1_CPU, rel=1e-12)
    assert one.median["cpu_ns_per_io"] == pytest.approx(462e6 / 17585, rel=1e-12)


def test_cell_medians_and_cis_are_over_its_runs(stats):
    """cell_stats aggregates the right runs: values in repeat order, np.median
    of them, a CI inside their range; IOPS per run is the sum of fio's own
    per-job iops fields (fio computes those, not this code)."""
    rs = load_results(fixture("matrix"))
    fio_iops = {}
    for d in ok_run_dirs(fixture("matrix")):
        c = json.load(open(d + "/cell.json"))
        doc = json.load(open(d + "/fio.json"))
        key = (c["arm"], c["source"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"])
        fio_iops.setdefault(key, {})[c["repeat"]] = sum(j["read"]["iops"] for j in doc["jobs"])
    by = {s.cell: s for s in stats}
    assert len(fio_iops) == 10
    for key, per_rep in fio_iops.items():
        s = by[key]
        assert s.n == len(per_rep) == 3
        assert list(s.values["iops"]) == pytest.approx([per_rep[r] for r in sorted(per_rep)])
        runs = sorted((r for r in rs.runs if r.cell == key), key=lambda r: r.repeat)
        cpu = [r.cpu_ns_per_io for r in runs]
        assert list(s.values["cpu_ns_per_io"]) == cpu
        assert s.median["cpu_ns_per_io"] == np.median(cpu)
        assert s.median["iops"] == pytest.approx(np.median(list(per_rep.values())))
        lo, hi = s.ci["cpu_ns_per_io"]
        assert min(cpu) <= lo <= s.median["cpu_ns_per_io"] <= hi <= max(cpu)


def test_failed_and_skipped_cells(stats):
    empty = [s for s in stats if s.n == 0]
    assert sorted((s.failed, s.skipped) for s in empty) == [(0, 1), (1, 0)]
    assert all(s.ci["iops"] is None for s in empty)


def test_bootstrap_is_deterministic_and_sane():
    x = [10.0, 11.0, 12.0, 13.0, 30.0]
    a = bootstrap_median_ci(x, seed=1)
    assert a == bootstrap_median_ci(x, seed=1)
    assert 10.0 <= a[0] <= 12.0 <= a[1] <= 30.0
    assert bootstrap_median_ci([5.0], seed=1) is None
    r = bootstrap_ratio_ci([100, 101, 99, 100, 102], [120, 121, 119, 122, 120], seed=3)
    assert 1.15 < r[0] <= 1.2 <= r[1] < 1.25
    assert bootstrap_ratio_ci([1.0], [1.0, 2.0], seed=3) is None
