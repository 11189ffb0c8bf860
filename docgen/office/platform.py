"""Working beside the provincial platform: its task list in as inspection records, results back out.

Where the platform (e.g. 河北省双随机执法监管平台) draws the entities and inspectors, docgen
cannot redo the draw; it records the platform's outcome (`draw: platform` and the task number)
so that the documents, deadlines and status work as for a draw of its own, and exports the
results in the columns the platform and the national disclosure ask for.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from docgen.records.check import Checked
from docgen.records.problems import DocgenError
from docgen.records.rules import PLATFORM_DRAW
from docgen.office.tables import HeaderMap, body_rows, code as _code, nfkc, read_table

PLATFORM = PLATFORM_DRAW  # the `draw` of an inspection record imported from a platform task list
TASK_COLUMNS = {
    "task_number": ("任务编号", "检查任务编号", "平台任务编号", "任务号"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码"),
    "name": ("企业名称", "主体名称", "检查对象名称", "检查对象", "单位名称", "市场主体名称"),
    "department": ("检查实施机关", "检查部门", "实施机关", "检查机关", "执法部门", "部门"),
    "inspectors": ("检查人员", "执法人员", "执法人员姓名", "检查人员姓名"),
    "badges": ("执法证号", "执法证件号", "执法证件号码", "执法证编号"),
    "group": ("组别", "检查组", "分组", "组号"),
    "leader": ("组长",),
}
RESULT_COLUMNS = ("任务编号", "统一社会信用代码", "企业名称", "检查实施机关", "检查完成日期", "检查结果", "后续处置",
                  "检查人员", "执法证号")
TASK_COMMENT = ("由 docgen import task 从省级监管平台的任务清单导入（平台任务编号 {task}）。\n"
                "plan、entity、draw、task_number、group、leader、inspectors 是平台的抽取结果，请勿手工修改；"
                "其余内容由经办人员填写。")
CN_DIGITS = {c: n for n, c in enumerate("零一二三四五六七八九十")}
SEPARATORS = r"[、,，;；/／\s]+"
NAME_SEPARATORS = r"[、,，;；/／\n]+"  # between names: not spaces, which also pad a name (王　五)


def _name(value) -> str:
    return re.sub(r"\s+", "", nfkc(str(value or "")))


def _names(text: str, count: int) -> list[str]:
    """The inspectors' names in a task list's cell: split at 、 , ; / and line breaks; at spaces only
    when that gives as many names as badges — a platform pads a two-character name with a full-width
    space (王　五), which is one name."""
    marked = [n for n in re.split(NAME_SEPARATORS, text) if n.strip()]
    spaced = [n for n in re.split(SEPARATORS, text) if n]
    return spaced if len(marked) != count and len(spaced) == count else marked


def _same_names(text: str, people: list) -> bool:
    """Whether a cell's names, with every separator and space taken out, are the badges' people's names in
    order: a cell whose padding spaces and separating spaces cannot be told apart (a platform's line
    breaks read as spaces) still names exactly them."""
    if not people or not all(people):
        return False
    return _name(re.sub(NAME_SEPARATORS, "", text)) == "".join(_name(p.get("name")) for p in people)


def _group_number(value: str) -> int | None:
    """“第2组”, “2”, “二组” → 2; None when it names no number."""
    text = nfkc(value)
    digits = re.search(r"[0-9]+", text)
    if digits:
        return int(digits.group(0))
    words = re.sub(r"[第组]", "", text)
    if words and all(c in CN_DIGITS for c in words) and len(words) <= 2:
        if words == "十":
            return 10
        if len(words) == 2:
            return (CN_DIGITS[words[0]] if words[0] != "十" else 1) * 10 + (CN_DIGITS[words[1]] if words[1] != "十" else 0)
        return CN_DIGITS[words] or None
    return None


@dataclass
class TaskReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # inspection records that already existed
    differs: list[str] = field(default_factory=list)  # of those, the ones the task list now says otherwise
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # the records written, as paths


@dataclass
class _Task:
    """One entity's rows of the task list, gathered before it is written."""

    entity: str
    rows: list[int] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # task number -> first row
    groups: dict[int, int] = field(default_factory=dict)  # group -> first row
    leaders: dict[str, int] = field(default_factory=dict)
    team: dict[str, list[str]] = field(default_factory=dict)  # department -> inspector ids
    failed: bool = False


