"""The Excel forms as a clerk uses them: 06 ties each visit's date to its entity, in calendar order,
under a 成员 header; every sheet prints on A4 with its footer inside the page and text at ≥ 9 pt."""

import datetime as dt
import re

import openpyxl
import pytest
import yaml

from conftest import ROOT, edit, inspection_files, run_docgen

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
    for record in records:  # the visit's day, else the one agreed on the call (org-033: 11-27)
        day = (record.get("dates") or {}).get("visit") or (record.get("phone_notice") or {}).get("agreed_visit")
        if day:
            expected.setdefault(f"第{record['group']}组", {})[names[record["entity"]]] = day

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
        scale = min(1.0, printable_mm / table_mm) if ws.sheet_properties.pageSetUpPr.fitToPage \
            else (ws.page_setup.scale or 100) / 100
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


def test_a_group_table_lists_everyone_each_inspection_names(archive):
    """One inspection of a group drawn with another inspector (回避) and another vehicle: the 人员分组及
    车辆安排情况表 lists the group's people from every inspection, and both vehicles — never the first
    inspection's team for the whole group."""
    import openpyxl

    from conftest import edit, run_docgen

    target = archive / "records" / "inspections" / "qa-2023-30" / "org-048.yaml"
    edit(target, "  - jyj-03\n", "  - jyj-05\n")
    edit(target, "vehicle: 冀B·G0201", "vehicle: 冀B·G0202")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    sheet = openpyxl.load_workbook(archive / "output" / "qa-2023-30" / "06_人员分组及车辆安排情况表.xlsx").active
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "孙磊" in text  # jyj-05, who inspects org-048 (in group 3) and nowhere else
    assert "冀B·G0201、冀B·G0202" in text


