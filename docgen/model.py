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

from docgen.index import Index, parse_date

NUMERALS = "一二三四五六七八九十"
DEFAULT_METHODS = ("实地检查", "书面检查", "网络监测", "检验检测", "委托专业机构辅助")


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
    """Columns a text takes in a terminal or an Excel cell: a Chinese character takes two.
    (Remembered: a table of 300 rows measures the same department names hundreds of times.)"""
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


class Department(NamedTuple):
    id: str
    name: str
    content: str
    items: tuple[str, ...]
    items_text: str


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


class Dates(NamedTuple):
    phone_notice: str
    notice_served: str
    visit: str
    completed: str
    entered: str
    disclosed: str


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
    vehicle: Vehicle | None
    dates: Dates
    phone_notice: PhoneNotice | None
    items: tuple[Item, ...]
    methods: tuple[str, ...]
    methods_text: str
    method_boxes: str
    result: str
    result_boxes: str
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


class Plan(NamedTuple):
    id: str
    type: str
    is_joint: bool
    header: str
    doc_number: str
    issuer: str
    issuer_lines: tuple[str, ...]
    issue_date: str
    title: str
    disclosure: str
    recipients: tuple[str, ...]
    recipients_text: str
    body: tuple[str, ...]
    contact_names: str
    contact_phone: str
    contact_email: str
    attachments: tuple[str, ...]
    scheme_title: str
    preamble: tuple[str, ...]
    sections: tuple[Section, ...]
    period_text: str
    check_type: str
    lead: Department | None
    departments: tuple[Department, ...]
    departments_text: str
    notice_title: str
    legal_basis: str
    materials: tuple[str, ...]
    notice_contact: str
    notice_phone: str
    phone_content: str


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
        for dep in index.departments.values():
            for v in dep.data.get("vehicles") or []:
                if v.get("plate") == plate:
                    return Vehicle(plate, text(v.get("driver")), text(v.get("phone")))
        return Vehicle(plate, "", "")

    return _memo(index, ("vehicle", plate), make)


def entity_view(data: dict) -> Entity:
    contact = data.get("contact") or {}
    return Entity(text(data.get("id")), text(data.get("name")), text(data.get("credit_code")), text(data.get("type")),
                  text(data.get("address")), text(data.get("legal_rep")), text(contact.get("name")),
                  text(contact.get("phone")), text(data.get("credit_class")),
                  text((data.get("licence") or {}).get("number")), text(data.get("status")))


def inspection_state(data: dict) -> str:
    """Where an inspection stands, in the words of the process."""
    dates = data.get("dates") or {}
    if dates.get("disclosed"):
        return "已公示"
    if dates.get("entered"):
        return "已录入"
    if dates.get("completed") or dates.get("visit"):
        return "已检查"
    if dates.get("notice_served") or dates.get("phone_notice"):
        return "已告知"
    return "待检查"


def department_views(plan: dict, index: Index) -> tuple[Department, ...]:
    views = []
    for entry in plan.get("departments") or []:
        dep = index.departments.get(entry.get("department"))
        name = text(dep.data.get("name")) if dep else text(entry.get("department"))
        items = tuple(entry.get("items") or ())
        views.append(Department(text(entry.get("department")), name, text(entry.get("content")) or "、".join(items),
                                items, "、".join(items)))
    return tuple(views)


