"""Percentiles from json+ bins: fio's own numbers for single runs, and
pooling across runs and jobs against a brute-force expansion."""
import glob
import json
import math

import numpy as np
import pytest

from conftest import fixture, ok_run_dirs
from fioab.load import load_fio, load_results
from fioab.stats import bin_percentiles, cell_stats, merge_bins, percentile_counts

FIO_FILES = sorted(glob.glob(fixture("fio", "*.json")) +
                   [d + "/fio.json" for d in ok_run_dirs(fixture("matrix"))[:6]])


def job_histograms(path):
    """(label, keys, counts, fio's percentile dict) per job, direction, kind."""
    doc = json.load(open(path))
    for i, j in enumerate(doc["jobs"]):
        for d in ("read", "write", "trim"):
            for kind in ("lat_ns", "clat_ns"):
                lat = j[d].get(kind, {})
                if "bins" in lat and lat.get("N"):
                    keys = np.array(sorted(int(k) for k in lat["bins"]))
                    counts = np.array([lat["bins"][str(k)] for k in keys])
                    yield ("%s jobs[%d].%s.%s" % (path, i, d, kind), keys, counts,
                           {float(p): v for p, v in lat["percentile"].items()})


@pytest.mark.parametrize("path", FIO_FILES)
def test_single_run_percentiles_equal_fio(path):
    seen = 0
    for label, keys, counts, fio_pct in job_histograms(path):
        pcts = sorted(fio_pct)
        ours = bin_percentiles(keys, counts, pcts)
        assert ours == [fio_pct[p] for p in pcts], label
        seen += 1
    assert seen >= 1


def brute(keys, counts, pcts):
    """Expand the histogram to one value per I/O and index it."""
    xs = np.repeat(keys, counts)
    n = len(xs)
    return [int(xs[max(1, math.ceil(p / 100 * n)) - 1]) for p in pcts]


def test_pooled_percentiles_over_repeats_and_jobs():
    rs = load_results(fixture("matrix"))
    pcts = (1.0, 50.0, 90.0, 99.0, 99.9, 99.99)
    checked = 0
    for s in cell_stats(rs, resamples=100):
        if s.n == 0:
            continue
        runs = [r for r in rs.runs if r.cell == s.cell]
        # pooled bins hold every sample of every run and job
        assert s.bin_count.sum() == sum(r.lat_n for r in runs) == s.pooled_n
        allk = np.concatenate([np.repeat(r.bin_ns, r.bin_count) for r in runs])
        allk.sort()
        keys, counts = np.unique(allk, return_counts=True)
        assert np.array_equal(keys, s.bin_ns) and np.array_equal(counts, s.bin_count)
        ours = [s.pooled_pct[p] for p in (50.0, 90.0, 99.0, 99.9, 99.99)]
        assert ours == brute(keys, counts, (50.0, 90.0, 99.0, 99.9, 99.99))
        assert bin_percentiles(s.bin_ns, s.bin_count, pcts) == brute(keys, counts, pcts)
        checked += 1
    assert checked == 10


def test_two_job_merge_matches_brute_force():
    run = load_fio(fixture("fio", "psync-nj2.json"))
    hs = list(job_histograms(fixture("fio", "psync-nj2.json")))
    assert len(hs) == 2
    keys, counts = merge_bins([(k, c) for _, k, c, _ in hs])
    assert np.array_equal(keys, run.bin_ns) and np.array_equal(counts, run.bin_count)
    pcts = (50.0, 99.0, 99.9)
    assert bin_percentiles(keys, counts, pcts) == brute(keys, counts, pcts)
    # the pooled p99 lies between the two jobs' own p99s
    p99s = [fp[99.0] for _, _, _, fp in hs]
    assert min(p99s) <= bin_percentiles(keys, counts, (99.0,))[0] <= max(p99s)


def test_percentile_rule_edges():
    # fio: first bucket with cumulative count >= p/100 * N, p as a double
    assert percentile_counts(1000, [50.0]) == [500]
    assert percentile_counts(1000, [50.05]) == [501]
    assert percentile_counts(10000, [99.9]) == [9991]   # 99.9 is a bit above 99.9
    assert percentile_counts(7, [0.0]) == [1]
    keys = np.array([10, 20, 30])
    counts = np.array([1, 1, 2])
    assert bin_percentiles(keys, counts, (25.0, 50.0, 50.1, 100.0)) == [10, 20, 30, 30]
