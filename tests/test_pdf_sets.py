"""Print sets to PDF in pieces (docgen/documents/pdfsets.py): a bound set cut into pieces and joined
prints the same pages, numbered the same, as the set converted whole; a packet's parts' PDFs are
cut from the packet's; with a converter that breaks the pieces, every PDF is still made the plain way."""

import io
import json
import os
import pathlib
import re
import stat
import sys
import zipfile

import pytest

from conftest import build_example, run_docgen
from docgen.documents import pdf, pdfsets
from test_pdf import FAKE, calls, needs_office  # the stand-in soffice, its log, the real one's mark

PLAN = "qa-2023-30"
SET = "00_全套文书（打印）.docx"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> pathlib.Path:
    return build_example(tmp_path_factory, "pdf-sets")


def squeeze(text: str) -> str:
    """A page's text without white space (where a reader puts spaces depends on the font subset)."""
    return re.sub(r"\s+", "", text)


def body(pages) -> str:
    """The text of the pages without page numbers and white space: what a document says, wherever its
    pages break."""
    return "".join(re.sub(r"—\s*\d+\s*—", "", squeeze(page.extract_text())) for page in pages)


def set_job(out: pathlib.Path) -> pdfsets.SetJob:
    """The plan's bound set as `write_pdfs` describes it (no part's PDF cut from it)."""
    from docgen.documents.outputs import plan_outputs
    from docgen.records.archive import Archive
    from docgen.records.check import check_archive

    checked = check_archive(Archive(str(out.parent.parent / "records")))
    output = next(o for o in plan_outputs(checked, PLAN).outputs if o.relpath.endswith(SET))
    keys = [str(out.parent / p.relpath) for p in output.parts]
    return pdfsets.SetJob(str(out / SET), [None] * len(keys), False,
                          [str(out / SET) + "#0"] + keys[1:] + [str(out / SET) + "#版记"])


def test_pieces_are_documents_of_consecutive_sections_numbered_from_their_start(built):
    out = built / "output" / PLAN
    job = set_job(out)
    assert job.load()
    assert len(job.sections) == len(job.keys) >= 5  # one per part, and the 版记's own
    data = pdfsets.piece_docx(job, [2, 3, 4], 7)
    with zipfile.ZipFile(out / SET) as whole, zipfile.ZipFile(io.BytesIO(data)) as piece:
        assert sorted(piece.namelist()) == sorted(whole.namelist())
        xml = piece.read("word/document.xml").decode("utf-8")
        assert piece.read("word/styles.xml") == whole.read("word/styles.xml")
    sects = re.findall(r"<w:sectPr\b.*?</w:sectPr>", xml, re.S)
    assert len(sects) == 3 and xml.rstrip().endswith("</w:sectPr></w:body></w:document>")
    assert '<w:pgNumType w:start="7"/>' in sects[0] and "pgNumType" not in "".join(sects[1:])
    assert re.findall(r'w:name="(docgenpart\d+x)"', xml) == ["docgenpart2x", "docgenpart3x", "docgenpart4x"]
    import docx

    text = "".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    whole_text = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", "".join(s[0] for s in job.sections[2:5])))
    assert whole_text and "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)) == whole_text
    assert text  # python-docx reads it as a document


def test_pieces_planned_packets_and_probes_first_and_every_section_once(built):
    out = built / "output" / PLAN
    job = set_job(out)
    job.load()
    packet = pdfsets.SetJob(str(out / "packet.docx"), [], True, [f"p{n}" for n in range(50)])
    packet.sections = [("", 0, 0)] * 50
    old = pdfsets.SMALLEST, pdfsets.PIECE
    try:
        pdfsets.SMALLEST = pdfsets.PIECE = 3
        order = pdfsets.plan_pieces([job, packet], 2)
    finally:
        pdfsets.SMALLEST, pdfsets.PIECE = old
    numbered = [p for p in order if p.job is job and not p.probe]
    assert sorted(i for p in numbered for i in p.indices) == list(range(len(job.sections)))
    assert all(p.indices == list(range(p.indices[0], p.indices[-1] + 1)) for p in numbered)
    assert len(numbered[-1].indices) >= 2  # the 版记 never starts a piece
    later = order.index(numbered[1])
    assert all(p.job is packet or p.probe or p is numbered[0] for p in order[:later])
    assert sorted(i for p in order if p.job is packet for i in p.indices) == list(range(50))


