"""Per-cell statistics on the real matrix fixture."""
import json

import numpy as np
import pytest

from conftest import fixture, ok_run_dirs
from fioab.load import load_results
from fioab.stats import bootstrap_median_ci, bootstrap_ratio_ci, cell_stats


@pytest.fixture(scope="module")
def stats():
    return cell_stats(load_results(fixture("matrix")), resamples=2000)


def test_medians_from_raw_fio_json(stats):
    # recompute CPU/IO and IOPS per run straight from the files
    per_cell = {}
    for d in ok_run_dirs(fixture("matrix")):
        c = json.load(open(d + "/cell.json"))
        doc = json.load(open(d + "/fio.json"))
        ios = sum(j["read"]["total_ios"] for j in doc["jobs"])
        cpu = sum((j["usr_cpu"] + j["sys_cpu"]) / 100 * j["job_runtime"] / 1e3
                  for j in doc["jobs"])
        key = (c["arm"], c["source"], c["pattern"], c["bs"], c["iodepth"], c["numjobs"])
        per_cell.setdefault(key, []).append((cpu * 1e9 / ios,
                                             sum(j["read"]["iops"] for j in doc["jobs"])))
    by = {s.cell: s for s in stats}
    assert len(per_cell) == 10
    for key, vals in per_cell.items():
        s = by[key]
        assert s.n == len(vals) == 3
        assert s.median["cpu_ns_per_io"] == pytest.approx(np.median([v[0] for v in vals]))
        assert s.median["iops"] == pytest.approx(np.median([v[1] for v in vals]))
        lo, hi = s.ci["cpu_ns_per_io"]
        assert min(v[0] for v in vals) <= lo <= s.median["cpu_ns_per_io"] <= hi <= max(v[0] for v in vals)


def test_numjobs2_cpu_is_summed_not_averaged(stats):
    by = {s.cell: s for s in stats}
    one = by[("io_uring", None, "randread", 4096, 1, 1)]
    two = by[("io_uring", None, "randread", 4096, 1, 2)]
    # two jobs do about twice the I/Os; CPU per I/O stays of the same order
    assert two.median["iops"] > 1.3 * one.median["iops"]
    assert 0.3 < two.median["cpu_ns_per_io"] / one.median["cpu_ns_per_io"] < 3


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
