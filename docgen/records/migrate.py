"""`docgen migrate`: rewrite inspection records of the old shape (one result for all departments)
into the new one (each department's own part under `departments`), and move plans' free-text
check items into each department's 抽查事项清单 (records/items/<department>.yaml), the plans
then choosing them by id.

The YAML text is edited in place, by the positions the parser gives: the old keys' lines are
taken out and the `departments` block goes where `items` was, so every other line — comments,
unknown fields, key order, quoting — stays as the clerk wrote it. Comment lines inside a removed
block are kept above the new block.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field

import yaml

from docgen.records import results
from docgen.records.loader import core_loader, parse_yaml, read_limited
from docgen.records.tree import outside_archive, refuse_outside
from docgen.records.yamlout import dump


def convert(data: dict) -> dict:
    """The `departments` mapping of an old-shape record's values: each department gets its own
    items, the completion, entry and disclosure dates, and the joint result — except that a
    department whose items all say 未发现问题 gets 未发现问题 when the joint result says a problem
    was found (the problem was another department's)."""
    dates = data.get("dates") if isinstance(data.get("dates"), dict) else {}
    old_items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    order: list[str] = []
    for dep in list((data.get("inspectors") or {}) if isinstance(data.get("inspectors"), dict) else []) + \
            [i.get("department") for i in old_items]:
        if isinstance(dep, str) and dep not in order:
            order.append(dep)
    result = data.get("result")
    departments: dict[str, dict] = {}
    for dep in order:
        part: dict = {}
        own = [{k: v for k, v in i.items() if k != "department"} for i in old_items if i.get("department") == dep]
        if own:
            part["items"] = own
        if isinstance(result, str):
            # (an item without a finding says nothing: the joint result stays, nothing is lost)
            clean = own and all(str(i.get("finding") or "").strip() in (results.NO_PROBLEM, "无") for i in own)
            part["results"] = [results.NO_PROBLEM if result in results.PROBLEMS and clean else result]
        for key in results.OLD_DATE_KEYS:
            if dates.get(key) is not None:
                part[key] = dates[key]
        if part:
            departments[dep] = part
    # an item of a department that took no part (an error either way) is carried over, not lost
    return departments


def _unconvertible(data: dict) -> str | None:
    """What in an old-shape record `convert` could not carry over whole (nothing may be lost)."""
    items = data.get("items")
    if items is not None and not isinstance(items, list):
        return "「检查事项」（items）不是列表"
    for n, item in enumerate(items or [], 1):
        if not isinstance(item, dict):
            return f"第 {n} 项检查事项不是“字段: 值”的形式"
        department = item.get("department")
        if not isinstance(department, str) or not department.strip():
            return f"第 {n} 项检查事项没有写明一个部门（department）"
    result = data.get("result")
    if result is not None and not isinstance(result, str):
        return "「抽查结果」（result）不是一项文字"
    return None


@dataclass
class Change:
    path: str
    before: str
    after: str
    notes: list[str] = field(default_factory=list)
    new: bool = False  # a file to create (never over one that appears meanwhile)

    def diff(self, shown_path: str) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(True), self.after.splitlines(True),
                                            f"a/{shown_path}", f"b/{shown_path}"))


def _span(key, value, lines: list[str]) -> tuple[int, int]:
    """[first, end) line numbers (0-based) of a block-style key and its value."""
    first = key.start_mark.line
    end = value.end_mark.line + (1 if value.end_mark.column > 0 else 0)
    end = max(end, first + 1)
    while end > first + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block stay
    return first, end


def _trailing_comments(text: str) -> set[int]:
    """Lines (0-based) that end in a comment after their YAML content: what follows the line's last
    token is "# …" (a `#` inside a quoted or block text is part of a token, so never taken)."""
    ends: dict[int, int] = {}
    covered: set[int] = set()
    for token in yaml.scan(text, Loader=core_loader()):
        start, end = token.start_mark, token.end_mark
        if end.line > start.line:
            covered.update(range(start.line, end.line))  # inside a text of several lines
        ends[end.line] = max(ends.get(end.line, 0), end.column)
    lines = text.split("\n")
    return {n for n, column in ends.items() if n not in covered and n < len(lines)
            and lines[n][column:].strip().startswith("#")}


