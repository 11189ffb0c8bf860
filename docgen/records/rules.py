"""Cross-record rules: what a schema cannot say about one record alone.

Each rule yields `Problem`s on the record (and field) a clerk has to change.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from typing import Iterator

from docgen.records import creditcode, frequency, results
from docgen.records.archive import Record
from docgen.records.draws import assignments_of, draw_number, unfinished_message
from docgen.records.index import DATE_STEPS, STEP_TITLES, Index, parse_date, plan_folder, record_stem
from docgen.records.problems import WARNING, Problem



_CODE_CHARS = frozenset(creditcode.ALPHABET)
PLATFORM_DRAW = "platform"  # an inspection's `draw` when the provincial platform drew it: no draw record here


def _looks_like_code(text: str) -> bool:
    """18 characters of the credit code's alphabet: a 统一社会信用代码 written where an id belongs."""
    return len(text) == 18 and _CODE_CHARS.issuperset(text)


def _recused_by_code(index: Index, entity_id, person: dict) -> bool:
    """The person's recusals name the entity by its credit code rather than its id (validate warns
    that such a recusal names no entity; it still binds the person)."""
    conflicts = person.get("conflicts") or []
    if not isinstance(entity_id, str) or not any(isinstance(c, str) and _looks_like_code(c) for c in conflicts):
        return False
    entity = index.entities.get(entity_id)
    code = entity.data.get("credit_code") if entity is not None and isinstance(entity.data, dict) else None
    return isinstance(code, str) and code in conflicts


def check_ids(records: list[Record], index: Index) -> Iterator[Problem]:
    """Each record's own rules (`_own`: a text fits an Excel cell, …), and what is checked across records of
    one kind: ids match file names and are unique; inspectors, credit codes and vehicle plates are unique;
    recusals name existing entities; a working-day calendar is given once per year, with days of its year."""
    seen: dict[tuple[str, str], Record] = {}
    codes: dict[str, Record] = {}
    told: set[str] = set()  # paths of first holders already told of a code given twice
    for record in records:
        kind = record.kind
        if kind != "entity":  # (an entity's few short fields: not walked for 100,000 files)
            for keys, length in record.doc.remembered("long texts", lambda record=record: [
                    [keys, length] for keys, length in _long_texts(record.data)], lambda v: isinstance(v, list)):
                yield record.problem(tuple(keys), f"文字过长（{length} 个字符）：Excel 表格的一个单元格最多容纳 "
                                                  f"{EXCEL_CELL_CHARS} 个字符，超出时表格无法打开；请精简，或分成几项填写")
        if kind == "inspection" or kind == "calendar":
            continue
        doc = record.doc
        memo = doc.memo
        if memo is None or memo.get("own rules") != []:  # nothing found in it before: the usual case, at once
            for keys, message in _own(record):
                yield record.problem(tuple(keys), message)
        data = doc.data
        if kind == "entity":
            code = data.get("credit_code")
            if isinstance(code, str) and len(code) == 18 and _CODE_CHARS.issuperset(code):
                first = codes.setdefault(code, record)
                if first is not record:  # either file may be the mistyped one: both are told
                    yield record.problem(("credit_code",), f"统一社会信用代码“{code}”重复，已在 {first.path} 中使用")
                    if first.path not in told:
                        told.add(first.path)
                        yield first.problem(("credit_code",), f"统一社会信用代码“{code}”重复，{record.path} 中也写了这个代码")
        rid = data.get("id")
        if not isinstance(rid, str):
            continue
        first = seen.setdefault((kind, rid), record)
        if first is not record:
            yield record.problem(("id",), f"编号“{rid}”重复，已在 {first.path} 中使用")
    years: dict[int, Record] = {}
    for record in records:
        if record.kind == "calendar" and isinstance(record.data.get("year"), int):
            first = years.setdefault(record.data["year"], record)
            if first is not record:
                yield record.problem(("year",), f"{record.data['year']} 年的日历重复，已在 {first.path} 中定义")
            year = record.data["year"]
            stem = record_stem(record)
            if stem.isdigit() and int(stem) != year:  # a copy of last year's file, its year not changed
                yield record.problem(("year",), f"「年份」{year} 与文件名“{stem}”不一致：日历按 year 查找，"
                                                f"本文件的日期都不会作为 {stem} 年的日历起作用；请让两者相同")
                continue
            both = set(record.data.get("holidays") or []) & set(record.data.get("workdays") or [])
            for i, day in enumerate(record.data.get("workdays") or []):
                if day in both:
                    yield record.problem(("workdays", i), f"{day} 同时写在「放假日期」和「调休上班日」中：请只保留一处"
                                                          "（现在按放假日期计算）")
            for key, title in (("holidays", "放假日期"), ("workdays", "调休上班日")):
                for i, day in enumerate(record.data.get(key) or []):
                    when = parse_date(day)
                    if when and when.year != year:  # looked up by its own year: it would change nothing
                        yield record.problem((key, i), f"「{title}」{when} 不在本日历的 {year} 年内，不会起作用："
                                                       f"请写在 {when.year} 年的日历（calendar/{when.year}.yaml）中",
                                             WARNING)
    people: dict[str, str] = {}
    badges: dict[str, tuple] = {}  # 执法证号 -> (department record, position, id) of the first inspector holding it
    told_badges: set[tuple] = set()
    for record in records:
        if record.kind == "department":
            for i, person in enumerate(record.data.get("inspectors") or []):
                if not isinstance(person, dict):
                    continue
                pid = person.get("id")
                badge = person.get("badge")
                if isinstance(badge, str) and badge.strip():  # the platform's task lists name inspectors by it
                    first = badges.setdefault(badge.strip(), (record, i, pid))
                    if first[:2] != (record, i):  # either may be the mistyped one: both are told
                        yield record.problem(("inspectors", i, "badge"),
                                             f"执法证号“{badge.strip()}”重复，已是 {first[0].path} 中执法人员“{first[2]}”的证号："
                                             "一个执法证号只属于一名执法人员")
                        if (first[0].path, first[1]) not in told_badges:
                            told_badges.add((first[0].path, first[1]))
                            yield first[0].problem(("inspectors", first[1], "badge"),
                                                   f"执法证号“{badge.strip()}”重复，{record.path} 中执法人员“{pid}”"
                                                   "也写了这个证号：一个执法证号只属于一名执法人员")
                if isinstance(pid, str):
                    if pid in people:
                        yield record.problem(("inspectors", i, "id"), f"执法人员编号“{pid}”重复，已在 {people[pid]} 中使用")
                    people.setdefault(pid, record.path)
                    for j, conflict in enumerate(person.get("conflicts") or []):
                        if isinstance(conflict, str) and not index.exists("entity", conflict):
                            code = _looks_like_code(conflict)
                            yield record.problem(("inspectors", i, "conflicts", j),
                                                 f"回避对象“{conflict}”在名录库中不存在" +
                                                 ("（回避对象应写检查对象编号，如 org-001，不是统一社会信用代码）"
                                                  if code else ""), WARNING)
            for plate, count in Counter(v.get("plate") for v in record.data.get("vehicles") or []
                                        if isinstance(v, dict)).items():
                if count > 1:
                    yield record.problem(("vehicles",), f"车牌号“{plate}”重复")


