"""China's working days: the official calendar (chinesecalendar) plus the office's own overrides.

An override file `records/calendar/<year>.yaml` lists holidays and adjusted working days
(调休) for local changes, or — with `complete: true` — a whole year the package does not
know yet. A date in a year nobody has data for is an error naming that year; docgen never
guesses from weekdays alone.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import chinese_calendar


class NoCalendar(Exception):
    """No working-day data for `year`."""

    def __init__(self, year: int):
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return (f"没有 {self.year} 年的工作日历（chinesecalendar 尚无该年数据）：请按国务院办公厅的放假通知，"
                f"在 records/calendar/{self.year}.yaml 中填写该年的放假日期和调休上班日，并写上 complete: true")


@dataclass(frozen=True)
class YearOverride:
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    complete: bool = False


@functools.lru_cache(maxsize=8192)
def _official_workday(day: dt.date) -> bool | None:
    """chinesecalendar's answer, remembered (it validates its input on every call); None: no data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@dataclass
class Calendar:
    overrides: dict[int, YearOverride] = field(default_factory=dict)

    @classmethod
    def from_records(cls, calendar_records) -> "Calendar":
        overrides = {}
        for record in calendar_records:
            data = record.data
            days = lambda key: frozenset(dt.date.fromisoformat(d) for d in data.get(key) or [])  # noqa: E731
            overrides[data["year"]] = YearOverride(days("holidays"), days("workdays"), bool(data.get("complete")))
        return cls(overrides)

    def is_workday(self, day: dt.date) -> bool:
        override = self.overrides.get(day.year)
        if override:
            if day in override.holidays:
                return False
            if day in override.workdays:
                return True
            if override.complete:
                return day.weekday() < 5
        answer = _official_workday(day)
        if answer is None:
            raise NoCalendar(day.year)
        return answer

    def add_workdays(self, start: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `start` (start itself not counted)."""
        key = (start, count)
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = self._add(start, count)
        return memo[key]

    def _add(self, start: dt.date, count: int) -> dt.date:
        day = start
        while count > 0:
            if day == dt.date.max:  # a date typed as 9999-12-31: no deadline after it
                return day
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count
