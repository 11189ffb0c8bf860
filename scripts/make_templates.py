"""Generate templates/*.docx and templates/*.xlsx — the official forms with Jinja fields.

The generated files are committed; docgen fills them (docxtpl syntax for Word, one
`{{ row.… }}` row for Excel). An office may restyle its copies in Word, WPS or Excel.
Page setup follows GB/T 9704-2012: A4, top 37 mm, binding 28 mm, text block 156 × 225 mm,
body 仿宋_GB2312 3号 with 22 lines × 28 characters, title 方正小标宋简体 2号,
headings 黑体 / 楷体_GB2312, page numbers "— 1 —" in 4号 宋体.
"""

from __future__ import annotations

import io
import os
import pathlib
import re
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

OUT = pathlib.Path(__file__).resolve().parent.parent / "templates"
FANGSONG, HEITI, KAITI, XIAOBIAOSONG, SONGTI = "仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体", "宋体"
LINE = Pt(28.95)  # 225 mm / 22 lines


# -- Word helpers -----------------------------------------------------------------------------
def fonts(element, east: str, size: float | None = None, latin: str | None = None, bold: bool | None = None,
          color: str | None = None) -> None:
    """Set Latin and East-Asian fonts on a style's or run's rPr (w:eastAsia is what Chinese text uses).

    Latin text takes the same Chinese face unless told otherwise (digits in 仿宋 as in most offices'
    documents): a quote or dash opening a paragraph or a line is taken for Latin by LibreOffice, and
    must still print full-width."""
    latin = latin or east
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")  # “ ” ‘ ’ — … are shared by both scripts: print them full-width
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(theme), None)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size * 2)))
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), "1" if bold else "0")
    if color:
        el = rpr.find(qn("w:color"))
        if el is None:
            el = OxmlElement("w:color")
            rpr.append(el)
        el.set(qn("w:val"), color)
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            el.attrib.pop(qn(attr), None)


