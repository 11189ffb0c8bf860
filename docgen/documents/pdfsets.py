"""Print sets to PDF in pieces on every core, and the packets' parts' PDFs cut from their packet's.

A print set is one long Word document (a plan's bound set runs to ~2,000 pages in a county-sized
plan); LibreOffice converts a document on one core, and a long one costs it about twice as much
per page as a short one. So a set's sections (one per part, each starting on an odd page) are
cut into pieces of consecutive sections, each piece a .docx of its own, converted side by side
and joined. Where page numbers run on across the set, a piece's first section numbers its pages
from where the piece starts in the set: the sum of the page counts of the parts before it, learnt
from the pieces converted before (the packets hold the same parts) or from a short probe of the
parts no packet holds. Every piece's start is checked against the pieces actually made, and a
piece that started on a wrong number is converted again.

A group's packet numbers each part from 1: its pages are exactly those of its parts printed
alone. So those parts' own PDFs are cut from the packet's rather than converted a second time
(a part's PDF is then a function of its packet: `write_pdfs` rewrites them all together).
Each piece marks the start of each section with a bookmark that LibreOffice exports as a named
destination, which is how the pages are told apart.
"""

from __future__ import annotations

import io
import os
import re

PIECE = 150  # sections per piece at most (a piece costs a LibreOffice start, ~1 s of CPU)
SMALLEST = 20  # sections per piece at least, where a set has that many
WHOLE_BELOW = 40  # a bound set with fewer parts is converted whole, like any document
EXPORT = ('pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"},'
          '"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}')
MARK = "docgenpart"  # bookmark names: MARK, section number, "x" (LibreOffice may add to a name: " Copy 1")
_NAME = re.compile(MARK + r"(\d+)x")

_BODY = re.compile(r"<w:body>(.*)</w:body>", re.S)
_SECT = re.compile(r"<w:sectPr\b.*?</w:sectPr>", re.S)
_P_START = re.compile(r"<w:p(?=[ >/])[^>]*?(/?)>")
_NUM = re.compile(r"<w:pgNumType\b[^>]*/>")
# CT_SectPr children that come after pgNumType (where a new pgNumType goes in)
_AFTER_NUM = re.compile(r"<w:(?:cols|formProt|vAlign|noEndnote|titlePg|textDirection|bidi|rtlGutter|docGrid|"
                        r"printerSettings|sectPrChange)\b|</w:sectPr>")


class SetJob:
    """One print set to convert: its .docx, the source of each part whose own PDF is to be cut from
    the set's (a packet's parts; None where not), and whether its parts number pages from 1."""

    def __init__(self, source: str, parts: list[str | None], restart: bool, keys: list[str]):
        self.source, self.parts, self.restart, self.keys = source, parts, restart, keys
        self.entries: list | None = None
        self.head = self.tail = ""
        self.sections: list[tuple[str, int, int]] = []  # (xml, start and end of its sectPr in it)
        self.pieces: list[Piece] = []

    def load(self) -> bool:
        """Read the set's sections; False when they are not one per part (then it goes whole)."""
        from docgen.documents.package import read_package

        with open(self.source, "rb") as handle:
            self.entries = read_package(handle.read())
        document = dict(self.entries)["word/document.xml"].decode("utf-8")
        self.head, self.sections, self.tail = split_sections(document)
        if not self.restart and len(self.sections) == len(self.keys) - 1:
            self.keys.pop()  # no 版记 of its own at the end
        return len(self.sections) == len(self.keys) and all(e > s for _, s, e in self.sections)


