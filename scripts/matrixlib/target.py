"""Check a benchmark target before any write: a device (or image file) given
with --device, or a directory for host files given with --dir."""
import mmap
import os
import shutil
import stat
import subprocess


class TargetError(Exception):
    """The target is unusable or unsafe; the message says why and what to do."""


# (offset, magic, what) for the signatures we look for ourselves, in case
# blkid is missing or misses one. blkid's findings are added to these.
_MAGICS = [
    (1080, b"\x53\xef", "an ext2/3/4 file system"),
    (0, b"XFSB", "an XFS file system"),
    (65600, b"_BHRfS_M", "a btrfs file system"),
    (4086, b"SWAPSPACE2", "a swap area"),
    (0, b"LUKS\xba\xbe", "a LUKS volume"),
    (536, b"LVM2 001", "an LVM physical volume"),
    (512, b"EFI PART", "a GPT partition table"),
]


def _read_head(path, n=70000):
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise TargetError(f"{path}: cannot read it to check for data: {e.strerror}")


def own_signatures(head):
    """Signatures found in the first bytes of a device (pure function)."""
    found = [what for off, magic, what in _MAGICS
             if head[off:off + len(magic)] == magic]
    # A DOS/MBR partition table: boot signature plus a non-empty entry.
    if len(head) >= 512 and head[510:512] == b"\x55\xaa" and \
            "a GPT partition table" not in found:
        entries = [head[446 + 16 * i:462 + 16 * i] for i in range(4)]
        if any(e[4] != 0 for e in entries):
            found.append("a DOS (MBR) partition table")
    return found


def parse_blkid(text):
    """What `blkid -p -o export` output names: a partition table, a file
    system or other signature (pure function)."""
    vals = dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
    found = []
    if "PTTYPE" in vals:
        found.append(f"a {vals['PTTYPE']} partition table")
    if "TYPE" in vals:
        found.append(f"a {vals['TYPE']} {vals.get('USAGE', 'filesystem').replace('filesystem', 'file system')}"
                     + (f" (UUID {vals['UUID']})" if "UUID" in vals else ""))
    return found


def blkid_signatures(path):
    """What `blkid -p` (low-level probe, no cache) finds; [] if none or no blkid."""
    exe = shutil.which("blkid") or ("/usr/sbin/blkid" if os.path.exists("/usr/sbin/blkid") else None)
    if not exe:
        return []
    try:
        p = subprocess.run([exe, "-p", "-o", "export", path], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return parse_blkid(p.stdout)


def signature_ranges():
    """The (offset, length) byte ranges own_signatures() reads: the magics
    and the DOS partition table (entries and boot signature)."""
    return sorted({(off, len(magic)) for off, magic, _ in _MAGICS} | {(446, 66)})


def head_from_ranges(chunks, n=70000):
    """A device head of n bytes holding only the given {offset: bytes}
    (zeros elsewhere), for own_signatures() on bytes read elsewhere."""
    head = bytearray(n)
    for off, data in chunks.items():
        data = data[:max(0, n - off)]
        head[off:off + len(data)] = data
    return bytes(head)


def parse_mountinfo(text):
    """major:minor -> mount point of the first mount of each device."""
    devs = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) > 4:
            devs.setdefault(parts[2], parts[4])
    return devs


def _mounted_devs():
    try:
        with open("/proc/self/mountinfo") as f:
            return parse_mountinfo(f.read())
    except OSError:
        return {}


def parse_swaps(text):
    return [l.split()[0] for l in text.splitlines()[1:] if l.split()]


def _swaps():
    try:
        with open("/proc/swaps") as f:
            return parse_swaps(f.read())
    except OSError:
        return []


def device_facts(path):
    """What device_verdict() needs to know about a local --device path."""
    try:
        st = os.stat(path)
    except OSError as e:
        return {"stat_error": e.strerror}
    facts = {"realpath": os.path.realpath(path)}
    if stat.S_ISBLK(st.st_mode):
        mm = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        sysd = os.path.realpath(f"/sys/dev/block/{mm}")
        holders = os.listdir(os.path.join(sysd, "holders")) if os.path.isdir(
            os.path.join(sysd, "holders")) else []
        parts = []
        for d in sorted(os.listdir(sysd)) if os.path.isdir(sysd) else []:
            if os.path.exists(os.path.join(sysd, d, "partition")):
                with open(os.path.join(sysd, d, "dev")) as f:
                    parts.append((d, f.read().strip()))
        try:
            with open(os.path.join(sysd, "size")) as f:
                size = int(f.read()) * 512
        except (OSError, ValueError):
            size = None
        facts.update(type="block", mm=mm, sysfs_name=os.path.basename(sysd),
                     partition=os.path.exists(os.path.join(sysd, "partition")),
                     mounted=_mounted_devs(), swaps=_swaps(), holders=holders,
                     parts=parts, size_bytes=size)
    elif stat.S_ISREG(st.st_mode):
        facts.update(type="file", size_bytes=st.st_size)
    elif stat.S_ISCHR(st.st_mode):
        facts["type"] = "char"
    else:
        facts["type"] = "other"
    # blkid names what it finds precisely; our own magic check is the fallback.
    facts["signatures"] = lambda: blkid_signatures(path) or own_signatures(_read_head(path))
    return facts


