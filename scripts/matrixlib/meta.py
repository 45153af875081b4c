"""Provenance for results/NAME/meta.json: kernel, IOMMU, CPU, memory, fio
and engine versions, device identity, virtualisation."""
import datetime
import glob
import json
import os
import platform
import re
import shutil
import socket
import subprocess


def now():
    return datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")


def _read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def kernel():
    return {"release": platform.release(), "cmdline": _read("/proc/cmdline", "")}


def iommu_mode(cmdline, group_type=None, iommu_present=None):
    """off | lazy | strict | unknown, from the device's IOMMU group type when
    known (DMA = strict, DMA-FQ = lazy, identity = passthrough = off), else
    from whether an IOMMU is active and the kernel command line."""
    if group_type:
        return {"DMA": "strict", "DMA-FQ": "lazy", "identity": "off"}.get(group_type, "unknown")
    if iommu_present is False:
        return "off"
    args = dict(a.split("=", 1) if "=" in a else (a, "") for a in cmdline.split())
    if args.get("iommu") == "pt" or args.get("iommu.passthrough") == "1":
        return "off"
    if args.get("iommu.strict") == "1":
        return "strict"
    if args.get("iommu.strict") == "0":
        return "lazy"
    return "unknown"


def detect_iommu(cmdline, sysfs_block=None):
    gtype = None
    if sysfs_block:
        gtype = _read(os.path.join(sysfs_block, "device", "device", "iommu_group", "type"))
    present = bool(glob.glob("/sys/class/iommu/*"))
    return iommu_mode(cmdline, gtype, present)


