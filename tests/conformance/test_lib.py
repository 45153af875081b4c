"""Unit tests of the conformance runner's pure logic (scripts/conformancelib).
The expected values are written out by hand from the protocol in
conformance/conf.h, not computed by the code under test."""
import os
import sys

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "scripts"))

from conformancelib import cases as cs  # noqa: E402
from conformancelib import kernel_log as kl  # noqa: E402
from conformancelib import record as rc  # noqa: E402
from conformancelib import report as rp  # noqa: E402

CASE = {"name": "life-x", "group": "life", "boot": "default", "timeout": 60, "order": "normal"}


def test_header_defaults_and_overrides():
    c = cs.parse_header("/*\n * life-x: y\n */", "life-x")
    assert (c["timeout"], c["boot"], c["order"]) == (60, "default", "normal")
    c = cs.parse_header("/*\n * conf-timeout: 300\n * conf-boot: multipath\n"
                        " * conf-order: last\n */", "reg-m")
    assert (c["timeout"], c["boot"], c["order"]) == (300, "multipath", "last")


@pytest.mark.parametrize("line,msg", [(" * conf-timeout: 0", "1 to 3600"),
                                      (" * conf-timeout: soon", "give seconds"),
                                      (" * conf-boot: numa", "one of default"),
                                      (" * conf-order: first", "only 'last'")])
def test_header_errors(line, msg):
    with pytest.raises(cs.CaseError, match=msg):
        cs.parse_header(line, "io-x")


def test_discover_select_order(tmp_path):
    src = tmp_path / "cases"
    src.mkdir()
    (src / "reg-a.c").write_text("/* reg-a */\n")
    (src / "fault-b.c").write_text("/*\n * conf-order: last\n */\n")
    (src / "io-c.sh").write_text("#!/bin/sh\n")
    (src / "notes.txt").write_text("not a case")
    found = cs.discover(str(src), "/bin-dir")
    assert [c["name"] for c in found] == ["fault-b", "io-c", "reg-a"]
    assert found[0]["program"] == "/bin-dir/fault-b"
    assert found[1]["program"] == str(src / "io-c.sh")
    assert [c["name"] for c in cs.run_order(found, "default")] == ["io-c", "reg-a", "fault-b"]
    assert [c["name"] for c in cs.select(found, ["reg-*", "io-c"])] == ["io-c", "reg-a"]
    with pytest.raises(cs.CaseError, match="no case matches"):
        cs.select(found, ["life-*"])
    (src / "bad-prefix.c").write_text("")
    with pytest.raises(cs.CaseError, match="not a group"):
        cs.discover(str(src), "/b")


def test_parse_output_lines():
    out = "OBSERVE in_flight=12\nMAY-HANG v3-x: unregister\nKNOWN-DEFECT v3-x: stuck\n"
    assert rc.parse_output(out) == ("known-defect", "stuck", "v3-x", {"in_flight": "12"},
                                    {"defect": "v3-x", "what": "unregister"})
    assert rc.parse_output("noise\n")[0] is None
    assert rc.parse_output("PASS a\nFAIL b\n")[0] == "fail"
    assert rc.parse_output("KNOWN-DEFECT no name here\n")[0] == "fail"


def test_from_run_exit_must_match_line():
    assert rc.from_run(CASE, "PASS ok\n", 0, 1.0)["result"] == "pass"
    r = rc.from_run(CASE, "PASS ok\n", 1, 1.0)
    assert r["result"] == "fail" and "exited 1, not 0" in r["reason"]
    assert rc.from_run(CASE, "SKIP no dev\n", 77, 1.0)["result"] == "skip"
    r = rc.from_run(CASE, "", -11, 1.0)
    assert r["result"] == "fail" and "signal 11" in r["reason"]


def test_hang_is_known_defect_only_when_announced():
    hung = {"seconds": 60, "stack": "io_rsrc_x < y", "reaped": False}
    r = rc.from_run(CASE, "MAY-HANG v3-reissue-reimport: unregister\n", -9, 60.0, hung)
    assert (r["result"], r["defect"]) == ("known-defect", "v3-reissue-reimport")
    assert "did not die" in r["reason"] and "io_rsrc_x" in r["reason"]
    r = rc.from_run(CASE, "OBSERVE a=1\n", -9, 60.0, dict(hung, reaped=True))
    assert r["result"] == "fail" and r["reason"].startswith("hung:")


