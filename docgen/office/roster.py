"""`docgen import`: rosters exported by a supervision platform (Excel or CSV) into records.

Columns are found by their Chinese header names, in any order (docgen.office.tables); blank rows are skipped;
every row that cannot be imported is reported with its row number and the reason. A
record that already exists is changed only with `--update`, and the report names the
fields that changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from docgen.records import creditcode
from docgen.records.tree import FOLDER_OF, is_record_file, outside_archive, refuse_outside
from docgen.records.loader import read_yaml_file
from docgen.records.problems import DocgenError
from docgen.office.tables import Header, HeaderMap, body_rows, code as _code, nfkc, read_table
from docgen.records.yamlout import record_path, record_text
from docgen.writer import write_atomic, write_new

ENTITY_COLUMNS = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码", "统一社会信用代码(注册号)"),
    "name": ("企业名称", "单位名称", "主体名称", "机构名称", "名称", "企业名称(主体名称)"),
    "legal_rep": ("法定代表人", "法定代表人（负责人）", "法定代表人(负责人)", "负责人", "法人"),
    "address": ("住所", "地址", "住所（经营场所）", "住所(经营场所)", "经营场所", "注册地址", "办学地址"),
    "phone": ("联系电话", "电话", "手机", "联系方式"),
    "contact": ("联系人",),
    "credit_class": ("信用风险分类", "信用风险分类结果", "信用分类", "风险等级", "信用等级"),
    "type": ("主体类型", "类型", "机构类型", "企业类型"),
    "status": ("登记状态", "状态", "经营状态"),
    "licence": ("许可证号", "办学许可证号", "许可证编号"),
}
INSPECTOR_COLUMNS = {
    "name": ("姓名", "执法人员", "执法人员姓名"),
    "badge": ("执法证号", "执法证件号", "执法证件号码", "证件号码", "执法证编号"),
    "phone": ("联系电话", "电话", "手机", "手机号码"),
    "department": ("部门", "所属部门", "单位", "所属单位", "执法部门"),
    "qualifications": ("执法门类", "资格", "执法资格", "专业领域", "执法领域"),
    "badge_valid_until": ("执法证有效期", "执法证有效期至", "有效期至", "证件有效期", "执法证件有效期"),
}
STATUSES = {"存续", "停业", "注销", "吊销", "撤销", "迁出"}
# field titles in change reports, as in the schemas
ENTITY_TITLES = {"name": "企业名称", "credit_code": "统一社会信用代码", "type": "主体类型", "address": "住所",
                 "legal_rep": "法定代表人", "contact.name": "联系人", "contact.phone": "联系电话",
                 "credit_class": "信用风险分类", "status": "登记状态", "licence.number": "许可证号"}
INSPECTOR_TITLES = {"name": "姓名", "badge": "执法证号", "badge_valid_until": "执法证有效期至", "phone": "电话",
                    "qualifications": "资格"}
_DAY = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def person_name(value: str) -> str:
    """A person's name, the padding platforms align a two-character name with taken out (王　五 is 王五);
    anything else as written (two names 张三 李四, Иван Петров, Li Ming)."""
    found = re.fullmatch(r"\s*([\u3400-\u9fff])\s+([\u3400-\u9fff])\s*", value)
    return found.group(1) + found.group(2) if found else value


def _day(value: str) -> str | None:
    """A date as a roster writes it (2026-12-31, 2026/12/31, 2026年12月31日) in YYYY-MM-DD, or None."""
    import datetime as dt

    found = _DAY.match(nfkc(value or ""))
    if not found:
        return None
    try:
        return dt.date(*(int(g) for g in found.groups())).isoformat()
    except ValueError:
        return None


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_roster(path: str, columns: dict, sheet: str | None = None,
                manual: tuple[str, ...] = ()) -> tuple[Header, list[tuple[int, dict]]]:
    """The roster's header and its (row number, field -> text) rows, in any of the supported formats."""
    table = read_table(path, sheet)
    header = HeaderMap(columns, manual).find(table)
    return header, body_rows(table, header)


