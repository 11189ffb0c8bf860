"""`docgen draw` around the pure draw: read the rosters, write records, verify them later.

A draw is all or nothing. Its record is written first, marked `status: in-progress` and listing
the SHA-256 of every inspection record it will write (`writes`) and of every unfilled record of the
replaced draw it will delete (`removes`); then those files are written and deleted; last the draw
record is rewritten without the three fields. A run killed at any point leaves either nothing or an
unfinished draw that `docgen validate` reports and `--resume` / `--rollback` complete or undo. Files
are only ever created where nothing is, and only deleted when their bytes are exactly what docgen
makes from a draw record (an unfilled drawn record), so no clerk's work is touched.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from docgen.records.archive import display
from docgen.records.draws import IN_PROGRESS, assignments_of, broken_draws, draw_number, draws_of, unfinished_message
from docgen.records.tree import FOLDER_OF, refuse_outside
from docgen.cache import CACHE_DIR
from docgen.records.check import Checked
from docgen.draw.algorithm import ALGORITHM, Draw, DrawImpossible, Inputs, make_draw
from docgen.records.problems import DocgenError
from docgen.records.yamlout import record_path, record_text
from docgen.cache import file_sha256
from docgen.writer import remove_stale_temps, sync_folder, write_atomic, write_new

INSPECTION_COMMENT = ("由 docgen draw 随机抽取生成（抽取记录 {draw}）。plan、entity、group、leader、inspectors、vehicle\n"
                      "是抽取结果，请勿手工修改（docgen draw {plan} --verify 会核对）；其余内容由经办人员填写。")
DRAW_COMMENT = "随机抽取记录，由 docgen draw 写入，用于公开复核，请勿手工修改。\n复核：docgen draw {plan} --verify"
PENDING_COMMENT = ("抽取进行中：docgen draw 正在写入本次抽取的抽查记录；写完后本文件中的 status、writes、removes 会被去掉。\n"
                   "若一直停留在此状态，说明抽取被中断：docgen draw {plan} --resume 完成抽取，"
                   "docgen draw {plan} --rollback 撤销。")
JOURNAL_KEYS = ("status", "writes", "removes")


@dataclass
class Context:
    checked: Checked
    plan: dict
    inputs: Inputs
    names: dict[str, str]


def context_for(checked: Checked, plan_id: str, doing: str = "抽取") -> Context:
    """The draw's inputs for the plan; `doing` (抽取, 核对) says in an error what waits for a mended record."""
    index = checked.index
    plan_rec = index.plans.get(plan_id)
    if plan_rec is None:
        raise checked.missing_plan(plan_id, doing)
    if plan_rec.data.get("type") != "联合抽查":
        raise DocgenError(f"计划“{plan_id}”是{plan_rec.data.get('type')}，不是联合抽查，无需随机抽取")
    # every error of the plan or of a roster file counts, also of files that are not in the index
    # (a roster record that cannot be read would otherwise silently drop out of the draw)
    rosters = tuple(os.path.join(checked.archive.records_dir, FOLDER_OF[k]) + os.sep
                    for k in ("entity", "department", "items"))
    bad = [p for p in checked.holding  # (a confirmation made late is a fact, not a mistake)
           if p.path == plan_rec.path or os.path.abspath(p.path).startswith(rosters)]
    if bad:
        listing = "\n".join(str(p) for p in bad[:20])
        raise DocgenError(f"计划或名录库中有错误，修正后才能{doing}：\n{listing}")
    table = getattr(index.entities, "table", None)  # a clean roster's columns (`draw.table`)
    names = table.names() if table is not None else {k: r.data.get("name", k) for k, r in index.entities.items()}
    names.update({k: r.data.get("name", k) for k, r in index.departments.items()})
    from docgen.records import frequency

    plan = plan_rec.data
    # what the plan's chosen items require (the plan's own `qualification` is read by the draw itself)
    required = {d: index.required_qualifications({"departments": [{**entry, "qualification": None}]}, d)
                for entry in plan.get("departments") or [] if isinstance(entry, dict)
                for d in [entry.get("department")] if isinstance(d, str)}
    earlier = frequency.earlier_inspections(index, plan) if plan.get("yearly_cap") is not None else None
    entities = (table.projected(), table.digest) if table is not None else [r.data for r in index.entities.values()]
    inputs = Inputs.from_records(plan, entities, {k: r.data for k, r in index.departments.items()}, required, earlier)
    return Context(checked, plan_rec.data, inputs, names)


