"""Print sets to PDF in pieces (docgen/documents/pdfsets.py): a bound set cut into pieces and joined
prints the same pages, numbered the same, as the set converted whole; a packet's parts' PDFs are
cut from the packet's; with a converter that breaks the pieces, every PDF is still made the plain way."""

import io
import json
import os
import pathlib
import re
import zipfile

import pytest

from conftest import build_example, run_docgen
from docgen.documents import pdf, pdfsets
from test_pdf import calls, fake_office, needs_office  # noqa: F401 - fake_office: a fixture (the stand-in soffice)

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
    packet.sections = [("<w:p>", 0, 0)] * 50
    old = pdfsets.SMALLEST, pdfsets.PIECE
    try:
        pdfsets.SMALLEST, pdfsets.PIECE = 1, 3
        order = pdfsets.plan_pieces([job, packet], 2)
    finally:
        pdfsets.SMALLEST, pdfsets.PIECE = old
    numbered = job.pieces  # no packet holds the set's parts: all probed but the first and the last piece's
    assert sorted(i for p in numbered for i in p.indices) == list(range(len(job.sections)))
    assert all(p.indices == list(range(p.indices[0], p.indices[-1] + 1)) for p in numbered)
    assert len(numbered[-1].indices) >= 2  # the 版记 never starts a piece
    probes = [p for p in order if p.probe]
    assert len(probes) == 1 and probes[0].indices == list(range(numbered[1].indices[0], numbered[-1].indices[0]))
    later = min(order.index(p) for p in numbered[1:])
    assert all(p.job is packet or p.probe or p is numbered[0] for p in order[:later])
    assert sorted(i for p in order if p.job is packet for i in p.indices) == list(range(50))


def fake_set(keys: list[str], restart: bool, paragraphs: list[int]) -> pdfsets.SetJob:
    job = pdfsets.SetJob("set.docx", [None] * len(keys), restart, list(keys))
    job.sections = [("<w:p>" * n, 0, 0) for n in paragraphs]
    return job


def test_a_bound_set_beside_its_packets_converts_only_what_they_do_not_hold():
    """A plan's bound set beside its groups' packets: the notice and plan, the 台账 and the tables
    with the 版记 are its pieces; the 告知书 and 记录表 come from the packets, one document of numbered
    empty pages per page style giving their page numbers; what others wait for goes first."""
    notices = [f"n{i}" for i in range(60)]
    forms = [f"f{i}" for i in range(60)]
    keys = ["通知", "方案"] + notices + ["台账"] + forms + ["电话", "分组", "公示", "set#版记"]
    cost = [20, 40] + [54] * 60 + [3600] + [54] * 60 + [3000, 3000, 6300, 1]
    bound = fake_set(keys, False, cost)
    bound.sections[2:62] = [("<w:p>" * 54 + "<w:sectPr>a</w:sectPr>", 54 * 5, 54 * 5 + 22)] * 60
    bound.sections[63:123] = [("<w:p>" * 54 + "<w:sectPr>b</w:sectPr>", 54 * 5, 54 * 5 + 22)] * 60
    packets = [fake_set([k for pair in zip(notices[g::2], forms[g::2]) for k in pair], True, [54] * 60)
               for g in range(2)]
    order = pdfsets.plan_pieces([bound] + packets, 2)
    assert [p.indices for p in bound.pieces] == [[0, 1], [62], [123, 124, 125, 126]]
    # the first piece numbered from 1; the others converted at once, their footers replaced too
    assert not bound.pieces[0].loose and all(p.loose for p in bound.pieces[1:])
    # one page-number document per page style after the first piece (the 版记 prints none)
    assert sorted(p.numbers for p in bound.numbers) == sorted([list(range(2, 62)), [62, 123, 124, 125],
                                                                list(range(63, 123))])
    assert not any(p.probe for p in order)  # nothing waits for a page count but the numbers
    # the notice and plan first, then the longest: packets and the set's own parts; numbers are
    # called when all else is made (`pdf._Pieces.calls`)
    assert order[0] is bound.pieces[0] and bound.pieces[0].waited
    rest = [p for p in order[1:] if not p.numbers]
    assert {id(p) for p in rest} == {id(p) for j in packets for p in j.pieces} | {id(p) for p in bound.pieces[1:]}