EXCEL_CELL_CHARS = 32767  # what one Excel cell holds (Excel refuses a workbook with more)


def _long_texts(value, keys: list | None = None):
    """(keys, length) of each text in `value` longer than an Excel cell holds."""
    keys = keys or []
    if isinstance(value, str):
        if len(value) > EXCEL_CELL_CHARS:
            yield keys, len(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _long_texts(item, keys + [key])
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _long_texts(item, keys + [n])


def _own(record: Record) -> list:
    """[(keys, message)] of what `check_ids` finds in one record alone: its id against its file
    name, an entity's credit-code check digit. Both depend only on the file's bytes and name, so
    the verdict is remembered with the record's cache entry: 100,000 check digits are not
    recomputed in every run."""

    def make() -> list:
        found = []
        rid = record.data.get("id")
        if isinstance(rid, str) and rid != record_stem(record):
            found.append([["id"], f"编号“{rid}”与文件名“{record_stem(record)}”不一致，请让两者相同"])
        code = record.data.get("credit_code") if record.kind == "entity" else None
        if isinstance(code, str) and len(code) == 18 and all(c in creditcode.ALPHABET for c in code) \
                and not creditcode.is_valid(code):
            found.append([["credit_code"], f"「统一社会信用代码」“{code}”的校验位不正确（按 GB 32100-2015 计算，"
                                           f"第 18 位应为“{creditcode.check_char(code[:17])}”），请核对是否录错"])
        return found

    return record.doc.remembered("own rules", make, lambda v: isinstance(v, list) and all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], list) and isinstance(p[1], str) for p in v))


def check_plans(index: Index) -> Iterator[Problem]:
    """Departments a plan names exist; the lead department takes part; periods are in order."""
    for plan in index.plans.values():
        data = plan.data
        named = [i for i, a in enumerate(data.get("attachments") or []) if isinstance(a, str) and "实施方案" in a]
        if named and not data.get("scheme"):
            yield plan.problem(("attachments", named[0]), "附件说明列出了实施方案，但计划中没有实施方案（scheme）："
                                                          "不会生成 01_实施方案，请补填或从附件说明中删去", WARNING)
        ids = index.plan_department_ids(data)
        for i, dep in enumerate(ids):
            if isinstance(dep, str) and not index.exists("department", dep):
                yield plan.problem(("departments", i, "department"), f"部门“{dep}”不存在（应在 records/departments/{dep}.yaml 中定义）")
            if ids.index(dep) != i:
                yield plan.problem(("departments", i, "department"), f"部门“{dep}”重复列出")
        lead = data.get("lead_department")
        if isinstance(lead, str) and lead not in ids:
            yield plan.problem(("lead_department",), f"牵头部门“{lead}”应同时列在「实施部门」中")
        confirmed = data.get("confirmations") if isinstance(data.get("confirmations"), dict) else {}
        for dep in confirmed:
            if dep == lead:
                yield plan.problem(("confirmations", dep), f"“{dep}”是牵头部门，名单由协同单位确认，不需要填写", key=True)
            elif dep not in ids:
                yield plan.problem(("confirmations", dep), f"部门“{dep}”没有参与本计划", key=True)
        if confirmed and not data.get("draw_date"):
            yield plan.problem(("confirmations",), "填写了协同单位确认日期，还应填写「抽取日期」（draw_date），以便核对确认时限")
        drawn = parse_date(data.get("draw_date"))
        for dep, day in confirmed.items():
            when = parse_date(day)
            if drawn and when and when < drawn and dep != lead and dep in ids:
                yield plan.problem(("confirmations", dep), f"「确认日期」{when} 早于「抽取日期」{drawn}：协同单位确认的是"
                                                           "抽取出的名单，应在抽取之后（重新抽取后，请删去原来的确认日期）",
                                   WARNING)
        ratios = data.get("ratios") if isinstance(data.get("ratios"), dict) else {}
        for grade, ratio in ratios.items():
            if isinstance(ratio, float) and not math.isfinite(ratio):  # .nan, .inf: YAML numbers, no ratio
                yield plan.problem(("ratios", grade), f"抽查比例“{ratio}”不是一个确定的数值，请填写百分比数字，如 5")
        period = data.get("period") or {}
        start, end = parse_date(period.get("start")), parse_date(period.get("end"))
        if start and end and start > end:
            yield plan.problem(("period", "end"), f"「结束日期」{end} 早于「开始日期」{start}")
        if data.get("type") == "联合抽查":
            yield from _check_plan_items(plan, index)
            # docgen prints nothing in their place (it never invents): say so before the tables go out
            if not data.get("check_type"):
                yield plan.problem((), "没有填写「抽查类型」（check_type）：公示表的“抽查类型”一栏将为空", WARNING)
            if not isinstance(data.get("notice"), dict) or not data["notice"].get("phone_content"):
                yield plan.problem(("notice",) if isinstance(data.get("notice"), dict) else (),
                                   "没有填写「电话告知内容」（notice.phone_content）：电话告知记录表的“告知内容”一栏将为空",
                                   WARNING)
        assistants = data.get("assistants") or []
        groups = {r.data.get("group") for r in index.by_plan.get(data.get("id"), ())} if assistants else set()
        groups.discard(None)
        for i, helper in enumerate(assistants):
            dep = helper.get("department") if isinstance(helper, dict) else None
            if isinstance(dep, str) and dep not in ids:
                yield plan.problem(("assistants", i, "department"), f"部门“{dep}”没有参与本计划")
            group = helper.get("group") if isinstance(helper, dict) else None
            if groups and isinstance(group, int) and group not in groups:  # before the draw there are no groups yet
                shown = "、".join(f"第{g}组" for g in sorted(g for g in groups if isinstance(g, int)))
                yield plan.problem(("assistants", i, "group"),
                                   f"本计划的抽查记录中没有第{group}组（现有：{shown}），协助人员不会出现在任何文书中")


