"""Fill the drawn example inspections with what clerks record during the inspection.

Run after `docgen draw qa-2023-30 --seed …`. Each drawn entity gets one state, in draw
order (written jointly, then split into each department's own part as `docgen migrate` does), so that the example shows every state: planned, notified, inspected with and
without problems, refused signature, follow-up open and closed, entered but not yet
disclosed. The draw's own fields are left as they are (`docgen draw --verify` passes).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import yaml  # noqa: E402

from docgen.draw.run import INSPECTION_COMMENT  # noqa: E402
from docgen.records.migrate import convert  # noqa: E402
from docgen.records.yamlout import record_path, write_record  # noqa: E402

RECORDS = os.path.join(os.path.dirname(__file__), "..", "records")
PLAN = "qa-2023-30"
ITEMS = {"jyj": ["从业人员资质", "教材使用情况", "监管平台购销课情况"], "gaj": ["单位内部治安保卫情况"],
         "xfjy": ["履行法定消防安全职责情况"]}
METHODS = ["实地检查", "书面检查"]
DRAWN = ("plan", "entity", "draw", "task_number", "group", "leader", "inspectors", "vehicle")
REVIEWERS = {"jyj": "李建国", "gaj": "王志刚", "xfjy": "刘海涛"}  # each department's 经办领导


def per_department(data: dict, position: int) -> dict:
    """Each department's own part (docgen migrate's reading of the joint values), approved by the
    department's 经办领导 on the entry day and signed by its drawn inspectors on the visit day.
    One state leaves 公安局's result waiting for approval, so status shows one."""
    departments = convert(data)
    for key in ("items", "result"):
        data.pop(key, None)
    dates = data.get("dates") or {}
    visit = dates.get("visit")
    for key in ("completed", "entered", "disclosed"):
        dates.pop(key, None)
    for dep, part in departments.items():
        if part.get("entered") and not (position == 4 and dep == "gaj"):
            part["approval"] = {"reviewer": REVIEWERS[dep], "date": part["entered"]}
        if visit and part.get("completed"):
            part["signatures"] = [{"inspector": pid, "date": visit} for pid in data["inspectors"][dep]]
        # keep the key order of the schema
        departments[dep] = {k: part[k] for k in ("items", "results", "completed", "entered", "approval",
                                                 "disclosed", "signatures") if k in part}
    if departments:
        data["departments"] = departments
    return data


def items(problem: tuple[str, str, str, str] | None = None) -> list[dict]:
    rows = []
    for dep, names in ITEMS.items():
        for name in names:
            row = {"department": dep, "item": name, "finding": "未发现问题", "handling": "无"}
            if problem and problem[0] == dep and problem[1] == name:
                row["finding"], row["handling"] = problem[2], problem[3]
            rows.append(row)
    return rows


def notified(day: str, visit: str, caller: str, reached: str) -> dict:
    return {"dates": {"phone_notice": day, "notice_served": day},
            "phone_notice": {"time": f"{day} 09:30", "caller": caller, "reached": reached,
                             "outcome": f"已告知，约定{visit[5:7].lstrip('0')}月{visit[8:].lstrip('0')}日上午现场检查",
                             "agreed_visit": visit}}


def completed(base: dict, visit: str, entered: str | None, disclosed: str | None, signer: str | None) -> dict:
    base["dates"].update({"visit": visit, "completed": visit})
    if entered:
        base["dates"]["entered"] = entered
    if disclosed:
        base["dates"]["disclosed"] = disclosed
    base["methods"] = METHODS
    if signer:
        base["signature"] = {"signer": signer, "date": visit}
    return base


