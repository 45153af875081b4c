"""A reader for the plain block YAML a CI definition is written in.

Python's standard library has no YAML reader, and the project's Python is
the standard library plus numpy/scipy/matplotlib, so tests/ci-def reads the
workflow with this one. It takes: block mappings and sequences indented by
spaces, "- key: value" items, literal block scalars (| and |-), flow
sequences of scalars ([a, "b"]), single- and double-quoted and plain
scalars, and comments. Plain scalars are typed by the YAML 1.2 core schema:
true/false, null/~, integers, else strings (so "on" is a string, as GitHub
reads it). Anything else (anchors, aliases, tags, flow mappings, folded
scalars, several documents, tabs) is refused with the line number, rather
than read differently from a real YAML parser. Where PyYAML is installed,
tests/ci-def/run compares the two readings.
"""
import re


class YamlError(ValueError):
    pass


_INT = re.compile(r"^[-+]?[0-9]+$")
_KEY = re.compile(r"^([A-Za-z0-9_.$/-][A-Za-z0-9_.$/ -]*?|\"[^\"]*\"|'[^']*'):(?:\s+(.*))?$")


def _strip_comment(s):
    """s without a trailing " # comment" outside quotes."""
    q = None
    for i, ch in enumerate(s):
        if q:
            if ch == q:
                q = None
        elif ch in "'\"" and (i == 0 or s[i - 1] in " [,:"):
            q = ch
        elif ch == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(s, ln):
    s = s.strip()
    if not s:
        return None
    if s[0] == "'":
        if len(s) < 2 or s[-1] != "'":
            raise YamlError("line %d: unterminated single-quoted string" % ln)
        return s[1:-1].replace("''", "'")
    if s[0] == '"':
        if len(s) < 2 or s[-1] != '"':
            raise YamlError("line %d: unterminated double-quoted string" % ln)
        body = s[1:-1]
        out, i = [], 0
        while i < len(body):
            ch = body[i]
            if ch == "\\":
                if i + 1 >= len(body) or body[i + 1] not in 'n"\\t':
                    raise YamlError("line %d: escape %r not supported" % (ln, body[i:i + 2]))
                out.append({"n": "\n", '"': '"', "\\": "\\", "t": "\t"}[body[i + 1]])
                i += 2
            else:
                out.append(ch)
                i += 1
        return "".join(out)
    if s[0] in "&*!{>%@`" or s.startswith("? "):
        raise YamlError("line %d: %r: anchors, aliases, tags, flow mappings and folded "
                        "scalars are not supported" % (ln, s[:20]))
    if s[0] == "[":
        if s[-1] != "]":
            raise YamlError("line %d: flow sequence must end on its line" % ln)
        inner = s[1:-1].strip()
        if not inner:
            return []
        return [_scalar(x, ln) for x in _split_flow(inner, ln)]
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if s in ("null", "Null", "NULL", "~"):
        return None
    if _INT.match(s):
        return int(s)
    if ": " in s or s.endswith(":"):
        raise YamlError("line %d: %r: a plain scalar cannot hold ': ' (quote it)" % (ln, s))
    return s


def _split_flow(inner, ln):
    parts, cur, q = [], [], None
    for ch in inner:
        if q:
            cur.append(ch)
            if ch == q:
                q = None
        elif ch in "'\"":
            q = ch
            cur.append(ch)
        elif ch == ",":
            parts.append("".join(cur))
            cur = []
        elif ch in "[]{}":
            raise YamlError("line %d: nested flow collections are not supported" % ln)
        else:
            cur.append(ch)
    if q:
        raise YamlError("line %d: unterminated string in flow sequence" % ln)
    parts.append("".join(cur))
    return parts


def loads(text):
    lines = []
    for i, raw in enumerate(text.split("\n"), 1):
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise YamlError("line %d: tab in indentation" % i)
        if raw.strip() in ("---", "..."):
            raise YamlError("line %d: document markers are not supported" % i)
        lines.append((i, raw))
    pos = [0]

    def skip_blank():
        while pos[0] < len(lines):
            _, raw = lines[pos[0]]
            if raw.strip() and not raw.lstrip().startswith("#"):
                return
            pos[0] += 1

    def indent_of(raw):
        return len(raw) - len(raw.lstrip(" "))

    def block_scalar(parent_indent, keep_final, ln):
        out = []
        ind = None
        while pos[0] < len(lines):
            _, raw = lines[pos[0]]
            if raw.strip() == "":
                out.append("")
                pos[0] += 1
                continue
            i = indent_of(raw)
            if i <= parent_indent:
                break
            if ind is None:
                ind = i
            if i < ind:
                raise YamlError("line %d: block scalar line less indented than its first"
                                % lines[pos[0]][0])
            out.append(raw[ind:])
            pos[0] += 1
        while out and out[-1] == "":
            out.pop()
        if ind is None:
            raise YamlError("line %d: empty block scalar" % ln)
        return "\n".join(out) + ("\n" if keep_final else "")

    def value_after(rest, indent, ln):
        """The value of "key:" or "- " given the rest of its line."""
        rest = _strip_comment(rest or "")
        if rest in ("|", "|-"):
            return block_scalar(indent, rest == "|", ln)
        if rest.startswith(("|", ">")):
            raise YamlError("line %d: block scalar %r not supported (use | or |-)" % (ln, rest))
        if rest:
            return _scalar(rest, ln)
        skip_blank()
        if pos[0] >= len(lines):
            return None
        _, raw = lines[pos[0]]
        i = indent_of(raw)
        if i > indent or (i == indent and raw.lstrip().startswith("- ")):
            return node(i)
        return None

    def node(indent):
        skip_blank()
        _, raw = lines[pos[0]]
        if raw.lstrip().startswith("- ") or raw.strip() == "-":
            return seq(indent)
        return mapping(indent)

    def seq(indent):
        out = []
        while True:
            skip_blank()
            if pos[0] >= len(lines):
                return out
            ln, raw = lines[pos[0]]
            i = indent_of(raw)
            if i < indent or not (raw.lstrip().startswith("- ") or raw.strip() == "-"):
                if i > indent:
                    raise YamlError("line %d: unexpected indentation" % ln)
                return out
            if i > indent:
                raise YamlError("line %d: unexpected indentation" % ln)
            rest = raw.lstrip()[2:]
            if _KEY.match(_strip_comment(rest)):
                # "- key: value": a mapping whose keys sit at indent + 2
                lines[pos[0]] = (ln, " " * (indent + 2) + rest)
                out.append(mapping(indent + 2))
            else:
                pos[0] += 1
                out.append(value_after(rest, indent, ln))

    def mapping(indent):
        out = {}
        while True:
            skip_blank()
            if pos[0] >= len(lines):
                return out
            ln, raw = lines[pos[0]]
            i = indent_of(raw)
            if i < indent:
                return out
            if i > indent:
                raise YamlError("line %d: unexpected indentation" % ln)
            if raw.lstrip().startswith("- "):
                return out
            m = _KEY.match(_strip_comment(raw.strip()))
            if not m:
                raise YamlError("line %d: expected 'key: value', got %r" % (ln, raw.strip()))
            key = _scalar(m.group(1), ln) if m.group(1)[0] in "'\"" else m.group(1)
            if key in out:
                raise YamlError("line %d: key %r given twice" % (ln, key))
            pos[0] += 1
            out[key] = value_after(m.group(2), indent, ln)

    skip_blank()
    if pos[0] >= len(lines):
        return None
    doc = node(0)
    skip_blank()
    if pos[0] < len(lines):
        raise YamlError("line %d: unexpected text after the document" % lines[pos[0]][0])
    return doc
