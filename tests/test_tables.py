"""The Excel forms as a clerk uses them: 06 ties each visit's date to its entity, in calendar order,
under a 成员 header; every sheet prints on A4 with its footer inside the page and text at ≥ 9 pt."""

import datetime as dt
import re

import openpyxl
import pytest
import yaml

from conftest import ROOT, inspection_files, run_docgen

PLAN = "qa-2023-30"
SHEETS = ["03_随机抽查后续处置工作台账.xlsx", "05_电话告知记录表.xlsx", "06_人员分组及车辆安排情况表.xlsx",
          "07_公示表.xlsx", "08_抽查情况统计表.xlsx"]


def cn_date(text: str) -> dt.date:
    return dt.date(*map(int, re.findall(r"\d+", text)))


@pytest.fixture
def built(archive):
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    return archive


def test_groups_list_each_visit_with_its_entity_in_calendar_order(built):
    records = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in inspection_files(built, PLAN)]
    names = {e: yaml.safe_load((built / "records" / "entities" / f"{e}.yaml").read_text(encoding="utf-8"))["name"]
             for e in {r["entity"] for r in records}}
    expected: dict[str, dict[str, str]] = {}
    for record in records:
        if (record.get("dates") or {}).get("visit"):
            expected.setdefault(f"第{record['group']}组", {})[names[record["entity"]]] = record["dates"]["visit"]

    ws = openpyxl.load_workbook(built / "output" / PLAN / SHEETS[2]).active
    assert [c.value for c in ws[4]][:8] == ["组别", "组长", "成员", None, None, None, "检查日期", "检查对象"]
    assert [c.value for c in ws[5]][2:6] == ["部门", "姓名", "执法证号", "电话"]
    assert "C4:F4" in {str(r) for r in ws.merged_cells.ranges}  # 成员 spans the four member columns
    seen: dict[str, list[tuple[dt.date, str]]] = {}
    group = None
    for row in ws.iter_rows(min_row=6, values_only=True):
        if row[0] and str(row[0]).startswith("第"):
            group = row[0]
        elif row[0]:  # the 填表人 line below the table
            break
        if row[6]:
            seen.setdefault(group, []).append((cn_date(row[6]), row[7]))
    assert seen and set(seen) == set(expected)
    text_order_differs = False
    for label, visits in seen.items():
        assert [d for d, _ in visits] == sorted(d for d, _ in visits), label  # by calendar, not by text
        assert {name: d.isoformat() for d, name in visits} == expected[label]  # each date beside its entity
        printed = [f"{d.month}月{d.day}日" for d, _ in visits]
        text_order_differs |= printed != sorted(printed)
    assert text_order_differs  # the example has 11月6日 … 11月10日: sorting the text would fail here


@pytest.mark.parametrize("name", SHEETS)
def test_sheets_print_on_a4_at_nine_points_with_the_footer_inside(built, name):
    workbook = openpyxl.load_workbook(built / "output" / PLAN / name)
    for ws in workbook.worksheets:
        margins = ws.page_margins
        assert margins.footer < margins.bottom - 0.3 and margins.header < margins.top - 0.3, ws.title
        assert ws.page_setup.paperSize in (9, "9")
        landscape = ws.page_setup.orientation == "landscape"
        printable_mm = (297 if landscape else 210) - (margins.left + margins.right) * 25.4
        # Excel column width: characters of the default font's digit (7 px), plus 5 px padding, at 96 dpi
        widths = [ws.column_dimensions[letter].width for letter in ws.column_dimensions]
        table_mm = sum((w * 7 + 5) * 25.4 / 96 for w in widths)
        scale = min(1.0, printable_mm / table_mm) if ws.sheet_properties.pageSetUpPr.fitToPage else 1.0
        sizes = {cell.font.sz for row in ws.iter_rows() for cell in row if cell.value is not None}
        assert min(sizes) * scale >= 9, (ws.title, min(sizes), scale)
        assert "&P" in ws.oddFooter.center.text and (ws.oddFooter.center.size or 11) * scale >= 9


def test_templates_name_the_official_fonts():
    """The .xlsx keep naming the official fonts; only PDFs map them to free faces."""
    fonts = set()
    for name in SHEETS:
        workbook = openpyxl.load_workbook(ROOT / "templates" / name)
        fonts |= {cell.font.name for ws in workbook.worksheets for row in ws.iter_rows() for cell in row
                  if cell.value is not None}
    assert {"仿宋_GB2312", "黑体", "方正小标宋简体"} <= fonts