def device_verdict(path, facts, force=False):
    """Refuse a device or image that holds data (pure function of
    device_facts() or the same facts read on another machine; a callable
    'signatures' is called only once the device passed the other checks).
    Returns a description dict.

    Always refused: not a block device or regular file, mounted, swap, or
    held by another device (dm, md). Refused unless force: partitions, a
    partition table, a file system or other signature."""
    if facts.get("stat_error"):
        raise TargetError(f"--device {path}: {facts['stat_error']}; give an NVMe namespace "
                          f"such as /dev/nvme0n1")
    info = {"kind": None, "path": path, "realpath": facts.get("realpath", path)}
    kind = facts.get("type")
    if kind == "block":
        info["kind"] = "block"
        mm = facts["mm"]
        if facts.get("partition"):
            raise TargetError(f"--device {path} is a partition; the matrix writes "
                              f"to a whole namespace. Give the whole device "
                              f"(e.g. /dev/nvme0n1) that holds nothing you need.")
        mounted = facts.get("mounted", {})
        if mm in mounted:
            raise TargetError(f"--device {path} is mounted on {mounted[mm]}; "
                              f"unmount it first (--force does not override this)")
        if info["realpath"] in facts.get("swaps", []):
            raise TargetError(f"--device {path} is in use as swap; swapoff it first")
        holders = facts.get("holders", [])
        if holders:
            raise TargetError(f"--device {path} is held by {', '.join(holders)} "
                              f"(device-mapper, md or similar); release it first")
        parts = facts.get("parts", [])
        for part, pmm in parts:
            if pmm in mounted:
                raise TargetError(f"--device {path}: partition {part} is mounted on "
                                  f"{mounted[pmm]}; --force does not override this")
        info["size_bytes"] = facts.get("size_bytes")
        info["sysfs_name"] = facts["sysfs_name"]
        found = [f"partitions ({', '.join(p for p, _ in parts)})"] if parts else []
    elif kind == "file":
        info["kind"] = "file"
        info["size_bytes"] = facts.get("size_bytes")
        found = []
    elif kind == "char":
        raise TargetError(f"--device {path} is a character device (an NVMe "
                          f"controller or generic node?); give a namespace block "
                          f"device such as /dev/nvme0n1")
    else:
        raise TargetError(f"--device {path} is neither a block device nor a file")
    sigs = facts.get("signatures", [])
    found += sigs() if callable(sigs) else sigs
    info["signatures"] = found
    if found and not force:
        raise TargetError(
            f"refusing --device {path}: it holds {'; '.join(found)}. The matrix "
            f"writes to it and would destroy that data. Pick an empty device, or "
            f"wipe it (wipefs -a {path}), or pass --force if you mean to overwrite it.")
    return info


def check_device(path, force=False):
    """Refuse a local device or image that holds data (device_verdict)."""
    return device_verdict(path, device_facts(path), force)


DATA_FILE = "fio-dmabuf-matrix.dat"     # the data file's name in a --dir


def _odirect_error(path):
    """None when a 4 KiB O_DIRECT write works in directory path, else why not."""
    probe = os.path.join(path, f".fio-dmabuf-odirect.{os.getpid()}")
    buf = mmap.mmap(-1, 4096)
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)
        try:
            os.write(fd, buf)
        finally:
            os.close(fd)
    except OSError as e:
        return e.strerror
    finally:
        buf.close()
        try:
            os.unlink(probe)
        except OSError:
            pass
    return None


def dir_facts(path):
    """What dir_verdict() needs to know about a local --dir."""
    if not os.path.isdir(path):
        return {"isdir": False}
    data = os.path.join(path, DATA_FILE)
    sv = os.statvfs(path)
    return {"isdir": True, "odirect_error": _odirect_error(path),
            "have": os.path.getsize(data) if os.path.exists(data) else 0,
            "free": sv.f_bavail * sv.f_frsize}


def dir_verdict(path, size, facts):
    """A directory for host files: exists, writable, takes O_DIRECT, has room
    (pure function of dir_facts() or the same facts read elsewhere)."""
    if not facts.get("isdir"):
        raise TargetError(f"--dir {path} is not a directory; create it first")
    if facts.get("odirect_error"):
        raise TargetError(f"--dir {path}: O_DIRECT I/O fails there ({facts['odirect_error']}); "
                          f"every arm uses direct=1, so pick a directory on a file "
                          f"system that supports O_DIRECT")
    free = facts["free"]
    if size - facts.get("have", 0) > free:
        raise TargetError(f"--dir {path}: the matrix needs a {size} byte file and only "
                          f"{free} bytes are free; free space or lower 'size' in the matrix")
    return {"kind": "file", "path": os.path.join(path, DATA_FILE), "dir": path}


def check_dir(path, size):
    """A local directory for host files (dir_verdict)."""
    return dir_verdict(path, size, dir_facts(path))
