"""Load YAML records safely, keeping the line and column of every key and value.

Only the safe subset of YAML is accepted: no Python tags, no aliases (they are how
"billion laughs" bombs work, and a record never needs them), no merge keys, no
duplicate keys. Plain scalars are read as YAML 1.2 reads them (see CORE_RESOLVERS), so an
unquoted phone number such as 13800000000 is a number here as in every other tool; those that
are not text keep their source text, for the schema check to show the quoted fix.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from docgen.records.problems import Problem

# PyYAML is imported when a file is actually parsed: a build whose records all come from the
# cache (see docgen.cache) never needs it.

MAX_RECORD_BYTES = 1_000_000
MAX_DEPTH = 64  # records nest four or five levels; deeper is a mistake or an attack
DEPTH_MESSAGE = f"嵌套层数过多：列表和字段最多嵌套 {MAX_DEPTH} 层，记录不需要这么深的结构（请检查是否有多余的“[”“{{”或缩进）"

Path = tuple  # a path of keys and indexes into a record, e.g. ("dates", "visit")

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"

# Plain (unquoted) scalars are read as YAML 1.2 reads them: as ruamel.yaml does, which
# check-jsonschema uses, and as the editor's YAML language server does. So `yes` and `on` are
# text, while 13800000000, 001 and 1e5 are numbers: a record docgen accepts is one the other
# tools accept too. (PyYAML alone would read YAML 1.1.) Dates stay text, as check-jsonschema
# keeps them. The patterns are ruamel.yaml's for YAML 1.2.
CORE_RESOLVERS = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    ("tag:yaml.org,2002:float", re.compile(r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", re.X), "-+0123456789."),
    ("tag:yaml.org,2002:int", re.compile(r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""", re.X), "-+0123456789"),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), "<"),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
]


def plain_tag(value: str) -> str:
    """The tag YAML 1.2 gives `value` written without quotes ("…:str" when it stays text)."""
    first = value[:1]
    for tag, pattern, starts in CORE_RESOLVERS:
        if (first in starts or (tag.endswith("null") and not value)) and pattern.match(value):
            return tag
    return _STR


def core_value(tag: str, text: str) -> Any:
    """A YAML 1.2 null, bool, int or float from its text, as ruamel.yaml constructs it."""
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    digits = text.replace("_", "")
    if tag.endswith(":int"):
        sign = -1 if digits.startswith("-") else 1
        digits = digits.lstrip("+-")
        base = next((base for prefix, base in (("0b", 2), ("0x", 16), ("0o", 8)) if digits.startswith(prefix)), 10)
        value = int(digits[2:] if base != 10 else digits, base)  # (a decimal past 4,300 digits raises here)
        if value.bit_length() > 13_000:  # about 3,900 decimal digits: kept as text, as Python would refuse to print it
            raise ValueError(text)
        return sign * value
    lowered = digits.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(digits)


@functools.cache
def core_loader(pure: bool = False):
    """PyYAML's safe loader resolving plain scalars by YAML 1.2 (`CORE_RESOLVERS`): libyaml's,
    several times faster, unless `pure` (whose marks count characters, for editing the text)."""
    import yaml

    base = yaml.SafeLoader if pure else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = type("CoreLoader", (base,), {"yaml_implicit_resolvers": {}})
    for tag, pattern, starts in CORE_RESOLVERS:
        loader.add_implicit_resolver(tag, pattern, list(starts) + ([""] if tag.endswith("null") else []))
    return loader


NOWHERE = MappingProxyType({})  # the maps of a document without positions: one, shared, read-only


def _nowhere():
    return NOWHERE


