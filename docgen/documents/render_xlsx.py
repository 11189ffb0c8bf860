"""Excel backend: a template sheet with one `{{ row.… }}` row, repeated once per record.

Rows above the repeated row (titles) are rendered with the plan's context; rows below
it (signature lines) move down under the data. A cell whose text starts with
`{# merge #}` is merged vertically over consecutive rows of the same group. Text is
always stored as text (inline strings): a value such as "=1+1" never becomes a formula.

Like the Word backend, a template is read once and kept prepared (`.docgen/templates/`):
each sheet's XML split into its rows and cells, with the column widths and font sizes
the row heights need. A workbook is then string work on the sheet XML plus a stored zip
of the template's other parts, unchanged. openpyxl is not used for building: importing
it and writing every cell through its object model took longer than the rest of a
one-record rebuild together. What is kept as it is: everything outside `sheetData` and
`mergeCells`; rows below the repeated row move down, merged cells with them, but
formulas, conditional formats or data validations that point at those rows are not
rewritten (openpyxl did not rewrite them either).
"""

from __future__ import annotations

import functools
import html
import math
import posixpath
import re

import jinja2

from docgen.documents import sheet_pages, templating
from docgen.cache import remembered
from docgen.documents.package import CORE_PATH, column_letters, column_number, core_xml, escape, write_package
from docgen.records.problems import DocgenError

MERGE = "{# merge #}"
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_SINGLE = re.compile(r"^\s*\{\{(.*?)\}\}\s*$", re.S)
_ROW = re.compile(r"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELL = re.compile(r"<c\b[^>]*?(?:/>|>.*?</c>)", re.S)
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_TEXT = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_REF = re.compile(r"^([A-Z]+)([0-9]+)$")
_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData\b[^>]*>(.*?)</sheetData>", re.S)
_MERGE_CELLS = re.compile(r"<mergeCells\b[^>]*?(?:/>|>.*?</mergeCells>)", re.S)
_DIMENSION = re.compile(r"<dimension\b[^>]*/>")
_FORMULA = re.compile(r"<f[\s>/]")
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)  # reading aids (ruby) are not part of the text
FORMAT = "xlsx-4"  # of the prepared form below; part of its cache key


def _finalize(value):
    return "" if value is None else value


ENV = templating.environment(autoescape=False, undefined=jinja2.StrictUndefined, finalize=_finalize)


# -- reading a template -------------------------------------------------------------------
def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag[: tag.index(">") + 1] if ">" in tag else tag))


def _plain(xml: str) -> str:
    return "".join(html.unescape(m or "") for m in _TEXT.findall(_PHONETIC.sub("", xml)))


def _text_of(cell_xml: str, shared: list[str]) -> str | None:
    """The text a cell shows, when it is text (inline or shared); None for numbers and formulas."""
    kind = _attrs(cell_xml).get("t")
    if _FORMULA.search(cell_xml):
        return None
    if kind == "inlineStr":
        return _plain(cell_xml)
    if kind == "s":
        found = re.search(r"<v>(\d+)</v>", cell_xml)
        index = int(found.group(1)) if found else -1
        return shared[index] if 0 <= index < len(shared) else None
    return None


def _shared_strings(parts: dict[str, bytes]) -> list[str]:
    blob = parts.get("xl/sharedStrings.xml")
    if blob is None:
        return []
    return [_plain(item) for item in re.findall(r"<si\b[^>]*?(?:/>|>.*?</si>)", blob.decode("utf-8"), re.S)]


