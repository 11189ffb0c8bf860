"""Each department's own part of an inspection ("谁检查、谁录入、谁公示").

An inspection record holds, under `departments`, one part per department: its items, its
result(s) from the platforms' vocabulary, its completion, entry, approval and disclosure dates
and its inspectors' signatures. Here are the rules on results that every reader shares: which
results contradict each other, how 违反〔部门〕相关规定 is printed, and which parts are published.
"""

from __future__ import annotations

from typing import Iterator

NO_PROBLEM = "未发现问题"
# results saying a problem was found (several may stand together)
PROBLEMS = ("发现问题已责令改正", "发现问题待后续处理", "未按规定公示应当公示的信息", "公示信息隐瞒真实情况弄虚作假",
            "违反〔部门〕相关规定", "不配合检查情节严重")
# results saying the entity could not be inspected: each stands alone
ALONE = ("未发现开展本次抽查涉及的经营活动", "通过登记的住所（经营场所）无法联系", "已关闭停业或正在组织清算",
         "检查对象已注销", "检查对象已被吊销", "检查对象已被撤销", "检查对象已迁出")
# of those, the ones where nobody could be told of the inspection or served its 告知书 (the entity is
# gone, or cannot be found at its registered address)
UNREACHABLE = tuple(r for r in ALONE if r != "未发现开展本次抽查涉及的经营活动")
PENDING = "发现问题待后续处理"
REFUSED = "不配合检查情节严重"  # the entity did not let the inspection be made: no item to write
DEPARTMENT_SLOT = "〔部门〕"
# the old, one-result-for-all shape (docgen migrate rewrites it)
OLD_TOP_KEYS = ("result", "items")
OLD_DATE_KEYS = ("completed", "entered", "disclosed")
PART_STEPS = ("completed", "entered", "disclosed")  # with approval.date between entered and disclosed
# a part's dates in the order they come, where each is written and what it is called
PART_DATES = ((("completed",), "检查完成日期"), (("entered",), "结果录入日期"), (("approval", "date"), "批准日期"),
              (("disclosed",), "结果公示日期"))


def parts(data: dict) -> Iterator[tuple[str, dict]]:
    """(department id, part) of an inspection, in the order written; malformed parts are skipped
    (the schema reports them)."""
    found = data.get("departments")
    if isinstance(found, dict):
        for dep_id, part in found.items():
            if isinstance(dep_id, str) and isinstance(part, dict):
                yield dep_id, part


def part_results(part: dict) -> list[str]:
    return [r for r in part.get("results") or [] if isinstance(r, str)]


def nothing_found(found: list[str] | tuple[str, ...]) -> bool:
    """Whether results say, and only say, that no problem was found: then, and only then, is "no
    follow-up needed" (无需后续处置) what the record says when it registers none."""
    return bool(found) and all(r == NO_PROBLEM for r in found)


def is_approved(part: dict) -> bool:
    approval = part.get("approval")
    return isinstance(approval, dict) and bool(approval.get("reviewer")) and bool(approval.get("date"))


def is_publishable(part: dict) -> bool:
    """A part goes into 07 公示表 (and the platform export) once it has results, a completion date
    and its department's approval (Hebei publishes after 经办领导批准)."""
    return bool(part_results(part)) and bool(part.get("completed")) and is_approved(part)


def shown(result: str, department: dict | None) -> str:
    """A result as printed: 违反〔部门〕相关规定 names the department's sector (违反教育部门相关规定),
    or the department's name when its record has no sector."""
    if DEPARTMENT_SLOT not in result:
        return result
    department = department or {}
    sector = department.get("sector")
    filler = f"{sector}部门" if sector else str(department.get("name") or department.get("id") or "有关部门")
    return result.replace(DEPARTMENT_SLOT, filler)


def contradictions(part: dict) -> Iterator[tuple[tuple, str]]:
    """(path inside the part, message) for each result that contradicts another or the findings."""
    results = part_results(part)
    problems = [r for r in results if r in PROBLEMS]
    for i, result in enumerate(part.get("results") or []):
        if result in ALONE and len(results) > 1:
            yield ("results", i), f"抽查结果“{result}”表示未能实际检查，不能与其他结果同时选"
        elif result == NO_PROBLEM and problems:
            yield ("results", i), f"抽查结果“{NO_PROBLEM}”与“{problems[0]}”相互矛盾，只能选一种"
    findings = [(j, item.get("finding")) for j, item in enumerate(part.get("items") or [])
                if isinstance(item, dict) and isinstance(item.get("finding"), str)]
    if NO_PROBLEM in results and not problems:
        for j, finding in findings:
            if finding.strip() not in (NO_PROBLEM, "无"):
                yield ("items", j, "finding"), (f"抽查结果为“{NO_PROBLEM}”，但本项记录了发现的问题“{finding}”："
                                                "请改选发现问题的结果，或改正发现问题情况")
    if problems and findings and all(f.strip() in (NO_PROBLEM, "无") for _, f in findings):
        i = (part.get("results") or []).index(problems[0])
        yield ("results", i), f"抽查结果为“{problems[0]}”，但各检查事项都写的是未发现问题"


def nobody_to_notify(parts: dict) -> bool:
    """Whether every department that wrote a result found the entity unreachable or gone: the phone
    notice and the 告知书 could not be given, nobody could sign the 实地核查记录表, no method was used."""
    found = [part_results(part) for part in parts.values() if part_results(part)]
    return bool(found) and all(r in UNREACHABLE for results in found for r in results)


def is_old_shape(data: dict) -> bool:
    """True for a record written before departments had their own parts."""
    dates = data.get("dates") if isinstance(data.get("dates"), dict) else {}
    return any(k in data for k in OLD_TOP_KEYS) or any(k in dates for k in OLD_DATE_KEYS)
