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


_HUNG = re.compile(r"INFO: task (\S+) blocked for more than (\d+) seconds")


def parse_kmsg(raw):
    """(seconds since boot, text) of each /dev/kmsg record (continuation
    lines dropped)."""
    out = []
    for rec in raw.splitlines():
        if rec.startswith(" ") or ";" not in rec:
            continue
        head, text = rec.split(";", 1)
        fields = head.split(",")
        try:
            t = int(fields[2]) / 1e6
        except (IndexError, ValueError):
            t = None
        out.append((t, text))
    return out


def findings(records):
    """[{'kind', 'line', 'time'}] for the records (text, or (time, text))
    that report a kernel problem; a 'cut here' marker counts once with the
    line that follows it. A hung task also gets 'task' and 'blocked_for'."""
    recs = [r if isinstance(r, tuple) else (None, r) for r in records]
    out = []
    for i, (t, line) in enumerate(recs):
        kind = classify(line)
        if not kind:
            continue
        if "cut here" in line and i + 1 < len(recs):
            if classify(recs[i + 1][1]):
                continue  # the next line names it better
            line = f"{line} {recs[i + 1][1]}"
        f = {"kind": kind, "line": line.strip(), "time": t}
        m = _HUNG.search(line)
        if kind == "hung-task" and m:
            f.update(task=m.group(1), blocked_for=int(m.group(2)))
        out.append(f)
    return out


def blocked_during(finding, spans):
    """The case during which a hung task blocked: the last of spans (name,
    start, end), in seconds since boot, that started before the report's
    time less the time the task had been blocked. None when it cannot say."""
    if finding.get("time") is None or "blocked_for" not in finding:
        return None
    since = finding["time"] - finding["blocked_for"]
    owner = None
    for name, start, _end in spans:
        if start <= since:
            owner = name
    return owner


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
