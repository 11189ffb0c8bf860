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
The plan's bound set holds the same parts again (each entity's 告知书 and 实地核查记录表, most of
its pages): there they are not laid out a second time either. Their pages are the packets',
their footers replaced by those LibreOffice prints, for their place in the set, on a document of
empty pages with the same section properties (`stamp`). The set's other parts are converted as
pieces: the notice and the plan numbered from 1, the others (the 台账, the tables and the 版记)
at once, numbered as they come and renumbered the same way, so that nothing waits for the
packets' page counts but the page-number documents.
Each piece marks the start of each section with a bookmark that LibreOffice exports as a named
destination, which is how the pages are told apart.
"""

from __future__ import annotations

import functools
import io
import re

PIECE = 250  # sections per piece at most
# a piece's size aimed at, in paragraphs (table cells' included: LibreOffice takes ~1 ms of CPU for
# each, about the same in a notice, a form or a long table); never below this, which is worth about
# a LibreOffice start (~1.5 s of CPU)
SMALLEST = 1000
LEAD_PAGES = 2  # the pages a piece's lead fills: its empty page and the blank one before an odd page
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
        self.numbers: list[Piece] = []  # where its parts' pages come from packets (`stamp`)

    @functools.cached_property
    def costs(self) -> list[int]:
        """Each section's paragraphs: what converting it costs, roughly (`paragraphs`)."""
        return [paragraphs(xml) for xml, _s, _e in self.sections]

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

    A piece other than the first opens with the section before its own (its `lead`, as an empty
    page), whose pages are dropped: LibreOffice sets the first page after a section break a few
    points lower than a document's first page, so a part starting a piece would otherwise print
    higher than it does in the set, and might break its pages elsewhere."""

    def __init__(self, job: SetJob, indices: list[int], probe: bool = False, numbers: list[int] | None = None):
        self.job, self.indices, self.probe = job, indices, probe
        # a bound set's page numbers for these sections (sharing one page style), on empty pages (`stamp`)
        self.numbers = numbers
        self.lead = indices[0] - 1 if indices[0] and not probe else None
        self.start: int | None = None  # the page number its first own section starts from
        self.lead_pages: int | None = None  # pages its lead is taken to fill (where the lead's numbers start)
        self.stale = False
        self.pages: list | None = None  # pypdf pages once converted
        self.reader = None
        self.starts: dict[int, int] = {}  # section → its first page in the piece (0-based)
        self.cost = sum(job.costs[i] for i in indices) if not numbers else 0  # its time, roughly
        self.waited = probe or job.restart  # other pieces wait for its page counts (`plan_pieces`)
        self.loose = False  # a bound set's piece numbered as it comes, its footers replaced (`stamp`)


def paragraphs(xml: str) -> int:
    """Paragraphs in a stretch of a document's XML: what its conversion costs, roughly."""
    return xml.count("<w:p>") + xml.count("<w:p ")


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


def piece_docx(job: SetJob, indices: list[int], start: int | None, lead: int | None = None,
               empty: int | None = None) -> bytes:
    """The sections `indices` of the set as a document: the first numbers its pages from `start`
    (None: as in the set), the last one's properties become the body's. Each section starts with
    a bookmark that LibreOffice exports as a named destination (`read_piece`).

    `lead`, a section before them, opens the document as an empty page with that section's
    properties (its pages are dropped from the PDF): its content is not needed, only the section
    break after it, and leaving it out keeps a piece after a long table from laying that table out
    again. With a lead, `start` numbers the lead's page (the piece's own sections start two pages on).

    `empty`: the one section in `indices` as that many pages with nothing on them but what its
    header and footer print (its page numbers, see `stamp`)."""
    from docgen.documents.package import write_package

    out = []
    if lead is not None:
        xml, s, e = job.sections[lead]
        out.append(_bookmarked("<w:p><w:pPr>" + _numbered(xml[s:e], start) + "</w:pPr></w:p>", lead))
        start = None
    for n, index in enumerate(indices):
        xml, s, e = job.sections[index]
        if empty:
            xml = "<w:p/>" + '<w:p><w:r><w:br w:type="page"/></w:r></w:p>' * (empty - 1) + xml[s:e]
            s, e = len(xml) - (e - s), len(xml)
        sect = xml[s:e]
        if n == 0 and start is not None:
            sect = _numbered(sect, start)
        if n == len(indices) - 1:  # the body's own sectPr closes the document
            out.append(_bookmarked(xml[:s] + xml[e:], index) + sect)
        else:
            out.append(_bookmarked(xml[:s] + sect + xml[e:], index))
    document = (job.head + "".join(out) + job.tail).encode("utf-8")
    return write_package([(name, document if name == "word/document.xml" else data) for name, data in job.entries])


