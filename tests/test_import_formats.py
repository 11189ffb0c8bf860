"""Issue 15: rosters as offices really have them — .xls, GBK and UTF-8-BOM CSV, two-row and title headers,
stale dimensions, full-width characters, header aliases, --column and --sheet — imported right or refused."""

import re
import shutil
import zipfile

import openpyxl
import pytest
import xlwt
import yaml

from conftest import run_docgen
from docgen.records import creditcode

CODES = [creditcode.complete(f"91130283MA10000{n:02d}") for n in range(1, 4)]
HEADERS = ["统一社会信用代码", "企业名称", "法定代表人", "住所", "联系电话", "信用风险分类", "主体类型"]
ROWS = [
    [CODES[0], "格式测试甲培训学校", "甲某", "迁安市甲路1号", "0315-1234567", "B类", "校外培训机构"],
    [CODES[1], "格式测试乙培训学校", "乙某", "迁安市乙路2号", "13900000000", "C", "校外培训机构"],
]


def entity(root, code):
    path = root / f"records/entities/{code}.yaml"
    assert path.exists(), f"{path} not written"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def written(root):
    return sorted(p.stem for p in (root / "records/entities").glob("9113*.yaml"))


def assert_imported(root, result):
    assert result.returncode == 0, result.stdout + result.stderr
    first, second = entity(root, CODES[0]), entity(root, CODES[1])
    assert first["name"] == "格式测试甲培训学校" and first["credit_class"] == "B"
    assert first["contact"] == {"name": "甲某", "phone": "0315-1234567"}
    assert second["address"] == "迁安市乙路2号" and second["contact"]["phone"] == "13900000000"
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=root).returncode == 0


def save_xlsx(path, rows, merges=(), title="名录"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)


def test_xls_roster_with_merged_title_and_numeric_phone(archive, tmp_path):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名录库")
    sheet.write_merge(0, 0, 0, len(HEADERS) - 1, "迁安市校外培训机构名录（导出）")
    for c, header in enumerate(HEADERS):
        sheet.write(1, c, header)
    for r, row in enumerate(ROWS, 2):
        for c, value in enumerate(row):
            # the platform writes a mobile number as a number: 13900000000.0 in the file
            sheet.write(r, c, float(value) if value.isdigit() else value)
    path = tmp_path / "名录库.xls"
    book.save(str(path))
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert "xlrd" not in result.stdout + result.stderr
    assert_imported(archive, result)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_every_encoding_offices_save(archive, tmp_path, encoding):
    lines = [",".join(HEADERS)] + [",".join(row) for row in ROWS] + [f"{CODES[2][:17]}0,坏代码公司,丙,丙路,,A,校外培训机构"]
    path = tmp_path / "名录库.csv"
    path.write_bytes("\r\n".join(lines).encode(encoding))
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 1  # the last row is refused, by its row number
    assert re.search(r"未导入：第 4 行：统一社会信用代码“[0-9A-Z]{18}”校验位不正确", result.stdout)
    assert entity(archive, CODES[0])["name"] == "格式测试甲培训学校"
    assert entity(archive, CODES[1])["legal_rep"] == "乙某"
    assert written(archive) == sorted(CODES[:2])


def test_csv_neither_utf8_nor_gbk_is_refused_in_chinese(archive, tmp_path):
    path = tmp_path / "名录库.csv"
    path.write_bytes(b"\x81\x30\xff\xfe,\x00\x81\n")
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 2 and "无法识别文件编码（应为 UTF-8 或 GBK）" in result.stderr


def test_two_row_header_under_merged_title_rows(archive, tmp_path):
    """A 联系方式 group over 联系人 / 联系电话: the phone is the phone, never the contact's name."""
    rows = [
        ["迁安市校外培训机构名录库"] + [None] * 7,
        ["（2023年10月导出）"] + [None] * 7,
        ["统一社会信用代码", "企业名称", "法定代表人", "住所", "联系方式", None, "信用风险分类", "主体类型"],
        [None, None, None, None, "联系人", "联系电话", None, None],
    ]
    for row in ROWS:
        rows.append(row[:4] + ["联系人" + row[2], row[4]] + row[5:])
    merges = ["A1:H1", "A2:H2", "E3:F3"] + [f"{c}3:{c}4" for c in "ABCDGH"]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, rows, merges)
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert entity(archive, CODES[0])["contact"] == {"name": "联系人甲某", "phone": "0315-1234567"}
    assert entity(archive, CODES[1])["contact"] == {"name": "联系人乙某", "phone": "13900000000"}


