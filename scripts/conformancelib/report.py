"""The conformance report: results.json (schema in conformance/README.md)
and report.md, findings first."""
from .cases import GROUPS
from .record import RESULTS

SCHEMA = 1


def counts(records):
    c = {r: 0 for r in RESULTS}
    for rec in records:
        c[rec["result"]] += 1
    return c


def document(machine, records, boots, started, ended, missing=()):
    """The results.json document: missing lists cases that never ran
    (e.g. every guest of their boot profile died first)."""
    return {"schema": SCHEMA, "tool": "scripts/conformance", "started": started,
            "ended": ended, "machine": machine, "boots": boots,
            "counts": counts(records), "missing": sorted(missing),
            "cases": sorted(records, key=lambda r: r["name"])}


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def is_finding(rec):
    return rec["result"] == "fail" and rec["reason"].startswith("FINDING")


def markdown(doc):
    m, recs = doc["machine"], doc["cases"]
    c = doc["counts"]
    series = m.get("series", {})
    emulated = m.get("emulated")
    lines = ["# Conformance of the io_uring dma-buf path", ""]
    if emulated:
        lines += [f"**Emulated machine** ({m.get('virtualization') or 'virtual'}): "
                  "results say what this kernel does, not how a real drive behaves.", ""]
    lines += [
        f"- kernel: `{m.get('kernel', {}).get('release')}`"
        + (" (debug build: KASAN, lockdep, kmemleak)" if m.get("debug_kernel") else ""),
        f"- io_uring dma-buf series: {'present' if series.get('detected') else 'absent'}"
        f" (detected by {series.get('by', '?')}"
        + (f"; the harness booted a kernel {'with' if series.get('expected') else 'without'} it"
           if series.get("expected") is not None else "") + ")",
        f"- IOMMU: {m.get('iommu')}",
        f"- devices: " + ", ".join(f"`{k}` {v.get('path')} ({v.get('lba')}-byte blocks"
                                   f"{', ' + v['model'] if v.get('model') else ''})"
                                   for k, v in sorted(m.get("devices", {}).items())),
        f"- cases: {len(recs)}: {c['pass']} pass, {c['fail']} fail, {c['skip']} skip, "
        f"{c['known-defect']} known defect"
        + (f"; {len(doc['missing'])} never ran: {', '.join(doc['missing'])}" if doc["missing"] else ""),
        f"- run: {doc['started']} .. {doc['ended']}; guests: "
        + ", ".join(f"{b['profile']} x{b['boots']}" for b in doc["boots"]), ""]
    findings = [r for r in recs if is_finding(r)]
    if findings:
        lines += ["## Findings for the series' authors", "",
                  "The kernel allowed what a safe kernel should refuse:", ""]
        lines += [f"- **{r['name']}**: {r['reason']}" for r in findings] + [""]
    fails = [r for r in recs if r["result"] == "fail" and not is_finding(r)]
    if fails:
        lines += ["## Failures", ""] + [f"- **{r['name']}**: {r['reason']}" for r in fails] + [""]
    known = [r for r in recs if r["result"] == "known-defect"]
    if known:
        lines += ["## Known defects of this version of the series", "",
                  "Each ended in the state of a defect named in the series' later "
                  "changelogs or our notes; what was seen:", ""]
        lines += [f"- **{r['name']}** ({r['defect']}): {r['reason']}" for r in known] + [""]
    lines += ["## Every case", ""]
    for g, title in GROUPS.items():
        mine = [r for r in recs if r["group"] == g]
        if not mine:
            continue
        lines += [f"### {title}", "", "| case | result | reason | observed |", "|---|---|---|---|"]
        for r in mine:
            obs = ", ".join(f"{k}={v}" for k, v in sorted(r.get("observe", {}).items()))
            lines.append(f"| {r['name']} | {r['result']} | {_cell(r['reason'])} | {_cell(obs)} |")
        lines.append("")
    return "\n".join(lines)


def summary_line(rec):
    """The one line per case printed as the suite runs."""
    word = rec["result"].upper()
    extra = f" [{rec['defect']}]" if rec.get("defect") else ""
    return f"{word} {rec['name']}{extra}: {rec['reason']}"