def _check_plan_items(plan: Record, index: Index) -> Iterator[Problem]:
    """Each department's items are chosen, by id, from that department's 抽查事项清单."""
    for i, entry in enumerate(plan.data.get("departments") or []):
        dep = entry.get("department") if isinstance(entry, dict) else None
        if not isinstance(dep, str) or not isinstance(entry.get("items"), list):
            continue
        listed = index.item_lists.get(dep)
        if listed is None:
            if not index.exists("items", dep) and index.exists("department", dep):
                yield plan.problem(("departments", i, "items"),
                                   f"部门“{dep}”还没有抽查事项清单（records/items/{dep}.yaml）：计划的抽查事项应从各部门的清单中"
                                   f"按编号选取。旧档案请运行 docgen migrate，它把计划中写的事项移入各部门的清单")
            continue
        known = [str(item.get("id")) for item in listed.data.get("items") or [] if isinstance(item, dict)]
        for j, item_id in enumerate(entry["items"]):
            if item_id not in known:
                yield plan.problem(("departments", i, "items", j),
                                   f"抽查事项“{item_id}”不在部门“{dep}”的抽查事项清单 {listed.path} 中"
                                   f"（清单中的事项编号：{'、'.join(known) or '无'}）；请先把它加入清单，或改用清单中的编号")


def check_item_lists(index: Index) -> Iterator[Problem]:
    """A list belongs to an existing department; its item ids are unique."""
    for dep_id, listed in index.item_lists.items():
        if not index.exists("department", dep_id):
            yield listed.problem(("id",), f"部门“{dep_id}”不存在（抽查事项清单的编号应是 records/departments/ 中的部门编号）")
        seen: set = set()
        for j, item in enumerate(listed.data.get("items") or []):
            if isinstance(item, dict) and item.get("id") in seen:
                yield listed.problem(("items", j, "id"), f"事项编号“{item.get('id')}”在清单中重复")
            if isinstance(item, dict):
                seen.add(item.get("id"))


def check_repeats(index: Index) -> Iterator[Problem]:
    """An entity inspected again in the same year (warning): the rules limit how often."""
    for record, year, earlier in frequency.repeats(index):
        plan = index.plans[record.data["plan"]].data
        count = len(earlier) + 1
        cap = plan.get("yearly_cap")
        over = f"，超过本计划规定的每年最多 {cap} 次" if isinstance(cap, int) and count > cap else ""
        yield record.problem(("entity",), f"检查对象“{record.data['entity']}”在 {year} 年已被计划 {'、'.join(earlier)} 抽查，"
                                          f"本次是该年度第 {count} 次检查{over}；请核实是否确需重复检查", WARNING)


