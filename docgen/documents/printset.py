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

import functools
import hashlib
import io
import re

from docgen.documents.package import CORE_PATH, Stored, core_xml, escape, read_package, write_package
from docgen.records.problems import DocgenError

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


class _Etree:
    """lxml.etree, imported at its first use: an edit that changes a Word part of a set recomposes it
    from the previous set as text, without lxml (tens of milliseconds to import)."""

    def __getattr__(self, name: str):
        from lxml import etree as module

        globals()["etree"] = module
        return getattr(module, name)


etree = _Etree()


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


class Part:
    """One document of a set: its rendered bytes (or how to get them, and their SHA-256 when already
    known: an unchanged part is then not even read) and how its section starts."""

    def __init__(self, data: bytes | None = None, kind: str = "docx", restart: bool = False, label: str = "",
                 digest: str | None = None, load=None):
        self._data, self.kind, self.restart, self.label = data, kind, restart, label
        self._digest, self._load = digest, load

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self._load()
            self._digest = None  # from the bytes themselves from now on
        return self._data

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self.data).hexdigest()
        return self._digest


_ROOT = re.compile(r"<w:document\b[^>]*>")
_XMLNS = re.compile(r'\sxmlns:(\w+)="([^"]*)"')
_BODY = re.compile(r"<w:body>(.*)</w:body>", re.S)
_FINAL_SECT = re.compile(r"<w:sectPr\b(?:(?!<w:sectPr\b).)*</w:sectPr>\s*$", re.S)
_PARAGRAPH = re.compile(r"<w:p(?=[ >/])(?:[^>]*/>|.*?</w:p>)", re.S)  # paragraphs never nest here
_P_START = re.compile(r"<w:p(?=[ >/])[^>]*?(/?)>")
_STYLE_REF = re.compile(r'<w:(pStyle|rStyle|tblStyle) w:val="([^"]*)"')
_HEADERS = re.compile(rb'Target="((?:header|footer)\d+\.xml)"')
LAYOUT_FORMAT = 1


class Prepared:
    """What a set takes from one Word part, whatever set it is in: its root's namespaces, body
    (without the final section properties) and final section properties, and the digests of
    what decides how it joins the others (its styles; its relationships, headers and footers).
    Made once per part's bytes in a build (a part is in the plan's set and in a group's packet)."""

    __slots__ = ("entries", "namespaces", "content", "sect", "styles", "refs", "frame")

    def __init__(self, data: bytes):
        self.entries = _entries(data)
        xml = bytes(self.entries[_DOC]).decode("utf-8")
        root = _ROOT.search(xml)
        self.namespaces = _XMLNS.findall(root.group(0))
        body = _body(xml)
        found = _final_sect(body)
        self.content, self.sect = body[:found.start()], found.group(0)
        styles = bytes(self.entries[_STYLES])
        self.styles = hashlib.sha256(styles).hexdigest()
        rels = bytes(self.entries[_RELS])
        refs = hashlib.sha256(rels)  # relationships, and the headers and footers they name
        for target in _HEADERS.findall(rels):
            name = "word/" + target.decode("ascii")
            data = self.entries.get(name)
            refs.update(b"\0" + name.encode("ascii") + b"\0" + (bytes(data) if data is not None else b"-"))
        self.refs = refs.hexdigest()
        self.frame = hashlib.sha256(f"{self.namespaces!r}\0{self.styles}\0{self.refs}".encode("utf-8")).hexdigest()

    def __getitem__(self, name: str) -> bytes:
        return bytes(self.entries[name])

    def get(self, name: str, default=None):
        found = self.entries.get(name)
        return default if found is None else bytes(found)


def _entries(data: bytes) -> dict:
    from docgen.documents.package import stored_entries

    found = stored_entries(data)
    return found if found is not None else dict(read_package(data))


def _body(xml: str) -> str:
    start, end = xml.find("<w:body>"), xml.rfind("</w:body>")
    if start < 0 or end < start + len("<w:body>"):
        return _BODY.search(xml).group(1)
    return xml[start + len("<w:body>"):end]


def _final_sect(body: str) -> re.Match:
    """The body's final section properties (`_FINAL_SECT`), looked for from the end."""
    at = len(body)
    while True:
        at = body.rfind("<w:sectPr", 0, at)
        if at < 0:
            return _FINAL_SECT.search(body)
        after = body[at + 9:at + 10]
        if not (after.isalnum() or after == "_"):
            return _FINAL_SECT.match(body, at) or _FINAL_SECT.search(body)


def compose(parts: list[Part], title: str, when: str, colophon_last: bool = False, previous=None,
            memo: dict | None = None) -> bytes:
    """The parts as one document; see `compose_set` (`colophon_last`: the first part's 版记 moves to
    the end of the set)."""
    return compose_set(parts, title, when, previous=previous, memo=memo, strip_colophon=colophon_last,
                       colophon_from=parts[0] if colophon_last else None)[0]


