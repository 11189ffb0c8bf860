"""`docgen draw` around the pure draw: read the rosters, write records, verify them later."""

from __future__ import annotations

import os
from dataclasses import dataclass

from docgen.check import Checked
from docgen.draw import ALGORITHM, Draw, DrawImpossible, Inputs, make_draw
from docgen.problems import DocgenError
from docgen.yamlout import record_path, record_text, write_record
from docgen.writer import write_atomic

INSPECTION_COMMENT = ("由 docgen draw 随机抽取生成（抽取记录 {draw}）。plan、entity、group、leader、inspectors、vehicle\n"
                      "是抽取结果，请勿手工修改（docgen draw {plan} --verify 会核对）；其余内容由经办人员填写。")
DRAW_COMMENT = "随机抽取记录，由 docgen draw 写入，用于公开复核，请勿手工修改。\n复核：docgen draw {plan} --verify"


@dataclass
class Context:
    checked: Checked
    plan: dict
    inputs: Inputs
    names: dict[str, str]


def context_for(checked: Checked, plan_id: str) -> Context:
    index = checked.index
    plan_rec = index.plans.get(plan_id)
    if plan_rec is None:
        known = "、".join(sorted(index.plans)) or "（无）"
        raise DocgenError(f"找不到抽查计划“{plan_id}”。现有计划：{known}")
    if plan_rec.data.get("type") != "联合抽查":
        raise DocgenError(f"计划“{plan_id}”是{plan_rec.data.get('type')}，不是联合抽查，无需随机抽取")
    rosters = {plan_rec.path}  # a set: a thousand errors over a large roster must not cost errors × records
    rosters.update(r.path for r in index.entities.values())
    rosters.update(r.path for r in index.departments.values())
    bad = [p for p in checked.errors if p.path in rosters]
    if bad:
        listing = "\n".join(str(p) for p in bad[:20])
        raise DocgenError(f"计划或名录库中有错误，修正后才能抽取：\n{listing}")
    names = {k: r.data.get("name", k) for k, r in index.entities.items()}
    names.update({k: r.data.get("name", k) for k, r in index.departments.items()})
    inputs = Inputs.from_records(plan_rec.data, [r.data for r in index.entities.values()],
                                 {k: r.data for k, r in index.departments.items()})
    return Context(checked, plan_rec.data, inputs, names)


def _draw_number(record) -> int:
    """n of an id "<plan>-draw-<n>"."""
    tail = str(record.data.get("id", "")).rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def draws_of(checked: Checked, plan_id: str) -> list:
    """The plan's draw records, oldest first."""
    return sorted((r for r in checked.index.draws.values() if r.data.get("plan") == plan_id), key=_draw_number)


def inspection_data(plan_id: str, draw_id: str, entity_id: str, assignment: dict) -> dict:
    data = {"plan": plan_id, "entity": entity_id, "draw": draw_id, "group": assignment["group"],
            "leader": assignment["leader"], "inspectors": assignment["inspectors"]}
    if assignment.get("vehicle"):
        data["vehicle"] = assignment["vehicle"]
    return data


def draw_data(draw_id: str, plan_id: str, draw: Draw, replaces: str | None) -> dict:
    data = {"id": draw_id, "plan": plan_id, "seed": draw.seed, "algorithm": ALGORITHM,
            "digests": draw.digests, "population": draw.population, "drawn": draw.drawn,
            "entities": draw.entities,
            "groups": [{k: v for k, v in g.items() if v is not None} for g in draw.groups]}
    if draw.substitutions:
        data["substitutions"] = draw.substitutions
    if replaces:
        data["replaces"] = replaces
    return data


def inspection_text(records_dir: str, plan_id: str, draw_id: str, entity_id: str, assignment: dict) -> str:
    path = record_path(records_dir, "inspection", plan_id, entity_id)
    return record_text("inspection", inspection_data(plan_id, draw_id, entity_id, assignment), path, records_dir,
                       INSPECTION_COMMENT.format(draw=draw_id, plan=plan_id))


