"""The double random draw (双随机): which entities are inspected, and by whom.

A pure function of (seed text, draw-relevant content of the plan and rosters, algorithm
version), specified in docs/draw-algorithm.md so that anyone can recompute it. Randomness
comes from SHA-256 only; Python's `random` module is not used.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

ALGORITHM = "docgen-draw-1"
CLASSES = ("A", "B", "C", "D")
DEFAULT_FLOOR = 3
DEFAULT_PER_DEPARTMENT = 2
DEFAULT_STATUSES = ["存续"]


class DrawImpossible(Exception):
    """The draw cannot be made with these rosters; the message says why, in Chinese."""


def canonical(value) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (the bytes that are hashed)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- inputs: only what the draw depends on ---------------------------------------------------
def plan_input(plan: dict) -> dict:
    scope = plan.get("scope") or {}
    projected = {
        "id": plan["id"],
        "ratios": {c: (plan.get("ratios") or {}).get(c) for c in CLASSES},
        "ratio_floor": plan.get("ratio_floor", DEFAULT_FLOOR),
        "entity_types": scope.get("entity_types") or [],
        "statuses": scope.get("statuses") or DEFAULT_STATUSES,
        "departments": [{"department": d["department"], "qualification": d.get("qualification")}
                        for d in plan.get("departments") or []],
        "lead_department": plan.get("lead_department"),
        "inspectors_per_department": plan.get("inspectors_per_department", DEFAULT_PER_DEPARTMENT),
        "groups": plan.get("groups"),
    }
    if plan.get("yearly_cap") is not None:  # only when set: draws made before caps existed keep their digests
        projected["yearly_cap"] = plan["yearly_cap"]
    return projected


def entity_input(entity: dict) -> dict:
    get = entity.get  # spelled out: asked 100,000 times for a county's roster
    return {"id": get("id"), "credit_code": get("credit_code"), "credit_class": get("credit_class"),
            "type": get("type"), "status": get("status")}


def department_input(department: dict, plan_end: str | None = None, required=()) -> dict:
    """The roster as the draw sees it. An inspector who cannot be drawn for this plan — a 执法证
    ending before the plan's end, or missing a qualification the plan's items require — carries
    `left_out` saying why; nobody else does, so a roster without such people projects (and
    digests) exactly as before these rules."""
    people = []
    for p in sorted(department.get("inspectors") or [], key=lambda p: p["id"]):
        person = {"id": p["id"], "qualifications": sorted(p.get("qualifications") or []),
                  "conflicts": sorted(p.get("conflicts") or []), "active": p.get("active", True)}
        why = {}
        ends = p.get("badge_valid_until")
        if isinstance(ends, str) and plan_end and ends < plan_end:
            why["certificate_ends"] = ends
        lacks = sorted(q for q in required if q not in person["qualifications"])
        if lacks:
            why["lacks"] = lacks
        if why:
            person["left_out"] = why
        people.append(person)
    return {"id": department["id"], "inspectors": people,
            "vehicles": [v["plate"] for v in department.get("vehicles") or []]}


@dataclass(frozen=True)
class Inputs:
    """The projected inputs of a draw, in canonical order."""

    plan: dict
    entities: list[dict]
    departments: dict[str, dict]
    earlier: list[dict] | None = None  # with a yearly cap: the inspections counted against it
    entities_digest: str | None = field(default=None, compare=False)  # the digest of `entities` when known already (`draw.table`)

    @classmethod
    def from_records(cls, plan: dict, entities, departments: dict[str, dict],
                     required: dict[str, list[str]] | None = None,
                     earlier: dict[str, list[str]] | None = None) -> "Inputs":
        """`required`: department -> qualifications the plan's items need; `earlier`: entity -> the
        earlier plans of the year that inspect it (read only when the plan sets a yearly cap).
        `entities` is the entity records' data, or (their projection in canonical order, its digest)
        as a kept roster has them (`draw.table`)."""
        projected = plan_input(plan)
        end = (plan.get("period") or {}).get("end")
        deps = {}
        for d in projected["departments"]:
            if d["department"] not in departments:
                raise DrawImpossible(f"计划中的部门“{d['department']}”在 records/departments 中不存在")
            deps[d["department"]] = department_input(departments[d["department"]], end if isinstance(end, str) else None,
                                                     (required or {}).get(d["department"], ()))
        if isinstance(entities, tuple):
            ents, known = entities
        else:
            ents, known = sorted((entity_input(e) for e in entities),
                                 key=lambda e: (str(e["credit_code"]), str(e["id"]))), None
        counted = None
        if "yearly_cap" in projected:
            counted = sorted(({"entity": e, "plan": p} for e, plans in (earlier or {}).items() for p in plans),
                             key=lambda x: (x["entity"], x["plan"]))
        return cls(projected, ents, deps, counted, known)

    def digests(self) -> dict[str, str]:
        result = {"plan": sha256(canonical(self.plan)),
                  "entities": self.entities_digest or sha256(canonical(self.entities))}
        for dep_id, dep in self.departments.items():
            result[f"departments/{dep_id}"] = sha256(canonical(dep))
        if self.earlier is not None:
            result["inspections"] = sha256(canonical(self.earlier))
        return result


# -- randomness ------------------------------------------------------------------------------
class Stream:
    """Uniform integers from SHA-256(key ‖ label ‖ 0x00 ‖ counter), by rejection sampling."""

    def __init__(self, key: bytes, label: str):
        self.prefix = key + label.encode("utf-8") + b"\x00"
        self.counter = 0
        self.pool: list[int] = []

    def _next64(self) -> int:
        if not self.pool:
            block = hashlib.sha256(self.prefix + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
            self.pool = [int.from_bytes(block[i:i + 8], "big") for i in (24, 16, 8, 0)]
        return self.pool.pop()

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        limit = (1 << 64) - (1 << 64) % n
        while True:
            value = self._next64()
            if value < limit:
                return value % n


def master_key(seed: str, digests: dict[str, str]) -> bytes:
    return hashlib.sha256(canonical({"algorithm": ALGORITHM, "seed": seed, "digests": digests})).digest()


def shuffle_prefix(items: list, k: int, stream: Stream) -> list:
    """Partial Fisher–Yates: the first k items of a uniformly random permutation."""
    items = list(items)
    for i in range(min(k, len(items))):
        j = i + stream.below(len(items) - i)
        items[i], items[j] = items[j], items[i]
    return items[:k]


def class_quota(population: int, ratio, floor) -> int:
    """ceil(population × max(ratio, floor) / 100), at least 1 when the class has entities."""
    if population == 0:
        return 0
    # a ratio that is no finite number (.nan, .inf: validate says so) counts as not given
    ratio = ratio if isinstance(ratio, (int, float)) and math.isfinite(ratio) else None
    floor = floor if isinstance(floor, (int, float)) and math.isfinite(floor) else 0
    rate = max(Decimal(str(ratio if ratio is not None else floor)), Decimal(str(floor)))
    return min(population, max(1, math.ceil(Decimal(population) * rate / 100)))


# -- the draw --------------------------------------------------------------------------------
@dataclass
class Draw:
    seed: str
    digests: dict[str, str]
    population: dict[str, int]
    drawn: dict[str, int]
    entities: list[str]
    groups: list[dict]
    assignments: dict[str, dict] = field(default_factory=dict)  # entity -> {group, leader, inspectors, vehicle}
    substitutions: list[dict] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)      # in scope, left out at the yearly cap
    expired: list[dict] = field(default_factory=list)    # {department, inspector, valid_until}, left out


def make_draw(inputs: Inputs, seed: str, names: dict[str, str] | None = None) -> Draw:
    """Draw entities per credit class, form groups, assign entities; raises DrawImpossible."""
    names = names or {}
    plan = inputs.plan
    digests = inputs.digests()
    key = master_key(seed, digests)
    per_class: dict[str, list[dict]] = {c: [] for c in CLASSES}
    counts: dict[str, int] = {}
    for seen in inputs.earlier or []:
        counts[seen["entity"]] = counts.get(seen["entity"], 0) + 1
    cap = plan.get("yearly_cap")
    capped = []
    types, statuses = plan["entity_types"], plan["statuses"]
    for entity in inputs.entities:  # `Index.in_scope`, spelled out: asked 100,000 times for a county's roster
        if (not types or entity["type"] in types) and entity["status"] in statuses \
                and entity["credit_class"] in per_class:
            if cap is not None and counts.get(entity["id"], 0) >= cap:
                capped.append(entity["id"])
                continue
            per_class[entity["credit_class"]].append(entity)
    population = {c: len(v) for c, v in per_class.items()}
    if not sum(population.values()):
        if capped:
            raise DrawImpossible(f"抽查范围内的 {len(capped)} 个检查对象本年度检查次数都已达到上限（{cap} 次），没有可抽取的对象")
        raise DrawImpossible("抽查范围内没有任何检查对象（请检查计划的「抽查对象」条件和名录库）")
    drawn_entities: list[str] = []
    drawn: dict[str, int] = {}
    codes: dict[str, str | None] = {}  # a drawn entity's credit code
    for c in CLASSES:
        k = class_quota(population[c], plan["ratios"][c], plan["ratio_floor"])
        chosen = shuffle_prefix(per_class[c], k, Stream(key, f"entities/{c}"))
        drawn[c] = len(chosen)
        drawn_entities.extend(e["id"] for e in chosen)
        codes.update((e["id"], e.get("credit_code")) for e in chosen)

    n = plan["inspectors_per_department"]
    eligible: dict[str, list[dict]] = {}
    expired: list[dict] = []
    for dep in plan["departments"]:
        dep_id, qual = dep["department"], dep["qualification"]
        people = [p for p in inputs.departments[dep_id]["inspectors"]
                  if p["active"] and (not qual or qual in p["qualifications"]) and "left_out" not in p]
        expired += [{"department": dep_id, "inspector": p["id"], "valid_until": p["left_out"]["certificate_ends"]}
                    for p in inputs.departments[dep_id]["inspectors"]
                    if p["active"] and "certificate_ends" in p.get("left_out", {})]
        if len(people) < n:
            raise DrawImpossible(f"部门“{names.get(dep_id, dep_id)}”符合条件（在岗、具备所需资格、执法证在计划结束前有效）的"
                                 f"执法人员只有 {len(people)} 名，"
                                 f"每组需要 {n} 名，无法组成检查组")
        eligible[dep_id] = people
    most = min(len(p) // n for p in eligible.values())
    count = plan["groups"] or most
    if count > most:
        raise DrawImpossible(f"计划要求 {count} 个检查组，但执法人员最少的部门只够组成 {most} 个组")
    count = max(1, min(count, len(drawn_entities)))

    orders = {dep_id: shuffle_prefix(people, len(people), Stream(key, f"inspectors/{dep_id}"))
              for dep_id, people in eligible.items()}
    lead = plan["lead_department"]
    plates = list(inputs.departments[lead]["vehicles"]) if lead in inputs.departments else []
    for dep_id, dep in inputs.departments.items():
        if dep_id != lead:
            plates.extend(dep["vehicles"])
    groups = []
    for g in range(count):
        team = {dep_id: [p["id"] for p in order[g * n:(g + 1) * n]] for dep_id, order in orders.items()}
        leader_dep = lead if lead in team else next(iter(team))
        groups.append({"group": g + 1, "leader": team[leader_dep][0], "inspectors": team,
                       "vehicle": plates[g] if g < len(plates) else None, "entities": []})

    result = Draw(seed, digests, population, drawn, drawn_entities, groups, capped=capped, expired=expired)
    # per department: entity -> the ids of its inspectors conflicted with it (asked once per drawn entity)
    conflicted: dict[str, dict[str, set[str]]] = {}
    for dep_id, order in orders.items():
        by_entity = conflicted[dep_id] = {}
        for p in order:
            for other in p["conflicts"]:
                by_entity.setdefault(other, set()).add(p["id"])
    nobody: frozenset = frozenset()
    for position, entity_id in enumerate(drawn_entities):
        group = groups[position % count]
        group["entities"].append(entity_id)
        team = {dep: list(ids) for dep, ids in group["inspectors"].items()}
        for dep_id, order in orders.items():
            code = codes.get(entity_id)
            if code and code != entity_id and code in conflicted[dep_id]:
                # a recusal written as the credit code: honoured by nobody so far, never silently ignored
                who = "、".join(sorted(conflicted[dep_id][code]))
                raise DrawImpossible(f"部门“{names.get(dep_id, dep_id)}”的执法人员 {who} 的回避对象写的是统一社会信用代码"
                                     f"“{code}”（{names.get(entity_id, entity_id)}）；回避对象应写检查对象编号，"
                                     f"请改为“{entity_id}”后再抽取")
            conflicts = conflicted[dep_id].get(entity_id, nobody)
            if not conflicts:
                continue
            start = (group["group"] - 1) * n
            for slot, pid in enumerate(team[dep_id]):
                if pid not in conflicts:
                    continue
                rotated = order[start + n:] + order[:start + n]
                substitute = next((p["id"] for p in rotated if p["id"] not in conflicts
                                   and p["id"] not in team[dep_id]), None)
                if substitute is None:
                    raise DrawImpossible(f"部门“{names.get(dep_id, dep_id)}”没有足够的无需回避的执法人员"
                                         f"检查“{names.get(entity_id, entity_id)}”")
                team[dep_id][slot] = substitute
                result.substitutions.append({"entity": entity_id, "department": dep_id,
                                             "replaced": pid, "by": substitute})
        leader = group["leader"] if any(group["leader"] in ids for ids in team.values()) else \
            team[lead if lead in team else next(iter(team))][0]
        result.assignments[entity_id] = {"group": group["group"], "leader": leader,
                                         "inspectors": team, "vehicle": group["vehicle"]}
    return result