@dataclass(slots=True)
class Document:
    """Parsed YAML data plus where each part of it stands in the source file.

    A county's archive holds 100,000 records for a whole run: positions are kept only while a
    file's own checks run (`forget_positions`), and found again by `reparse` when a rule asks."""

    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=_nowhere)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=_nowhere)
    raw: dict[Path, str] = field(default_factory=_nowhere)
    reparse: Any = None  # for a document without positions: parses the text again when a position is asked
    memo: dict | None = None  # what was worked out from the file before, kept in the record cache
    noted: Any = None  # called after something is added to `memo`
    # (path, is_key) -> [(character, line, column)] for scalars holding characters `textcheck` judges
    odd: dict = field(default_factory=_nowhere)

    def forget_positions(self, reparse) -> None:
        """Drop the maps of positions (most of a parsed record's memory); `reparse()` gives them back."""
        self.marks = self.key_marks = self.raw = self.odd = NOWHERE
        self.reparse = reparse

    def source_text(self, path: Path) -> str | None:
        """The source text of the scalar at `path` when YAML did not read it as text (`raw`)."""
        self._found()
        return self.raw.get(tuple(path))

    def remembered(self, token: str, make, valid=lambda value: True):
        """`make()`, or what it gave for this file before (see `RecordCache.attach`)."""
        if self.memo is not None:
            found = self.memo.get(token)
            if found is not None and valid(found):
                return found
        value = make()
        if self.memo is not None:
            self.memo[token] = value
            if self.noted is not None:
                self.noted()
        return value

    def position(self, path: Path, key: bool = False) -> tuple[int, int]:
        """Line and column of `path`, or of its nearest existing parent.

        A document from the cache has no marks; rather than parsing its file again for every
        warning in every build, a position once found is remembered beside the cached data."""
        if self.memo is None:
            return self._position(path, key)
        import json

        token = ("key " if key else "") + json.dumps(list(path), ensure_ascii=False)
        line, column = self.remembered(token, lambda: list(self._position(path, key)),
                                       lambda v: isinstance(v, list) and len(v) == 2
                                       and all(isinstance(n, int) for n in v))
        return line, column

    def _found(self) -> None:
        if self.reparse is not None:
            fresh, self.reparse = self.reparse(), None
            if fresh is not None:
                self.marks, self.key_marks, self.raw = fresh.marks, fresh.key_marks, fresh.raw

    def _position(self, path: Path, key: bool = False) -> tuple[int, int]:
        self._found()
        path = tuple(path)
        if key and path in self.key_marks:
            return self.key_marks[path]
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))


class YamlProblem(Exception):
    def __init__(self, line: int, column: int, message: str):
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# " #" right after a plain value, the comment's text starting at once (“立即整改 #3号楼另行整改”): YAML reads it
# as a comment, so it is printed nowhere; a deliberate comment is written "# 说明", with a space
_COMMENT_AFTER = re.compile(r"[ \t]+(#[^\s#])")
COMMENT_AFTER_VALUE = ("“ #”后面的文字被当作注释，不会印入文书：如果它是值的一部分，请用引号把整个值括起来"
                       "（如 意见: '立即整改 #3号楼另行整改'），或去掉“#”前的空格")


class _Builder:
    def __init__(self, text: str = "") -> None:
        import yaml

        from docgen.records.textcheck import NOTABLE_RE

        self.yaml = yaml
        self.text = text
        self.notable = NOTABLE_RE.search
        # else no scalar holds such a character (one may be written as an escape: "\x07")
        self.odd_text = self.notable(text) is not None or "\\" in text
        self.doc = Document(None, {}, {}, {}, odd={})
        self.seen: set[int] = set()
        self.problems: list[tuple] = []  # (line, column, message[, severity])
        self.hashes = "#" in text

    def note(self, node, value: str, path: Path, key: bool) -> None:
        """Remember where the characters `textcheck` judges stand, while the node is at hand."""
        if self.odd_text and self.notable(value):
            self.doc.odd[(path, key)] = _locate(self.text, node, value)

    def build(self, node, path: Path) -> Any:
        yaml = self.yaml
        if len(path) > MAX_DEPTH:
            raise YamlProblem(*_mark(node), DEPTH_MESSAGE)
        if id(node) in self.seen:
            raise YamlProblem(*_mark(node), "记录中不允许使用 YAML 锚点和别名（& 与 *），请直接写出内容")
        self.seen.add(id(node))
        self.doc.marks[path] = _mark(node)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in (_MAP, _SEQ):
            raise YamlProblem(*_mark(node), f"不支持的 YAML 标签 {node.tag}（记录只能包含普通的文字、数字、列表和字段）")
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise YamlProblem(*_mark(key_node), "字段名必须是简单的文字")
                key = sys.intern(key_node.value)  # the same few keys in 100,000 records: stored once
                self.note(key_node, key, path + (key,), True)
                if key == "<<" and key_node.tag != _STR:
                    raise YamlProblem(*_mark(key_node), "记录中不允许使用合并键“<<”，请直接写出内容")
                if key in result:
                    shown = self.notable(key) and repr(key)[1:-1] or key  # no control character reaches a terminal
                    self.problems.append((*_mark(key_node), f"字段「{shown}」重复出现，只能写一次"))
                    continue
                self.doc.key_marks[path + (key,)] = _mark(key_node)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node, path: Path) -> Any:
        tag = node.tag
        if tag == _STR:
            self.note(node, node.value, path, False)
            if not node.style and self.hashes:  # plain text: what follows " #" on its line is a comment
                found = _COMMENT_AFTER.match(self.text, node.end_mark.index)
                if found:
                    self.problems.append((node.end_mark.line + 1, node.end_mark.column + found.start(1) -
                                          node.end_mark.index + 1, COMMENT_AFTER_VALUE, "warning"))
            return node.value
        self.doc.raw[path] = node.value
        if tag == _TIMESTAMP:
            return node.value
        if tag in _SCALAR_TAGS:
            try:
                return core_value(tag, node.value)
            except ValueError:  # an explicit tag on text that is not one (`!!int abc`)
                return node.value
        raise YamlProblem(*_mark(node), f"不支持的 YAML 标签 {tag}（记录只能包含普通的文字、数字、列表和字段）")


