"""`docgen import`: rosters exported by a supervision platform (Excel) into records.

Columns are found by their Chinese header names, in any order; blank rows are skipped;
every row that cannot be imported is reported with its row number and the reason. A
record that already exists is changed only with `--update`, and the report names the
fields that changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from docgen import creditcode
from docgen.archive import FOLDER_OF, is_record_file
from docgen.loader import read_yaml_file
from docgen.problems import DocgenError
from docgen.yamlout import record_path, record_text
from docgen.writer import write_atomic

ENTITY_COLUMNS = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码"),
    "name": ("企业名称", "单位名称", "主体名称", "机构名称", "名称"),
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
}
STATUSES = {"存续", "停业", "注销", "吊销", "撤销", "迁出"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _norm(header) -> str:
    return re.sub(r"\s+", "", str(header or ""))


def read_sheet(path: str, columns: dict) -> tuple[dict[str, int], list[tuple[int, dict]]]:
    """Header map (field → column index) and (row number, values) for every non-blank row."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise DocgenError(f"无法读取 {path}：{exc}") from None
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    lookup = {_norm(name): key for key, names in columns.items() for name in names}
    for index, row in enumerate(rows[:20]):
        found = {}
        for col, header in enumerate(row):
            key = lookup.get(_norm(header))
            if key and key not in found:
                found[key] = col
        if len(found) >= 2:
            body = []
            for number, values in enumerate(rows[index + 1:], index + 2):
                cells = {key: values[col] if col < len(values) else None for key, col in found.items()}
                text = {k: ("" if v is None else str(v).strip()) for k, v in cells.items()}
                if any(text.values()):
                    body.append((number, text))
            return found, body
    raise DocgenError(f"{path}：前 20 行中找不到表头（需要如“统一社会信用代码”“企业名称”“姓名”“执法证号”等列名）")


def _credit_class(value: str) -> str | None:
    match = re.search(r"[ABCD]", value.upper())
    if match:
        return match.group(0)
    for words, grade in (("低风险", "A"), ("一般风险", "B"), ("较高风险", "C"), ("高风险", "D")):
        if words in value:
            return grade
    return None


def _changes(old: dict, new: dict, prefix: str = "") -> list[str]:
    result = []
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            result += _changes(before, value, f"{prefix}{key}.")
        elif before != value:
            result.append(f"{prefix}{key}：“{before if before is not None else ''}” → “{value}”")
    return result


def _load_existing(records_dir: str, kind: str) -> dict[str, dict]:
    """Existing records of `kind` by path, read with docgen's own safe loader; a file it cannot
    read is left alone here (`docgen validate` reports it)."""
    folder = os.path.join(records_dir, FOLDER_OF[kind])
    found = {}
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if is_record_file(name):
                path = os.path.join(folder, name)
                doc, _ = read_yaml_file(path, path)
                if doc is not None and isinstance(doc.data, dict):
                    found[path] = doc.data
    return found


def import_entities(records_dir: str, roster: str, update: bool = False, default_type: str | None = None,
                    dry_run: bool = False) -> ImportReport:
    report = ImportReport()
    columns, rows = read_sheet(roster, ENTITY_COLUMNS)
    for needed in ("credit_code", "name"):
        if needed not in columns:
            raise DocgenError(f"{roster}：找不到“{ENTITY_COLUMNS[needed][0]}”列")
    existing = {data.get("credit_code"): (path, data) for path, data in _load_existing(records_dir, "entity").items()}
    seen: dict[str, int] = {}
    for number, row in rows:
        where = f"第 {number} 行"
        code = row.get("credit_code", "").upper()
        if not code:
            report.problems.append(f"{where}：缺少统一社会信用代码")
            continue
        if not creditcode.is_valid(code):
            reason = "位数不对" if len(code) != 18 else "校验位不正确"
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
            report.problems.append(f"{where}：缺少主体类型（表中没有“主体类型”列时请用 --type 指定）")
            continue
        status = row.get("status") or "存续"
        status = next((s for s in STATUSES if s in status), None)
        if status is None:
            report.problems.append(f"{where}：登记状态“{row.get('status')}”无法识别")
            continue
        data = {"name": row["name"], "credit_code": code, "type": kind, "address": row["address"],
                "legal_rep": row["legal_rep"], "credit_class": grade, "status": status}
        if row.get("phone"):
            data["contact"] = {"name": row.get("contact") or row["legal_rep"], "phone": row["phone"]}
        if row.get("licence"):
            data["licence"] = {"number": row["licence"]}
        _save("entity", records_dir, existing.get(code), code, data, update, where, report, dry_run)
    return report