def compose_set(parts: list[Part], title: str, when: str, previous=None, memo: dict | None = None,
                strip_colophon: bool = False, colophon_from: Part | None = None) -> tuple[bytes, dict]:
    """The parts as one document, and its layout (where each part's body is in it). With
    `strip_colophon`, the first part's 版记 (the paragraphs framed at the foot of its text block) is
    left out of it; with `colophon_from`, that part's 版记 closes the set, at the foot of its last
    page, which is an even page (GB/T 9704 7.4: the 版记 closes the bound set, on its back). A set
    of one volume does both with its first part; volumes of one set, the first and the last.

    `previous` is (bytes, layout) of this set as composed before: the bodies of parts whose bytes
    are unchanged are taken from it as they are, and only changed parts are read and prepared (when
    nothing else changed with them: their styles, headers and footers, namespaces, the first part,
    the number and kinds of the parts; else the whole set is composed again, with the same result).
    `memo` keeps each part's `Prepared` by its SHA-256 across the sets of a build.

    Bodies are spliced as text (every part's root declares the same namespaces, checked): moving
    lxml elements between documents costs a namespace fix-up per element, seconds for a large set."""
    memo = {} if memo is None else memo
    closing = None if colophon_from is None else (0 if colophon_from is parts[0] else colophon_from.digest)
    shape = [LAYOUT_FORMAT, strip_colophon, closing, [[p.kind, p.restart] for p in parts]]
    if previous is not None:
        done = _recompose(parts, title, when, shape, previous, memo)
        if done is not None:
            return done
    base = _prepared(parts[0], memo)
    entries = {name: bytes(data) for name, data in base.entries.items()}
    order = list(entries)
    styles = etree.fromstring(entries[_STYLES])
    rels = etree.fromstring(entries[_RELS])
    types = etree.fromstring(entries[_TYPES])
    document = entries[_DOC].decode("utf-8")
    root = _ROOT.search(document)
    namespaces = dict(base.namespaces)
    base_sect = base.sect
    base_styles = {s.get(w("styleId")): etree.tostring(s) for s in styles.findall(w("style"))}
    renamed_sets: dict[str, dict[str, str]] = {}
    sections: dict[tuple, str] = {}
    colophon = ""
    landscape = None
    out, frames = [], []
    for n, part in enumerate(parts):
        if part.kind == "xlsx":
            part.data  # noqa: B018 -- loaded first, as in `_prepared`
            key = ("xlsx", part.digest, base_sect)
            if key not in memo:
                memo[key] = sheet_section(part.data, base_sect)
            content, sect = memo[key]
            landscape = sect
            frames.append([part.digest, "", ""])
        else:
            prepared = base if n == 0 else _prepared(part, memo)
            for prefix, uri in prepared.namespaces:
                if namespaces.setdefault(prefix, uri) != uri:
                    raise DocgenError(f"无法合成打印文书：文书中的命名空间 {prefix} 与通知不一致")
            content, sect = prepared.content, prepared.sect
            frames.append([part.digest, prepared.styles, prepared.frame])
            if n:
                mapping = renamed_sets.get(prepared.styles)
                if mapping is None:
                    mapping = renamed_sets[prepared.styles] = _merge_styles(
                        styles, base_styles, etree.fromstring(prepared[_STYLES]), len(renamed_sets) + 1)
                content = _restyle(content, mapping)
                if prepared.refs != base.refs:  # else the same ids name the same headers and footers
                    sect = _map_references(sect, prepared, entries, order, rels, types)
            if n == 0 and strip_colophon:
                framed = _framed(content)
                if colophon_from is part:
                    colophon = "".join(m.group(0) for m in framed)
                for m in reversed(framed):
                    content = content[:m.start()] + content[m.end():]
        out.append((content, _cached_section(sections, sect, "oddPage" if n else "nextPage",
                                             "1" if part.restart or n == 0 else None)))
    if colophon_from is not None and colophon_from is not parts[0]:  # the last volume: the notice's 版记
        colophon = "".join(m.group(0) for m in _framed(_prepared(colophon_from, memo).content))
    last = len(out) - 1
    pieces = [(_close_section(content, sect) if n < last or colophon else content + sect).encode("utf-8")
              for n, (content, sect) in enumerate(out)]
    tail = ""
    if colophon:  # the 版记 alone on the set's last even page, at its foot, page numbers kept
        tail = colophon + _section(base_sect, "evenPage", None)
    declarations = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())
    head = document[:root.start()] + _XMLNS.sub("", root.group(0))[:-1] + declarations + ">" + "<w:body>"
    head_bytes, tail_bytes = head.encode("utf-8"), (tail + "</w:body></w:document>").encode("utf-8")
    bounds = [len(head_bytes)]
    for piece in pieces:
        bounds.append(bounds[-1] + len(piece))
    entries[_STYLES] = _xml(styles)
    entries[_RELS] = _xml(rels)
    entries[_TYPES] = _xml(types)
    entries[CORE_PATH] = core_xml(title, when)
    document_chunks = [head_bytes, *pieces, tail_bytes]
    data = write_package([Stored(_DOC, document_chunks) if name == _DOC else (name, entries[name]) for name in order])
    mappings = {key: mapping for key, mapping in renamed_sets.items()}
    layout = {"shape": shape, "parts": frames, "bounds": bounds, "mappings": mappings, "base_sect": base_sect,
              "base_refs": base.refs,
              "colophon": bool(colophon),
              "size": bounds[-1] + len(tail_bytes),
              "sections": _known_sections(sections), "landscape": landscape}
    return data, layout


