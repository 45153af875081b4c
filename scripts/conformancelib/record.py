"""One case's record: what its output and exit status say, then what the
kernel's log and dma-buf accounting say after it (judge()).

A case prints OBSERVE key=value and MAY-HANG defect: what lines as it goes
and ends with one result line (conformance/conf.h):

    PASS reason | FAIL reason | SKIP reason | KNOWN-DEFECT defect: reason

and the exit status that goes with it (0, 1, 77, 3)."""
import re

RESULTS = ("pass", "fail", "skip", "known-defect")
EXIT_OF = {"pass": 0, "fail": 1, "skip": 77, "known-defect": 3}
_RESULT = re.compile(r"^(PASS|FAIL|SKIP|KNOWN-DEFECT) (.*)$")
_DEFECT = re.compile(r"^([a-z0-9][a-z0-9-]*): (.*)$")
_OBSERVE = re.compile(r"^OBSERVE ([A-Za-z0-9_.-]+)=(.*)$")


def parse_output(text):
    """(result, reason, defect, observe, may_hang) from a case's stdout.
    result is None when it printed no result line; the last one counts
    only if it is the only one (two result lines are an error)."""
    results, observe, may_hang = [], {}, None
    for line in text.splitlines():
        m = _RESULT.match(line)
        if m:
            results.append(m.groups())
            continue
        m = _OBSERVE.match(line)
        if m:
            observe[m.group(1)] = m.group(2)
            continue
        if line.startswith("MAY-HANG "):
            m = _DEFECT.match(line[len("MAY-HANG "):])
            if m:
                may_hang = {"defect": m.group(1), "what": m.group(2)}
    if len(results) > 1:
        return ("fail", f"the case printed {len(results)} result lines: "
                f"{'; '.join(' '.join(r) for r in results)}", None, observe, may_hang)
    if not results:
        return None, None, None, observe, may_hang
    word, reason = results[0]
    result = word.lower()
    defect = None
    if result == "known-defect":
        m = _DEFECT.match(reason)
        if not m:
            return ("fail", f"KNOWN-DEFECT line without a defect name: {reason}",
                    None, observe, may_hang)
        defect, reason = m.groups()
    return result, reason, defect, observe, may_hang


def from_run(case, stdout, status, seconds, hung=None):
    """The record of a case that ran: status is its exit status (negative:
    killed by that signal), hung None or what the watchdog saw (a dict with
    'seconds' and 'stack')."""
    result, reason, defect, observe, may_hang = parse_output(stdout)
    rec = {"name": case["name"], "group": case["group"], "boot": case["boot"],
           "seconds": round(seconds, 3), "exit": status, "observe": observe,
           "defect": defect, "kernel_log": [], "output_tail": stdout.splitlines()[-20:]}
    if hung is not None:
        what = (f"no result within {hung['seconds']} s; the process was killed"
                + ("" if hung.get("reaped") else " and did not die (stuck in the kernel)"))
        if hung.get("stack"):
            what += f"; kernel stack: {hung['stack']}"
        if may_hang:
            rec.update(result="known-defect", defect=may_hang["defect"],
                       reason=f"{may_hang['what']}: {what}")
        else:
            rec.update(result="fail", reason=f"hung: {what}")
        return rec
    if result is None:
        how = f"exit status {status}" if status >= 0 else f"killed by signal {-status}"
        rec.update(result="fail", reason=f"no result line ({how})")
    elif result != "fail" and EXIT_OF[result] != status:
        rec.update(result="fail", reason=f"printed {result.upper()} ({reason}) but "
                   f"exited {status}, not {EXIT_OF[result]}")
    else:
        rec.update(result=result, reason=reason)
    return rec


def judge(rec, findings, dmabufs_before, dmabufs_after):
    """Fold the kernel's word into a record: a report in the log (KASAN,
    lockdep, WARNING/BUG, a hung task, kmemleak) fails the case, quoted;
    so does a dma-buf the case left behind. A known defect keeps its
    state when what the log shows is that defect's hang or leak."""
    rec = dict(rec, kernel_log=[f["line"] for f in findings],
               dmabufs_before=dmabufs_before, dmabufs_after=dmabufs_after)
    known = rec["result"] == "known-defect"
    serious = [f for f in findings if not (known and f["kind"] == "hung-task")]
    if serious:
        first = serious[0]
        rec["result"] = "fail"
        rec["reason"] = (f"kernel {first['kind']}: {first['line']}"
                         + (f" (and {len(serious) - 1} more)" if len(serious) > 1 else "")
                         + f"; the case said: {rec['reason']}")
        return rec
    if (dmabufs_before is not None and dmabufs_after is not None
            and dmabufs_after > dmabufs_before and rec["result"] != "skip"):
        leak = (f"{dmabufs_after - dmabufs_before} dma-buf(s) still allocated after the "
                f"case (debugfs dma_buf/bufinfo: {dmabufs_before} before, "
                f"{dmabufs_after} after)")
        if known:
            rec["reason"] += f"; {leak}"
        else:
            rec["result"] = "fail"
            rec["reason"] = f"leak: {leak}; the case said: {rec['reason']}"
    return rec


def amend(rec, finding, reported_during):
    """An earlier case's record once the kernel reports a task that
    blocked during it (a hung task is reported 20 s or more after it
    blocked, often while a later case runs)."""
    rec = dict(rec, kernel_log=rec.get("kernel_log", []) + [finding["line"]])
    what = f"kernel {finding['kind']} (reported during {reported_during}): {finding['line']}"
    if rec["result"] == "known-defect" and finding["kind"] == "hung-task":
        rec["reason"] += f"; {what}"
    elif rec["result"] == "fail":
        rec["reason"] += f"; and {what}"
    else:
        rec["reason"] = f"{what}; the case said: {rec['reason']}"
        rec["result"] = "fail"
    return rec


def unfinished(case, why, console_tail):
    """The record of a case during which the machine died or hung."""
    return {"name": case["name"], "group": case["group"], "boot": case["boot"],
            "result": "fail", "reason": f"{why}; console tail: "
            + " | ".join(console_tail[-8:]), "defect": None, "observe": {},
            "seconds": None, "exit": None, "kernel_log": console_tail[-40:],
            "output_tail": []}