def import_inspectors(records_dir: str, roster: str, department: str | None = None, name: str | None = None,
                      update: bool = False, dry_run: bool = False) -> ImportReport:
    report = ImportReport()
    columns, rows = read_sheet(roster, INSPECTOR_COLUMNS)
    for needed in ("name", "badge"):
        if needed not in columns:
            raise DocgenError(f"{roster}：找不到“{INSPECTOR_COLUMNS[needed][0]}”列")
    existing = _load_existing(records_dir, "department")
    by_key = {}
    for path, data in existing.items():
        by_key[data.get("id")] = (path, data)
        by_key[data.get("name")] = (path, data)
    groups: dict[str, list[tuple[int, dict]]] = {}
    for number, row in rows:
        target = department or row.get("department")
        if not target:
            report.problems.append(f"第 {number} 行：缺少所属部门（表中没有“部门”列时请用 --department 指定）")
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
        for number, row in members:
            badge = row.get("badge", "")
            if not row.get("name") or not badge:
                report.problems.append(f"第 {number} 行：缺少姓名或执法证号")
                continue
            if badge in seen:
                report.problems.append(f"第 {number} 行：执法证号“{badge}”与第 {seen[badge]} 行重复，已跳过")
                continue
            seen[badge] = number
            person = {"name": row["name"], "badge": badge}
            if row.get("phone"):
                person["phone"] = row["phone"]
            if row.get("qualifications"):
                person["qualifications"] = [q for q in re.split(r"[、,，;；\s]+", row["qualifications"]) if q]
            if badge in people:
                differs = {k: v for k, v in person.items() if people[badge].get(k) != v}
                if differs and not update:
                    report.unchanged.append(f"第 {number} 行：执法证号“{badge}”（{people[badge].get('id')}）已在名录中，"
                                            f"信息不同，未修改（加 --update 更新）")
                elif differs:
                    people[badge].update(person)
            else:
                n = 1
                while f"{data['id']}-{n:02d}" in used:
                    n += 1
                person = {"id": f"{data['id']}-{n:02d}", **person}
                used.add(person["id"])
                data["inspectors"].append(person)
                people[badge] = person
        # new inspectors are always added; existing ones were changed above only with --update
        _save("department", records_dir, (path, old) if path else None, data["id"], data, True,
              f"部门“{data.get('name')}”", report, dry_run)
    return report


def _save(kind: str, records_dir: str, existing, rid: str, data: dict, update: bool, where: str,
          report: ImportReport, dry_run: bool) -> None:
    if existing is not None:
        path, old = existing
        rid = old.get("id", rid)
        merged = {"id": rid, **{k: v for k, v in old.items() if k not in ("id", "$schema")}}
        merged.update(data)
        merged["id"] = rid
        changes = _changes(old, merged)
        if not changes:
            report.unchanged.append(f"{where}：{os.path.relpath(path)} 无变化")
            return
        if not update:
            report.unchanged.append(f"{where}：{os.path.relpath(path)} 已存在，有 {len(changes)} 处不同，未修改（加 --update 更新）")
            return
        report.updated.append(f"{where}：更新 {os.path.relpath(path)}：" + "；".join(changes))
        if not dry_run:
            write_atomic(path, record_text(kind, merged, path, records_dir,
                                           "由 docgen import 更新").encode("utf-8"))
        return
    path = record_path(records_dir, kind, rid)
    if os.path.exists(path):
        report.problems.append(f"{where}：{os.path.relpath(path)} 已存在（内容与导入的不对应），未覆盖")
        return
    report.created.append(f"{where}：新建 {os.path.relpath(path)}")
    if not dry_run:
        write_atomic(path, record_text(kind, {"id": rid, **data}, path, records_dir,
                                       "由 docgen import 从名录库导入").encode("utf-8"))