def test_pieces_of_a_set_alone_weigh_alike():
    """Without packets, a set's pieces cost about the same (paragraphs: a notice of 54 paragraphs
    weighs what a form of 54 does), a long table going alone; the 版记 never goes alone."""
    cost = [20, 40] + [54] * 60 + [3600] + [54] * 60 + [3000, 3000, 6300, 1]
    bound = fake_set([str(i) for i in range(len(cost))], False, cost)
    old = pdfsets.SMALLEST
    try:
        pdfsets.SMALLEST = 1000
        order = pdfsets.plan_pieces([bound], 2)
    finally:
        pdfsets.SMALLEST = old
    pieces = bound.pieces
    assert sorted(i for p in pieces for i in p.indices) == list(range(len(cost)))
    assert all(p.indices == list(range(p.indices[0], p.indices[-1] + 1)) for p in pieces)
    longest = max(pieces, key=lambda p: p.cost)
    assert 125 in longest.indices and len(longest.indices) <= 2  # the long table, alone but for the 版记
    assert all(p.cost <= 6300 // 2 + 54 for p in pieces if p is not longest and 125 not in p.indices
               and len(p.indices) > 1 and 62 not in p.indices)  # the rest cut at about equal costs
    assert order[0] is pieces[0] and order[1].probe
    assert [p.cost for p in order[2:]] == sorted((p.cost for p in order[2:]), reverse=True)
    alone = fake_set(["a", "b", "c", "d", "版记"], False, [10, 10, 10, 10, 1])
    old = pdfsets.SMALLEST, pdfsets.PIECE
    try:
        pdfsets.SMALLEST, pdfsets.PIECE = 1, 2
        pdfsets.plan_pieces([alone], 2)
    finally:
        pdfsets.SMALLEST, pdfsets.PIECE = old
    assert sum((p.indices for p in alone.pieces), []) == [0, 1, 2, 3, 4]
    assert len(alone.pieces) > 1 and alone.pieces[-1].indices[-2:] == [3, 4]


@needs_office
def test_a_set_in_pieces_prints_the_pages_of_the_set_converted_whole(built, monkeypatch):
    from pypdf import PdfReader

    out = built / "output" / PLAN
    office = pdf.soffice_path()
    monkeypatch.setattr(pdfsets, "SMALLEST", 1)
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
def test_a_bound_sets_parts_taken_from_the_packets_print_their_place_in_the_set(built):
    """The parts a packet holds are not laid out again for the plan's bound set: their pages are the
    packet's, with the footer LibreOffice prints for their place in the set (`pdfsets.stamp`). The
    set reads as the set converted whole, every page numbered by its place, where it prints."""
    from pypdf import PdfReader

    from docgen.documents.outputs import plan_outputs
    from docgen.records.archive import Archive
    from docgen.records.check import check_archive
    from pdf_layout import lines

    out = built / "output" / PLAN
    office = pdf.soffice_path()
    checked = check_archive(Archive(str(built / "records")))
    packets = [o for o in plan_outputs(checked, PLAN).outputs if o.restart and o.parts]
    assert packets
    jobs = [pdfsets.SetJob(str(out.parent / o.relpath), [str(out.parent / p.relpath) for p in o.parts], True,
                           [str(out.parent / p.relpath) for p in o.parts]) for o in packets]
    bound = set_job(out)
    result = pdf.convert([], office, workers=2, sets=[bound] + jobs)
    assert not result.failed and bound.numbers  # the stamped way, not the set's own parts converted
    assert len(bound.pieces) >= 2 and sum(len(p.indices) for p in bound.pieces) < len(bound.sections) // 2
    whole = pdf.convert([str(out / SET)], office)
    joined_pdf, whole_pdf = built / "stamped.pdf", built / "whole.pdf"
    joined_pdf.write_bytes(result.pdfs[str(out / SET)])
    whole_pdf.write_bytes(whole.pdfs[str(out / SET)])
    joined, alone = PdfReader(str(joined_pdf)).pages, PdfReader(str(whole_pdf)).pages
    assert body(joined) == body(alone) and abs(len(joined) - len(alone)) <= 2
    for n, page in enumerate(joined, start=1):
        numbers = re.findall(r"—\s*(\d+)\s*—", page.extract_text())
        assert numbers in ([], [str(n)]), (n, numbers)
    # the page numbers print where LibreOffice prints them in the set converted whole (within 0.2 mm)
    def footers(path):
        return {(line.page, line.text): line for line in lines(path) if re.fullmatch(r"—\d+—", line.text)}
    mine, theirs = footers(joined_pdf), footers(whole_pdf)
    shared = set(mine) & set(theirs)
    assert len(shared) > 10
    for key in shared:
        assert abs(mine[key].baseline - theirs[key].baseline) < 0.2 and abs(mine[key].left - theirs[key].left) < 0.2
    again = pdf.convert([], office, workers=2, sets=[set_job(out)] + [
        pdfsets.SetJob(j.source, j.parts, True, list(j.keys)) for j in jobs])
    assert again.pdfs == result.pdfs  # same sets, same bytes


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


