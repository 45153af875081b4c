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
    vals = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)
    found = []
    if "PTTYPE" in vals:
        found.append(f"a {vals['PTTYPE']} partition table")
    if "TYPE" in vals:
        found.append(f"a {vals['TYPE']} {vals.get('USAGE', 'filesystem').replace('filesystem', 'file system')}"
                     + (f" (UUID {vals['UUID']})" if "UUID" in vals else ""))
    return found


def _mounted_devs():
    devs = {}
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                parts = line.split()
                devs.setdefault(parts[2], parts[4])
    except OSError:
        pass
    return devs


def _swaps():
    try:
        with open("/proc/swaps") as f:
            return [l.split()[0] for l in f.readlines()[1:]]
    except OSError:
        return []


def check_device(path, force=False):
    """Refuse a device or image that holds data. Returns a description dict.

    Always refused: not a block device or regular file, mounted, swap, or
    held by another device (dm, md). Refused unless force: partitions, a
    partition table, a file system or other signature."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise TargetError(f"--device {path}: {e.strerror}; give an NVMe namespace "
                          f"such as /dev/nvme0n1")
    real = os.path.realpath(path)
    info = {"kind": None, "path": path, "realpath": real}
    if stat.S_ISBLK(st.st_mode):
        info["kind"] = "block"
        mm = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
        sysd = os.path.realpath(f"/sys/dev/block/{mm}")
        if os.path.exists(os.path.join(sysd, "partition")):
            raise TargetError(f"--device {path} is a partition; the matrix writes "
                              f"to a whole namespace. Give the whole device "
                              f"(e.g. /dev/nvme0n1) that holds nothing you need.")
        name = os.path.basename(sysd)
        mounted = _mounted_devs()
        if mm in mounted:
            raise TargetError(f"--device {path} is mounted on {mounted[mm]}; "
                              f"unmount it first (--force does not override this)")
        if real in _swaps():
            raise TargetError(f"--device {path} is in use as swap; swapoff it first")
        holders = os.listdir(os.path.join(sysd, "holders")) if os.path.isdir(
            os.path.join(sysd, "holders")) else []
        if holders:
            raise TargetError(f"--device {path} is held by {', '.join(holders)} "
                              f"(device-mapper, md or similar); release it first")
        parts = sorted(d for d in os.listdir(sysd)
                       if os.path.exists(os.path.join(sysd, d, "partition")))
        for part in parts:
            pst = open(os.path.join(sysd, part, "dev")).read().strip()
            if pst in mounted:
                raise TargetError(f"--device {path}: partition {part} is mounted on "
                                  f"{mounted[pst]}; --force does not override this")
        try:
            with open(os.path.join(sysd, "size")) as f:
                info["size_bytes"] = int(f.read()) * 512
        except (OSError, ValueError):
            info["size_bytes"] = None
        info["sysfs_name"] = name
        found = [f"partitions ({', '.join(parts)})"] if parts else []
    elif stat.S_ISREG(st.st_mode):
        info["kind"] = "file"
        info["size_bytes"] = st.st_size
        found = []
    elif stat.S_ISCHR(st.st_mode):
        raise TargetError(f"--device {path} is a character device (an NVMe "
                          f"controller or generic node?); give a namespace block "
                          f"device such as /dev/nvme0n1")
    else:
        raise TargetError(f"--device {path} is neither a block device nor a file")
    # blkid names what it finds precisely; our own magic check is the fallback.
    found += blkid_signatures(path) or own_signatures(_read_head(path))
    info["signatures"] = found
    if found and not force:
        raise TargetError(
            f"refusing --device {path}: it holds {'; '.join(found)}. The matrix "
            f"writes to it and would destroy that data. Pick an empty device, or "
            f"wipe it (wipefs -a {path}), or pass --force if you mean to overwrite it.")
    return info


def check_dir(path, size):
    """A directory for host files: exists, writable, takes O_DIRECT, has room."""
    if not os.path.isdir(path):
        raise TargetError(f"--dir {path} is not a directory; create it first")
    probe = os.path.join(path, f".fio-dmabuf-odirect.{os.getpid()}")
    buf = mmap.mmap(-1, 4096)
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)
        try:
            os.write(fd, buf)
        finally:
            os.close(fd)
    except OSError as e:
        raise TargetError(f"--dir {path}: O_DIRECT I/O fails there ({e.strerror}); "
                          f"every arm uses direct=1, so pick a directory on a file "
                          f"system that supports O_DIRECT")
    finally:
        buf.close()
        try:
            os.unlink(probe)
        except OSError:
            pass
    data = os.path.join(path, "fio-dmabuf-matrix.dat")
    have = os.path.getsize(data) if os.path.exists(data) else 0
    sv = os.statvfs(path)
    free = sv.f_bavail * sv.f_frsize
    if size - have > free:
        raise TargetError(f"--dir {path}: the matrix needs a {size} byte file and only "
                          f"{free} bytes are free; free space or lower 'size' in the matrix")
    return {"kind": "file", "path": data, "dir": path}