def run_draw(checked: Checked, plan_id: str, seed: str, redraw: bool = False, dry_run: bool = False) -> list[str]:
    """Make the draw and write its records; returns the lines to show. Writes nothing on failure."""
    ctx = context_for(checked, plan_id)
    records_dir = checked.archive.records_dir
    earlier = draws_of(checked, plan_id)
    if earlier and not redraw and not dry_run:
        raise DocgenError(f"计划“{plan_id}”已有抽取记录 {earlier[-1].path}。重新抽取须加 --redraw（旧的抽取记录会保留）")
    try:
        draw = make_draw(ctx.inputs, seed, ctx.names)
    except DrawImpossible as exc:
        raise DocgenError(f"无法抽取：{exc}") from None
    number = len(earlier) + 1
    draw_id = f"{plan_id}-draw-{number}"
    while draw_id in checked.index.draws:
        number += 1
        draw_id = f"{plan_id}-draw-{number}"

    existing = {r.data.get("entity"): r for r in checked.index.by_plan.get(plan_id, [])}
    replaceable = set()
    if earlier:
        old = earlier[-1].data
        old_assign = _assignments_of(old)
        for entity_id, record in existing.items():
            if entity_id in old_assign:
                untouched = inspection_text(records_dir, plan_id, old["id"], entity_id, old_assign[entity_id])
                with open(record.abspath, encoding="utf-8") as handle:
                    if handle.read() == untouched:
                        replaceable.add(entity_id)
    blocked = [r.path for e, r in existing.items() if e not in replaceable]
    if blocked:
        raise DocgenError("以下抽查记录已存在且已有人填写或修改过，docgen 不会覆盖或删除它们。"
                          "如确需重新抽取，请先自行移走这些文件：\n" + "\n".join(blocked))

    lines = [f"随机种子：{seed}", f"算法版本：{ALGORITHM}"]
    lines += [f"输入摘要 {name}：{digest}" for name, digest in draw.digests.items()]
    for c in draw.population:
        lines.append(f"信用分类 {c}：范围内 {draw.population[c]} 个，抽取 {draw.drawn[c]} 个")
    for group in draw.groups:
        members = "、".join(pid for ids in group["inspectors"].values() for pid in ids)
        entities = "、".join(ctx.names.get(e, e) for e in group["entities"])
        lines.append(f"第 {group['group']} 组（组长 {group['leader']}，成员 {members}）：{entities}")
    for sub in draw.substitutions:
        lines.append(f"回避：{ctx.names.get(sub['entity'], sub['entity'])} 由 {sub['by']} 代替 {sub['replaced']}")
    if dry_run:
        lines.append("（试算，未写入任何文件）")
        return lines

    draw_path = record_path(records_dir, "draw", draw_id)
    write_record("draw", draw_data(draw_id, plan_id, draw, earlier[-1].data["id"] if earlier else None),
                 draw_path, records_dir, DRAW_COMMENT.format(plan=plan_id))
    for entity_id in replaceable:
        os.unlink(existing[entity_id].abspath)
    for entity_id in draw.entities:
        path = record_path(records_dir, "inspection", plan_id, entity_id)
        write_atomic(path, inspection_text(records_dir, plan_id, draw_id, entity_id,
                                           draw.assignments[entity_id]).encode("utf-8"))
    lines.append(f"已写入抽取记录 {os.path.relpath(draw_path)} 和 {len(draw.entities)} 份抽查记录"
                 f"（{os.path.relpath(os.path.dirname(record_path(records_dir, 'inspection', plan_id, 'x')))}/）")
    return lines


def _assignments_of(draw_record: dict) -> dict[str, dict]:
    """Per-entity assignment as stored in a draw record (groups plus substitutions)."""
    result = {}
    for group in draw_record.get("groups") or []:
        for entity_id in group.get("entities") or []:
            result[entity_id] = {"group": group["group"], "leader": group["leader"],
                                 "inspectors": {d: list(ids) for d, ids in group["inspectors"].items()},
                                 "vehicle": group.get("vehicle")}
    for sub in draw_record.get("substitutions") or []:
        team = result.get(sub["entity"], {}).get("inspectors", {}).get(sub["department"])
        if team and sub["replaced"] in team:
            team[team.index(sub["replaced"])] = sub["by"]
    for assignment in result.values():
        if not any(assignment["leader"] in ids for ids in assignment["inspectors"].values()):
            first_dep = next(iter(assignment["inspectors"]))
            assignment["leader"] = assignment["inspectors"][first_dep][0]
    return result


def verify(checked: Checked, plan_id: str) -> tuple[bool, list[str]]:
    """Recompute the latest draw and compare it with the draw record and the inspection records."""
    ctx = context_for(checked, plan_id)
    earlier = draws_of(checked, plan_id)
    if not earlier:
        raise DocgenError(f"计划“{plan_id}”还没有抽取记录（先运行 docgen draw {plan_id} --seed …）")
    record = earlier[-1]
    stored = record.data
    findings: list[str] = []
    if stored.get("algorithm") != ALGORITHM:
        findings.append(f"抽取记录使用的算法“{stored.get('algorithm')}”与本版 docgen 的“{ALGORITHM}”不同，无法复算")
        return False, findings
    current = ctx.inputs.digests()
    labels = {"plan": "抽查计划", "entities": "检查对象名录库"}
    for name in sorted(set(current) | set(stored.get("digests") or {})):
        if current.get(name) != (stored.get("digests") or {}).get(name):
            label = labels.get(name, f"执法人员名录库 {name}")
            findings.append(f"{label}（{name}）在抽取后有变动：与抽取记录 {record.path} 中的摘要不一致")
    if not findings:
        draw = make_draw(ctx.inputs, stored["seed"], ctx.names)
        expected = draw_data(stored["id"], plan_id, draw, stored.get("replaces"))
        for key in ("population", "drawn", "entities", "groups", "substitutions"):
            if expected.get(key) != stored.get(key):
                findings.append(f"抽取记录 {record.path} 的「{key}」与按种子重新计算的结果不一致（抽取记录被改动？）")
    assigned = _assignments_of(stored)
    inspections = {r.data.get("entity"): r for r in checked.index.by_plan.get(plan_id, [])}
    for entity_id, assignment in assigned.items():
        name = ctx.names.get(entity_id, entity_id)
        insp = inspections.get(entity_id)
        if insp is None:
            findings.append(f"抽中的检查对象“{name}”（{entity_id}）没有抽查记录（被删除或改名？）")
            continue
        data = insp.data
        if data.get("group") != assignment["group"]:
            findings.append(f"{insp.path}：组别为 {data.get('group')}，抽取结果为 {assignment['group']}")
        if data.get("leader") != assignment["leader"]:
            findings.append(f"{insp.path}：组长为 {data.get('leader')}，抽取结果为 {assignment['leader']}")
        team = data.get("inspectors") or {}
        for dep_id in sorted(set(team) | set(assignment["inspectors"])):
            have, want = team.get(dep_id), assignment["inspectors"].get(dep_id)
            if have != want:
                findings.append(f"{insp.path}：部门 {dep_id} 的检查人员为 {have}，抽取结果为 {want}")
    for entity_id, insp in sorted(inspections.items(), key=lambda kv: str(kv[0])):
        if entity_id not in assigned:
            name = ctx.names.get(entity_id, entity_id)
            findings.append(f"{insp.path}：检查对象“{name}”（{entity_id}）不在抽取结果中（手工添加或替换？）")
    return not findings, findings