def _numbered(sect: str, start: int | None) -> str:
    """A section's properties numbering its pages from `start` (None: as they were)."""
    if start is None:
        return sect
    sect = _NUM.sub("", sect)
    at = _AFTER_NUM.search(sect).start()
    return sect[:at] + f'<w:pgNumType w:start="{start}"/>' + sect[at:]


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
            if isinstance(page, tuple):  # (page, the page whose footer it takes, where the text area ends)
                stamp(writer, writer.add_page(page[0]), page[1], page[2])
            else:
                writer.add_page(page)
    date = "D:" + when.decode("ascii") + "Z"
    writer.add_metadata({"/Title": title, "/Author": "docgen", "/Creator": "Writer", "/Producer": "LibreOffice, pypdf",
                         "/CreationDate": date, "/ModDate": date})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# a text object as LibreOffice writes it: its position, then what it shows
_TEXT = re.compile(rb"q [^\n]*\nBT\n-?[\d.]+ (-?[\d.]+) Td [^\n]*\nET\nQ\n")
_FONT_NAME = re.compile(rb"/(F\d+) ")
_BOTTOM = re.compile(r'<w:pgMar\b[^>]*\bw:bottom="(\d+)"')


def bottom_margin(job: SetJob, index: int) -> float:
    """Where a section's text area ends, in points from the foot of the page: below it, only its
    footer prints."""
    xml, s, e = job.sections[index]
    return int(_BOTTOM.search(xml[s:e]).group(1)) / 20


def footer_text(data: bytes, bottom: float, at: set[float] | None = None) -> tuple[bytes, list[bytes]]:
    """A page's content without the text drawn below `bottom` (only on the baselines `at`, within
    half a point, when given), and that text."""
    kept, taken, start = [], [], 0
    for found in _TEXT.finditer(data):
        y = float(found.group(1))
        if y < bottom and (at is None or any(abs(y - line) < 0.5 for line in at)):
            kept.append(data[start:found.start()])
            taken.append(found.group(0))
            start = found.end()
    kept.append(data[start:])
    return b"".join(kept), taken