def test_pieces_a_converter_breaks_leave_every_pdf_made_the_plain_way(archive, fake_office):
    office, log = fake_office
    env = {"PATH": f"{office.parent}{os.pathsep}{os.environ['PATH']}", "FAKE_LOG": str(log)}
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


@needs_office
def test_volumes_of_a_bound_set_print_as_the_volumes_converted_whole(tmp_path, monkeypatch):
    """A plan's set made as volumes (docgen.documents.outputs.VOLUME_PARTS) beside packets also made
    as volumes: each volume's PDF prints what the volume converted whole prints (a volume of several
    is converted whole; the packets in pieces), page numbers from 1 in each; the 版记 only on the
    last page of the last."""
    import shutil

    from pypdf import PdfReader

    from conftest import EXAMPLE
    from docgen.documents import outputs
    from docgen.documents.build import build
    from docgen.records.archive import Archive
    from pdf_layout import lines, to_pdf

    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    monkeypatch.setattr(outputs, "VOLUME_PARTS", 6)
    monkeypatch.setattr(pdfsets, "WHOLE_BELOW", 2)  # the example's sets go the way a county's do
    build(Archive(str(root / "records")), str(root / "output"), plan_ids=[PLAN], pdf=True)
    out = root / "output" / PLAN
    volumes = sorted(out.glob("00_全套文书（打印）_第*册.docx"), key=lambda p: int(re.search(r"第(\d+)册", p.name)[1]))
    assert len(volumes) >= 3 and all(v.with_suffix(".pdf").exists() for v in volumes)
    assert sorted(out.glob("09_第1组_随身文书_第*册.pdf"))  # the packets, as volumes too
    whole = to_pdf(volumes, tmp_path / "whole", blank_pages=True)
    for n, (volume, alone) in enumerate(zip(volumes, whole), 1):
        mine, theirs = PdfReader(str(volume.with_suffix(".pdf"))).pages, PdfReader(str(alone)).pages
        # the words of each portrait page that prints something: the parts taken from the packets, the
        # notice and the plan (a reader may drop a 、 where a packet's font subset differs). A table,
        # on landscape pages, converted apart may wrap a cell or break a page a row apart, as in a set
        # of one volume; the blank pages before odd pages follow it.
        def words(pages):
            found = [(re.sub(r"\W", "", p.extract_text()), p.mediabox.height > p.mediabox.width) for p in pages]
            return [text for text, portrait in found if text and portrait]

        assert len(mine) == len(theirs) and words(mine) == words(theirs), volume.name
        printed = lines(volume.with_suffix(".pdf"))
        numbers = {line.page: int(m.group(1)) for line in printed
                   if (m := re.fullmatch(r"—\s*(\d+)\s*—", line.text.strip())) and line.baseline > 260}
        assert numbers and all(numbers[page] == page for page in numbers), (volume.name, numbers)
        colophon = [line.page for line in printed if "印发" in line.text]
        assert colophon == ([len(mine)] if n == len(volumes) else []), volume.name