def cpu_model(cpuinfo_text):
    for line in (cpuinfo_text or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return None


def cpu_list_count(text):
    """How many CPUs a list such as '0-3,8,10-11' names."""
    n = 0
    for part in text.strip().split(","):
        lo, _, hi = part.partition("-")
        n += int(hi) - int(lo) + 1 if hi else 1
    return n


def cpu():
    info = {"model": cpu_model(_read("/proc/cpuinfo", "")) or platform.processor() or "unknown",
            "count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))}
    gov = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    if gov:
        info["governor"] = gov
    return info


def parse_meminfo(text):
    """MemTotal in bytes from /proc/meminfo text, or None."""
    for line in (text or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def memory_bytes():
    return parse_meminfo(_read("/proc/meminfo", ""))


def virt_from(detect_virt, cpuinfo_text):
    """The hypervisor from `systemd-detect-virt --vm` output (None when it
    is not there), else the cpuinfo hypervisor flag, else 'none'."""
    v = (detect_virt or "").strip()
    if v:
        return v
    flags = cpuinfo_text or ""
    return "unknown-hypervisor" if re.search(r"^flags\s*:.*\bhypervisor\b", flags, re.M) else "none"


def virtualization():
    """The hypervisor this system runs under, or 'none'."""
    exe = shutil.which("systemd-detect-virt")
    out = None
    if exe:
        out = subprocess.run([exe, "--vm"], capture_output=True, text=True).stdout
    return virt_from(out, _read("/proc/cpuinfo", ""))


def fio_version(fio):
    try:
        return subprocess.run([fio, "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip() or None
    except OSError:
        return None


def engine_version(top):
    v = os.environ.get("FIO_DMABUF_ENGINE_VERSION")
    if v:
        return v
    try:
        p = subprocess.run(["git", "-C", top, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=30)
        return p.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def nvme_sysfs(sysfs_block):
    """Identity from sysfs: what the kernel shows without an admin command."""
    dev = os.path.join(sysfs_block, "device")
    ctrl = os.path.realpath(dev)
    pci = os.path.realpath(os.path.join(dev, "device")) if os.path.exists(
        os.path.join(dev, "device")) else None
    return {
        "model": _read(os.path.join(dev, "model")),
        "firmware": _read(os.path.join(dev, "firmware_rev")),
        "transport": _read(os.path.join(dev, "transport")),
        "controller": os.path.basename(ctrl),
        "pci_address": os.path.basename(pci) if pci else _read(os.path.join(dev, "address")),
        "numa_node": _read(os.path.join(dev, "numa_node")),
        "logical_block_size": _read(os.path.join(sysfs_block, "queue", "logical_block_size")),
        "max_hw_sectors_kb": _read(os.path.join(sysfs_block, "queue", "max_hw_sectors_kb")),
    }


def identity_doc(sysfs, target, nvme_rc, nvme_out, nvme_err, tool):
    """The device's identity from its sysfs attributes (nvme_sysfs' keys)
    and `nvme-id DEV` (rc, stdout, stderr; rc None: the tool is not
    there). Pure function, for a device read here or elsewhere."""
    ident = dict(sysfs)
    ident["path"] = target["path"]
    ident["size_bytes"] = target.get("size_bytes")
    if nvme_rc is None or nvme_rc != 0:
        ident["source"] = "sysfs"
        ident["libnvme_error"] = (f"{tool} is not built (make, or see scripts/nvme-id.c)"
                                  if nvme_rc is None else nvme_err.strip())
        ident["mdts"] = None
        ident["lba_format"] = None
        return ident
    lib = json.loads(nvme_out)
    ident.update({k: v for k, v in lib.items() if v is not None})
    return ident


def device_identity(target, top):
    """The NVMe device's identity (libnvme via nvme-id, plus sysfs), or None
    for host files. Never fails: what could not be read is recorded why."""
    if target.get("kind") != "block":
        return None
    sysd = os.path.realpath(f"/sys/class/block/{target['sysfs_name']}")
    tool = os.environ.get("NVME_ID") or os.path.join(top, "build", "nvme-id")
    if not os.path.exists(tool):
        return identity_doc(nvme_sysfs(sysd), target, None, "", "", tool)
    p = subprocess.run([tool, target["path"]], capture_output=True, text=True)
    return identity_doc(nvme_sysfs(sysd), target, p.returncode, p.stdout, p.stderr, tool)


def is_emulated(flag, device, virt):
    """Emulated when the user says so, the NVMe model is QEMU's, or this
    system is a virtual machine (its disks are emulated too)."""
    if flag:
        return True, "--emulated given"
    if device and device.get("model") and "QEMU" in device["model"]:
        return True, f"device model {device['model']}"
    if virt and virt != "none":
        return True, f"running in a virtual machine ({virt})"
    return False, None


def probe_api(probe):
    """Whether dmabuf-probe --json says the kernel has the io_uring dma-buf
    API: True, False or None (no probe, or it does not say)."""
    if isinstance(probe, dict):
        for key in ("io_uring_dmabuf", "dmabuf_api", "kernel_api"):
            if isinstance(probe.get(key), bool):
                return probe[key]
            if isinstance(probe.get(key), dict) and isinstance(probe[key].get("available"), bool):
                return probe[key]["available"]
    return None


def local_facts(fio, top, target):
    """What meta_doc() needs about this machine, read here."""
    k = kernel()
    sysfs_block = (os.path.realpath(f"/sys/class/block/{target['sysfs_name']}")
                   if target.get("kind") == "block" else None)
    return {"virtualization": virtualization(), "kernel": k,
            "iommu": detect_iommu(k["cmdline"], sysfs_block), "cpu": cpu(),
            "memory_bytes": memory_bytes(), "fio_version": fio_version(fio), "fio_bin": fio,
            "engine_version": engine_version(top), "hostname": socket.gethostname()}


def meta_doc(name, matrix_file, facts, target, device, emulated_flag, probe):
    """meta.json's provenance from the facts of the machine under test
    (local_facts() here, or the same keys read on a remote machine)."""
    emulated, why = is_emulated(emulated_flag, device, facts["virtualization"])
    return {
        "schema": 1,
        "name": name,
        "emulated": emulated,
        "emulated_reason": why,
        "virtualization": facts["virtualization"],
        "kernel": facts["kernel"],
        "iommu": facts["iommu"],
        "dmabuf_api": probe_api(probe),
        "cpu": facts["cpu"],
        "memory_bytes": facts["memory_bytes"],
        "fio_version": facts["fio_version"],
        "fio_bin": facts["fio_bin"],
        "engine_version": facts["engine_version"],
        "device": device,
        "target": target,
        "matrix": os.path.basename(matrix_file),
        "start": now(),
        "end": None,
        "hostname": facts["hostname"],
        "probe": probe,
    }


def base_meta(name, matrix_file, fio, top, target, device, emulated_flag, probe):
    return meta_doc(name, matrix_file, local_facts(fio, top, target), target, device,
                    emulated_flag, probe)