def _joint_plan(checked: Checked, plan_id: str):
    plan = checked.index.plans.get(plan_id)
    if plan is None:
        raise checked.missing_plan(plan_id, "导出")
    if plan.data.get("type") != "联合抽查":
        raise DocgenError(f"计划“{plan_id}”是{plan.data.get('type')}，不是联合抽查，没有检查任务")
    return plan


def _plan_departments(checked: Checked, plan: dict) -> dict[str, str]:
    """Department id -> name for the plan's departments, in the plan's order."""
    index = checked.index
    return {d: str((index.departments[d].data.get("name") if d in index.departments else None) or d)
            for d in index.plan_department_ids(plan)}


def _department_of(value: str, departments: dict[str, str], checked: Checked) -> tuple[str | None, str | None]:
    """(department id, None) for a name or id of one of the plan's departments, else (None, reason)."""
    wanted = _name(value)
    for dep_id, name in departments.items():
        if wanted in (_name(dep_id), _name(name)):
            return dep_id, None
    for dep_id, record in checked.index.departments.items():
        if wanted in (_name(dep_id), _name(record.data.get("name"))):
            return None, f"部门“{value}”没有参与本计划"
    return None, f"部门“{value}”没有对应的部门记录（按部门名称或编号查找）"


def import_task(checked: Checked, path: str, plan_id: str, sheet: str | None = None, manual: tuple[str, ...] = (),
                dry_run: bool = False) -> TaskReport:
    """Inspection records of `plan_id` from a platform task list; rows that cannot be matched are
    reported, an entity with any such row is not written, and no existing record is replaced."""
    from docgen.records.yamlout import record_path, write_record

    plan = _joint_plan(checked, plan_id)
    index = checked.index
    departments = _plan_departments(checked, plan.data)
    table = read_table(path, sheet)
    fields = HeaderMap(TASK_COLUMNS, manual)
    header = fields.find(table)
    for needed in ("task_number", "credit_code", "department", "badges"):
        if needed not in header.columns:
            title = TASK_COLUMNS[needed][0]
            raise DocgenError(f"{table.where}：找不到“{title}”列（可用 --column {title}=表头 指定）")
    report = TaskReport()
    if note := header.ignored_note():
        report.notes.append(note)
    by_code = {_code(str(r.data.get("credit_code") or "")): eid for eid, r in index.entities.items()}
    tasks: dict[str, _Task] = {}
    for number, row in body_rows(table, header):
        where = f"第 {number} 行"
        code = _code(row.get("credit_code", ""))
        label = f"“{row['name']}”" if row.get("name") else ""
        if not code:
            report.problems.append(f"{where}：缺少统一社会信用代码")
            continue
        entity_id = by_code.get(code)
        if entity_id is None:
            report.problems.append(f"{where}：统一社会信用代码“{code}”{label}在检查对象名录库中找不到"
                                   "（请先用 docgen import entities 导入名录库）")
            continue
        task = tasks.setdefault(entity_id, _Task(entity_id))
        task.rows.append(number)
        reasons = []
        known = str(index.entities[entity_id].data.get("name") or "")
        if row.get("name") and known and _name(row["name"]) != _name(known):  # (（示例） as (示例), spaces aside)
            reasons.append(f"统一社会信用代码“{code}”在名录库中是“{known}”，表中写的是“{row['name']}”")
        task_number = row.get("task_number", "").strip()
        if not task_number:
            reasons.append("缺少任务编号")
        else:
            task.numbers.setdefault(task_number, number)
        if row.get("group"):
            group = _group_number(row["group"])
            if group is None:
                reasons.append(f"组别“{row['group']}”不是组号")
            else:
                task.groups.setdefault(group, number)
        if row.get("leader"):
            task.leaders.setdefault(row["leader"], number)
        dep_id, why = _department_of(row.get("department", ""), departments, checked) if row.get("department") \
            else (None, "缺少检查实施机关")
        badges = [_code(b) for b in re.split(SEPARATORS, nfkc(row.get("badges", ""))) if b]
        names = _names(row.get("inspectors", ""), len(badges))
        people = {_code(str(p.get("badge") or "")): p for p in index.departments[dep_id].data.get("inspectors") or []} \
            if not why else {}
        if names and len(names) != len(badges) and _same_names(row.get("inspectors", ""), [people.get(b) for b in badges]):
            names = [people[b].get("name") for b in badges]  # "胡　明 孙　磊": the roster's names, run together
        if why:
            reasons.append(why)
        elif not badges:
            reasons.append("缺少执法证号")
        elif names and len(names) != len(badges):
            reasons.append(f"检查人员有 {len(names)} 人，执法证号有 {len(badges)} 个，无法一一对应")
        else:
            team = task.team.setdefault(dep_id, [])
            for i, badge in enumerate(badges):
                person = people.get(badge)
                if person is None:
                    reasons.append(f"执法证号“{badge}”不在“{departments[dep_id]}”的执法人员名录库中")
                elif names and _name(names[i]) != _name(person.get("name")):
                    reasons.append(f"执法证号“{badge}”在名录库中是{person.get('name')}，表中写的是{names[i]}")
                elif person["id"] not in team:
                    team.append(person["id"])
        if reasons:
            task.failed = True
            report.problems.append(f"{where}：" + "；".join(reasons))

    existing = {r.data.get("entity"): r for r in index.by_plan.get(plan_id, [])}
    for entity_id, task in tasks.items():
        name = index.entities[entity_id].data.get("name", entity_id)
        rows = "、".join(str(n) for n in task.rows)
        where = f"第 {rows} 行（{name}）"
        target = record_path(checked.archive.records_dir, "inspection", plan_id, entity_id)
        held = existing.get(entity_id)
        if held is not None or os.path.exists(target):
            shown = held.path if held is not None else os.path.relpath(target)
            report.kept.append(f"{where}：{shown} 已存在，未覆盖")
            disagreement = _disagreement(task)
            if held is not None and not task.failed and disagreement:
                report.differs.append(f"{where}：{shown} 已存在，而任务清单中本检查对象的{disagreement}：请与平台核对")
            elif held is not None and not task.failed:
                # the platform's task changed since (a substitution, another group): said, never written over
                team = {d: task.team[d] for d in departments if d in task.team}
                leader, why = _leader(task, team, index)
                changes = [] if why else _differences(held.data, next(iter(task.numbers)),
                                                       next(iter(task.groups), None), leader, team, departments, index)
                if changes:
                    report.differs.append(f"{where}：{shown} 与任务清单不一致（" + "；".join(changes) +
                                          "）：平台上的任务有变动时，请核对后手工修改这份抽查记录")
            continue
        if task.failed:
            report.notes.append(f"{where}：有无法导入的行，该检查对象的抽查记录未写入")
            continue
        disagreement = _disagreement(task)
        if disagreement:
            report.problems.append(f"{where}：{disagreement}，未写入")
            continue
        team = {d: task.team[d] for d in departments if d in task.team}
        leader, why = _leader(task, team, index)
        if why:
            report.problems.append(f"{where}：{why}，未写入")
            continue
        task_number = next(iter(task.numbers))
        data = {"plan": plan_id, "entity": entity_id, "draw": PLATFORM, "task_number": task_number}
        if task.groups:
            data["group"] = next(iter(task.groups))
        if leader:
            data["leader"] = leader
        data["inspectors"] = team
        missing = [departments[d] for d in departments if d not in team]
        if missing:
            report.notes.append(f"{where}：任务清单中没有{'、'.join(missing)}的检查人员")
        report.created.append(f"{where}：新建 {os.path.relpath(target)}（任务编号 {task_number}）")
        if not dry_run:
            write_record("inspection", data, target, checked.archive.records_dir,
                         TASK_COMMENT.format(task=task_number))
            report.written.append(target)
    if tasks and "leader" not in header.columns:
        report.notes.append("任务清单中没有“组长”列，抽查记录未写组长（leader），需要时请手工补填")
    return report


