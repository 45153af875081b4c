"""System-wide counts over fio's measured window, from real `perf stat -I`
output (a software event: this machine type has no PMU) and from real
/proc/stat samples. Oracle: wall time x CPUs, which the kernel's own
task-clock and idle accounting must match over a window where every CPU
was kept busy."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from fioab.load import perf_window, system_busy_s

BURN = "import time\nt = time.time() + %g\nwhile time.time() < t: pass\n"


def burn_all_cpus(seconds):
    return [subprocess.Popen([sys.executable, "-c", BURN % seconds]) for _ in range(os.cpu_count())]


@pytest.mark.skipif(not shutil.which("perf"), reason="no perf on this machine")
def test_perf_window_counts_only_the_window(tmp_path):
    out = tmp_path / "perf-stat.csv"
    start = time.time()
    p = subprocess.run(["perf", "stat", "-a", "-x,", "-I", "100", "-e", "task-clock",
                        "-o", str(out), "--", sys.executable, "-c",
                        "import subprocess, sys, os\n"
                        "ps = [subprocess.Popen([sys.executable, '-c', %r]) for _ in "
                        "range(os.cpu_count())]\n[x.wait() for x in ps]" % (BURN % 1.2)],
                       capture_output=True, text=True)
    if p.returncode != 0 or "not supported" in out.read_text():
        pytest.skip("perf stat -a cannot count task-clock here: %s" % p.stderr[-200:])
    # a 0.6 s window in the middle of 1.2 s with every CPU busy
    got = perf_window(str(out), start, start + 0.3, start + 0.9)
    ms = got["task-clock"]            # perf's unit for task-clock: msec
    want = 600.0 * os.cpu_count()
    assert ms == pytest.approx(want, rel=0.15), (ms, want)
    # a window past the end of the file is not covered
    assert perf_window(str(out), start, start + 0.3, start + 60) is None


def test_proc_stat_window_counts_busy_cpus():
    rows = []

    def sample():
        with open("/proc/stat") as f:
            rows.append([time.time()] + [int(x) for x in f.readline().split()[1:]])
    sample()
    burners = burn_all_cpus(1.5)
    t_end = time.time() + 1.5
    while time.time() < t_end:
        time.sleep(0.05)
        sample()
    for b in burners:
        b.wait()
    sample()
    doc = {"clk_tck": os.sysconf("SC_CLK_TCK"), "cpus": os.cpu_count(), "samples": rows}
    t0 = rows[0][0] + 0.4
    busy = system_busy_s(doc, t0, t0 + 0.8)
    # every CPU busy for the 0.8 s window; /proc/stat counts in 10 ms ticks
    assert busy == pytest.approx(0.8 * os.cpu_count(), rel=0.15)
    assert system_busy_s(doc, t0, rows[-1][0] + 1) is None


def test_idle_columns():
    # one CPU, samples every 0.1 s: it idles 2 ticks (20 ms) of each 0.1 s
    # (hand-made: the rule under test)
    rows = [[100.0 + 0.1 * i, 0, 0, 0, 2 * i] + [0] * 6 for i in range(11)]
    doc = {"clk_tck": 100, "cpus": 1, "samples": rows}
    assert system_busy_s(doc, 100.25, 100.75) == pytest.approx(0.5 * 0.8)
    # two CPUs: twice the window, less the same idle
    assert system_busy_s(dict(doc, cpus=2), 100.25, 100.75) == pytest.approx(1.0 - 0.1)
    # iowait is idle too
    rows = [r[:5] + [i] + r[6:] for i, r in enumerate(rows)]
    assert system_busy_s(dict(doc, samples=rows), 100.25, 100.75) == \
        pytest.approx(0.5 * 0.7)
    # with one CPU and the scheduler's task run time (ns) it takes that:
    # tasks ran 60 ms of each 0.1 s
    rows = [r + [int(6e7 * i)] for i, r in enumerate(rows)]
    assert system_busy_s(dict(doc, samples=rows), 100.25, 100.75) == \
        pytest.approx(0.5 * 0.6)
    # but not with two CPUs, where a running task's slice is not in it yet
    assert system_busy_s(dict(doc, cpus=2, samples=rows), 100.25, 100.75) == \
        pytest.approx(1.0 - 0.15)