def indent_chars(paragraph_or_style, first: int = 0, left: int = 0, right: int = 0, hanging: int = 0) -> None:
    """Indents in hundredths of a character (200 = two characters), as Word's 字符 units."""
    ppr = paragraph_or_style._element.get_or_add_pPr()
    ind = ppr.find(qn("w:ind"))
    if ind is None:
        ind = OxmlElement("w:ind")
        ppr.append(ind)
    if first:
        ind.set(qn("w:firstLineChars"), str(first))
        ind.set(qn("w:firstLine"), str(first * 320 // 100))
    if hanging:
        ind.set(qn("w:hangingChars"), str(hanging))
        ind.set(qn("w:hanging"), str(hanging * 320 // 100))
    if left:
        ind.set(qn("w:leftChars"), str(left))
        ind.set(qn("w:left"), str(left * 320 // 100))
    if right:
        ind.set(qn("w:rightChars"), str(right))
        ind.set(qn("w:right"), str(right * 320 // 100))


def setup_document(top=37, bottom=35, left=28, right=26, body_size=16, grid=True, line=LINE) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.PORTRAIT
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(15), Mm(bottom - 9)
    sectpr = section._sectPr
    for old in sectpr.findall(qn("w:docGrid")):
        sectpr.remove(old)
    if grid:
        dgrid = OxmlElement("w:docGrid")
        dgrid.set(qn("w:type"), "lines")
        dgrid.set(qn("w:linePitch"), str(int(line.pt * 20)))
        sectpr.append(dgrid)
    styles = doc.styles
    # Chinese is the document's language, east-Asian and Latin alike (every face is a Chinese one):
    # Word and LibreOffice then set quotes, dashes and ellipses full-width in the CJK font, break
    # lines by Chinese rules, and a missing face falls back to a Chinese one
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    put(defaults, RPR_ORDER, "lang", val="zh-CN", eastAsia="zh-CN", bidi="ar-SA")
    normal = styles["Normal"]
    fonts(normal.element, FANGSONG, body_size)
    if grid:  # 28 characters of 3号 in 156 mm (28 × 16 pt > 442 pt): condense each character by 0.3 pt
        # (by 0.25 pt a line of exactly 28 left LibreOffice no room for a comma or 、 after it: the
        # mark vanished from the PDF instead of closing the line)
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), "-6")
        normal.element.get_or_add_rPr().append(spacing)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.widow_control = False
    title = styles["Title"]
    fonts(title.element, XIAOBIAOSONG, 22, bold=False, color="000000")
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    title.paragraph_format.line_spacing = Pt(36)
    title.paragraph_format.space_after = Pt(0)
    pbdr = title.element.get_or_add_pPr().find(qn("w:pBdr"))
    if pbdr is not None:
        pbdr.getparent().remove(pbdr)
    for name, east, level in (("Heading 1", HEITI, 0), ("Heading 2", KAITI, 1)):
        style = styles[name]
        fonts(style.element, east, body_size, bold=False, color="000000")
        style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = line
        style.paragraph_format.keep_with_next = True
        indent_chars(style, first=200)
    kai = styles.add_style("楷体小标题", 2)  # character style for inline （一） headings
    fonts(kai.element, KAITI, body_size)
    body = styles.add_style("公文正文", 1)
    body.base_style = normal
    indent_chars(body, first=200)
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # page numbers: "— 1 —", 4号 宋体, odd pages right, even pages left, one character in
    doc.settings.odd_and_even_pages_header_footer = True
    page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)
    doc.core_properties.author = "docgen"
    return doc


def page_number(paragraph, align) -> None:
    paragraph.alignment = align
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    indent = OxmlElement("w:ind")
    indent.set(qn("w:rightChars" if align == WD_ALIGN_PARAGRAPH.RIGHT else "w:leftChars"), "100")
    indent.set(qn("w:right" if align == WD_ALIGN_PARAGRAPH.RIGHT else "w:left"), "280")
    paragraph._element.get_or_add_pPr().append(indent)
    fonts(paragraph.add_run("— ")._element, SONGTI, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._element.append(field)
    fonts(run, SONGTI, 14)
    fonts(paragraph.add_run(" —")._element, SONGTI, 14)


def para(doc, text="", style="公文正文", align=None, runs=None, size=None, east=None, indent=None):
    p = doc.add_paragraph(style=style)
    if align is not None:
        p.alignment = align
    if indent is not None:
        indent_chars(p, **indent)
    for part in runs or ([(text, None)] if text else []):
        chunk, rstyle = part
        run = p.add_run(chunk, style=rstyle)
        if size or east:
            fonts(run._element, east or FANGSONG, size)
    return p


def tag(doc, statement: str):
    """A paragraph holding only a docxtpl block tag ({%p … %}); docxtpl removes it when rendering."""
    return doc.add_paragraph("{%p " + statement + " %}", style="Normal")


def save(doc, name: str) -> None:
    buffer = io.BytesIO()
    doc.save(buffer)
    normalise(buffer.getvalue(), OUT / name)


DROP = ("word/stylesWithEffects.xml", "customXml/", "docProps/thumbnail.jpeg")


def slim(entries: dict[str, bytes]) -> dict[str, bytes]:
    """Drop parts python-docx's default template carries but a form never uses, and unused styles."""
    from lxml import etree

    kept = {n: d for n, d in entries.items() if not n.startswith(DROP)}
    dropped = [n for n in entries if n not in kept]
    for rels in [n for n in kept if n.endswith(".rels") or n == "[Content_Types].xml"]:
        tree = etree.fromstring(kept[rels])
        for el in list(tree):
            target = el.get("Target", "") or el.get("PartName", "")
            if any(target.lstrip("/").endswith(d.split("/")[-1]) or ("customXml" in target and
                                                                        d.startswith("customXml/")) for d in dropped):
                tree.remove(el)
        kept[rels] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
    if "word/styles.xml" in kept:
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        tree = etree.fromstring(kept["word/styles.xml"])
        text = b"".join(d for n, d in kept.items() if n.startswith("word/") and n != "word/styles.xml")
        used = set(re.findall(rb'w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', text))
        styles = {el.get(w + "styleId").encode(): el for el in tree.findall(w + "style")}
        keep = {b"Title", b"Heading1", b"Heading2", b"TableGrid"}  # the house styles, used or not
        wanted = {sid for sid, el in styles.items()
                  if el.get(w + "default") == "1" or el.get(w + "customStyle") == "1" or sid in keep} | used
        changed = True
        while changed:
            changed = False
            for sid in list(wanted):
                el = styles.get(sid)
                for link in ("basedOn", "next", "link"):
                    ref = el.find(w + link) if el is not None else None
                    if ref is not None and ref.get(w + "val").encode() not in wanted:
                        wanted.add(ref.get(w + "val").encode())
                        changed = True
        for sid, el in styles.items():
            if sid not in wanted:
                tree.remove(el)
        kept["word/styles.xml"] = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
    return kept


# Child order the OOXML schemas require (ECMA-376, as the Open XML SDK validates it). The builders
# above and python-docx/openpyxl append children as they go; `schema_order` sorts them once at save.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RPR = ("ins del moveFrom moveTo rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
        "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr "
        "shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath rPrChange")
_PPR = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
        "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
        "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
        "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange")
SCHEMA_ORDER = {
    _W + "rPr": _RPR,
    _W + "pPr": _PPR,
    _W + "tblPr": ("tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc "
                   "tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption tblDescription "
                   "tblPrChange"),
    _W + "trPr": ("cnfStyle divId gridBefore gridAfter wBefore wAfter cantSplit trHeight tblHeader tblCellSpacing "
                  "jc hidden ins del trPrChange"),
    _W + "tcPr": ("cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection tcFitText vAlign "
                  "hideMark headers cellIns cellDel cellMerge tcPrChange"),
    _W + "sectPr": ("headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
                    "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
                    "docGrid printerSettings sectPrChange"),
    _W + "style": ("name aliases basedOn next link autoRedefine hidden uiPriority semiHidden unhideWhenUsed "
                   "qFormat locked personal personalCompose personalReply rsid pPr rPr tblPr trPr tcPr tblStylePr"),
    _S + "font": "b i strike condense extend outline shadow u vertAlign sz color name family charset scheme",
}
_RANKS = {parent: {parent[:parent.index("}") + 1] + name: n for n, name in enumerate(order.split())}
          for parent, order in SCHEMA_ORDER.items()}


def schema_order(data: bytes) -> bytes:
    """An XML part with the children of rPr, pPr, tblPr, … in the order the schema requires."""
    from lxml import etree

    tree = etree.fromstring(data)
    changed = False
    for parent in tree.iter(*_RANKS):
        ranks = _RANKS[parent.tag]
        children = list(parent)
        ordered = sorted(children, key=lambda el: ranks.get(el.tag, len(ranks)))
        if ordered != children:
            changed = True
            for el in ordered:
                parent.append(el)  # appending an existing child moves it
    # on/off-only properties take "on"/"off", not "1"/"0"
    for el in tree.iter(_W + "tblHeader", _W + "cantSplit"):
        if el.get(_W + "val") in ("1", "true"):
            el.set(_W + "val", "on")
            changed = True
    if not changed:
        return data
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def normalise(blob: bytes, path: pathlib.Path) -> None:
    """Fixed entry times so that regenerating an unchanged template gives the same bytes."""
    with zipfile.ZipFile(io.BytesIO(blob)) as src:
        entries = {info.filename: src.read(info.filename) for info in src.infolist()}
    if path.suffix == ".docx":
        entries = slim(entries)
    entries = {name: schema_order(data) if name.endswith(".xml") and name.startswith(("word/", "xl/")) else data
               for name, data in entries.items()}
    entries["docProps/core.xml"] = CORE
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries.items():
            entry = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


CORE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>docgen 模板</dc:title>'
        '<dc:creator>docgen</dc:creator></cp:coreProperties>').encode()


def cell_text(cell, text, bold=False, align=WD_ALIGN_PARAGRAPH.LEFT, size=10.5, east=FANGSONG):
    """Text in a table cell; a label's "\n" breaks it at a meaningful place (住所 / （经营场所）)."""
    p = cell.paragraphs[0]
    p.style = "Normal"
    p.alignment = align
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    off_grid(p)
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if n:
            p = cell.add_paragraph(style="Normal")
            p.alignment = align
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            off_grid(p)
        if line:
            run = p.add_run(line)
            fonts(run._element, HEITI if bold else east, size)


def borders(table) -> None:
    tblpr = table._tbl.tblPr
    bdr = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "6")
        el.set(qn("w:color"), "000000")
        bdr.append(el)
    tblpr.append(bdr)
    # a little air below each cell's text: LibreOffice sets the last line of a cell on
    # the bottom border, which cut its descenders (（负责人）, 校（示例）) when the row grew to fit it
    margins = OxmlElement("w:tblCellMar")
    for edge, twips in (("bottom", 45),):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tblpr.append(margins)


def repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "1")
    trpr.append(el)


def widths(table, mm: list[float]) -> None:
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), mm):
        col.set(qn("w:w"), str(int(width * 56.7)))
    for row in table.rows:
        for cell, width in zip(row.cells, mm):
            cell.width = Mm(width)