def unfinished_draws(checked: Checked, plan_id: str) -> list:
    """Draw records of the plan still marked in progress (valid or not), oldest first."""
    return sorted((r for r in checked.records if r.kind == "draw" and isinstance(r.data, dict)
                   and r.data.get("plan") == plan_id and r.data.get("status") == IN_PROGRESS), key=draw_number)


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
    if draw.capped:
        data["capped"] = draw.capped
    if draw.expired:
        data["expired"] = draw.expired
    if replaces:
        data["replaces"] = replaces
    return data


def inspection_text(records_dir: str, plan_id: str, draw_id: str, entity_id: str, assignment: dict) -> str:
    path = record_path(records_dir, "inspection", plan_id, entity_id)
    return record_text("inspection", inspection_data(plan_id, draw_id, entity_id, assignment), path, records_dir,
                       INSPECTION_COMMENT.format(draw=draw_id, plan=plan_id))


def drawn_texts(records_dir: str, draw_record: dict) -> dict[str, bytes]:
    """entity -> the bytes of its unfilled inspection record, made from the draw record alone: what the
    draw writes, what --resume writes again, and the only content --redraw and --rollback may delete."""
    plan_id, draw_id = draw_record["plan"], draw_record["id"]
    return {entity_id: inspection_text(records_dir, plan_id, draw_id, entity_id, assignment).encode("utf-8")
            for entity_id, assignment in assignments_of(draw_record).items()}


def inspection_file(records_dir: str, plan_id: str, entity_id: str) -> str:
    return record_path(records_dir, "inspection", plan_id, entity_id)


def _inside(records_dir: str, plan_id: str, draw_path: str) -> None:
    """DocgenError unless the draw record and the plan's inspection folder are the archive's own
    (not reached through a link out of it): a draw writes and deletes there."""
    refuse_outside(draw_path, records_dir)
    refuse_outside(inspection_file(records_dir, plan_id, "x"), records_dir)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shown(path: str) -> str:
    return display(os.path.abspath(path))


def refuse_seed(seed: str) -> None:
    """An announced seed is typed again by whoever checks the draw: nothing in it may be invisible (a
    control character would also make the draw record one validate refuses, the draw stuck half done)."""
    from docgen.records.textcheck import INVISIBLE

    odd = INVISIBLE.search(seed)
    if odd:
        raise DocgenError(f"种子中有不可见的字符 U+{ord(odd.group(0)):04X}（如从 Windows 文本文件复制时带上的回车符），"
                          "公开复核时别人无法照样输入，抽取记录也可能无法保存它；请去掉后再抽取")


