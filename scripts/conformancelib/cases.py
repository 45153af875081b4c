"""Which cases there are and what each needs, from the sources' header
comments (conformance/cases/NAME.c or NAME.sh):

    * conf-timeout: SECONDS   per-case watchdog (default DEFAULT_TIMEOUT)
    * conf-boot: PROFILE      a guest booted another way (e.g. multipath)
    * conf-order: last        may leave the machine unusable: run it last

The name is the file's name without its suffix, the group its prefix."""
import fnmatch
import os
import re

DEFAULT_TIMEOUT = 60
BOOT_PROFILES = ("default", "multipath")
GROUPS = {
    "env": "environment",
    "reg": "registration",
    "io": "I/O",
    "data": "data",
    "life": "lifetimes",
    "fault": "faults",
    "sec": "security",
    "conc": "concurrency",
}
_HDR = re.compile(r"^\s*\*\s*conf-(timeout|boot|order):\s*(\S+)\s*$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class CaseError(Exception):
    pass


def parse_header(text, name):
    """The conf-* lines of one case's source, checked."""
    case = {"name": name, "timeout": DEFAULT_TIMEOUT, "boot": "default", "order": "normal"}
    for line in text.splitlines()[:40]:
        m = _HDR.match(line)
        if not m:
            continue
        key, val = m.groups()
        if key == "timeout":
            if not val.isdigit() or not 1 <= int(val) <= 3600:
                raise CaseError(f"{name}: conf-timeout: {val}: give seconds, 1 to 3600")
            case["timeout"] = int(val)
        elif key == "boot":
            if val not in BOOT_PROFILES:
                raise CaseError(f"{name}: conf-boot: {val}: one of {', '.join(BOOT_PROFILES)}")
            case["boot"] = val
        elif val != "last":
            raise CaseError(f"{name}: conf-order: {val}: only 'last' is known")
        else:
            case["order"] = "last"
    return case


def group_of(name):
    prefix = name.split("-", 1)[0]
    if prefix not in GROUPS:
        raise CaseError(f"{name}: its prefix '{prefix}-' is not a group "
                        f"({', '.join(p + '-' for p in GROUPS)})")
    return prefix


def discover(src_dir, bin_dir):
    """Every case: name, group, timeout, boot, order, and the program to run
    (bin_dir/NAME for a .c case, the script itself for a .sh case)."""
    cases = []
    for fn in sorted(os.listdir(src_dir)):
        base, ext = os.path.splitext(fn)
        if ext not in (".c", ".sh"):
            continue
        if not _NAME.match(base):
            raise CaseError(f"{fn}: a case name is lower-case words joined by '-'")
        with open(os.path.join(src_dir, fn), encoding="utf-8") as f:
            case = parse_header(f.read(), base)
        case["group"] = group_of(base)
        case["program"] = (os.path.join(bin_dir, base) if ext == ".c"
                           else os.path.join(src_dir, fn))
        cases.append(case)
    names = [c["name"] for c in cases]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise CaseError(f"cases with a .c and a .sh of the same name: {', '.join(dups)}")
    return cases


def select(cases, patterns):
    """Cases whose name matches one of the shell patterns (all without any);
    a pattern that matches nothing is an error, not an empty run."""
    if not patterns:
        return list(cases)
    out = []
    for p in patterns:
        hit = [c for c in cases if fnmatch.fnmatchcase(c["name"], p)]
        if not hit:
            raise CaseError(f"--cases {p}: no case matches (scripts/conformance --list)")
        out += [c for c in hit if c not in out]
    return [c for c in cases if c in out]


def run_order(cases, profile):
    """The cases of one boot profile, the 'last' ones at the end."""
    mine = [c for c in cases if c["boot"] == profile]
    return ([c for c in mine if c["order"] != "last"] +
            [c for c in mine if c["order"] == "last"])
