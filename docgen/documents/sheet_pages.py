"""Where a printed table's pages break, so that a group of rows prints on one page.

06 人员分组及车辆安排情况表 merges each group's 组别, 组长 and vehicle cells over the group's rows.
Left to Excel or LibreOffice, a page may break inside a group: its merged cells print on the first
page only, and the members on the next page stand under no group. So the renderer works out the
pages itself, from the sheet's page setup and the row heights it writes anyway, and puts a manual
break before every group that would not fit on the rest of its page.

Excel ignores manual breaks under "fit to page", so a sheet fitted to one page wide is printed at
the scale that fitting would choose (worked out from the column widths) when breaks are added. A
sheet that fits on one page is left exactly as it was; so is one the template fits to a number of
pages tall, or that already has manual breaks.
"""

from __future__ import annotations

import html
import math
import re

POINTS_PER_MM = 72 / 25.4
# paperSize codes of SpreadsheetML (ECMA-376 Part 1, 18.3.1.63) → (width, height) in mm, portrait
PAPERS = {1: (215.9, 279.4), 5: (215.9, 355.6), 8: (297.0, 420.0), 9: (210.0, 297.0), 11: (148.0, 210.0)}
MARGINS = {"left": 0.7, "right": 0.7, "top": 0.75, "bottom": 0.75, "header": 0.3}  # Excel's defaults, inches
SAFETY = 0.97  # rows without a height of their own are estimated: leave a little of each page spare
# the elements a worksheet may hold after its sheetData that docgen writes or passes by, in schema order
# (ECMA-376 Part 1, CT_Worksheet)
_TAIL = ("mergeCells", "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
         "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
         "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture",
         "oleObjects", "controls", "webPublishItems", "tableParts", "extLst")
_PAGE_SETUP = re.compile(r"<pageSetup\b[^>]*?/?>")
_FIT = re.compile(r'(<pageSetUpPr\b[^>]*?)\s+fitToPage="(?:1|true)"')
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def insert(after: str, element: str, block: str) -> str:
    """The worksheet's XML after its sheetData (`after`) with `block`, an `element`, in its schema
    place: before the first element that must follow it, else before the worksheet's end."""
    later = [f"<{e}" for e in _TAIL[_TAIL.index(element) + 1:]] + ["</worksheet>"]
    at = min((i for i in (after.find(tag) for tag in later) if i >= 0), default=len(after))
    return after[:at] + block + after[at:]


def _attrs(tag: str) -> dict[str, str]:
    return dict(_ATTR.findall(tag))


def print_titles(workbook_xml: str, sheet_index: int) -> tuple[int, int] | None:
    """The rows a sheet repeats at the top of every page (`_xlnm.Print_Titles`), if any."""
    for attrs, text in re.findall(r"<definedName\b([^>]*)>(.*?)</definedName>", workbook_xml, re.S):
        attrs = _attrs(attrs)
        if attrs.get("name") != "_xlnm.Print_Titles" or attrs.get("localSheetId") != str(sheet_index):
            continue
        rows = re.search(r"\$(\d+):\$(\d+)", html.unescape(text))
        if rows:
            return int(rows.group(1)), int(rows.group(2))
    return None


