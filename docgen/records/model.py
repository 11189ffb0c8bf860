"""A typed, read-only view of the records, shaped for the templates.

Templates only see what is built here: every field a form prints exists (blank when a
clerk has not filled it yet), and a name that does not exist fails the build loudly
(StrictUndefined) instead of printing nothing.

The views are NamedTuples: immutable like frozen dataclasses, and defined about five times
faster, which counts when a one-record rebuild has half a second for everything.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import NamedTuple

from docgen.records import results
from docgen.records.index import Index, parse_date

NUMERALS = "一二三四五六七八九十"
DEFAULT_METHODS = ("实地检查", "书面检查", "网络监测", "检验检测", "委托专业机构辅助", "行政部门检查结果或专业意见")


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (section numbers)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


def cn_date(value) -> str:
    """2023-10-30 → 2023年10月30日; blank when absent."""
    if isinstance(value, str):
        return _cn_date_text(value)
    return _cn_day(value if isinstance(value, dt.date) else parse_date(value))


@functools.lru_cache(maxsize=4096)
def _cn_date_text(value: str) -> str:
    """(A plan's records use a few dozen dates thousands of times.)"""
    return _cn_day(parse_date(value))


def _cn_day(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def cn_datetime(value) -> str:
    """2023-10-31 09:30 → 2023年10月31日 09:30."""
    if not isinstance(value, str) or not value:
        return ""
    date_part, _, time_part = value.partition(" ")
    return (cn_date(date_part) + (" " + time_part if time_part else "")).strip()


@functools.lru_cache(maxsize=8192)
def display_width(value: str) -> int:
    """Columns a text takes in a terminal, a Chinese character two (`status`'s table; the print set also
    sorts a cell's texts into short and long by it — the printed width itself, with “ ” · — wide too,
    is `printset._printed_twips`). (Remembered: a table of 300 rows measures the same department names
    hundreds of times.)"""
    if value.isascii():
        return len(value)
    import unicodedata

    return len(value) + sum(1 for c in value if unicodedata.east_asian_width(c) in "WF")


def text(value) -> str:
    return "" if value is None else str(value)


class Person(NamedTuple):
    id: str
    name: str
    badge: str
    phone: str
    department: str
    department_id: str


class Vehicle(NamedTuple):
    plate: str
    driver: str
    phone: str


class ListItem(NamedTuple):
    """One item of a department's 抽查事项清单, as the plan chose it."""

    id: str
    name: str
    level: str
    basis: str
    methods_text: str
    frequency: str
    qualification: str


class Department(NamedTuple):
    id: str
    name: str
    content: str
    items: tuple[str, ...]        # item names (from the department's list)
    items_text: str
    entries: tuple[ListItem, ...] = ()
    basis_text: str = ""          # the items' legal bases, each once


class Assistant(NamedTuple):
    """A specialist sent to help a group (选派专业人员协助); not an inspector."""

    group: int
    name: str
    unit: str
    speciality: str
    department: str

    @property
    def text(self) -> str:
        return self.name + "（" + "，".join(p for p in (self.unit, self.speciality) if p) + "）"


class Entity(NamedTuple):
    id: str
    name: str
    credit_code: str
    type: str
    address: str
    legal_rep: str
    contact_name: str
    contact_phone: str
    credit_class: str
    licence: str
    status: str


class Item(NamedTuple):
    department: str
    department_id: str
    item: str
    finding: str
    handling: str


class FollowUp(NamedTuple):
    issue: str
    measure: str
    department: str
    deadline: str
    responsible: str
    status: str
    outcome: str
    closed: str
    transfer: str
    note: str


class PhoneNotice(NamedTuple):
    time: str
    caller: str
    reached: str
    phone: str
    outcome: str
    note: str
    agreed_visit: str  # the visit day agreed on the call


class Dates(NamedTuple):
    phone_notice: str
    notice_served: str
    visit: str
    completed: str   # the last department's completion (the joint record's date)
    announced: str   # the visit day the 告知书 announces: agreed on the call, else the visit's own when
    #                  known as it was served (not after the service), else none (the plan's period)
    scheduled: str   # the day the group goes (went) there: the visit's own, else the one agreed on the call


class Part(NamedTuple):
    """One department's own part of an inspection: its result(s), dates, approval, signatures."""

    department: str
    department_id: str
    items: tuple[Item, ...]
    results: tuple[str, ...]      # as printed (违反教育部门相关规定)
    results_text: str
    completed: str
    entered: str
    reviewer: str
    approved: str                 # approval date
    disclosed: str
    publishable: bool
    signers: tuple[Person, ...]
    signers_text: str
    signature_date: str


class Choice(NamedTuple):
    """One box of a tick-box list on a paper form."""

    label: str
    checked: bool

    @property
    def box(self) -> str:
        return ("☑" if self.checked else "□") + self.label


class Inspection(NamedTuple):
    seq: int
    path: str
    entity: Entity
    group: int | None
    group_label: str
    leader: Person | None
    members: tuple[Person, ...]
    members_text: str
    assistants: tuple[Assistant, ...]
    assistants_text: str
    vehicle: Vehicle | None
    dates: Dates
    phone_notice: PhoneNotice | None
    items: tuple[Item, ...]
    methods: tuple[str, ...]
    methods_text: str
    method_boxes: str
    parts: tuple[Part, ...]
    results_text: str             # each department's result(s), one line per department
    signatures_text: str          # each department's inspectors who signed
    signed_on: str                # the day(s) they signed, as their signatures say (blank: none yet)
    opinion: str
    signer: str
    signature_date: str
    refusal: str
    follow_ups: tuple[FollowUp, ...]
    measures_text: str
    departments_text: str
    state: str
    note: str


class Subsection(NamedTuple):
    number: str
    heading: str
    text: tuple[str, ...]
    inline: bool


class Section(NamedTuple):
    number: str
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[Subsection, ...]


class Group(NamedTuple):
    number: int
    label: str
    leader: Person | None
    members: tuple[Person, ...]
    entities: tuple[Entity, ...]
    entities_text: str
    dates_text: str
    vehicle: Vehicle | None
    visits: tuple[tuple[str, Entity], ...] = ()  # (visit date, entity) in visiting order, undated last
    assistants: tuple[Assistant, ...] = ()


class Header(NamedTuple):
    """The 发文机关标志, fitted to one line of the 156 mm text block (or the joint form's column)."""

    text: str                     # one-line 标志 (empty for the joint form)
    bodies: tuple[str, ...]       # 联合行文: the issuing bodies, stacked
    suffix: str                   # 联合行文: “文件”, right of the bodies
    scale: int                    # character width in percent (w:w), 100 when it fits
    body_scale: int               # the same for the stacked bodies
    suffix_size: int              # half-points of the suffix (spans the stacked bodies)


class Colophon(NamedTuple):
    """版记: 抄送 and 印发机关/印发日期, printed at the foot of the last page."""

    cc: str
    printer: str
    date: str


class Plan(NamedTuple):
    id: str
    type: str
    is_joint: bool
    header: str
    head: Header
    doc_number: str
    issuer: str
    issuer_lines: tuple[str, ...]
    issue_date: str
    signers: tuple[str, ...]
    title: str
    title_lines: tuple[str, ...]
    disclosure: str
    recipients: tuple[str, ...]
    recipients_text: str
    body: tuple[str, ...]
    contact_names: str
    contact_phone: str
    contact_email: str
    attachments: tuple[str, ...]
    colophon: Colophon | None
    scheme_title: str
    scheme_title_lines: tuple[str, ...]
    preamble: tuple[str, ...]
    sections: tuple[Section, ...]
    period_text: str
    check_type: str
    lead: Department | None
    departments: tuple[Department, ...]
    departments_text: str
    notice_title: str
    notice_title_lines: tuple[str, ...]
    legal_basis: str
    materials: tuple[str, ...]
    notice_contact: str
    notice_phone: str
    phone_content: str
    task_source: str = ""         # 告知书: where the task comes from (the plan and its number)
    frequency: str = ""           # 告知书: how often
    reconsideration: str = ""     # 告知书: where to apply for 行政复议
    court: str = ""               # 告知书: where to bring 行政诉讼
    assistants: tuple[Assistant, ...] = ()
    yearly_cap: str = ""          # 告知书: the plan's yearly cap, when the office wrote no frequency of its own
    methods_text: str = ""        # 告知书: the methods the 抽查事项清单 lists for the items chosen, each once


def _memo(index: Index, key: tuple, make):
    """A view made once per run: a plan table shows the same inspectors, vehicles and entities
    over and over, and the records do not change while it is built."""
    if key not in index.views:
        index.views[key] = make()
    return index.views[key]


def _person(index: Index, pid: str) -> Person | None:
    def make():
        found = index.inspectors.get(pid)
        if not found:
            return None
        dep, pos = found
        data = dep.data["inspectors"][pos]
        return Person(pid, text(data.get("name")), text(data.get("badge")), text(data.get("phone")),
                      text(dep.data.get("name")), text(dep.data.get("id")))

    return _memo(index, ("person", pid), make)


def _vehicle(index: Index, plate: str | None) -> Vehicle | None:
    if not plate:
        return None

    def make():
        v = index.vehicle(plate) or {}
        return Vehicle(plate, text(v.get("driver")), text(v.get("phone")))

    return _memo(index, ("vehicle", plate), make)


def entity_view(data: dict) -> Entity:
    contact = data.get("contact") or {}
    return Entity(text(data.get("id")), text(data.get("name")), text(data.get("credit_code")), text(data.get("type")),
                  text(data.get("address")), text(data.get("legal_rep")), text(contact.get("name")),
                  text(contact.get("phone")), text(data.get("credit_class")),
                  text((data.get("licence") or {}).get("number")), text(data.get("status")))


def _part_dates(data: dict, key: str) -> list[tuple[str, str]]:
    """(department id, date) of one step over the departments that have done it."""
    return [(d, p[key]) for d, p in results.parts(data) if isinstance(p.get(key), str)]


def inspection_state(data: dict) -> str:
    """Where an inspection stands, in the words of the process (every department's part done)."""
    dates = data.get("dates") or {}
    count = sum(1 for _ in results.parts(data))
    if count and len(_part_dates(data, "disclosed")) == count:
        return "已公示"
    if count and len(_part_dates(data, "entered")) == count:
        return "已录入"
    if _part_dates(data, "completed") or dates.get("visit"):
        return "已检查"
    if dates.get("notice_served") or dates.get("phone_notice"):
        return "已告知"
    return "待检查"


def department_views(plan: dict, index: Index) -> tuple[Department, ...]:
    """The plan's departments with the items it chose, named and described by each department's list
    (an id not in the list prints as written: validation reports it)."""
    views = []
    for entry in plan.get("departments") or []:
        dep_id = entry.get("department")
        dep = index.departments.get(dep_id)
        name = text(dep.data.get("name")) if dep else text(dep_id)
        entries = []
        for item_id in entry.get("items") or ():
            found = index.list_item(dep_id, item_id) or {"id": item_id, "name": item_id}
            entries.append(ListItem(text(found.get("id")), text(found.get("name")), text(found.get("level")),
                                    text(found.get("basis")), "、".join(found.get("methods") or ()),
                                    text(found.get("frequency")), text(found.get("qualification"))))
        items = tuple(e.name for e in entries)
        bases = tuple(dict.fromkeys(e.basis for e in entries if e.basis))
        views.append(Department(text(dep_id), name, text(entry.get("content")) or "、".join(items),
                                items, "、".join(items), tuple(entries), "；".join(bases)))
    return tuple(views)


def assistant_views(plan: dict, index: Index) -> tuple[Assistant, ...]:
    found = []
    for helper in plan.get("assistants") or ():
        dep = index.departments.get(helper.get("department"))
        found.append(Assistant(helper.get("group") or 0, text(helper.get("name")), text(helper.get("unit")),
                               text(helper.get("speciality")),
                               text(dep.data.get("name")) if dep else text(helper.get("department"))))
    return tuple(found)


def frequency_text(plan: dict, departments: tuple[Department, ...]) -> str:
    """告知书's 检查频次: the office's words, else (without a yearly cap, whose sentence is the
    template's own form text) the items' frequencies as their lists word them."""
    notice = plan.get("notice") or {}
    if notice.get("frequency"):
        return text(notice["frequency"])
    if plan.get("yearly_cap"):
        return ""
    return "；".join(dict.fromkeys(f"{e.name}：{e.frequency}" for d in departments for e in d.entries if e.frequency))


def inspection_view(seq: int, record, plan: dict, index: Index, departments: tuple[Department, ...],
                    methods: tuple[str, ...]) -> Inspection:
    data = record.data
    entity = _memo(index, ("entity", data["entity"]), lambda: entity_view(index.entities[data["entity"]].data))
    dep_names = {d.id: d.name for d in departments}
    team = data.get("inspectors") or {}
    members = tuple(p for d in departments for pid in team.get(d.id, []) if (p := _person(index, pid)))
    leader = _person(index, data["leader"]) if data.get("leader") else None
    group = data.get("group")
    helpers = tuple(a for a in _memo(index, ("assistants", str(data.get("plan"))),
                                     lambda: assistant_views(plan, index)) if group and a.group == group)
    parts = part_views(data, index, departments)
    items = form_items(parts, departments)
    dates = data.get("dates") or {}
    phone = data.get("phone_notice")
    notice = PhoneNotice(cn_datetime(phone.get("time")), text(phone.get("caller")), text(phone.get("reached")),
                         text(phone.get("phone")) or entity.contact_phone, text(phone.get("outcome")),
                         text(phone.get("note")), cn_date(phone.get("agreed_visit"))) if phone else None
    called, served, visited = (cn_date(dates.get(k)) for k in ("phone_notice", "notice_served", "visit"))
    agreed = notice.agreed_visit if notice else ""  # (the 告知书 announces it; the group goes then, until the visit)
    # a letter served before the visit could not name its day (unless agreed on the call): it said the
    # period, and recording the visit later does not change the letter that was served
    served_first = isinstance(dates.get("visit"), str) and isinstance(dates.get("notice_served"), str) \
        and dates["visit"] > dates["notice_served"]
    known = "" if served_first else visited
    follow_ups = tuple(FollowUp(text(f.get("issue")), text(f.get("measure")),
                                dep_names.get(f.get("department"), text(f.get("department"))),
                                cn_date(f.get("deadline")), text(f.get("responsible")), text(f.get("status")),
                                text(f.get("outcome")), cn_date(f.get("closed")), text(f.get("transfer")),
                                text(f.get("note"))) for f in data.get("follow_ups") or [])
    chosen = tuple(data.get("methods") or ())
    signature = data.get("signature") or {}
    return Inspection(
        seq=seq, path=record.path, entity=entity, group=group, group_label=f"第{group}组" if group else "",
        leader=leader, members=members,
        members_text="；".join(f"{p.department} {p.name}（{p.badge}）" for p in members),
        assistants=helpers, assistants_text="；".join(a.text for a in helpers),
        vehicle=_vehicle(index, data.get("vehicle")),
        dates=Dates(called, served, visited, cn_date(max((p for _, p in _part_dates(data, "completed")), default=None)),
                    agreed or known, cn_date(scheduled_day(data))),
        phone_notice=notice, items=items, methods=chosen, methods_text="、".join(chosen),
        method_boxes=_boxes(methods, chosen),
        parts=parts,
        results_text="\n".join(f"{p.department}：{p.results_text}" for p in parts if p.results),
        signatures_text="；".join(f"{p.department} {p.signers_text}" for p in parts if p.signers),
        signed_on="、".join(cn_date(day) for day in sorted({
            s["date"] for _, part in results.parts(data) for s in part.get("signatures") or []
            if isinstance(s, dict) and isinstance(s.get("date"), str)})),
        opinion=text(data.get("opinion")), signer=text(signature.get("signer")),
        signature_date=cn_date(signature.get("date")), refusal=text(data.get("refusal")),
        follow_ups=follow_ups,
        measures_text="；".join(f"{f.measure}：{f.issue}" for f in follow_ups) or
        ("无需后续处置" if results.nothing_found([r for p in parts for r in p.results]) else ""),
        departments_text="、".join(d.name for d in departments),
        state=inspection_state(data), note=text(data.get("note")))


def scheduled_day(data: dict):
    """The day an inspection's group goes to the entity: the visit's, else the one agreed on the call
    (the 人员分组及车辆安排 table and the order of the print sets, before the visit)."""
    dates = data.get("dates") if isinstance(data.get("dates"), dict) else {}
    call = data.get("phone_notice") if isinstance(data.get("phone_notice"), dict) else {}
    return dates.get("visit") or call.get("agreed_visit")


def form_items(parts: tuple[Part, ...], departments: tuple[Department, ...]) -> tuple[Item, ...]:
    """The 实地核查记录表's item rows: each department's items as its part writes them, then the items
    of its list not written yet, blank for the inspector to fill in by hand (a department that has
    written one item, or only its result, keeps the rows of the others); then what a department
    outside the plan wrote."""
    written = {part.department_id: part.items for part in parts}
    rows: list[Item] = []
    for department in departments:
        own = written.pop(department.id, ())
        done = {item.item for item in own}
        rows += own
        rows += [Item(department.name, department.id, name, "", "") for name in department.items if name not in done]
    for own in written.values():
        rows += own
    return tuple(rows)


def part_views(data: dict, index: Index, departments: tuple[Department, ...]) -> tuple[Part, ...]:
    """Each department's part, in the plan's order of departments (then any other written)."""
    written = dict(results.parts(data))
    order = [d.id for d in departments if d.id in written] + [d for d in written if d not in {x.id for x in departments}]
    names = {d.id: d.name for d in departments}
    views = []
    for dep_id in order:
        part = written[dep_id]
        dep_rec = index.departments.get(dep_id)
        dep_data = dep_rec.data if dep_rec else {"id": dep_id}
        name = names.get(dep_id) or text(dep_data.get("name")) or dep_id
        items = tuple(Item(name, dep_id, text(i.get("item")), text(i.get("finding")), text(i.get("handling")))
                      for i in part.get("items") or [] if isinstance(i, dict))
        shown = tuple(results.shown(r, dep_data) for r in results.part_results(part))
        approval = part.get("approval") if isinstance(part.get("approval"), dict) else {}
        signatures = [s for s in part.get("signatures") or [] if isinstance(s, dict)]
        signers = tuple(p for s in signatures if (p := _person(index, s.get("inspector"))))
        sign_dates = sorted(s["date"] for s in signatures if isinstance(s.get("date"), str))
        views.append(Part(name, dep_id, items, shown, "、".join(shown), cn_date(part.get("completed")),
                          cn_date(part.get("entered")), text(approval.get("reviewer")), cn_date(approval.get("date")),
                          cn_date(part.get("disclosed")), results.is_publishable(part), signers,
                          "、".join(p.name for p in signers), cn_date(sign_dates[-1]) if sign_dates else ""))
    return tuple(views)


@functools.lru_cache(maxsize=256)
def _boxes(options: tuple[str, ...], chosen: tuple) -> str:
    """A line of tick boxes (the same few lines recur for every inspection of a plan)."""
    return "  ".join(Choice(o, o in chosen).box for o in options)


def _subsections(items) -> tuple[Subsection, ...]:
    result = []
    for n, item in enumerate(items, 1):
        body = list(item.get("text") or [])
        extra = "；".join(part for part in (f"责任单位：{item['owner']}" if item.get("owner") else "",
                                            f"完成时限：{item['deadline']}" if item.get("deadline") else "") if part)
        if extra:
            body = body[:-1] + [(body[-1] if body else "") + f"（{extra}）"]
        inline = item.get("inline")
        result.append(Subsection(text(item.get("number")) or f"（{cn_number(n)}）", text(item.get("heading")),
                                 tuple(body), len(body) == 1 if inline is None else bool(inline and body)))
    return tuple(result)


def list_subsections(departments: tuple[Department, ...]) -> list[dict]:
    """A scheme section's subsections taken from the departments' item lists (`from_list: true`):
    one per department, its content line (as the plan words it) then a line per item chosen."""
    found = []
    for d in departments:
        lines = [d.content] if d.content and d.content != d.items_text else []
        for e in d.entries:
            facts = "，".join(f for f in (f"检查依据：{e.basis}" if e.basis else "",
                                         f"检查方式：{e.methods_text}" if e.methods_text else "",
                                         f"抽查比例或频次：{e.frequency}" if e.frequency else "") if f)
            level = f"（{e.level}检查事项）" if e.level else ""
            lines.append(f"{e.name}{level}" + (f"：{facts}。" if facts else "。"))
        found.append({"heading": d.name, "inline": False, "text": lines})
    return found


def plan_sections(plan: dict, departments: tuple[Department, ...] = ()) -> tuple[Section, ...]:
    """The scheme's sections, as the office wrote them (docgen adds only the numbers it is not given);
    a section marked `from_list` lists the items the plan chose, from the departments' lists."""
    return tuple(Section(text(section.get("number")) or cn_number(n) + "、", text(section.get("heading")),
                         tuple(section.get("paragraphs") or ()),
                         _subsections(list_subsections(departments) if section.get("from_list")
                                      else section.get("items") or []))
                 for n, section in enumerate((plan.get("scheme") or {}).get("sections") or [], 1))


TITLE_CHARS = 20      # 2号 (22 pt) characters in the 156 mm text block
HEADER_PT = 30        # 发文机关标志 size before it is condensed to fit
TEXT_BLOCK_PT = 442   # 156 mm
JOINT_COLUMN_PT = 318  # the joint 标志's left column in templates/00_通知.docx: 116 mm less the cell margins
JOINT_SUFFIX_PT = 48   # the largest “文件” that fits the 40 mm right column
_BREAK_BEFORE = ("关于", "《", "“", "跨部门", "联合", "监管工作", "实施方案", "工作方案", "的通知", "的意见")
_BREAK_AFTER = "、，》”）"


def _ems(value: str) -> float:
    """Width in ems of a line set in a CJK font: ASCII letters and digits take half an em."""
    return sum(0.5 if c.isascii() else 1.0 for c in value)


def title_lines(value: str, per_line: int = TITLE_CHARS) -> tuple[str, ...]:
    """A title's printed lines: the clerk's own line breaks, else breaks between words.

    A title that fits stays one line. A longer one is cut only outside quotation marks, before
    words such as 关于 or 的通知 and after 、》”, choosing the fewest, most even lines (inside
    《》 only when nothing else fits); when no such cut fits, the title stays one paragraph and
    the word processor wraps it.
    """
    lines = tuple(line.strip() for line in str(value or "").splitlines() if line.strip())
    if len(lines) != 1 or _ems(lines[0]) <= per_line:
        return lines
    title = lines[0]
    cuts, quoted, book = {}, 0, 0  # cut position → penalty (a cut inside 《》 only when nothing else fits)
    for i, char in enumerate(title):
        if i and quoted == 0 and (title.startswith(_BREAK_BEFORE, i) or title[i - 1] in _BREAK_AFTER):
            cuts[i] = 400 if book else 0
        quoted += (char in "“（") - (char in "”）")
        book += (char == "《") - (char == "》")
    cuts[len(title)] = 0
    best: dict[int, tuple] = {0: (0, 0.0, ())}  # position → (lines, squared slack + penalties, cuts)
    for end in sorted(cuts):
        options = [(lines_ + 1, slack + cuts[end] + (per_line - _ems(title[start:end])) ** 2, made + (end,))
                   for start, (lines_, slack, made) in best.items()
                   if start < end and _ems(title[start:end]) <= per_line]
        if options:
            best[end] = min(options)
    if len(title) not in best:
        return lines
    ends = best[len(title)][2]
    return tuple(title[a:b] for a, b in zip((0,) + ends, ends))


def _fit(value: str, size_pt: float, width_pt: float = TEXT_BLOCK_PT) -> int:
    """Character width (percent) that fits `value` at `size_pt` into `width_pt`, as offices condense it."""
    natural = _ems(value) * size_pt
    return 100 if natural <= width_pt else max(33, int(width_pt * 98 / natural))


def header_view(plan: dict) -> Header:
    bodies = tuple(text(b) for b in plan.get("header_bodies") or ())
    if bodies:
        suffix = text(plan.get("header_suffix")) or "文件"
        suffix_pt = int(min(HEADER_PT * len(bodies) * 0.8, JOINT_SUFFIX_PT * 2 / max(_ems(suffix), 1)))
        widest = max(bodies, key=_ems)
        return Header("", bodies, suffix, 100, _fit(widest, HEADER_PT, JOINT_COLUMN_PT), suffix_pt * 2)
    header = text(plan.get("header"))
    return Header(header, (), "", _fit(header, HEADER_PT), 100, HEADER_PT * 2)


def colophon_view(plan: dict) -> Colophon | None:
    data = plan.get("colophon")
    if not data:
        return None
    return Colophon("、".join(data.get("cc") or ()), text(data.get("printer")),
                    cn_date(data.get("date")) or "　　　　年　　月　　日")


def recipients_text(value) -> str:
    """主送: a list joined with 、 and a colon, or the office's own wording as written."""
    if isinstance(value, str):
        return value
    return "、".join(value or ()) + "：" if value else ""


def plan_view(plan: dict, index: Index) -> Plan:
    departments = department_views(plan, index)
    contacts = plan.get("contacts") or {}
    notice = plan.get("notice") or {}
    scheme = plan.get("scheme") or {}
    period = plan.get("period") or {}
    lead = next((d for d in departments if d.id == plan.get("lead_department")), None)
    issuer = text(plan.get("issuer"))
    raw_recipients = plan.get("recipients")
    recipients = (raw_recipients,) if isinstance(raw_recipients, str) else tuple(raw_recipients or ())
    lines = title_lines(text(plan.get("title")))
    own_title = text(notice.get("title"))  # its lines as the clerk broke them, as the plan's title
    notice_title = "".join(own_title.split("\n")) or "“双随机、一公开”跨部门联合抽查告知书"
    scheme_lines = title_lines(text(scheme.get("title")))
    return Plan(
        id=plan["id"], type=text(plan.get("type")), is_joint=plan.get("type") == "联合抽查",
        header=text(plan.get("header")), head=header_view(plan), doc_number=text(plan.get("doc_number")),
        issuer=issuer, issuer_lines=tuple(issuer.splitlines()), issue_date=cn_date(plan.get("issue_date")),
        signers=tuple(plan.get("signers") or ()), title="".join(lines), title_lines=lines,
        disclosure=text(plan.get("disclosure")), recipients=recipients,
        recipients_text=recipients_text(raw_recipients), body=tuple(plan.get("body") or ()),
        contact_names="、".join(contacts.get("names") or ()), contact_phone=text(contacts.get("phone")),
        contact_email=text(contacts.get("email")),
        attachments=tuple(plan.get("attachments") or ()), colophon=colophon_view(plan),
        scheme_title="".join(scheme_lines), scheme_title_lines=scheme_lines,
        preamble=tuple(scheme.get("preamble") or ()), sections=plan_sections(plan, departments),
        period_text=(f"{cn_date(period.get('start'))}至{cn_date(period.get('end'))}" if period else ""),
        check_type=text(plan.get("check_type")), lead=lead, departments=departments,
        departments_text="、".join(d.name for d in departments),
        notice_title=notice_title, notice_title_lines=title_lines(own_title if "\n" in own_title.strip() else notice_title),
        legal_basis=text(notice.get("legal_basis")), materials=tuple(notice.get("materials") or ()),
        notice_contact=text((notice.get("contact") or {}).get("name")) or "、".join(contacts.get("names") or ()),
        notice_phone=text((notice.get("contact") or {}).get("phone")) or text(contacts.get("phone")),
        phone_content=text(notice.get("phone_content")),
        task_source=text(notice.get("task_source")) or (f"《{''.join(lines)}》（{text(plan.get('doc_number'))}）"
                                                        if lines else text(plan.get("doc_number"))),
        frequency=frequency_text(plan, departments), reconsideration=text(notice.get("reconsideration")),
        court=text(notice.get("court")), assistants=assistant_views(plan, index),
        yearly_cap=text(plan.get("yearly_cap")) if not notice.get("frequency") else "",
        # what the notice announces before the visit: never the methods written in after it
        methods_text="、".join(dict.fromkeys(m for d in departments for e in d.entries
                                             for m in e.methods_text.split("、") if m)))


def group_views(inspections: tuple[Inspection, ...]) -> tuple[Group, ...]:
    groups: dict[int, list[Inspection]] = {}
    for insp in inspections:
        groups.setdefault(insp.group or 0, []).append(insp)
    views = []
    for number in sorted(groups):
        members = groups[number]
        first = members[0]
        visited = sorted(members, key=lambda i: _date_key(i.dates.scheduled))  # stable: same day keeps record order
        dates = sorted({i.dates.scheduled for i in members if i.dates.scheduled}, key=_date_key)
        views.append(Group(number, first.group_label, _one_of(members, "leader"), _everyone(members),
                           tuple(i.entity for i in members), "、".join(i.entity.name for i in members),
                           "、".join(dates), _one_of(members, "vehicle"), tuple((i.dates.scheduled, i.entity) for i in visited),
                           first.assistants))
    return tuple(views)


def _everyone(inspections: list[Inspection]) -> tuple[Person, ...]:
    """Everyone who inspects for the group: each inspection's own team (a draw may have put another
    inspector in for one entity, 回避), each person once, by department, in order of appearance."""
    seen: dict[str, Person] = {}
    for insp in inspections:
        for person in insp.members:
            seen.setdefault(person.id or person.name, person)
    order = {dep: n for n, dep in enumerate(dict.fromkeys(p.department_id for p in seen.values()))}
    return tuple(sorted(seen.values(), key=lambda p: order[p.department_id]))  # stable: appearance within


def _one_of(inspections: list[Inspection], field: str):
    """The group's leader (or vehicle) as its inspections name it: the one they share, else all of
    them side by side (never the first inspection's alone for all)."""
    found = list(dict.fromkeys(v for v in (getattr(i, field) for i in inspections) if v is not None))
    if len(found) <= 1:
        return found[0] if found else None
    joined = ["、".join(dict.fromkeys(part for part in parts if part)) for parts in zip(*found)]
    return type(found[0])(*joined)


def _date_key(text: str) -> tuple:
    """A printed date (2023年11月6日) as a sortable key: by calendar, not by text; blank last."""
    return tuple(int(n) for n in re.findall(r"\d+", text)) or (10000,)