def test_no_sentence_the_records_do_not_say(archive):
    """无需后续处置 only where every result says nothing was found; a follow-up naming no department
    is nobody's in the ledger (not every department's), with a warning; the clerk's notes beside an
    outcome or a transfer are printed, not dropped."""
    import docx

    from conftest import run_docgen

    path = archive / "records" / "inspections" / "qa-2023-30" / "org-028.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    part = data["departments"]["jyj"]
    part["results"] = ["不配合检查情节严重"]
    part["items"][0]["finding"] = "拒绝提供从业人员名册"
    data.pop("follow_ups", None)
    data["phone_notice"]["note"] = "备注PNOTE：对方要求改期"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    other = archive / "records" / "inspections" / "qa-2023-30" / "org-021.yaml"
    data = yaml.safe_load(other.read_text(encoding="utf-8"))
    action = data["follow_ups"][0]
    action.pop("department")
    action["transfer"] = "迁安市市场监督管理局"
    action["note"] = "备注NOTE：等待回函"
    other.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    validate = run_docgen("validate", cwd=archive)
    assert "org-021.yaml" in validate.stdout and "没有填写负责的部门" in validate.stdout
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / "qa-2023-30"
    form = next(out.glob("04_实地核查记录表_*文华美术*.docx"))
    text = "\n".join(c.text for t in docx.Document(str(form)).tables for r in t.rows for c in r.cells)
    assert "不配合检查情节严重" in text and "无需后续处置" not in text
    ledger = openpyxl.load_workbook(out / "03_随机抽查后续处置工作台账.xlsx").active
    rows = [r for r in ledger.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    row = next(r for r in rows if "迁安市市场监督管理局；备注NOTE：等待回函" in r)
    assert "、" not in str(row[4] or "")  # 检查部门: not all three departments
    phone = openpyxl.load_workbook(out / "05_电话告知记录表.xlsx").active
    assert any("备注PNOTE：对方要求改期" in str(c.value) for r in phone.iter_rows() for c in r)


def test_a_row_is_as_tall_as_its_longest_text_wraps(built):
    """A Chinese character is never split between lines: 16 of them in the 处置结果 column (12 wide)
    take 4 lines of 5, and the row is made tall enough for 4 — with 3, the text printed clipped."""
    from docgen.documents.render_xlsx import _lines

    assert _lines("已清理通道、更换灭火器，复查合格", 12) == 4 and _lines("二楼", 12) == 1
    assert _lines("a" * 22, 12) == 2 and _lines("甲\n乙", 12) == 2
    sheet = openpyxl.load_workbook(built / "output" / PLAN / "03_随机抽查后续处置工作台账.xlsx").active
    row = next(r for r in range(1, sheet.max_row + 1)
               if any(c.value == "已清理通道、更换灭火器，复查合格" for c in sheet[r]))
    assert sheet.row_dimensions[row].height >= 4 * 10.5 * 1.45


def test_the_phone_table_names_the_entitys_contact_and_who_answered_apart(archive):
    """05's 联系人 is the entity's contact person; 接听人 is who answered the call (无人接听 there said
    the contact was 无人接听)."""
    import glob

    edit(archive / "records/inspections" / PLAN / "org-040.yaml", "  reached: 张春燕", "  reached: 无人接听")
    assert run_docgen("build", "--plan", PLAN, cwd=archive).returncode == 0
    built = archive
    sheet = openpyxl.load_workbook(built / "output" / PLAN / "05_电话告知记录表.xlsx").active
    header = next(r for r in sheet.iter_rows(values_only=True) if r and "联系人" in r)
    contact, reached = header.index("联系人"), header.index("接听人")
    root = built / "records"
    entities = {}
    for path in glob.glob(str(root / "entities" / "*.yaml")):
        data = yaml.safe_load(open(path, encoding="utf-8"))
        entities[data["name"]] = data
    rows = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert rows
    for row in rows:
        assert row[contact] == entities[row[1]]["contact"]["name"], row
    assert [row[reached] for row in rows if row[reached] == "无人接听"] == ["无人接听"]


def test_a_group_of_06_prints_on_one_page_with_the_signature_line_after_the_last(built):
    """Left to Excel, a page broke inside 第2组: its 组别, 组长 and 车牌 cells (merged down the group)
    printed on the first page only, its last members on the next page under no group. A manual break
    now goes before each group that would not fit, at the scale fitting the width chose (Excel ignores
    manual breaks under fit-to-page), and the 填表人 line stays with the last group."""
    ws = openpyxl.load_workbook(built / "output" / PLAN / "06_人员分组及车辆安排情况表.xlsx").active
    groups = sorted((r.min_row, r.max_row) for r in ws.merged_cells.ranges if r.min_col == r.max_col == 1
                    and r.min_row > 5)
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks and len(groups) == 3
    assert not [(b, g) for b in breaks for g in groups if g[0] <= b < g[1]]  # never inside a group
    assert all(b + 1 in [g[0] for g in groups] for b in breaks)
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 100
    signature = max(r for r in range(1, ws.max_row + 1) if "填表人" in str(ws.cell(r, 1).value or ""))
    assert max(breaks) < groups[-1][0] < signature


def test_page_breaks_keep_groups_whole_where_they_can():
    from docgen.documents.sheet_pages import PageSetup, group_breaks

    titles = (4, 5)
    heights = {r: 20.0 for r in range(1, 60)}
    blocks = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 15), (16, 25), (26, 45), (46, 50)]
    # pages of 250 pt: the first group (200) does not fit under the headings (100) but runs on rather than
    # leave them alone; each later group starts a page, the one taller than a page too
    assert group_breaks(heights, blocks, 250.0, titles, 6) == [15, 25, 45]
    # without print titles the same, but nothing repeats: the headings still start the first group's page
    assert group_breaks(heights, blocks, 250.0, None, 6) == [25]
    # a page of 330 pt: headings and the first group; then repeated headings (40) and the second group;
    # the third (400 pt, taller than any page) starts on a page of its own and runs on; the last follows
    assert group_breaks(heights, blocks, 330.0, titles, 6) == [15, 25]
    # headings alone are never left on a page: the first group starts under them however tall it is
    assert group_breaks(heights, [(1, 5), (6, 40)], 300.0, titles, 6) == []
    # a last group taller than a page, its rows 6–48 and the signature lines 49–50 under it: page 2 takes
    # rows 26–48 exactly and the signature lines would print alone; rows 47–48 go with them
    last = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 50)]
    assert group_breaks(heights, last, 500.0, titles, 6) == [] and group_breaks(heights, last, 500.0, titles, 6, 49) == [46]
    assert group_breaks(heights, last, 480.0, titles, 6, 49, fullest=500.0) == [46]  # as LibreOffice fills a page

    before = '<worksheet><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><sheetData>'
    tall = '</sheetData><pageSetup orientation="landscape" paperSize="9" fitToHeight="2" fitToWidth="1"/></worksheet>'
    assert PageSetup(before, tall, [10.0] * 10, 15.0).usable is None  # fitted to two pages tall: Excel's call
    two_wide = tall.replace('fitToHeight="2" fitToWidth="1"', 'fitToHeight="0" fitToWidth="2"')
    assert PageSetup(before, two_wide, [40.0] * 10, 15.0).usable is None  # two pages wide: Excel's call too
    broken = '</sheetData><pageSetup paperSize="9"/><rowBreaks count="1"><brk id="9" man="1"/></rowBreaks></worksheet>'
    assert PageSetup("<worksheet><sheetData>", broken, [10.0] * 10, 15.0).usable is None  # the template's own
    wide = '</sheetData><pageMargins left="0.5" right="0.5" top="1" bottom="1" header="0.3" footer="0.3"/>' \
           '<pageSetup paperSize="9" fitToHeight="0" fitToWidth="1"/><drawing r:id="x"/></worksheet>'
    setup = PageSetup(before, wide, [40.0] * 5, 15.0)  # 1,069 pt of columns on 523 pt of A4 portrait
    assert setup.scale == 47  # with 3 % of room for LibreOffice
    head, tail = setup.with_breaks([20, 40])
    assert 'fitToPage' not in head and '<pageSetup scale="47" ' in tail
    assert tail.index("<rowBreaks") < tail.index("<drawing")  # in schema order
    assert '<brk id="20" max="16383" man="1"/><brk id="40" max="16383" man="1"/>' in tail


