"""Which documents each plan yields, from which inputs.

An `Output` names its file, its template, how to make the context the template sees (made only
when the document has to be rendered) and what that context is made from (`depends`: the
SHA-256 of the record files or fields it reads). `depends` is the output's fingerprint for
incremental builds: same depends and template → same bytes, so an unchanged document is
recognised without building its context.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Callable

from docgen.records import model
from docgen.records.check import Checked
from docgen.records.textcheck import INVISIBLE

_UNSAFE = re.compile(r'[\\/:*?"<>|]')
_NOT_WORD = re.compile(r"[^\w.\- ]")  # letters and digits (\w) are never of the categories below
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}  # not Cn: names must not depend on the Unicode version
_PLAIN = re.compile(r"[\w（）()\-]+")  # a name `safe_name` leaves as it is, when not too long
NAME_BYTES = 120  # an entity name's share of a file name, in UTF-8 bytes (file systems allow 255)

# The inspection fields each plan-wide document reads. An edit to any other field (a finding, an
# opinion, a signature) re-renders only that entity's own documents. tests/test_incremental.py
# edits every field left out here and checks that the incremental build still equals a clean one.
# "plan", "entity" and "group" are in every table's list: they decide a record's row and its order.
# "departments" is each department's part without its `items` (PART_ITEMS): an item's finding and
# handling are printed on the entity's own 实地核查记录表 only, never in a table or the statistics.
TABLE_FIELDS = {
    "03": ("plan", "entity", "group", "dates", "follow_ups"),  # 后续处置工作台账 (per department: follow_ups)
    "05": ("plan", "entity", "group", "phone_notice"),  # phone-notice table (电话告知记录表)
    "06": ("plan", "entity", "group", "leader", "inspectors", "vehicle", "dates",
           "phone_notice"),  # 人员分组及车辆安排 (a visit day agreed on the call, before the visit)
    "07": ("plan", "entity", "group", "departments"),  # 公示表: one row per entity per department
}
STATISTICS_FIELDS = ("plan", "entity", "credit_driven", "dates", "follow_ups", "departments")
# what a plan's statistics read of the other plans' inspections: the year's coverage (`status.year_status`:
# the entity and its visit date). A result entered in one plan then re-renders no other plan's 08.
YEAR_FIELDS = ("plan", "entity", "dates")
NOTICE_FIELDS = ("plan", "entity", "group", "leader", "inspectors", "vehicle", "dates",
                 "phone_notice")  # 02 告知书 (the visit day agreed on the call)
PART_ITEMS = "items"


@dataclass
class Output:
    """One document to write. Its context is made only when the document has to be rendered.

    `depends` lists what the context is made from — the SHA-256 of every record file (or of the
    fields of it) that it reads, plus any other value it uses — so that an unchanged output is
    recognised without building its context.
    """

    relpath: str          # under the output folder, with "/" separators
    template: str         # file name in templates/
    title: str            # document title property
    make: Callable[[], tuple[dict, Any]]  # → (context, rows for an Excel table or None)
    depends: tuple[str, ...]              # what the context is made from (see above)
    sources: tuple[str, ...] = ()         # record paths, for the manifest and messages
    when: str = ""        # the date for document properties (from the records)
    parts: tuple["Output", ...] = ()  # a print set: these documents in one (see docgen/documents/printset.py)
    restart: bool = False             # a print set's parts number their pages from 1 each
    # a bound set: its first part (the notice) gives up its 版记, and the 版记 of `colophon_from`
    # closes the set (the same part when the set is one volume; volumes: the first gives it up,
    # the last closes with it)
    strip_colophon: bool = False
    colophon_from: "Output | None" = None
    _made: tuple | None = field(default=None, repr=False)
    _digest: str | None = field(default=None, repr=False, compare=False)  # `depends_digest`, once made

    @property
    def is_docx(self) -> bool:
        return self.template.endswith(".docx")

    def _ensure(self) -> tuple:
        if self._made is None:
            self._made = self.make()
        return self._made

    @property
    def context(self) -> dict:
        return self._ensure()[0]

    @property
    def rows(self):
        return self._ensure()[1]


@dataclass
class PlanOutputs:
    plan_id: str
    outputs: list[Output] = field(default_factory=list)
    complete: bool = True      # False when some inputs were invalid: nothing of this plan is deleted
    skipped: list[str] = field(default_factory=list)  # why parts were not built


def safe_name(name: str, budget: int = NAME_BYTES) -> str:
    """An entity name usable as part of a file name on every system.

    Characters file systems refuse or that change how a name displays (controls, bidi and other
    format characters, line and paragraph separators, surrogates, private use) become "_". A name
    longer than `budget` UTF-8 bytes is cut on a character boundary and ends with a short hash of
    the whole name, so that two long names sharing their beginning still give two files."""
    if _PLAIN.fullmatch(name) and not INVISIBLE.search(name) and len(name.encode("utf-8")) <= budget:
        return name  # the usual name: letters, digits and brackets, nothing to change (as below)
    import unicodedata

    cleaned = INVISIBLE.sub("_", _UNSAFE.sub("_", name))
    odd = {c for c in _NOT_WORD.findall(cleaned) if unicodedata.category(c) in _UNSAFE_CATEGORIES}
    if odd:
        cleaned = "".join("_" if c in odd else c for c in cleaned)
    cleaned = cleaned.strip(" .") or "未命名"
    if len(cleaned.encode("utf-8")) <= budget:
        return cleaned
    import hashlib

    tag = "_" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    head = cleaned.encode("utf-8")[: budget - len(tag)].decode("utf-8", "ignore").rstrip(" .")
    return head + tag


def same_file_key(name: str) -> str:
    """What a file name is on Windows and macOS, which ignore case (and macOS, Unicode normalisation):
    two entities whose names differ only so would share one file there."""
    import unicodedata

    return unicodedata.normalize("NFC", name).casefold()


def choices(checked: Checked, name: str, fallback) -> tuple[str, ...]:
    """An enumeration from the archive's schemas (offices may extend them)."""
    common = checked.schemas.raw.get("common", {}).get("$defs", {})
    return tuple(common.get(name, {}).get("enum") or fallback)