def _disagreement(task: _Task) -> str:
    """What an entity's rows of the task list say differently among themselves (its task number, else its
    group), with the rows; "" when they agree."""
    if len(task.numbers) > 1:
        return "任务编号不一致（" + "、".join(f"第 {n} 行为“{t}”" for t, n in task.numbers.items()) + "）"
    if len(task.groups) > 1:
        return "组别不一致（" + "、".join(f"第 {n} 行为第 {g} 组" for g, n in task.groups.items()) + "）"
    return ""


def _differences(data: dict, task_number: str, group: int | None, leader: str | None, team: dict[str, list[str]],
                 departments: dict[str, str], index) -> list[str]:
    """How an inspection record already written differs from its task in the list (what the import
    would write): task number, group, leader, each department's inspectors (in any order)."""
    def names(ids) -> str:
        return "、".join(str(((index.inspector(i) if isinstance(i, str) else None) or {}).get("name") or i)
                        for i in ids) or "无"

    found = []
    if str(data.get("task_number") or "") != task_number:
        found.append(f"任务编号：记录为“{data.get('task_number') or ''}”，任务清单为“{task_number}”")
    if group is not None and data.get("group") != group:
        found.append(f"组别：记录为{data.get('group') or '（未写）'}，任务清单为第 {group} 组")
    if leader is not None and data.get("leader") != leader:
        found.append(f"组长：记录为{names([data['leader']]) if data.get('leader') else '（未写）'}，任务清单为{names([leader])}")
    written = data.get("inspectors") if isinstance(data.get("inspectors"), dict) else {}
    for dep_id in departments:
        now, listed = written.get(dep_id) or [], team.get(dep_id) or []
        if isinstance(now, list) and listed and sorted(map(str, now)) != sorted(listed):
            found.append(f"{departments[dep_id]}的检查人员：记录为{names(now)}，任务清单为{names(listed)}")
    return found