class Piece:
    """Consecutive sections of a set (or scattered ones, for a probe) as a .docx of their own.

    A piece other than the first opens with the section before its own (its `lead`), whose pages
    are dropped: LibreOffice sets the first page after a section break a few points lower than a
    document's first page, so a part starting a piece would otherwise print higher than it does
    in the set, and might break its pages elsewhere."""

    def __init__(self, job: SetJob, indices: list[int], probe: bool = False):
        self.job, self.indices, self.probe = job, indices, probe
        self.lead = indices[0] - 1 if indices[0] and not probe else None
        self.start: int | None = None  # the page number its first own section starts from
        self.lead_pages: int | None = None  # pages its lead is taken to fill (where the lead's numbers start)
        self.stale = False
        self.pages: list | None = None  # pypdf pages once converted
        self.reader = None
        self.starts: dict[int, int] = {}  # section → its first page in the piece (0-based)


def split_sections(document: str) -> tuple[str, list[tuple[str, int, int]], str]:
    """The body's sections: each runs to the paragraph holding its sectPr (the last, to the body's)."""
    body = _BODY.search(document)
    inner = body.group(1)
    sections, at = [], 0
    for found in _SECT.finditer(inner):
        end = found.end()
        if inner.startswith("</w:pPr>", end):
            end = inner.index("</w:p>", end) + len("</w:p>")
        sections.append((inner[at:end], found.start() - at, found.end() - at))
        at = end
    return document[:body.start(1)], sections, document[body.end(1):]


def _bookmarked(xml: str, number: int) -> str:
    """A section's XML with a bookmark at its first paragraph (in a table's first cell if it opens
    with a table)."""
    mark = (f'<w:bookmarkStart w:id="{900000 + number}" w:name="{MARK}{number}x"/>'
            f'<w:bookmarkEnd w:id="{900000 + number}"/>')
    found = _P_START.search(xml)
    if found.group(1):  # <w:p/>
        return xml[:found.start()] + found.group(0)[:-2] + ">" + mark + "</w:p>" + xml[found.end():]
    at = found.end()
    if xml.startswith("<w:pPr>", at):
        at = xml.index("</w:pPr>", at) + len("</w:pPr>")
    elif xml.startswith("<w:pPr/>", at):
        at += len("<w:pPr/>")
    return xml[:at] + mark + xml[at:]


def piece_docx(job: SetJob, indices: list[int], start: int | None) -> bytes:
    """The sections `indices` of the set as a document: the first numbers its pages from `start`
    (None: as in the set), the last one's properties become the body's. Each section starts with
    a bookmark that LibreOffice exports as a named destination (`read_piece`)."""
    from docgen.documents.package import write_package

    out = []
    for n, index in enumerate(indices):
        xml, s, e = job.sections[index]
        sect = xml[s:e]
        if n == 0 and start is not None:
            sect = _NUM.sub("", sect)
            at = _AFTER_NUM.search(sect).start()
            sect = sect[:at] + f'<w:pgNumType w:start="{start}"/>' + sect[at:]
        if n == len(indices) - 1:  # the body's own sectPr closes the document
            out.append(_bookmarked(xml[:s] + xml[e:], index) + sect)
        else:
            out.append(_bookmarked(xml[:s] + sect + xml[e:], index))
    document = (job.head + "".join(out) + job.tail).encode("utf-8")
    return write_package([(name, document if name == "word/document.xml" else data) for name, data in job.entries])