def run_draw(checked: Checked, plan_id: str, seed: str, redraw: bool = False, dry_run: bool = False) -> list[str]:
    """Make the draw and write its records; returns the lines to show. Writes nothing on failure."""
    refuse_seed(seed)
    ctx = context_for(checked, plan_id)
    records_dir = checked.archive.records_dir
    if not dry_run:
        _tidy(checked)
    pending = unfinished_draws(checked, plan_id)
    if pending and not dry_run:
        record = pending[-1]
        journal = checked.index.draws.get(record.data.get("id"))
        if journal is record and record.data.get("seed") == seed and \
                record.data.get("digests") == ctx.inputs.digests():
            # the same draw asked for again: finish the interrupted one, which is exactly that draw
            return [f"继续完成上次中断的抽取 {record.path}", *_finish(records_dir, record.abspath, record.data,
                                                                      _old_texts(checked, record.data))]
        raise DocgenError(unfinished_message(record, plan_id))
    earlier = draws_of(checked.index, plan_id)
    if earlier and not redraw and not dry_run:
        raise DocgenError(f"计划“{plan_id}”已有抽取记录 {earlier[-1].path}。重新抽取须加 --redraw（旧的抽取记录会保留）")
    try:
        draw = make_draw(ctx.inputs, seed, ctx.names)
    except DrawImpossible as exc:
        raise DocgenError(f"无法抽取：{exc}") from None
    number = len(earlier) + 1
    draw_id = f"{plan_id}-draw-{number}"
    while draw_id in checked.index.draws or _taken(record_path(records_dir, "draw", draw_id)):
        number += 1
        draw_id = f"{plan_id}-draw-{number}"
    data = draw_data(draw_id, plan_id, draw, earlier[-1].data["id"] if earlier else None)
    # a trial run only needs to know where the draw would write, not what (the text of 100,000 records)
    texts = dict.fromkeys((e for g in data["groups"] for e in g.get("entities") or []), b"") if dry_run \
        else drawn_texts(records_dir, data)
    old_texts = drawn_texts(records_dir, earlier[-1].data) if earlier else {}
    removes, blocked = _clear_way(checked, plan_id, old_texts, texts)
    if blocked:
        raise DocgenError("以下文件已存在，docgen 不会覆盖或删除它们（它们可能是经办人员填写或修改过的记录，"
                          "或无法读取的文件），本次抽取未写入任何文件。如确需抽取，请先自行核对并移走这些文件：\n"
                          + "\n".join(blocked))

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
    for gone in draw.expired:
        lines.append(f"执法证到期，未参加抽取：{ctx.names.get(gone['department'], gone['department'])} "
                     f"{gone['inspector']}（执法证有效期至 {gone['valid_until']}，计划 {ctx.plan['period']['end']} 结束）")
    if draw.capped:
        lines.append(f"本年度检查次数已达上限（{ctx.plan['yearly_cap']} 次），未参加抽取的检查对象 {len(draw.capped)} 个："
                     + "、".join(f"{ctx.names.get(e, e)}（{e}）" for e in draw.capped))
    if dry_run:
        lines.append("（试算，未写入任何文件）")
        return lines

    journal = {"id": draw_id, "plan": plan_id, "status": IN_PROGRESS, **data,  # status near the top: seen first
               "writes": {e: _sha(t) for e, t in texts.items()}}
    if removes:
        journal["removes"] = removes
    draw_path = record_path(records_dir, "draw", draw_id)
    _inside(records_dir, plan_id, draw_path)
    try:
        write_new(draw_path, record_text("draw", journal, draw_path, records_dir,
                                         PENDING_COMMENT.format(plan=plan_id)).encode("utf-8"))
    except FileExistsError:
        raise DocgenError(f"{_shown(draw_path)} 刚刚被创建（是否有另一个 docgen draw 正在运行？），本次抽取未写入任何文件") \
            from None
    sync_folder(os.path.dirname(draw_path))  # on disk before any file it lists, even across a power cut
    return lines + _finish(records_dir, draw_path, journal, old_texts, texts)


def _tidy(checked: Checked) -> None:
    """Remove what killed runs left: temporary files in records/ and in the archive's cache."""
    remove_stale_temps(checked.archive.records_dir, os.path.join(checked.archive.root, CACHE_DIR))


def _taken(path: str) -> bool:
    return os.path.lexists(path) or os.path.lexists(path[:-len(".yaml")] + ".yml")


def _clear_way(checked: Checked, plan_id: str, old_texts: dict[str, bytes],
               texts: dict[str, bytes]) -> tuple[dict, list[str]]:
    """What the draw may delete (entity -> SHA-256: unfilled records of the replaced draw, byte for
    byte) and what blocks it: every other record of the plan, every file of the plan that cannot be
    read as a record, and any file at all where the draw would write."""
    records_dir = checked.archive.records_dir
    index = checked.index
    removes: dict[str, str] = {}
    blocked: set[str] = set()
    for record in index.by_plan.get(plan_id, []):
        entity_id = record.data.get("entity")
        standard = inspection_file(records_dir, plan_id, str(entity_id))
        if entity_id in old_texts and os.path.abspath(record.abspath) == os.path.abspath(standard) \
                and file_sha256(record.abspath, follow_links=False) == _sha(old_texts[entity_id]):
            removes[entity_id] = _sha(old_texts[entity_id])
        else:
            blocked.add(os.path.abspath(record.abspath))
    inspections = os.path.join(records_dir, FOLDER_OF["inspection"]) + os.sep
    blocked.update(os.path.abspath(p) for p in index.broken_by_plan.get(plan_id, [])
                   if os.path.abspath(p).startswith(inspections))
    # one listing of the plan's folder, not two look-ups for each of a county's drawn entities; a name
    # found in it (also but for case: a file system may ignore case) is then looked up itself
    folder = os.path.dirname(inspection_file(records_dir, plan_id, "x"))
    try:
        present = {name.casefold() for name in os.listdir(folder)}
    except FileNotFoundError:
        present = set()  # no folder yet: nothing can be in the way
    except OSError:
        present = None  # an odd one: look each up
    if present == set() and not any(os.sep in e or "/" in e for e in texts):
        texts = {}  # no folder yet, and every path the draw would write is in it: nothing in the way
    for entity_id in texts:
        path = inspection_file(records_dir, plan_id, entity_id)
        for candidate in (path, path[:-len(".yaml")] + ".yml"):
            if present is not None and os.path.dirname(candidate) == folder \
                    and os.path.basename(candidate).casefold() not in present:
                continue
            if os.path.lexists(candidate) and not (entity_id in removes and candidate == path):
                blocked.add(os.path.abspath(candidate))
    return removes, sorted(_shown(p) for p in blocked)


