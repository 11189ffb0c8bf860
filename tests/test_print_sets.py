"""Issue 12: print sets — the notice with all its attachments as one document, and each inspection
group's packet of 告知书 and 实地核查记录表 in visiting order."""

import hashlib
import re
import shutil
import zipfile

import pytest
import yaml
from lxml import etree
from openpyxl import load_workbook

from conftest import EXAMPLE, build_example, edit, inspection_files, run_docgen

PLAN = "qa-2023-30"
SET = "00_全套文书（打印）.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def body(path):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/document.xml")).find(W + "body")


def texts(path, skip_framed=False):
    """Every paragraph's text in document order (table cells included), empty ones left out."""
    found = []
    for p in body(path).iter(W + "p"):
        if skip_framed and p.find(f"{W}pPr/{W}framePr") is not None:
            continue
        text = "".join(t.text or "" for t in p.iter(W + "t"))
        if text.strip():
            found.append(text)
    return found


def sheet_texts(path):
    """A workbook's non-empty cells, row by row, sheet by sheet (as the set prints them)."""
    found = []
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            found += [str(c.value) for c in row if c.value not in (None, "")]
    return found


def sections(path):
    b = body(path)
    return [s for s in b.iter(W + "sectPr")]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_example(tmp_path_factory, "printsets")


def visiting_order(root):
    """(group, visit date, entity name) of every inspection of the plan, in visiting order."""
    found = []
    for path in inspection_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = yaml.safe_load((root / "records/entities" / f"{data['entity']}.yaml").read_text(encoding="utf-8"))["name"]
        found.append((data["group"], str((data.get("dates") or {}).get("visit") or "9999"), name))  # undated last
    return sorted(found)


def expected_parts(root):
    out = root / "output" / PLAN
    parts = [out / "00_通知.docx", out / "01_实施方案.docx"]
    order = visiting_order(root)
    parts += [out / f"02_告知书_{name}.docx" for _, _, name in order]
    parts.append(out / "03_随机抽查后续处置工作台账.xlsx")
    parts += [out / f"04_实地核查记录表_{name}.docx" for _, _, name in order]
    parts += [out / name for name in ("05_电话告知记录表.xlsx", "06_人员分组及车辆安排情况表.xlsx", "07_公示表.xlsx")]
    return parts


def assert_contains_in_order(whole, parts):
    """Each part's paragraphs appear in `whole` as one run, the parts one after the other."""
    at = 0
    for name, part in parts:
        assert part, name
        starts = [i for i in range(at, len(whole) - len(part) + 1) if whole[i:i + len(part)] == part]
        assert starts, f"{name} is not in the print set (after paragraph {at}): {part[:3]}…"
        at = starts[0] + len(part)
    return at


def test_plan_set_holds_the_notice_and_every_attachment_in_order(built):
    out = built / "output" / PLAN
    whole = texts(out / SET)
    parts = []
    for path in expected_parts(built):
        if path.suffix == ".docx":
            parts.append((path.name, texts(path, skip_framed=path.name == "00_通知.docx")))
        else:
            parts.append((path.name, sheet_texts(path)))
    end = assert_contains_in_order(whole, parts)
    # the notice's 版记 closes the set, after the last attachment
    colophon = texts(out / "00_通知.docx")[len(parts[0][1]):]
    assert colophon and any("印发" in t for t in colophon)
    assert whole[end:] == colophon
    assert sum("印发" in t for t in whole) == 1
    # the set's own title, not the notice's
    with zipfile.ZipFile(out / SET) as z:
        assert "全套文书" in z.read("docProps/core.xml").decode("utf-8")


def test_each_part_starts_on_an_odd_page_and_page_numbers_continue(built):
    found = sections(built / "output" / PLAN / SET)
    parts = expected_parts(built)
    assert len(found) == len(parts) + 1  # one section per part, and the 版记's
    first, *middle, colophon = found
    assert first.find(W + "pgNumType").get(W + "start") == "1"
    for sect in middle:
        assert sect.find(W + "type").get(W + "val") == "oddPage"
        assert sect.find(W + "pgNumType") is None, "page numbers must continue across the set"
        assert sect.find(W + "footerReference") is not None, "every section prints its page numbers"
    assert colophon.find(W + "type").get(W + "val") == "evenPage"  # the 版记 on the set's last, even, page
    # Excel attachments print as tables on landscape pages
    landscape = [s for s in middle if s.find(W + "pgSz").get(W + "orient") == "landscape"]
    assert len(landscape) == 4


