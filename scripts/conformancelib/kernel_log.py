"""The kernel's log judged after each case: KASAN, lockdep, WARNING/BUG,
sleeping in atomic context, hung tasks, oopses and kmemleak reports.

Records come from /dev/kmsg ("PRIO,SEQ,USEC,FLAGS;text", continuation
lines start with a space), read without blocking from where the last case
left off."""
import os
import re

# (kind, pattern): the first that matches a line names it
PATTERNS = (
    ("KASAN", re.compile(r"BUG: KASAN|KASAN: ")),
    ("lockdep", re.compile(r"WARNING: (possible (circular|recursive) locking|"
                           r"inconsistent lock state|suspicious RCU usage|"
                           r"bad unlock balance|held lock freed|lock held when returning)"
                           r"|INFO: possible (recursive|irq lock inversion)")),
    ("sleep-in-atomic", re.compile(r"BUG: sleeping function called from invalid context")),
    ("hung-task", re.compile(r"INFO: task \S+ blocked for more than|blocked for more than \d+ seconds")),
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks|unreferenced object 0x")),
    ("oops", re.compile(r"Oops:|general protection fault|Kernel panic|kernel BUG at")),
    ("BUG", re.compile(r"\bBUG: ")),
    ("WARNING", re.compile(r"\bWARNING: |------------\[ cut here \]------------")),
)


def classify(line):
    for kind, pat in PATTERNS:
        if pat.search(line):
            return kind
    return None


def parse_kmsg(raw):
    """The text of each /dev/kmsg record (continuation lines dropped)."""
    out = []
    for rec in raw.splitlines():
        if rec.startswith(" ") or ";" not in rec:
            continue
        out.append(rec.split(";", 1)[1])
    return out


def findings(lines):
    """[{'kind', 'line'}] for the lines that report a kernel problem; a
    'cut here' marker counts once with the line that follows it."""
    out = []
    for i, line in enumerate(lines):
        kind = classify(line)
        if not kind:
            continue
        if "cut here" in line and i + 1 < len(lines):
            nxt = classify(lines[i + 1])
            if nxt:
                continue  # the next line names it better
            line = f"{line} {lines[i + 1]}"
        out.append({"kind": kind, "line": line.strip()})
    return out


class Kmsg:
    """Reads /dev/kmsg from its end at open() onwards, without blocking."""

    def __init__(self, path="/dev/kmsg"):
        self.fd = None
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.lseek(self.fd, 0, os.SEEK_END)
        except OSError:
            self.fd = None

    def read_new(self):
        if self.fd is None:
            return []
        chunks = []
        while True:
            try:
                chunks.append(os.read(self.fd, 8192).decode("utf-8", "replace"))
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == 32:  # EPIPE: records overwritten; go on
                    continue
                break
        return parse_kmsg("".join(chunks))


KMEMLEAK = "/sys/kernel/debug/kmemleak"


def kmemleak_scan(path=KMEMLEAK):
    """Lines of new leak reports after a scan (then cleared), or None when
    the kernel has no kmemleak."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, "w") as f:
            f.write("scan")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write("clear")
    except OSError:
        return None
    return [l for l in text.splitlines() if l.startswith("unreferenced object")]
