"""Change a record file's values where they are written, leaving every other line as the clerk wrote it.

`docgen import` updates records a clerk keeps by hand: an entity's new address, a department's new
inspector. Writing the whole file anew from its data would drop the clerk's comments, key order and
quoting. Here the YAML text is edited by the positions the parser gives (as `docgen migrate` and
`docgen fmt` do): a changed scalar is replaced in place, a new key goes below its mapping's last
entry, new list items below the list's last item, each indented as its neighbours. Anything else
(a value removed, a list shortened, flow style `{…}`/`[…]`, a multi-line text) is not attempted:
None, and the caller writes the file anew. The result is read back with docgen's own loader and
must give exactly the new data, else None too.
"""

from __future__ import annotations

import yaml

from docgen.records.loader import core_loader, parse_bytes
from docgen.records.yamlout import dump

_SCALARS = (str, int, float, bool, type(None))
_BOM = "\ufeff"


class _Unsupported(Exception):
    """An edit this module does not make in place."""


def same(a, b) -> bool:
    """Equal and of the same types all the way down (1, 1.0 and True are three different values)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return repr(a) == repr(b)  # -0.0 and 0.0; nan
    return a == b


def edited(blob: bytes, new: dict, display_path: str) -> bytes | None:
    """`blob` (a record file's bytes) with its values changed to `new`; None when that cannot be
    done in place (see above)."""
    try:
        text = blob.decode("utf-8")
        old, problems = parse_bytes(blob, display_path)
        if old is None or any(p.is_error for p in problems):
            return None
        if same(old.data, new):
            return blob
        bom = _BOM if text.startswith(_BOM) else ""
        text = text[len(bom):]
        if any(c in text for c in "\x85\u2028\u2029") or text.count("\r") != text.count("\r\n"):
            return None  # (other line breaks YAML knows would shift the lines counted here)
        newline = "\r\n" if "\r\n" in text else "\n"
        written = len(text)  # the text as the clerk left it (a newline may be added below)
        if not text.endswith("\n"):
            text += newline  # something may be added below the last line
        root = yaml.compose(text, Loader=core_loader())  # as docgen reads it (libyaml: a tab before a comment)
        lines = [line + "\n" for line in text.split("\n")[:-1]]
        edits: list[tuple[int, int, str]] = []  # (start, end, text) in characters of `text`
        _edit(root, old.data, new, text, lines, edits)
    except (UnicodeDecodeError, yaml.YAMLError, _Unsupported, ValueError, RecursionError):
        return None  # (a value the dumper cannot write, nested past Python's limit: written anew, or refused)
    if not edits:
        return None
    # from the end, so that the positions before stay right; of two insertions at one place, the one
    # found first (an inner list's new item) above the other (its mapping's new key)
    for _n, (start, end, replacement) in sorted(enumerate(edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True):
        text = text[:start] + replacement.replace("\n", newline) + text[end:]
    if all(start <= written for start, _end, _text in edits) and not blob.endswith(b"\n"):
        text = text[:-len(newline)]  # nothing went below the last line: it stays without a line end
    result = (bom + text).encode("utf-8")
    doc, problems = parse_bytes(result, display_path)
    if doc is None or any(p.is_error for p in problems) or not same(doc.data, new):
        return None
    return result


def _scalar(value) -> str:
    """`value` as YAML on one line, as docgen writes it (`yamlout`), never wrapped."""
    shown = dump({"k": value}, width=1 << 30)
    if not shown.startswith("k: ") or shown.count("\n") != 1:
        raise _Unsupported  # a text of several lines: written anew
    return shown[3:-1]


def _edit(node, old, new, text: str, lines: list[str], edits: list) -> None:
    if same(old, new):
        return
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and text[node.start_mark.index:][:1] in ("!", "&"):
        raise _Unsupported  # a tag or an anchor before it: its entries' column is not where it starts
    if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
        if node.flow_style or not node.value or any(k not in new for k in old):
            raise _Unsupported
        nodes = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
        for key, value in new.items():
            if key in old:
                if key not in nodes:
                    raise _Unsupported
                _edit(nodes[key], old[key], value, text, lines, edits)
        added = {k: v for k, v in new.items() if k not in old}
        if added:
            _append(node, dump(added), lines, edits)
        return
    if isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
        if node.flow_style or not node.value or len(new) < len(old) or len(node.value) != len(old):
            raise _Unsupported
        for item, was, now in zip(node.value, old, new):
            _edit(item, was, now, text, lines, edits)
        if len(new) > len(old):
            _append(node, dump(new[len(old):]), lines, edits)
        return
    if isinstance(node, yaml.ScalarNode) and isinstance(new, _SCALARS) and not isinstance(old, (dict, list)) \
            and node.style in (None, "", "'", '"') and node.start_mark.line == node.end_mark.line:
        shown = _scalar(new)
        start, end = node.start_mark.index, node.end_mark.index
        if start == end and text[start - 1:start] in (":", "-"):
            shown = " " + shown  # an empty value (`a:`, `-`): after the indicator, a space
        edits.append((start, end, shown))
        return
    raise _Unsupported


def _append(node, block: str, lines: list[str], edits: list) -> None:
    """`block` (YAML lines at column 0) below the last entry of block-style `node`, at its column."""
    last = node
    while isinstance(last, (yaml.MappingNode, yaml.SequenceNode)) and last.value and not last.flow_style:
        last = last.value[-1][1] if isinstance(last, yaml.MappingNode) else last.value[-1]
    # (a block collection ends where the next token is, past the comments below it: its last scalar does not)
    end = last.end_mark.line + (1 if last.end_mark.column > 0 else 0)  # the line after the entry's last value
    while end > 0 and not lines[end - 1].strip():
        end -= 1  # blank lines after it stay after it
    if end == 0 or end > len(lines):
        raise _Unsupported
    at = sum(len(line) for line in lines[:end])
    indent = " " * node.start_mark.column
    edits.append((at, at, "".join(indent + line + "\n" for line in block.splitlines())))