# -- the Word templates -----------------------------------------------------------------------
# Schema order of pPr / rPr children (ECMA-376 CT_PPrBase, CT_RPr): elements added to a template's
# paragraphs and runs here go in at their place, whatever python-docx already put there.
PPR_ORDER = ("pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr "
             "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN "
             "bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc "
             "textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange").split()
RPR_ORDER = ("rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof "
             "snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd "
             "fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath").split()


def put(parent, order: tuple | list, tag: str, **attrs):
    """Set (or add, at its schema position) child `w:tag` of a pPr/rPr with the given w: attributes."""
    el = parent.find(qn("w:" + tag))
    if el is None:
        el = OxmlElement("w:" + tag)
        rank = order.index(tag)
        later = [c for c in parent if c.tag.startswith("{") and c.tag.split("}")[1] in order
                 and order.index(c.tag.split("}")[1]) > rank]
        if later:
            later[0].addprevious(el)
        else:
            parent.append(el)
    for key, value in attrs.items():
        el.set(qn("w:" + key), str(value))
    return el


def computed(el, attr: str, expression: str, default) -> None:
    """An attribute whose value the records decide: the template keeps a valid `default` (so that it
    passes the OOXML schema and opens as it is) and says the Jinja expression in a comment inside the
    element, which docgen's renderer turns into the attribute when it prepares the template."""
    from lxml import etree

    el.set(qn("w:" + attr), str(default))
    el.append(etree.Comment(f"docgen:{attr}={{{{ {expression} }}}}"))


def ppr(paragraph, tag: str, **attrs):
    return put(paragraph._element.get_or_add_pPr(), PPR_ORDER, tag, **attrs)


def rpr(run, tag: str, **attrs):
    return put(run._element.get_or_add_rPr(), RPR_ORDER, tag, **attrs)


def off_grid(paragraph, before: float = 0, line: float | None = None, after: float = 0) -> None:
    """A paragraph placed by exact points rather than by the 22-line grid (版头, 版记)."""
    ppr(paragraph, "snapToGrid", val="0")
    spacing = {"before": int(before * 20), "after": int(after * 20)}
    if line is not None:
        spacing.update(line=int(line * 20), lineRule="exact")
    ppr(paragraph, "spacing", **spacing)


def rule(paragraph, edges: tuple[str, ...], size: int, color: str = "000000", space: int = 0) -> None:
    """Paragraph rules (GB/T 9704 separators): size in eighths of a point, space in points."""
    pbdr = ppr(paragraph, "pBdr")
    for edge in edges:
        el = OxmlElement(f"w:{edge}")
        for key, value in (("val", "single"), ("sz", size), ("space", space), ("color", color)):
            el.set(qn("w:" + key), str(value))
        pbdr.append(el)