_CALL_TIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(?: ([0-9]{1,2}):([0-9]{2}))?$")


def call_order(data: dict) -> tuple:
    """When an inspection's phone call was made (`phone_notice.time`, 9:30 before 10:00; a call with its
    day only after the day's calls with their time, one without either after all)."""
    call = data.get("phone_notice")
    time = call.get("time") if isinstance(call, dict) else None
    found = _CALL_TIME.match(time) if isinstance(time, str) else None
    if found is None:
        return ("9999", 0, 0)
    return (found.group(1), int(found.group(2)), int(found.group(3))) if found.group(2) else (found.group(1), 24, 0)


def statistics_rows(checked: Checked, plan_id: str, today) -> tuple[dict, dict]:
    """The 08 workbook's rows on `today` (the build's --as-of, else the records' latest date): per
    credit class, and per target."""
    from docgen.status import TARGET_CREDIT_SHARE, TARGET_ROSTER_SHARE, compute, percent, verdict

    status = compute(checked, today, [plan_id])
    p = status.plans[0]
    pct = lambda v: "—" if v is None else f"{v:g}%"  # noqa: E731
    classes = [{"credit_class": c.credit_class, "population": c.population, "required": c.required,
                "drawn": c.drawn, "ratio_text": pct(c.ratio), "state": "达标" if c.met else "不足"}
               for c in p.classes]
    y = status.year
    targets = [
        {"name": "运用信用风险分类抽查占比", "target": f"≥{TARGET_CREDIT_SHARE:g}%", "actual": pct(p.credit_share),
         "state": verdict(p.credit_share, lambda v: v >= TARGET_CREDIT_SHARE),
         "detail": f"{p.credit_driven} / {p.inspections} 份抽查记录"},
        {"name": f"{y.year}年名录库抽查覆盖率", "target": f"≥{TARGET_ROSTER_SHARE:g}%", "actual": pct(y.share),
         "state": verdict(y.share, lambda v: y.met), "detail": f"{y.inspected} / {y.roster} 个存续主体"},
        {"name": "抽查结果按时录入率", "target": "100%", "actual": pct(p.entry_rate),
         "state": verdict(p.entry_rate, lambda v: p.entered_late == 0),
         "detail": f"按时 {p.entered_on_time}，逾期 {p.entered_late}，未到期 {p.entered_pending}"},
        {"name": "抽查结果按时公示率", "target": "100%", "actual": pct(p.disclosure_rate),
         "state": verdict(p.disclosure_rate, lambda v: p.disclosed_late == 0),
         "detail": f"按时 {p.disclosed_on_time}，逾期 {p.disclosed_late}，未到期 {p.disclosed_pending}"},
        {"name": "后续处置完结率", "target": "100%", "actual": pct(p.closure_rate),
         "state": verdict(p.closure_rate, lambda v: p.follow_ups_open == 0).replace("未达标", "未完结"),
         "detail": f"共 {p.follow_ups_total} 项，已完结 {p.follow_ups_closed}，未完结 {p.follow_ups_open}"
                   f"（逾期 {p.follow_ups_overdue}）"},
    ]
    for d in p.departments:  # 谁检查、谁录入、谁公示: each department's own on-time rates
        entry_rate, disclosure_rate = (percent(a, a + b) for a, b in ((d.entered_on_time, d.entered_late),
                                                                       (d.disclosed_on_time, d.disclosed_late)))
        entry, disclosure = pct(entry_rate), pct(disclosure_rate)
        targets += [
            {"name": f"{d.name}：结果按时录入率", "target": "100%", "actual": entry,
             "state": verdict(entry_rate, lambda v: d.entered_late == 0),
             "detail": f"按时 {d.entered_on_time}，逾期 {d.entered_late}，未到期 {d.entered_pending}"},
            {"name": f"{d.name}：结果按时公示率", "target": "100%", "actual": disclosure,
             "state": verdict(disclosure_rate, lambda v: d.disclosed_late == 0),
             "detail": f"按时 {d.disclosed_on_time}，逾期 {d.disclosed_late}，未到期 {d.disclosed_pending}；"
                       f"待审核批准 {d.awaiting_approval}"},
        ]
    return {"分类抽查情况": classes, "工作指标": targets}, {"as_of": model.cn_date(today)}