def _finish(records_dir: str, draw_path: str, journal: dict, old_texts: dict[str, bytes],
            texts: dict[str, bytes] | None = None) -> list[str]:
    """Carry out a draw record's journal (again, after an interruption: each step is skipped when done),
    then mark the draw complete. Leaves the record in progress and says why when a file is in the way.
    `texts`: what `drawn_texts` makes of the journal, when made already (a county's draw writes tens of
    thousands of records)."""
    plan_id = journal["plan"]
    _inside(records_dir, plan_id, draw_path)
    texts = drawn_texts(records_dir, journal) if texts is None else texts
    writes = journal.get("writes") or {}
    if set(writes) != set(texts) or any(_sha(texts[e]) != sha for e, sha in writes.items()):
        raise DocgenError(f"{_shown(draw_path)} 中待写入的文件与抽取结果不一致（抽取记录被改动？），无法继续。"
                          f"请运行 docgen draw {plan_id} --rollback 撤销这次抽取")
    in_the_way = []
    removes = journal.get("removes") or {}
    for entity_id, sha in sorted(removes.items()):
        path = inspection_file(records_dir, plan_id, entity_id)
        current = file_sha256(path, follow_links=False)
        if current is None and not os.path.lexists(path) or current == writes.get(entity_id):
            continue  # deleted (and maybe already written anew) before the interruption
        if current == sha and entity_id in old_texts and _sha(old_texts[entity_id]) == sha:
            os.unlink(path)
        else:
            in_the_way.append(path)
    for entity_id in journal.get("entities") or []:
        path = inspection_file(records_dir, plan_id, entity_id)
        if file_sha256(path, follow_links=False) == writes[entity_id]:
            continue
        try:
            write_new(path, texts[entity_id])
        except FileExistsError:
            in_the_way.append(path)
    sync_folder(os.path.dirname(inspection_file(records_dir, plan_id, "x")))
    if in_the_way:
        raise DocgenError(f"以下文件在抽取中断后被改动或新建，docgen 不会覆盖或删除它们，抽取仍未完成（{_shown(draw_path)}）。"
                          f"请核对后移走它们，再运行 docgen draw {plan_id} --resume；"
                          f"或运行 docgen draw {plan_id} --rollback 撤销这次抽取：\n"
                          + "\n".join(_shown(p) for p in sorted(in_the_way)))
    final = {k: v for k, v in journal.items() if k not in JOURNAL_KEYS}
    write_atomic(draw_path, record_text("draw", final, draw_path, records_dir,
                                        DRAW_COMMENT.format(plan=plan_id)).encode("utf-8"), durable=True)
    sync_folder(os.path.dirname(draw_path))
    folder = os.path.dirname(inspection_file(records_dir, plan_id, "x"))
    return [f"已写入抽取记录 {_shown(draw_path)} 和 {len(writes)} 份抽查记录（{_shown(folder)}/）"]


def _old_texts(checked: Checked, journal: dict) -> dict[str, bytes]:
    """The unfilled records of the draw this one replaces, rebuilt from that draw's own (valid) record."""
    old = checked.index.draws.get(journal.get("replaces"))
    if old is None or old.data.get("plan") != journal["plan"]:
        return {}
    return drawn_texts(checked.archive.records_dir, old.data)


def _journal_of(checked: Checked, plan_id: str):
    """The plan's interrupted draw record, which --resume and --rollback act on (it must be well-formed)."""
    context_for(checked, plan_id)
    pending = unfinished_draws(checked, plan_id)
    if not pending:
        raise DocgenError(f"计划“{plan_id}”没有未完成的抽取")
    record = pending[-1]
    if checked.index.draws.get(record.data.get("id")) is not record:
        listing = "\n".join(str(p) for p in checked.errors if p.path == record.path)
        raise DocgenError(f"未完成的抽取记录 {record.path} 本身有错误（被改动过？），docgen 不会按它写入或删除文件：\n{listing}")
    return record