def foot_frame(paragraph) -> None:
    """Put a paragraph in the frame anchored at the foot of the text block (版记); consecutive
    paragraphs with the same frame properties share one frame in Word and LibreOffice."""
    ppr(paragraph, "framePr", w=int(156 * 56.7), hSpace=0, wrap="around", vAnchor="margin", hAnchor="margin",
        xAlign="center", yAlign="bottom")


def attachment_label(doc, label: str):
    """"附件N" top left, 黑体 3号 (GB/T 9704 8.2): fixed form text, not a clerk's wording."""
    p = para(doc, style="Normal", runs=[(label, None)], east=HEITI, size=16)
    ppr(p, "ind", left=0, firstLine=0)
    return p


def compact_titles(doc, line: float = 32) -> None:
    """Title lines off the 22-line grid (a grid line is too short for 2号, so each would take two),
    set in 方正小标宋简体 throughout."""
    title = doc.styles["Title"]
    put(title.element.get_or_add_pPr(), PPR_ORDER, "snapToGrid", val="0")
    title.paragraph_format.line_spacing = Pt(line)


HEADER_TOP = 35 * 72 / 25.4  # 发文机关标志 top edge below the text block's top (pt)


def notice() -> None:
    """00 通知: 版头 (标志, 发文字号, red rule), title, 主送, body, 附件说明, 落款, 附注, 版记 (GB/T 9704)."""
    doc = setup_document()
    compact_titles(doc)
    # 发文机关标志, one line: the model condenses the characters (w:w) to fit the 156 mm text block.
    # The line is exactly the font size; its glyphs' top edge sits 35 mm below the text block's top.
    tag(doc, "if plan.head.text")
    head = para(doc, style="Normal", align=WD_ALIGN_PARAGRAPH.CENTER, runs=[("{{ plan.head.text }}", None)])
    off_grid(head, before=HEADER_TOP - 3, line=36)
    run = head.runs[0]
    fonts(run._element, XIAOBIAOSONG, 30, color="FF0000")
    rpr(run, "spacing", val=0)
    computed(rpr(run, "w"), "val", "plan.head.scale", 100)
    tag(doc, "else")
    # 联合行文: the bodies stacked on the left, “文件” right of them and centred on them (GB/T 9704 fig.);
    # an empty line of exactly the single 标志's space-before puts the first body at the same height
    spacer = para(doc, style="Normal")
    off_grid(spacer, line=HEADER_TOP - 3)
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    first = left.paragraphs[0]
    first.add_run("{%p for body in plan.head.bodies %}")
    body = left.add_paragraph(style="Normal")
    body.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
    off_grid(body, line=36)
    run = body.add_run("{{ body }}")
    fonts(run._element, XIAOBIAOSONG, 30, color="FF0000")
    rpr(run, "spacing", val=0)
    computed(rpr(run, "w"), "val", "plan.head.body_scale", 100)
    left.add_paragraph("{%p endfor %}")
    suffix = right.paragraphs[0]
    suffix.alignment = WD_ALIGN_PARAGRAPH.CENTER
    off_grid(suffix, line=60)
    computed(ppr(suffix, "spacing"), "line", "plan.head.suffix_size * 10", 600)
    run = suffix.add_run("{{ plan.head.suffix }}")
    fonts(run._element, XIAOBIAOSONG, 30, color="FF0000")
    rpr(run, "spacing", val=0)
    computed(rpr(run, "sz"), "val", "plan.head.suffix_size", 60)
    computed(rpr(run, "szCs"), "val", "plan.head.suffix_size", 60)
    tcpr = right._tc.get_or_add_tcPr()
    valign = OxmlElement("w:vAlign")
    valign.set(qn("w:val"), "center")
    tcpr.append(valign)
    widths(table, [116, 40])
    tblpr = table._tbl.tblPr
    tblpr_ind = OxmlElement("w:tblInd")
    tblpr_ind.set(qn("w:w"), "0")
    tblpr_ind.set(qn("w:type"), "dxa")
    tblpr.append(tblpr_ind)
    tag(doc, "endif")
    # 发文字号 two lines below the 标志, the red rule 4 mm below it, the title two lines below the rule
    number = para(doc, "{{ plan.doc_number }}", style="Normal", align=WD_ALIGN_PARAGRAPH.CENTER)
    off_grid(number, before=2 * LINE.pt, line=16)
    rule(number, ("bottom",), 8, color="FF0000", space=10)
    title = doc.add_paragraph("{{ plan.title_lines | join('\\n') }}", style="Title")
    off_grid(title, before=2 * LINE.pt - 10, line=32)
    para(doc, style="Normal")
    para(doc, "{{ plan.recipients_text }}", style="Normal")
    tag(doc, "for text in plan.body")
    para(doc, "{{ text }}")
    tag(doc, "endfor")
    tag(doc, "if plan.contact_names")
    para(doc, "联系人：{{ plan.contact_names }}")
    tag(doc, "endif")
    tag(doc, "if plan.contact_phone")
    para(doc, "联系电话：{{ plan.contact_phone }}")
    tag(doc, "endif")
    tag(doc, "if plan.contact_email")
    para(doc, "电子邮箱：{{ plan.contact_email }}")
    tag(doc, "endif")
    # 附件说明: one line below the body, two characters in; later names align with the first one's number
    tag(doc, "if plan.attachments")
    para(doc, style="Normal")
    tag(doc, "endif")
    tag(doc, "for name in plan.attachments")
    tag(doc, "if loop.first")
    para(doc, "附件：{{ loop.index }}.{{ name }}", style="Normal", indent={"left": 600, "hanging": 400})
    tag(doc, "else")
    para(doc, "{{ loop.index }}.{{ name }}", style="Normal", indent={"left": 600, "hanging": 100})
    tag(doc, "endif")
    tag(doc, "endfor")
    # 落款 and 成文日期, only as the records give them
    tag(doc, "if plan.signers")
    para(doc, style="Normal")
    para(doc, style="Normal")
    tag(doc, "endif")
    tag(doc, "for line in plan.signers")
    para(doc, "{{ line }}", style="Normal", align=WD_ALIGN_PARAGRAPH.RIGHT, indent={"right": 400})
    tag(doc, "endfor")
    tag(doc, "if plan.signers and plan.issue_date")
    para(doc, "{{ plan.issue_date }}", style="Normal", align=WD_ALIGN_PARAGRAPH.RIGHT, indent={"right": 400})
    tag(doc, "endif")
    tag(doc, "if plan.disclosure")
    para(doc, "（信息公开类型：{{ plan.disclosure }}）")
    tag(doc, "endif")
    # 版记 in a frame at the foot of the text block: thick first and last rules, 4号 仿宋
    tag(doc, "if plan.colophon")
    tag(doc, "if plan.colophon.cc")
    cc = para(doc, "抄送：{{ plan.colophon.cc }}。", style="Normal", indent={"left": 100, "right": 100})
    foot_frame(cc)
    off_grid(cc, line=26)
    rule(cc, ("top", "bottom"), 6)
    fonts(cc.runs[0]._element, FANGSONG, 14)
    tag(doc, "endif")
    record = para(doc, "{{ plan.colophon.printer }}\t{{ plan.colophon.date }}印发", style="Normal",
                  indent={"left": 100, "right": 100})
    foot_frame(record)
    off_grid(record, line=26)
    record.paragraph_format.tab_stops.add_tab_stop(Mm(154), WD_TAB_ALIGNMENT.RIGHT)
    fonts(record.runs[0]._element, FANGSONG, 14)
    rule(record, ("top", "bottom"), 8)
    tag(doc, "endif")
    save(doc, "00_通知.docx")