def _font_sizes(parts: dict[str, bytes]) -> dict[str, float]:
    """Font size of every cell style (the `s` of a cell), for row heights."""
    blob = parts.get("xl/styles.xml")
    if blob is None:
        return {}
    text = blob.decode("utf-8")
    fonts = re.search(r"<fonts\b[^>]*>(.*?)</fonts>", text, re.S)
    sizes = []
    for font in re.findall(r"<font\b[^>]*?(?:/>|>.*?</font>)", fonts.group(1) if fonts else "", re.S):
        size = re.search(r'<sz\b[^>]*\bval="([0-9.]+)"', font)
        sizes.append(float(size.group(1)) if size else 11.0)
    xfs = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", text, re.S)
    result = {}
    for n, xf in enumerate(re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", xfs.group(1) if xfs else "", re.S)):
        font = int(_attrs(xf).get("fontId", "0") or 0)
        result[str(n)] = sizes[font] if font < len(sizes) else 11.0
    return result


def _sheets(parts: dict[str, bytes]) -> list[tuple[int, str, str]]:
    """(index among the workbook's sheets, title, part name) of every worksheet, in workbook order."""
    workbook = parts.get("xl/workbook.xml", b"").decode("utf-8")
    rels = parts.get("xl/_rels/workbook.xml.rels", b"").decode("utf-8")
    targets = {}
    for rel in re.findall(r"<Relationship\b[^>]*>", rels):
        attrs = _attrs(rel)
        target = attrs.get("Target", "")
        targets[attrs.get("Id")] = target.lstrip("/") if target.startswith("/") else \
            posixpath.normpath(posixpath.join("xl", target))
    found = []
    for index, sheet in enumerate(re.findall(r"<sheet\b[^>]*>", workbook)):
        attrs = _attrs(sheet)
        part = targets.get(attrs.get("r:id"))
        if part in parts and "worksheet" in part:
            found.append((index, html.unescape(attrs.get("name", "")), part))
    return found


def prepare(entries: list[tuple[str, bytes]]) -> dict:
    """The template's sheets taken apart into rows and cells (JSON, kept in the archive cache)."""
    parts = dict(entries)
    shared = _shared_strings(parts)
    sheets = []
    workbook = parts.get("xl/workbook.xml", b"").decode("utf-8")
    for index, title, part in _sheets(parts):
        xml = parts[part].decode("utf-8")
        data = _SHEET_DATA.search(xml)
        if data is None:
            continue
        rows = []
        for row_xml in _ROW.findall(data.group(1) or ""):
            row_attrs = _attrs(row_xml)
            attrs = {k: v for k, v in row_attrs.items() if k != "r"}
            cells = []
            for cell_xml in _CELL.findall(row_xml):
                cell_attrs = _attrs(cell_xml)
                ref = _REF.match(cell_attrs.get("r", ""))
                if ref is None:
                    continue
                text = _text_of(cell_xml, shared)
                dynamic = isinstance(text, str) and ("{{" in text or "{%" in text or text.startswith(MERGE))
                cells.append({"col": column_number(ref.group(1)), "s": cell_attrs.get("s"),
                              "xml": cell_xml, "text": text if dynamic else None, "shown": text})
            rows.append({"r": int(row_attrs.get("r", len(rows) + 1)), "attrs": attrs, "cells": cells})
        repeat = next((row["r"] for row in rows for cell in row["cells"]
                       if cell["text"] is not None and ("row." in cell["text"] or cell["text"].startswith(MERGE))),
                      None)
        widths = {}
        for col in re.findall(r"<col\b[^>]*>", xml):
            attrs = _attrs(col)
            try:
                for n in range(int(attrs["min"]), int(attrs["max"]) + 1):
                    widths[str(n)] = float(attrs.get("width", 8.43))
            except (KeyError, ValueError):
                continue
        merges = []
        block = _MERGE_CELLS.search(xml)
        if block:
            merges = re.findall(r'<mergeCell\b[^>]*\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"', block.group(0))
        default = re.search(r'<sheetFormatPr\b[^>]*\bdefaultRowHeight="([0-9.]+)"', xml)
        sheets.append({"title": title, "part": part, "before": xml[: data.start()], "after": xml[data.end():],
                       "rows": rows, "repeat": repeat, "widths": widths, "merges": merges,
                       "titles": sheet_pages.print_titles(workbook, index),
                       "default_height": float(default.group(1)) if default else 15.0})
    return {"format": FORMAT, "sheets": sheets, "sizes": _font_sizes(parts)}


# -- cells --------------------------------------------------------------------------------
def _cell_xml(ref: str, style: str | None, value) -> str:
    s = f' s="{style}"' if style is not None else ""
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = _inline_text(value) if type(value) is str else _inline_text(str(value))
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def keep_typed(value: str) -> str:
    """`_xHHHH_` in a cell is an escape to Excel (U+HHHH): one a clerk typed is kept as text, its
    underscore written as `_x005F_` (Excel shows `_x0041_`, not `A`)."""
    return _OOXML_ESCAPE.sub(r"_x005F\g<0>", value)


@functools.lru_cache(maxsize=16384)
def _inline_text(value: str) -> str:
    """A cell's text as XML (remembered: a table of 3,000 rows repeats its dates, names and results),
    a typed `_xHHHH_` kept as text (`keep_typed`)."""
    return keep_typed(escape(_INVALID.sub("", value)))


def _moved(cell_xml: str, ref: str) -> str:
    """A template cell as it is, under another reference."""
    return re.sub(r'(<c\b[^>]*?\br=")[A-Z]+[0-9]+(")', lambda m: m.group(1) + ref + m.group(2), cell_xml, count=1)


class _Text:
    """A text template of one cell: a single expression keeps numbers numeric."""

    def __init__(self, text: str, template: str, key: str):
        self.merge = text.startswith(MERGE)
        body = text[len(MERGE):] if self.merge else text
        self.static = "{{" not in body and "{%" not in body
        self.body = body
        self.expr = None
        if self.static:
            return
        single = _SINGLE.match(body)
        self.expr = single.group(1).strip() if single and "}}" not in single.group(1) else None
        self.key, self.compiled = key, None
        if self.expr:  # compiled when first rendered: in the repeated row, the row's expression serves
            return
        try:
            self.tpl = templating.template(ENV, "xlsx", key, body)
        except jinja2.TemplateSyntaxError as exc:
            raise templating.syntax_error(template, exc) from None

    def render(self, context: dict, template: str):
        if self.static:
            return self.body
        if self.expr:
            if self.compiled is None:
                self.compiled = _compile((self.expr,), template, self.key)
            return _evaluate(self.compiled, context, template)[0]
        try:
            return self.tpl.render(context)
        except templating.TEMPLATE_FAULTS as exc:
            raise templating.failure(template, exc) from None


def _compile(expressions: tuple[str, ...], template: str, key: str):
    """The values of several cells from one evaluation: a row costs one, not one per cell."""
    try:
        return templating.expressions(ENV, "xlsx", key, expressions)
    except jinja2.TemplateSyntaxError as exc:
        raise templating.syntax_error(template, exc) from None


def _evaluate(compiled, context: dict, template: str) -> tuple:
    try:
        values = compiled(context)
        for value in values:
            if isinstance(value, jinja2.Undefined):
                str(value)  # raises for StrictUndefined
    except templating.TEMPLATE_FAULTS as exc:
        raise templating.failure(template, exc) from None
    return values


def _row_height(values: list, widths: list[float], sizes: list[float], skip: set[int],
                minimum: float | None) -> float:
    """A row height tall enough for its wrapped text: neither Excel nor LibreOffice reliably grows
    rows with wrapped text when opening a file, and a clipped cell prints clipped."""
    lines, size = 1, 11.0
    for column, value in enumerate(values):
        if value is None or value == "" or column in skip:
            continue
        size = max(size, sizes[column])
        lines = max(lines, _lines(value if type(value) is str else str(value), widths[column]))
    return max(lines * size * 1.45 + 4, minimum or 0)


@functools.lru_cache(maxsize=16384)
def _lines(text: str, width: float) -> int:
    """Lines a text wraps to in a column `width` characters wide (remembered, as `_inline_text`): a
    Chinese character (two columns) is never split, so a line holds as many whole ones as fit — 16
    of them in a column 12 wide take 4 lines of 5, not 3 of 5½."""
    usable = max(1.0, width - 1)
    return sum(_part_lines(part, usable) for part in text.split("\n"))


def _part_lines(part: str, usable: float) -> int:
    """Lines of one paragraph of a cell. Characters of ambiguous width (“ ” · —) count as wide: they
    print full-width in the forms' Chinese faces (a 抽查类型 taken for one line printed on two, clipped)."""
    if part.isascii() and len(part) <= usable:
        return 1  # (most cells)
    import unicodedata

    lines, used = 1, 0
    for char in part:
        wide = 2 if not char.isascii() and unicodedata.east_asian_width(char) in "WFA" else 1
        if used + wide > usable and used:
            lines, used = lines + 1, 0
        used += wide
    return lines


def _height_text(height: float) -> str:
    return f"{height:.2f}".rstrip("0").rstrip(".")


# -- rendering ----------------------------------------------------------------------------
class _Sheet:
    def __init__(self, sheet: dict, sizes: dict[str, float], name: str):
        self.sheet = sheet
        self.name = name
        self.texts = {}  # (row, col) -> _Text for every templated cell outside the repeated row
        self.repeat = sheet["repeat"]
        rows = sheet["rows"]
        self.width = max((cell["col"] for row in rows for cell in row["cells"]), default=1)
        for row in rows:
            if row["r"] == self.repeat:
                continue
            for cell in row["cells"]:
                if cell["text"] is not None:
                    self.texts[(row["r"], cell["col"])] = _Text(cell["text"], name,
                                                                f"{name}/{sheet['part']}/{row['r']}/{cell['col']}")
        self.template_row = next((row for row in rows if row["r"] == self.repeat), None)
        if self.template_row is None:
            return
        moving = [f"{column_letters(cell['col'])}{row['r']}" for row in rows if row["r"] >= self.repeat
                  for cell in row["cells"] if _FORMULA.search(cell["xml"])]
        if moving:  # its references would not follow the rows: wrong figures, silently
            raise DocgenError(f"模板 {name} 的工作表“{sheet['title']}”中，单元格 {'、'.join(moving[:3])} 是公式。"
                              "表格的行数随记录变化，公式引用的行不会随之调整；请改为普通文字，或移到表头的行中")
        by_col = {cell["col"]: cell for cell in self.template_row["cells"]}
        self.columns = [by_col.get(c) for c in range(1, self.width + 1)]
        self.cell_texts = [_Text(c["text"], name, f"{name}/{sheet['part']}/{self.repeat}/{c['col']}")
                           if c and c["text"] is not None else None for c in self.columns]
        self.merged = {i for i, t in enumerate(self.cell_texts) if t is not None and t.merge}
        singles = [(i, t.expr) for i, t in enumerate(self.cell_texts) if t is not None and t.expr]
        self.single_cols = [i for i, _ in singles]
        self.row_expr = _compile(tuple(e for _, e in singles), name, f"{name}/{sheet['part']}/{self.repeat}") \
            if singles else None
        self.text_cols = [i for i, t in enumerate(self.cell_texts) if t is not None and t.expr is None]
        self.fixed = [c["shown"] if c is not None and t is None else None
                      for c, t in zip(self.columns, self.cell_texts)]  # plain text in the repeated row
        self.letters = [column_letters(c) for c in range(1, self.width + 1)]
        self.widths = [float(sheet["widths"].get(str(c), 8.43)) for c in range(1, self.width + 1)]
        self.sizes = [float(sizes.get(str(c["s"]), 11.0)) if c else 11.0 for c in self.columns]
        height = self.template_row["attrs"].get("ht")
        self.height = float(height) if height else None

    def _row_open(self, r: int, attrs: dict, height: float | None = None) -> str:
        attrs = dict(attrs)
        if height is not None:
            attrs["ht"], attrs["customHeight"] = _height_text(height), "1"
        return f'<row r="{r}"' + "".join(f' {k}="{v}"' for k, v in attrs.items()) + ">"

    def _fixed_row(self, row: dict, r: int, context: dict) -> str:
        out = [self._row_open(r, row["attrs"])]
        for cell in row["cells"]:
            ref = f"{column_letters(cell['col'])}{r}"
            text = self.texts.get((row["r"], cell["col"]))
            if text is not None:
                out.append(_cell_xml(ref, cell["s"], text.render(context, self.name)))
            else:
                out.append(_moved(cell["xml"], ref) if r != row["r"] else cell["xml"])
        return "".join(out) + "</row>"

    def _data_rows(self, context: dict, rows: list) -> tuple[list[str], list, list]:
        out, keys, heights = [], [], []
        start = self.repeat
        for i, row in enumerate(rows or [None]):
            r = start + i
            if row is None:  # no records: the row stays, empty, in the template's style
                values = [None] * self.width
                height = self.height
            else:
                row_context = {**context, "row": row}
                values = list(self.fixed)
                if self.row_expr is not None:
                    for col, value in zip(self.single_cols, _evaluate(self.row_expr, row_context, self.name)):
                        values[col] = value
                for col in self.text_cols:
                    values[col] = self.cell_texts[col].render(row_context, self.name)
                height = _row_height(values, self.widths, self.sizes, self.merged, self.height)
            cells = []
            for col, (value, spec) in enumerate(zip(values, self.columns)):
                if spec is None:
                    continue
                ref = f"{self.letters[col]}{r}"
                if self.cell_texts[col] is None and row is not None:
                    cells.append(_moved(spec["xml"], ref))
                else:
                    cells.append(_cell_xml(ref, spec["s"], value))
            out.append(self._row_open(r, self.template_row["attrs"], height) + "".join(cells) + "</row>")
            keys.append(row.get("merge_key") if isinstance(row, dict) else None)
            heights.append(height)
        return out, keys, heights

    def render(self, context: dict, rows: list) -> str:
        sheet = self.sheet
        if self.template_row is None:
            body = [self._fixed_row(row, row["r"], context) for row in sheet["rows"]]
            return self._assemble(body, sheet["merges"], max((row["r"] for row in sheet["rows"]), default=1))
        count = max(len(rows), 1)
        shift = count - 1
        body = [self._fixed_row(row, row["r"], context) for row in sheet["rows"] if row["r"] < self.repeat]
        data, keys, heights = self._data_rows(context, rows)
        body += data
        body += [self._fixed_row(row, row["r"] + shift, context) for row in sheet["rows"] if row["r"] > self.repeat]
        merges = []
        for ref in sheet["merges"]:
            (c1, r1), (c2, r2) = (_REF.match(part).groups() for part in ref.split(":"))
            if int(r1) > self.repeat:
                ref = f"{c1}{int(r1) + shift}:{c2}{int(r2) + shift}"
            merges.append(ref)
        groups = []  # (first, last) index of each run of rows with one merge key
        start = 0
        for i in range(1, count + 1):
            if i == count or keys[i] != keys[start] or keys[i] is None:
                groups.append((start, i - 1))
                start = i
        for col in sorted(self.merged):
            letters = column_letters(col + 1)
            merges += [f"{letters}{self.repeat + a}:{letters}{self.repeat + b}" for a, b in groups if b > a]
        last = max([row["r"] + (shift if row["r"] > self.repeat else 0) for row in sheet["rows"]] +
                   [self.repeat + shift])
        around = None
        if self.merged and any(b > a for a, b in groups):
            around = self._kept_together(groups, heights, shift)
        return self._assemble(body, merges, last, around)

    def _kept_together(self, groups: list[tuple[int, int]], heights: list[float], shift: int):
        """The sheet's XML around the data with a page break before each group that would not fit
        on the rest of its page (`sheet_pages`), or None when the table needs none."""
        sheet = self.sheet
        setup = sheet_pages.PageSetup(sheet["before"], sheet["after"], self.widths, sheet["default_height"])
        if setup.usable is None:
            return None
        row_heights, blocks = {}, []
        for row in sheet["rows"]:
            if row["r"] == self.repeat:
                continue
            r = row["r"] + (shift if row["r"] > self.repeat else 0)
            height = row["attrs"].get("ht")
            try:
                row_heights[r] = float(height) if height else sheet["default_height"]
            except ValueError:
                row_heights[r] = sheet["default_height"]
        for i, height in enumerate(heights):
            row_heights[self.repeat + i] = height if height is not None else sheet["default_height"]
        for r in range(1, max(row_heights) + 1):
            row_heights.setdefault(r, sheet["default_height"])
        data = {self.repeat + a: self.repeat + b for a, b in groups}
        last_group = self.repeat + groups[-1][0]  # the signature lines below the table go with the last group
        r, bottom = 1, max(row_heights)
        while r <= bottom:
            end = data.get(r, r) if r != last_group else bottom
            blocks.append((r, end))
            r = end + 1
        breaks = sheet_pages.group_breaks(row_heights, blocks, setup.usable, sheet["titles"], self.repeat,
                                          self.repeat + groups[-1][1] + 1, setup.fullest)
        return setup.with_breaks(breaks) if breaks else None

    def _assemble(self, body: list[str], merges: list[str], last_row: int,
                  around: tuple[str, str] | None = None) -> str:
        before, after = around or (self.sheet["before"], self.sheet["after"])
        dimension = f'<dimension ref="A1:{column_letters(self.width)}{last_row}"/>'
        before = _DIMENSION.sub(lambda m: dimension, before, count=1)
        block = (f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
                 + "</mergeCells>") if merges else ""
        if _MERGE_CELLS.search(after):
            after = _MERGE_CELLS.sub(lambda m: block, after, count=1)
        elif block:
            after = sheet_pages.insert(after, "mergeCells", block)
        return before + "<sheetData>" + "".join(body) + "</sheetData>" + after


class WorkbookTemplate:
    """One .xlsx template, ready to fill (prepared form kept in `cache_dir` by content)."""

    def __init__(self, path: str, name: str, cache_dir: str | None = None):
        self.name = name
        blob, self.entries = templating.read_template(path, name, "Excel 文件（.xlsx）", "xl/workbook.xml")

        def make():
            try:
                return prepare(self.entries)
            except (UnicodeDecodeError, ValueError, AttributeError) as exc:
                raise DocgenError(f"模板 {name} 无法读取：{exc}") from None

        prepared = remembered(cache_dir, FORMAT.encode(), blob, make=make,
                              valid=lambda value: isinstance(value, dict) and value.get("format") == FORMAT)
        self.sheets = {sheet["part"]: _Sheet(sheet, prepared["sizes"], name) for sheet in prepared["sheets"]}
        self.constant = templating.constant_parts(self.entries, self.sheets)

    def render(self, context: dict, all_rows, title: str, when: str) -> bytes:
        """Rows are the contexts of the repeated row (each gets `row`): one list for every sheet,
        or a dict from sheet title to its list."""
        out = []
        for part, data in self.entries:
            sheet = self.sheets.get(part)
            if sheet is not None:
                rows = all_rows.get(sheet.sheet["title"], []) if isinstance(all_rows, dict) else all_rows
                data = sheet.render(context, rows or []).encode("utf-8")
            elif part == CORE_PATH:
                data = core_xml(title, when)
            else:
                out.append(self.constant.get(part) or (part, data))
                continue
            out.append((part, data))
        if not any(part == CORE_PATH for part, _ in self.entries):
            out.append((CORE_PATH, core_xml(title, when)))
        return write_package(out)