def test_qx_plan_set_is_notice_and_scheme(built):
    out = built / "output" / "qx-2024-6"
    whole = texts(out / SET)
    notice, scheme = texts(out / "00_通知.docx", skip_framed=True), texts(out / "01_实施方案.docx")
    assert_contains_in_order(whole, [("00", notice), ("01", scheme)])
    assert len(sections(out / SET)) in (2, 3)


def test_group_packets_hold_notice_and_record_of_each_entity_in_visiting_order(built):
    out = built / "output" / PLAN
    order = visiting_order(built)
    groups = sorted({g for g, _, _ in order})
    packets = sorted(p.name for p in out.glob("09_*"))
    assert packets == [f"09_第{g}组_随身文书.docx" for g in groups]
    for group in groups:
        names = [name for g, _, name in order if g == group]
        parts = []
        for name in names:
            parts.append((name, texts(out / f"02_告知书_{name}.docx")))
            parts.append((name, texts(out / f"04_实地核查记录表_{name}.docx")))
        packet = out / f"09_第{group}组_随身文书.docx"
        whole = texts(packet)
        assert assert_contains_in_order(whole, parts) == len(whole)
        others = [name for g, _, name in order if g != group]
        assert not any(name in t for t in whole for name in others)
        # separate documents: each numbers its pages from 1 and starts on a sheet of its own
        found = sections(packet)
        assert len(found) == 2 * len(names)
        assert all(s.find(W + "pgNumType").get(W + "start") == "1" for s in found)
        assert all(s.find(W + "type").get(W + "val") == "oddPage" for s in found[1:])


def digests(out):
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*.docx")
            if p.name.startswith(("00_全套", "09_"))}


def test_print_sets_are_reproducible_and_incremental(built, tmp_path):
    # two clean builds elsewhere: the same bytes
    shutil.copytree(EXAMPLE, tmp_path / "records")
    assert run_docgen("build", cwd=tmp_path).returncode == 0
    first = digests(built / "output")
    assert digests(tmp_path / "output") == first
    # a no-op build writes nothing
    result = run_docgen("build", cwd=tmp_path)
    assert result.returncode == 0
    assert "没有变化，未写入任何文件" in result.stdout
    assert digests(tmp_path / "output") == first
    # an attachment's record changes: the set and that entity's group packet are made again, no other packet
    target = next(p for p in inspection_files(tmp_path) if "opinion:" in p.read_text(encoding="utf-8"))
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    edit(target, "opinion: ", "opinion: 已知悉，")
    result = run_docgen("build", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    after = digests(tmp_path / "output")
    changed = {name for name in after if after[name] != first[name]}
    assert changed == {f"{PLAN}/{SET}", f"{PLAN}/09_第{data['group']}组_随身文书.docx"}
    assert any("已知悉，" in t for t in texts(tmp_path / "output" / PLAN / SET))
    # and equals a clean build of the edited records
    clean = tmp_path / "clean"
    shutil.copytree(tmp_path / "records", clean / "records")
    assert run_docgen("build", cwd=clean).returncode == 0
    assert digests(clean / "output") == after


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="LibreOffice (soffice) is not installed")
def test_printed_set_numbers_pages_continuously_and_ends_with_the_colophon(built, tmp_path):
    from pdf_layout import lines, to_pdf

    copy = tmp_path / "set.docx"
    shutil.copy(built / "output" / PLAN / SET, copy)
    pdf, = to_pdf([copy], tmp_path, blank_pages=True)
    printed = lines(pdf)
    pages = max(line.page for line in printed)
    numbers = {}
    for line in printed:
        match = re.fullmatch(r"—\s*(\d+)\s*—", line.text.strip())
        if match and line.baseline > 260:
            numbers[line.page] = int(match.group(1))
    # every page that prints something shows its own number; blank pages inserted before an odd page do not
    assert numbers, "no page numbers found"
    assert all(numbers[page] == page for page in numbers), numbers
    assert pages % 2 == 0, "two-sided: the set ends on an even page"
    assert numbers.get(pages) == pages
    starts = [line.page for line in printed if re.fullmatch(r"附件\s*\d+", line.text.strip())]
    assert starts and all(page % 2 == 1 for page in starts), starts
    assert len(starts) == len(expected_parts(built)) - 1  # every attachment, each on a page of its own
    # the 版记 at the foot of the last page, alone after the last attachment
    colophon = [line for line in printed if "印发" in line.text]
    assert len(colophon) == 1 and colophon[0].page == pages
    assert colophon[0].baseline > 240


