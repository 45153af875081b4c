"""Read JSON documents (fio's output, the runner's cell.json and meta.json).

Everything that is wrong with an input raises LoadError naming the file and
the problem. No numpy here: tests/fio-check and the matrix runner import it
(through fioab.fio) on every fio run.
"""
import json


class LoadError(Exception):
    """A result file is missing, truncated, malformed or not what it claims."""

    def __init__(self, path, problem):
        super().__init__("%s: %s" % (path, problem))
        self.path = path
        self.problem = problem


def read_text(path, what):
    """The file's text; `what` names what it should hold, for the messages."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise LoadError(path, "missing (%s expected here)" % what)
    except OSError as e:
        raise LoadError(path, "cannot read: %s" % e.strerror)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LoadError(path, "not UTF-8 text (byte %d): not a %s" % (e.start, what))
    if not text.strip():
        raise LoadError(path, "empty file (expected %s)" % what)
    return text


def preamble(text):
    """The lines of text before the JSON document (see _split_preamble)."""
    return _split_preamble(text)[0]


def _split_preamble(text):
    """fio writes some warnings ("fio: ...") into the --output file before
    the JSON document. Return (preamble lines, offset of the document)."""
    if text.lstrip().startswith(("{", "[")):
        return [], 0
    pos = 0
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith(("{", "[")):
            return lines, pos
        lines.append(line.rstrip("\n"))
        pos += len(line)
    return lines, None


def parse_json(path, text, what, warnings=None):
    """Parse `text` (read from `path`) as one JSON document; leading text
    lines are allowed (and reported in `warnings`) only when a warnings list
    is passed."""
    dec = json.JSONDecoder()
    pre, start = _split_preamble(text)
    if pre:
        if start is None:
            raise LoadError(path, "no JSON document in the file (line 1: %r); not a %s"
                            % (pre[0][:80], what))
        if warnings is None:
            raise LoadError(path, "text before the JSON document (line 1: %r)" % pre[0][:80])
        warnings.append("%s: %d line(s) of text before the JSON (fio warnings?), "
                        "e.g. %r" % (path, len(pre), pre[0][:120]))
        text = text[start:]
    try:
        doc, end = dec.raw_decode(text)
    except json.JSONDecodeError as e:
        # a document cut short fails at (or right before) the end of the text
        if e.pos >= len(text.rstrip()) - 1:
            raise LoadError(path, "truncated JSON: the %s ends early (line %d, "
                            "column %d: %s)" % (what, e.lineno, e.colno, e.msg))
        raise LoadError(path, "malformed JSON at line %d, column %d: %s"
                        % (e.lineno, e.colno, e.msg))
    rest = text[end:].strip()
    if rest:
        raise LoadError(path, "extra data after the JSON document (%d more "
                        "characters; concatenated --status-interval dumps?)" % len(rest))
    return doc


def load_json(path, what, warnings=None):
    """Parse one JSON file; leading text lines are allowed (and reported in
    `warnings`) only when a warnings list is passed."""
    return parse_json(path, read_text(path, what), what, warnings)


def need(path, obj, key, types, where):
    """obj[key], which must be of `types` (a bool is never a number)."""
    if not isinstance(obj, dict) or key not in obj:
        raise LoadError(path, "%s has no '%s'" % (where, key))
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, types):
        raise LoadError(path, "%s '%s' is %r, expected %s"
                        % (where, key, v, "/".join(t.__name__ for t in
                                                   (types if isinstance(types, tuple) else (types,)))))
    return v