def resume(checked: Checked, plan_id: str) -> list[str]:
    """Finish the plan's interrupted draw exactly as it was begun."""
    _tidy(checked)
    record = _journal_of(checked, plan_id)
    return [f"继续完成中断的抽取 {record.path}", *_finish(checked.archive.records_dir, record.abspath,
                                                                  record.data, _old_texts(checked, record.data))]


def rollback(checked: Checked, plan_id: str) -> list[str]:
    """Undo the plan's interrupted draw: delete the records it wrote (only while unchanged), put back the
    unfilled records of the replaced draw it deleted, and delete its draw record last."""
    records_dir = checked.archive.records_dir
    _tidy(checked)
    record = _journal_of(checked, plan_id)
    journal = record.data
    _inside(records_dir, plan_id, record.abspath)
    texts = drawn_texts(records_dir, journal)
    writes = journal.get("writes") or {}
    removes = journal.get("removes") or {}
    kept, deleted, restored = [], 0, 0
    for entity_id, sha in sorted(writes.items()):
        path = inspection_file(records_dir, plan_id, entity_id)
        current = file_sha256(path, follow_links=False)
        if current == sha and entity_id in texts and _sha(texts[entity_id]) == sha:
            os.unlink(path)
            deleted += 1
        elif os.path.lexists(path) and not (current is not None and current == removes.get(entity_id)):
            kept.append(path)
    old_texts = _old_texts(checked, journal)
    for entity_id, sha in sorted(removes.items()):
        path = inspection_file(records_dir, plan_id, entity_id)
        if os.path.lexists(path):
            continue  # still there (or a file in its place, listed above)
        text = old_texts.get(entity_id)
        if text is None or _sha(text) != sha:
            kept.append(path)
            continue
        write_new(path, text)
        restored += 1
    if kept:
        raise DocgenError(f"以下文件与抽取写入的不同（被改动过或无法恢复），docgen 没有删除或覆盖它们，"
                          f"抽取记录 {record.path} 保留。请核对后自行处理这些文件，再运行 docgen draw {plan_id} --rollback：\n"
                          + "\n".join(_shown(p) for p in kept))
    os.unlink(record.abspath)
    return [f"已撤销未完成的抽取 {record.path}（删除它已写入的 {deleted} 份抽查记录"
            + (f"，恢复 {restored} 份被替换的抽查记录" if restored else "") + "）"]


ADVICE = "提示："  # a finding's line that says what to do, not a difference (not counted)


def _as_written(value) -> str:
    """A record's value in a finding as the clerk wrote it: a list by 、, nothing as （无）."""
    if value is None or value == [] or value == "":
        return "（无）"
    if isinstance(value, (list, tuple)):
        return "、".join(_as_written(v) for v in value)
    return str(value)


def differences(findings: list[str]) -> int:
    """How many of `verify`'s lines are differences (an advice line is not one)."""
    return sum(not line.startswith(ADVICE) for line in findings)