def _spy(monkeypatch):
    """Count the parts prepared for joining and the sets recomposed from their previous bytes."""
    from docgen.documents import printset

    prepared, recomposed = [], []
    real_init, real_recompose = printset.Prepared.__init__, printset._recompose

    def init(self, data):
        prepared.append(len(data))
        real_init(self, data)

    def recompose(*args):
        recomposed.append(real_recompose(*args))
        return recomposed[-1]

    monkeypatch.setattr(printset.Prepared, "__init__", init)
    monkeypatch.setattr(printset, "_recompose", recompose)
    return prepared, recomposed


def _build_in_process(root):
    from docgen.documents.build import build
    from docgen.records.archive import Archive

    return build(Archive(str(root / "records")), str(root / "output"))


def all_digests(out):
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.suffix in (".docx", ".xlsx")}


def _clean_digests(tmp_path, root, name):
    clean = tmp_path / name
    shutil.copytree(root / "records", clean / "records")
    assert run_docgen("build", cwd=clean).returncode == 0
    return all_digests(clean / "output")


def test_an_edit_prepares_only_the_changed_parts_of_a_set(tmp_path, monkeypatch):
    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    assert run_docgen("build", cwd=root).returncode == 0
    target = next(p for p in inspection_files(root) if "handling: 无\n" in p.read_text(encoding="utf-8"))
    group = yaml.safe_load(target.read_text(encoding="utf-8"))["group"]
    packet = f"{PLAN}/09_第{group}组_随身文书.docx"
    # a finding's handling: only the entity's 实地核查记录表 changes, in the plan's set and its group's packet
    edit(target, "handling: 无\n", "handling: 无（已当场复查）\n")
    prepared, recomposed = _spy(monkeypatch)
    report = _build_in_process(root)
    assert {f"{PLAN}/{SET}", packet} <= set(report.written)
    assert len(recomposed) == 2 and all(r is not None for r in recomposed)
    assert len(prepared) == 1  # that one document, once for both sets; no other part was even read
    assert any("已当场复查" in t for t in texts(root / "output" / PLAN / SET))
    assert all_digests(root / "output") == _clean_digests(tmp_path, root, "clean1")
    # a department's result: the 公示表 (an Excel part, set as a Word table) changes too
    pair = ("- 发现问题已责令改正\n", "- 发现问题待后续处理\n")  # both valid for a record with follow-ups
    other = next(p for p in inspection_files(root) if pair[0] in p.read_text(encoding="utf-8"))
    edit(other, *pair)
    prepared.clear()
    recomposed.clear()
    report = _build_in_process(root)
    assert f"{PLAN}/07_公示表.xlsx" in report.written
    assert recomposed and all(r is not None for r in recomposed)
    assert all_digests(root / "output") == _clean_digests(tmp_path, root, "clean2")


def test_the_layout_of_a_set_no_longer_made_is_deleted(tmp_path):
    """`.docgen/printsets/` keeps one layout per set docgen makes: a plan deleted takes its sets'
    layouts with it; the other plan's stay (and are still joined from)."""
    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    assert run_docgen("build", cwd=root).returncode == 0
    layouts = root / ".docgen" / "printsets"
    before = sorted(p.name for p in layouts.iterdir())

    def named(relpath: str) -> str:
        target = str(root / "output" / relpath)
        return hashlib.sha256(target.encode()).hexdigest() + ".json"

    gone = named(f"qx-2024-6/{SET}")
    assert gone in before and named(f"{PLAN}/{SET}") in before
    (root / "records/plans/qx-2024-6.yaml").unlink()
    assert run_docgen("build", cwd=root).returncode == 0
    after = sorted(p.name for p in layouts.iterdir())
    assert after == [name for name in before if name != gone]


