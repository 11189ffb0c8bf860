"""Deadlines in working days, from the plan (defaults from the seeds and national practice).

A step done after its deadline is an error; a step still open past its deadline is a
warning (it does not fail validation, but `docgen status` exits 1 on it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from docgen.index import Index, parse_date
from docgen.problems import ERROR, WARNING, Problem
from docgen.workdays import Calendar, NoCalendar

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
    completed = parse_date(dates.get("completed"))
    visit = parse_date(dates.get("visit"))
    if visit:
        for key, step in (("phone_notice", "电话告知"), ("notice_served", "送达告知书")):
            found.append(Deadline(record.path, ("dates", key) if dates.get(key) else ("dates", "visit"), record,
                                  step, subject, visit, parse_date(dates.get(key))))
    if completed:
        for key, step, days in (("entered", "录入抽查结果", entry_days), ("disclosed", "公示抽查结果", disclosure_days)):
            try:
                due = calendar.add_workdays(completed, days)
            except NoCalendar as exc:
                problems.append(record.problem(("dates", "completed"), f"无法计算「{step}」期限：{exc}"))
                continue
            done = parse_date(dates.get(key))
            found.append(Deadline(record.path, ("dates", key) if done else ("dates", "completed"), record,
                                  step, subject, due, done))
    for i, action in enumerate(data.get("follow_ups") or []):
        due = parse_date(action.get("deadline"))
        if due:
            done = parse_date(action.get("closed"))
            found.append(Deadline(record.path, ("follow_ups", i, "closed" if done else "deadline"), record,
                                  f"后续处置“{action.get('issue', '')}”", subject, due, done))
    return found, problems


def all_deadlines(index: Index, calendar: Calendar | None = None) -> tuple[list[Deadline], list[Problem]]:
    """Every deadline of the archive (computed once per index: validation and status share it)."""
    if calendar is None and getattr(index, "_deadlines", None) is not None:
        return index._deadlines
    calendar = calendar or Calendar.from_records(index.calendars.values())
    names = {k: r.data.get("name", k) for k, r in index.entities.items()}
    deadlines, problems = [], []
    for record in index.inspections:
        plan = index.plans.get(record.data.get("plan"))
        if plan is None:
            continue
        found, trouble = inspection_deadlines(record, plan.data, calendar, names)
        deadlines.extend(found)
        problems.extend(trouble)
    index._deadlines = (deadlines, problems)
    return deadlines, problems


def check_deadlines(index: Index, today: dt.date | None = None) -> list[Problem]:
    """Late steps are errors; open steps past their deadline are warnings."""
    today = today or dt.date.today()
    deadlines, problems = all_deadlines(index)
    for d in deadlines:
        if d.late:
            problems.append(d.record.problem(d.keys, f"「{d.step}」逾期：应在 {d.due} 前完成，实际 {d.done} 才完成", ERROR))
        elif d.overdue(today):
            problems.append(d.record.problem(d.keys, f"「{d.step}」已逾期：应在 {d.due} 前完成，尚未完成", WARNING))
    return problems