def inspection_view(seq: int, record, plan: dict, index: Index, departments: tuple[Department, ...],
                    methods: tuple[str, ...], results: tuple[str, ...]) -> Inspection:
    data = record.data
    entity = _memo(index, ("entity", data["entity"]), lambda: entity_view(index.entities[data["entity"]].data))
    dep_names = {d.id: d.name for d in departments}
    team = data.get("inspectors") or {}
    members = tuple(p for d in departments for pid in team.get(d.id, []) if (p := _person(index, pid)))
    leader = _person(index, data["leader"]) if data.get("leader") else None
    if data.get("items"):
        items = tuple(Item(dep_names.get(i.get("department"), text(i.get("department"))), text(i.get("department")),
                           text(i.get("item")), text(i.get("finding")), text(i.get("handling")))
                      for i in data["items"])
    else:
        items = tuple(Item(d.name, d.id, name, "", "") for d in departments for name in d.items)
    dates = data.get("dates") or {}
    phone = data.get("phone_notice")
    notice = PhoneNotice(cn_datetime(phone.get("time")), text(phone.get("caller")), text(phone.get("reached")),
                         text(phone.get("phone")) or entity.contact_phone, text(phone.get("outcome")),
                         text(phone.get("note"))) if phone else None
    follow_ups = tuple(FollowUp(text(f.get("issue")), text(f.get("measure")),
                                dep_names.get(f.get("department"), text(f.get("department"))),
                                cn_date(f.get("deadline")), text(f.get("responsible")), text(f.get("status")),
                                text(f.get("outcome")), cn_date(f.get("closed")), text(f.get("transfer")),
                                text(f.get("note"))) for f in data.get("follow_ups") or [])
    chosen = tuple(data.get("methods") or ())
    signature = data.get("signature") or {}
    group = data.get("group")
    return Inspection(
        seq=seq, path=record.path, entity=entity, group=group, group_label=f"第{group}组" if group else "",
        leader=leader, members=members,
        members_text="；".join(f"{p.department} {p.name}（{p.badge}）" for p in members),
        vehicle=_vehicle(index, data.get("vehicle")),
        dates=Dates(*(cn_date(dates.get(k)) for k in ("phone_notice", "notice_served", "visit", "completed",
                                                          "entered", "disclosed"))),
        phone_notice=notice, items=items, methods=chosen, methods_text="、".join(chosen),
        method_boxes=_boxes(methods, chosen),
        result=text(data.get("result")),
        result_boxes=_boxes(results, (data.get("result"),)),
        opinion=text(data.get("opinion")), signer=text(signature.get("signer")),
        signature_date=cn_date(signature.get("date")), refusal=text(data.get("refusal")),
        follow_ups=follow_ups,
        measures_text="；".join(f"{f.measure}：{f.issue}" for f in follow_ups) or
        ("无需后续处置" if data.get("result") else ""),
        departments_text="、".join(d.name for d in departments),
        state=inspection_state(data), note=text(data.get("note")))


@functools.lru_cache(maxsize=256)
def _boxes(options: tuple[str, ...], chosen: tuple) -> str:
    """A line of tick boxes (the same few lines recur for every inspection of a plan)."""
    return "  ".join(Choice(o, o in chosen).box for o in options)


def _subsections(items, inline_single: bool) -> tuple[Subsection, ...]:
    result = []
    for n, item in enumerate(items, 1):
        body = list(item.get("text") or [])
        extra = "；".join(part for part in (f"责任单位：{item['owner']}" if item.get("owner") else "",
                                            f"完成时限：{item['deadline']}" if item.get("deadline") else "") if part)
        if extra:
            body = body[:-1] + [(body[-1] if body else "") + f"（{extra}）"]
        result.append(Subsection(f"（{cn_number(n)}）", text(item.get("heading")), tuple(body),
                                 inline_single and len(body) == 1))
    return tuple(result)


def plan_sections(plan: dict, departments: tuple[Department, ...]) -> tuple[Section, ...]:
    """The scheme's sections: for a joint inspection the first four come from the plan's data."""
    raw: list[tuple[str, tuple, tuple]] = []
    if plan.get("type") == "联合抽查":
        period = plan.get("period") or {}
        ratios = plan.get("ratios") or {}
        floor = plan.get("ratio_floor", 3)
        ratio_line = "各信用风险分类的抽查比例：" + "，".join(
            f"{c}类{_percent(max(ratios.get(c) or floor, floor))}" for c in "ABCD") + "。"
        scope = plan.get("scope") or {}
        raw.append(("抽查时间", (f"{cn_date(period.get('start'))}至{cn_date(period.get('end'))}",), ()))
        raw.append(("抽查对象及比例", (), (
            Subsection("（一）", "抽查对象范围", (text(scope.get("description")),), False),
            Subsection("（二）", "抽查比例", tuple(p for p in (text(plan.get("ratio_note")), ratio_line) if p), False))))
        raw.append(("抽查实施部门", ("、".join(d.name for d in departments) + "。",), ()))
        raw.append(("抽查内容", (), tuple(Subsection(f"（{cn_number(n)}）", d.name, (d.content,), False)
                                      for n, d in enumerate(departments, 1))))
    for section in (plan.get("scheme") or {}).get("sections") or []:
        raw.append((text(section.get("heading")), tuple(section.get("paragraphs") or ()),
                    _subsections(section.get("items") or [], True)))
    return tuple(Section(cn_number(n), heading, paragraphs, items)
                 for n, (heading, paragraphs, items) in enumerate(raw, 1))


