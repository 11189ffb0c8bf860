"""Deadlines in working days, from the plan (defaults from the seeds and national practice).

A step done after its deadline is an error of its own kind (`problems.LATE`: it holds back no
documents; a visit after the plan's period: a warning); a step still open past its deadline is a
warning (it does not fail validation, but `docgen status` exits 1 on it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from docgen.records import results
from docgen.records.index import STEP_TITLES, Index, parse_date
from docgen.records.problems import ERROR, LATE, WARNING, Problem
from docgen.workdays import Calendar, NoCalendar

DEFAULT_CONFIRMATION_DAYS = 2  # seed 000 五(三)2: cooperating departments confirm the drawn list in 2 working days
DEFAULT_ENTRY_DAYS = 3        # seed 000: results entered within 3 working days
DEFAULT_DISCLOSURE_DAYS = 20  # national practice: results disclosed within 20 working days
SOON_DAYS = 3                 # "due soon": within 3 working days


@dataclass(frozen=True)
class Deadline:
    """One step of one record with its due date and whether (and when) it was done."""

    path: str
    keys: tuple
    record: object
    step: str            # what has to be done, in Chinese
    subject: str         # which entity
    due: dt.date
    done: dt.date | None
    department: str = ""  # whose step it is, for a department's own result
    late_severity: str = LATE  # what a step done after its deadline gives (a fact: the documents are made)
    since: dt.date | None = None  # what starts the step (a completion, the draw, the visit): none before it

    @property
    def late(self) -> bool:
        return self.done is not None and self.done > self.due

    def overdue(self, today: dt.date) -> bool:
        return self.done is None and today > self.due


def plan_days(plan: dict) -> tuple[int, int]:
    deadlines = plan.get("deadlines") or {}
    return (deadlines.get("results_entry", DEFAULT_ENTRY_DAYS), deadlines.get("disclosure", DEFAULT_DISCLOSURE_DAYS))


def inspection_deadlines(record, plan: dict, calendar: Calendar, names: dict) -> tuple[list[Deadline], list[Problem]]:
    """The deadlines of one inspection; a missing calendar year becomes a Problem on that record."""
    data = record.data
    dates = data.get("dates") or {}
    subject = names.get(data.get("entity"), data.get("entity"))
    found, problems = [], []
    entry_days, disclosure_days = plan_days(plan)
    visit = parse_date(dates.get("visit"))
    end = parse_date((plan.get("period") or {}).get("end"))
    if end and plan.get("type") == "联合抽查":  # (the schema requires the type)
        # the plan's 时间安排: every drawn entity inspected by its period's end — visited, or its
        # inspection completed without a visit (an entity found 已注销 or 无法联系); done after it is
        # a warning, not an error that would hold the inspection's documents back
        completed = [d for d in (parse_date(p.get("completed")) for _, p in results.parts(data)) if d]
        done = visit or (min(completed) if completed else None)
        found.append(Deadline(record.path, ("dates", "visit"), record,
                              "实地检查", subject, end, done, late_severity=WARNING))
    parts = dict(results.parts(data))
    if visit:
        unreachable = results.nobody_to_notify(parts)
        for key, step in (("phone_notice", "电话告知"), ("notice_served", "送达告知书")):
            if unreachable and not dates.get(key):  # the entity could not be found: nothing to call or serve
                continue
            done = parse_date(dates.get(key))
            if done is not None and done > visit:  # after the visit: the dates' order is the error said (rules)
                continue
            found.append(Deadline(record.path, ("dates", key) if dates.get(key) else ("dates", "visit"), record,
                                  step, subject, visit, parse_date(dates.get(key))))
    team = [d for d in (data.get("inspectors") if isinstance(data.get("inspectors"), dict) else {})
            if isinstance(d, str)] if not results.is_old_shape(data) else []  # (the old shape: migrate first)
    # every department of the team owes its own result: one that wrote none yet (no part, or no
    # completion date) has its time running from the visit, the day the joint inspection was done
    # (seed: 自完成联合抽查工作后3个工作日内录入), so that nothing is met by leaving it out
    taking_part = {d.get("department") for d in plan.get("departments") or [] if isinstance(d, dict)}
    for dep_id in dict.fromkeys([*parts, *team]):
        if taking_part and dep_id not in taking_part:  # a department the plan does not name: its error says so
            continue
        part = parts.get(dep_id) or {}
        completed = parse_date(part.get("completed"))
        since = completed or visit
        if not since:
            continue
        where = ("departments", dep_id) if dep_id in parts else ("inspectors", dep_id)
        for key, step, days in (("entered", "录入抽查结果", entry_days), ("disclosed", "公示抽查结果", disclosure_days)):
            try:
                due = calendar.add_workdays(since, days)
            except NoCalendar as exc:  # not completed yet: the 告知书 of a visit planned for December is not held back
                problems.append(record.problem(where + (("completed",) if completed else ()), f"无法计算「{step}」期限：{exc}",
                                               ERROR if completed else WARNING))
                continue
            done = parse_date(part.get(key))
            if key == "disclosed" and not results.is_approved(part):
                done = None  # published without its approval: not in 07, nor counted as 公示 (validate says why)
            field = (key,) if done else ("completed",) if completed else ()
            found.append(Deadline(record.path, where + field, record, step, subject, due, done, dep_id, since=since))
    for i, action in enumerate(data.get("follow_ups") or []):
        due = parse_date(action.get("deadline"))
        if due:
            done = parse_date(action.get("closed"))
            found.append(Deadline(record.path, ("follow_ups", i, "closed" if done else "deadline"), record,
                                  f"后续处置“{action.get('issue', '')}”", subject, due, done, since=visit))
    return found, problems


def confirmation_deadlines(plan_rec, index: Index, calendar: Calendar) -> tuple[list[Deadline], list[Problem]]:
    """Each cooperating department confirms the drawn list within `deadlines.confirmation` working
    days of the draw (the plan's draw_date)."""
    data = plan_rec.data
    drawn = parse_date(data.get("draw_date"))
    if drawn is None or data.get("type") != "联合抽查":
        return [], []
    days = (data.get("deadlines") or {}).get("confirmation", DEFAULT_CONFIRMATION_DAYS)
    try:
        due = calendar.add_workdays(drawn, days)
    except NoCalendar as exc:
        return [], [plan_rec.problem(("draw_date",), f"无法计算「确认被检查对象名单」期限：{exc}")]
    confirmed = data.get("confirmations") if isinstance(data.get("confirmations"), dict) else {}
    found = []
    for dep_id in cooperating(data, index):
        name = index.departments[dep_id].data.get("name", dep_id) if dep_id in index.departments else dep_id
        done = parse_date(confirmed.get(dep_id))
        found.append(Deadline(plan_rec.path, ("confirmations", dep_id) if done else ("draw_date",), plan_rec,
                              f"{name}确认被检查对象名单", str(data.get("id", "")), due, done, dep_id, since=drawn))
    return found, []


def cooperating(plan: dict, index: Index) -> list[str]:
    """The participating departments other than the lead: they confirm the drawn list."""
    lead = plan.get("lead_department")
    return [d for d in index.plan_department_ids(plan) if isinstance(d, str) and d != lead]


class _Names:
    """An entity's name by id, looked up when asked (`inspection_deadlines` asks for a few)."""

    def __init__(self, entities: dict):
        self.entities = entities

    def get(self, entity_id, default=None):
        record = self.entities.get(entity_id) if isinstance(entity_id, str) else None
        return record.data.get("name", entity_id) if record is not None else default


def all_deadlines(index: Index) -> tuple[list[Deadline], list[Problem]]:
    """Every deadline of the archive (computed once per index: the status and the statistics share it)."""
    if index._deadlines is not None:
        return index._deadlines
    calendar = Calendar.from_records(index.calendars.values())
    names = _Names(index.entities)  # of the inspected entities only, not of a county's whole roster
    deadlines, problems = [], []
    for record in index.inspections:
        plan = index.plans.get(record.data.get("plan"))
        if plan is None:
            continue
        found, trouble = inspection_deadlines(record, plan.data, calendar, names)
        deadlines.extend(found)
        problems.extend(trouble)
    for plan in index.plans.values():
        found, trouble = confirmation_deadlines(plan, index, calendar)
        deadlines.extend(found)
        problems.extend(trouble)
    index._deadlines = (deadlines, problems)
    return deadlines, problems


def check_deadlines(index: Index, today: dt.date | None = None) -> list[Problem]:
    """Late steps are errors; open steps past their deadline are warnings.

    What an inspection's deadlines give is remembered with its cache entry
    (`rules.remembered_value`), for the same plan, calendar and departments (`_memo_context`): the
    problems that hold whatever the day (a late step, a year without a calendar), and each open
    step's due date and the warning it gives once past it; only those are compared with `today`
    in each run. After an edit, 3,000 unchanged inspections' 18,000 deadlines are not worked out
    again, on this day or the next."""
    from docgen.records.rules import problem_rows, remembered_value

    today = today or dt.date.today()
    day = today.isoformat()  # ISO dates compare as text
    calendar = Calendar.from_records(index.calendars.values())
    names = _Names(index.entities)
    context = _memo_context(index)
    problems = []
    for record in index.inspections:
        plan = index.plans.get(record.data.get("plan"))
        if plan is None:
            continue

        def find(record=record, plan=plan) -> list:
            found, trouble = inspection_deadlines(record, plan.data, calendar, names)
            steps = _judged(index, found)
            late = [d.record.problem(d.keys, message, d.late_severity) for d, message in steps if d.done is not None]
            # an open step's position is looked up only once it is overdue (when it is reported)
            return [problem_rows(trouble + late), [[d.due.isoformat(), list(d.keys), message]
                                                   for d, message in steps if d.done is None]]

        if context is None or not plan.sha:
            always, open_steps = find()
        else:
            always, open_steps = remembered_value(record, "deadlines", f"{plan.sha}\0{context}", find, _is_memo)
        problems += [Problem(record.path, *row) for row in always]
        problems += [record.problem(tuple(keys), message, WARNING) for due, keys, message in open_steps if day > due]
    for plan in index.plans.values():
        found, trouble = confirmation_deadlines(plan, index, calendar)
        problems.extend(trouble + judged(index, found, today))
    return problems


def _is_memo(value) -> bool:
    """The shape `check_deadlines` remembers: [problem rows, [[due date, keys, message], ...]]."""
    from docgen.records.rules import is_problem_rows

    return isinstance(value, list) and len(value) == 2 and is_problem_rows(value[0]) and isinstance(value[1], list) \
        and all(isinstance(step, list) and len(step) == 3 and isinstance(step[0], str) and isinstance(step[2], str)
                and isinstance(step[1], list) and all(type(k) in (str, int) for k in step[1]) for step in value[1])


def judged(index: Index, deadlines: list[Deadline], today: dt.date) -> list[Problem]:
    """The problems of `deadlines` on `today`: a late step, or an open one past its deadline."""
    return [d.record.problem(d.keys, message, d.late_severity if d.done is not None else WARNING)
            for d, message in _judged(index, deadlines) if d.done is not None or d.overdue(today)]


def _judged(index: Index, deadlines: list[Deadline]) -> list[tuple[Deadline, str]]:
    """Each step done late with its error's text, and each open step with the text of the warning
    it gives once past its deadline (steps done in time give nothing)."""
    found = []
    for d in deadlines:
        if d.done is not None and not d.late:
            continue
        whose = ""
        if d.department and d.keys[0] in ("departments", "inspectors"):  # a department's own result (or none yet)
            dep = index.departments.get(d.department)
            whose = f"（{dep.data.get('name', d.department) if dep else d.department}）"
        if d.late:
            found.append((d, f"「{d.step}」逾期{whose}：应在 {d.due} 前完成，实际 {d.done} 才完成"))
        else:
            found.append((d, f"「{d.step}」已逾期{whose}：应在 {d.due} 前完成，尚未完成"))
    return found


def _memo_context(index: Index) -> str | None:
    """What an inspection's deadlines read besides its file and its plan: the calendar records and
    chinesecalendar's data (its version), and the departments' names. None when a record read has
    no digest of its bytes (nothing is then remembered)."""
    import hashlib

    import chinese_calendar

    inputs = sorted((r.path, r.sha) for r in (*index.calendars.values(), *index.departments.values()))
    if not all(sha for _path, sha in inputs):
        return None
    text = repr((inputs, getattr(chinese_calendar, "__version__", None)))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


# -- dates of what has happened, against the clock ---------------------------------------------------
# A visit, an agreed visit and a follow-up's deadline may lie ahead (the 告知书 names the day before it
# comes); these record what was done, so a day after today is a slip of the keyboard (2032 for 2023).
def fact_dates(data: dict) -> Iterator[tuple[tuple, str, dt.date]]:
    """(keys, title, date) of every date an inspection gives for something already done."""
    dates = data.get("dates") if isinstance(data.get("dates"), dict) else {}
    for step in ("phone_notice", "notice_served"):  # (the visit may be the day planned)
        when = parse_date(dates.get(step))
        if when:
            yield ("dates", step), STEP_TITLES[step], when
    call = data.get("phone_notice") if isinstance(data.get("phone_notice"), dict) else {}
    if isinstance(call.get("time"), str):
        when = parse_date(call["time"].strip().partition(" ")[0])
        if when:
            yield ("phone_notice", "time"), "告知时间", when
    signature = data.get("signature") if isinstance(data.get("signature"), dict) else {}
    if parse_date(signature.get("date")):
        yield ("signature", "date"), "签字日期", parse_date(signature.get("date"))
    for dep_id, part in results.parts(data):
        approval = part.get("approval") if isinstance(part.get("approval"), dict) else {}
        for keys, title in results.PART_DATES:
            when = parse_date(approval.get("date") if keys[0] == "approval" else part.get(keys[0]))
            if when:
                yield ("departments", dep_id) + keys, title, when
        for j, signed in enumerate(part.get("signatures") or []):
            when = parse_date(signed.get("date")) if isinstance(signed, dict) else None
            if when:
                yield ("departments", dep_id, "signatures", j, "date"), "签名日期", when
    for i, action in enumerate(data.get("follow_ups") or []):
        when = parse_date(action.get("closed")) if isinstance(action, dict) else None
        if when:
            yield ("follow_ups", i, "closed"), "完结日期", when


def latest_fact(record) -> str:
    """The latest of an inspection's `fact_dates` (ISO text; "0001-01-01" when none), remembered with its
    cache entry (the future-date rule and 08's default date both ask, for 3,000 inspections)."""
    def latest() -> str:
        return max((when for _keys, _title, when in fact_dates(record.data)), default=dt.date.min).isoformat()

    return record.doc.remembered("latest fact date", latest, lambda v: isinstance(v, str))


def check_future(index: Index, today: dt.date) -> list[Problem]:
    """Dates of things done that lie after `today` (the machine's date, not an --as-of: a record
    looked at as of an earlier day may well hold later dates). Each inspection's latest such date
    is remembered with its cache entry: after an edit, the others are one comparison each."""
    day = today.isoformat()
    problems = []
    for record in index.inspections:
        if latest_fact(record) <= day:
            continue
        problems += [record.problem(keys, _future(title, when, today))
                     for keys, title, when in fact_dates(record.data) if when > today]
    for plan in index.plans.values():
        confirmed = plan.data.get("confirmations") if isinstance(plan.data.get("confirmations"), dict) else {}
        problems += [plan.problem(("confirmations", dep), _future("确认日期", when, today))
                     for dep, value in confirmed.items() if (when := parse_date(value)) and when > today]
    return problems


def _future(title: str, when: dt.date, today: dt.date) -> str:
    return (f"「{title}」{when} 晚于今天（{today}）：这是已经办完的事的日期，不会在今天之后，"
            "请检查年份和日期是否写错")