def _leader(task: _Task, team: dict[str, list[str]], index) -> tuple[str | None, str | None]:
    """The leader named in the task list (by name or badge), among the entity's team."""
    if not task.leaders:
        return None, None
    if len(task.leaders) > 1:
        return None, "组长不一致（" + "、".join(f"第 {n} 行为“{v}”" for v, n in task.leaders.items()) + "）"
    wanted = next(iter(task.leaders))
    found = [pid for ids in team.values() for pid in ids
             if _name(wanted) in (_name(index.inspector(pid).get("name")), _code(str(index.inspector(pid).get("badge"))))]
    if len(found) != 1:
        return None, f"组长“{wanted}”{'不是本组的检查人员' if not found else '在本组中有重名'}"
    return found[0], None


def platform_draw(checked: Checked, plan_id: str) -> tuple[bool, list[str]] | None:
    """`docgen draw --verify` for a plan drawn by the platform: (consistent, lines to show), or
    None when the plan has draws of docgen's own (those are verified as usual)."""
    index = checked.index
    if plan_id not in index.plans or any(r.data.get("plan") == plan_id for r in index.draws.values()):
        return None
    inspections = sorted(index.by_plan.get(plan_id, []), key=lambda r: str(r.data.get("entity")))
    imported = [r for r in inspections if r.data.get("draw") == PLATFORM]
    if not imported:
        return None
    lines = [f"计划“{plan_id}”的检查对象和执法人员由省级监管平台随机抽取（docgen import task 导入），"
             "docgen 无法按种子复算，请以平台的抽取记录为准。"]
    findings = []
    for record in inspections:
        name = index.entities[record.data["entity"]].data.get("name") if record.data.get("entity") in index.entities \
            else record.data.get("entity")
        if record.data.get("draw") != PLATFORM:
            findings.append(f"{record.path}：检查对象“{name}”不是从平台任务清单导入的（draw 为“{record.data.get('draw')}”）")
        elif not record.data.get("task_number"):
            findings.append(f"{record.path}：检查对象“{name}”缺少平台任务编号（task_number）")
        else:
            group = f"，第 {record.data['group']} 组" if record.data.get("group") else ""
            lines.append(f"平台任务编号 {record.data['task_number']}：{name}{group}")
    return not findings, lines + findings


def department_outcome(data: dict, department: str, dep_data: dict | None = None) -> tuple[str, str, str]:
    """(completion date, result, follow-up) of one department's own part of an inspection
    ("谁检查、谁录入"): its completion date and result(s) from `departments`, and the
    follow-ups it registered — one naming no department is the inspection's only department's, else
    nobody's (as in 03 台账; validate warns), never every department's: one that found nothing
    would be sent a measure. Entry precedes approval, so an unapproved result is exported too;
    only 07 公示表 waits for the approval."""
    from docgen.records import results

    parts = dict(results.parts(data))
    part = parts.get(department, {})
    alone = next(iter(parts)) if len(parts) == 1 else None
    completed = str(part.get("completed") or "")
    result = "、".join(results.shown(r, dep_data or {"id": department}) for r in results.part_results(part))
    measures = [f"{f.get('measure')}：{f.get('issue')}" for f in data.get("follow_ups") or []
                if isinstance(f, dict) and (f.get("department") or alone) == department]
    follow_up = "；".join(measures) or ("无需后续处置" if results.nothing_found(results.part_results(part)) else "")
    return completed, result, follow_up