def rewrite(text: str) -> tuple[str, list[str]] | None:
    """The new text of an old-shape record, or None when it has nothing to migrate."""
    doc, problems = parse_yaml(text, "record")  # as docgen reads it (YAML 1.2: 2023-11-07 is text)
    if doc is None:
        raise ValueError(f"{problems[0].message}（第 {problems[0].line} 行第 {problems[0].column} 列）" if problems
                         else "无法读取")
    root = yaml.compose(text, Loader=core_loader())
    if not isinstance(root, yaml.MappingNode):
        return None
    data = doc.data
    if not isinstance(data, dict) or not results.is_old_shape(data):
        return None
    if "departments" in data:
        raise ValueError("已有 departments，又有旧格式字段：请手工合并后再运行")
    why = _unconvertible(data)
    if why:
        raise ValueError(why + "：docgen 不会丢弃它，请先改正（docgen validate 会指出位置）后再运行")
    lines = text.splitlines(True)
    newline = "\r\n" if "\r\n" in text else "\n"  # the file's own line ends for the lines written
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += newline
    remove: list[tuple[int, int]] = []
    insert_at = None
    flow = root.flow_style
    for key, value in root.value:
        if key.value in results.OLD_TOP_KEYS:
            flow = flow or (isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and value.flow_style
                            and value.start_mark.line != value.end_mark.line)
            span = _span(key, value, lines)
            remove.append(span)
            if key.value == "items" or insert_at is None:
                insert_at = span[0]  # where items were, else where result was
        elif key.value == "dates" and isinstance(value, yaml.MappingNode):
            if value.flow_style:
                flow = True
                continue
            old = [(k, v) for k, v in value.value if k.value in results.OLD_DATE_KEYS]
            if old and len(old) == len(value.value):
                remove.append(_span(key, value, lines))
            else:
                remove += [_span(k, v, lines) for k, v in old]
    if flow:
        raise ValueError("记录用了流式写法（{…} 或 […]），无法逐行改写：请改成分行写法后再运行")
    gone = set()
    kept_comments = []
    trailing = _trailing_comments(text)
    for first, end in remove:
        for n in range(first, end):
            if n not in gone and lines[n].lstrip().startswith("#"):
                kept_comments.append(lines[n].strip() + "\n")
            elif n not in gone and n in trailing:  # a comment after a value: kept with the line it was on
                kept_comments.append(f"# 原记录：{lines[n].strip()}\n")
            gone.add(n)
    departments = convert(data)
    block = (dump({"departments": departments}) if departments else "").replace("\n", newline)
    kept_comments = [line.replace("\n", newline) for line in kept_comments]
    if insert_at is None:
        insert_at = len(lines)
        while insert_at > 0 and insert_at - 1 in gone:
            insert_at -= 1
    out = []
    for n, line in enumerate(lines + [""]):
        if n == insert_at:
            out += kept_comments
            out.append(block)
        if n < len(lines) and n not in gone:
            out.append(line)
    notes = []
    for dep, part in departments.items():
        if part.get("disclosed"):
            notes.append(f"{dep}：结果已公示，请补填经办领导的审核批准（approval）")
    return "".join(out), notes


ITEM_LIST_NOTE = ("由 docgen migrate 从计划中的抽查事项生成。请补填各事项的检查依据（basis）、检查方式（methods）、"
                  "比例或频次（frequency）和所需资格（qualification），并核对一般 / 重点（level）。")


class _Unreadable(Exception):
    """A file migrate does not read (a link out of the archive, a FIFO, too large): why, in Chinese."""


def _load(path: str, records_dir: str) -> str:
    """A record file's text, read as the check reads it: never through a link out of the archive,
    never a FIFO (`read_limited`)."""
    if outside_archive(path, records_dir):
        raise _Unreadable("这是（或位于）指向档案之外的符号链接，docgen 不读取档案之外的文件")
    blob, unread = read_limited(path, path)
    if blob is None:
        raise _Unreadable(unread[0].message if unread else "无法读取")
    return blob.decode("utf-8")


_UNREADABLE = (OSError, UnicodeDecodeError, yaml.YAMLError, _Unreadable, RecursionError)


def _why(exc: BaseException) -> str:
    """Why a file could not be read or parsed, in the clerk's words."""
    if isinstance(exc, _Unreadable):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "文件不是 UTF-8 编码"
    if isinstance(exc, yaml.YAMLError):
        return "YAML 格式有误，docgen validate 会指出位置"
    if isinstance(exc, RecursionError):
        return "嵌套层次过深，不像一条记录"
    return exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)


def _yaml_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder))
            if n.endswith((".yaml", ".yml")) and not n.startswith(".")]