def test_stale_dimension_is_read(archive, tmp_path):
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [HEADERS] + ROWS)
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(stale, "w") as target:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:B2"', data)
                assert count == 1
            target.writestr(info, data)
    assert openpyxl.load_workbook(stale, read_only=True).active.max_row == 2  # what a trusting reader sees
    assert_imported(archive, run_docgen("import", "entities", str(stale), cwd=archive))


def test_full_width_codes_classes_phones_and_spaces(archive, tmp_path):
    def wide(text):
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)

    rows = [HEADERS, [wide(CODES[0]), "格式测试甲培训学校", "甲某", "迁安市\u3000甲路1号\u3000", wide("0315-1234567"), "Ｂ类",
                      "校外培训机构"],
            [wide(CODES[1]).lower(), "格式测试乙培训学校", "乙某", "迁安市乙路2号", wide("13900000000"), "Ｃ", "校外培训机构"]]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, rows)
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    first = entity(archive, CODES[0])
    assert first["credit_code"] == CODES[0] and first["credit_class"] == "B"
    assert first["contact"]["phone"] == "0315-1234567" and first["address"] == "迁安市 甲路1号"
    assert entity(archive, CODES[1])["credit_class"] == "C"
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0


def test_header_aliases(archive, tmp_path):
    headers = ["统一社会信用代码/注册号", "*企业名称", "法定代表人（负责人）", "住所 ", "联系电话（手机）", "信用风险分类结果",
               "主体类型"]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [headers] + ROWS)
    assert_imported(archive, run_docgen("import", "entities", str(path), cwd=archive))


def test_ambiguous_header_is_refused_naming_columns_then_mapped_by_hand(archive, tmp_path):
    headers = HEADERS[:4] + ["手机", "联系电话"] + HEADERS[5:]
    rows = [headers] + [row[:4] + [row[4], "0315-0000000"] + row[5:] for row in ROWS]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, rows)
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 2 and not written(archive)
    assert "表头有歧义，“手机”（E 列）、“联系电话”（F 列）都对应“联系电话”" in result.stderr
    assert "--column 联系电话=表头" in result.stderr
    result = run_docgen("import", "entities", str(path), "--column", "联系电话=手机", cwd=archive)
    assert_imported(archive, result)
    wrong = run_docgen("import", "entities", str(path), "--column", "电话号码=手机", cwd=archive)
    assert wrong.returncode == 2 and "没有“电话号码”这个字段" in wrong.stderr


def test_column_maps_an_unknown_header(archive, tmp_path):
    headers = ["社会统一代码"] + HEADERS[1:]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [headers] + ROWS)
    refused = run_docgen("import", "entities", str(path), cwd=archive)
    assert refused.returncode == 2 and "找不到“统一社会信用代码”列" in refused.stderr
    result = run_docgen("import", "entities", str(path), "--column", "统一社会信用代码=社会统一代码", cwd=archive)
    assert_imported(archive, result)


def test_columns_no_field_reads_are_named_not_dropped_in_silence(archive, tmp_path):
    """A column docgen does not know (a renamed one, or extra data) is named with its letter, so a clerk
    sees what was not imported; row numbers are not worth a word."""
    headers = ["序号"] + HEADERS[:4] + ["联系人手机"] + HEADERS[5:]
    rows = [[n + 1] + row[:4] + [row[4]] + row[5:] for n, row in enumerate(ROWS)]
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [headers] + rows)
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    [note] = [line for line in result.stdout.splitlines() if "未识别的列" in line]
    assert note.startswith("提示：") and "“联系人手机”（F 列）" in note and "序号" not in note
    assert "contact" not in entity(archive, CODES[0]) or "phone" not in entity(archive, CODES[0])["contact"]
    mapped = run_docgen("import", "entities", str(path), "--update", "--column", "联系电话=联系人手机", cwd=archive)
    assert "未识别的列" not in mapped.stdout
    assert entity(archive, CODES[0])["contact"]["phone"] == "0315-1234567"


