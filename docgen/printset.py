"""Print sets: several rendered documents as one .docx that prints them in order.

A plan's set is the notice with all its attachments (the way an office binds and files it); a
group's packet is what the group takes along (each entity's 告知书 and 实地核查记录表). Every
part is the very document docgen writes on its own, its body put in a section of its own:
each section starts on an odd page (w:type="oddPage", so that two-sided printing gives every
part its own sheets), and page numbers continue across the set ("— N —", GB/T 9704 7.5) or,
in a packet of separate documents, restart with each part. Excel attachments are set as Word
tables on landscape pages, so that one print job prints the whole set.

The templates all come from scripts/make_templates.py and share their parts (footers, fonts,
numbering); a style a part defines differently from the first part is copied under its own id.
Only XML is rearranged, in a fixed order: same parts → same bytes.
"""

from __future__ import annotations

import io
import re

from lxml import etree

from docgen.package import CORE_PATH, core_xml, read_package, write_package

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_DOC, _RELS, _STYLES, _TYPES = ("word/document.xml", "word/_rels/document.xml.rels", "word/styles.xml",
                                "[Content_Types].xml")
# CT_SectPr's children in schema order: what is added goes in at its place
_SECT_ORDER = ("headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders "
               "lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter "
               "docGrid printerSettings sectPrChange").split()
_PPR_TAIL = ("rPr", "sectPr", "pPrChange")  # what follows a pPr's other children


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class Part:
    """One document of a set: its rendered bytes and how its section starts."""

    def __init__(self, data: bytes, kind: str = "docx", restart: bool = False, label: str = ""):
        self.data, self.kind, self.restart, self.label = data, kind, restart, label


def compose(parts: list[Part], title: str, when: str, colophon_last: bool = False) -> bytes:
    """The parts as one document. With `colophon_last`, the first part's 版记 (the paragraphs
    framed at the foot of its text block) moves to the end of the set, at the foot of its last
    page, which is an even page (GB/T 9704 7.4: the 版记 closes the bound set, on its back)."""
    base_entries = read_package(parts[0].data)
    entries = dict(base_entries)
    order = [name for name, _ in base_entries]
    styles = etree.fromstring(entries[_STYLES])
    rels = etree.fromstring(entries[_RELS])
    types = etree.fromstring(entries[_TYPES])
    document = etree.fromstring(entries[_DOC])
    body = document.find(w("body"))
    base_sect = body.find(w("sectPr"))
    base_styles = {s.get(w("styleId")): etree.tostring(s) for s in styles.findall(w("style"))}
    renamed_sets: dict[bytes, dict[str, str]] = {}
    composed = []
    colophon = []
    for n, part in enumerate(parts):
        if part.kind == "xlsx":
            content, sect = sheet_section(part.data, base_sect)
        else:
            part_entries = dict(read_package(part.data)) if n else entries
            part_doc = etree.fromstring(part_entries[_DOC]) if n else document
            part_body = part_doc.find(w("body"))
            sect = part_body.find(w("sectPr"))
            content = [el for el in part_body if el is not sect]
            if n:
                mapping = renamed_sets.get(part_entries[_STYLES])
                if mapping is None:
                    mapping = renamed_sets[part_entries[_STYLES]] = _merge_styles(
                        styles, base_styles, etree.fromstring(part_entries[_STYLES]), len(renamed_sets) + 1)
                _restyle(content, mapping)
                _map_references(sect, part_entries, entries, order, rels, types)
            if n == 0 and colophon_last:
                colophon = [el for el in content if el.tag == w("p") and el.find(f"{w('pPr')}/{w('framePr')}") is not None]
                content = [el for el in content if not any(el is c for c in colophon)]
        sect = _copy(sect)
        _set_child(sect, "type", val="oddPage" if n else "nextPage")
        if part.restart or n == 0:
            _set_child(sect, "pgNumType", start="1")
        else:
            old = sect.find(w("pgNumType"))
            if old is not None:
                sect.remove(old)
        composed.append((content, sect))
    for child in list(body):
        body.remove(child)
    last = len(composed) - 1
    for n, (content, sect) in enumerate(composed):
        for el in content:
            body.append(el)
        if n < last or colophon:
            _close_section(body, content, sect)
        else:
            body.append(sect)
    if colophon:  # the 版记 alone on the set's last even page, at its foot, page number kept
        for el in colophon:
            body.append(el)
        sect = _copy(base_sect)
        _set_child(sect, "type", val="evenPage")
        old = sect.find(w("pgNumType"))
        if old is not None:
            sect.remove(old)
        body.append(sect)
    entries[_DOC] = _xml(document)
    entries[_STYLES] = _xml(styles)
    entries[_RELS] = _xml(rels)
    entries[_TYPES] = _xml(types)
    entries[CORE_PATH] = core_xml(title, when)
    return write_package([(name, entries[name]) for name in order])