def check_inspections(index: Index) -> Iterator[Problem]:
    """References resolve, dates are in order, groups are complete, conflicts are respected."""
    import hashlib

    seen: dict[tuple[str, str], Record] = {}
    # what the rules on one inspection read besides its own file: its plan and entity (their
    # SHA-256 below) and the departments and item lists (inspectors, their qualifications and
    # conflicts, the items' qualifications), whose digest is worked out once here
    team_inputs = sorted((kind, rid, record.sha) for kind, table in (("department", index.departments),
                                                                     ("items", index.item_lists))
                         for rid, record in table.items())
    team_digest = hashlib.sha256(repr(team_inputs).encode("utf-8", "surrogateescape")).hexdigest() \
        if all(sha for _kind, _id, sha in team_inputs) else None  # (every record read has its bytes' digest)
    drawn = _drawn_entities(index)
    # of two records for one entity in one plan, the duplicate is the one out of its place (a copy set
    # aside in a subfolder), whatever the names' order: the record where it belongs keeps its documents
    out_of_place = {id(record): list(misplaced(record, index.exists)) for record in index.inspections}
    for record in sorted(index.inspections, key=lambda r: bool(out_of_place[id(r)])):
        seen.setdefault((record.data.get("plan"), record.data.get("entity")), record)
    for record in index.inspections:
        data = record.data
        plan_rec = index.plans.get(data.get("plan"))
        entity_rec = index.entities.get(data.get("entity"))
        if isinstance(data.get("plan"), str) and not index.exists("plan", data["plan"]):
            folder = plan_folder(record)  # plan: qa-2023-3O in inspections/qa-2023-30/: the folder says what was meant
            meant = f"；本文件在计划“{folder}”的文件夹中，是否应为 plan: {folder}？" \
                if folder and index.exists("plan", folder) else ""
            yield record.problem(("plan",), f"抽查计划“{data['plan']}”不存在（应在 records/plans/{data['plan']}.yaml 中定义）"
                                            + meant)
        if isinstance(data.get("entity"), str) and not index.exists("entity", data["entity"]):
            stem = record_stem(record)
            meant = f"；本文件名是“{stem}”，是否应为 entity: {stem}？" if stem != data["entity"] \
                and index.exists("entity", stem) else ""
            yield record.problem(("entity",), f"检查对象“{data['entity']}”不存在（应在 records/entities/{data['entity']}.yaml 中定义）"
                                              + meant)
        drawn_by = data.get("draw")
        if isinstance(drawn_by, str) and drawn_by not in index.draws and ("draw", drawn_by) not in index.broken \
                and drawn_by != PLATFORM_DRAW:
            yield record.problem(("draw",), f"抽取记录“{drawn_by}”不存在（应为 records/draws/{drawn_by}.yaml）："
                                            "无法核对本记录的抽取结果（docgen draw --verify）", WARNING)
        latest = drawn.get(data.get("plan"))
        if latest is not None and drawn_by != PLATFORM_DRAW and isinstance(data.get("entity"), str) \
                and data["entity"] not in latest[1]:
            name = entity_rec.data.get("name", data["entity"]) if entity_rec else data["entity"]
            yield record.problem(("entity",), f"检查对象“{name}”（{data['entity']}）不在本计划最新的抽取结果"
                                              f"（{latest[0].path}）中：不是随机抽取的（手工添加或替换？），"
                                              f"docgen draw {data['plan']} --verify 会报告为不一致", WARNING)
        elif latest is not None and drawn_by != PLATFORM_DRAW and isinstance(data.get("entity"), str):
            yield from _unlike_draw(record, latest, index)
        yield from out_of_place[id(record)]
        key = (data.get("plan"), data.get("entity"))
        first = seen[key]
        if first is not record:
            yield record.problem(("entity",), f"同一计划中对“{key[1]}”的抽查记录重复，已有 {first.path}")
        if team_digest is None or not record.sha or (plan_rec and not plan_rec.sha) or (entity_rec and not entity_rec.sha):
            yield from _check_inspection(record, plan_rec, entity_rec, index)
            continue
        context = f"{plan_rec.sha if plan_rec else None}\0{entity_rec.sha if entity_rec else None}\0{team_digest}"
        yield from remembered_problems(record, "inspection rules", context,
                                       lambda record=record, plan_rec=plan_rec, entity_rec=entity_rec:
                                       _check_inspection(record, plan_rec, entity_rec, index))


def in_place(record: Record) -> bool:
    """Whether an inspection record is at inspections/<plan>/<entity>.yaml (`misplaced` finds nothing)."""
    return next(misplaced(record), None) is None


def misplaced(record: Record, exists=None) -> Iterator[Problem]:
    """What is out of place in an inspection record: one set aside in a subfolder (备份), copied into
    another plan's folder or named for another entity is still read, printed and counted, so it is said.
    With `exists` (`Index.exists`): a plan or entity that does not exist while its folder's or file's
    name does is a mistyped id, said where it is not found ("move the file" would follow the typo)."""
    data = record.data
    plan, entity = data.get("plan"), data.get("entity")
    held_in = plan_folder(record)
    stem = record_stem(record)
    if held_in is None:
        if isinstance(plan, str):
            shown = os.path.dirname(record.path).replace(os.sep, "/")
            yield record.problem(("plan",), f"抽查记录应放在 records/inspections/{plan}/ 中，本文件却在“{shown}”里："
                                            "records/ 中的记录都会被读取、生成文书并计入汇总表；不用的记录请删除，"
                                            "或移出 records/")
        return
    typo = exists is not None and (lambda kind, named, held: not exists(kind, named) and exists(kind, held))
    if isinstance(plan, str) and held_in != plan and not (typo and typo("plan", plan, held_in)):
        yield record.problem(("plan",), f"本记录的抽查计划是“{plan}”，却放在文件夹“{held_in}”中："
                                        f"应放在 records/inspections/{plan}/ 中")
    if isinstance(entity, str) and stem != entity and not (typo and typo("entity", entity, stem)):
        # both exist: the record may be saved under the wrong name, or its id mistyped as another entity's
        either = f"；若是把编号写错了，应为 entity: {stem}" if exists is not None and exists("entity", stem) else ""
        yield record.problem(("entity",), f"本记录的检查对象是“{entity}”，文件名却是“{stem}”：应为 {entity}.yaml{either}")


