"""Where an office stands against its targets (seed 001) and its deadlines (seed 000).

Pure: figures are computed from the checked records and an as-of date, never the clock,
so a report (and the statistics workbook built from it) is reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import asdict, dataclass, field, replace

from docgen.records import results
from docgen.records.check import Checked
from docgen.records.deadlines import SOON_DAYS, Deadline, all_deadlines, judged
from docgen.records.draws import latest_draw
from docgen.draw.algorithm import CLASSES, DEFAULT_FLOOR, class_quota
from docgen.records.index import parse_date
from docgen.records.kept_roster import roster_kinds
from docgen.records.model import display_width
from docgen.workdays import Calendar, NoCalendar

TARGET_CREDIT_SHARE = 85.0
TARGET_ROSTER_SHARE = 3.0


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class ClassRow:
    credit_class: str
    population: int
    required: int
    drawn: int
    ratio: float | None
    met: bool


@dataclass
class Item:
    path: str
    subject: str
    step: str
    due: str
    state: str  # 逾期 / 即将到期


@dataclass
class DepartmentRow:
    """One department's own results ("谁检查、谁录入、谁公示") over a plan's (or a year's) records."""

    department: str
    name: str
    results: int               # parts with results
    entered_on_time: int
    entered_late: int
    entered_pending: int
    disclosed_on_time: int
    disclosed_late: int
    disclosed_pending: int
    awaiting_approval: int
    follow_ups_open: int


@dataclass
class Confirmation:
    department: str
    name: str
    due: str
    confirmed: str
    state: str  # 按时确认 / 逾期确认 / 未确认（已逾期）/ 未确认


@dataclass
class PlanStatus:
    plan: str
    title: str
    inspections: int
    classes: list[ClassRow]
    credit_driven: int
    credit_share: float | None
    entered_on_time: int
    entered_late: int
    entered_pending: int
    entry_rate: float | None
    disclosed_on_time: int
    disclosed_late: int
    disclosed_pending: int
    disclosure_rate: float | None
    follow_ups_total: int
    follow_ups_open: int
    follow_ups_overdue: int
    follow_ups_closed: int
    closure_rate: float | None
    items: list[Item] = field(default_factory=list)
    departments: list[DepartmentRow] = field(default_factory=list)
    awaiting_approval: list[str] = field(default_factory=list)  # "path：entity（department）"
    confirmations: list[Confirmation] = field(default_factory=list)


@dataclass
class AnnualStatus:
    """An annual work plan (seed 001): the year's targets over the joint plans of that year."""

    plan: str
    title: str
    year: int | None
    covers: list[str]
    roster: int
    inspected: int
    coverage: float | None
    inspections: int
    credit_driven: int
    credit_share: float | None
    entry_rate: float | None
    disclosure_rate: float | None
    follow_ups_total: int
    follow_ups_open: int
    departments: list[DepartmentRow] = field(default_factory=list)
    entered_late: int = 0     # (a rate is met by nothing late, not by its rounded percentage)
    disclosed_late: int = 0


@dataclass
class YearStatus:
    year: int
    roster: int
    inspected: int
    share: float | None
    met: bool


@dataclass
class Status:
    as_of: str
    plans: list[PlanStatus]
    year: YearStatus
    overdue: int
    problems: list[str] = field(default_factory=list)
    annual: list[AnnualStatus] = field(default_factory=list)
    done_late: int = 0  # steps done after their deadline (facts: counted in the rates, not in `overdue`)

    def to_json(self) -> dict:
        return asdict(self)


def _came(value, today: dt.date) -> bool:
    """Whether a date a record gives had come on `today` (an undated step counts as done when written)."""
    when = parse_date(value)
    return when is None or when <= today


def as_of(deadlines: list[Deadline], today: dt.date) -> list[Deadline]:
    """The deadlines as they stood on `today`: a step done later was still open then, and a step whose
    start (a completion, the draw, the visit) came later was not there yet."""
    return [replace(d, done=None) if d.done is not None and d.done > today else d for d in deadlines
            if d.since is None or d.since <= today]


def _visit(record) -> dt.date | None:
    return parse_date((record.data.get("dates") or {}).get("visit"))


def follow_ups(records, today: dt.date) -> list:
    """The follow-ups of the inspections visited by `today` (one visited later had none yet then)."""
    found = []
    for record in records:
        visit = _visit(record)
        if visit is None or visit <= today:
            found += [a for a in record.data.get("follow_ups") or [] if isinstance(a, dict)]
    return found


def closed(action, today: dt.date) -> bool:
    """A follow-up finished (已完结) by `today`: not when its closing date comes later."""
    return isinstance(action, dict) and action.get("status") == "已完结" and _came(action.get("closed"), today)


def awaiting_on(part: dict, today: dt.date) -> bool:
    """Entered by `today` and not approved by then: the department's 经办领导 has to approve a result
    before it is published (`results.is_publishable`)."""
    if not (results.part_results(part) and part.get("entered") and _came(part.get("entered"), today)):
        return False
    return not (results.is_approved(part) and _came(part["approval"].get("date"), today))


def _rates(deadlines: list[Deadline], today: dt.date) -> tuple[int, int, int, float | None]:
    on_time = sum(1 for d in deadlines if d.done and not d.late)
    late = sum(1 for d in deadlines if d.late or d.overdue(today))
    pending = sum(1 for d in deadlines if d.done is None and not d.overdue(today))
    return on_time, late, pending, percent(on_time, on_time + late)


def drawn_by_class(draw: dict, counted: set) -> Counter | None:
    """实抽 per credit class of a plan drawn with docgen: the drawn entities whose inspection counts,
    each in the class it was drawn in. `make_draw` lists them class by class, A to D, as many of each
    as `drawn` says; None when the record does not add up so (then the classes of today are used)."""
    drawn, entities = draw.get("drawn") or {}, draw.get("entities") or []
    sizes = [drawn.get(c, 0) for c in CLASSES]
    if not all(type(n) is int and n >= 0 for n in sizes) or sum(sizes) != len(entities):
        return None
    result, at = Counter(), 0
    for c, n in zip(CLASSES, sizes):
        result[c] = sum(1 for e in entities[at:at + n] if e in counted)
        at += n
    return result


def plan_status(checked: Checked, plan_id: str, today: dt.date, deadlines: list[Deadline],
                calendar: Calendar) -> PlanStatus:
    index = checked.index
    plan = index.plans[plan_id].data
    records = index.by_plan.get(plan_id, [])
    floor = plan.get("ratio_floor", DEFAULT_FLOOR)
    inspected = [r.data["entity"] for r in records if r.data.get("entity") in index.entities]
    today_classes = Counter(index.entities[e].data.get("credit_class") for e in inspected)
    draw = latest_draw(index, plan_id)
    if draw is not None:  # the scope as the draw found it (a roster kept up to date since must not change it),
        # each drawn entity in the class it was drawn in, as long as its inspection counts
        populations = Counter({c: n for c, n in (draw.data.get("population") or {}).items() if isinstance(n, int)})
        drawn_counts = drawn_by_class(draw.data, set(inspected)) or today_classes
    else:  # entities from the platform's task list: the roster's entities in the plan's scope, by credit class
        populations = Counter()
        for kind, count in roster_kinds(index):
            if index.in_scope(plan, kind):
                populations[kind["credit_class"]] += count
        drawn_counts = today_classes
    classes = []
    for c in CLASSES:
        population = populations[c]
        required = class_quota(population, (plan.get("ratios") or {}).get(c), floor)
        drawn = drawn_counts[c]
        classes.append(ClassRow(c, population, required, drawn, percent(drawn, population), drawn >= required))
    driven = sum(1 for r in records if r.data.get("credit_driven", plan.get("credit_driven", True)))
    mine = [d for d in deadlines if d.record.data.get("plan") == plan_id]
    entry = _rates([d for d in mine if d.step == "录入抽查结果"], today)
    disclosure = _rates([d for d in mine if d.step == "公示抽查结果"], today)
    actions = follow_ups(records, today)
    finished = sum(1 for a in actions if closed(a, today))
    overdue_actions = sum(1 for a in actions if not closed(a, today) and parse_date(a.get("deadline"))
                          and parse_date(a.get("deadline")) < today)
    items = []
    for d in mine:
        dep = index.departments.get(d.department) if d.department else None
        step = f"{d.step}（{dep.data.get('name', d.department)}）" if dep else d.step
        if d.overdue(today):
            items.append(Item(d.path, d.subject, step, d.due.isoformat(), "逾期"))
        elif d.done is None:
            try:
                if calendar.workdays_between(today, d.due) <= SOON_DAYS:
                    items.append(Item(d.path, d.subject, step, d.due.isoformat(), "即将到期"))
            except NoCalendar:
                pass
    confirmations = []
    for d in deadlines:
        if d.record is index.plans[plan_id]:
            name = d.step[:-len("确认被检查对象名单")]
            state = ("逾期确认" if d.late else "按时确认") if d.done else ("未确认（已逾期）" if d.overdue(today) else "未确认")
            confirmations.append(Confirmation(d.department, name, d.due.isoformat(),
                                              d.done.isoformat() if d.done else "", state))
            if d.overdue(today):
                items.append(Item(d.path, plan_id, d.step, d.due.isoformat(), "逾期"))
    items.sort(key=lambda i: (i.state != "逾期", i.due, i.path, i.step))
    return PlanStatus(
        plan=plan_id, title="".join(str(plan.get("title", "")).split("\n")), inspections=len(records), classes=classes,
        credit_driven=driven, credit_share=percent(driven, len(records)),
        entered_on_time=entry[0], entered_late=entry[1], entered_pending=entry[2], entry_rate=entry[3],
        disclosed_on_time=disclosure[0], disclosed_late=disclosure[1], disclosed_pending=disclosure[2],
        disclosure_rate=disclosure[3], follow_ups_total=len(actions), follow_ups_open=len(actions) - finished,
        follow_ups_overdue=overdue_actions, follow_ups_closed=finished, closure_rate=percent(finished, len(actions)),
        items=items, departments=department_rows(index, records, mine, today),
        awaiting_approval=awaiting(index, records, today), confirmations=confirmations)


def department_rows(index, records, deadlines: list[Deadline], today: dt.date) -> list[DepartmentRow]:
    """Per department: its results, their entry and disclosure on time, approvals awaited, open follow-ups."""
    order: list[str] = []
    for record in records:  # the departments that wrote a part, and those of a team that owe one
        for dep_id, _ in results.parts(record.data):
            if dep_id not in order:
                order.append(dep_id)
    order += sorted({d.department for d in deadlines if d.department and d.department not in order})
    # in the order the plans list their departments, then any other
    plans = sorted({r.data.get("plan") for r in records if r.data.get("plan") in index.plans})
    listed = list(dict.fromkeys(d for pid in plans for d in index.plan_department_ids(index.plans[pid].data)))
    found = {d: n for n, d in enumerate(order)}
    order.sort(key=lambda d: (listed.index(d) if d in listed else len(listed), found[d]))
    # one pass over the records, the deadlines and the follow-ups (a county's plan: 3,000 records,
    # 18,000 deadlines), each department's share gathered as it comes
    parts_of: dict[str, list[dict]] = {d: [] for d in order}
    for record in records:
        for d, p in results.parts(record.data):
            parts_of[d].append(p)
    steps: dict[tuple[str, str], list[Deadline]] = {}
    for d in deadlines:
        if d.department:
            steps.setdefault((d.department, d.step), []).append(d)
    open_actions = Counter(a["department"] for a in follow_ups(records, today)
                           if isinstance(a.get("department"), str) and not closed(a, today))
    rows = []
    for dep_id in order:
        parts = parts_of[dep_id]
        entry = _rates(steps.get((dep_id, "录入抽查结果"), []), today)
        disclosure = _rates(steps.get((dep_id, "公示抽查结果"), []), today)
        dep = index.departments.get(dep_id)
        rows.append(DepartmentRow(dep_id, str(dep.data.get("name", dep_id)) if dep else dep_id,
                                  sum(1 for p in parts if results.part_results(p) and _came(p.get("completed"), today)),
                                  *entry[:3], *disclosure[:3], sum(1 for p in parts if awaiting_on(p, today)),
                                  open_actions[dep_id]))
    return rows


def awaiting(index, records, today: dt.date) -> list[str]:
    """Results entered but not yet approved (on `today`): they stay out of 07 公示表 until approved."""
    found = []
    for record in sorted(records, key=lambda r: r.path):
        entity = index.entities.get(record.data.get("entity"))
        subject = entity.data.get("name", record.data.get("entity")) if entity else record.data.get("entity")
        for dep_id, part in results.parts(record.data):
            if awaiting_on(part, today):
                dep = index.departments.get(dep_id)
                found.append(f"{record.path}：{subject}（{dep.data.get('name', dep_id) if dep else dep_id}）")
    return found


def plan_year(plan: dict) -> int | None:
    """The year an annual plan is for: its period, its issue date, or the year in its 发文字号."""
    import re

    for value in ((plan.get("period") or {}).get("start"), plan.get("issue_date")):
        when = parse_date(value)
        if when:
            return when.year
    found = re.search(r"〔([0-9]{4})〕", str(plan.get("doc_number") or ""))
    return int(found.group(1)) if found else None


def annual_status(checked: Checked, plan_id: str, today: dt.date, deadlines: list[Deadline]) -> AnnualStatus:
    """The year's targets (seed 001) over the joint plans whose period starts in that year, as far as
    they had been issued by `today` (a plan issued later had no records then: --as-of an earlier day)."""
    index = checked.index
    plan = index.plans[plan_id].data
    year = plan_year(plan)

    def issued(data: dict) -> bool:
        when = parse_date(data.get("issue_date"))
        return when is None or when <= today

    covers = sorted(p for p, r in index.plans.items() if r.data.get("type") == "联合抽查" and year is not None
                    and plan_year(r.data) == year and issued(r.data))
    records = [r for p in covers for r in index.by_plan.get(p, [])]
    mine = [d for d in deadlines if d.record.data.get("plan") in covers]
    roster = sum(count for kind, count in roster_kinds(index) if kind["status"] == "存续")
    inspected = {r.data.get("entity") for r in records if _visited(r, today)}
    driven = sum(1 for r in records
                 if r.data.get("credit_driven", index.plans[r.data["plan"]].data.get("credit_driven", True)))
    actions = follow_ups(records, today)
    entry = _rates([d for d in mine if d.step == "录入抽查结果"], today)
    disclosure = _rates([d for d in mine if d.step == "公示抽查结果"], today)
    return AnnualStatus(
        plan=plan_id, title="".join(str(plan.get("title", "")).split("\n")), year=year, covers=covers,
        roster=roster, inspected=len(inspected), coverage=percent(len(inspected), roster),
        inspections=len(records), credit_driven=driven, credit_share=percent(driven, len(records)),
        entry_rate=entry[3], disclosure_rate=disclosure[3], entered_late=entry[1], disclosed_late=disclosure[1],
        follow_ups_total=len(actions), follow_ups_open=sum(1 for a in actions if not closed(a, today)),
        departments=department_rows(index, records, mine, today))


def _visited(record, today: dt.date) -> dt.date | None:
    """The record's visit date when the visit had taken place by `today`."""
    visit = _visit(record)
    return visit if visit is not None and visit <= today else None


def year_status(checked: Checked, today: dt.date) -> YearStatus:
    """The share of the roster visited in `today`'s year, up to `today`."""
    index = checked.index
    year = today.year
    roster = sum(count for kind, count in roster_kinds(index) if kind["status"] == "存续")
    inspected = {r.data.get("entity") for r in index.inspections
                 if (_visited(r, today) or dt.date.min).year == year}
    share = percent(len(inspected), roster)
    return YearStatus(year, roster, len(inspected), share, share is not None and share >= TARGET_ROSTER_SHARE)


def not_counted(checked: Checked, plan_id: str):
    """The error for a plan the status cannot count (`counted`): the errors that hold it back, in its
    file and those of the departments and item lists it names (also one whose own shape is wrong)."""
    from docgen.records.problems import DocgenError

    plan = checked.index.plans.get(plan_id)
    if plan is None:
        return checked.missing_plan(plan_id, "查看进度")
    files = checked.plan_files(plan)
    listing = "\n".join([str(p) for p in checked.holding if p.path in files][:20])
    return DocgenError(f"抽查计划“{plan_id}”或其参与部门、抽查事项清单的记录有错误，修正后才能查看进度：\n{listing}")


def counted(checked: Checked) -> Checked:
    """The check as the status counts it: without the records whose errors hold their documents back
    (a plan's, an inspection's, or the entity an inspection names), as the build leaves them out of
    the 公示表 and the statistics. The caller says that records were left out (`Checked.holding`)."""
    import copy
    from collections import defaultdict

    held = checked.invalid_paths
    if not held:
        return checked
    index = copy.copy(checked.index)
    index.plans = {pid: r for pid, r in index.plans.items() if checked.plan_held_back(r) is None}

    def whole(record) -> bool:  # (an entity not in the index has errors in its own shape, or is missing)
        entity = index.entities.get(record.data.get("entity"))
        return record.path not in held and entity is not None and entity.path not in held

    index.inspections = [r for r in index.inspections if whole(r)]
    index.by_plan = defaultdict(list)
    for record in index.inspections:
        if isinstance(record.data.get("plan"), str):
            index.by_plan[record.data["plan"]].append(record)
    # the memo of model views is for the whole index; the kept roster's digest stays (it reads no inspection)
    index._deadlines, index.views = None, {k: v for k, v in index.views.items() if k == "roster digest"}
    return replace(checked, index=index)


def compute(checked: Checked, today: dt.date, plan_ids: list[str] | None = None) -> Status:
    """The status on `today` of the plans named (every joint plan when none): steps done, results
    approved, follow-ups closed and visits made after `today` count as not yet done, and the notes and
    the overdue count are those of the plans shown (an annual plan's: those of its year's joint plans)."""
    index = checked.index
    calendar = Calendar.from_records(index.calendars.values())
    every, trouble = all_deadlines(index)
    deadlines = as_of(every, today)
    wanted = plan_ids or sorted(p for p, r in index.plans.items() if r.data.get("type") == "联合抽查")
    annual = [p for p in wanted if index.plans[p].data.get("type") != "联合抽查"]
    plans = [plan_status(checked, p, today, deadlines, calendar) for p in wanted if p not in annual]
    years = [annual_status(checked, p, today, deadlines) for p in annual]
    shown = {p.plan for p in plans}.union(*(a.covers for a in years))
    paths = {index.plans[p].path for p in shown} | {r.path for p in shown for r in index.by_plan.get(p, [])}
    # what the check says of these plans' deadlines, in its order: the calendar's gaps, late and overdue steps
    scoped = [d for d in deadlines if d.path in paths]
    problems = [p for p in trouble if p.path in paths] + judged(index, scoped, today)
    overdue = sum(1 for d in scoped if d.overdue(today))
    return Status(today.isoformat(), plans, year_status(checked, today), overdue,
                  [str(p) for p in problems], years, sum(1 for d in scoped if d.late))


def _cell(text, width: int, right: bool = False) -> str:
    """Pad for a terminal, where a Chinese character takes two columns."""
    text = str(text)
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _name_width(names) -> int:
    """A column of department names: 20 terminal columns, wider when a name needs it (滦南县市场监督管理局
    ran into the figures beside it)."""
    return max([20] + [display_width(str(name)) + 2 for name in names])


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _mark(ok: bool) -> str:
    return "达标" if ok else "未达标"


def render_text(status: Status, partial: bool = False) -> str:
    """`partial`: records were left out of the counts (errors): "nothing overdue" is said only of the others."""
    lines = [f"统计日期：{status.as_of}"]
    for p in status.plans:
        lines += ["", f"计划 {p.plan}：{p.title}", f"  抽查记录 {p.inspections} 份", ""]
        widths = (10, 8, 6, 6, 10, 6)
        header = ("信用分类", "范围内", "应抽", "实抽", "抽查比例", "情况")
        lines.append("  " + "".join(_cell(h, w, right=n not in (0, 5)) + "  " for n, (h, w) in
                                    enumerate(zip(header, widths))).rstrip())
        for c in p.classes:
            values = (c.credit_class, c.population, c.required, c.drawn, _fmt(c.ratio), "达标" if c.met else "不足")
            lines.append("  " + "".join(_cell(v, w, right=n not in (0, 5)) + "  " for n, (v, w) in
                                        enumerate(zip(values, widths))).rstrip())
        label = lambda text: "  " + _cell(text, 26)  # noqa: E731
        lines += [
            "",
            label("运用信用风险分类抽查占比") + f"{_fmt(p.credit_share)}（目标 ≥ {TARGET_CREDIT_SHARE:g}%，"
            f"{verdict(p.credit_share, lambda v: v >= TARGET_CREDIT_SHARE)}）",
            label("结果按时录入率") + f"{_fmt(p.entry_rate)}（按时 {p.entered_on_time}，逾期 {p.entered_late}，"
            f"未到期 {p.entered_pending}；目标 100%）",
            label("结果按时公示率") + f"{_fmt(p.disclosure_rate)}（按时 {p.disclosed_on_time}，逾期 {p.disclosed_late}，"
            f"未到期 {p.disclosed_pending}；目标 100%）",
            label("后续处置") + f"共 {p.follow_ups_total} 项：已完结 {p.follow_ups_closed}，未完结 {p.follow_ups_open}"
            f"（其中逾期 {p.follow_ups_overdue}），完结率 {_fmt(p.closure_rate)}",
        ]
        lines += _department_lines(p.departments)
        if p.confirmations:
            lines += ["", "  协同单位确认被检查对象名单："]
            width = _name_width(c.name for c in p.confirmations)
            for c in p.confirmations:
                done = f"，{c.confirmed} 确认" if c.confirmed else ""
                lines.append(f"    {_cell(c.name, width)}{c.state}（期限 {c.due}{done}）")
        if p.awaiting_approval:
            lines += ["", f"  待审核批准的抽查结果（{len(p.awaiting_approval)} 项，批准后才列入公示表）："]
            lines += [f"    {entry}" for entry in p.awaiting_approval]
        if p.items:
            lines += ["", "  逾期和 3 个工作日内到期的事项："]
            for i in p.items:
                lines.append(f"    [{i.state}] {i.due}  {i.subject}：{i.step}  ({i.path})")
    for a in status.annual:
        lines += _annual_lines(a)
    y = status.year
    lines += ["", f"{y.year} 年名录库抽查覆盖率：{y.inspected} / {y.roster} = {_fmt(y.share)}"
              f"（目标 ≥ {TARGET_ROSTER_SHARE:g}%，{_mark(y.met)}）"]
    for problem in status.problems:
        lines.append(f"注意：{problem}")
    lines.append("")
    late = f"（另有 {status.done_late} 项逾期后才办结，见上）" if status.done_late else ""
    lines.append(f"有 {status.overdue} 项逾期未办{late}。" if status.overdue else
                 f"计入统计的记录中没有逾期未办的事项{late}。" if partial else f"没有逾期未办的事项{late}。")
    return "\n".join(lines)


def _department_lines(rows: list[DepartmentRow]) -> list[str]:
    """Each department's own results: entered and disclosed on time, approvals awaited, follow-ups open."""
    if not rows:
        return []
    lines = ["", "  各部门（谁检查、谁录入、谁公示）："]
    width = _name_width(r.name for r in rows)
    for r in rows:
        lines.append(f"    {_cell(r.name, width)}结果 {r.results} 项；录入 按时 {r.entered_on_time}，逾期 {r.entered_late}，"
                     f"未到期 {r.entered_pending}；公示 按时 {r.disclosed_on_time}，逾期 {r.disclosed_late}，"
                     f"未到期 {r.disclosed_pending}；待审核 {r.awaiting_approval}；后续处置未完结 {r.follow_ups_open}")
    return lines


def _annual_lines(a: AnnualStatus) -> list[str]:
    """An annual plan is not drawn: its status is the year's targets over the joint plans of the year."""
    label = lambda text: "  " + _cell(text, 26)  # noqa: E731
    covers = "、".join(a.covers) if a.covers else "无（尚无该年度的联合抽查计划）"
    lines = ["", f"年度方案 {a.plan}：{a.title}", f"  {a.year or '年度不明'} 年的联合抽查计划：{covers}；"
                                                f"抽查记录 {a.inspections} 份", ""]
    lines += [
        label("名录库抽查覆盖率") + f"{a.inspected} / {a.roster} = {_fmt(a.coverage)}（目标 ≥ {TARGET_ROSTER_SHARE:g}%，"
        f"{_mark((a.coverage or 0) >= TARGET_ROSTER_SHARE)}）",
        label("运用信用风险分类抽查占比") + f"{_fmt(a.credit_share)}（目标 ≥ {TARGET_CREDIT_SHARE:g}%，"
        f"{verdict(a.credit_share, lambda v: v >= TARGET_CREDIT_SHARE)}）",
        label("结果按时录入率") + f"{_fmt(a.entry_rate)}（目标 100%，{verdict(a.entry_rate, lambda v: a.entered_late == 0)}）",
        label("结果按时公示率") + f"{_fmt(a.disclosure_rate)}（目标 100%，{verdict(a.disclosure_rate, lambda v: a.disclosed_late == 0)}）",
        label("后续处置") + f"共 {a.follow_ups_total} 项，未完结 {a.follow_ups_open}"
        f"（目标全部完结，{_mark(a.follow_ups_open == 0)}）",
    ]
    return lines + _department_lines(a.departments)


def verdict(value: float | None, met) -> str:
    """达标 or 未达标 for a rate, or 尚无数据 while there is nothing to count (the 08 sheet says the same).
    An on-time rate is met by counts (nothing late), not by its rounded percentage: 1,999 of 2,000 is 100.0%."""
    return "尚无数据" if value is None else _mark(met(value))