def scheme() -> None:
    """01 实施方案: every word from the plan's scheme; "附件1" only when the notice lists it."""
    doc = setup_document()
    compact_titles(doc)
    tag(doc, "if plan.attachments")
    attachment_label(doc, "附件1")
    para(doc, style="Normal")
    tag(doc, "endif")
    doc.add_paragraph("{{ plan.scheme_title_lines | join('\\n') }}", style="Title")
    para(doc, style="Normal")
    tag(doc, "for text in plan.preamble")
    para(doc, "{{ text }}")
    tag(doc, "endfor")
    tag(doc, "for section in plan.sections")
    doc.add_paragraph("{{ section.number }}{{ section.heading }}", style="Heading 1")
    tag(doc, "for text in section.paragraphs")
    para(doc, "{{ text }}")
    tag(doc, "endfor")
    tag(doc, "for sub in section.items")
    tag(doc, "if sub.inline")
    para(doc, runs=[("{{ sub.number }}{{ sub.heading }}。", "楷体小标题"), ("{{ sub.text[0] }}", None)])
    tag(doc, "else")
    doc.add_paragraph("{{ sub.number }}{{ sub.heading }}", style="Heading 2")
    tag(doc, "for text in sub.text")
    para(doc, "{{ text }}")
    tag(doc, "endfor")
    tag(doc, "endif")
    tag(doc, "endfor")
    tag(doc, "endfor")
    save(doc, "01_实施方案.docx")