def _unlike_draw(record: Record, latest: tuple[Record, dict], index: Index) -> Iterator[Problem]:
    """What of an inspection's drawn fields differs from the plan's latest draw (as `draw --verify`
    compares them): an inspector swapped by hand printed on 04 and 06 as drawn, with only --verify to say so."""
    data, assignment = record.data, latest[1][record.data["entity"]]
    changed = []
    for key, title in (("group", "组别"), ("leader", "组长"), ("vehicle", "车辆")):
        if data.get(key) != assignment.get(key):
            changed.append(((key,) if key in data else (), title))
    team = data.get("inspectors") if isinstance(data.get("inspectors"), dict) else {}
    for dep_id in sorted(set(team) | set(assignment["inspectors"]), key=str):
        if team.get(dep_id) != assignment["inspectors"].get(dep_id):
            dep = index.departments.get(dep_id)
            name = dep.data.get("name", dep_id) if dep is not None else dep_id
            changed.append((("inspectors", dep_id) if dep_id in team else ("inspectors",), f"{name}的检查人员"))
    if changed:
        yield record.problem(changed[0][0], f"{'、'.join(title for _keys, title in changed)}与本计划最新的抽取结果"
                                            f"（{latest[0].path}）不同：抽取的人员、组别和车辆不能手工更换（须回避等"
                                            f"由 docgen draw 重新抽取），docgen draw {data['plan']} --verify 会报告为不一致",
                             WARNING)


def _drawn_entities(index: Index) -> dict[str, tuple[Record, dict]]:
    """plan id -> (record, each drawn entity's assignment) of the plan's latest draw record, as `draw
    --verify` takes it: only for plans whose draws are all whole (none in progress, none with errors),
    else nothing is said."""
    if "drawn entities" in index.views:  # asked by two rules in one check
        return index.views["drawn entities"]
    by_plan: dict[str, list[Record]] = defaultdict(list)
    for draw in index.draws.values():
        if isinstance(draw.data.get("plan"), str):
            by_plan[draw.data["plan"]].append(draw)
    broken = {str(rid) for kind, rid in index.broken if kind == "draw"}
    found = {}
    for plan_id, draws in by_plan.items():
        if any("status" in d.data for d in draws) or any(rid.startswith(f"{plan_id}-draw-") for rid in broken):
            continue
        latest = max(draws, key=draw_number)
        found[plan_id] = (latest, assignments_of(latest.data))
    index.views["drawn entities"] = found
    return found


def _check_inspection(record: Record, plan_rec: Record | None, entity_rec: Record | None, index: Index) -> Iterator[Problem]:
    """The rules on one inspection given its plan and entity: dates, completion, scope, team."""
    yield from _check_dates(record)
    yield from _check_completion(record)
    if plan_rec is None:
        return
    plan = plan_rec.data
    if entity_rec is not None and not index.in_scope(plan, entity_rec.data, check_status=False):
        yield record.problem(("entity",), f"检查对象“{entity_rec.data.get('name')}”的主体类型“{entity_rec.data.get('type')}”"
                                          f"不在计划的抽查范围（{'、'.join(plan['scope']['entity_types'])}）内")
    yield from _check_agreed_in_period(record, plan)
    yield from _check_item_names(record, plan, index)
    yield from _check_after_the_plan(record, plan)
    yield from _check_vehicle(record, index)
    # members of one group may differ per entity (回避 substitutions), so teams are checked per record
    yield from _check_team(record, plan, index)


def remembered_problems(record: Record, token: str, context: str, find) -> list[Problem]:
    """`find()`'s problems for the record, or what it gave for the same file bytes and `context`
    (a digest of everything else it reads) before: remembered with the record's cache entry, so
    that the rules on 3,000 unchanged inspections are not run again after each edit."""
    rows = remembered_value(record, token, context, lambda: problem_rows(find()), is_problem_rows)
    return [Problem(record.path, *row) for row in rows]


def remembered_value(record: Record, token: str, context: str, make, valid):
    """`make()` (a JSON value) for the record, or what it gave for the same file bytes and
    `context` before, when `valid` says it is of the expected shape (see `remembered_problems`):
    `Document.remembered`, kept with the context it was made for."""
    return record.doc.remembered(token, lambda: [context, make()], lambda kept: isinstance(kept, list) and len(
        kept) == 2 and kept[0] == context and valid(kept[1]))[1]


def problem_rows(problems) -> list[list]:
    """[line, column, message, severity] of problems on one record, as its memo keeps them."""
    return [[p.line, p.column, p.message, p.severity] for p in problems]


def is_problem_rows(value) -> bool:
    """Whether `value` is a list of `problem_rows`."""
    types = (int, int, str, str)
    return isinstance(value, list) and all(
        isinstance(row, list) and len(row) == 4 and all(type(v) is t for v, t in zip(row, types)) for row in value)