# YAML double-quoted escapes: what each stands for (\x, \u, \U take 2, 4, 8 hex digits)
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
            "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
            "L": "\u2028", "P": "\u2029"}
_HEX = {"x": 2, "u": 4, "U": 8}


def _locate(text: str, node, value: str) -> list[tuple[str, int, int]]:
    """(character, line, column) of each character of `value` that `textcheck` judges, found in the
    source of `node`: written as such, or as an escape in a double-quoted scalar (then the position
    is that of its backslash)."""
    from docgen.records.textcheck import NOTABLE_RE, line_column

    start, end = node.start_mark.index, node.end_mark.index
    found = []
    if text[start:end].find("\\") >= 0 and node.style == '"':
        i = start
        while i < end:
            char, width = text[i], 1
            if char == "\\" and i + 1 < end:
                code = text[i + 1]
                if code in _HEX:
                    width = 2 + _HEX[code]
                    try:
                        char = chr(int(text[i + 2:i + width], 16))
                    except ValueError:
                        char = ""
                else:
                    char, width = _ESCAPES.get(code, ""), 2
            if char and NOTABLE_RE.match(char):
                found.append((char, *line_column(text, i)))
            i += width
    else:
        for match in NOTABLE_RE.finditer(text, start, end):
            found.append((match.group(), *line_column(text, match.start())))
    if not found:  # not where expected (should not happen): at least the value's own position
        found = [(match.group(), *_mark(node)) for match in NOTABLE_RE.finditer(value)]
    return found


def parse_yaml(text: str, display_path: str) -> tuple[Document | None, list[Problem]]:
    """Parse one YAML document into a `Document`; syntax errors become Problems."""
    import yaml

    from docgen.records.textcheck import literal_problems

    literal = literal_problems(text)
    if literal:  # the YAML reader refuses most of them too, but only the first and not always where it is
        return None, [Problem(display_path, line, column, message) for line, column, message in literal]
    loader = core_loader()  # libyaml, resolving plain scalars by YAML 1.2
    builder = _Builder(text)
    try:
        node = yaml.compose(text, Loader=loader)
        if node is None:
            return None, [Problem(display_path, 1, 1, "文件是空的，没有任何内容")]
        builder.doc.data = builder.build(node, ())
    except YamlProblem as exc:
        return None, [Problem(display_path, exc.line, exc.column, exc.message)]
    except (yaml.YAMLError, RecursionError) as exc:
        from docgen.records.yamlerrors import explain

        return None, [Problem(display_path, *explain(exc, text))]
    problems = [Problem(display_path, *found) for found in builder.problems]
    return builder.doc, problems


