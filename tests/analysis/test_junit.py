"""JUnit XML: fioab.junit, and tests/run --junit on groups whose output is
set here."""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import TOP
from fioab import junit


def test_counts_and_elements():
    cases = [junit.Case("a", "g", "pass", time=1.5),
             junit.Case("b", "g", "fail", "why", "detail", 0.5),
             junit.Case("c", "g", "skip", "no gpu"),
             junit.Case("d", "g", "error", "inconclusive")]
    root = ET.fromstring(junit.to_xml([junit.Suite("g", cases), junit.Suite("h", [])]))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("4", "1", "1", "1")
    s = root.findall("testsuite")
    assert [x.get("name") for x in s] == ["g", "h"] and s[1].get("tests") == "0"
    assert float(s[0].get("time")) == 2.0
    assert (s[0].get("tests"), s[0].get("failures"), s[0].get("errors"),
            s[0].get("skipped")) == ("4", "1", "1", "1")
    tc = {c.get("name"): c for c in root.iter("testcase")}
    assert tc["a"].find("failure") is None and tc["a"].get("time") == "1.500"
    f = tc["b"].find("failure")
    assert f.get("message") == "why" and f.text == "detail"
    assert tc["c"].find("skipped").get("message") == "no gpu"
    assert tc["d"].find("error").get("message") == "inconclusive"


def test_characters_xml_cannot_carry_are_dropped():
    text = junit.to_xml([junit.Suite("g", [junit.Case("a\x1b[31m", "g", "fail", "x\x00y")])])
    c = ET.fromstring(text).find("testsuite/testcase")
    assert c.get("name") == "a[31m" and c.find("failure").get("message") == "xy"


def test_bad_status_is_refused():
    with pytest.raises(ValueError, match="status 'ok'"):
        junit.to_xml([junit.Suite("g", [junit.Case("a", "g", "ok")])])


def test_result_lines():
    assert junit.parse_result_line("PASS engine-verify") == ("pass", "engine-verify", "")
    assert junit.parse_result_line("FAIL a::b: why: more") == ("fail", "a::b", "why: more")
    assert junit.parse_result_line("SKIP cuda: no GPU") == ("skip", "cuda", "no GPU")
    for other in ("PASSED x", "== tests/engine", "  FAIL x: y", "FAIL"):
        assert junit.parse_result_line(other) is None


def test_bad_log_line_is_named():
    with pytest.raises(ValueError, match="log:2: expected GROUP"):
        junit.suites_from_log(["g\t1.0\tPASS a\n", "no tabs here\n"])
    with pytest.raises(ValueError, match="time stamp 'x'"):
        junit.suites_from_log(["g\tx\tPASS a\n"])


GROUPS = {
    # group: (script body, exit) -- what the group prints is the oracle
    "one": ('echo "PASS a"; sleep 0.4; echo "context line"; echo "FAIL b: it broke: here";'
            ' echo "SKIP c: no GPU"', 1),
    "two": ('echo "PASS d"', 3),         # crashed: exits 3 without a FAIL line
    "three": ('echo "PASS e"; printf "PASS f"', 0),   # last line without newline
}


@pytest.fixture
def fake_tree(tmp_path):
    """A copy of tests/run and tests/lib.sh beside groups made up here."""
    (tmp_path / "tests").mkdir()
    for f in ("run", "lib.sh"):
        shutil.copy(os.path.join(TOP, "tests", f), tmp_path / "tests" / f)
    os.symlink(os.path.join(TOP, "analysis"), tmp_path / "analysis")
    for g, (body, rc) in GROUPS.items():
        d = tmp_path / "tests" / g
        d.mkdir()
        (d / "run").write_text("#!/bin/bash\n%s\nexit %d\n" % (body, rc))
        (d / "run").chmod(0o755)
    return tmp_path


def run_tests(tree, *args, env=None, cwd=None):
    return subprocess.run([str(tree / "tests" / "run")] + list(args), capture_output=True,
                          text=True, timeout=120, cwd=cwd or str(tree),
                          env=dict(os.environ, **(env or {})))


def test_tests_run_writes_junit(fake_tree, tmp_path):
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    p = run_tests(fake_tree, "--junit", "out/t.xml", "one", "two", "three", "missing",
                  cwd=str(sub))
    assert p.returncode == 1
    # the summary line, exactly as before: PASS a d e f; FAIL b, group-two,
    # group-missing; SKIP c
    assert p.stdout.splitlines()[-1] == "tests: 4 passed, 3 failed, 1 skipped"
    root = ET.parse(sub / "out" / "t.xml").getroot()      # relative to the caller
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["one", "two", "three", "missing"]
    got = {(s, c.get("name")): ("fail" if c.find("failure") is not None else
                                "skip" if c.find("skipped") is not None else "pass")
           for s, el in suites.items() for c in el.iter("testcase")}
    assert got == {("one", "a"): "pass", ("one", "b"): "fail", ("one", "c"): "skip",
                   ("two", "d"): "pass", ("two", "group-two"): "fail",
                   ("three", "e"): "pass", ("three", "f"): "pass",
                   ("missing", "group-missing"): "fail"}
    b = [c for c in suites["one"].iter("testcase") if c.get("name") == "b"][0]
    assert b.find("failure").get("message") == "it broke: here"
    assert "context line" in b.find("failure").text
    assert float(b.get("time")) >= 0.35           # it came 0.4 s after "PASS a"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "3", "1")


def test_junit_by_environment_and_groups_by_environment(fake_tree, tmp_path):
    out = tmp_path / "e.xml"
    p = run_tests(fake_tree, env={"FIO_DMABUF_JUNIT": str(out),
                                  "FIO_DMABUF_TEST_GROUPS": "three"})
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[-1] == "tests: 2 passed, 0 failed, 0 skipped"
    assert [c.get("name") for c in ET.parse(out).getroot().iter("testcase")] == ["e", "f"]


def test_without_junit_nothing_is_written(fake_tree):
    p = run_tests(fake_tree, "three")
    assert p.returncode == 0
    assert not [f for f in os.listdir(fake_tree) if f.endswith(".xml")]