def item_changes(records_dir: str) -> tuple[list[Change], list[str]]:
    """Plans whose departments' items are free text, rewritten to choose them by id from the
    departments' lists; the lists that do not exist yet are created from those items (first
    plan first, each name once). An existing list is never rewritten: an item it lacks is
    reported, for the clerk to add."""
    from docgen.records.yamlout import record_path, record_text

    changes: list[Change] = []
    problems: list[str] = []
    lists: dict[str, dict[str, str]] = {}  # department -> name -> id, of the existing lists
    ids: dict[str, set] = {}
    for path in _yaml_files(os.path.join(records_dir, "items")):
        try:
            data = yaml.safe_load(_load(path, records_dir))
        except _UNREADABLE as exc:
            problems.append(f"{path}：无法读取（{_why(exc)}），该部门计划中的事项未转换")
            lists[os.path.splitext(os.path.basename(path))[0]] = {}
            continue
        dep = data.get("id") if isinstance(data, dict) else None
        dep = dep if isinstance(dep, str) else os.path.splitext(os.path.basename(path))[0]
        entries = [i for i in (data.get("items") or [] if isinstance(data, dict) else []) if isinstance(i, dict)]
        lists[dep] = {str(i.get("name")): str(i.get("id")) for i in entries}
        ids[dep] = {str(i.get("id")) for i in entries}
    created: dict[str, list[dict]] = {}
    for path in _yaml_files(os.path.join(records_dir, "plans")):
        try:
            text = _load(path, records_dir)
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except _UNREADABLE as exc:
            problems.append(f"{path}：无法转换（{_why(exc)}）")
            continue
        if not isinstance(root, yaml.MappingNode):
            continue
        top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
        entries = top.get("departments")
        if not isinstance(entries, yaml.SequenceNode):
            continue
        edits: list[tuple[int, int, str]] = []
        for entry in entries.value:
            if not isinstance(entry, yaml.MappingNode):
                continue
            fields = {k.value: v for k, v in entry.value if isinstance(k, yaml.ScalarNode)}
            dep_node, items = fields.get("department"), fields.get("items")
            if not isinstance(dep_node, yaml.ScalarNode) or not isinstance(items, yaml.SequenceNode):
                continue
            dep = dep_node.value
            qualification = fields.get("qualification").value \
                if isinstance(fields.get("qualification"), yaml.ScalarNode) else None
            for node in items.value:
                if not isinstance(node, yaml.ScalarNode):
                    continue
                name = node.value
                if dep in lists:
                    if name in ids.get(dep, ()):
                        continue  # chosen by id already
                    if name in lists[dep]:
                        edits.append((node.start_mark.index, node.end_mark.index, lists[dep][name]))
                    elif dep in ids:
                        problems.append(f"{path}：部门“{dep}”的事项“{name}”不在已有的抽查事项清单 "
                                        f"{record_path(records_dir, 'items', dep)} 中：请先把它加入清单，再运行 docgen migrate")
                    continue
                made = created.setdefault(dep, [])
                found = next((i for i in made if i["name"] == name), None)
                if found is None:
                    found = {"id": f"{dep}-sx-{len(made) + 1}", "name": name, "level": "一般"}
                    if qualification:
                        found["qualification"] = qualification
                    made.append(found)
                edits.append((node.start_mark.index, node.end_mark.index, found["id"]))
        if edits:
            after = text
            for start, end, new in sorted(edits, reverse=True):
                after = after[:start] + new + after[end:]
            changes.append(Change(path, text, after, ["计划的抽查事项改为按编号从各部门的抽查事项清单中选取"]))
    for dep, made in created.items():
        path = record_path(records_dir, "items", dep)
        after = record_text("items", {"id": dep, "items": made}, path, records_dir, ITEM_LIST_NOTE)
        changes.append(Change(path, "", after, [f"新建部门“{dep}”的抽查事项清单（{len(made)} 项），请补填检查依据、"
                                                 "检查方式、比例或频次和所需资格"], new=True))
    return changes, problems


def plan_changes(records_dir: str) -> tuple[list[Change], list[str]]:
    """Every record that needs migrating, with its new text (nothing is written)."""
    changes, problems = item_changes(records_dir)
    folder = os.path.join(records_dir, "inspections")
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml")):
                continue
            path = os.path.join(root, name)
            try:
                before = _load(path, records_dir)
                found = rewrite(before)
            except _UNREADABLE as exc:
                problems.append(f"{path}：{_why(exc)}，未转换")
                continue
            except ValueError as exc:  # what `rewrite` refuses, said in Chinese
                problems.append(f"{path}：无法转换（{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}）")
                continue
            if found is not None:
                changes.append(Change(path, before, found[0], found[1]))
    return changes, problems


def apply(changes: list[Change], records_dir: str) -> None:
    from docgen.writer import write_atomic, write_new

    for change in changes:
        refuse_outside(change.path, records_dir)
        if change.new:
            os.makedirs(os.path.dirname(change.path), exist_ok=True)
            write_new(change.path, change.after.encode("utf-8"))
        else:
            write_atomic(change.path, change.after.encode("utf-8"), durable=True)