def test_a_set_someone_changed_is_not_joined_from(tmp_path, monkeypatch):
    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    assert run_docgen("build", cwd=root).returncode == 0
    set_path = root / "output" / PLAN / SET
    # another valid document in its place (a clerk saved over it): not docgen's, not a source of parts
    set_path.write_bytes((root / "output" / PLAN / "00_通知.docx").read_bytes())
    target = next(p for p in inspection_files(root) if "handling: 无\n" in p.read_text(encoding="utf-8"))
    edit(target, "handling: 无\n", "handling: 无（已当场复查）\n")
    _, recomposed = _spy(monkeypatch)
    report = _build_in_process(root)
    assert len(recomposed) == 1  # the group's packet only
    beside = f"{PLAN}/{SET[:-5]}（docgen新生成）.docx"
    assert beside in report.written
    clean = _clean_digests(tmp_path, root, "clean")
    assert all_digests(root / "output")[beside] == clean[f"{PLAN}/{SET}"]
    assert set_path.read_bytes() == (root / "output" / PLAN / "00_通知.docx").read_bytes()


def _empty_sheet():
    from docgen.documents.printset import Sheet

    sheet = Sheet.__new__(Sheet)
    sheet.cells, sheet.merges, sheet.widths, sheet.max_row, sheet.max_column = {}, [], {}, 0, 0
    return sheet


def _sheet_by_lxml(xml, aligns, shared):
    sheet = _empty_sheet()
    sheet._read_tree(xml, aligns, shared)
    return sheet


def _fields(sheet):
    return sheet.cells, sheet.merges, sheet.widths, sheet.max_row, sheet.max_column


def test_worksheets_docgen_wrote_are_read_as_lxml_reads_them(built):
    """The Excel attachments are read with regular expressions for speed (`_read_plain`): what is read
    is exactly what lxml reads, cell by cell, for every worksheet docgen wrote."""
    from docgen.documents.printset import Sheet, _alignments, _plain_alignments, _read_plain, _tree_alignments

    books = sorted((built / "output").rglob("*.xlsx"))
    assert len(books) >= 4
    for path in books:
        with zipfile.ZipFile(path) as book:
            styles = book.read("xl/styles.xml")
            aligns = _alignments(styles)
            assert _plain_alignments(styles) == _tree_alignments(styles) == aligns, path.name
            for name in (n for n in book.namelist() if n.startswith("xl/worksheets/sheet")):
                xml = book.read(name)
                assert _read_plain(_empty_sheet(), xml, aligns, []), f"{path.name} {name} was not read the fast way"
                sheet = Sheet(xml, aligns, [])
                assert _fields(sheet) == _fields(_sheet_by_lxml(xml, aligns, [])), f"{path.name} {name}"
                assert sheet.value(2, 1), "the form's title"


_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.mark.parametrize("data", [
    '<c r="A1" t="inlineStr"><is><t>a &amp; b &#38468;&#x4EF6; &lt;c&gt;</t></is></c><c r="B1" s="1"><v>2.5</v></c>',
    '<c r="A1" t="s"><v>1</v></c><c r="B2" s="1" t="s"><v>0</v></c><c r="C3"/><c r="AA10" s="1"/>',
    '<c r="A1" t="inlineStr"><is><r><t>first </t></r><r><rPr><b/></rPr><t xml:space="preserve">second</t></r>'
    '</is></c>',
    '<c s="1" r="A1" t="inlineStr"><is><t>attributes in another order</t></is></c>',
    '<c r="A1" t="inlineStr"><is><t><![CDATA[<cdata>]]></t></is></c>',
    '<c r="A1" t="inlineStr"><!-- a comment --><is><t>x</t></is></c>',
    '<c r="A1" t="str"><f>1+1</f><v>2</v></c><c r="B1" t="inlineStr"><is><t/></is></c><c r="C1" t="s"/>',
    '<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="A1" t="inlineStr"><x:is>'
    '<x:t>prefixed</x:t></x:is></x:c>',
    '<c r="A1"><v>line\r\nbreak</v></c>',
])
def test_any_worksheet_is_read_as_lxml_reads_it(data):
    """Worksheets written otherwise (other attribute order, rich text, CDATA, comments, prefixes) are
    read the slow way, or the fast way with the same result."""
    from docgen.documents.printset import Sheet

    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {_MAIN}><cols><col min="1" max="2" width="12"/>'
           f'</cols><sheetData><row r="1">{data}</row></sheetData><mergeCells count="1"><mergeCell ref="A2:C3"/>'
           f'</mergeCells></worksheet>').encode("utf-8")
    aligns, shared = [None, "center"], ["zero", "one"]
    assert _fields(Sheet(xml, aligns, shared)) == _fields(_sheet_by_lxml(xml, aligns, shared))


