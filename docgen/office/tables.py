"""Tables a clerk brings from elsewhere (.xlsx/.xlsm, .xls, .csv) and their header, found without guessing.

Rosters and task lists exported by supervision platforms come with title rows, two-row headers
(a group name such as 联系方式 over 联系人 / 联系电话), merged cells, stale `<dimension>`
elements, GBK text and header variants. This module turns such a file into numbered rows of
text and maps its header to field names; a header it cannot read without doubt is an error
naming the columns, never a silent choice.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field

from docgen.records.problems import DocgenError

HEADER_ROWS_SEARCHED = 20


@dataclass
class Table:
    """A sheet as text: rows[i] is Excel's row i + 1, merged cells filled with their value."""

    path: str
    sheet: str | None  # None for a CSV file
    sheets: list[str]
    rows: list[list[str]]

    @property
    def where(self) -> str:
        return f"{self.path}（工作表“{self.sheet}”）" if self.sheet and len(self.sheets) > 1 else self.path


@dataclass
class Header:
    """Which column holds which field, as found in a table's header row(s)."""

    columns: dict[str, int]  # field -> column index
    titles: dict[str, str]  # field -> the header text as written in the file
    first_body_row: int  # index into Table.rows
    ignored: list[str] = field(default_factory=list)  # “表头”（X 列） of columns no field reads

    def ignored_note(self, what: str = "导入") -> str | None:
        """A hint naming the columns left out, so that a renamed column is not lost without a word."""
        if not self.ignored:
            return None
        return (f"表头中未识别的列没有{what}：{'、'.join(self.ignored)}；"
                "如其中有要导入的内容，可用 --column 字段=表头 指定")


def nfkc(value: str) -> str:
    """Full-width letters, digits and punctuation as their ordinary forms (９２１３ → 9213, Ａ → A)."""
    return unicodedata.normalize("NFKC", value)


def code(value: str) -> str:
    """A credit code or badge number as compared and stored: NFKC, no spaces, letters upper-case."""
    return re.sub(r"\s+", "", nfkc(value)).upper()


def column_letter(index: int) -> str:
    """Excel's name of a column (0 → A, 26 → AA), also used for CSV files as Excel shows them."""
    from docgen.documents.package import column_letters

    return column_letters(index + 1)


def _text(value) -> str:
    """A cell's value as the text the clerk sees, spaces (full-width ones too) collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    return re.sub(r"\s+", " ", text.replace("\u3000", " ")).strip()


def read_table(path: str, sheet: str | None = None) -> Table:
    """The rows of `path` (the first sheet, or `sheet`), as text."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        # by content: some platforms save a .xlsx workbook under the name .xls, or the reverse
        with open(path, "rb") as handle:
            magic = handle.read(8)
        if magic.startswith(b"PK"):
            return _read_xlsx(path, sheet)
        if magic.startswith(b"\xd0\xcf\x11\xe0"):
            return _read_xls(path, sheet)
        if magic.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            # platforms often export a web page (an HTML table) or Excel 2003 XML under the name .xls
            raise DocgenError(f"{path}：这个文件实际上是网页（HTML）或 XML 格式，只是扩展名为 {suffix}（有的平台这样导出）。"
                              "请用 Excel 或 WPS 打开它，另存为 .xlsx 后再导入")
        return _read_xlsx(path, sheet) if suffix != ".xls" else _read_xls(path, sheet)
    if suffix == ".csv":
        if sheet:
            raise DocgenError(f"{path}：CSV 文件没有工作表，不能使用 --sheet")
        return _read_csv(path)
    raise DocgenError(f"{path}：不支持的文件格式“{suffix or '无扩展名'}”，请使用 .xlsx、.xlsm、.xls 或 .csv 文件")


def _pick_sheet(path: str, names: list[str], sheet: str | None) -> int:
    if sheet is None:
        return 0
    if sheet in names:
        return names.index(sheet)
    raise DocgenError(f"{path}：没有名为“{sheet}”的工作表。本文件的工作表：{'、'.join(names)}")


def _fill_merged(grid: list[list], ranges) -> None:
    """Every cell of a merged range shows the value of its top-left cell, as Excel displays it."""
    for top, left, bottom, right in ranges:
        if top >= len(grid):
            continue
        value = grid[top][left] if left < len(grid[top]) else None
        for r in range(top, min(bottom + 1, len(grid))):
            row = grid[r]
            row.extend([None] * (right + 1 - len(row)))
            for c in range(left, right + 1):
                row[c] = value


MAX_CELLS = 20_000_000  # a roster's rows × columns: a county's 100,000 entities in up to 200 columns


MAX_MERGED = 1_000_000  # cells covered by merged ranges: a roster merges its title rows, not a sheet
MAX_SHEET_BYTES = 1 << 30  # a worksheet's XML once unzipped: 100,000 rows of 200 columns fit