def notice_letter() -> None:
    """02 告知书: one per inspected entity."""
    doc = setup_document()
    compact_titles(doc)
    attachment_label(doc, "附件2")
    para(doc, style="Normal")
    doc.add_paragraph("{{ plan.notice_title_lines | join('\\n') }}", style="Title")
    para(doc, style="Normal")
    para(doc, "{{ i.entity.name }}（统一社会信用代码：{{ i.entity.credit_code }}）：", style="Normal")
    para(doc, "{% if plan.legal_basis %}{{ plan.legal_basis }}，{% endif %}经随机抽取，你单位被确定为"
              "本次跨部门“双随机、一公开”联合抽查的检查对象。现将有关事项告知如下：")
    # what a notice must state (国办发〔2024〕54号; 司法部《行政检查文书基本格式文本（试行）》): the task's
    # source, the items and their legal basis, the frequency, the right to ask for recusal and the
    # remedies. The fixed words are here, in the template, so an office can reword them in its copy.
    doc.add_paragraph("一、检查任务来源", style="Heading 1")
    para(doc, "本次检查的任务来源：{{ plan.task_source }}。")
    doc.add_paragraph("二、检查事项及依据", style="Heading 1")
    tag(doc, "for d in plan.departments")
    para(doc, "{{ loop.index }}．{{ d.name }}：{{ d.items_text }}。{% if d.basis_text %}检查依据：{{ d.basis_text }}。{% endif %}")
    tag(doc, "endfor")
    doc.add_paragraph("三、检查时间、方式和频次", style="Heading 1")
    para(doc, "{% if i.dates.announced %}检查组定于{{ i.dates.announced }}到你单位进行检查{% else %}检查组将于"
              "{{ plan.period_text }}期间到你单位进行检查，具体时间另行电话告知{% endif %}。"
              "{% if plan.methods_text %}检查方式：{{ plan.methods_text }}。{% endif %}")
    tag(doc, "if plan.frequency or plan.yearly_cap")
    para(doc, "检查频次：{% if plan.frequency %}{{ plan.frequency }}{% else %}同一年度内对同一检查对象的检查"
              "（各抽查计划合计）不超过{{ plan.yearly_cap }}次{% endif %}。")
    tag(doc, "endif")
    doc.add_paragraph("四、需准备的材料", style="Heading 1")
    tag(doc, "for m in plan.materials")
    para(doc, "{{ loop.index }}．{{ m }}")
    tag(doc, "endfor")
    doc.add_paragraph("五、检查人员", style="Heading 1")
    table = doc.add_table(rows=4, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    borders(table)
    for cell, label in zip(table.rows[0].cells, ("部门", "姓名", "执法证号")):
        cell_text(cell, label, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    repeat_header(table.rows[0])
    cell_text(table.rows[1].cells[0], "{%tr for p in i.members %}", size=14)
    for cell, field in zip(table.rows[2].cells, ("{{ p.department }}", "{{ p.name }}", "{{ p.badge }}")):
        cell_text(cell, field, align=WD_ALIGN_PARAGRAPH.CENTER, size=14)
    cell_text(table.rows[3].cells[0], "{%tr endfor %}", size=14)
    # the table moves as a whole, under its heading: it broke after its header row, or one member
    for row in (table.rows[0], table.rows[2]):
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True
    widths(table, [62, 40, 54])
    for row in table.rows:  # off the grid: a little air around 4号 text, not a 10 mm grid line
        row.height = Mm(8)
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    tag(doc, "if i.assistants")
    para(doc, "协助人员：{{ i.assistants_text }}。")
    tag(doc, "endif")
    para(doc, "检查人员将主动出示行政执法证件。请你单位法定代表人（负责人）或授权人员在场配合检查，如实提供有关材料，"
              "并在《实地核查记录表》上签字盖章确认。拒绝、阻挠检查的，将依法处理并记入信用记录。")
    doc.add_paragraph("六、你单位的权利", style="Heading 1")
    para(doc, "1．检查人员与你单位有直接利害关系或者有其他关系，可能影响公正检查的，你单位有权申请其回避。")
    last_body = para(doc, "2．你单位对本次检查中作出的行政行为不服的，可以自知道该行政行为之日起六十日内依法"
                          "{% if plan.reconsideration %}向{{ plan.reconsideration }}{% endif %}申请行政复议，"
                          "或者自知道该行政行为之日起六个月内依法{% if plan.court %}向{{ plan.court }}{% endif %}提起行政诉讼。")
    # the closing block never starts a page alone: the last lines of the body turn the page with it
    last_body.paragraph_format.keep_with_next = True
    last_body.paragraph_format.widow_control = True
    doc.add_paragraph("七、联系方式", style="Heading 1")
    closing = [
        para(doc, "联系人：{{ plan.notice_contact }}　　联系电话：{{ plan.notice_phone }}"),
        para(doc, "{{ plan.lead.name if plan.lead else plan.issuer_lines[0] }}", style="Normal",
             align=WD_ALIGN_PARAGRAPH.RIGHT, indent={"right": 400}),
        # the day it is served, from the record; else left for the clerk to write in by hand (the
        # plan's issue date is before the draw that chose this entity)
        para(doc, "{{ i.dates.notice_served or '　　年　　月　　日' }}", style="Normal", align=WD_ALIGN_PARAGRAPH.RIGHT,
             indent={"right": 400}),
        para(doc, "签收人：　　　　　　　　签收日期：　　　年　　月　　日", style="Normal")]
    for p in closing[:-1]:  # contact, issuer, date and receipt line turn the page together
        p.paragraph_format.keep_with_next = True
    save(doc, "02_告知书.docx")


def onsite_record() -> None:
    """04 实地核查记录表 ("一企一表"): one page per entity, signature blocks at the foot."""
    doc = setup_document(top=25, bottom=20, left=25, right=20, body_size=10.5, grid=False, line=Pt(16))
    label = attachment_label(doc, "附件4")
    label.paragraph_format.line_spacing = Pt(20)
    title = doc.add_paragraph("“双随机、一公开”实地核查记录表", style="Title")
    title.paragraph_format.line_spacing = Pt(30)
    fonts(title.runs[0]._element, XIAOBIAOSONG, 18)
    para(doc, "抽查计划：{{ plan.doc_number }}　　检查组：{{ i.group_label }}　　组长：{{ i.leader.name if i.leader else '' }}",
               style="Normal", align=WD_ALIGN_PARAGRAPH.CENTER, size=10.5)
    rows = [
        ("被检查单位", "{{ i.entity.name }}", "统一社会\n信用代码", "{{ i.entity.credit_code }}"),
        ("住所\n（经营场所）", "{{ i.entity.address }}", None, None),
        ("法定代表人\n（负责人）", "{{ i.entity.legal_rep }}", "联系人及电话", "{{ i.entity.contact_name }} {{ i.entity.contact_phone }}"),
        ("检查日期", "{{ i.dates.visit }}", "许可证号", "{{ i.entity.licence }}"),
        ("检查部门", "检查事项", "发现问题情况", "处置情况"),
        ("{%tr for it in i.items %}", None, None, None),
        ("{{ it.department }}", "{{ it.item }}", "{{ it.finding }}", "{{ it.handling }}"),
        ("{%tr endfor %}", None, None, None),
        ("检查方式", "{{ i.method_boxes }}", None, None),
        ("抽查结果", "{{ i.results_text }}", None, None),
        ("后续处置", "{{ i.measures_text }}", None, None),
        ("被检查单位意见", "{{ i.opinion }}\n\n法定代表人（负责人）签字或盖章：{{ i.signer }}\n日期：{{ i.signature_date }}", None, None),
        # 协助人员 (选派的专业人员) beside the inspectors they assist, on the same line: the form stays one page
        ("检查人员签名", "{{ i.members_text }}{% if i.assistants %}；协助人员：{{ i.assistants_text }}{% endif %}"
                      "\n签名：{{ i.signatures_text }}\n日期：{{ i.signed_on }}", None, None),
        ("拒签情况记录", "{{ i.refusal }}", None, None),
    ]
    table = doc.add_table(rows=len(rows), cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    borders(table)
    widths(table, [38, 42, 33, 52])  # 检查部门 column takes 迁安市消防救援大队 on one line
    for r, values in enumerate(rows):
        cells = table.rows[r].cells
        header_row = r == 4
        for c, value in enumerate(values):
            if value is None:
                continue
            label = c % 2 == 0 and not value.startswith("{{") and not value.startswith("{%")
            cell_text(cells[c], value, bold=label or header_row,
                      align=WD_ALIGN_PARAGRAPH.CENTER if (label or header_row) else WD_ALIGN_PARAGRAPH.LEFT)
        if values[2] is None and values[1] is not None:
            cells[1].merge(cells[3])
    for row in table.rows:
        row.height = Mm(8)
    table.rows[6].height = Mm(8)  # each inspected item (the form, five items and a group of seven, one page)
    table.rows[10].height = Mm(12)  # 后续处置
    table.rows[11].height = Mm(24)  # 被检查单位意见, signature
    table.rows[12].height = Mm(26)  # 检查人员签名 (its text takes more when the group has five or more)
    table.rows[13].height = Mm(12)  # 拒签情况记录: the form, five items and all, ends within one page
    save(doc, "04_实地核查记录表.docx")


# -- the Excel templates ----------------------------------------------------------------------
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


# Page geometry of the Excel forms. Text is 11 pt and must print at no less than 9 pt on A4, so the
# columns are sized to fit the printable width at 100 % (fit-to-width stays on only as a safety net
# and then shrinks by a few per cent at most); long text wraps and the table runs on to more pages.
# The footer sits inside the bottom margin (footer distance < bottom margin), the header likewise.
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.7, "bottom": 0.75, "header": 0.3, "footer": 0.3}  # inches
BODY_PT = 11


def sheet_template(name: str, attachment: str, title: str, columns: list[tuple[str, str, float]],
                   landscape: bool = True, footer: str = "", wb=None, sheet: str | None = None,
                   save_now: bool = True, groups: list[tuple[str, int, int]] = ()):
    """A table form: 附件 label, title, plan line, header row(s), one `{{ row.… }}` row, optional footer.

    `groups` puts a spanning header (e.g. 成员) over columns start..end (1-based) in a second header
    row; the other headers then span both rows.
    """
    if wb is None:
        wb = Workbook()
        ws = wb.active
    else:
        ws = wb.create_sheet()
    ws.title = (sheet or title)[:31]
    last = get_column_letter(len(columns))
    ws["A1"] = attachment
    ws["A1"].font = Font(name=HEITI, size=12)
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = title
    ws["A2"].font = Font(name=XIAOBIAOSONG, size=18)
    ws["A2"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[2].height = 36
    ws.merge_cells(f"A3:{last}3")
    ws["A3"] = "抽查计划：{{ plan.title }}（{{ plan.doc_number }}）"
    ws["A3"].font = Font(name=FANGSONG, size=BODY_PT)
    ws["A3"].alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
    ws.row_dimensions[3].height = 30
    head_rows = 2 if groups else 1
    data_row = 4 + head_rows
    grouped = {c for _, start, end in groups for c in range(start, end + 1)}
    for label, start, end in groups:
        ws.merge_cells(start_row=4, start_column=start, end_row=4, end_column=end)
        ws.cell(row=4, column=start, value=label)
    for c, (header, field, width) in enumerate(columns, 1):
        ws.cell(row=5 if c in grouped else 4, column=c, value=header)
        if groups and c not in grouped:
            ws.merge_cells(start_row=4, start_column=c, end_row=5, end_column=c)
        for r in range(4, data_row):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(name=HEITI, size=BODY_PT)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = BOX
        body = ws.cell(row=data_row, column=c, value=field)
        body.font = Font(name=FANGSONG, size=BODY_PT)
        body.alignment = Alignment(horizontal="center" if width < 10 else "left", vertical="center", wrap_text=True)
        body.border = BOX
        ws.column_dimensions[get_column_letter(c)].width = width
    for r in range(4, data_row):
        ws.row_dimensions[r].height = 30 if head_rows == 1 else 20
    if footer:
        ws.merge_cells(f"A{data_row + 2}:{last}{data_row + 2}")
        ws[f"A{data_row + 2}"] = footer
        ws[f"A{data_row + 2}"].font = Font(name=FANGSONG, size=BODY_PT)
    ws.print_title_rows = f"4:{data_row - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    for side, inches in MARGINS.items():
        setattr(ws.page_margins, side, inches)
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = f"{FANGSONG},常规"
    ws.oddFooter.center.size = BODY_PT
    wb.properties.creator = "docgen"
    if save_now:
        buffer = io.BytesIO()
        wb.save(buffer)
        normalise(buffer.getvalue(), OUT / name)
    return wb


def statistics_sheet() -> None:
    """08 抽查情况统计表: the office's targets (seed 001) and deadlines, two sheets."""
    name = "08_抽查情况统计表.xlsx"
    wb = sheet_template(name, "统计", "“双随机、一公开”抽查情况统计表（按信用风险分类）", [
        ("信用风险分类", "{{ row.credit_class }}", 16), ("范围内主体数", "{{ row.population }}", 16),
        ("应抽数量", "{{ row.required }}", 14), ("实抽数量", "{{ row.drawn }}", 14),
        ("抽查比例", "{{ row.ratio_text }}", 14), ("情况", "{{ row.state }}", 14)],  # the title's width
        landscape=False, footer="统计截至：{{ stats.as_of }}", sheet="分类抽查情况", save_now=False)
    sheet_template(name, "统计", "“双随机、一公开”工作指标完成情况", [
        ("指标", "{{ row.name }}", 26), ("目标", "{{ row.target }}", 12), ("实际", "{{ row.actual }}", 12),
        ("情况", "{{ row.state }}", 10), ("说明", "{{ row.detail }}", 40)],
        landscape=True, footer="统计截至：{{ stats.as_of }}", wb=wb, sheet="工作指标")


def sheets() -> None:
    signed = "填表人：　　　　　　　审核人：　　　　　　　填报日期：　　　年　　月　　日"
    sheet_template("03_随机抽查后续处置工作台账.xlsx", "附件3", "随机抽查后续处置工作台账", [
        ("序号", "{{ row.seq }}", 5), ("企业名称", "{{ row.entity.name }}", 16),
        ("统一社会信用代码", "{{ row.entity.credit_code }}", 23), ("检查日期", "{{ row.visit }}", 15),
        ("检查部门", "{{ row.department }}", 10), ("发现问题", "{{ row.action.issue }}", 13),
        ("处置措施", "{{ row.action.measure }}", 11), ("处置结果", "{{ row.action.outcome }}", 12),
        ("完结情况", "{{ row.action.status }}", 9), ("完结日期", "{{ row.action.closed }}", 15),
        ("责任人", "{{ row.action.responsible }}", 7), ("备注", "{{ row.note }}", 6)], footer=signed)
    sheet_template("05_电话告知记录表.xlsx", "附件5", "市场主体“双随机”抽查电话告知记录表", [
        ("序号", "{{ row.seq }}", 5), ("企业名称", "{{ row.entity.name }}", 18),
        ("统一社会信用代码", "{{ row.entity.credit_code }}", 23),
        ("联系人", "{{ row.entity.contact_name }}", 8),
        ("联系电话", "{{ row.call.phone }}", 13), ("告知时间", "{{ row.call.time }}", 20),
        ("告知内容", "{{ row.content }}", 21), ("告知人", "{{ row.call.caller }}", 8),
        ("接听人", "{{ row.call.reached }}", 8), ("备注", "{{ row.remark }}", 15)], footer=signed)
    sheet_template("06_人员分组及车辆安排情况表.xlsx", "附件6", "人员分组及车辆安排情况表", [
        ("组别", "{# merge #}{{ row.group.label }}", 7), ("组长", "{# merge #}{{ row.leader }}", 8),
        ("部门", "{{ row.person.department }}", 21), ("姓名", "{{ row.person.name }}", 7),
        ("执法证号", "{{ row.person.badge or ('协助人员' if row.assisting else '') }}", 15), ("电话", "{{ row.person.phone }}", 13),
        ("检查日期", "{{ row.visit.date }}", 15), ("检查对象", "{{ row.visit.entity }}", 35),
        ("车牌", "{# merge #}{{ row.vehicle.plate }}", 13), ("驾驶员", "{# merge #}{{ row.vehicle.driver }}", 7)],
        footer=signed, groups=[("成员", 3, 6)])
    # each attachment's title is its name in the notice's 附件说明 (GB/T 9704; seed 000: 7.《公示表》)
    sheet_template("07_公示表.xlsx", "附件7", "公示表", [
        ("序号", "{{ row.seq }}", 5), ("企业名称", "{{ row.entity.name }}", 34),
        ("统一社会信用代码", "{{ row.entity.credit_code }}", 23), ("检查实施机关", "{{ row.authorities }}", 20),
        ("抽查类型", "{{ row.check_type }}", 28), ("检查完成日期", "{{ row.completed }}", 15),
        ("抽查结果", "{{ row.result }}", 20)])
    statistics_sheet()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    notice()
    scheme()
    notice_letter()
    onsite_record()
    sheets()
    for path in sorted(OUT.glob("*.*x")):
        print(path.name, os.path.getsize(path))


if __name__ == "__main__":
    main()
