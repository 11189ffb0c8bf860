"""Where an office stands against its targets (seed 001) and its deadlines (seed 000).

Pure: figures are computed from the checked records and an as-of date, never the clock,
so a report (and the statistics workbook built from it) is reproducible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from docgen.check import Checked
from docgen.deadlines import SOON_DAYS, Deadline, all_deadlines
from docgen.draw import CLASSES, DEFAULT_FLOOR, class_quota
from docgen.index import parse_date
from docgen.model import display_width
from docgen.workdays import Calendar, NoCalendar

TARGET_CREDIT_SHARE = 85.0
TARGET_ROSTER_SHARE = 3.0
TARGET_ON_TIME = 100.0


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

    def to_json(self) -> dict:
        return asdict(self)


def _rates(deadlines: list[Deadline], today: dt.date) -> tuple[int, int, int, float | None]:
    on_time = sum(1 for d in deadlines if d.done and not d.late)
    late = sum(1 for d in deadlines if d.late or d.overdue(today))
    pending = sum(1 for d in deadlines if d.done is None and not d.overdue(today))
    return on_time, late, pending, percent(on_time, on_time + late)


def plan_status(checked: Checked, plan_id: str, today: dt.date, deadlines: list[Deadline],
                calendar: Calendar) -> PlanStatus:
    index = checked.index
    plan = index.plans[plan_id].data
    records = index.by_plan.get(plan_id, [])
    floor = plan.get("ratio_floor", DEFAULT_FLOOR)
    scope_entities = [e.data for e in index.entities.values() if index.in_scope(plan, e.data)]
    inspected_classes = [index.entities[r.data["entity"]].data.get("credit_class")
                         for r in records if r.data.get("entity") in index.entities]
    classes = []
    for c in CLASSES:
        population = sum(1 for e in scope_entities if e.get("credit_class") == c)
        required = class_quota(population, (plan.get("ratios") or {}).get(c), floor)
        drawn = inspected_classes.count(c)
        classes.append(ClassRow(c, population, required, drawn, percent(drawn, population), drawn >= required))
    driven = sum(1 for r in records if r.data.get("credit_driven", plan.get("credit_driven", True)))
    mine = [d for d in deadlines if d.record.data.get("plan") == plan_id]
    entry = _rates([d for d in mine if d.step == "录入抽查结果"], today)
    disclosure = _rates([d for d in mine if d.step == "公示抽查结果"], today)
    actions = [a for r in records for a in r.data.get("follow_ups") or []]
    closed = sum(1 for a in actions if a.get("status") == "已完结")
    overdue_actions = sum(1 for a in actions if a.get("status") != "已完结" and parse_date(a.get("deadline"))
                          and parse_date(a.get("deadline")) < today)
    items = []
    for d in mine:
        if d.overdue(today):
            items.append(Item(d.path, d.subject, d.step, d.due.isoformat(), "逾期"))
        elif d.done is None:
            try:
                if calendar.workdays_between(today, d.due) <= SOON_DAYS:
                    items.append(Item(d.path, d.subject, d.step, d.due.isoformat(), "即将到期"))
            except NoCalendar:
                pass
    items.sort(key=lambda i: (i.state != "逾期", i.due, i.path, i.step))
    return PlanStatus(
        plan=plan_id, title="".join(str(plan.get("title", "")).split("\n")), inspections=len(records), classes=classes,
        credit_driven=driven, credit_share=percent(driven, len(records)),
        entered_on_time=entry[0], entered_late=entry[1], entered_pending=entry[2], entry_rate=entry[3],
        disclosed_on_time=disclosure[0], disclosed_late=disclosure[1], disclosed_pending=disclosure[2],
        disclosure_rate=disclosure[3], follow_ups_total=len(actions), follow_ups_open=len(actions) - closed,
        follow_ups_overdue=overdue_actions, follow_ups_closed=closed, closure_rate=percent(closed, len(actions)),
        items=items)


def year_status(checked: Checked, year: int) -> YearStatus:
    index = checked.index
    roster = sum(1 for e in index.entities.values() if e.data.get("status") == "存续")
    inspected = {r.data.get("entity") for r in index.inspections
                 if (parse_date((r.data.get("dates") or {}).get("visit")) or dt.date.min).year == year}
    share = percent(len(inspected), roster)
    return YearStatus(year, roster, len(inspected), share, share is not None and share >= TARGET_ROSTER_SHARE)


def compute(checked: Checked, today: dt.date, plan_ids: list[str] | None = None) -> Status:
    index = checked.index
    calendar = Calendar.from_records(index.calendars.values())
    deadlines, problems = all_deadlines(index)
    wanted = plan_ids or sorted(p for p, r in index.plans.items() if r.data.get("type") == "联合抽查")
    plans = [plan_status(checked, p, today, deadlines, calendar) for p in wanted]
    overdue = sum(1 for p in plans for i in p.items if i.state == "逾期")
    return Status(today.isoformat(), plans, year_status(checked, today.year), overdue,
                  [str(p) for p in problems])


def _cell(text, width: int, right: bool = False) -> str:
    """Pad for a terminal, where a Chinese character takes two columns."""
    text = str(text)
    gap = " " * max(0, width - display_width(text))
    return gap + text if right else text + gap


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _mark(ok: bool) -> str:
    return "达标" if ok else "未达标"


def render_text(status: Status) -> str:
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
            f"{_mark((p.credit_share or 0) >= TARGET_CREDIT_SHARE)}）",
            label("结果按时录入率") + f"{_fmt(p.entry_rate)}（按时 {p.entered_on_time}，逾期 {p.entered_late}，"
            f"未到期 {p.entered_pending}；目标 100%）",
            label("结果按时公示率") + f"{_fmt(p.disclosure_rate)}（按时 {p.disclosed_on_time}，逾期 {p.disclosed_late}，"
            f"未到期 {p.disclosed_pending}；目标 100%）",
            label("后续处置") + f"共 {p.follow_ups_total} 项：已完结 {p.follow_ups_closed}，未完结 {p.follow_ups_open}"
            f"（其中逾期 {p.follow_ups_overdue}），完结率 {_fmt(p.closure_rate)}",
        ]
        if p.items:
            lines += ["", "  逾期和 3 个工作日内到期的事项："]
            for i in p.items:
                lines.append(f"    [{i.state}] {i.due}  {i.subject}：{i.step}  ({i.path})")
    y = status.year
    lines += ["", f"{y.year} 年名录库抽查覆盖率：{y.inspected} / {y.roster} = {_fmt(y.share)}"
              f"（目标 ≥ {TARGET_ROSTER_SHARE:g}%，{_mark(y.met)}）"]
    for problem in status.problems:
        lines.append(f"注意：{problem}")
    lines.append("")
    lines.append(f"有 {status.overdue} 项逾期。" if status.overdue else "没有逾期事项。")
    return "\n".join(lines)