_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`\\ ")  # indicators: anything starting so goes the slow way
_ODD = re.compile("[\t\r\ufeff]|" + "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff"
                  "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def fast_mapping(text: str) -> dict | None:
    """The record in `text` when it is written in the plain form of a roster file — `key: value`
    lines, values plain or in single quotes, one level of nested `key:` blocks indented by two
    spaces, whole-line comments — exactly as the positioned loader (`parse_yaml`) reads it;
    None for anything else (the caller then uses that loader). Plain values are resolved by YAML 1.2
    as the loader resolves them (`plain_tag`, `core_value`)."""
    if _ODD.search(text):
        return None  # tabs, CR, BOM, control and bidi characters: for the loader and textcheck
    result: dict = {}
    nested: dict | None = None  # the block a `key:` line opened, while its indented lines follow
    opened = False  # a block was opened by the previous key line and has no line yet
    for line in text.split("\n"):
        if not line or line[0] == "#":
            continue
        if line[0] == " ":
            stripped = line.lstrip(" ")
            if not stripped or stripped[0] == "#":
                continue
            if nested is None or len(line) - len(stripped) != 2:
                return None
            target, opened = nested, False
        else:
            if opened:
                return None  # `key:` with nothing under it: null, or a list; the loader decides
            stripped, target, nested = line, result, None
        key, colon, raw = stripped.partition(":")
        if not colon or not (key.isascii() and key.isidentifier()) or key in target:
            return None  # not a plain key, or a repeated one (an error the loader reports)
        key = sys.intern(key)
        if raw and raw[0] != " ":
            return None
        raw = raw.strip(" ")
        if not raw:
            if target is result:
                nested = target[key] = {}
                opened = True
            else:
                target[key] = None
            continue
        first = raw[0]
        if first == "'":
            if raw[-1] != "'" or len(raw) < 2 or "'" in raw[1:-1].replace("''", ""):
                return None
            target[key] = raw[1:-1].replace("''", "'")
            continue
        if first in _PLAIN_START or ": " in raw or " #" in raw or raw[-1] == ":":
            return None
        if first in _RESOLVED:
            value = _resolve(raw)
            if value is _REFUSED:
                return None
            target[key] = value
        else:
            target[key] = raw  # text: no YAML 1.2 resolver starts with this character
    if opened or not result:
        return None
    return result


_RESOLVED = frozenset("tTfF-+0123456789.~nN<")  # first characters of `loader.CORE_RESOLVERS` patterns
_REFUSED = object()


def _resolve(raw: str):
    """A plain value as the positioned loader reads it (`_Builder.scalar`)."""
    tag = plain_tag(raw)
    if tag == _STR:
        return raw
    if tag not in _SCALAR_TAGS:
        return _REFUSED  # a merge key
    try:
        return core_value(tag, raw)
    except ValueError:
        return raw


def read_limited(path: str, display_path: str) -> tuple[bytes | None, list[Problem]]:
    """The bytes of a record file, refusing files too large to be a record.

    Only a regular file is read: a FIFO, socket or device put where a record is expected would
    block the read (or never end). The archive's walk skips them already; opening without
    blocking and checking what was opened also covers one swapped in since."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return None, [Problem(display_path, 1, 1, f"无法读取文件：{exc.strerror or exc}")]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(display_path, 1, 1, "这不是普通文件（可能是管道、套接字或设备），不能作为记录读取")]
        if info.st_size > MAX_RECORD_BYTES:
            return None, [Problem(display_path, 1, 1,
                                  f"文件过大（{info.st_size / 1e6:.1f} MB），一条记录最多 {MAX_RECORD_BYTES // 1000} KB，请检查是否放错了文件")]
        chunks, left = [], MAX_RECORD_BYTES + 1  # os.read, not a file object: 100,000 files in a cold run
        while left > 0:
            chunk = os.read(fd, min(left, info.st_size + 1))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        blob = b"".join(chunks) if len(chunks) != 1 else chunks[0]
    except OSError as exc:
        return None, [Problem(display_path, 1, 1, f"无法读取文件：{exc.strerror or exc}")]
    finally:
        os.close(fd)
    if len(blob) > MAX_RECORD_BYTES:
        return None, [Problem(display_path, 1, 1, f"文件过大，一条记录最多 {MAX_RECORD_BYTES // 1000} KB")]
    return blob, []


def parse_bytes(blob: bytes, display_path: str) -> tuple[Document | None, list[Problem]]:
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        before = blob[blob.rfind(b"\n", 0, exc.start) + 1: exc.start]
        column = len(before.decode("utf-8", "replace")) + 1
        return None, [Problem(display_path, line, column, "文件不是 UTF-8 编码，请在编辑器中另存为 UTF-8")]
    return parse_yaml(text, display_path)


def read_yaml_file(path: str, display_path: str) -> tuple[Document | None, list[Problem]]:
    """Read a record file with a size limit, then parse it."""
    blob, problems = read_limited(path, display_path)
    if blob is None:
        return None, problems
    return parse_bytes(blob, display_path)


def positioned(path: str, display_path: str) -> Document | None:
    """The file parsed again with its positions (`Document.reparse` of a record loaded without them)."""
    return read_yaml_file(path, display_path)[0]