def stamp(writer, page, numbers, bottom: float) -> None:
    """Give a page (already added to `writer`) the footer of `numbers`, a page LibreOffice printed
    with the same section properties and nothing else, in place of its own: a packet's part
    numbered from 1 becomes the same part in its plan's bound set, numbered from where it stands
    there, without LibreOffice laying the part out a second time. Only the text on the footer's
    own lines is replaced (a 版记 may sit below the text area's foot)."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    _, new = footer_text(numbers.get_contents().get_data(), bottom)
    lines = {float(_TEXT.match(block).group(1)) for block in new}
    body, old = footer_text(page.get_contents().get_data(), bottom, lines)
    if not new and not old:
        return  # a page without a number (the 版记's)
    if not old or not new:
        raise ValueError("no page number to replace")
    fonts = numbers["/Resources"].get_object()["/Font"].get_object()
    resources = DictionaryObject(page["/Resources"].get_object())
    font = DictionaryObject(resources["/Font"].get_object()) if "/Font" in resources else DictionaryObject()
    for name in fonts:
        font[NameObject("/DG" + name[1:])] = fonts.raw_get(name).clone(writer)
    resources[NameObject("/Font")] = font
    page[NameObject("/Resources")] = resources
    stream = DecodedStreamObject()
    stream.set_data(body + b"\n" + _FONT_NAME.sub(rb"/DG\1 ", b"".join(new)))
    page.replace_contents(stream.flate_encode())


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
    """Every set cut into pieces, in the order they are best started: those whose page counts or
    pages others wait for first, then the heaviest (so that the converters finish together).

    A bound set whose parts packets hold (a plan's set, beside its groups' packets) takes those
    parts' pages from the packets, renumbered (`stamp`): each run of its other parts (the notice
    and the plan, the 台账, the tables and the 版记) is a piece, each waited for by those after it
    but the last, and each page style of the taken parts a document of empty numbered pages.
    Otherwise a set is cut into pieces of about the same cost (paragraphs; an eighth per core of
    all there is, `SMALLEST` at least), and in a bound set the parts whose page counts later
    pieces need are probed first."""
    target = max(SMALLEST, sum(sum(job.costs) for job in jobs) // (4 * workers))
    ahead, packets, others = [], [], []  # what others wait for in bound sets, packets, the rest
    from_packets = {key for job in jobs if job.restart for key in job.keys}
    for job in jobs:
        count = len(job.sections)
        held = [not job.restart and key in from_packets for key in job.keys[:count]]
        if any(held) and not held[0]:
            _taken_from_packets(job, held)
            ahead += [piece for piece in job.pieces if piece.waited]
            others += [piece for piece in job.pieces + job.numbers if not piece.waited]
            continue
        runs = _cut(job.costs, range(count), target)
        if len(runs) > 1 and len(runs[-1]) == 1 and not job.restart:
            last = runs.pop()
            runs[-1] = runs[-1] + last  # a bound set's 版记 never starts a piece
        job.pieces = [Piece(job, indices) for indices in runs]
        if job.restart:
            packets += job.pieces
            continue
        if len(job.pieces) > 1:
            job.pieces[0].waited = True
            ahead.append(job.pieces[0])
            # sections whose page counts later pieces need: probed first
            unknown = list(range(len(runs[0]), runs[-1][0]))
            ahead.append(Piece(job, unknown, probe=True))
        others += job.pieces[1:] if len(job.pieces) > 1 else job.pieces
    heaviest = lambda piece: -piece.cost  # noqa: E731
    return ahead + sorted(packets, key=heaviest) + sorted(others, key=heaviest)


def _taken_from_packets(job: SetJob, held: list[bool]) -> None:
    """A bound set's pieces: the runs of sections no packet holds, the first numbered from 1, the
    others converted at once with numbers of their own; and one document of numbered empty pages
    per page style of every section after the first piece, whose footers all those pages take."""
    runs: list[list[int]] = []
    for index in range(len(job.sections)):
        if held[index]:
            continue
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    job.pieces = [Piece(job, indices) for indices in runs]
    job.pieces[0].waited = True  # the notice and the plan: every page number after them waits for them
    for piece in job.pieces[1:]:
        piece.loose = True  # converted at once, numbered as it comes, its page numbers stamped later
    styles: dict[str, list[int]] = {}
    for index in range(len(runs[0]), len(job.sections)):
        if job.keys[index].endswith("#版记"):
            continue  # the 版记's page prints no number: taken as converted
        xml, s, e = job.sections[index]
        styles.setdefault(_NUM.sub("", xml[s:e]), []).append(index)
    job.numbers = [Piece(job, [members[0]], numbers=members) for members in styles.values()]


def _cut(costs: list[int], indices: range, target: int) -> list[list[int]]:
    """Consecutive sections in as many runs of equal cost as make about `target` paragraphs each
    (at most `PIECE` sections): each run ends where the cost so far comes closest to its share."""
    indices = list(indices)
    total = sum(costs[i] for i in indices)
    number = max(1, round(total / target), -(-len(indices) // PIECE))
    runs, run, done = [], [], 0
    for index in indices:
        bound = total * (len(runs) + 1) / number
        if run and len(runs) < number - 1 and done + costs[index] - bound > bound - done:
            runs.append(run)  # closer to its share without this section
            run = []
        run.append(index)
        done += costs[index]
        if len(runs) < number - 1 and done >= total * (len(runs) + 1) / number:
            runs.append(run)
            run = []
    return runs + [run] if run else runs