def test_the_phone_table_lists_the_calls_in_the_order_they_were_made(archive):
    """05 is a log of the calls: it listed them by group and visit (11月6日 before 11月3日, 11月1日 fifth);
    now by the time of each call, a call at 9:05 before one at 10:00 the same day."""
    target = next(p for p in inspection_files(archive, PLAN) if "time: 2023-11-03 09:30" in p.read_text("utf-8"))
    edit(target, "time: 2023-11-03 09:30", "time: 2023-11-06 9:05")
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    ws = openpyxl.load_workbook(archive / "output" / PLAN / "05_电话告知记录表.xlsx").active
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) == 9

    def when(text):
        day, clock = text.split(" ")
        return cn_date(day), tuple(int(n) for n in clock.split(":"))

    times = [when(r[5]) for r in rows]
    assert times == sorted(times)
    assert times[4] == (dt.date(2023, 11, 6), (9, 5))  # 9:05 before the two calls at 09:30 that day


def test_letters_and_digits_are_english_runs_so_a_code_is_never_broken():
    """LibreOffice broke Latin text set as Chinese between any two characters (521302/83G8A6QH66NX,
    〔202/0〕); letters and digits now go in runs of their own marked English, the text unchanged."""
    from docgen.documents.render_docx import latin_apart

    xml = ('<w:p><w:r><w:rPr><w:b/><w:lang w:val="zh-CN" w:eastAsia="zh-CN"/></w:rPr>'
           '<w:t xml:space="preserve">代码：52130283G8A6QH66NX&amp;a〔2020〕</w:t><w:br/><w:t>号</w:t></w:r>'
           '<w:r><w:rPr><w:sz w:val="28"/><w:eastAsianLayout w:id="1"/></w:rPr><w:t>x 1</w:t></w:r></w:p>')
    out = latin_apart(xml)
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", xml)
    assert ('<w:r><w:rPr><w:b/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr>'
            '<w:t xml:space="preserve">52130283G8A6QH66NX</w:t></w:r>') in out
    assert '<w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr><w:t xml:space="preserve">2020</w:t>' in out
    assert "&amp;a" in out and "x 1" in out  # an escape is no word; one letter or digit alone stays
    word = latin_apart('<w:p><w:r><w:rPr><w:color w:val="FF0000"/><w14:textFill><w14:solidFill/></w14:textFill>'
                       '</w:rPr><w:t>AB中</w:t></w:r></w:p>')
    assert '<w:color w:val="FF0000"/><w:lang w:val="en-US"/><w14:textFill>' in word  # before Word's extensions
    assert latin_apart("<w:p><w:r><w:t>中文</w:t></w:r></w:p>") == "<w:p><w:r><w:t>中文</w:t></w:r></w:p>"


def test_word_tables_give_their_cells_air_and_the_letters_inspector_table_moves_whole(built):
    """A cell's last line sat on the bottom border (LibreOffice cut （负责人） and 校（示例）); the 告知书's
    检查人员 table broke after its header row or its first member."""
    import zipfile

    from lxml import etree

    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    out = built / "output" / PLAN
    for name in ("02_告知书_*.docx", "04_实地核查记录表_*.docx", "00_全套文书（打印）.docx"):
        with zipfile.ZipFile(next(out.glob(name))) as z:
            body = etree.fromstring(z.read("word/document.xml"))
        for table in body.iter(W + "tbl"):
            bottom = table.find(f"{W}tblPr/{W}tblCellMar/{W}bottom")
            assert bottom is not None and int(bottom.get(W + "w")) >= 45, name
    with zipfile.ZipFile(next(out.glob("02_告知书_*.docx"))) as z:
        body = etree.fromstring(z.read("word/document.xml"))
    table = next(t for t in body.iter(W + "tbl") if "执法证号" in "".join(t.itertext()))
    rows = table.findall(W + "tr")
    assert len(rows) > 3
    assert all(r.find(f"{W}trPr/{W}cantSplit") is not None for r in rows)
    assert all(p.find(f"{W}pPr/{W}keepNext") is not None for r in rows for p in r.iter(W + "p"))


def test_the_letter_names_no_inspection_method_the_lists_do_not(archive):
    """With no 检查方式 in the 抽查事项清单 the 告知书 said 实地检查、书面检查 all the same: words of no record."""
    import docx

    for path in (archive / "records" / "items").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["items"]:
            item.pop("methods", None)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    letter = next((archive / "output" / PLAN).glob("02_告知书_*.docx"))
    text = "\n".join(p.text for p in docx.Document(str(letter)).paragraphs)
    assert "进行检查" in text and "检查方式" not in text


def test_a_cell_with_quotes_is_given_the_lines_it_prints_on():
    """“ ” · print full-width in 仿宋: 跨部门联合“双随机”抽查 in a column 24 wide was taken for one line,
    printed on two, and the second was cut off by the next row."""
    from docgen.documents.render_xlsx import _lines

    assert _lines("跨部门联合“双随机”抽查", 24) == 2 and _lines("跨部门联合“双随机”抽查", 28) == 1
    assert _lines("冀B·J0101", 10) == 2 and _lines("冀B·J0101", 13) == 1  # ten columns wide as printed