def plan_department(checked: Checked, plan_id: str, department: str) -> str:
    """The id of one of the plan's departments, given by id or name (`--department`)."""
    departments = _plan_departments(checked, _joint_plan(checked, plan_id).data)
    dep_id, why = _department_of(department, departments, checked)
    if why:
        raise DocgenError(f"{why}。本计划的部门：{'、'.join(f'{n}（{d}）' for d, n in departments.items())}")
    return dep_id


def result_rows(checked: Checked, plan_id: str, department: str | None = None) -> list[list[str]]:
    """One row per entity × department (all the plan's, or the one with id `department`), in the
    order of the plan's tables; never a phone number."""
    plan = _joint_plan(checked, plan_id)
    index = checked.index
    departments = _plan_departments(checked, plan.data)
    if department is not None:
        departments = {department: departments[department]}
    inspections = index.by_plan.get(plan_id, [])
    _refuse_errors(checked, plan, inspections)
    rows = []
    for record in sorted(inspections, key=lambda r: (r.data.get("group") or 0, str(r.data.get("entity")))):
        data = record.data
        entity_rec = index.entities.get(data.get("entity"))
        if entity_rec is None:  # (its errors are listed by `_refuse_errors`; a file that could not be read at all)
            raise DocgenError(f"{record.path}：检查对象“{data.get('entity')}”的记录无法读取或有错误，"
                              f"请先运行 docgen validate 修正后再导出")
        entity = entity_rec.data
        team = data.get("inspectors") or {}
        for dep_id, dep_name in departments.items():
            people = [index.inspector(pid) or {} for pid in team.get(dep_id) or []]
            dep_rec = index.departments.get(dep_id)
            completed, result, follow_up = department_outcome(data, dep_id, dep_rec.data if dep_rec else None)
            rows.append([str(data.get("task_number") or ""), str(entity.get("credit_code") or ""),
                         str(entity.get("name") or ""), dep_name, completed, result, follow_up,
                         "、".join(str(p.get("name") or "") for p in people),
                         "、".join(str(p.get("badge") or "") for p in people)])
    return rows


def _refuse_errors(checked: Checked, plan, inspections) -> None:
    """An export from records with errors would carry them to the platform: list them instead."""
    index = checked.index
    paths = {plan.path, *(r.path for r in inspections), *index.broken_by_plan.get(plan.data["id"], []),
             *index.broken_by_plan.get("*", [])}
    paths |= checked.plan_files(plan)  # its departments and 抽查事项清单 (as the build and the status hold it back)
    paths |= {index.entities[r.data["entity"]].path for r in inspections if r.data.get("entity") in index.entities}
    # an entity file with errors is not in the index: its errors are the reason, and are listed too
    named = {r.data.get("entity") for r in inspections if r.data.get("entity") not in index.entities}
    if named:
        paths |= {r.path for r in checked.records if r.kind == "entity" and isinstance(r.data, dict)
                  and r.data.get("id") in named}
    errors = [p for p in checked.holding if p.path in paths]  # (a step done late is a fact, not a mistake)
    if errors:
        listing = "\n".join(str(p) for p in errors[:20])
        more = f"\n……共 {len(errors)} 个错误" if len(errors) > 20 else ""
        raise DocgenError(f"计划“{plan.data['id']}”的记录中有错误，修正后才能导出：\n{listing}{more}")