class PageSetup:
    """A sheet's printable area, in the sheet's own (unscaled) points, from its XML around the data."""

    def __init__(self, before: str, after: str, widths: list[float], default_height: float):
        self.before, self.after = before, after
        self.default_height = default_height
        self.usable = None  # printable height per page, unscaled points; None: not ours to break
        self.fullest = None  # the most a page may take: LibreOffice prints from the header's margin when it is empty
        self.fitted, self.scale = False, 100
        if "<rowBreaks" in after:
            return
        setup = _PAGE_SETUP.search(after)
        attrs = _attrs(setup.group(0)) if setup else {}
        try:
            paper = PAPERS.get(int(attrs.get("paperSize", "1")))
            margins = dict(MARGINS)
            found = re.search(r"<pageMargins\b[^>]*>", after)
            if found:
                margins.update({k: float(v) for k, v in _attrs(found.group(0)).items() if k in MARGINS})
            fitted = _FIT.search(before) is not None
            tall = int(attrs.get("fitToHeight", "1"))
            wide = int(attrs.get("fitToWidth", "1"))
            scale = int(attrs.get("scale", "100"))
        except ValueError:
            return
        if paper is None:
            return
        width, height = paper if attrs.get("orientation") != "landscape" else paper[::-1]
        page_width = width * POINTS_PER_MM - (margins["left"] + margins["right"]) * 72
        page_height = height * POINTS_PER_MM - (margins["top"] + margins["bottom"]) * 72
        self.fitted = fitted
        if fitted:
            if tall != 0 or wide > 1:  # fitted to a number of pages: Excel decides, breaks would be ignored
                return
            table = sum(_column_points(w) for w in widths)
            # LibreOffice sets columns a little wider than Excel's arithmetic: a table scaled to fit exactly
            # spilled its last column onto pages of its own, so a scaled one is given 3 % of room
            scale = 100 if wide == 0 or table <= page_width else math.floor(page_width / (table * 1.03) * 100)
        if not 10 <= scale <= 400:
            return
        self.scale = scale
        self.usable = page_height * 100 / scale * SAFETY
        empty_header = not re.search(r"<oddHeader>[^<]", after)
        top = min(margins["top"], margins["header"]) if empty_header else margins["top"]
        self.fullest = (height * POINTS_PER_MM - (top + margins["bottom"]) * 72) * 100 / scale

    def with_breaks(self, after_rows: list[int]) -> tuple[str, str]:
        """The XML before and after the data with manual breaks after `after_rows` (and, if the
        sheet was fitted to the page, that fitting turned into its scale)."""
        before, after = self.before, self.after
        if self.fitted:
            before = _FIT.sub(r"\1", before, count=1)
            setup = _PAGE_SETUP.search(after)
            tag = re.sub(r'\s+scale="[^"]*"', "", setup.group(0))
            tag = tag.replace("<pageSetup", f'<pageSetup scale="{self.scale}"', 1)
            after = after[: setup.start()] + tag + after[setup.end():]
        block = (f'<rowBreaks count="{len(after_rows)}" manualBreakCount="{len(after_rows)}">'
                 + "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in after_rows) + "</rowBreaks>")
        return before, insert(after, "rowBreaks", block)


def _tail_kept(heights: dict[int, float], first: int, last: int, below: int, used: float, pages: tuple,
               repeated: float) -> list[int]:
    """A break two rows above `below` when the page breaks that rows `first`..`last` will take (one
    row at a time, from `used`) leave only the rows from `below` on the last page, with pages of any
    of the heights in `pages` (Excel's and LibreOffice's differ by a few rows)."""
    for page in pages:
        filled, start = used, first  # (the first row of the page the block ends on)
        for r in range(first, last + 1):
            if filled + heights.get(r, 0.0) > page and filled > repeated:  # the row goes to a new page
                filled, start = repeated, r
            filled += heights.get(r, 0.0)
        if start >= below and below - 2 > first:
            return [below - 3]
    return []


def _column_points(width: float) -> float:
    """A column `width` (characters of the default font's digit) in points: 7 pixels a character for
    Calibri 11, 96 pixels an inch, and 5 pixels of padding (Excel counts them in the width, LibreOffice
    does not: the wider reading, so that the table never ends up wider than the page)."""
    return (width * 7 + 5) * 0.75


def group_breaks(heights: dict[int, float], blocks: list[tuple[int, int]], usable: float,
                 titles: tuple[int, int] | None, first_data: int, below: int | None = None,
                 fullest: float | None = None) -> list[int]:
    """Rows after which a page should break so that no block of rows (a group) straddles two pages.

    `heights`: every row's height; `blocks`: (first, last) row of each unit in print order, rows that
    belong to no group as blocks of one; `titles`: the rows every page repeats; `first_data`: the
    table's first row (the headings above it never end a page alone); `below`: the first row under
    the table (signature lines), in the last block; `fullest`: the most a page may hold. A block taller
    than a page breaks where it must; when that would leave the signature lines alone on the last page
    (on pages as estimated or as full as they may be), two rows of the table go with them."""
    repeated = sum(heights.get(r, 0.0) for r in range(titles[0], titles[1] + 1)) if titles else 0.0
    breaks, used, fresh = [], 0.0, True
    for first, last in blocks:
        tall = sum(heights.get(r, 0.0) for r in range(first, last + 1))
        if used + tall > usable and not fresh:
            breaks.append(first - 1)
            used = repeated
        if below is not None and first < below <= last and used + tall > usable > repeated:
            breaks += _tail_kept(heights, first, last, below, used, (usable, usable / SAFETY, fullest or usable),
                                 repeated)
        used += tall
        fresh = False
        while used > usable and usable > repeated:  # a block longer than a page: automatic breaks
            used = repeated + (used - usable)
        if last < first_data or titles and last <= titles[1]:
            fresh = True  # the page holds headings only: a break here would leave them alone
    return breaks