@pytest.mark.parametrize("xfs", [
    '<cellXfs count="3"><xf/><xf applyAlignment="1"><alignment horizontal="center"/></xf>'
    '<xf><protection locked="0"/><alignment vertical="top"/></xf></cellXfs>',
    '<cellXfs count="1"><xf><extLst><ext><alignment horizontal="left"/></ext></extLst></xf></cellXfs>',
    '<cellXfs count="1"><!-- c --><xf><alignment horizontal="right"/></xf></cellXfs>',
    '<x:cellXfs xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:xf><x:alignment '
    'horizontal="center"/></x:xf></x:cellXfs>',
    '',
])
def test_any_cell_formats_are_read_as_lxml_reads_them(xfs):
    from docgen.documents.printset import _alignments, _tree_alignments

    xml = (f"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<styleSheet {_MAIN}><cellStyleXfs count=\"1\">"
           f'<xf><alignment horizontal="fill"/></xf></cellStyleXfs>{xfs}</styleSheet>').encode("utf-8")
    assert _alignments(xml) == _tree_alignments(xml)


def _volumes_build(root, monkeypatch, size: int):
    """The example archive built in-process with print sets of at most `size` documents a volume."""
    from docgen.documents import outputs

    monkeypatch.setattr(outputs, "VOLUME_PARTS", size)
    return _build_in_process(root)