def test_judge_kernel_reports_and_leaks():
    rec = rc.from_run(CASE, "PASS fine\n", 0, 1.0)
    warn = [{"kind": "WARNING", "line": "WARNING: CPU: 0 PID: 1 at io_uring/rsrc.c:10"}]
    r = rc.judge(rec, warn, 3, 3)
    assert r["result"] == "fail" and "kernel WARNING" in r["reason"]
    r = rc.judge(rec, [], 3, 5)
    assert r["result"] == "fail" and "2 dma-buf(s)" in r["reason"]
    assert rc.judge(rec, [], 3, 3)["result"] == "pass"
    assert rc.judge(rec, [], None, None)["result"] == "pass"
    known = rc.from_run(CASE, "KNOWN-DEFECT v3-x: leaks\n", 3, 1.0)
    hungtask = [{"kind": "hung-task", "line": "INFO: task x blocked for more than 20 seconds."}]
    r = rc.judge(known, hungtask, 3, 4)
    assert r["result"] == "known-defect" and "1 dma-buf(s)" in r["reason"]
    assert rc.judge(known, warn, 3, 3)["result"] == "fail"


def test_kernel_log_findings():
    raw = ("6,100,5,-;nvme nvme0: resetting controller\n"
           "4,101,6,-;------------[ cut here ]------------\n"
           "4,102,7,-;WARNING: CPU: 0 PID: 9 at lib/x.c:1 f+0x1\n"
           " SUBSYSTEM=x\n"
           "3,103,8,-;BUG: KASAN: slab-use-after-free in io_y\n"
           "3,104,9,-;INFO: task iou-wrk-1:77 blocked for more than 20 seconds.\n"
           "4,105,9,-;WARNING: possible circular locking dependency detected\n"
           "3,106,9,-;BUG: sleeping function called from invalid context at m.c:1\n")
    recs = kl.parse_kmsg(raw)
    assert len(recs) == 7 and recs[0] == (5e-6, "nvme nvme0: resetting controller")
    found = kl.findings(recs)
    assert [f["kind"] for f in found] == ["WARNING", "KASAN", "hung-task", "lockdep",
                                          "sleep-in-atomic"]
    assert (found[2]["task"], found[2]["blocked_for"]) == ("iou-wrk-1:77", 20)
    assert kl.findings(["BUG: KASAN: x"])[0]["time"] is None


def test_hung_task_blamed_on_the_case_it_blocked_in():
    spans = [("life-fork", 100.0, 112.0), ("life-two", 112.5, 118.0), ("reg-x", 118.2, 119.0)]
    f = {"kind": "hung-task", "line": "", "time": 131.0, "blocked_for": 20}
    assert kl.blocked_during(f, spans) == "life-fork"      # blocked since 111.0
    f["time"] = 133.0                                      # blocked since 113.0
    assert kl.blocked_during(f, spans) == "life-two"
    f["time"] = 139.0                                      # blocked since 119.0
    assert kl.blocked_during(f, spans) == "reg-x"
    f["time"] = 110.0                                      # before every case
    assert kl.blocked_during(f, spans) is None
    assert kl.blocked_during({"kind": "hung-task", "line": "", "time": None}, spans) is None


def test_report_leads_with_findings():
    recs = [dict(rc.from_run(dict(CASE, name="sec-ro", group="sec"),
                             "FAIL FINDING: READ_FIXED wrote into a read-only dma-buf\n", 1, 1.0)),
            rc.from_run(CASE, "PASS ok\n", 0, 1.0)]
    doc = rp.document({"kernel": {"release": "7.2.13"}, "series": {"detected": True, "by": "k"},
                       "iommu": "off", "devices": {}, "emulated": True}, recs,
                      [{"profile": "default", "boots": 1}], "a", "b")
    assert doc["counts"] == {"pass": 1, "fail": 1, "skip": 0, "known-defect": 0}
    md = rp.markdown(doc)
    assert md.index("Findings for the series") < md.index("Every case")
    assert "**Emulated machine**" in md


def test_amend_blames_the_earlier_case():
    hung = {"kind": "hung-task", "line": "INFO: task kworker/1:26:266 blocked for more than 20 seconds."}
    ok = rc.from_run(CASE, "PASS fine\n", 0, 1.0)
    r = rc.amend(ok, hung, "reg-next")
    assert r["result"] == "fail" and "reported during reg-next" in r["reason"]
    known = rc.from_run(CASE, "KNOWN-DEFECT v3-x: stuck\n", 3, 1.0)
    r = rc.amend(known, hung, "reg-next")
    assert r["result"] == "known-defect" and r["kernel_log"] == [hung["line"]]