def verify(checked: Checked, plan_id: str) -> tuple[bool, list[str]]:
    """Recompute the latest draw and compare it with the draw record and the inspection records."""
    ctx = context_for(checked, plan_id, "核对")
    pending = unfinished_draws(checked, plan_id)
    if pending:
        return False, [unfinished_message(pending[-1], plan_id)]
    earlier = draws_of(checked.index, plan_id)
    newest = draw_number(earlier[-1]) if earlier else 0
    broken = [(number, path) for number, path in broken_draws(checked, plan_id) if number >= newest]
    if broken:  # an older valid draw is not the one the inspections came from: never check that instead
        path = max(broken)[1]
        return False, [f"抽取记录 {path} 有错误，无法核对（运行 docgen validate 查看）；"
                       f"不会改为核对更早的抽取记录。请从版本库中恢复该文件后再核对"]
    if not earlier:
        raise DocgenError(f"计划“{plan_id}”还没有抽取记录（先运行 docgen draw {plan_id} --seed …）")
    record = earlier[-1]
    stored = record.data
    # a file of the plan's inspections that cannot be read (or has errors) may be any drawn entity's: not
    # checked, so the draw cannot be said to agree with the records
    findings: list[str] = [f"{path} 无法读取或有错误，其中的抽查记录没有核对（运行 docgen validate 查看）"
                           for path in checked.index.broken_by_plan.get(plan_id, [])]
    if stored.get("algorithm") != ALGORITHM:
        findings.append(f"抽取记录使用的算法“{stored.get('algorithm')}”与本版 docgen 的“{ALGORITHM}”不同，无法复算")
        return False, findings
    current = ctx.inputs.digests()
    labels = {"plan": "抽查计划", "entities": "检查对象名录库", "inspections": "本年度此前各计划的抽查记录（检查次数上限）"}
    for name in sorted(set(current) | set(stored.get("digests") or {})):
        if current.get(name) != (stored.get("digests") or {}).get(name):
            label = labels.get(name, f"执法人员名录库或抽查事项清单 {name}")
            findings.append(f"{label}（{name}）在抽取后有变动：与抽取记录 {record.path} 中的摘要不一致")
    if findings:  # routine upkeep (a new entity, a renewed badge) changes them too: how to check the draw itself
        findings.append(ADVICE + f"新增检查对象、执法证续期等日常维护也会使摘要不同；要核对抽取本身，请在版本库中取出抽取时的记录"
                        f"（如 git worktree add ../抽取时 <写入 {record.path} 的提交>），在那里运行 docgen draw {plan_id} --verify")
    if not findings:
        try:
            draw = make_draw(ctx.inputs, stored["seed"], ctx.names)
        except DrawImpossible as exc:  # e.g. a recusal this version refuses, which an older one let pass
            findings.append(f"按抽取记录 {record.path} 的种子无法用本版 docgen 复算：{exc}")
        else:
            expected = draw_data(stored["id"], plan_id, draw, stored.get("replaces"))
            for key in ("population", "drawn", "entities", "groups", "substitutions", "capped", "expired"):
                if expected.get(key) != stored.get(key):
                    findings.append(f"抽取记录 {record.path} 的「{key}」与按种子重新计算的结果不一致（抽取记录被改动？）")
    assigned = assignments_of(stored)
    from docgen.records.rules import in_place

    inspections: dict = {}  # the record where it belongs first: a copy elsewhere is the one said to be extra
    for insp in sorted(checked.index.by_plan.get(plan_id, []), key=lambda r: not in_place(r)):
        first = inspections.setdefault(insp.data.get("entity"), insp)
        if first is not insp:
            findings.append(str(insp.problem(("entity",), f"检查对象“{insp.data.get('entity')}”的又一份抽查记录"
                                                         f"（已有 {first.path}）：核对的是后者，本份未核对")))
    for entity_id, assignment in assigned.items():
        name = ctx.names.get(entity_id, entity_id)
        insp = inspections.get(entity_id)
        if insp is None:
            findings.append(f"抽中的检查对象“{name}”（{entity_id}）没有抽查记录（被删除或改名？）")
            continue
        data = insp.data

        def at(keys: tuple, message: str, insp=insp) -> str:
            """A finding in an inspection record, at the field (path:line:column)."""
            return str(insp.problem(keys if keys[0] in data else (), message))

        if data.get("group") != assignment["group"]:
            findings.append(at(("group",), f"组别为 {_as_written(data.get('group'))}，抽取结果为 {_as_written(assignment['group'])}"))
        if data.get("leader") != assignment["leader"]:
            findings.append(at(("leader",), f"组长为 {_as_written(data.get('leader'))}，抽取结果为 {_as_written(assignment['leader'])}"))
        if data.get("vehicle") != assignment.get("vehicle"):
            findings.append(at(("vehicle",), f"车辆为 {_as_written(data.get('vehicle'))}，抽取结果为 {_as_written(assignment.get('vehicle'))}"))
        if data.get("draw") is not None and data.get("draw") != stored.get("id"):
            findings.append(at(("draw",), f"抽取记录编号为 {_as_written(data.get('draw'))}，应为 {_as_written(stored.get('id'))}"))
        team = data.get("inspectors") if isinstance(data.get("inspectors"), dict) else {}
        for dep_id in sorted(set(team) | set(assignment["inspectors"]), key=str):
            have, want = team.get(dep_id), assignment["inspectors"].get(dep_id)
            if have != want:
                keys = ("inspectors", dep_id) if dep_id in team else ("inspectors",)
                findings.append(at(keys, f"部门 {dep_id} 的检查人员为 {_as_written(have)}，抽取结果为 {_as_written(want)}"))
    for entity_id, insp in sorted(inspections.items(), key=lambda kv: str(kv[0])):
        if entity_id not in assigned:
            name = ctx.names.get(entity_id, entity_id)
            findings.append(str(insp.problem(("entity",), f"检查对象“{name}”（{entity_id}）不在抽取结果中（手工添加或替换？）")))
    return not findings, findings