@needs_office
def test_a_set_in_pieces_prints_the_pages_of_the_set_converted_whole(built, monkeypatch):
    from pypdf import PdfReader

    out = built / "output" / PLAN
    office = pdf.soffice_path()
    monkeypatch.setattr(pdfsets, "SMALLEST", 2)
    monkeypatch.setattr(pdfsets, "PIECE", 2)
    job = set_job(out)
    pieces = pdf.convert([], office, workers=2, sets=[job])
    assert not pieces.failed and len(job.pieces) >= 3
    whole = pdf.convert([str(out / SET)], office)
    assert pieces.pdfs[str(out / SET)] != whole.pdfs[str(out / SET)]  # really joined from pieces
    joined = PdfReader(io.BytesIO(pieces.pdfs[str(out / SET)])).pages
    alone = PdfReader(io.BytesIO(whole.pdfs[str(out / SET)])).pages
    # the same text in the same order; LibreOffice may break a part's pages a line apart from where it
    # does in the whole set (a table's widths come out a little different), never more
    assert body(joined) == body(alone)
    assert abs(len(joined) - len(alone)) <= 2 and len(joined) > 10
    for n, page in enumerate(joined, start=1):  # every printed page numbered by its place in the set
        numbers = re.findall(r"—\s*(\d+)\s*—", page.extract_text())
        assert numbers in ([], [str(n)]), (n, numbers)
        assert numbers or not squeeze(page.extract_text()) or n == len(joined), n  # the 版记's page has none
    assert sum(1 for page in joined if re.search(r"—\s*\d+\s*—", page.extract_text())) > 10
    again = pdf.convert([], office, workers=2, sets=[set_job(out)])
    assert again.pdfs == pieces.pdfs  # same set, same bytes


@needs_office
def test_a_packets_parts_pdfs_are_cut_from_the_packets(archive):
    from pypdf import PdfReader

    result = run_docgen("build", "--pdf", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    manifest = json.loads((archive / "output" / ".docgen-manifest.json").read_text(encoding="utf-8"))["outputs"]
    packets = sorted(out.glob("09_*.docx"))
    parts = sorted(out.glob("02_*.docx")) + sorted(out.glob("04_*.docx"))
    assert packets and parts
    cut = {rel for rel, entry in manifest.items() if rel.endswith(".pdf") and "via" in entry}
    assert cut == {f"{PLAN}/{p.stem}.pdf" for p in parts}
    alone = pdf.convert([str(p) for p in parts[:1] + parts[-1:]], pdf.soffice_path())
    for source, data in alone.pdfs.items():
        mine = PdfReader(str(pathlib.Path(source).with_suffix(".pdf"))).pages
        theirs = PdfReader(io.BytesIO(data)).pages
        assert body(mine) == body(theirs), source
        assert {tuple(round(float(v)) for v in p.mediabox) for p in mine} == \
            {tuple(round(float(v)) for v in p.mediabox) for p in theirs}, source
    # a part's PDF removed: its packet and all the packet's parts made again, the same bytes as before
    before = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    parts[0].with_suffix(".pdf").unlink()
    again = run_docgen("build", "--pdf", "--plan", PLAN, cwd=archive)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == before


def test_pieces_a_converter_breaks_leave_every_pdf_made_the_plain_way(archive, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    office = bin_dir / "soffice"
    office.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    office.chmod(office.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(log)}
    result = run_docgen("build", "--pdf", "--plan", PLAN, cwd=archive, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    documents = sorted(p for p in out.iterdir() if p.suffix in (".docx", ".xlsx"))
    assert all(p.with_suffix(".pdf").read_bytes().startswith(b"%PDF") for p in documents)
    made = [files for _, _, files in calls(log)]
    assert any(os.path.basename(f[0]).startswith("piece-") for f in made)  # the packets went in pieces first,
    packet = str(sorted(out.glob("09_*.docx"))[0])
    assert any(packet in f for f in made)  # then whole, their parts alone
    assert any(str(sorted(out.glob("04_*.docx"))[0]) in f for f in made)