def _check_dates(record: Record) -> Iterator[Problem]:
    dates = record.data.get("dates") or {}
    call = record.data.get("phone_notice") if isinstance(record.data.get("phone_notice"), dict) else {}
    when = call.get("time")
    if isinstance(when, str) and when.strip():  # the schema's pattern checks the shape; here the calendar and clock
        day, _, clock = when.strip().partition(" ")
        hour, _, minute = clock.partition(":")
        if parse_date(day) is None or clock and not (hour.isdigit() and minute.isdigit() and int(hour) < 24
                                                      and int(minute) < 60):
            yield record.problem(("phone_notice", "time"), f"「告知时间」“{when}”不是真实存在的日期和时刻，"
                                                          "应写成 YYYY-MM-DD HH:MM，如 2023-10-31 09:30")
    called = parse_date(dates.get("phone_notice"))
    if called and not call:
        yield record.problem(("dates", "phone_notice"), "已填写「电话告知日期」，但没有电话告知的记录（phone_notice：告知时间、"
                                                       "告知人、接听人）：电话告知记录表中不会有这一行", WARNING)
    elif called and isinstance(when, str) and parse_date(when.strip().partition(" ")[0]) not in (None, called):
        yield record.problem(("phone_notice", "time"), f"「告知时间」{when.strip()} 与「电话告知日期」{called} 不是同一天："
                                                      "电话告知记录表印告知时间，期限按电话告知日期计算", WARNING)
    yield from _check_agreed_visit(record, call, called)
    previous = None
    for step in DATE_STEPS:
        when = parse_date(dates.get(step))
        if when is None:
            continue
        if previous and when < previous[1]:
            yield record.problem(("dates", step), f"「{STEP_TITLES[step]}」{when} 早于「{STEP_TITLES[previous[0]]}」{previous[1]}，"
                                                  "各环节应依次为：电话告知 ≤ 告知书送达 ≤ 检查")
        previous = (step, when)
    visit = parse_date(dates.get("visit"))
    for dep_id, part in results.parts(record.data):
        previous = ("visit", visit) if visit else None
        approval = part.get("approval") if isinstance(part.get("approval"), dict) else {}
        for keys, title in results.PART_DATES:
            when = parse_date(approval.get("date") if keys[0] == "approval" else part.get(keys[0]))
            if when is None:
                continue
            if previous and when < previous[1]:
                before = STEP_TITLES.get(previous[0], previous[0])
                yield record.problem(("departments", dep_id) + keys,
                                     f"「{title}」{when} 早于「{before}」{previous[1]}，"
                                     "各环节应依次为：检查 ≤ 完成 ≤ 录入 ≤ 审核批准 ≤ 公示")
            previous = (title, when)
    if visit:  # the record form is signed at the visit or after it, never before
        signature = record.data.get("signature")
        when = parse_date(signature.get("date")) if isinstance(signature, dict) else None
        if when and when < visit:
            yield record.problem(("signature", "date"), f"「签字日期」{when} 早于「检查日期」{visit}：实地核查记录表"
                                                        "应在检查时或检查之后签字确认")
        for dep_id, part in results.parts(record.data):
            for j, signed in enumerate(part.get("signatures") or []):
                when = parse_date(signed.get("date")) if isinstance(signed, dict) else None
                if when and when < visit:
                    yield record.problem(("departments", dep_id, "signatures", j, "date"),
                                         f"检查人员的「签名日期」{when} 早于「检查日期」{visit}：应在检查时或检查之后签名")
    several = len(list(results.parts(record.data))) > 1
    for i, action in enumerate(record.data.get("follow_ups") or []):
        if not isinstance(action, dict):
            continue
        if several and not action.get("department"):
            yield record.problem(("follow_ups", i), "本次检查有多个部门参加，这项后续处置没有填写负责的部门（department）："
                                                   "后续处置工作台账的“检查部门”一栏将为空，导出的检查结果中也不列入任何部门", WARNING)
        if action.get("status") == "已完结" and not action.get("closed"):
            yield record.problem(("follow_ups", i, "status"), "后续处置已完结时应填写「完结日期」（closed）")
        if action.get("closed") and action.get("status") != "已完结":
            yield record.problem(("follow_ups", i, "closed"), "已填写「完结日期」，但「完结情况」不是“已完结”")
        closed = parse_date(action.get("closed"))
        if closed and visit and closed < visit:
            yield record.problem(("follow_ups", i, "closed"), f"「完结日期」{closed} 早于「检查日期」{visit}")


def _check_agreed_visit(record: Record, call: dict, called) -> Iterator[Problem]:
    """The visit day agreed on the call is printed in the 告知书: after the call, and not already past
    when the 告知书 is served (a different day of the visit itself is the clerk's to explain)."""
    agreed = parse_date(call.get("agreed_visit"))
    if agreed is None:
        return
    when = call.get("time")
    day = called or (parse_date(when.strip().partition(" ")[0]) if isinstance(when, str) else None)
    if day and agreed < day:
        yield record.problem(("phone_notice", "agreed_visit"), f"「约定检查日期」{agreed} 早于电话告知的日期 {day}："
                                                              "约定的应是电话之后的日子", WARNING)
        return
    served = parse_date((record.data.get("dates") or {}).get("notice_served"))
    if served and agreed < served:
        yield record.problem(("phone_notice", "agreed_visit"), f"「约定检查日期」{agreed} 早于「告知书送达日期」{served}："
                                                              "告知书写的检查日期在送达时已经过去", WARNING)


def _check_agreed_in_period(record: Record, plan: dict) -> Iterator[Problem]:
    call = record.data.get("phone_notice")
    agreed = parse_date(call.get("agreed_visit")) if isinstance(call, dict) else None
    end = parse_date((plan.get("period") or {}).get("end"))
    if agreed and end and agreed > end:
        yield record.problem(("phone_notice", "agreed_visit"), f"「约定检查日期」{agreed} 晚于抽查计划的检查期限 {end}", WARNING)


def _check_vehicle(record: Record, index: Index) -> Iterator[Problem]:
    """A plate no department lists is most often one typed wrong (冀B-J0102 for 冀B·J0102): 06 printed it
    as a second vehicle of the group, without a driver. A warning: a hired car is listed nowhere."""
    plate = record.data.get("vehicle")
    if not isinstance(plate, str) or not plate or any(kind == "department" for kind, _ in index.broken):
        return  # (a department file with an error: its vehicles are not known, said there)
    if index.vehicle(plate) is None:
        yield record.problem(("vehicle",), f"车辆“{plate}”不在任何部门登记的车辆（vehicles）中：请核对车牌号；"
                                           "人员分组及车辆安排情况表中这辆车没有驾驶员", WARNING)