def _credit_class(value: str) -> str | None:
    value = nfkc(value).upper()
    match = re.search(r"[ABCD]", value)
    if match:
        return match.group(0)
    for words, grade in (("低风险", "A"), ("一般风险", "B"), ("较高风险", "C"), ("高风险", "D")):
        if words in value:
            return grade
    return None


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _changes(old: dict, new: dict, titles: dict[str, str], prefix: str = "") -> list[str]:
    """What changed, in the clerk's words: “住所：“旧” → “新””."""
    result = []
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, (dict, type(None))):  # (a part the record lacked: by field)
            result += _changes(before or {}, value, titles, f"{prefix}{key}.")
        elif before != value:
            title = titles.get(f"{prefix}{key}", f"{prefix}{key}")
            result.append(f"{title}：“{_shown(before)}” → “{_shown(value)}”")
    return result


def _load_existing(records_dir: str, kind: str) -> dict[str, dict]:
    """Existing records of `kind` by path, read with docgen's own safe loader; a file it cannot
    read stops the import (its record may be the one a row names)."""
    folder = os.path.join(records_dir, FOLDER_OF[kind])
    found = {}
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if is_record_file(name):
                path = os.path.join(folder, name)
                if outside_archive(path, records_dir) or not os.path.isfile(path):
                    continue  # a link out of the archive, a FIFO: never read (`docgen validate` says so)
                doc, problems = read_yaml_file(path, path)
                if doc is not None and isinstance(doc.data, dict) and not any(p.is_error for p in problems):
                    found[path] = doc.data  # (a YAML error, a key written twice: the file is not what it seems)
                else:  # it may hold a record the table has: a second one would be made beside it
                    raise DocgenError(f"{os.path.relpath(path)} 读不出来（运行 docgen validate 查看错误所在的行列），"
                                      "导入可能与其中的记录重复：请先改正后再导入")
    return found


def import_entities(records_dir: str, roster: str, update: bool = False, default_type: str | None = None,
                    dry_run: bool = False, sheet: str | None = None, manual: tuple[str, ...] = ()) -> ImportReport:
    report = ImportReport()
    header, rows = read_roster(roster, ENTITY_COLUMNS, sheet, manual)
    if note := header.ignored_note():
        report.notes.append(note)
    columns = header.columns
    for needed in ("credit_code", "name"):
        if needed not in columns:
            raise DocgenError(f"{roster}：找不到“{ENTITY_COLUMNS[needed][0]}”列（可用 --column {ENTITY_COLUMNS[needed][0]}=表头 指定）")
    if "type" not in columns and not default_type:
        raise DocgenError(f"{roster}：表中没有“主体类型”列，请用 --type 指定全部主体的类型，如 --type 校外培训机构")
    existing = {data.get("credit_code"): (path, data) for path, data in _load_existing(records_dir, "entity").items()}
    seen: dict[str, int] = {}
    for number, row in rows:
        where = f"第 {number} 行"
        code = _code(row.get("credit_code", ""))
        if not code:
            report.problems.append(f"{where}：缺少统一社会信用代码")
            continue
        if not creditcode.is_valid(code):
            reason = f"有 {len(code)} 位，应为 18 位" if len(code) != 18 else (
                "含有不允许的字符（不含 I、O、Z、S、V）" if any(c not in creditcode.VALUE for c in code) else "校验位不正确")
            report.problems.append(f"{where}：统一社会信用代码“{code}”{reason}（GB 32100-2015）")
            continue
        if code in seen:
            report.problems.append(f"{where}：统一社会信用代码“{code}”与第 {seen[code]} 行重复，已跳过")
            continue
        seen[code] = number
        missing = [ENTITY_COLUMNS[k][0] for k in ("name", "address", "legal_rep") if not row.get(k)]
        if missing:
            report.problems.append(f"{where}：缺少{'、'.join(missing)}")
            continue
        grade = _credit_class(row.get("credit_class", ""))
        if grade is None:
            report.problems.append(f"{where}：信用风险分类“{row.get('credit_class', '')}”无法识别（应为 A、B、C、D）")
            continue
        kind = row.get("type") or default_type
        if not kind:
            report.problems.append(f"{where}：缺少主体类型")
            continue
        old = existing.get(code)
        # a column the table lacks leaves the record's own value as it is (a new record: 存续)
        status = row.get("status") or (old[1].get("status") if old and old[1].get("status") else "存续")
        status = next((s for s in sorted(STATUSES) if s in str(status)), None)
        if status is None:
            report.problems.append(f"{where}：登记状态“{row.get('status')}”无法识别")
            continue
        data = {"name": row["name"], "credit_code": code, "type": kind, "address": row["address"],
                "legal_rep": person_name(row["legal_rep"]), "credit_class": grade, "status": status}
        phone = nfkc(row.get("phone", "")).strip()
        if phone:
            known = old[1].get("contact") if old and isinstance(old[1].get("contact"), dict) else {}
            data["contact"] = {"name": person_name(row.get("contact") or known.get("name") or row["legal_rep"]),
                               "phone": phone}
        if row.get("licence"):
            data["licence"] = {"number": nfkc(row["licence"])}
        if old:  # what the table says, over the record: fields it has no column for stay (licence validity,
            # unless the licence is another one now)
            kept_licence = isinstance(old[1].get("licence"), dict) and "licence" in data \
                and old[1]["licence"].get("number") == data["licence"].get("number")
            data = {k: ({**old[1][k], **v} if isinstance(v, dict) and isinstance(old[1].get(k), dict)
                        and (k != "licence" or kept_licence) else v) for k, v in data.items()}
        changes = _changes(old[1], data, ENTITY_TITLES) if old else []
        _save("entity", records_dir, old, code, data, changes, update, where, report, dry_run)
    return report


