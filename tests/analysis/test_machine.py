"""fioab.machine: the machine key of a result set, and the baseline layout."""
import copy
import json
import os
import shutil
import subprocess

import pytest

from conftest import ANALYSIS, TOP, fixture
from fioab import machine
from fioab.jsondoc import LoadError

BASELINES = os.path.join(TOP, "results", "baselines")
VM_KEY = ("qemu-tcg-cpu-version-2.5+_1cpu_qemu-nvme-ctrl_fw-7.2.22_linux-7.2.13_"
          "no-series_iommu-off_icount")


def meta_of(path):
    with open(os.path.join(path, "meta.json")) as f:
        return json.load(f)


def vm_meta():
    # the fields of the kept test-VM baseline, as meta.json has them
    return {"schema": 1, "name": "x", "emulated": True,
            "cpu": {"model": "QEMU TCG CPU version 2.5+", "count": 1, "affinity": 1},
            "device": {"model": "QEMU NVMe Ctrl", "firmware": "7.2.22"},
            "kernel": {"release": "7.2.13", "cmdline": "quiet"},
            "dmabuf_api": False, "iommu": "off",
            "measure": {"cpu": "instructions", "guest_cpus": 1},
            "start": "2026-12-01T19:43:00+00:00"}


def test_key_of_the_test_vm_written_out():
    # oracle: the documented format applied by hand to the fields above
    assert machine.machine_key(vm_meta()) == VM_KEY


def test_key_of_a_gpu_machine_on_host_files():
    m = meta_of(os.path.join(TOP, "results", "2026-11-28-h200-cuda-bounce"))
    assert machine.machine_key(m) == (
        "intel-r-xeon-r-processor_16cpu_host-files_fw-none_linux-6.18.44-fc-v657-gpu_"
        "no-series_iommu-off_cputime_gpu-nvidia-h200")
    m["probe"]["cuda"]["devices"] *= 2
    assert machine.machine_key(m).endswith("_gpu-2xnvidia-h200")


@pytest.mark.parametrize("path,value", [
    (("cpu", "model"), "AMD EPYC 9654"), (("cpu", "count"), 2),
    (("device", "model"), "Samsung SSD 990 PRO"), (("device", "firmware"), "4B2QJXD7"),
    (("kernel", "release"), "7.3.1"), (("dmabuf_api",), True), (("dmabuf_api",), None),
    (("iommu",), "strict"), (("measure", "cpu"), "time")])
def test_each_field_changes_the_key(path, value):
    m = vm_meta()
    d = m
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    assert machine.machine_key(m) != VM_KEY


def test_fields_that_do_not_name_the_machine_leave_the_key():
    m = vm_meta()
    m.update(name="other", start="2027-01-01T00:00:00+00:00", engine_version="abc",
             fio_version="fio-3.42", hostname="h")
    m["kernel"]["cmdline"] = "other"
    m["cpu"]["affinity"] = 3
    assert machine.machine_key(m) == VM_KEY


@pytest.mark.parametrize("path", [("cpu", "model"), ("cpu", "count"), ("kernel", "release"),
                                  ("iommu",), ("device", "model"), ("device", "firmware")])
def test_missing_field_is_named(path):
    m = vm_meta()
    d = m
    for k in path[:-1]:
        d = d[k]
    del d[path[-1]]
    with pytest.raises(LoadError) as e:
        machine.machine_key(m, "/r/meta.json")
    assert ".".join(path) in str(e.value) and "/r/meta.json" in str(e.value)


def test_bad_values_are_refused():
    for path, v in ((("cpu", "count"), "2"), (("dmabuf_api",), "yes"),
                    (("measure", "cpu"), "cycles"), (("device",), "nvme0")):
        m = vm_meta()
        d = m
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = v
        with pytest.raises(LoadError) as e:
            machine.machine_key(m)
        assert ".".join(path) in str(e.value)


def test_no_device_and_no_measure():
    m = vm_meta()
    m["device"] = None
    del m["measure"]
    assert machine.machine_key(m) == (
        "qemu-tcg-cpu-version-2.5+_1cpu_host-files_fw-none_linux-7.2.13_no-series_"
        "iommu-off_cputime")


def test_slug():
    assert machine.slug("Intel(R) Xeon(R)  Gold_6430") == "intel-r-xeon-r-gold-6430"
    assert machine.slug("--A--") == "a"
    assert "_" not in machine.slug("a_b")


def test_session_name_is_the_start_in_utc():
    m = vm_meta()
    m["start"] = "2026-12-02T03:04:05+02:00"
    assert machine.session_name(m) == "20261202T010405Z"
    m["start"] = "2026-12-02T03:04:05"
    with pytest.raises(LoadError, match="time zone"):
        machine.session_name(m)
    m["start"] = None
    with pytest.raises(LoadError, match="start"):
        machine.session_name(m)


def test_the_kept_baselines_are_named_by_their_key():
    rows = machine.list_baselines(BASELINES)
    assert rows, "no baselines under results/baselines"
    for key, sessions, problem in rows:
        assert problem is None, (key, problem)
        assert sessions and sessions != ["."], key
        for s in sessions:
            p = os.path.join(BASELINES, key, s)
            assert machine.result_key(p) == key
            assert machine.session_name(meta_of(p)) == s
    assert VM_KEY in {k for k, _, _ in rows}


def _session(tmp, name, **meta):
    d = tmp / name
    shutil.copytree(fixture("gate", "base"), d)
    m = meta_of(str(d))
    m.update(meta)
    (d / "meta.json").write_text(json.dumps(m))
    return d