def latest_record_date(checked: Checked, plan_id: str):
    """The latest date of something done in the plan's records, or its issue date: a build's default
    'as of' (never the clock). A visit is left out: it may be the day planned (the 告知书 names it
    before it comes), and 08 would count it as made; a visit made shows in its completion and
    signature dates."""
    import datetime as dt

    from docgen.records.deadlines import latest_fact
    from docgen.records.index import parse_date

    found = [parse_date(checked.index.plans[plan_id].data.get("issue_date"))]
    found += [parse_date(latest_fact(record)) for record in checked.index.by_plan.get(plan_id, [])]
    found = [d for d in found if d]
    return max(found) if found else dt.date(1980, 1, 1)


def projection(record, fields: tuple[str, ...]) -> str:
    """SHA-256 of the named fields of a record (what a plan-wide document reads from it).

    Remembered with the record's cache entry, which is keyed by the file's bytes: for an
    unchanged file the digests are looked up rather than serialised again in every build."""
    token = _PROJECTION_TOKENS.get(fields)
    if token is None:
        token = _PROJECTION_TOKENS[fields] = "projection2 " + " ".join(fields)
    memo = record.doc.memo
    found = memo.get(token) if memo is not None else None  # 21,000 look-ups at a county's scale
    if isinstance(found, str):
        return found

    def make() -> str:
        import hashlib
        import json

        part = {k: _projected(k, record.data.get(k)) for k in fields}
        return hashlib.sha256(json.dumps(part, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()

    return record.doc.remembered(token, make, lambda v: isinstance(v, str))


_PROJECTION_TOKENS: dict[tuple[str, ...], str] = {}  # fields -> the memo's name for their digest


def _projected(name: str, value):
    """A field as the plan tables read it: departments' parts without their items."""
    if name != "departments" or not isinstance(value, dict):
        return value
    return {dep: {k: v for k, v in part.items() if k != PART_ITEMS} if isinstance(part, dict) else part
            for dep, part in value.items()}


class _Once:
    """`make()`, made when first asked and then kept: a context two documents share (cheaper to
    set up than `functools.cache`, for 3,000 inspections of which an edit renders one)."""

    __slots__ = ("make", "made")

    def __init__(self, make):
        self.make, self.made = make, None

    def __call__(self):
        if self.made is None:
            self.made = self.make()
        return self.made


def plan_outputs(checked: Checked, plan_id: str, as_of=None) -> PlanOutputs:
    index = checked.index
    result = PlanOutputs(plan_id)
    plan_rec = index.plans[plan_id]
    plan = plan_rec.data
    held = checked.plan_held_back(plan_rec)
    if held is not None:
        result.complete = False
        result.skipped.append(f"计划 {plan_rec.path} 有错误，计划 {plan_id} 的文书均未生成" if held == "plan" else
                              f"参与部门的记录或抽查事项清单有错误，计划 {plan_id} 的文书均未生成")
        return result
    dep_records = [index.departments.get(d) for d in index.plan_department_ids(plan)]
    # each department's 抽查事项清单 names and describes the items the plan chose
    list_records = [index.item_lists[d] for d in index.plan_department_ids(plan) if d in index.item_lists]
    # the views read the plan and every department (a vehicle may belong to any of them)
    all_deps = sorted(index.departments.values(), key=lambda r: r.path)
    base_digests = [f"plan={plan_rec.sha}"] + [f"department={d.sha}" for d in all_deps] + \
        [f"items={r.sha}" for r in list_records]
    view = functools.cache(lambda: model.plan_view(plan, index))
    when = plan.get("issue_date")
    root = checked.archive.root + os.sep

    def source(record) -> str:
        """A record's path in the manifest: from the archive's folder, whatever folder docgen ran in."""
        path = record.abspath
        return (path[len(root):] if path.startswith(root) else os.path.relpath(path, root)).replace(os.sep, "/")

    base = [source(plan_rec)] + [source(d) for d in dep_records] + [source(r) for r in list_records]
    title = "".join(str(plan.get("title", "")).split("\n"))  # a title may be written in its printed lines
    scheme_title = "".join(str((plan.get("scheme") or {}).get("title") or title).split("\n"))
    # a plan without its 实施方案 (the notice is the whole plan) has no 01: it printed a page saying 附件1 only
    documents = (("00_通知.docx", title), ("01_实施方案.docx", scheme_title)) if plan.get("scheme") else \
        (("00_通知.docx", title),)
    for relname, doc_title in documents:
        result.outputs.append(Output(f"{plan_id}/{relname}", relname, doc_title, lambda: ({"plan": view()}, None),
                                     sources=tuple(base), depends=tuple(base_digests), when=when))
    if plan.get("type") != "联合抽查":
        result.outputs += print_sets(plan_id, title, when, result.outputs, {})
        return result

    methods = choices(checked, "method", model.DEFAULT_METHODS)
    records = sorted(index.by_plan.get(plan_id, []),
                     key=lambda r: (r.data.get("group") or 0, str(r.data.get("entity"))))
    valid = []
    visits: dict[str, tuple] = {}  # 02/04 relpath → (group, visit date, entity name): the order of the print sets
    used_names: dict[str, str] = {}
    for record in records:
        entity_rec = index.entities.get(record.data.get("entity"))
        if not (checked.is_valid(record) and checked.is_valid(entity_rec)):
            result.complete = False
            if not checked.is_valid(record):
                result.skipped.append(f"{record.path} 有错误，其文书和计划 {plan_id} 的汇总表未更新")
            else:  # the inspection is fine: send the clerk to the entity's record, where the error is
                where = entity_rec.path if entity_rec is not None else f"检查对象“{record.data.get('entity')}”的记录"
                result.skipped.append(f"{where} 有错误，{record.path} 的文书和计划 {plan_id} 的汇总表未更新")
            continue
        valid.append((record, entity_rec))
        seq = len(valid)
        entity_name = str(entity_rec.data.get("name", ""))
        name = plain = safe_name(entity_name)
        entity_id = entity_rec.data.get("id")
        tries = 0  # a name taken by another entity: its id added (and a number, should that be taken too)
        while same_file_key(name) in used_names and used_names[same_file_key(name)] != entity_id:
            tries += 1
            name = safe_name(f"{plain}_{entity_id}" + (f"_{tries}" if tries > 1 else ""))
        used_names[same_file_key(name)] = entity_id
        sources = tuple(base + [source(record), source(entity_rec)])
        own = base_digests + [f"entity={entity_rec.sha}", f"seq={seq}"]
        depends = {"02": tuple(own + [f"inspection={projection(record, NOTICE_FIELDS)}"]),
                   "04": tuple(own + [f"inspection={record.sha}"])}

        # the 告知书 and the 核查记录表 share it
        context = _Once(lambda record=record, seq=seq: ({"plan": view(), "i": model.inspection_view(
            seq, record, plan, index, view().departments, methods)}, None))

        for prefix, template, label in (("02_告知书", "02_告知书.docx", "告知书"),
                                        ("04_实地核查记录表", "04_实地核查记录表.docx", "实地核查记录表")):
            result.outputs.append(Output(f"{plan_id}/{prefix}_{name}.docx", template, f"{label} {entity_name}",
                                         context, sources=sources, depends=depends[prefix[:2]], when=when))
            visits[result.outputs[-1].relpath] = (record.data.get("group") or 0,
                                                  str(model.scheduled_day(record.data) or "9999"),
                                                  entity_name)
    for path in index.broken_by_plan.get(plan_id, []) + index.broken_by_plan.get("*", []):
        result.complete = False
        result.skipped.append(f"{path} 有错误，计划 {plan_id} 的汇总表未更新，已生成的文书保留不动")
    if not result.complete:
        return result

    all_sources = tuple(base + [source(r) for r in records] +
                        sorted({source(index.entities[r.data["entity"]]) for r in records}))
    entity_digests = [f"entity={e.sha}" for _, e in valid]
    table_depends = {key: tuple(base_digests + entity_digests +
                                [f"inspection={projection(r, fields)}" for r, _ in valid])
                     for key, fields in TABLE_FIELDS.items()}

    @functools.cache
    def tables() -> dict[str, list]:
        plan_view = view()
        inspections = [model.inspection_view(n, r, plan, index, plan_view.departments, methods)
                       for n, (r, _) in enumerate(valid, 1)]
        ledger = []
        for insp in inspections:
            for action in insp.follow_ups:
                # a follow-up naming no department is its inspection's only department's, else nobody's:
                # never every department's (validate warns)
                alone = insp.parts[0].department if len(insp.parts) == 1 else ""
                ledger.append({"seq": len(ledger) + 1, "entity": insp.entity, "visit": insp.dates.visit,
                               "department": action.department or alone, "action": action,
                               "note": "；".join(dict.fromkeys(t for t in (action.transfer, action.note) if t))})
        # a log of the calls, in the order they were made (a call without its time after the others)
        calls = sorted(((r, i) for (r, _), i in zip(valid, inspections) if i.phone_notice),
                       key=lambda pair: call_order(pair[0].data))
        phone_rows = [{"seq": n, "entity": i.entity, "call": i.phone_notice, "content": plan_view.phone_content,
                       "remark": "；".join(dict.fromkeys(t for t in (i.phone_notice.outcome, i.phone_notice.note) if t))}
                      for n, (_, i) in enumerate(calls, 1)]
        group_rows = []
        nobody = model.Person("", "", "", "", "", "")
        for group in model.group_views(tuple(inspections)):
            # members and visits side by side: each visit's date beside the entity visited that day
            # assisting specialists (选派专业人员协助) are listed after the inspectors, marked as such
            people = group.members + tuple(
                model.Person("", a.name, "", "", "，".join(p for p in (a.unit, a.speciality) if p), "")
                for a in group.assistants)
            for n in range(max(len(people), len(group.visits))):
                person = people[n] if n < len(people) else nobody
                day, entity = group.visits[n] if n < len(group.visits) else ("", None)
                group_rows.append({"merge_key": group.number, "group": group, "person": person,
                                   "assisting": len(group.members) <= n < len(people),  # (marked by the template)
                                   "leader": group.leader.name if group.leader else "",
                                   "visit": {"date": day, "entity": entity.name if entity else ""},
                                   "vehicle": group.vehicle or model.Vehicle("", "", "")})
        # 谁检查、谁公示: a row per entity per department, its own approved result alone
        published = [(i, part) for i in inspections for part in i.parts if part.publishable]
        public_rows = [{"seq": n, "entity": i.entity, "authorities": part.department,
                        "check_type": plan_view.check_type, "completed": part.completed, "visit": i.dates.visit,
                        "result": part.results_text}
                       for n, (i, part) in enumerate(published, 1)]
        return {"03": ledger, "05": phone_rows, "06": group_rows, "07": public_rows}

    for relname, doc_title in (("03_随机抽查后续处置工作台账.xlsx", "随机抽查后续处置工作台账"),
                               ("05_电话告知记录表.xlsx", "市场主体“双随机”抽查电话告知记录表"),
                               ("06_人员分组及车辆安排情况表.xlsx", "人员分组及车辆安排情况表"),
                               ("07_公示表.xlsx", "公示表")):  # each as the 附件说明 names it (seed 000)
        result.outputs.append(Output(f"{plan_id}/{relname}", relname, doc_title,
                                     lambda key=relname[:2]: ({"plan": view()}, tables()[key]),
                                     sources=all_sources, depends=table_depends[relname[:2]], when=when))

    # the statistics read the whole roster, every plan's inspections and the calendar
    stats_as_of = as_of or latest_record_date(checked, plan_id)
    stats_depends = tuple(base_digests + [f"as_of={stats_as_of.isoformat()}", f"roster={index.roster_digest()}"] +
                          sorted(f"draw={r.sha}" for r in index.draws.values() if r.data.get("plan") == plan_id) +
                          sorted(f"calendar={c.sha}" for c in index.calendars.values()) +
                          sorted(f"inspection={projection(r, STATISTICS_FIELDS)}" if r.data.get("plan") == plan_id
                                 else f"year inspection={projection(r, YEAR_FIELDS)}" for r in index.inspections))

    def statistics() -> tuple[dict, dict]:
        stats_rows, stats = statistics_rows(checked, plan_id, stats_as_of)
        return {"plan": view(), "stats": stats}, stats_rows

    # the statistics count the draw's population and classes: a draw record of the plan with errors may
    # be its latest, so its 08 stays as it was (the others, which read no draw, are made)
    from docgen.records.draws import broken_draws
    from docgen.records.tree import stem_of

    broken = [stem_of(os.path.basename(path)) for _number, path in broken_draws(checked, plan_id)]
    if broken:
        result.complete = False
        result.skipped.append(f"抽取记录 {'、'.join(broken)} 有错误，计划 {plan_id} 的抽查情况统计表（08）未更新，"
                              "已生成的文书保留不动")
    else:
        result.outputs.append(Output(f"{plan_id}/08_抽查情况统计表.xlsx", "08_抽查情况统计表.xlsx", "抽查情况统计表",
                                     statistics, sources=all_sources, depends=stats_depends, when=when))
    result.outputs += print_sets(plan_id, title, when, result.outputs, visits)
    return result


PRINT_SET = "00_全套文书（打印）.docx"
ATTACHMENTS = ("00", "01", "02", "03", "04", "05", "06", "07")  # 08 is the office's own statistics
VOLUME_PARTS = 1000  # documents a print set holds at most; a larger one is made as volumes (分册)


def depends_digest(output: Output) -> str:
    """One SHA-256 of an output's `depends`: what a print set holding it depends on through it (the
    bound set and a packet both hold most documents: worked out once)."""
    if output._digest is None:
        import hashlib

        output._digest = hashlib.sha256("\n".join(output.depends).encode("utf-8", "surrogatepass")).hexdigest()
    return output._digest


def print_set(relpath: str, title: str, when: str, parts: list[Output], restart: bool = False,
              strip_colophon: bool = False, colophon_from: Output | None = None) -> Output:
    """An output made of other outputs, fingerprinted by theirs: it changes when any of them does
    (a part by the digest of its `depends`, so a set of 6,000 parts lists 6,000 lines, not 100,000)."""
    depends = tuple(f"{p.relpath}|{p.template}|{depends_digest(p)}" for p in parts)
    if colophon_from is not None:
        depends += (f"版记|{colophon_from.relpath}|{depends_digest(colophon_from)}",)
    sources = tuple(dict.fromkeys(chain.from_iterable(p.sources for p in parts)))
    return Output(relpath, parts[0].template, title, lambda: ({}, None), depends=depends, sources=sources,
                  when=when, parts=tuple(parts), restart=restart, strip_colophon=strip_colophon,
                  colophon_from=colophon_from)


def volumes(parts: list[Output], size: int | None = None, step: int = 1) -> list[list[Output]]:
    """`parts` in as few volumes of at most `size` as there can be, of about equal length, each cut
    after a multiple of `step` parts (a packet keeps an entity's 告知书 and 核查记录表 together).
    A print set of thousands of documents — a county's plan of 3,000 inspections is 19,000 pages,
    200 MB — opens in no word processor in reasonable time, and one edit would rewrite all of it."""
    size = VOLUME_PARTS if size is None else size
    if len(parts) <= size:
        return [parts]
    units = -(-len(parts) // step)
    count = -(-len(parts) // size)
    while step * -(-units // count) > size:
        count += 1
    cuts = [min(len(parts), step * (units * n // count)) for n in range(count + 1)]
    return [parts[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def print_sets(plan_id: str, title: str, when, outputs: list[Output], visits: dict[str, tuple]) -> list[Output]:
    """The plan's bound set (notice and attachments in order, each entity's 告知书 and 核查记录表 in
    visiting order) and one packet per inspection group: each entity's 告知书 and 核查记录表. Either
    is made as volumes (…_第N册) when it holds more than `VOLUME_PARTS` documents: each volume's
    pages are numbered from 1, and the notice's 版记 closes the last volume of the bound set."""
    def name(o: Output) -> str:
        return o.relpath.rsplit("/", 1)[-1]

    def numbered(file_name: str, n: int, count: int) -> str:
        return file_name if count == 1 else f"{file_name[:-len('.docx')]}_第{n}册.docx"

    order = {key: n for n, key in enumerate(ATTACHMENTS)}
    parts = sorted((o for o in outputs if name(o)[:2] in order),
                   key=lambda o: (order[name(o)[:2]], visits.get(o.relpath, ())))
    bound = volumes(parts)
    result = []
    for n, members in enumerate(bound, 1):
        label = "全套文书" if len(bound) == 1 else f"全套文书第{n}册"
        result.append(print_set(f"{plan_id}/{numbered(PRINT_SET, n, len(bound))}", f"{title}（{label}）", when,
                                members, strip_colophon=n == 1, colophon_from=parts[0] if n == len(bound) else None))
    groups: dict[int, list[Output]] = {}
    for o in outputs:
        if o.relpath in visits:
            groups.setdefault(visits[o.relpath][0], []).append(o)
    for group in sorted(groups):
        members = sorted(groups[group], key=lambda o: (visits[o.relpath], name(o)[:2]))
        label = f"第{group}组" if group else "未分组"
        packets = volumes(members, step=2)
        for n, volume in enumerate(packets, 1):
            result.append(print_set(f"{plan_id}/{numbered(f'09_{label}_随身文书.docx', n, len(packets))}",
                                    f"{label}随身文书" + (f"（第{n}册）" if len(packets) > 1 else ""), when, volume,
                                    restart=True))
    return result