def _framed(content: str) -> list:
    """The paragraphs of a part's body framed at the foot of its text block: its 版记."""
    return [m for m in _PARAGRAPH.finditer(content) if "<w:framePr " in m.group(0)]


def _prepared(part: Part, memo: dict) -> Prepared:
    part.data  # noqa: B018 -- loaded first: a part's digest is that of the bytes prepared
    found = memo.get(part.digest)
    if found is None:
        found = memo[part.digest] = Prepared(part.data)
    return found


def _known_sections(cache: dict) -> list:
    """`_cached_section`'s results, kept in a set's layout: a few distinct ones per set."""
    return [[sect, kind, start, made] for (sect, kind, start), made in sorted(cache.items(), key=repr)]


def _cached_section(cache: dict, sect: str, kind: str, start: str | None) -> str:
    key = (sect, kind, start)
    if key not in cache:
        cache[key] = _section(sect, kind, start)
    return cache[key]


def _recompose(parts: list[Part], title: str, when: str, shape: list, previous, memo: dict):
    """`compose_set` from the set's previous bytes and layout, when only parts' bodies changed:
    every other part's body is copied from the previous document, byte for byte, and all other
    entries are the previous ones (but the core properties). None when that cannot be done."""
    data, layout = previous
    try:
        frames, bounds = layout["parts"], layout["bounds"]
        if layout["shape"] != shape or len(frames) != len(parts) or len(bounds) != len(parts) + 1 or \
                parts[0].digest != frames[0][0]:
            return None
        changed = [n for n, part in enumerate(parts) if part.digest != frames[n][0]]
        old = _entries(data)
        document = old.get(_DOC)
        if document is None or len(document) != layout["size"]:
            return None
        # a part's section properties as the set starts it, as worked out before (no lxml to load)
        sections = {(sect, kind, start): made for sect, kind, start, made in layout.get("sections", [])}
        new_pieces, new_frames = {}, [list(f) for f in frames]
        for n in changed:
            part = parts[n]
            start = "1" if part.restart or n == 0 else None
            if part.kind == "xlsx":
                content, sect = sheet_section(part.data, layout["base_sect"], layout.get("landscape"))
                new_frames[n] = [part.digest, "", ""]
            else:
                prepared = _prepared(part, memo)
                if [prepared.styles, prepared.frame] != frames[n][1:] or prepared.refs != layout["base_refs"]:
                    return None  # its section's header and footer ids would have to be mapped anew
                content, sect = _restyle(prepared.content, layout["mappings"][prepared.styles]), prepared.sect
                new_frames[n] = [part.digest, prepared.styles, prepared.frame]
            sect = _cached_section(sections, sect, "oddPage" if n else "nextPage", start)
            closed = n < len(parts) - 1 or layout["colophon"]
            new_pieces[n] = (_close_section(content, sect) if closed else content + sect).encode("utf-8")
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None
    chunks, new_bounds = [document[:bounds[0]]], [bounds[0]]
    for n in range(len(parts)):
        piece = new_pieces.get(n)
        chunks.append(piece if piece is not None else document[bounds[n]:bounds[n + 1]])
        new_bounds.append(new_bounds[-1] + len(chunks[-1]))
    chunks.append(document[bounds[-1]:])
    entries = [Stored(name, chunks) if name == _DOC
               else (name, core_xml(title, when) if name == CORE_PATH else bytes(view)) for name, view in old.items()]
    out = write_package(entries)
    layout = {**layout, "parts": new_frames, "bounds": new_bounds, "size": new_bounds[-1] + len(document) - bounds[-1],
              "sections": _known_sections(sections)}
    layout.pop("sha256", None)  # the caller's to set
    return out, layout