def _refuse_bombs(path: str) -> None:
    """A workbook openpyxl would take the machine's memory to read, said before it reads it: a merged
    range is made one object per cell (a 5 KB file merging A3:Z100000 took 65 s and 775 MB), and a
    worksheet can unzip to far more than its file's size."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as package:
            sheets = [info for info in package.infolist()
                      if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")]
            for info in sheets:
                if info.file_size > MAX_SHEET_BYTES:
                    raise DocgenError(f"{path}：其中的工作表解压后超过 {MAX_SHEET_BYTES >> 20} MB，不像一份名录或任务清单")
            for info in sheets:
                merged = 0
                with package.open(info) as handle:
                    for found in _MERGE_REF.finditer(handle.read()):
                        left, top, right, bottom = found.groups()
                        merged += (abs(int(bottom) - int(top)) + 1) * (abs(_column(right) - _column(left)) + 1)
                        if merged > MAX_MERGED:
                            raise DocgenError(f"{path}：工作表中合并的单元格范围过大（如 {found.group(0).decode()[-40:]}），"
                                              "不像一份名录或任务清单；请取消多余的合并后再导入")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return  # not a package: openpyxl says so in the clerk's words below


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]{1,3})\$?(\d{1,7}):\$?([A-Za-z]{1,3})\$?(\d{1,7})"')


def _column(letters: bytes) -> int:
    from docgen.documents.package import column_number

    return column_number(letters.decode("ascii"))


def _read_xlsx(path: str, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    import warnings

    _refuse_bombs(path)
    try:
        # not read_only: read-only mode trusts the <dimension> element, which some exporters leave stale
        with warnings.catch_warnings():  # openpyxl's English notes ("no default style") mean nothing to a clerk
            warnings.simplefilter("ignore")
            with open(path, "rb") as handle:  # a file object: openpyxl would refuse a .xls name
                wb = load_workbook(handle, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise DocgenError(f"{path}：无法读取，不是有效的 Excel（.xlsx/.xlsm）文件") from None
    names = wb.sheetnames
    ws = wb.worksheets[_pick_sheet(path, names, sheet)]
    # the cells that hold something, not the sheet's whole extent: one empty styled cell at XFD1048576
    # would make that 17 billion cells (a 5 KB file exhausting the machine's memory)
    filled = [(row, col, cell.value) for (row, col), cell in ws._cells.items() if cell.value is not None]
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges
              if ws.cell(r.min_row, r.min_col).value is not None]
    rows = max([row for row, _col, _value in filled] + [bottom for _t, _l, bottom, _r in merged] + [0])
    cols = max([col for _row, col, _value in filled] + [right for _t, _l, _b, right in merged] + [0])
    if rows * cols > MAX_CELLS:
        raise DocgenError(f"{path}：工作表“{ws.title}”的内容延伸到第 {rows} 行、第 {cols} 列，范围过大，不像一份名录或"
                          "任务清单；请删除远处多余的单元格后再导入")
    grid = [[None] * cols for _ in range(rows)]
    for row, col, value in filled:
        grid[row - 1][col - 1] = value
    _fill_merged(grid, [(top - 1, left - 1, bottom - 1, right - 1) for top, left, bottom, right in merged])
    wb.close()
    return Table(path, ws.title, names, [[_text(v) for v in row] for row in grid])


def _read_xls(path: str, sheet: str | None) -> Table:
    import xlrd

    try:
        with open(os.devnull, "w") as quiet:  # xlrd writes its English warnings to a log file
            try:
                book = xlrd.open_workbook(path, formatting_info=True, logfile=quiet)
            except NotImplementedError:  # formatting (needed for merged cells) is not read from every BIFF version
                book = xlrd.open_workbook(path, logfile=quiet)
    except Exception:  # xlrd raises several kinds for a file that is not a BIFF workbook
        raise DocgenError(f"{path}：无法读取，不是有效的 Excel 97-2003（.xls）文件") from None
    names = book.sheet_names()
    ws = book.sheet_by_index(_pick_sheet(path, names, sheet))
    grid = []
    for r in range(ws.nrows):
        row = []
        for c in range(ws.ncols):
            cell = ws.cell(r, c)
            value = cell.value
            if cell.ctype == xlrd.XL_CELL_DATE:
                value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                value = None
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            row.append(value)
        grid.append(row)
    _fill_merged(grid, [(top, left, bottom - 1, right - 1) for top, bottom, left, right in ws.merged_cells])
    return Table(path, ws.name, names, [[_text(v) for v in row] for row in grid])


def decode_csv(path: str, data: bytes) -> str:
    """UTF-8 (with or without BOM) if the bytes are valid UTF-8, else GB18030 (which covers GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocgenError(f"{path}：无法识别文件编码（应为 UTF-8 或 GBK），请在 Excel 中另存为 .xlsx 后再导入")


def _read_csv(path: str) -> Table:
    import csv
    import io

    with open(path, "rb") as handle:
        text = decode_csv(path, handle.read())
    try:
        rows = [[_text(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise DocgenError(f"{path}：不是有效的 CSV 文件（{exc}）") from None
    return Table(path, None, [], rows)


def header_key(text: str) -> str:
    """A header as compared: NFKC, no spaces, no required-field star (“*企业名称”)."""
    return re.sub(r"\s+", "", nfkc(text)).strip("*")


def _variants(key: str) -> list[str]:
    """Readings of a header, most literal first: as written, without a bracketed note, its parts."""
    result = [key]
    bare = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", key)
    if bare and bare != key:
        result.append(bare)
    return result


_NOT_DATA = {"序号", "序", "no", "no."}  # row numbers: never data to import


class HeaderMap:
    """Field names and their header aliases, plus the clerk's own `--column 字段=表头` choices."""

    def __init__(self, fields: dict[str, tuple[str, ...]], manual: tuple[str, ...] = ()):
        self.fields = fields
        self.lookup = {header_key(alias): name for name, aliases in fields.items() for alias in aliases}
        self.manual: dict[str, str] = {}  # header key -> field
        for choice in manual:
            field, sep, header = choice.partition("=")
            if not sep or not field.strip() or not header.strip():
                raise DocgenError(f"--column “{choice}”应写成 字段=表头，如 --column 联系电话=手机号码")
            name = field.strip() if field.strip() in fields else self.lookup.get(header_key(field))
            if name is None:
                known = "、".join(aliases[0] for aliases in fields.values())
                raise DocgenError(f"--column “{choice}”：没有“{field.strip()}”这个字段。可用的字段：{known}")
            self.manual[header_key(header)] = name

    def title(self, name: str) -> str:
        return self.fields[name][0]

    def field_of(self, cell: str) -> str | None:
        """The field a header cell names, or None. A header whose parts (“统一社会信用代码/注册号”)
        name two different fields names none."""
        if not cell:
            return None
        key = header_key(cell)
        if key in self.manual:
            return self.manual[key]
        for variant in _variants(key):
            if variant in self.lookup:
                return self.lookup[variant]
        found = set()
        for part in re.split(r"[/、|]", _variants(key)[-1]):
            if part in self.lookup:
                found.add(self.lookup[part])
        return found.pop() if len(found) == 1 else None

    def find(self, table: Table) -> Header:
        """The header in the first rows of `table`: one row, or two where a second row holds
        sub-headers under group names (the sub-header is used, never the group name)."""
        rows = table.rows
        for i in range(min(HEADER_ROWS_SEARCHED, len(rows))):
            row = rows[i]
            if not any(self.field_of(cell) for cell in row):
                continue  # a title row, or a row of group names over a complete header
            names = list(row)
            below = rows[i + 1] if i + 1 < len(rows) else []
            sub = [c for c, cell in enumerate(below)
                   if cell and (c >= len(row) or cell != row[c]) and self.field_of(cell)]
            if sub:
                names += [""] * (len(below) - len(names))
                names = [below[c] if c < len(below) and below[c] else names[c] for c in range(len(names))]
            mapped = {c: f for c, cell in enumerate(names) if (f := self.field_of(cell))}
            if len(set(mapped.values())) >= 2 or (self.manual and any(header_key(n) in self.manual for n in names)):
                return self._header(table, names, mapped, i + (2 if sub else 1))
        others = [s for s in table.sheets if s != table.sheet]
        hint = f"。本文件还有工作表：{'、'.join(others)}，可用 --sheet 指定" if others else ""
        wanted = "、".join(f"“{aliases[0]}”" for aliases in list(self.fields.values())[:4])
        raise DocgenError(f"{table.where}：前 {HEADER_ROWS_SEARCHED} 行中找不到表头（需要 {wanted} 等列名）{hint}")

    def _header(self, table: Table, names: list[str], mapped: dict[int, str], body: int) -> Header:
        by_field: dict[str, list[int]] = {}
        for col, name in mapped.items():
            by_field.setdefault(name, []).append(col)
        columns = {}
        for name, cols in by_field.items():
            chosen = [c for c in cols if header_key(names[c]) in self.manual]
            if len(chosen) == 1:
                cols = chosen
            if len(cols) > 1:
                listed = "、".join(f"“{names[c]}”（{column_letter(c)} 列）" for c in cols)
                raise DocgenError(f"{table.where}：表头有歧义，{listed}都对应“{self.title(name)}”，无法确定用哪一列。"
                                  f"请用 --column {self.title(name)}=表头 指定，或删去多余的列")
            columns[name] = cols[0]
        present = {header_key(n) for n in names}
        for key, name in self.manual.items():
            if key not in present:
                raise DocgenError(f"{table.where}：找不到 --column 指定的表头“{key}”（{self.title(name)}）")
        used = set(columns.values())
        ignored = [f"“{name.strip()}”（{column_letter(c)} 列）" for c, name in enumerate(names)
                   if c not in used and name.strip() and header_key(name) not in _NOT_DATA]
        return Header(columns, {name: names[c] for name, c in columns.items()}, body, ignored)


def body_rows(table: Table, header: Header) -> list[tuple[int, dict[str, str]]]:
    """(Excel row number, field -> text) for every row below the header with a value in a mapped column."""
    result = []
    for index in range(header.first_body_row, len(table.rows)):
        values = table.rows[index]
        row = {name: values[col] if col < len(values) else "" for name, col in header.columns.items()}
        if any(row.values()):
            result.append((index + 1, row))
    return result