def states(entity: dict) -> list[dict]:
    rep = entity["legal_rep"]
    contact = entity["contact"]["name"]
    clean = lambda b: {**b, "items": items(), "result": "未发现问题", "opinion": "无异议"}  # noqa: E731
    return [
        # 0: inspected, no problems, entered and disclosed on time
        clean(completed(notified("2023-11-01", "2023-11-06", "郭玲玲", contact), "2023-11-06", "2023-11-08", "2023-11-20", rep)),
        # 1: problem found and corrected on the spot; follow-up closed
        {**completed(notified("2023-11-01", "2023-11-07", "郭玲玲", contact), "2023-11-07", "2023-11-09", "2023-11-21", rep),
         "items": items(("xfjy", "履行法定消防安全职责情况", "二楼疏散通道堆放杂物，1具灭火器压力不足",
                         "当场责令清理通道、更换灭火器")),
         "result": "发现问题已责令改正", "opinion": "认可检查结果，立即整改",
         "follow_ups": [{"issue": "疏散通道堆放杂物，灭火器压力不足", "measure": "责令改正", "department": "xfjy",
                         "deadline": "2023-11-14", "responsible": "裴子郡", "status": "已完结",
                         "outcome": "已清理通道、更换灭火器，复查合格", "closed": "2023-11-13"}]},
        # 2: problem to be handled later; follow-up open
        {**completed(notified("2023-11-02", "2023-11-08", "裴子郡", contact), "2023-11-08", "2023-11-10", None, rep),
         "items": items(("jyj", "从业人员资质", "2名授课人员未取得相应教师资格证", "责令限期整改")),
         "result": "发现问题待后续处理", "opinion": "按要求整改",
         "follow_ups": [{"issue": "2名授课人员未取得相应教师资格证", "measure": "责令改正", "department": "jyj",
                         "deadline": "2023-12-08", "responsible": "郭玲玲", "status": "处置中"}]},
        # 3: refused to sign
        {**completed(notified("2023-11-02", "2023-11-09", "裴子郡", contact), "2023-11-09", "2023-11-13", "2023-11-24", None),
         "items": items(("gaj", "单位内部治安保卫情况", "未建立值班巡查记录", "责令改正")),
         "result": "发现问题已责令改正",
         "refusal": f"法定代表人{rep}对检查结果有异议，拒绝签字，检查人员当场记录，由两名检查人员签名确认",
         "follow_ups": [{"issue": "未建立值班巡查记录", "measure": "反馈日常监管部门依法处理", "department": "gaj",
                         "deadline": "2023-11-30", "responsible": "裴子郡", "status": "已完结",
                         "outcome": "已建立值班巡查制度并补记", "closed": "2023-11-28"}]},
        # 4: inspected, no problems, entered, not yet disclosed
        clean(completed(notified("2023-11-06", "2023-11-13", "郭玲玲", contact), "2023-11-13", "2023-11-15", None, rep)),
        # 5: inspected, results not yet entered
        clean(completed(notified("2023-11-10", "2023-11-20", "郭玲玲", contact), "2023-11-20", None, None, rep)),
        # 6: inspected, no problems, all done
        clean(completed(notified("2023-11-06", "2023-11-14", "裴子郡", contact), "2023-11-14", "2023-11-16", "2023-11-24", rep)),
        # 7: notified, visit not yet made
        notified("2023-11-22", "2023-11-27", "郭玲玲", contact),
        # 8: planned only (just drawn)
        {},
        # 9: nothing to inspect any more
        clean(completed(notified("2023-11-03", "2023-11-10", "裴子郡", contact), "2023-11-10", "2023-11-14", "2023-11-27", rep)),
    ]


def main() -> None:
    draw_path = record_path(RECORDS, "draw", f"{PLAN}-draw-1")
    with open(draw_path, encoding="utf-8") as handle:
        draw = yaml.safe_load(handle)
    for position, entity_id in enumerate(draw["entities"]):
        path = record_path(RECORDS, "inspection", PLAN, entity_id)
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        with open(record_path(RECORDS, "entity", entity_id), encoding="utf-8") as handle:
            entity = yaml.safe_load(handle)
        data = {k: data[k] for k in DRAWN if k in data}
        data.update(states(entity)[position % 10])
        data = per_department(data, position % 10)
        write_record("inspection", data, path, RECORDS, INSPECTION_COMMENT.format(draw=draw["id"], plan=PLAN),
                     overwrite=True)


if __name__ == "__main__":
    main()
