"""JUnit XML, the test report format most CI systems render (GitHub Actions
through a reporter action, GitLab, Jenkins, Buildkite, Azure Pipelines).

One document: <testsuites> of <testsuite>s of <testcase>s; a case that
failed holds <failure>, one that could not be judged <error>, a skipped one
<skipped>, each with a one-line message and the detail as text. Counts and
times are summed from the cases. Characters XML cannot carry (control
characters other than tab and newline) are dropped.

Used by the regression gate (one case per gated cell, fioab.gate) and by
tests/run (one case per PASS/FAIL/SKIP line, through the CLI below):

  python3 -m fioab.junit tests-log LOG OUT.xml

LOG holds "GROUP<TAB>SECONDS<TAB>LINE" lines in the order the groups printed
them (SECONDS: a wall-clock time stamp, e.g. bash's $EPOCHREALTIME), with a
"GROUP<TAB>SECONDS<TAB>#start" line before each group's output. A case's
time is the time since the group's previous line that was a result (or
since its start); other lines go into the next case's detail, and the
group's last 200 lines into its <system-out>.
"""
import argparse
import re
import socket
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass

STATUSES = ("pass", "fail", "error", "skip")
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
RESULT_RE = re.compile(r"^(PASS|FAIL|SKIP) (\S.*?)(?:: (.*))?$")
TAIL_LINES = 200


@dataclass
class Case:
    name: str
    classname: str
    status: str = "pass"       # pass | fail | error | skip
    message: str = ""
    detail: str = ""
    time: float = 0.0


@dataclass
class Suite:
    name: str
    cases: list
    time: float = None         # default: the sum of the cases' times
    timestamp: str = ""
    system_out: str = ""


def clean(text):
    """Text XML 1.0 can carry."""
    return _BAD_XML.sub("", str(text))


def _counts(cases):
    return {s: sum(c.status == s for c in cases) for s in STATUSES}


def to_xml(suites, name="tests"):
    """The JUnit XML document (str) for a list of Suites."""
    for s in suites:
        for c in s.cases:
            if c.status not in STATUSES:
                raise ValueError("junit: case %r has status %r, expected one of %s"
                                 % (c.name, c.status, ", ".join(STATUSES)))
    root = ET.Element("testsuites", name=clean(name))
    total = {s: 0 for s in STATUSES}
    total_time = 0.0
    for s in suites:
        n = _counts(s.cases)
        t = s.time if s.time is not None else sum(c.time for c in s.cases)
        attrs = {"name": clean(s.name), "tests": str(len(s.cases)),
                 "failures": str(n["fail"]), "errors": str(n["error"]),
                 "skipped": str(n["skip"]), "time": "%.3f" % t,
                 "hostname": clean(socket.gethostname())}
        if s.timestamp:
            attrs["timestamp"] = clean(s.timestamp)
        el = ET.SubElement(root, "testsuite", attrs)
        for c in s.cases:
            ce = ET.SubElement(el, "testcase", classname=clean(c.classname),
                               name=clean(c.name), time="%.3f" % c.time)
            tag = {"fail": "failure", "error": "error", "skip": "skipped"}.get(c.status)
            if tag:
                sub = ET.SubElement(ce, tag, message=clean(c.message)[:1000])
                if tag != "skipped":
                    sub.set("type", c.status)
                if c.detail:
                    sub.text = clean(c.detail)
            elif c.detail:
                ET.SubElement(ce, "system-out").text = clean(c.detail)
        if s.system_out:
            ET.SubElement(el, "system-out").text = clean(s.system_out)
        for k in STATUSES:
            total[k] += n[k]
        total_time += t
    root.set("tests", str(sum(total.values())))
    root.set("failures", str(total["fail"]))
    root.set("errors", str(total["error"]))
    root.set("skipped", str(total["skip"]))
    root.set("time", "%.3f" % total_time)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def parse_result_line(line):
    """(status, name, why) of a tests/lib.sh line "PASS name", "FAIL name:
    why" or "SKIP name: reason"; None for any other line."""
    m = RESULT_RE.match(line.rstrip("\n"))
    if not m:
        return None
    status = {"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}[m.group(1)]
    return status, m.group(2), m.group(3) or ""


def suites_from_log(lines, path="log"):
    """Suites from a tests/run log (see the module docstring)."""
    groups = {}
    order = []
    for i, raw in enumerate(lines):
        raw = raw.rstrip("\n")
        if not raw:
            continue
        parts = raw.split("\t", 2)
        if len(parts) != 3:
            raise ValueError("%s:%d: expected GROUP<TAB>SECONDS<TAB>LINE, got %r"
                             % (path, i + 1, raw[:80]))
        g, t, line = parts
        try:
            t = float(t.replace(",", "."))
        except ValueError:
            raise ValueError("%s:%d: time stamp %r is not a number" % (path, i + 1, t))
        if g not in groups:
            groups[g] = {"start": t, "last": t, "end": t, "cases": [], "pending": [],
                         "tail": []}
            order.append(g)
        st = groups[g]
        st["end"] = t
        if line == "#start":
            st["start"] = st["last"] = t
            continue
        st["tail"] = (st["tail"] + [line])[-TAIL_LINES:]
        r = parse_result_line(line)
        if r is None:
            st["pending"] = (st["pending"] + [line])[-50:]
            continue
        status, name, why = r
        detail = "\n".join(st["pending"] + [line])
        st["cases"].append(Case(name=name, classname=g, status=status, message=why,
                                detail=detail if status != "pass" else "",
                                time=max(0.0, t - st["last"])))
        st["pending"] = []
        st["last"] = t
    return [Suite(name=g, cases=groups[g]["cases"],
                  time=groups[g]["end"] - groups[g]["start"],
                  system_out="\n".join(groups[g]["tail"])) for g in order]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fioab.junit", description="JUnit XML from test logs.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tests-log", help="tests/run's time-stamped log to JUnit XML")
    p.add_argument("log")
    p.add_argument("out")
    p.add_argument("--name", default="fio-dmabuf tests")
    a = ap.parse_args(argv)
    try:
        with open(a.log, errors="replace") as f:
            suites = suites_from_log(f.readlines(), a.log)
        text = to_xml(suites, a.name)
        with open(a.out, "w") as f:
            f.write(text)
    except (OSError, ValueError) as e:
        print("fioab.junit: %s" % e, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