def test_sheet_chosen_by_name(archive, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由平台导出，第二个工作表为名录"])
    roster = wb.create_sheet("名录")
    for row in [HEADERS] + ROWS:
        roster.append(row)
    path = tmp_path / "名录库.xlsx"
    wb.save(path)
    refused = run_docgen("import", "entities", str(path), cwd=archive)
    assert refused.returncode == 2 and "本文件还有工作表：名录，可用 --sheet 指定" in refused.stderr
    missing = run_docgen("import", "entities", str(path), "--sheet", "名单", cwd=archive)
    assert missing.returncode == 2 and "没有名为“名单”的工作表。本文件的工作表：说明、名录" in missing.stderr
    assert_imported(archive, run_docgen("import", "entities", str(path), "--sheet", "名录", cwd=archive))


def test_missing_type_column_is_one_message(archive, tmp_path):
    path = tmp_path / "名录库.csv"
    path.write_text("\n".join(",".join(row[:6]) for row in [HEADERS] + ROWS), encoding="utf-8")
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 2 and not written(archive)
    assert result.stderr.count("主体类型") == 1 and "--type" in result.stderr and "第 " not in result.stdout
    typed = run_docgen("import", "entities", str(path), "--type", "校外培训机构", cwd=archive)
    assert_imported(archive, typed)


def test_change_reports_in_the_clerks_words(archive, tmp_path):
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [HEADERS] + ROWS)
    assert run_docgen("import", "entities", str(path), cwd=archive).returncode == 0
    changed = [HEADERS, ROWS[0][:3] + ["迁安市甲路100号", "0315-7654321", "Ａ类", ROWS[0][6]]]
    save_xlsx(path, changed)
    kept = run_docgen("import", "entities", str(path), cwd=archive)
    assert "未修改（加 --update 更新）：住所：“迁安市甲路1号” → “迁安市甲路100号”" in kept.stdout
    updated = run_docgen("import", "entities", str(path), "--update", cwd=archive)
    assert updated.returncode == 0
    for change in ("住所：“迁安市甲路1号” → “迁安市甲路100号”", "联系电话：“0315-1234567” → “0315-7654321”",
                   "信用风险分类：“B” → “A”"):
        assert change in updated.stdout
    assert entity(archive, CODES[0])["credit_class"] == "A"

    roster = tmp_path / "执法人员.xlsx"
    save_xlsx(roster, [["姓名", "执法证号", "手机号码", "执法门类"],
                       ["胡明", "1302830100001", "13700000000", "校外培训监管、安全检查"],
                       ["新来的（示例）", "１３００００００００９９９９", "13700000001", "校外培训监管"]])
    result = run_docgen("import", "departments", str(roster), "--department", "jyj", "--update", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "执法人员胡明（jyj-01）电话：“13253436175” → “13700000000”" in result.stdout
    assert "执法人员胡明（jyj-01）资格：“校外培训监管” → “校外培训监管、安全检查”" in result.stdout
    assert "新增执法人员新来的（示例）（jyj-09，执法证号 13000000009999）" in result.stdout
    assert "[" not in result.stdout and "{" not in result.stdout
    jyj = yaml.safe_load((archive / "records/departments/jyj.yaml").read_text(encoding="utf-8"))
    assert jyj["inspectors"][0]["phone"] == "13700000000"
    assert jyj["inspectors"][-1]["badge"] == "13000000009999"
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0


def test_workbook_read_by_its_content_not_its_name(archive, tmp_path):
    """Some platforms save an .xlsx workbook under the name .xls."""
    path = tmp_path / "名录库.xlsx"
    save_xlsx(path, [HEADERS] + ROWS)
    misnamed = tmp_path / "名录库.xls"
    shutil.copy(path, misnamed)
    assert_imported(archive, run_docgen("import", "entities", str(misnamed), cwd=archive))


def test_not_a_workbook_and_unknown_format(archive, tmp_path):
    fake = tmp_path / "名录库.xls"
    fake.write_text("not a workbook", encoding="utf-8")
    result = run_docgen("import", "entities", str(fake), cwd=archive)
    assert result.returncode == 2 and "不是有效的 Excel 97-2003（.xls）文件" in result.stderr
    # a web page saved as .xls, as some platforms export: told what it is and how to convert it
    fake.write_bytes("\ufeff<html><table><tr><td>统一社会信用代码</td></tr></table></html>".encode("utf-8"))
    result = run_docgen("import", "entities", str(fake), cwd=archive)
    assert result.returncode == 2 and "实际上是网页（HTML）或 XML 格式" in result.stderr and "另存为 .xlsx" in result.stderr
    other = tmp_path / "名录库.ods"
    shutil.copy(fake, other)
    result = run_docgen("import", "entities", str(other), cwd=archive)
    assert result.returncode == 2 and "不支持的文件格式“.ods”" in result.stderr


def test_all_digit_credit_code_is_written_quoted(archive, tmp_path):
    """A credit code of digits only (a 事业单位's, 12…) becomes the record's id and code: both quoted,
    since every YAML 1.2 reader takes 121302830000000060 unquoted for a number."""
    digits = next(c for c in (creditcode.complete(f"121302830000000{n:02d}") for n in range(100)) if c.isdigit())
    path = tmp_path / "名录库.csv"
    path.write_text(",".join(HEADERS) + "\n" + ",".join([digits, "数字代码事业单位", "丁某", "丁路4号", "", "A", "事业单位"]),
                    encoding="utf-8")
    result = run_docgen("import", "entities", str(path), cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (archive / f"records/entities/{digits}.yaml").read_text(encoding="utf-8")
    assert f"id: '{digits}'\n" in text and f"credit_code: '{digits}'\n" in text
    assert run_docgen("fmt", "--check", cwd=archive).returncode == 0
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0


def test_a_cell_far_away_neither_hangs_nor_exhausts_memory(archive, tmp_path):
    """A 5 KB workbook with one empty styled cell at XFD1048576 is read as the rows it holds; one with
    a value there is refused in the clerk's words. `textconv` (git diff) shows either at once."""
    styled = tmp_path / "styled.xlsx"
    save_xlsx(styled, [HEADERS] + ROWS)
    wb = openpyxl.load_workbook(styled)
    wb.active["XFD1048576"].font = openpyxl.styles.Font(bold=True)
    wb.save(styled)
    assert_imported(archive, run_docgen("import", "entities", str(styled), cwd=archive))
    far = tmp_path / "far.xlsx"
    save_xlsx(far, [HEADERS] + ROWS)
    wb = openpyxl.load_workbook(far)
    wb.active["XFD1048576"] = "远处"
    wb.active.merge_cells("A1048570:XFD1048575")
    wb.save(far)
    result = run_docgen("import", "entities", "--dry-run", str(far), cwd=archive)
    assert result.returncode != 0 and "范围过大" in result.stderr and "Traceback" not in result.stderr
    # one merged range over millions of cells: openpyxl would make an object per cell (65 s, 775 MB)
    merged = tmp_path / "merged.xlsx"
    save_xlsx(merged, [HEADERS] + ROWS)
    with zipfile.ZipFile(merged) as source:  # written into the XML: openpyxl itself would take a minute
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="A30:Z100000"/></mergeCells>', 1).encode()
    with zipfile.ZipFile(merged, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = run_docgen("import", "entities", "--dry-run", str(merged), cwd=archive)
    assert result.returncode == 2 and "合并的单元格范围过大" in result.stderr and "Traceback" not in result.stderr
    shown = run_docgen("textconv", str(styled), cwd=archive)
    assert shown.returncode == 0 and ROWS[0][1] in shown.stdout and len(shown.stdout) < 2000
