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


def cpu():
    model = None
    for line in (_read("/proc/cpuinfo", "") or "").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    info = {"model": model or platform.processor() or "unknown", "count": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0))}
    gov = _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")
    if gov:
        info["governor"] = gov
    return info


def memory_bytes():
    for line in (_read("/proc/meminfo", "") or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def virtualization():
    """The hypervisor this system runs under, or 'none'."""
    exe = shutil.which("systemd-detect-virt")
    if exe:
        p = subprocess.run([exe, "--vm"], capture_output=True, text=True)
        v = p.stdout.strip()
        if v:
            return v
    flags = _read("/proc/cpuinfo", "") or ""
    return "unknown-hypervisor" if re.search(r"^flags\s*:.*\bhypervisor\b", flags, re.M) else "none"


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


def device_identity(target, top):
    """The NVMe device's identity (libnvme via nvme-id, plus sysfs), or None
    for host files. Never fails: what could not be read is recorded why."""
    if target.get("kind") != "block":
        return None
    sysd = os.path.realpath(f"/sys/class/block/{target['sysfs_name']}")
    ident = nvme_sysfs(sysd)
    ident["path"] = target["path"]
    ident["size_bytes"] = target.get("size_bytes")
    tool = os.environ.get("NVME_ID") or os.path.join(top, "build", "nvme-id")
    if not os.path.exists(tool):
        ident["source"] = "sysfs"
        ident["libnvme_error"] = f"{tool} is not built (make, or see scripts/nvme-id.c)"
        ident["mdts"] = None
        ident["lba_format"] = None
        return ident
    p = subprocess.run([tool, target["path"]], capture_output=True, text=True)
    if p.returncode != 0:
        ident["source"] = "sysfs"
        ident["libnvme_error"] = p.stderr.strip()
        ident["mdts"] = None
        ident["lba_format"] = None
        return ident
    lib = json.loads(p.stdout)
    ident.update({k: v for k, v in lib.items() if v is not None})
    return ident


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


def base_meta(name, matrix_file, fio, top, target, device, emulated_flag, probe):
    virt = virtualization()
    emulated, why = is_emulated(emulated_flag, device, virt)
    k = kernel()
    sysfs_block = (os.path.realpath(f"/sys/class/block/{target['sysfs_name']}")
                   if target.get("kind") == "block" else None)
    dmabuf_api = None
    if isinstance(probe, dict):
        for key in ("io_uring_dmabuf", "dmabuf_api", "kernel_api"):
            if isinstance(probe.get(key), bool):
                dmabuf_api = probe[key]
                break
            if isinstance(probe.get(key), dict) and isinstance(probe[key].get("available"), bool):
                dmabuf_api = probe[key]["available"]
                break
    return {
        "schema": 1,
        "name": name,
        "emulated": emulated,
        "emulated_reason": why,
        "virtualization": virt,
        "kernel": k,
        "iommu": detect_iommu(k["cmdline"], sysfs_block),
        "dmabuf_api": dmabuf_api,
        "cpu": cpu(),
        "memory_bytes": memory_bytes(),
        "fio_version": fio_version(fio),
        "fio_bin": fio,
        "engine_version": engine_version(top),
        "device": device,
        "target": target,
        "matrix": os.path.basename(matrix_file),
        "start": now(),
        "end": None,
        "hostname": socket.gethostname(),
        "probe": probe,
    }
