"""How often an entity is inspected in a calendar year, across plans.

One rule serves the draw (entities at a plan's yearly cap are left out), validation (a repeat
inspection is warned about) and the notice (which inspection of the year this is). An
inspection belongs to the year its plan starts in, and counts for a plan only when its own plan
starts earlier (same day: smaller plan id). Both are fixed once the plans are written, so a
draw stays reproducible when later plans' inspections are added, and filling in a visit date
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from docgen.records.index import Index, parse_date


def plan_start(plan: dict):
    return parse_date((plan.get("period") or {}).get("start")) if isinstance(plan.get("period"), dict) else None


def order_key(plan: dict) -> tuple:
    """Plans in the order their inspections are counted: by start date, then by id."""
    start = plan_start(plan)
    return (start.isoformat() if start else "9999-99-99", str(plan.get("id")))


def earlier_inspections(index: Index, plan: dict) -> dict[str, list[str]]:
    """entity id -> the ids of the other plans (same year, starting earlier) that inspect it."""
    start = plan_start(plan)
    if start is None:
        return {}
    mine = order_key(plan)
    found: dict[str, list[str]] = defaultdict(list)
    for plan_id, records in sorted(index.by_plan.items()):
        other = index.plans.get(plan_id)
        if other is None or plan_id == plan.get("id"):
            continue
        other_start = plan_start(other.data)
        if other_start is None or other_start.year != start.year or order_key(other.data) >= mine:
            continue
        for record in records:
            entity = record.data.get("entity")
            if isinstance(entity, str) and plan_id not in found[entity]:
                found[entity].append(plan_id)
    return dict(found)


def repeats(index: Index) -> list[tuple]:
    """(record, year, earlier plan ids) for each inspection of an entity already inspected in an
    earlier plan of the same year, in one pass over the inspections."""
    by_entity_year: dict[tuple, list] = defaultdict(list)
    for record in index.inspections:
        plan_rec = index.plans.get(record.data.get("plan"))
        start = plan_start(plan_rec.data) if plan_rec else None
        if start is None or not isinstance(record.data.get("entity"), str):
            continue
        by_entity_year[(record.data["entity"], start.year)].append((order_key(plan_rec.data), record))
    found = []
    for (_entity, year), entries in by_entity_year.items():
        if len({key for key, _ in entries}) < 2:
            continue
        entries.sort(key=lambda e: e[0])
        for n, (key, record) in enumerate(entries):
            earlier = [r.data.get("plan") for k, r in entries[:n] if k < key]
            if earlier:
                found.append((record, year, earlier))
    return found