def _person_changes(old: dict, new: dict) -> list[str]:
    return [f"执法人员{old.get('name')}（{old.get('id')}）" + line
            for line in _changes(old, new, INSPECTOR_TITLES)]


def import_inspectors(records_dir: str, roster: str, department: str | None = None, name: str | None = None,
                      update: bool = False, dry_run: bool = False, sheet: str | None = None,
                      manual: tuple[str, ...] = ()) -> ImportReport:
    report = ImportReport()
    header, rows = read_roster(roster, INSPECTOR_COLUMNS, sheet, manual)
    if note := header.ignored_note():
        report.notes.append(note)
    for needed in ("name", "badge"):
        if needed not in header.columns:
            raise DocgenError(f"{roster}：找不到“{INSPECTOR_COLUMNS[needed][0]}”列（可用 --column {INSPECTOR_COLUMNS[needed][0]}=表头 指定）")
    if "department" not in header.columns and not department:
        raise DocgenError(f"{roster}：表中没有“部门”列，请用 --department 指定全部人员所属的部门（编号）")
    existing = _load_existing(records_dir, "department")
    by_key = {}
    for path, data in existing.items():
        by_key[data.get("id")] = (path, data)
        by_key[data.get("name")] = (path, data)
    groups: dict[str, list[tuple[int, dict]]] = {}
    for number, row in rows:
        target = department or row.get("department")
        if not target:
            report.problems.append(f"第 {number} 行：缺少所属部门")
            continue
        groups.setdefault(target, []).append((number, row))
    for target, members in groups.items():
        found = by_key.get(target)
        if found is None and department is None:
            for number, _ in members:
                report.problems.append(f"第 {number} 行：部门“{target}”没有对应的部门记录"
                                       "（请先 docgen new department，或用 --department 指定）")
            continue
        path, old = found if found else (None, {"id": target, "name": name or target, "inspectors": []})
        data = {k: v for k, v in old.items() if k != "$schema"}
        data["inspectors"] = [dict(p) for p in old.get("inspectors") or []]
        people = {p.get("badge"): p for p in data["inspectors"]}
        used = {p.get("id") for p in data["inspectors"]}
        seen: dict[str, int] = {}
        changes: list[str] = []
        for number, row in members:
            badge = _code(row.get("badge", ""))
            if not row.get("name") or not badge:
                report.problems.append(f"第 {number} 行：缺少姓名或执法证号")
                continue
            if badge in seen:
                report.problems.append(f"第 {number} 行：执法证号“{badge}”与第 {seen[badge]} 行重复，已跳过")
                continue
            seen[badge] = number
            person = {"name": person_name(row["name"]), "badge": badge}
            if row.get("badge_valid_until"):
                day = _day(row["badge_valid_until"])
                if day:
                    person["badge_valid_until"] = day
                else:  # the person is imported: a note, not a row left out
                    report.notes.append(f"第 {number} 行：执法证有效期“{row['badge_valid_until']}”不是日期"
                                        "（应写成 2026-12-31 或 2026年12月31日），该项未导入，请补填")
            phone = nfkc(row.get("phone", "")).strip()
            if phone:
                person["phone"] = phone
            if row.get("qualifications"):
                person["qualifications"] = [q for q in re.split(r"[、,，;；\s]+", row["qualifications"]) if q]
            if badge in people:
                differs = {k: v for k, v in person.items() if people[badge].get(k) != v}
                if differs and not update:
                    report.unchanged.append(f"第 {number} 行：执法证号“{badge}”（{people[badge].get('id')}）已在名录中，"
                                            f"信息不同，未修改（加 --update 更新）：" + "；".join(_person_changes(people[badge], differs)))
                elif differs:
                    changes += _person_changes(people[badge], differs)
                    people[badge].update(person)
            else:
                n = 1
                while f"{data['id']}-{n:02d}" in used:
                    n += 1
                person = {"id": f"{data['id']}-{n:02d}", **person}
                used.add(person["id"])
                data["inspectors"].append(person)
                people[badge] = person
                changes.append(f"新增执法人员{person['name']}（{person['id']}，执法证号 {badge}）")
        if path and data.get("name") != old.get("name"):
            changes.insert(0, f"部门名称：“{_shown(old.get('name'))}” → “{_shown(data.get('name'))}”")
        # new inspectors are always added; existing ones were changed above only with --update
        _save("department", records_dir, (path, old) if path else None, data["id"], data, changes, True,
              f"部门“{data.get('name')}”", report, dry_run)
    return report