def read_piece(piece: Piece, data: bytes) -> None:
    """The piece's pages and where each of its sections starts (the named destinations)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    piece.reader, piece.pages = reader, list(reader.pages)
    found = {}
    for name, dest in reader.named_destinations.items():
        named = _NAME.match(name.lstrip("/"))
        if named:
            found.setdefault(int(named.group(1)), reader.get_destination_page_number(dest))
    wanted = ([piece.lead] if piece.lead is not None else []) + piece.indices
    if sorted(found) != sorted(wanted) or found[wanted[0]] != 0:
        raise ValueError("sections not found in the piece's PDF")
    if piece.lead is not None:
        del found[piece.lead]
    skip = found[piece.indices[0]]  # the lead's pages, its blank one included
    if piece.lead_pages is not None and skip != piece.lead_pages:
        piece.lead_pages = skip  # its own numbers were off by the difference: made again (`restarted`)
        piece.stale = True
    piece.pages = piece.pages[skip:]
    piece.starts = {index: page - skip for index, page in found.items()}


def occupied(piece: Piece) -> dict[int, int]:
    """Pages each section of a converted piece takes in its set, the blank page that lets the next
    part start on an odd page included."""
    bounds = [piece.starts[i] for i in piece.indices] + [len(piece.pages)]
    return {i: bounds[n + 1] - bounds[n] + (bounds[n + 1] - bounds[n]) % 2 for n, i in enumerate(piece.indices)}


def is_blank(page) -> bool:
    """A page LibreOffice inserted so that the next part starts on an odd page: nothing drawn on it
    (every page of a part carries at least its page number)."""
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    return b"BT" not in data and len(data) < 64


def part_pages(piece: Piece, index: int) -> list:
    """The pages of one section of a converted piece, without the blank pages after it."""
    position = piece.indices.index(index)
    end = piece.starts[piece.indices[position + 1]] if position + 1 < len(piece.indices) else len(piece.pages)
    pages = piece.pages[piece.starts[index]:end]
    while len(pages) > 1 and is_blank(pages[-1]):
        pages.pop()
    return pages


def write_pdf(pages_by_piece: list[list], title: str, when: bytes) -> bytes:
    """Pages as one PDF: each run of pages starting on an odd page (a blank page between, as
    LibreOffice puts one), the document's title and its own date: same pages, same bytes."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pages in pages_by_piece:
        if len(writer.pages) % 2 and pages:
            box = writer.pages[-1].mediabox
            writer.add_blank_page(width=box.width, height=box.height)
        for page in pages:
            writer.add_page(page)
    stamp = "D:" + when.decode("ascii") + "Z"
    writer.add_metadata({"/Title": title, "/Author": "docgen", "/Creator": "Writer", "/Producer": "LibreOffice, pypdf",
                         "/CreationDate": stamp, "/ModDate": stamp})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def document_title(source: str) -> str:
    """The title in a document's properties (the PDF's title, as LibreOffice would set it)."""
    import zipfile

    from docgen.documents.package import CORE_PATH

    try:
        with zipfile.ZipFile(source) as package:
            core = package.read(CORE_PATH).decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ""
    found = re.search(r"<dc:title>([^<]*)</dc:title>", core)
    if not found:
        return ""
    from xml.sax.saxutils import unescape

    return unescape(found.group(1), {"&quot;": '"', "&apos;": "'"})


def plan_pieces(jobs: list[SetJob], workers: int) -> list[Piece]:
    """Every set cut into pieces (a bound set's parts no packet holds probed first when later
    pieces need their page counts), in the order they are best started: packets and probes, whose
    page counts the bound sets wait for, before the bound sets."""
    total = sum(len(job.sections) for job in jobs)
    size = max(SMALLEST, min(PIECE, -(-total // (2 * workers))))
    first, later = [], []
    from_packets = {key for job in jobs if job.restart for key in job.keys}
    for job in jobs:
        count = len(job.sections)
        number = -(-count // size)
        bounds = [count * n // number for n in range(number)]
        # a bound set's 版记 closes it in a section of its own: it stays with the part before it
        job.pieces = [Piece(job, list(range(b, bounds[n + 1] if n + 1 < len(bounds) else count)))
                      for n, b in enumerate(bounds)]
        if job.restart:
            first += job.pieces
            continue
        # sections whose page counts later pieces need and no packet gives: probed first
        unknown = sorted({i for i in range(len(job.pieces[0].indices), count) if job.keys[i] not in from_packets}
                         - set(job.pieces[-1].indices)) if len(job.pieces) > 1 else []
        if unknown:
            first.append(Piece(job, unknown, probe=True))
        first.append(job.pieces[0])
        later += job.pieces[1:]
    return first + later