def _check_after_the_plan(record: Record, plan: dict) -> Iterator[Problem]:
    """An inspection comes after the plan that ordered it: a step dated before the plan's notice was
    issued (a year typed wrong) cannot be; a visit before the inspection period is a warning, as one
    after it is (`_check_agreed_in_period`)."""
    dates = record.data.get("dates") if isinstance(record.data.get("dates"), dict) else {}
    issued = parse_date(plan.get("issue_date"))
    start = parse_date((plan.get("period") or {}).get("start"))
    for step in DATE_STEPS:
        when = parse_date(dates.get(step))
        if when and issued and when < issued:
            yield record.problem(("dates", step), f"「{STEP_TITLES[step]}」{when} 早于抽查计划的成文日期 {issued}："
                                                  "检查不会在计划印发之前进行，请核对年份和日期")
        elif step == "visit" and when and start and when < start:
            yield record.problem(("dates", step), f"「检查日期」{when} 早于抽查计划的检查期限开始日期 {start}", WARNING)


def _check_item_names(record: Record, plan: dict, index: Index) -> Iterator[Problem]:
    """A finding written under an item the plan did not choose from the department's list (a name
    typed differently): 04 prints it as a row of its own, and the listed item again as a blank row."""
    chosen: dict[str, list[str]] = {}
    for entry in plan.get("departments") or []:
        if isinstance(entry, dict) and isinstance(entry.get("department"), str) and isinstance(entry.get("items"), list):
            names = [(index.list_item(entry["department"], i) or {}).get("name") for i in entry["items"]]
            chosen.setdefault(entry["department"], []).extend(n for n in names if isinstance(n, str) and n)
    for dep_id, part in results.parts(record.data):
        names = chosen.get(dep_id)
        if not names:
            continue
        for j, item in enumerate(part.get("items") or []):
            written = item.get("item") if isinstance(item, dict) else None
            if isinstance(written, str) and written and written not in names:
                yield record.problem(("departments", dep_id, "items", j, "item"),
                                     f"检查事项“{written}”不是本计划从本部门抽查事项清单中选取的事项（{'、'.join(names)}）："
                                     "实地核查记录表会把它另列一行，清单中的事项仍印成空行；请按清单中的名称填写", WARNING)


def _check_completion(record: Record) -> Iterator[Problem]:
    data = record.data
    first_completed = None
    for dep_id, part in results.parts(data):
        where = ("departments", dep_id)
        found = results.part_results(part)
        if part.get("completed"):
            first_completed = first_completed or where + ("completed",)
            if not found:
                yield record.problem(where + ("completed",), "本部门检查已完成，应填写「抽查结果」（results）")
        if found and not part.get("items") and not any(r in results.ALONE or r == results.REFUSED for r in found):
            # the form would be signed with a result above blank rows for every item of the list
            yield record.problem(where + ("results",), "已填写「抽查结果」，但没有逐项填写检查事项（items：每项的发现问题情况"
                                                       "和处理情况）：实地核查记录表中本部门的检查事项将印成空行", WARNING)
        for keys, message in results.contradictions(part):
            yield record.problem(where + keys, message)
        if results.PENDING in found and not any(isinstance(a, dict) and a.get("department") in (dep_id, None)
                                                for a in data.get("follow_ups") or []):
            yield record.problem(where + ("results",), f"抽查结果为“{results.PENDING}”，"
                                                       "应在「后续处置」（follow_ups）中登记本部门的处置措施")
        if part.get("disclosed"):
            if not found:
                yield record.problem(where + ("disclosed",), "结果已公示，应填写「抽查结果」（results）")
            if not results.is_approved(part):  # a warning: archives migrated from the old shape have none
                yield record.problem(where + ("disclosed",), "结果已公示，但没有经办领导的审核批准（approval）："
                                                             "抽查结果须经批准后才能公示，请补填；未补填前不列入公示表",
                                     WARNING)
        if part.get("approval") and not found:
            yield record.problem(where + ("approval",), "尚未填写「抽查结果」（results），不能审核批准")
    # an entity nobody could find (or that no longer exists) signs nothing and was inspected by no method:
    # asking for them would have the clerk invent them
    if first_completed and not results.nobody_to_notify(dict(results.parts(data))):
        if not data.get("signature") and not data.get("refusal"):
            yield record.problem(first_completed,
                                 "检查已完成，应填写法定代表人签字确认（signature），或如实记录拒签情况（refusal）")
        if not data.get("methods"):
            yield record.problem(first_completed, "检查已完成，应填写「检查方式」（methods）")
    if data.get("signature") and data.get("refusal"):
        yield record.problem(("refusal",), "已有签字确认，又记录了拒签，两者只能有一个")