def test_baseline_sessions_and_their_checks(tmp_path):
    one = fixture("gate", "base")
    assert machine.baseline_sessions(one) == [one]
    base = tmp_path / "k"
    _session(base, "20261125T000000Z")
    _session(base, "20261126T000000Z")
    (base / "notes").mkdir()            # not a session: ignored
    got = machine.baseline_sessions(str(base))
    assert [os.path.basename(s) for s in got] == ["20261125T000000Z", "20261126T000000Z"]
    _session(base, "20261127T000000Z", iommu="strict")
    with pytest.raises(LoadError, match="sessions of different machines"):
        machine.baseline_sessions(str(base))
    with pytest.raises(LoadError, match="neither a result set"):
        machine.baseline_sessions(str(tmp_path / "k" / "notes"))


def test_list_flags_a_directory_not_named_by_its_key(tmp_path):
    _session(tmp_path / "wrong-name", "20261125T000000Z")
    key = machine.result_key(fixture("gate", "base"))
    _session(tmp_path / key, "20261125T000000Z")
    rows = {k: (s, p) for k, s, p in machine.list_baselines(str(tmp_path))}
    assert rows[key] == (["20261125T000000Z"], None)
    assert "its sessions have key " + key in rows["wrong-name"][1]


def test_cli(tmp_path):
    env = dict(os.environ, PYTHONPATH=ANALYSIS)

    def cli(*a):
        return subprocess.run(["/usr/bin/python3", "-m", "fioab.machine"] + list(a),
                              capture_output=True, text=True, env=env, timeout=60)
    p = cli("key", os.path.join(BASELINES, VM_KEY, os.listdir(os.path.join(BASELINES,
                                                                           VM_KEY))[0]))
    assert p.returncode == 0 and p.stdout.strip() == VM_KEY
    p = cli("list", BASELINES)
    assert p.returncode == 0 and VM_KEY + ":" in p.stdout
    bad = tmp_path / "bad"
    bad.mkdir()
    m = copy.deepcopy(vm_meta())
    del m["iommu"]
    (bad / "meta.json").write_text(json.dumps(m))
    p = cli("key", str(bad))
    assert p.returncode == 3 and "'iommu'" in p.stderr


# --- scripts/ci-perf picks the baseline by key (on kept runs: --from) ---------

CI_PERF = os.path.join(TOP, "scripts", "ci-perf")


def ci_perf(root, *args):
    return subprocess.run([CI_PERF] + list(args), capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, FIO_DMABUF_BASELINES=str(root)))


def kept_vm_session():
    d = os.path.join(BASELINES, VM_KEY)
    return os.path.join(d, sorted(os.listdir(d))[0])


def test_ci_perf_keys_sessions_and_refusals(tmp_path):
    root = tmp_path / "baselines"
    fx_key = machine.result_key(fixture("gate", "base"))
    session = machine.session_name(meta_of(fixture("gate", "base")))
    # nothing yet: refused before any run
    p = ci_perf(root, "--from", fixture("gate", "slow"))
    assert p.returncode == 3 and "no usable baseline" in p.stderr
    # a first session of the fixture machine's key
    p = ci_perf(root, "--from", fixture("gate", "base"), "--update-baseline")
    assert p.returncode == 0, p.stdout + p.stderr
    assert (root / fx_key / session / "meta.json").exists()
    assert "at least two sessions" in p.stdout
    p = ci_perf(root, "--from", fixture("gate", "base"), "--update-baseline")
    assert p.returncode == 3 and "already holds session " + session in p.stderr
    p = ci_perf(root, "--list")
    assert p.returncode == 0 and "%s: 1 session (%s)" % (fx_key, session) in p.stdout
    # the same machine's real slowdown: gated against its own key, caught
    p = ci_perf(root, "--from", fixture("gate", "slow"), "--junit", str(tmp_path / "j.xml"))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "machine key " + fx_key in p.stdout and "one session" in p.stderr
    assert (tmp_path / "j.xml").exists()
    # another machine's run: no baseline for its key, the keys there listed
    p = ci_perf(root, "--from", kept_vm_session())
    assert p.returncode == 3
    assert "no baseline for machine key " + VM_KEY in p.stderr and fx_key in p.stdout
    # ... unless told: gated, with a warning naming both keys
    p = ci_perf(root, "--from", kept_vm_session(), "--baseline", str(root / fx_key))
    assert "is of machine key %s, not this run's" % fx_key in p.stderr
    assert p.returncode == 2         # no cell in common: inconclusive
    # --new-baseline: the key's old sessions go, the new one stays
    later = tmp_path / "later"
    shutil.copytree(fixture("gate", "same"), later)
    m = meta_of(str(later))
    m["start"] = "2026-11-26T00:00:00+00:00"
    (later / "meta.json").write_text(json.dumps(m))
    p = ci_perf(root, "--from", str(later), "--update-baseline", "--new-baseline")
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(root / fx_key)) == ["20261126T000000Z"]


def test_ci_perf_will_not_mix_keys_in_one_baseline(tmp_path):
    root = tmp_path / "baselines"
    fx_key = machine.result_key(fixture("gate", "base"))
    assert ci_perf(root, "--from", fixture("gate", "base"), "--update-baseline").returncode == 0
    p = ci_perf(root, "--from", kept_vm_session(), "--update-baseline",
                "--baseline", str(root / fx_key))
    assert p.returncode == 3 and "holds sessions of key " + fx_key in p.stderr
