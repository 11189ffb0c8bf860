"""A synthetic archive for benchmarks: the example's plan and departments, N entities, M inspections."""

from __future__ import annotations

import hashlib
import pathlib
import shutil

import yaml

from docgen import creditcode

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLAN = "qa-2023-30"


def _code(n: int) -> str:
    digest = hashlib.sha256(f"bench-{n}".encode()).digest()
    return creditcode.complete("52130283" + "".join(creditcode.ALPHABET[b % 31] for b in digest[:9]))


def _dump(path: pathlib.Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_archive(root: pathlib.Path, entities: int = 1000, inspections: int = 300) -> pathlib.Path:
    """Write records/ under `root`; returns the records folder."""
    records = root / "records"
    if records.exists():
        shutil.rmtree(records)
    shutil.copytree(ROOT / "records" / "plans", records / "plans")
    shutil.copytree(ROOT / "records" / "departments", records / "departments")
    for n in range(entities):
        _dump(records / "entities" / f"b-{n:05d}.yaml", {
            "id": f"b-{n:05d}", "name": f"基准测试第{n}号培训学校（示例）", "credit_code": _code(n),
            "type": "校外培训机构", "address": f"河北省迁安市测试路{n}号", "legal_rep": "张三",
            "contact": {"name": "李四", "phone": f"138{n:08d}"}, "credit_class": "ABCD"[n % 4], "status": "存续"})
    departments = {d: yaml.safe_load((records / "departments" / f"{d}.yaml").read_text(encoding="utf-8"))
                   for d in ("jyj", "gaj", "xfjy")}
    conflicted = {c for d in departments.values() for p in d["inspectors"] for c in p.get("conflicts", [])}
    for n in range(inspections):
        group = n % 3
        team = {d: [f"{d}-{group * 2 + 1:02d}", f"{d}-{group * 2 + 2:02d}"] for d in departments}
        day = 1 + n % 20
        visit = f"2023-11-{day:02d}"
        entered = f"2023-11-{day + 1:02d}"
        data = {"plan": PLAN, "entity": f"b-{n:05d}", "group": group + 1, "leader": team["jyj"][0],
                "inspectors": team,
                "dates": {"phone_notice": visit, "notice_served": visit, "visit": visit},
                "phone_notice": {"time": f"{visit} 09:00", "caller": "郭玲玲", "reached": "李四"},
                "departments": {
                    dep: {"items": [{"item": item, "finding": finding, "handling": handling}],
                          "results": [result], "completed": visit, "entered": entered,
                          "approval": {"reviewer": "王五", "date": entered}, "disclosed": entered}
                    for dep, item, finding, handling, result in (
                        ("jyj", "从业人员资质", "未发现问题", "无", "未发现问题"),
                        ("gaj", "单位内部治安保卫情况", "未发现问题", "无", "未发现问题"),
                        ("xfjy", "履行法定消防安全职责情况", "灭火器过期", "责令更换", "发现问题已责令改正"))},
                "methods": ["实地检查"],
                "signature": {"signer": "张三", "date": visit},
                "follow_ups": [{"issue": "灭火器过期", "measure": "责令改正", "department": "xfjy",
                                "status": "已完结", "closed": visit, "outcome": "已更换"}]}
        assert f"b-{n:05d}" not in conflicted
        _dump(records / "inspections" / PLAN / f"b-{n:05d}.yaml", data)
    return records
