"""A synthetic archive for benchmarks: the example's plan, departments and item lists, N entities, M inspections.

Records are written from text templates (the bytes `yaml.safe_dump` gave for them), not dumped one
by one: 100,000 entity files are written in a few seconds. `draw_plan` adds a second joint plan
without inspections, for timing `docgen draw --dry-run` over the whole roster.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil

from docgen.records import creditcode

ROOT = pathlib.Path(__file__).resolve().parent.parent
PLAN = "qa-2023-30"
DRAW_PLAN = "bench-draw"

ENTITY = """id: b-{n:05d}
name: 基准测试第{n}号培训学校（示例）
credit_code: '{code}'
type: 校外培训机构
address: 河北省迁安市测试路{n}号
legal_rep: 张三
contact:
  name: 李四
  phone: '138{n:08d}'
credit_class: {cls}
status: 存续
"""

INSPECTION = """plan: {plan}
entity: b-{n:05d}
group: {group}
leader: jyj-{a:02d}
inspectors:
  jyj:
  - jyj-{a:02d}
  - jyj-{b:02d}
  gaj:
  - gaj-{a:02d}
  - gaj-{b:02d}
  xfjy:
  - xfjy-{a:02d}
  - xfjy-{b:02d}
dates:
  phone_notice: '{visit}'
  notice_served: '{visit}'
  visit: '{visit}'
phone_notice:
  time: {visit} 09:00
  caller: 郭玲玲
  reached: 李四
departments:
  jyj:
    items:
    - item: 从业人员资质
      finding: 未发现问题
      handling: 无
    results:
    - 未发现问题
    completed: '{visit}'
    entered: '{entered}'
    approval:
      reviewer: 王五
      date: '{entered}'
    disclosed: '{entered}'
  gaj:
    items:
    - item: 单位内部治安保卫情况
      finding: 未发现问题
      handling: 无
    results:
    - 未发现问题
    completed: '{visit}'
    entered: '{entered}'
    approval:
      reviewer: 王五
      date: '{entered}'
    disclosed: '{entered}'
  xfjy:
    items:
    - item: 履行法定消防安全职责情况
      finding: 灭火器过期
      handling: 责令更换
    results:
    - 发现问题已责令改正
    completed: '{visit}'
    entered: '{entered}'
    approval:
      reviewer: 王五
      date: '{entered}'
    disclosed: '{entered}'
methods:
- 实地检查
signature:
  signer: 张三
  date: '{visit}'
follow_ups:
- issue: 灭火器过期
  measure: 责令改正
  department: xfjy
  status: 已完结
  closed: '{visit}'
  outcome: 已更换
"""


def _code(n: int) -> str:
    digest = hashlib.sha256(f"bench-{n}".encode()).digest()
    return creditcode.complete("52130283" + "".join(creditcode.ALPHABET[b % 31] for b in digest[:9]))


def entity_text(n: int) -> str:
    return ENTITY.format(n=n, code=_code(n), cls="ABCD"[n % 4])


def inspection_text(n: int, plan: str = PLAN) -> str:
    group = n % 3
    day = 1 + n % 20
    return INSPECTION.format(plan=plan, n=n, group=group + 1, a=group * 2 + 1, b=group * 2 + 2,
                             visit=f"2023-11-{day:02d}", entered=f"2023-11-{day + 1:02d}")


def _write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
        handle.write(text)


def make_archive(root: pathlib.Path, entities: int = 1000, inspections: int = 300,
                 draw_plan: bool = False) -> pathlib.Path:
    """Write records/ under `root`; returns the records folder. Inspections name entities b-00000 on,
    so `inspections` must not exceed `entities`; none of them names a conflicted inspector."""
    assert inspections <= entities
    records = root / "records"
    if records.exists():
        shutil.rmtree(records)
    shutil.copytree(ROOT / "records" / "plans", records / "plans")
    shutil.copytree(ROOT / "records" / "departments", records / "departments")
    shutil.copytree(ROOT / "records" / "items", records / "items")  # the plan chooses its items from these lists
    if draw_plan:
        text = (records / "plans" / f"{PLAN}.yaml").read_text(encoding="utf-8")
        (records / "plans" / f"{DRAW_PLAN}.yaml").write_text(text.replace(f"id: {PLAN}\n", f"id: {DRAW_PLAN}\n", 1),
                                                             encoding="utf-8")
    folder = records / "entities"
    folder.mkdir(parents=True)
    for n in range(entities):
        _write(str(folder), f"b-{n:05d}.yaml", entity_text(n))
    folder = records / "inspections" / PLAN
    folder.mkdir(parents=True)
    for n in range(inspections):
        _write(str(folder), f"b-{n:05d}.yaml", inspection_text(n))
    return records