def results_bytes(rows: list[list[str]], fmt: str, title: str) -> bytes:
    """The export file: xlsx with every cell as text (codes keep their digits), or CSV in UTF-8 with
    a BOM (so that Excel reads the Chinese correctly). Same rows, same bytes."""
    if fmt == "csv":
        import csv
        import io

        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(RESULT_COLUMNS)
        writer.writerows(rows)
        return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from docgen.documents.package import fixed_time, normalise
    from docgen.documents.render_xlsx import keep_typed

    wb = Workbook()
    ws = wb.active
    ws.title = "检查结果"
    ws.append(list(RESULT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # openpyxl writes a typed `_xHHHH_` as it is, which Excel would show as one character
        ws.append([keep_typed(v) if isinstance(v, str) else v for v in row])
        for cell in ws[ws.max_row]:
            cell.data_type = "s"
            cell.number_format = "@"
    widths = (16, 22, 36, 24, 14, 24, 36, 20, 30)
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(65 + i)].width = width
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return normalise(buffer.getvalue(), title, fixed_time(None))


def export_results(archive, plan_id: str, department: str | None, fmt: str | None, out_path: str | None,
                   force: bool) -> tuple[str, int, int]:
    """`docgen export results`: the plan's results (one department's, when named) written to `out_path`
    (else the default under output/) as xlsx or csv (else as its name says); returns where, how many
    rows, and how many of them have no result yet."""
    from docgen.records.check import check_archive
    from docgen.writer import write_atomic

    suffix = os.path.splitext(out_path)[1].lower() if out_path else ""
    if fmt is None:  # a file named .csv gets CSV (an Excel workbook under that name opens as garbage)
        fmt = "csv" if suffix == ".csv" else "xlsx"
    elif suffix in (".csv", ".xlsx") and suffix[1:] != fmt:
        raise DocgenError(f"--out 的扩展名是 {suffix}，而 --format 是 {fmt}：请让两者一致")
    if suffix in (".xls", ".et"):  # an .xlsx workbook under an older format's name: Excel warns, others refuse it
        raise DocgenError(f"--out 的扩展名 {suffix} 是旧的表格格式，docgen 导出 .xlsx 或 .csv：请改用这两种扩展名")
    checked = check_archive(archive)
    dep_id = plan_department(checked, plan_id, department) if department is not None else None
    rows = result_rows(checked, plan_id, dep_id)
    out = out_path or default_out(plan_id, dep_id, fmt)
    check_export_target(archive, out, force)
    if out_path is None:  # the output folder as the build treats it: not through a link leading out of it
        from docgen.documents.outfolder import OutputFolder

        if OutputFolder("output", None).target(os.path.relpath(out, "output").replace(os.sep, "/")) is None:
            raise DocgenError(f"{out} 所在的文件夹是指向输出目录之外的链接，docgen 不会写到那里；请用 --out 指定导出文件")
    data = results_bytes(rows, fmt, f"{plan_id} 检查结果")
    write_atomic(out, data)
    note_export(archive, out, data)
    return out, len(rows), sum(1 for row in rows if not row[5])


EXPORTS = "exports.json"  # in the archive's .docgen/: the SHA-256 of what docgen last exported where


def _exports_path(archive) -> str:
    from docgen.cache import CACHE_DIR

    return os.path.join(archive.root, CACHE_DIR, EXPORTS)


def check_export_target(archive, out: str, force: bool) -> None:
    """Refuse an export that would write into the archive's records, schemas, templates or caches,
    or replace a file docgen did not export there (a clerk's own workbook, an export annotated since):
    as `build`, docgen replaces only what it wrote itself, unless told to (`force`)."""
    from docgen.cache import CACHE_DIR, file_sha256, read_json
    from docgen.records.tree import leads_outside

    for folder, what in ((archive.records_dir, "记录目录"), (os.path.join(archive.root, "schemas"), "模式目录"),
                         (os.path.join(archive.root, "templates"), "模板目录"),
                         (os.path.join(archive.root, CACHE_DIR), "缓存目录")):
        if not leads_outside(out, folder):
            raise DocgenError(f"{out} 在档案的{what}中，docgen 不会把导出文件写到那里；请用 --out 指定其他位置")
    if not os.path.lexists(out):
        return
    if os.path.islink(out) or not os.path.isfile(out):
        raise DocgenError(f"{out} 已存在且不是普通文件（可能是链接或文件夹），docgen 不会替换它；请用 --out 指定其他文件")
    if force:
        return
    noted = read_json(_exports_path(archive))
    target = os.path.realpath(out)
    if not (isinstance(noted, dict) and noted.get(target) is not None and noted.get(target) == file_sha256(out)):
        raise DocgenError(f"{out} 已存在，但不是 docgen 导出的，或导出后被修改过，docgen 不会替换它"
                          "（档案被复制、移动到别处，或由其他用户导出时，docgen 也认不出以前的导出）。"
                          f"请用 --out 指定其他文件，或先自行核对、移走它；确需替换时加 --force")


def note_export(archive, out: str, data: bytes, keep: int = 50) -> None:
    """Remember (signed) what was exported to `out`, so that the next export may replace it while untouched."""
    import hashlib

    from docgen.cache import note_latest

    path = _exports_path(archive)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)  # (as every check makes it)
    except OSError:
        return  # a read-only archive: the next export to this file asks for --force
    note_latest(path, os.path.realpath(out), hashlib.sha256(data).hexdigest(), keep)


def default_out(plan_id: str, department: str | None, fmt: str) -> str:
    suffix = f"-{department}" if department else ""
    return os.path.join("output", plan_id, f"检查结果导出-{plan_id}{suffix}.{fmt}")