def _xml(tree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


_SECT_NS = f'<root xmlns:w="{W}" xmlns:r="{R}">'


def _parse_sect(sect: str):
    return etree.fromstring(_SECT_NS + sect + "</root>")[0]


def _unparse_sect(el) -> str:
    return re.sub(r'\sxmlns:(w|r)="[^"]*"', "", etree.tostring(el, encoding="unicode"))


def _section(sect: str, kind: str, start: str | None) -> str:
    """A section's properties starting it as `kind`, its page numbers from `start` or continuing."""
    el = _parse_sect(sect)
    _set_child(el, "type", val=kind)
    if start:
        _set_child(el, "pgNumType", start=start)
    else:
        old = el.find(w("pgNumType"))
        if old is not None:
            el.remove(old)
    return _unparse_sect(el)


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


_NO_HEIGHT = ('<w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" w:line="20" '
              'w:lineRule="exact"/><w:rPr><w:sz w:val="2"/></w:rPr>{}</w:pPr></w:p>')


def _close_section(content: str, sect: str) -> str:
    """`content` ending its section: the section's properties go in its last paragraph's, or in an
    empty paragraph of no height after a table (a paragraph of its own could spill onto a page)."""
    if not content.rstrip().endswith("</w:p>"):
        return content + _NO_HEIGHT.format(sect)
    last = _last_paragraph(content)
    paragraph = content[last.start():]
    if "<w:framePr " in paragraph or "<w:sectPr" in paragraph:
        return content + _NO_HEIGHT.format(sect)
    if "<w:pPr/>" in paragraph[:len(last.group(0)) + 8]:
        paragraph = paragraph.replace("<w:pPr/>", f"<w:pPr>{sect}</w:pPr>", 1)
    elif paragraph[len(last.group(0)):].startswith("<w:pPr>"):
        end = paragraph.index("</w:pPr>")
        paragraph = paragraph[:end] + sect + paragraph[end:]
    else:
        at = len(last.group(0))
        paragraph = paragraph[:at] + f"<w:pPr>{sect}</w:pPr>" + paragraph[at:]
    return content[:last.start()] + paragraph


def _last_paragraph(content: str) -> re.Match:
    """The last `_P_START` in `content`, looked for from the end (a part's body is long)."""
    at = len(content)
    while True:
        at = content.rfind("<w:p", 0, at)
        if at < 0:
            return list(_P_START.finditer(content))[-1]
        if content[at + 4:at + 5] in (" ", ">", "/"):
            found = _P_START.match(content, at)
            if found:
                return found


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
        copy = etree.fromstring(etree.tostring(own[sid]))
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


def _restyle(content: str, mapping: dict[str, str]) -> str:
    """Point a part's paragraphs, runs and tables at its own styles' ids (a paragraph naming no
    style gets the part's own default one)."""
    if not mapping:
        return content
    content = _STYLE_REF.sub(lambda m: f'<w:{m.group(1)} w:val="{mapping.get(m.group(2), m.group(2))}"', content)
    default = mapping.get("")
    if not default:
        return content
    style = f'<w:pStyle w:val="{default}"/>'
    pieces, at = [], 0
    for m in _P_START.finditer(content):
        pieces.append(content[at:m.start()])
        tag, at = m.group(0), m.end()
        if m.group(1):  # <w:p/>
            pieces.append(tag[:-2] + f"><w:pPr>{style}</w:pPr></w:p>")
        elif content.startswith("<w:pPr/>", at):
            pieces.append(tag + f"<w:pPr>{style}</w:pPr>")
            at += len("<w:pPr/>")
        elif content.startswith("<w:pPr>", at):
            if content.startswith("<w:pStyle ", at + 7):
                pieces.append(tag)
            else:
                pieces.append(tag + "<w:pPr>" + style)
                at += len("<w:pPr>")
        else:
            pieces.append(tag + f"<w:pPr>{style}</w:pPr>")
    pieces.append(content[at:])
    return "".join(pieces)


def _map_references(sect: str, part_entries: dict, entries: dict, order: list, rels, types) -> str:
    """Header and footer references of a part's section, pointed at the set's identical parts
    (added to the set when it has none)."""
    if part_entries[_RELS] == entries[_RELS] and all(
            part_entries["word/" + t] == entries.get("word/" + t)
            for t in re.findall(r'Target="((?:header|footer)\d+\.xml)"', entries[_RELS].decode("utf-8"))):
        return sect  # the same relationships to the same headers and footers: ids stand as they are
    el = _parse_sect(sect)
    part_rels = {r.get("Id"): r for r in etree.fromstring(part_entries[_RELS])}
    base_rels = list(rels)
    for ref in el:
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
    return _unparse_sect(el)


# -- Excel attachments as Word tables -----------------------------------------------------------
_TEXT_WIDTH = 16838 - 2 * 1134  # landscape A4, 20 mm margins (twips)


def sheet_section(data: bytes, base_sect: str, landscape: str | None = None) -> tuple[str, str]:
    """A rendered Excel form (附件 label, title, plan line, header rows, rows, note lines) as Word
    paragraphs and a table on landscape pages; each sheet of the workbook in turn. The sheets'
    XML is read directly (openpyxl takes seconds for a few hundred rows). `landscape` is what
    `_landscape(base_sect)` gave before (kept in the set's layout), if known."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = sorted((n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                       key=lambda n: int(re.search(r"(\d+)\.xml$", n).group(1)))
        aligns = _alignments(book.read("xl/styles.xml")) if "xl/styles.xml" in book.namelist() else []
        shared = _shared_strings(book.read("xl/sharedStrings.xml")) if "xl/sharedStrings.xml" in book.namelist() else []
        content = "".join(_sheet(Sheet(book.read(name), aligns, shared)) for name in names)
    return content, landscape if landscape is not None else _landscape(base_sect)


def _landscape(base_sect: str) -> str:
    """The set's first section properties for landscape pages of tables (headers and footers kept)."""
    sect = _parse_sect(base_sect)
    for child in list(sect):
        if etree.QName(child).localname not in ("headerReference", "footerReference"):
            sect.remove(child)
    _set_child(sect, "pgSz", w="16838", h="11906", orient="landscape")
    _set_child(sect, "pgMar", top="1247", right="1134", bottom="1247", left="1134", header="567", footer="567",
               gutter="0")
    _set_child(sect, "cols", space="720")
    return _unparse_sect(sect)


S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STYLES_ROOT = re.compile(r'\s*(?:<\?xml[^>]*?encoding=["\'](?:utf|UTF)-8["\'][^>]*\?>\s*)?<styleSheet\b[^>]*?\sxmlns="'
                          r'http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"')
_CELL_XFS = re.compile(r"<cellXfs\b[^>]*?(?:/>|>(.*?)</cellXfs>)", re.S)
_XF = re.compile(r"<xf\b[^>]*?(?:/>|>(.*?)</xf>)", re.S)
_ALIGNMENT = re.compile(r"<alignment\b([^>]*?)/>")
_XF_CHILDREN = re.compile(r"(?:\s*<(?:alignment|protection)\b[^>]*/>)*\s*")


def _alignments(xml: bytes) -> list[str | None]:
    """Each cell format's horizontal alignment (index = a cell's s attribute); read with regular
    expressions from plain XML (no lxml to load for an edit), else with lxml."""
    found = _plain_alignments(xml)
    return found if found is not None else _tree_alignments(xml)


def _plain_alignments(data: bytes) -> list[str | None] | None:
    try:
        xml = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not _STYLES_ROOT.match(xml) or "<!" in xml or "\r" in xml or xml.count('xmlns="') != 1 or \
            re.search(r"<[A-Za-z_][\w.-]*:(?:cellXfs|xf|alignment)[\s/>]", xml) or xml.count("<cellXfs") > 1:
        return None
    block = _CELL_XFS.search(xml)
    if block is None:
        return []
    inner = block.group(1) or ""
    if _XF.sub("", inner).strip():
        return None  # something besides xf elements in cellXfs
    found = []
    for xf in _XF.finditer(inner):
        body = xf.group(1) or ""
        if not _XF_CHILDREN.fullmatch(body):
            return None  # other children than empty alignment and protection elements
        alignment = _ALIGNMENT.search(body)
        if alignment is None:
            found.append(None)
            continue
        horizontal = dict(_ATTR.findall(alignment.group(1))).get("horizontal")
        found.append(_unescape(horizontal) if horizontal is not None else None)
    return found


def _tree_alignments(xml: bytes) -> list[str | None]:
    xfs = etree.fromstring(xml).find(S + "cellXfs")
    found = []
    for xf in (xfs if xfs is not None else []):
        align = xf.find(S + "alignment")
        found.append(align.get("horizontal") if align is not None else None)
    return found


def _shared_strings(xml: bytes) -> list[str]:
    return [_xstring("".join(t.text or "" for t in si.iter(S + "t"))) for si in etree.fromstring(xml).findall(S + "si")]


_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _xstring(text: str) -> str:
    """A cell's text as Excel shows it: `_xHHHH_` in a worksheet's string is the character U+HHHH
    (`_x005F_` an underscore: how a typed `_x0041_` is kept as text, `render_xlsx.keep_typed`)."""
    if "_x" not in text:
        return text
    return _XSTRING.sub(lambda m: chr(int(m.group(1), 16)), text)


_REF = re.compile(r"([A-Z]+)(\d+)")
_COLUMNS: dict[str, int] = {}


def _cell(ref: str) -> tuple[int, int]:
    """Row and column of a cell reference ("B6" → 6, 2)."""
    found = _REF.match(ref)
    if found is None:
        return int(re.search(r"\d+", ref).group(0)), _column(ref)
    letters, digits = found.groups()
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = _column(letters)
    return int(digits), col


def _column(ref: str) -> int:
    """The column number of a cell reference (B12 → 2)."""
    from docgen.documents.package import column_number

    return column_number(re.match(r"[A-Z]+", ref).group(0))


class Sheet:
    """What `_sheet` reads of a worksheet: cell values and alignments, merges, column widths.

    A worksheet docgen wrote (plain UTF-8 XML in the default namespace) is read with regular
    expressions, several times faster than walking lxml elements cell by cell; anything else
    (comments, CDATA, a DOCTYPE, prefixed or nested namespaces, rich text) is read with lxml."""

    def __init__(self, xml: bytes, aligns: list, shared: list):
        self.cells: dict[tuple[int, int], tuple[str, str | None]] = {}
        self.max_row = self.max_column = 0
        self.merges = []
        self.widths = {}
        if not _read_plain(self, xml, aligns, shared):
            self.cells, self.merges, self.widths = {}, [], {}
            self.max_row = self.max_column = 0
            self._read_tree(xml, aligns, shared)

    def _read_tree(self, xml: bytes, aligns: list, shared: list) -> None:
        tree = etree.fromstring(xml)
        v, t = S + "v", S + "t"
        for c in tree.iter(S + "c"):
            row, col = _cell(c.get("r"))
            kind, value = c.get("t"), c.find(v)
            if kind == "inlineStr":
                text = _xstring("".join(e.text or "" for e in c.iter(t)))
            elif kind == "s" and value is not None:
                text = shared[int(value.text)]
            else:
                text = value.text if value is not None and value.text else ""
            style = int(c.get("s") or 0)
            self.cells[(row, col)] = (text, aligns[style] if style < len(aligns) else None)
            self.max_row, self.max_column = max(self.max_row, row), max(self.max_column, col)
        for merged in tree.iter(S + "mergeCell"):
            first, last = merged.get("ref").split(":")
            self.merges.append((int(re.search(r"\d+", first).group(0)), _column(first),
                                int(re.search(r"\d+", last).group(0)), _column(last)))
        for col in tree.iter(S + "col"):
            for n in range(int(col.get("min")), int(col.get("max")) + 1):
                self.widths[n] = float(col.get("width") or 9)

    def value(self, row: int, col: int) -> str:
        return self.cells.get((row, col), ("", None))[0]


_PLAIN_ROOT = re.compile(r'\s*(?:<\?xml[^>]*?encoding=["\'](?:utf|UTF)-8["\'][^>]*\?>\s*)?<worksheet\b[^>]*?\sxmlns="'
                         r'http://schemas\.openxmlformats\.org/spreadsheetml/2006/main"')
_PREFIXED = re.compile(r"<[A-Za-z_][\w.-]*:(?:c|v|t|is|r|row|mergeCell|col)[\s/>]")
# a cell as docgen and openpyxl write it: r, then s and t when there are
_C = re.compile(r'<c r="([A-Z]+)([0-9]+)"(?: s="([0-9]+)")?(?: t="(\w+)")?(?:/>|><is><t(?: xml:space="preserve")?>'
                r'([^<]*)</t></is></c>|><v>([^<]*)</v></c>|>(.*?)</c>)', re.S)
_ANY_C = re.compile(r"<c\b")
_V = re.compile(r"<v(?:\s[^>]*)?(?:/>|>(.*?)</v>)", re.S)
_T = re.compile(r"<t(?:\s[^>]*)?(?:/>|>(.*?)</t>)", re.S)
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_MERGE = re.compile(r"<mergeCell\b([^>]*)>")
_COL = re.compile(r"<col\b([^>]*)>")
_ENTITY = re.compile(r"&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: chr(int(m.group(1))) if m.group(1) else chr(int(m.group(2), 16)) if m.group(2)
                       else _NAMED[m.group(3)], text)


def _read_plain(sheet: Sheet, data: bytes, aligns: list, shared: list) -> bool:
    """`Sheet`'s fields read from plain worksheet XML; False (fields half filled) when the XML is not
    plain enough to be read this way, or is not what lxml would read it as."""
    try:
        xml = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if not _PLAIN_ROOT.match(xml) or "<!" in xml or "\r" in xml or xml.count('xmlns="') != 1 or \
            _PREFIXED.search(xml):
        return False
    cells = sheet.cells
    max_row = max_column = 0
    count = 0
    for found in _C.finditer(xml):
        letters, digits, style, kind, simple_text, simple_value, inner = found.groups()
        count += 1
        row, col = int(digits), _COLUMNS.get(letters) or _cell(letters + digits)[1]
        if simple_text is not None:  # <is><t>…</t></is>, the text read only for an inline string
            text = _xstring(_unescape(simple_text)) if kind == "inlineStr" else ""
        elif simple_value is not None:  # <v>…</v>
            if kind == "inlineStr":
                text = ""
            elif kind == "s":
                text = shared[int(_unescape(simple_value))]
            else:
                text = _unescape(simple_value)
        elif inner is None:  # <c …/>
            text = ""
        elif kind == "inlineStr":
            pieces = _T.findall(inner)
            if any("<" in piece for piece in pieces):
                return False  # markup inside a text element: lxml's reading differs
            text = _xstring(_unescape("".join(pieces)))
        else:
            value = _V.search(inner)
            if value is not None and "<" in (value.group(1) or ""):
                return False
            if kind == "s" and value is not None:
                text = shared[int(_unescape(value.group(1) or ""))]
            else:
                text = _unescape(value.group(1)) if value is not None and value.group(1) else ""
        style = int(style or 0)
        cells[(row, col)] = (text, aligns[style] if style < len(aligns) else None)
        if row > max_row:
            max_row = row
        if col > max_column:
            max_column = col
    if count != len(_ANY_C.findall(xml)):
        return False  # a cell written otherwise (other attributes, another order)
    sheet.max_row, sheet.max_column = max_row, max_column
    for found in _MERGE.finditer(xml):
        first, last = _unescape(dict(_ATTR.findall(found.group(1)))["ref"]).split(":")
        sheet.merges.append((int(re.search(r"\d+", first).group(0)), _column(first),
                             int(re.search(r"\d+", last).group(0)), _column(last)))
    for found in _COL.finditer(xml):
        attrs = dict(_ATTR.findall(found.group(1)))
        for n in range(int(attrs["min"]), int(attrs["max"]) + 1):
            sheet.widths[n] = float(attrs.get("width") or 9)
    return True


_PLAIN = re.compile(r'[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return escape(text) if _PLAIN.search(text) else text  # most cells have nothing to escape


@functools.lru_cache(maxsize=64)
def _frame(font: str, size: float, align: str, before: int, after: int, keep: bool = False) -> tuple[str, str]:
    """A `_paragraph`'s opening (paragraph properties) and each run's (run properties)."""
    half = int(size * 2)
    run = (f'<w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:cs="{font}" '
           f'w:hint="eastAsia"/><w:spacing w:val="0"/><w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>')
    head = (f'<w:p><w:pPr>{"<w:keepNext/>" if keep else ""}<w:snapToGrid w:val="0"/><w:spacing w:before="{before}" '
            f'w:after="{after}" w:line="240" w:lineRule="auto"/><w:ind w:firstLine="0" w:firstLineChars="0"/>'
            f'<w:jc w:val="{align}"/></w:pPr>')
    return head, run


def _paragraph(text: str, font: str, size: float, align: str = "left", before: int = 0, after: int = 0,
               keep: bool = False) -> str:
    """A paragraph of escaped text off the grid, in the given face and size (points); `keep`: on the
    page of the next (a table row kept with the next row)."""
    head, run = _frame(font, size, align, before, after, keep)
    if "\n" not in text:
        return f'{head}{run}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
    runs = "".join(run + ("<w:br/>" if n else "") + f'<w:t xml:space="preserve">{line}</w:t></w:r>'
                   for n, line in enumerate(text.split("\n")))
    return f"{head}{runs}</w:p>"


_BORDERS = "".join(f'<w:{edge} w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
                   for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))


KEEP_ROWS = 12  # rows of a merged group kept on one page at most (fewer than a landscape page holds)


_WIDE_TWIPS = 210  # a Chinese character at 10.5 pt
_NARROW_TWIPS = 116  # a digit or Latin letter: half of that, and a tenth more (fonts differ, 仿宋's substitutes)
_CAPITAL_TWIPS = 160  # a capital letter (a credit code has several): wider still in most fonts
_GAP_TWIPS = 53  # the quarter em Word and WPS put between Chinese and a digit or letter (2023年11月6日: five)
_CELL_MARGINS = 230  # Word's default left and right cell margins (108 twips each), and a little air
SHORT = 8  # a heading or value of up to 4 Chinese characters (序号, 检查部门, 裴子郡, 责令改正): one line
CODE = 18  # a value without Chinese of up to 18 characters (a credit code, a badge or phone number, a plate)
LONGER = 14  # a value of up to 14 columns with Chinese in it (2023年11月14日): one line when the page allows


def _least_widths(sheet: Sheet, columns: list[int], header_end: int, spans: dict, covered: set
                  ) -> list[list[int]]:
    """The widths (twips) each column needs so that its short texts are not broken — a heading such
    as 序号 or 责任人, a three-character name, a credit code, a badge number, and then a date —
    as two lists: what must fit, and that with the dates. (The workbook's columns are sized in
    Excel's units for its font; spread over a Word page in proportion, narrow ones broke 序/号 and
    裴子/郡.) Longer texts wrap as they must."""
    from docgen.records.model import display_width

    must, more = [0] * len(columns), [0] * len(columns)
    last = len(columns)
    heads: list[set] = [set() for _ in columns]
    values: list[set] = [set() for _ in columns]  # each text once: a county's 公示表 repeats most of them
    for (row, c), (text, _align) in sheet.cells.items():
        if row < 4 or c > last or text is None or (row, c) in covered or (row, c) in spans and spans[(row, c)][0] > 1:
            continue
        (heads if row <= header_end else values)[c - 1].add(text)
    for i in range(last):
        for head, texts in ((True, heads[i]), (False, values[i])):
            for text in texts:
                text = str(text)
                if text.isascii() and "\n" not in text:  # a number or code: most of a county's distinct texts
                    if len(text) <= (SHORT if head else CODE):
                        printed = len(text) * _NARROW_TWIPS if text.isdigit() else _printed_twips(text)
                        must[i] = max(must[i], printed + _CELL_MARGINS)
                    continue
                plain = text.isascii()
                if len(text) > (CODE if plain else LONGER):
                    continue  # (wider than any limit whatever it holds)
                lines = text.split("\n")
                width = max(display_width(line) for line in lines)
                if width <= SHORT or (plain and width <= CODE and not head):
                    target = must
                elif width <= LONGER and not head:
                    target = more
                else:
                    continue
                target[i] = max(target[i], max(_printed_twips(line) for line in lines) + _CELL_MARGINS)
    return [must, [max(a, b) for a, b in zip(must, more)]]


def _widened(twips: list[int], needs: list[list[int]]) -> list[int]:
    """`twips` with each column at least its need — the larger set of needs when the page can give
    them, else the smaller — what that takes given by the columns with room to spare in proportion
    to it; the total stays. Unchanged when the page cannot give even the smaller set."""
    for need in reversed(needs):
        short = sum(max(0, n - t) for t, n in zip(twips, need))
        spare = [max(0, t - n) for t, n in zip(twips, need)]
        if not short:
            return twips
        if sum(spare) < short:
            continue
        taken = [short * s // sum(spare) for s in spare]
        for i in sorted(range(len(spare)), key=lambda i: (-spare[i], i))[:short - sum(taken)]:
            taken[i] += 1  # the rounding's remainder, from the roomiest columns
        return [max(t, n) - k for t, n, k in zip(twips, need, taken)]
    return twips


def _printed_twips(text: str) -> int:
    """How wide a line of 10.5 pt text prints (`_least_widths`)."""
    import unicodedata

    width, previous = 0, None
    for char in text:
        wide = not char.isascii() and unicodedata.east_asian_width(char) in "WFA"  # · “ ” print wide in 仿宋
        width += _WIDE_TWIPS if wide else _CAPITAL_TWIPS if "A" <= char <= "Z" else _NARROW_TWIPS
        if previous is not None and wide != previous and (char.isalnum() or previous is False):
            width += _GAP_TWIPS
        previous = wide
    return width


# below each cell's text, as in the Word templates' tables: LibreOffice set a cell's last line on the
# bottom border and cut its descenders
_AIR = '<w:tblCellMar><w:bottom w:w="45" w:type="dxa"/></w:tblCellMar>'


def _sheet(sheet: Sheet) -> str:
    """One worksheet of a docgen form: rows 1–3 label, title, plan line; from row 4 the header (one
    row, or two under merged group headings) and the table's rows, merged cells kept; rows merged
    across the whole width (signature lines) follow the table."""
    title_span = [m for m in sheet.merges if m[0] == 2 and m[1] == 1]
    width = title_span[0][3] if title_span else sheet.max_column
    columns = list(range(1, width + 1))
    full_width, spans, covered = set(), {}, set()
    joined = set()  # rows whose merged cells go on into the next row: kept on its page (a group stays whole)
    for min_row, min_col, max_row, max_col in sheet.merges:
        if min_row < 4:
            continue
        if min_col == 1 and max_col >= width:
            full_width.update(range(min_row, max_row + 1))
            continue
        if max_row - min_row < KEEP_ROWS:  # a longer group would leave pages blank to stay whole: it runs on
            joined.update(range(min_row, max_row))
        span = max_col - min_col + 1
        for row in range(min_row, max_row + 1):
            spans[(row, min_col)] = (span, None if max_row == min_row else "restart" if row == min_row else "continue")
            covered.update((row, c) for c in range(min_col + 1, max_col + 1))
    header_end = max([m[2] for m in sheet.merges if m[0] == 4 and 4 not in full_width] + [4])
    out = [_paragraph(_text(sheet.value(1, 1)), "黑体", 16),
           _paragraph(_text(sheet.value(2, 1)), "方正小标宋简体", 18, "center", after=120),
           _paragraph(_text(sheet.value(3, 1)), "仿宋_GB2312", 12, after=120)]
    widths = [sheet.widths.get(c, 9) for c in columns]
    twips = _widened([int(_TEXT_WIDTH * x / sum(widths)) for x in widths],
                     _least_widths(sheet, columns, header_end, spans, covered))
    out.append(f'<w:tbl><w:tblPr><w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/>'
               f'<w:tblBorders>{_BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/>{_AIR}</w:tblPr><w:tblGrid>' +
               "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>")
    notes = []
    cells = sheet.cells
    openings: dict[tuple, str] = {}  # (column, span, vMerge) -> a cell's opening: thousands of rows share a few
    for row in range(4, sheet.max_row + 1):
        found = [cells.get((row, c)) for c in columns]
        values = [_text(f[0]) if f is not None else "" for f in found]
        if row in full_width:
            if values[0]:
                notes.append(values[0])
            continue
        if not any(values) and not any((row, c) in spans for c in columns):
            continue
        head = row <= header_end
        out.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>")
        for c, value, f in zip(columns, values, found):
            if (row, c) in covered:
                continue
            span, vmerge = spans.get((row, c), (1, None))
            opening = openings.get((c, span, vmerge))
            if opening is None:
                opening = openings[(c, span, vmerge)] = (
                    f'<w:tc><w:tcPr><w:tcW w:w="{sum(twips[c - 1:c - 1 + span])}" w:type="dxa"/>' +
                    (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") +
                    (f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "") + '<w:vAlign w:val="center"/></w:tcPr>')
            out.append(opening + _paragraph("" if vmerge == "continue" else value, "黑体" if head else "仿宋_GB2312",
                                            10.5, "center" if head or (f is not None and f[1] == "center") else "left",
                                            keep=row in joined and not head)
                       + "</w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    out += [_paragraph(note, "仿宋_GB2312", 12, before=240) for note in notes]
    return "".join(out)