def _xml(tree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def _copy(el):
    return etree.fromstring(etree.tostring(el))


def _set_child(sect, tag: str, **attrs) -> None:
    """Set (or add at its schema place) a sectPr child with the given w: attributes."""
    el = sect.find(w(tag))
    if el is None:
        el = etree.Element(w(tag))
        rank = _SECT_ORDER.index(tag)
        later = [c for c in sect if etree.QName(c).localname in _SECT_ORDER
                 and _SECT_ORDER.index(etree.QName(c).localname) > rank]
        if later:
            later[0].addprevious(el)
        else:
            sect.append(el)
    el.attrib.clear()
    for key, value in attrs.items():
        el.set(w(key), value)


def _close_section(body, content, sect) -> None:
    """End a section after `content`: in its last paragraph's properties, or in an empty paragraph
    of no height after a table (a paragraph of its own could spill onto a page of its own)."""
    last = content[-1] if content else None
    if last is None or last.tag != w("p") or last.find(f"{w('pPr')}/{w('framePr')}") is not None:
        last = etree.SubElement(body, w("p"))
        ppr = etree.SubElement(last, w("pPr"))
        etree.SubElement(ppr, w("snapToGrid")).set(w("val"), "0")
        spacing = etree.SubElement(ppr, w("spacing"))
        for key, value in (("before", "0"), ("after", "0"), ("line", "20"), ("lineRule", "exact")):
            spacing.set(w(key), value)
        rpr = etree.SubElement(ppr, w("rPr"))
        etree.SubElement(rpr, w("sz")).set(w("val"), "2")
    ppr = last.find(w("pPr"))
    if ppr is None:
        ppr = etree.Element(w("pPr"))
        last.insert(0, ppr)
    tail = [c for c in ppr if etree.QName(c).localname in ("sectPr", "pPrChange")]
    if tail:
        tail[0].addprevious(sect)
    else:
        ppr.append(sect)


def _merge_styles(styles, base_styles: dict[str, bytes], part_styles, number: int) -> dict[str, str]:
    """Copy into `styles` the part's styles that differ from the first part's (and those based on
    them) under new ids; returns old id → new id, with "" → the part's own default paragraph style."""
    own = {s.get(w("styleId")): s for s in part_styles.findall(w("style"))}
    differ = {sid for sid, s in own.items() if base_styles.get(sid) != etree.tostring(s)}
    changed = True
    while changed:
        changed = False
        for sid, s in own.items():
            based = s.find(w("basedOn"))
            if sid not in differ and based is not None and based.get(w("val")) in differ:
                differ.add(sid)
                changed = True
    mapping = {sid: f"{sid}-{number}" for sid in sorted(differ)}
    for sid in sorted(differ):
        copy = _copy(own[sid])
        copy.set(w("styleId"), mapping[sid])
        copy.attrib.pop(w("default"), None)
        copy.set(w("customStyle"), "1")
        name = copy.find(w("name"))
        if name is not None:
            name.set(w("val"), f"{name.get(w('val'))} ({number})")
        for link in ("basedOn", "next", "link"):
            ref = copy.find(w(link))
            if ref is not None and ref.get(w("val")) in mapping:
                ref.set(w("val"), mapping[ref.get(w("val"))])
        styles.append(copy)
    default = next((sid for sid, s in own.items() if s.get(w("type")) == "paragraph" and s.get(w("default")) == "1"),
                   None)
    if default in mapping:
        mapping[""] = mapping[default]
    return mapping


def _restyle(content, mapping: dict[str, str]) -> None:
    """Point a part's paragraphs, runs and tables at its own styles' ids."""
    if not mapping:
        return
    for el in content:
        for ref in el.iter(w("pStyle"), w("rStyle"), w("tblStyle")):
            if ref.get(w("val")) in mapping:
                ref.set(w("val"), mapping[ref.get(w("val"))])
        if "" in mapping:
            for p in el.iter(w("p")):
                ppr = p.find(w("pPr"))
                if ppr is None:
                    ppr = etree.Element(w("pPr"))
                    p.insert(0, ppr)
                if ppr.find(w("pStyle")) is None:
                    style = etree.Element(w("pStyle"))
                    style.set(w("val"), mapping[""])
                    ppr.insert(0, style)


def _map_references(sect, part_entries: dict, entries: dict, order: list, rels, types) -> None:
    """Header and footer references of a part's section, pointed at the set's identical parts
    (added to the set when it has none)."""
    part_rels = {r.get("Id"): r for r in etree.fromstring(part_entries[_RELS])}
    base_rels = list(rels)
    for ref in sect:
        if etree.QName(ref).localname not in ("headerReference", "footerReference"):
            continue
        rel = part_rels[ref.get(f"{{{R}}}id")]
        data = part_entries["word/" + rel.get("Target")]
        same = next((r for r in base_rels if r.get("Type") == rel.get("Type")
                     and entries.get("word/" + r.get("Target")) == data), None)
        if same is None:
            kind = etree.QName(ref).localname[:-len("Reference")]
            count = 1 + sum(1 for name in entries if re.fullmatch(rf"word/{kind}\d+\.xml", name))
            target = f"{kind}{count}.xml"
            entries["word/" + target] = data
            order.append("word/" + target)
            ids = {r.get("Id") for r in base_rels}
            new_id = next(f"rId{k}" for k in range(1, len(ids) + 2) if f"rId{k}" not in ids)
            same = etree.SubElement(rels, f"{{{PKG}}}Relationship", Id=new_id, Type=rel.get("Type"), Target=target)
            base_rels.append(same)
            etree.SubElement(types, f"{{{CT}}}Override", PartName="/word/" + target,
                             ContentType=f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml")
        ref.set(f"{{{R}}}id", same.get("Id"))


# -- Excel attachments as Word tables -----------------------------------------------------------
_TEXT_WIDTH = 16838 - 2 * 1134  # landscape A4, 20 mm margins (twips)


def sheet_section(data: bytes, base_sect) -> tuple[list, object]:
    """A rendered Excel form (附件 label, title, plan line, header row, rows, note lines) as Word
    paragraphs and a table on landscape pages; each sheet of the workbook in turn."""
    from openpyxl import load_workbook  # only a set with Excel attachments needs it

    book = load_workbook(io.BytesIO(data))
    content = []
    for sheet in book.worksheets:
        content += _sheet(sheet)
    sect = _copy(base_sect)
    for child in list(sect):
        if etree.QName(child).localname not in ("headerReference", "footerReference"):
            sect.remove(child)
    _set_child(sect, "pgSz", w="16838", h="11906", orient="landscape")
    _set_child(sect, "pgMar", top="1247", right="1134", bottom="1247", left="1134", header="567", footer="567",
               gutter="0")
    _set_child(sect, "cols", space="720")
    return content, sect


def _text(value) -> str:
    return "" if value is None else str(value)


def _paragraph(text: str, font: str, size: float, align: str = "left", before: int = 0, after: int = 0):
    p = etree.Element(w("p"))
    ppr = etree.SubElement(p, w("pPr"))
    etree.SubElement(ppr, w("snapToGrid")).set(w("val"), "0")
    spacing = etree.SubElement(ppr, w("spacing"))
    for key, value in (("before", str(before)), ("after", str(after)), ("line", "240"), ("lineRule", "auto")):
        spacing.set(w(key), value)
    ind = etree.SubElement(ppr, w("ind"))
    ind.set(w("firstLine"), "0")
    ind.set(w("firstLineChars"), "0")
    etree.SubElement(ppr, w("jc")).set(w("val"), align)
    for n, line in enumerate(text.split("\n")):
        run = etree.SubElement(p, w("r"))
        rpr = etree.SubElement(run, w("rPr"))
        fonts = etree.SubElement(rpr, w("rFonts"))
        for key in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(w(key), font)
        fonts.set(w("hint"), "eastAsia")
        etree.SubElement(rpr, w("spacing")).set(w("val"), "0")
        etree.SubElement(rpr, w("sz")).set(w("val"), str(int(size * 2)))
        etree.SubElement(rpr, w("szCs")).set(w("val"), str(int(size * 2)))
        if n:
            etree.SubElement(run, w("br"))
        t = etree.SubElement(run, w("t"))
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return p


def _sheet(sheet) -> list:
    """One worksheet of a docgen form: rows 1–3 label, title, plan line; from row 4 the header (one
    row, or two under merged group headings) and the table's rows, merged cells kept; rows merged
    across the whole width (signature lines) follow the table."""
    title_span = [m for m in sheet.merged_cells.ranges if m.min_row == 2 and m.min_col == 1]
    width = title_span[0].max_col if title_span else sheet.max_column
    columns = list(range(1, width + 1))
    full_width, spans, covered = set(), {}, set()
    for merged in sheet.merged_cells.ranges:
        if merged.min_row < 4:
            continue
        if merged.min_col == 1 and merged.max_col >= width:
            full_width.update(range(merged.min_row, merged.max_row + 1))
            continue
        span = merged.max_col - merged.min_col + 1
        for row in range(merged.min_row, merged.max_row + 1):
            spans[(row, merged.min_col)] = (span, None if merged.max_row == merged.min_row else
                                            "restart" if row == merged.min_row else "continue")
            covered.update((row, c) for c in range(merged.min_col + 1, merged.max_col + 1))
    header_end = max([m.max_row for m in sheet.merged_cells.ranges if m.min_row == 4 and 4 not in full_width] + [4])
    out = [_paragraph(_text(sheet.cell(row=1, column=1).value), "黑体", 16),
           _paragraph(_text(sheet.cell(row=2, column=1).value), "方正小标宋简体", 18, "center", after=120),
           _paragraph(_text(sheet.cell(row=3, column=1).value), "仿宋_GB2312", 12, after=120)]
    from openpyxl.utils import get_column_letter

    widths = [sheet.column_dimensions[get_column_letter(c)].width or 9 for c in columns]
    twips = [int(_TEXT_WIDTH * x / sum(widths)) for x in widths]
    table = etree.Element(w("tbl"))
    tblpr = etree.SubElement(table, w("tblPr"))
    tblw = etree.SubElement(tblpr, w("tblW"))
    tblw.set(w("w"), str(sum(twips)))
    tblw.set(w("type"), "dxa")
    etree.SubElement(tblpr, w("jc")).set(w("val"), "center")
    borders = etree.SubElement(tblpr, w("tblBorders"))
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = etree.SubElement(borders, w(edge))
        for key, value in (("val", "single"), ("sz", "6"), ("space", "0"), ("color", "000000")):
            el.set(w(key), value)
    etree.SubElement(tblpr, w("tblLayout")).set(w("type"), "fixed")
    grid = etree.SubElement(table, w("tblGrid"))
    for twip in twips:
        etree.SubElement(grid, w("gridCol")).set(w("w"), str(twip))
    notes = []
    for row in range(4, sheet.max_row + 1):
        values = [_text(sheet.cell(row=row, column=c).value) for c in columns]
        if row in full_width:
            if values[0]:
                notes.append(values[0])
            continue
        if not any(values) and not any((row, c) in spans for c in columns):
            continue
        head = row <= header_end
        tr = etree.SubElement(table, w("tr"))
        trpr = etree.SubElement(tr, w("trPr"))
        etree.SubElement(trpr, w("cantSplit"))
        if head:
            etree.SubElement(trpr, w("tblHeader"))
        for c, value in zip(columns, values):
            if (row, c) in covered:
                continue
            span, vmerge = spans.get((row, c), (1, None))
            tc = etree.SubElement(tr, w("tc"))
            tcpr = etree.SubElement(tc, w("tcPr"))
            tcw = etree.SubElement(tcpr, w("tcW"))
            tcw.set(w("w"), str(sum(twips[c - 1:c - 1 + span])))
            tcw.set(w("type"), "dxa")
            if span > 1:
                etree.SubElement(tcpr, w("gridSpan")).set(w("val"), str(span))
            if vmerge:
                etree.SubElement(tcpr, w("vMerge")).set(w("val"), vmerge)
            etree.SubElement(tcpr, w("vAlign")).set(w("val"), "center")
            horizontal = getattr(sheet.cell(row=row, column=c).alignment, "horizontal", None)
            align = "center" if head or horizontal == "center" else "left"
            tc.append(_paragraph("" if vmerge == "continue" else value, "黑体" if head else "仿宋_GB2312", 10.5, align))
    out.append(table)
    for note in notes:
        out.append(_paragraph(note, "仿宋_GB2312", 12, before=240))
    return out