def _percent(value) -> str:
    number = float(value)
    return f"{int(number)}%" if number == int(number) else f"{number:g}%"


def plan_view(plan: dict, index: Index) -> Plan:
    departments = department_views(plan, index)
    contacts = plan.get("contacts") or {}
    notice = plan.get("notice") or {}
    scheme = plan.get("scheme") or {}
    period = plan.get("period") or {}
    lead = next((d for d in departments if d.id == plan.get("lead_department")), None)
    issuer = text(plan.get("issuer"))
    recipients = tuple(plan.get("recipients") or ())
    return Plan(
        id=plan["id"], type=text(plan.get("type")), is_joint=plan.get("type") == "联合抽查",
        header=text(plan.get("header")), doc_number=text(plan.get("doc_number")), issuer=issuer,
        issuer_lines=tuple(issuer.splitlines()), issue_date=cn_date(plan.get("issue_date")),
        title=text(plan.get("title")), disclosure=text(plan.get("disclosure")), recipients=recipients,
        recipients_text="、".join(recipients) + "：", body=tuple(plan.get("body") or ()),
        contact_names="、".join(contacts.get("names") or ()), contact_phone=text(contacts.get("phone")),
        contact_email=text(contacts.get("email")),
        attachments=tuple(plan.get("attachments") or ()), scheme_title=text(scheme.get("title")),
        preamble=tuple(scheme.get("preamble") or ()), sections=plan_sections(plan, departments),
        period_text=(f"{cn_date(period.get('start'))}至{cn_date(period.get('end'))}" if period else ""),
        check_type=text(plan.get("check_type")) or "跨部门联合双随机抽查", lead=lead, departments=departments,
        departments_text="、".join(d.name for d in departments),
        notice_title=text(notice.get("title")) or "“双随机、一公开”跨部门联合抽查告知书",
        legal_basis=text(notice.get("legal_basis")), materials=tuple(notice.get("materials") or ()),
        notice_contact=text((notice.get("contact") or {}).get("name")) or "、".join(contacts.get("names") or ()),
        notice_phone=text((notice.get("contact") or {}).get("phone")) or text(contacts.get("phone")),
        phone_content=text(notice.get("phone_content")) or "告知抽查事项、检查时间和需准备的材料")


def group_views(inspections: tuple[Inspection, ...]) -> tuple[Group, ...]:
    groups: dict[int, list[Inspection]] = {}
    for insp in inspections:
        groups.setdefault(insp.group or 0, []).append(insp)
    views = []
    for number in sorted(groups):
        members = groups[number]
        first = members[0]
        visited = sorted(members, key=lambda i: _date_key(i.dates.visit))  # stable: same day keeps record order
        dates = sorted({i.dates.visit for i in members if i.dates.visit}, key=_date_key)
        views.append(Group(number, first.group_label, first.leader, first.members,
                           tuple(i.entity for i in members), "、".join(i.entity.name for i in members),
                           "、".join(dates), first.vehicle, tuple((i.dates.visit, i.entity) for i in visited)))
    return tuple(views)


def _date_key(text: str) -> tuple:
    """A printed date (2023年11月6日) as a sortable key: by calendar, not by text; blank last."""
    return tuple(int(n) for n in re.findall(r"\d+", text)) or (10000,)
