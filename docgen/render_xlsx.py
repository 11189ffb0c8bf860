"""Excel backend: a template sheet with one `{{ row.… }}` row, repeated once per record.

Rows above the repeated row (titles) are rendered with the plan's context; rows below
it (signature lines) move down under the data. A cell whose text starts with
`{# merge #}` is merged vertically over consecutive rows of the same group. Text is
always stored as text: a value such as "=1+1" never becomes a formula.
"""

from __future__ import annotations

import io
import re
from copy import copy

import jinja2
from openpyxl import load_workbook

from docgen.model import display_width
from docgen.package import normalise
from docgen.problems import DocgenError

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SINGLE = re.compile(r"^\s*\{\{(.*?)\}\}\s*$", re.S)
MERGE = "{# merge #}"


def _finalize(value):
    return "" if value is None else value


ENV = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, finalize=_finalize)


class _Cell:
    """A template cell: either a single expression (keeps numbers numeric) or a text template."""

    def __init__(self, source, template: str):
        self.merge = isinstance(source, str) and source.startswith(MERGE)
        text = source[len(MERGE):] if self.merge else source
        self.static = not (isinstance(text, str) and ("{{" in text or "{%" in text))
        self.value = text
        if self.static:
            return
        try:
            single = _SINGLE.match(text)
            if single and "}}" not in single.group(1):
                self.expr = ENV.compile_expression(single.group(1).strip(), undefined_to_none=False)
                self.tpl = None
            else:
                self.expr = None
                self.tpl = ENV.from_string(text)
        except jinja2.TemplateSyntaxError as exc:
            raise DocgenError(f"模板 {template} 有语法错误：{exc.message}") from None

    def evaluate(self, context: dict, template: str):
        if self.static:
            return self.value
        try:
            value = self.expr(**context) if self.expr is not None else self.tpl.render(context)
        except jinja2.UndefinedError as exc:
            raise DocgenError(f"模板 {template} 引用了不存在的字段：{exc.message}") from None
        if isinstance(value, jinja2.Undefined):
            str(value)  # raises for StrictUndefined
        return value


def _put(cell, value) -> None:
    if value is None or value == "":
        cell.value = None
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = _INVALID.sub("", str(value))
        cell.value = value
        cell.data_type = "s"  # never a formula, whatever the text starts with
    else:
        cell.value = value


def _row_height(values: list, widths: list[float], sizes: list[float], skip: set[int],
                minimum: float | None) -> float:
    """A row height tall enough for its wrapped text: neither Excel nor LibreOffice reliably grows
    rows with wrapped text when opening a file, and a clipped cell prints clipped."""
    lines, size = 1, 11.0
    for column, value in enumerate(values):
        if value is None or value == "" or column in skip:
            continue
        usable = max(1.0, widths[column] - 1)
        size = max(size, sizes[column])
        needed = sum(max(1, -(-display_width(part) // usable)) for part in str(value).split("\n"))
        lines = max(lines, int(needed))
    return max(lines * size * 1.45 + 4, minimum or 0)


def _repeat_row(ws) -> int | None:
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and ("row." in cell.value or cell.value.startswith(MERGE)):
                return cell.row
    return None


def render_workbook(path: str, name: str, context: dict, all_rows, title: str, when: str) -> bytes:
    """Fill the template at `path`; rows are the contexts of the repeated row (each gets `row`):
    one list for every sheet, or a dict from sheet title to its list."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        rows = all_rows.get(ws.title, []) if isinstance(all_rows, dict) else all_rows
        rep = _repeat_row(ws)
        last_row = ws.max_row
        width = ws.max_column
        if rep is not None:
            from openpyxl.utils import get_column_letter

            cells = [_Cell(ws.cell(rep, c).value, name) for c in range(1, width + 1)]
            widths = [ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, width + 1)]
            sizes = [float(ws.cell(rep, c).font.sz or 11) for c in range(1, width + 1)]
            merged_columns = {c for c, cell in enumerate(cells) if cell.merge}
            styles = [copy(ws.cell(rep, c)._style) for c in range(1, width + 1)]
            height = ws.row_dimensions[rep].height
            footer = {}
            for r in range(rep + 1, last_row + 1):
                footer[r] = ([(ws.cell(r, c).value, copy(ws.cell(r, c)._style)) for c in range(1, width + 1)],
                             ws.row_dimensions[r].height)
            merges = [m for m in ws.merged_cells.ranges if m.min_row > rep]
            moved = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in merges]
            for m in merges:
                ws.unmerge_cells(str(m))
            for r in footer:
                for c in range(1, width + 1):
                    ws.cell(r, c).value = None
            count = max(len(rows), 1)
            keys = []
            for i in range(count):
                r = rep + i
                row_context = {**context, "row": rows[i]} if rows else None
                values = [cell.evaluate(row_context, name) if row_context else None for cell in cells]
                for c, (value, style) in enumerate(zip(values, styles), 1):
                    target = ws.cell(r, c)
                    target._style = copy(style)
                    _put(target, value)
                ws.row_dimensions[r].height = _row_height(values, widths, sizes, merged_columns, height) \
                    if rows else height
                keys.append(rows[i].get("merge_key") if rows else None)
            shift = count - 1
            for r, (values, h) in sorted(footer.items(), reverse=True):
                for c, (value, style) in enumerate(values, 1):
                    target = ws.cell(r + shift, c)
                    target._style = style
                    _put(target, ENV.from_string(value).render(context) if isinstance(value, str) and "{{" in value
                         else value)
                ws.row_dimensions[r + shift].height = h
            for r1, c1, r2, c2 in moved:
                ws.merge_cells(start_row=r1 + shift, start_column=c1, end_row=r2 + shift, end_column=c2)
            for c, cell in enumerate(cells, 1):
                if not cell.merge:
                    continue
                start = 0
                for i in range(1, count + 1):
                    if i == count or keys[i] != keys[start] or keys[i] is None:
                        if i - start > 1:
                            ws.merge_cells(start_row=rep + start, start_column=c, end_row=rep + i - 1, end_column=c)
                        start = i
        for row in ws.iter_rows(max_row=(rep - 1) if rep else ws.max_row):
            for target in row:
                if isinstance(target.value, str) and ("{{" in target.value or "{%" in target.value):
                    _put(target, _Cell(target.value, name).evaluate(context, name))
    wb.properties.title = title
    buffer = io.BytesIO()
    wb.save(buffer)
    return normalise(buffer.getvalue(), title, when)
