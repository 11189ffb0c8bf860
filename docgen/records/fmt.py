"""`docgen fmt`: rewrite records in their canonical form, where no YAML reader can misread text.

A value the schema wants as text but written without quotes may be read as a number, a yes/no
or a time: 13800000000 and 001 by every YAML 1.2 reader (docgen, the editor, check-jsonschema),
`yes`, `on` and 9:30 by YAML 1.1 readers (PyYAML, older editors). Such values are quoted in
place, token by token at the parser's positions, so comments, key order, spacing and every
other byte of the file stay as the clerk wrote them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from docgen.records.archive import KIND_FOLDERS, Archive, display
from docgen.records.tree import is_record_file, outside_archive
from docgen.records.loader import core_loader, plain_tag, read_limited
from docgen.records.problems import DocgenError, Problem
from docgen.writer import write_atomic

_STR = "tag:yaml.org,2002:str"
_MISREAD_11 = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def misread(text: str) -> bool:
    """Whether `text`, written without quotes, is read as something other than text by YAML 1.2,
    or as a number or yes/no by YAML 1.1 (dates are left alone: every tool here keeps them as text)."""
    import yaml

    if not text:
        return False
    tag12 = plain_tag(text)
    if tag12 != _STR:
        return not tag12.endswith(":null")  # ~ and null in a text field: the clerk's intent is unclear
    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False)) in _MISREAD_11


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _wants_text(schema: dict) -> bool:
    wanted = schema.get("type")
    return wanted == "string" or (isinstance(wanted, list) and "string" in wanted)


def _edits(node, schema: dict, source: str, found: list[tuple[int, int, str]]) -> None:
    """(start, end, replacement) for every plain scalar under `node` that must be quoted."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key_node, value_node in node.value:
            sub = props.get(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            if sub is None and isinstance(extra, dict):
                sub = extra
            if isinstance(sub, dict):
                _edits(value_node, sub, source, found)
    elif isinstance(node, yaml.SequenceNode):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in node.value:
                _edits(item, items, source, found)
    elif isinstance(node, yaml.ScalarNode) and node.style is None and _wants_text(schema):
        start, end = node.start_mark.index, node.end_mark.index
        if source[start:end] == node.value and misread(node.value):  # one plain token, as written
            found.append((start, end, quote(node.value)))


def formatted(source: str, schema: dict) -> str:
    """`source` with every misreadable text value quoted; raises yaml.YAMLError on bad YAML."""
    import yaml

    root = yaml.compose(source, Loader=core_loader(pure=True))
    found: list[tuple[int, int, str]] = []
    if root is not None:
        _edits(root, schema, source, found)
    for start, end, replacement in sorted(found, reverse=True):
        source = source[:start] + replacement + source[end:]
    return source


def kind_of(path: str) -> tuple[str, str] | None:
    """(record kind, records folder) of a record file, from the folder it sits in."""
    folder = os.path.dirname(os.path.abspath(path))
    for _ in range(3):  # records/<kind>/file or records/inspections/<plan>/file
        if os.path.basename(folder) in KIND_FOLDERS:
            return KIND_FOLDERS[os.path.basename(folder)], os.path.dirname(folder)
        folder = os.path.dirname(folder)
    return None


@dataclass
class FmtReport:
    changed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0


def _files(paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        if os.path.isdir(path):
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(os.path.join(dirpath, n) for n in sorted(filenames) if is_record_file(n))
        elif os.path.isfile(path):
            found.append(path)
        else:
            raise DocgenError(f"找不到 {path}")
    return found


def fmt(paths: list[str], check_only: bool = False) -> FmtReport:
    """Format the record files under `paths`; with `check_only`, only say which would change."""
    import yaml

    from docgen.records.schema import Schemas

    report = FmtReport()
    schemas: dict[str, Schemas] = {}
    for path in _files(paths):
        shown = display(os.path.abspath(path))
        located = kind_of(path)
        if located is None:
            report.problems.append(Problem(shown, 1, 1, "不在 records/ 的记录目录（plans、entities……）中，无法确定记录类型，未整理"))
            continue
        kind, records_dir = located
        if outside_archive(path, records_dir):
            report.problems.append(Problem(shown, 1, 1, "这是（或位于）指向档案之外的符号链接，docgen 不读取也不改写档案之外"
                                                        "的文件，未整理"))
            continue
        if records_dir not in schemas:
            schemas[records_dir] = Schemas(Archive(records_dir).schemas_dir)
        schema = schemas[records_dir].inlined.get(kind)
        blob, problems = read_limited(path, shown)
        if blob is None:
            report.problems.extend(problems)
            continue
        try:
            bom = blob.startswith(b"\xef\xbb\xbf")
            source = blob.decode("utf-8-sig")
            result = formatted(source, schema or {})
        except UnicodeDecodeError:
            report.problems.append(Problem(shown, 1, 1, "文件不是 UTF-8 编码，未整理"))
            continue
        except yaml.YAMLError as exc:  # said as `validate` says it, where it is
            from docgen.records.yamlerrors import explain

            line, column, message = explain(exc, source)
            report.problems.append(Problem(shown, line, column, f"{message}（此文件未整理）"))
            continue
        except RecursionError:
            report.problems.append(Problem(shown, 1, 1, "嵌套层次过深，不像一条记录（docgen validate 会指出位置），未整理"))
            continue
        report.checked += 1
        if result != source:
            report.changed.append(shown)
            if not check_only:
                write_atomic(path, (b"\xef\xbb\xbf" if bom else b"") + result.encode("utf-8"))
    return report