def test_a_set_of_more_documents_than_a_volume_holds_is_made_as_volumes(built, tmp_path, monkeypatch):
    """Volumes (…_第N册) of a bound set hold, one after the other, exactly what the set holds; each
    numbers its pages from 1; the 版记 closes the last one only. A packet is cut between entities."""
    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    _volumes_build(root, monkeypatch, 6)
    out = root / "output" / PLAN
    assert not (out / SET).exists()
    parts = expected_parts(root)
    count = -(-len(parts) // 6)
    names = [f"00_全套文书（打印）_第{n}册.docx" for n in range(1, count + 1)]
    assert sorted(p.name for p in out.glob("00_全套文书*")) == sorted(names)
    whole = texts(built / "output" / PLAN / SET)  # the same archive as one set
    joined = [t for name in names for t in texts(out / name)]
    assert joined == whole
    colophon = [t for t in whole if "印发" in t]
    assert colophon and all(t not in texts(out / name) for name in names[:-1] for t in colophon)
    assert texts(out / names[-1])[-len(colophon):] == colophon
    held = 0
    for name in names:
        sects = sections(out / name)
        closing = 1 if name == names[-1] else 0  # the 版记's own section
        assert 1 <= len(sects) - closing <= 6, name
        held += len(sects) - closing
        start = sects[0].find(f"{W}pgNumType")
        assert start is not None and start.get(f"{W}start") == "1", name
        assert all(s.find(f"{W}pgNumType") is None for s in sects[1:]), name
    assert held == len(parts)
    with zipfile.ZipFile(out / names[1]) as z:
        assert "全套文书第2册" in z.read("docProps/core.xml").decode("utf-8")
    # the first group's packet (4 entities, 8 documents) in two volumes, an entity's two documents together
    group = sorted(out.glob("09_第1组_随身文书*"))
    assert [p.name for p in group] == ["09_第1组_随身文书_第1册.docx", "09_第1组_随身文书_第2册.docx"]
    first = texts(group[0])
    assert texts(group[0]) + texts(group[1]) == texts(built / "output" / PLAN / "09_第1组_随身文书.docx")
    assert len(sections(group[0])) == 4 and first
    assert (out / "09_第2组_随身文书.docx").exists()  # 6 documents: one volume, named as ever


def test_an_edit_rewrites_one_volume_and_equals_a_clean_build(tmp_path, monkeypatch):
    root = tmp_path / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    _volumes_build(root, monkeypatch, 6)
    target = next(p for p in inspection_files(root) if "handling: 无\n" in p.read_text(encoding="utf-8"))
    edit(target, "handling: 无\n", "handling: 无（已当场复查）\n")
    report = _volumes_build(root, monkeypatch, 6)
    written = sorted(report.written)
    assert len([w for w in written if "00_全套文书" in w]) == 1 and len([w for w in written if "/09_" in w]) == 1
    assert len(written) == 3, written
    clean = tmp_path / "clean"
    shutil.copytree(root / "records", clean / "records")
    _volumes_build(clean, monkeypatch, 6)
    assert all_digests(root / "output") == all_digests(clean / "output")
    # the notice's 版记 is in the last volume: a change of the notice reaches that one too
    plan = root / "records/plans" / f"{PLAN}.yaml"
    edit(plan, "  printer: 迁安市“双随机”工作领导小组办公室", "  printer: 迁安市“双随机”工作领导小组办公室（代印）")
    report = _volumes_build(root, monkeypatch, 6)
    volumes = sorted((root / "output" / PLAN).glob("00_全套文书*"), key=lambda p: int(re.search(r"第(\d+)册", p.name)[1]))
    assert f"{PLAN}/{volumes[-1].name}" in report.written
    assert any("（代印）" in t for t in texts(volumes[-1])) and not any("（代印）" in t for t in texts(volumes[0]))
    clean = tmp_path / "clean2"
    shutil.copytree(root / "records", clean / "records")
    _volumes_build(clean, monkeypatch, 6)
    assert all_digests(root / "output") == all_digests(clean / "output")


def test_a_group_of_the_bound_06_is_kept_on_one_page(built):
    """In the bound set, each row of a group of 附件6 (its 组别, 组长, 车牌 cells merged down the group)
    is kept with the next row of the group: a group no longer starts at a page's foot and goes on,
    its merged cells blank, on the next page."""
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(built / "output" / PLAN / "00_全套文书（打印）.docx") as z:
        body = etree.fromstring(z.read("word/document.xml"))
    table = next(t for t in body.iter(f"{W}tbl") if "车牌" in "".join(t.itertext()) and "驾驶员" in "".join(t.itertext()))
    rows = [r for r in table.findall(f"{W}tr") if r.find(f"{W}trPr/{W}tblHeader") is None]

    def continues(row) -> bool:  # a merged cell of the row before goes on in this row
        return any(m.get(f"{W}val") in (None, "continue") for m in row.iter(f"{W}vMerge"))

    def kept(row) -> bool:
        paragraphs = row.findall(f"{W}tc/{W}p")
        flags = {p.find(f"{W}pPr/{W}keepNext") is not None for p in paragraphs}
        assert len(flags) == 1, "every cell of a row alike"
        return flags.pop()

    assert len(rows) > 3
    assert [kept(row) for row in rows] == [continues(after) for after in rows[1:]] + [False]
    assert any(kept(row) for row in rows) and not all(kept(row) for row in rows)


def test_set_tables_keep_short_texts_on_one_line(built):
    """The workbooks' columns spread over a Word page in proportion broke 序/号, 裴子/郡 and credit
    codes. Each column is now at least as wide as its headings of up to four characters, its short
    values and its codes print (and the dates, when the page has room), the table as wide as before."""
    from docgen.documents.printset import _CELL_MARGINS, _TEXT_WIDTH, _printed_twips

    tables = body(built / "output" / PLAN / SET).iter(W + "tbl")
    checked = 0
    for table in tables:
        grid = [int(c.get(W + "w")) for c in table.find(W + "tblGrid")]
        rows = [[("".join(t.text or "" for t in cell.iter(W + "t")), cell) for cell in row.findall(W + "tc")]
                for row in table.findall(W + "tr")]
        if len(grid) < 6 or not any(text == "序号" or text == "组别" for text, _ in rows[0]):
            continue  # the attachments' tables (03, 05, 06, 07), not the letters' own
        checked += 1
        assert sum(grid) > _TEXT_WIDTH - len(grid)  # the page's width, less the rounding
        for row in rows:
            if len(row) != len(grid):
                continue  # a row with merged cells
            for (text, _cell), width in zip(row, grid):
                short = text in ("序号", "备注", "责任人", "检查部门", "完结情况", "裴子郡", "郭玲玲", "陈一鸣")
                code = len(text) == 18 and text.isalnum() and text.isascii()
                if short or code:
                    assert width >= _printed_twips(text) + _CELL_MARGINS, (text, width)
    assert checked >= 3