def _save(kind: str, records_dir: str, existing, rid: str, data: dict, changes: list[str], update: bool, where: str,
          report: ImportReport, dry_run: bool) -> None:
    """Write a new record, or an existing one that changed when `update`; `changes` say how it changed."""
    if existing is not None:
        path, old = existing
        rid = old.get("id", rid)
        merged = {"id": rid, **{k: v for k, v in old.items() if k not in ("id", "$schema")}}
        merged.update(data)
        merged["id"] = rid
        if merged == {"id": rid, **{k: v for k, v in old.items() if k not in ("id", "$schema")}}:
            report.unchanged.append(f"{where}：{os.path.relpath(path)} 无变化")
            return
        if not update:
            report.unchanged.append(f"{where}：{os.path.relpath(path)} 已存在，有 {len(changes)} 处不同，未修改"
                                    f"（加 --update 更新）：" + "；".join(changes))
            return
        report.updated.append(f"{where}：更新 {os.path.relpath(path)}：" + "；".join(changes))
        if not dry_run:
            refuse_outside(path, records_dir)
            write_atomic(path, _updated(kind, path, records_dir, old, merged))
        return
    path = record_path(records_dir, kind, rid)
    if os.path.exists(path):
        report.problems.append(f"{where}：{os.path.relpath(path)} 已存在（内容与导入的不对应），未覆盖")
        return
    if not dry_run:
        refuse_outside(path, records_dir)
        try:  # never a file that appeared since it was looked for
            write_new(path, record_text(kind, {"id": rid, **data}, path, records_dir,
                                        "由 docgen import 从名录库导入").encode("utf-8"))
        except FileExistsError:
            report.problems.append(f"{where}：{os.path.relpath(path)} 已存在，未覆盖")
            return
    report.created.append(f"{where}：新建 {os.path.relpath(path)}")


def _updated(kind: str, path: str, records_dir: str, old: dict, merged: dict) -> bytes:
    """The record file with the imported values: changed where they are written, every other line
    (the clerk's comments, key order, quoting) kept (`yamledit`); written anew in docgen's layout
    only when that cannot be done in place."""
    from docgen.records.loader import read_limited
    from docgen.records.yamledit import edited

    blob = read_limited(path, path)[0]  # as every record is read: a regular file, of a record's size
    if blob is not None:
        text = edited(blob, {**old, **merged}, path)
        if text is not None:
            return text
    return record_text(kind, merged, path, records_dir, "由 docgen import 更新").encode("utf-8")
