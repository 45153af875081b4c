"""Validate a result directory against the layout in results/README.md.

Each function returns a list of problems (strings naming the file and the
field); an empty list means valid."""
import json
import os

from fioab.fio import judge_file

STATUSES = ("ok", "skipped", "failed")
IOMMU = ("off", "lazy", "strict", "unknown")


def _type(problems, where, doc, key, types, nullable=False):
    if key not in doc:
        problems.append(f"{where}: missing '{key}'")
        return False
    v = doc[key]
    if v is None and nullable:
        return False
    if isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        problems.append(f"{where}: '{key}' is a boolean, expected {types}")
        return False
    if not isinstance(v, types):
        problems.append(f"{where}: '{key}' is {type(v).__name__}, expected "
                        f"{getattr(types, '__name__', types)}{' or null' if nullable else ''}")
        return False
    return True


def validate_meta(doc, where="meta.json"):
    p = []
    if not isinstance(doc, dict):
        return [f"{where}: not a JSON object"]
    if doc.get("schema") != 1:
        p.append(f"{where}: 'schema' is {doc.get('schema')!r}, expected 1")
    _type(p, where, doc, "name", str)
    _type(p, where, doc, "emulated", bool)
    if _type(p, where, doc, "kernel", dict):
        _type(p, where + " kernel", doc["kernel"], "release", str)
        _type(p, where + " kernel", doc["kernel"], "cmdline", str)
    if doc.get("iommu") not in IOMMU:
        p.append(f"{where}: 'iommu' is {doc.get('iommu')!r}, expected one of {IOMMU}")
    if "dmabuf_api" not in doc or doc["dmabuf_api"] not in (True, False, None):
        p.append(f"{where}: 'dmabuf_api' must be true, false or null")
    if _type(p, where, doc, "cpu", dict):
        _type(p, where + " cpu", doc["cpu"], "model", str)
        _type(p, where + " cpu", doc["cpu"], "count", int)
    _type(p, where, doc, "memory_bytes", int)
    _type(p, where, doc, "fio_version", str)
    _type(p, where, doc, "engine_version", str)
    if _type(p, where, doc, "device", dict, nullable=True):
        for k in ("model", "firmware", "lba_format", "mdts", "pci_address"):
            if k not in doc["device"]:
                p.append(f"{where} device: missing '{k}'")
    _type(p, where, doc, "matrix", str)
    _type(p, where, doc, "start", str)
    _type(p, where, doc, "end", str, nullable=True)
    _type(p, where, doc, "hostname", str)
    if "probe" not in doc:
        p.append(f"{where}: missing 'probe'")
    return p


def validate_cell(doc, where="cell.json"):
    p = []
    if not isinstance(doc, dict):
        return [f"{where}: not a JSON object"]
    _type(p, where, doc, "arm", str)
    _type(p, where, doc, "source", str, nullable=True)
    _type(p, where, doc, "pattern", str)
    for k in ("bs", "iodepth", "numjobs", "repeat", "order"):
        if _type(p, where, doc, k, int) and doc[k] < (1 if k in ("bs", "iodepth", "numjobs") else 0):
            p.append(f"{where}: '{k}' is {doc[k]}, out of range")
    if doc.get("status") not in STATUSES:
        p.append(f"{where}: 'status' is {doc.get('status')!r}, expected one of {STATUSES}")
    if doc.get("status") == "ok":
        if doc.get("reason") is not None:
            p.append(f"{where}: status ok with a reason")
    elif not (isinstance(doc.get("reason"), str) and doc["reason"]):
        p.append(f"{where}: status {doc.get('status')} needs a non-empty 'reason'")
    return p


def load_json(path):
    """Parse a JSON file, skipping notices fio may print before the document."""
    with open(path) as f:
        text = f.read()
    i = text.find("{")
    if i < 0:
        raise ValueError("no JSON object in it")
    return json.loads(text[i:])


def _text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""       # reported as missing on its own


def validate_result_dir(d):
    p = []
    try:
        meta = load_json(os.path.join(d, "meta.json"))
        p += validate_meta(meta, os.path.join(d, "meta.json"))
    except (OSError, ValueError) as e:
        p.append(f"{d}/meta.json: {e}")
    if not os.path.isfile(os.path.join(d, "matrix.ini")):
        p.append(f"{d}/matrix.ini: missing")
    runs = os.path.join(d, "runs")
    if not os.path.isdir(runs):
        return p + [f"{runs}: missing"]
    orders = {}
    for rid in sorted(os.listdir(runs)):
        rd = os.path.join(runs, rid)
        try:
            cell = load_json(os.path.join(rd, "cell.json"))
        except (OSError, ValueError) as e:
            p.append(f"{rd}/cell.json: {e}")
            continue
        p += validate_cell(cell, f"{rd}/cell.json")
        if cell.get("order") in orders:
            p.append(f"{rd}: order {cell['order']} also used by {orders[cell['order']]}")
        orders[cell.get("order")] = rid
        for f in ("job.fio", "cmdline", "stderr.log"):
            if not os.path.isfile(os.path.join(rd, f)):
                p.append(f"{rd}/{f}: missing")
        has_fio = os.path.isfile(os.path.join(rd, "fio.json"))
        if cell.get("status") == "ok":
            if not has_fio:
                p.append(f"{rd}/fio.json: missing for a cell with status ok")
            else:
                # the runner's own judgement, again: an ok cell is a good run
                why = judge_file(os.path.join(rd, "fio.json"), _text(os.path.join(rd, "stderr.log")))
                if why:
                    p.append(f"{rd}/fio.json: {why}")
        elif has_fio:
            p.append(f"{rd}/fio.json: present for a cell with status {cell.get('status')}")
    return p
