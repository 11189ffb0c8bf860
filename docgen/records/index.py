"""Look-ups across records: which plan, entity, department and inspector an id names."""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from dataclasses import dataclass, field

from docgen.records.archive import Record

DATE_STEPS = ("phone_notice", "notice_served", "visit")  # the joint steps; each department's own in results.py
STEP_TITLES = {"phone_notice": "电话告知日期", "notice_served": "告知书送达日期", "visit": "检查日期"}
DEFAULT_STATUSES = ("存续",)


def parse_date(value) -> dt.date | None:
    """A YYYY-MM-DD string as a date, or None when absent or malformed (the schema reports those)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass
class Index:
    """Every record by kind and id; built once per run from the loaded records."""

    plans: dict[str, Record] = field(default_factory=dict)
    departments: dict[str, Record] = field(default_factory=dict)
    item_lists: dict[str, Record] = field(default_factory=dict)  # department id -> its 抽查事项清单
    entities: dict[str, Record] = field(default_factory=dict)
    draws: dict[str, Record] = field(default_factory=dict)
    calendars: dict[int, Record] = field(default_factory=dict)
    inspections: list[Record] = field(default_factory=list)
    inspectors: dict[str, tuple[Record, int]] = field(default_factory=dict)  # id -> (department, position)
    by_plan: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    broken: set[tuple[str, str]] = field(default_factory=set)  # (kind, id) of records with schema errors
    # paths of records with errors that make a plan's tables incomplete ("*": every plan)
    broken_by_plan: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _deadlines: tuple | None = None  # memo of deadlines.all_deadlines
    views: dict = field(default_factory=dict)  # memo of read-only model views (see docgen.records.model)

    def exists(self, kind: str, rid) -> bool:
        """True when a record of that kind and id exists, even one whose own fields are wrong."""
        table = {"plan": self.plans, "department": self.departments, "entity": self.entities,
                 "items": self.item_lists}[kind]
        return rid in table or (kind, rid) in self.broken

    @classmethod
    def build(cls, records: list[Record]) -> "Index":
        index = cls()
        tables = {"plan": index.plans, "department": index.departments, "items": index.item_lists,
                  "entity": index.entities, "draw": index.draws}
        entities = index.entities
        for record in records:
            data = record.doc.data
            if record.kind == "entity":  # most records: at once
                rid = data.get("id")
                if isinstance(rid, str):
                    entities.setdefault(rid, record)
                continue
            if record.kind == "inspection":
                index.inspections.append(record)
                if isinstance(data.get("plan"), str):
                    index.by_plan[data["plan"]].append(record)
                continue
            if record.kind == "calendar":
                if isinstance(data.get("year"), int):
                    index.calendars.setdefault(data["year"], record)
                continue
            table = tables[record.kind]
            if isinstance(data.get("id"), str):
                table.setdefault(data["id"], record)
            if record.kind == "department":
                for i, person in enumerate(data.get("inspectors") or []):
                    if isinstance(person, dict) and isinstance(person.get("id"), str):
                        index.inspectors.setdefault(person["id"], (record, i))
        return index

    def roster_digest(self) -> str:
        """One SHA-256 of every entity file's, in the index's order (the files' sorted paths): what the
        statistics read of the whole roster. Worked out once per check, however many plans ask
        (100,000 entities at a county's scale); a check from a kept roster takes the one its full
        check worked out (`kept_roster`)."""
        digest = self.views.get("roster digest")
        if digest is None:
            import hashlib

            shas = [e.sha for e in self.entities.values()]
            digest = self.views["roster digest"] = hashlib.sha256("\n".join(shas).encode("ascii")).hexdigest()
        return digest

    def vehicle(self, plate: str) -> dict | None:
        """A vehicle some department lists, by its plate (the first department's, if two list it)."""
        found = self.views.get("vehicles")
        if found is None:
            found = self.views["vehicles"] = {}
            for dep in self.departments.values():
                for v in dep.data.get("vehicles") or []:
                    if isinstance(v, dict):
                        found.setdefault(v.get("plate"), v)
        return found.get(plate)

    def inspector(self, inspector_id: str) -> dict | None:
        found = self.inspectors.get(inspector_id)
        return found[0].data["inspectors"][found[1]] if found else None

    def list_item(self, department_id: str, item_id) -> dict | None:
        """An item of a department's 抽查事项清单, by id (None when the list or the item is missing)."""
        found = self.item_lists.get(department_id)
        if found is None:
            return None
        return next((i for i in found.data.get("items") or [] if isinstance(i, dict) and i.get("id") == item_id), None)

    def required_qualifications(self, plan: dict, department_id: str) -> list[str]:
        """What an inspector of the department must hold for this plan: the plan's own
        `qualification` and that of every item the plan chose from the department's list."""
        needed: list[str] = []
        for entry in plan.get("departments") or []:
            if not isinstance(entry, dict) or entry.get("department") != department_id:
                continue
            wanted = [entry.get("qualification")] + [(self.list_item(department_id, i) or {}).get("qualification")
                                                     for i in entry.get("items") or []]
            needed += [q for q in dict.fromkeys(wanted) if isinstance(q, str) and q and q not in needed]
        return sorted(needed)

    def plan_department_ids(self, plan: dict) -> list[str]:
        return [d.get("department") for d in plan.get("departments") or [] if isinstance(d, dict)]

    def in_scope(self, plan: dict, entity: dict, check_status: bool = True) -> bool:
        scope = plan.get("scope") or {}
        types = scope.get("entity_types")
        if types and entity.get("type") not in types:
            return False
        if check_status and entity.get("status") not in (scope.get("statuses") or DEFAULT_STATUSES):
            return False
        return True


def record_stem(record: Record) -> str:
    return os.path.splitext(os.path.basename(record.abspath))[0]


def plan_folder(record: Record) -> str | None:
    """The name of the plan folder holding an inspection record (inspections/<plan>/<entity>.yaml), or
    None when its file is not directly in one (a subfolder set aside, another kind's folder)."""
    folder = os.path.dirname(record.abspath)
    return os.path.basename(folder) if os.path.basename(os.path.dirname(folder)) == "inspections" else None