def _check_team(record: Record, plan: dict, index: Index) -> Iterator[Problem]:
    data = record.data
    needed = plan.get("inspectors_per_department", 2)
    participating = index.plan_department_ids(plan)
    team = data.get("inspectors")
    entity_id = data.get("entity")
    if not isinstance(team, dict):
        if team is None:
            yield record.problem((), f"缺少「检查人员」（inspectors）：每个参与部门需 {needed} 名执法人员")
        return
    everyone = []
    visit = parse_date((data.get("dates") or {}).get("visit")) if isinstance(data.get("dates"), dict) else None
    plan_end = parse_date((plan.get("period") or {}).get("end"))
    on_day, on_label = (visit, "检查日期") if visit else (plan_end, "计划结束日期")
    for dep in participating:
        if dep not in team:
            name = index.departments[dep].data.get("name", dep) if dep in index.departments else dep
            yield record.problem(("inspectors",), f"「检查人员」缺少部门“{name}”（{dep}）的执法人员，每个参与部门需 {needed} 人")
    for dep, people in team.items():
        if dep not in participating:
            yield record.problem(("inspectors", dep), f"部门“{dep}”没有参与本计划", key=True)
            continue
        if not isinstance(people, list):
            continue
        if len(people) < needed:
            yield record.problem(("inspectors", dep), f"部门“{dep}”只有 {len(people)} 名检查人员，每组每部门至少需要 {needed} 名")
        for i, pid in enumerate(people):
            found = index.inspectors.get(pid)
            if found is None and ("department", dep) in index.broken:
                everyone.append(pid)  # (may lead the group: nothing is known against it)
                continue  # the department's file has an error: its roster is not known, said there
            if found is None or found[0].data.get("id") != dep:
                where = f"不属于部门“{dep}”" if found else "在执法人员名录库中不存在"
                yield record.problem(("inspectors", dep, i), f"执法人员“{pid}”{where}")
                continue
            person = index.inspector(pid)
            key = ("required", plan.get("id"), dep)  # once per plan and department, not per inspector
            if key not in index.views:
                index.views[key] = index.required_qualifications(plan, dep)
            missing = [q for q in index.views[key] if q not in (person.get("qualifications") or [])]
            if missing:
                yield record.problem(("inspectors", dep, i),
                                     f"执法人员{person.get('name')}（{pid}）不具备本部门所选抽查事项要求的资格"
                                     f"“{'、'.join(missing)}”，不能检查这些事项")
            valid_until = parse_date(person.get("badge_valid_until"))
            if valid_until and on_day and valid_until < on_day:
                yield record.problem(("inspectors", dep, i),
                                     f"执法人员{person.get('name')}（{pid}）的执法证有效期至 {valid_until}，"
                                     f"早于{on_label} {on_day}：执法证不在有效期内的人员不能检查")
            if entity_id in (person.get("conflicts") or []) or _recused_by_code(index, entity_id, person):
                yield record.problem(("inspectors", dep, i),
                                     f"执法人员{person.get('name')}（{pid}）须回避检查对象“{entity_id}”，不能参加本次检查")
            if pid in everyone:
                yield record.problem(("inspectors", dep, i), f"执法人员“{pid}”重复列出")
            everyone.append(pid)
    leader = data.get("leader")
    if isinstance(leader, str) and leader not in everyone:
        yield record.problem(("leader",), f"组长“{leader}”应是本组的检查人员之一")
    for dep_id, part in results.parts(data):
        if dep_id not in participating:
            yield record.problem(("departments", dep_id), f"部门“{dep_id}”没有参与本计划", key=True)
            continue
        own = team.get(dep_id) if isinstance(team.get(dep_id), list) else []
        for i, signature in enumerate(part.get("signatures") or []):
            signer = signature.get("inspector") if isinstance(signature, dict) else None
            if isinstance(signer, str) and signer not in own:
                yield record.problem(("departments", dep_id, "signatures", i, "inspector"),
                                     f"签名人“{signer}”不是本部门在本次检查中的检查人员（{'、'.join(own) or '无'}）")
    for i, action in enumerate(data.get("follow_ups") or []):
        if isinstance(action, dict) and isinstance(action.get("department"), str) and action["department"] not in participating:
            yield record.problem(("follow_ups", i, "department"), f"部门“{action['department']}”没有参与本计划")


def check_draws(index: Index) -> Iterator[Problem]:
    """Plans exist; a draw still marked in progress was interrupted: its inspection records may be missing."""
    for draw in index.draws.values():
        if isinstance(draw.data.get("plan"), str) and not index.exists("plan", draw.data["plan"]):
            yield draw.problem(("plan",), f"抽查计划“{draw.data['plan']}”不存在")
        if "status" in draw.data:  # the schema allows one value, in-progress (see docgen.draw.run)
            yield draw.problem(("status",), unfinished_message(draw, draw.data.get("plan")))


def check_drawn_inspected(index: Index) -> Iterator[Problem]:
    """Every entity of a plan's latest draw has its inspection record: one deleted (or never made) is
    an entity drawn and not inspected, which only `draw --verify` said before."""
    drawn_plans = _drawn_entities(index)
    recorded: dict = defaultdict(set)  # plan -> entities with a record naming it, or in its folder (one pass)
    if drawn_plans:
        for record in index.inspections:
            for plan_id in {record.data.get("plan"), plan_folder(record)}:
                recorded[plan_id].add(record.data.get("entity"))
    for plan_id, (draw, drawn) in drawn_plans.items():
        if index.broken_by_plan.get(plan_id) or index.broken_by_plan.get("*"):
            continue  # a record of the plan that cannot be read may be any drawn entity's: its own error says so
        listed = draw.data.get("entities") if isinstance(draw.data.get("entities"), list) else []
        missing = set(drawn) - recorded[plan_id]
        for entity_id in [e for e in listed if e in missing] + sorted(missing - set(listed)):
            record = index.entities.get(entity_id)
            name = record.data.get("name", entity_id) if record is not None else entity_id
            where = ("entities", listed.index(entity_id)) if entity_id in listed else ("groups",)
            yield draw.problem(where, f"抽中的检查对象“{name}”（{entity_id}）在 records/inspections/{plan_id}/ 中没有抽查记录："
                                      "抽中的对象都要检查（记录被删除或移走了？），"
                                      f"docgen draw {plan_id} --verify 会报告为不一致", WARNING)


def check_all(records: list[Record], index: Index) -> list[Problem]:
    """Cross-record rules over records whose own shape is right (`records` holds only those)."""
    problems: list[Problem] = []
    for rule in (check_ids(records, index), check_plans(index), check_item_lists(index), check_inspections(index),
                 check_repeats(index), check_draws(index), check_drawn_inspected(index)):
        problems.extend(rule)
    return problems
