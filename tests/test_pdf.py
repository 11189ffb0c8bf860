"""`docgen build --pdf`: every document converted whatever the count, failures named, no process left,
official fonts printed in free faces of the same style (never the Japanese variant), same bytes twice.

The batching, retry, failure and timeout tests drive a stand-in `soffice` (a short Python script that
behaves like LibreOffice 7.4 giving up part-way through a call); the font and size tests run the real one.
"""

import collections
import os
import shutil
import stat
import sys
import textwrap
import time

import pytest

from conftest import build_killed_before_manifest, edit, run_docgen
from docgen.documents import pdf

FAKE = textwrap.dedent("""\
    #!{python}
    # stand-in for soffice: --convert-to pdf --outdir DIR FILES…, steered by FAKE_* variables
    import os, subprocess, sys, time
    args = sys.argv[1:]
    outdir = args[args.index("--outdir") + 1]
    files = [a for a in args if a.endswith((".docx", ".xlsx"))]
    profile = next(a for a in args if a.startswith("-env:UserInstallation="))
    with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{{os.getpid()}}\\t{{profile}}\\t{{'|'.join(files)}}\\n")
    if os.environ.get("FAKE_HANG"):
        child = subprocess.Popen(["sleep", "300"])  # a helper process of its own, as soffice.bin is
        with open(os.environ["FAKE_HANG"], "w") as handle:
            handle.write(str(child.pid))
        time.sleep(300)
    limit = int(os.environ.get("FAKE_LIMIT", "100000"))
    for source in files[:limit]:  # like LibreOffice 7.4, stop silently after `limit` files
        if os.environ.get("FAKE_FAIL") and os.environ["FAKE_FAIL"] in source:
            continue
        name = os.path.splitext(os.path.basename(source))[0] + ".pdf"
        with open(os.path.join(outdir, name), "wb") as handle:
            handle.write(b"%PDF-1.4\\n<</CreationDate(D:20261126144600Z')>>\\n" + source.encode() +
                         b"\\ntrailer <</ID [ <E83A9399578DBB2E748567803FE4058A> <E83A9399578DBB2E748567803FE4058A> ]"
                         b">>\\n%%EOF\\n")
""")


@pytest.fixture
def fake_office(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "soffice"
    script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("FAKE_LOG", str(log))
    return script, log


def calls(log) -> list[tuple[str, str, list[str]]]:
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [(pid, profile, files.split("|")) for pid, profile, files in (line.split("\t") for line in lines)]


def documents(root, count: int) -> list[str]:
    """`count` documents in two folders, the same names in both (as 00_通知.docx in two plans)."""
    paths = []
    for n in range(count):
        folder = root / ("plan-a" if n % 2 else "plan-b")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"doc-{n // 2:03d}.docx"
        path.write_bytes(b"PK fake docx " + str(n).encode())
        paths.append(str(path))
    return paths


def test_every_file_converted_in_batches_and_missing_ones_retried(tmp_path, fake_office, monkeypatch):
    office, log = fake_office
    monkeypatch.setenv("FAKE_LIMIT", "3")  # each call gives up after 3 files, as 7.4 does after ~246
    sources = documents(tmp_path / "docs", 23)
    result = pdf.convert(sources, str(office), workers=2, batch=5)
    assert sorted(result.pdfs) == sorted(sources) and not result.failed
    for source, data in result.pdfs.items():
        assert source.encode() in data  # each PDF is the one made from its own document
    made = calls(log)
    groups = pdf.batches(sources, 5)
    assert all(len(g) <= 5 for g in groups) and len(groups) >= 5
    for group in groups:  # one output folder per call: no two files of one name in it
        assert len({os.path.basename(f) for f in group}) == len(group)
    # each batch once, then exactly the files it left out, one call each
    expected = [tuple(g) for g in groups] + [(f,) for g in groups for f in g[3:]]
    assert sorted(tuple(files) for _, _, files in made) == sorted(expected)
    assert len({profile for _, profile, _ in made}) == 2  # one profile per converter


def test_default_batches_stay_below_libreoffice_limit():
    sources = [f"/x/{n}/same.docx" for n in range(3)] + [f"/y/doc-{n}.docx" for n in range(600)]
    groups = pdf.batches(sources, pdf.BATCH)
    assert pdf.BATCH <= 100 and all(len(g) <= pdf.BATCH for g in groups)
    assert sorted(s for g in groups for s in g) == sorted(sources)
    assert all(len({os.path.basename(s) for s in g}) == len(g) for g in groups)


def test_pdf_reproducible_dates_and_ids(tmp_path):
    source = tmp_path / "a.docx"
    import zipfile

    with zipfile.ZipFile(source, "w") as package:
        package.writestr("docProps/core.xml", '<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">'
                                              "2023-10-30T00:00:00Z</dcterms:created></cp:coreProperties>")
    raw = (b"%PDF-1.4\n<</CreationDate(D:20261126144600+08'00')>>\ntrailer\n<</ID [ <E83A9399578DBB2E748567803FE4058A>"
           b"\n<E83A9399578DBB2E748567803FE4058A> ]\n/DocChecksum /F4270C8CF85295300A819363FF9321DB\n>>\n%%EOF\n")
    other = raw.replace(b"20261126144600", b"20261127101010").replace(b"E83A93", b"123456")
    fixed = pdf.reproducible(raw, str(source))
    assert fixed == pdf.reproducible(other, str(source)) and len(fixed) == len(raw)
    assert b"(D:20231030000000+00'00')" in fixed and b"E83A93" not in fixed


def test_a_document_that_never_converts_is_named_and_the_others_are_written(archive, fake_office):
    office, log = fake_office
    env = {"PATH": f"{office.parent}{os.pathsep}{os.environ['PATH']}", "FAKE_FAIL": "01_实施方案",
           "FAKE_LOG": str(log)}
    result = run_docgen("build", "--pdf", "--plan", "qx-2024-6", cwd=archive, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "01_实施方案.docx" in result.stdout + result.stderr and "转换为 PDF 失败" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    out = archive / "output" / "qx-2024-6"
    assert (out / "00_通知.pdf").read_bytes().startswith(b"%PDF") and not (out / "01_实施方案.pdf").exists()
    tries = collections.Counter(f for _, _, files in calls(log) for f in files)
    assert tries[str(out / "01_实施方案.docx")] == 2  # in its batch, then once more alone
    # the next build tries the missing one again, and only that one
    again = run_docgen("build", "--pdf", "--plan", "qx-2024-6", cwd=archive, env={**env, "FAKE_FAIL": ""})
    assert again.returncode == 0, again.stdout + again.stderr
    assert (out / "01_实施方案.pdf").exists() and "PDF 1 份" in again.stdout


def test_a_hanging_converter_is_killed_with_its_helpers(tmp_path, fake_office, monkeypatch):
    office, _ = fake_office
    marker = tmp_path / "helper.pid"
    monkeypatch.setenv("FAKE_HANG", str(marker))
    monkeypatch.setattr(pdf, "START", 2)
    monkeypatch.setattr(pdf, "SECONDS_PER_FILE", 0)
    sources = documents(tmp_path / "docs", 1)
    result = pdf.convert(sources, str(office), workers=1)
    assert not result.pdfs and "超时" in result.failed[sources[0]]
    helper = int(marker.read_text())
    for _ in range(50):  # reaped by init once killed; gone within moments
        if not _alive(helper):
            break
        time.sleep(0.1)
    assert not _alive(helper)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ")[-1][:1] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_fonts_conf_maps_every_official_font_to_a_simplified_chinese_face():
    conf = pdf.fonts_conf()
    for official in ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"):
        assert f"<string>{official}</string>" in conf
    assert "FandolFang" in conf and "zh-cn" in conf and " JP" not in conf


# -- the real LibreOffice ---------------------------------------------------------------------
needs_office = pytest.mark.skipif(shutil.which("soffice") is None or not any(
    os.path.exists(os.path.join(d, "FandolFang-Regular.otf")) for d in pdf.FONT_DIRS),
    reason="LibreOffice or the Fandol fonts (texlive-lang-chinese) not installed")


def embedded_fonts(path) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(str(path)).pages:
        for font in (page.get("/Resources") or {}).get("/Font", {}).values():
            font = font.get_object()
            names.add(str(font.get("/BaseFont", "")).split("+", 1)[-1])
            for descendant in font.get("/DescendantFonts") or []:
                names.add(str(descendant.get_object().get("/BaseFont", "")).split("+", 1)[-1])
    return names


@needs_office
def test_official_fonts_print_in_same_style_faces_and_pdfs_are_reproducible(archive):
    result = run_docgen("build", "--pdf", "--plan", "qx-2024-6", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / "qx-2024-6"
    notice, scheme = embedded_fonts(out / "00_通知.pdf"), embedded_fonts(out / "01_实施方案.pdf")
    assert any("Fang" in name for name in notice), notice  # 仿宋 body
    assert any("Song" in name for name in notice), notice  # 方正小标宋 title
    assert any("Hei" in name for name in scheme), scheme  # 黑体 headings
    assert any("Kai" in name for name in scheme), scheme  # 楷体 sub-headings
    assert not [name for name in notice | scheme if "jp" in name.lower() or "WenQuanYi" in name]
    # every comma and 、 that closes a full line is printed (condensed by 0.25 pt, a line of exactly 28
    # characters left no room for it and LibreOffice dropped it from the page)
    import collections

    import docx
    from pypdf import PdfReader

    for name in ("00_通知", "01_实施方案"):
        marks = collections.Counter(c for p in docx.Document(str(out / f"{name}.docx")).paragraphs
                                    for c in p.text if c in "，、。；：")
        printed = collections.Counter(c for page in PdfReader(str(out / f"{name}.pdf")).pages
                                      for c in page.extract_text() if c in "，、。；：")
        assert printed == marks, (name, marks - printed)
    first = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    again = run_docgen("build", "--pdf", "--force", "--plan", "qx-2024-6", cwd=archive)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == first


@needs_office
def test_ledger_prints_at_nine_points_or_more(archive):
    from pypdf import PdfReader

    assert run_docgen("build", "--plan", "qa-2023-30", cwd=archive).returncode == 0
    sources = [str(p) for p in (archive / "output" / "qa-2023-30").glob("0[36]_*.xlsx")]
    result = pdf.convert(sources, pdf.soffice_path())
    assert len(result.pdfs) == 2, result.failed
    for source, data in result.pdfs.items():
        sizes = []

        def visit(text, cm, tm, font, size):
            if text.strip():
                sizes.append(abs(size * (tm[3] or tm[0]) * cm[3]))

        reader = PdfReader(__import__("io").BytesIO(data))
        for page in reader.pages:
            page.extract_text(visitor_text=visit)
            assert [round(float(v)) for v in page.mediabox[2:]] == [842, 595]  # A4 landscape
        assert sizes and min(sizes) >= 9, (source, min(sizes))
        footer = reader.pages[0].extract_text()
        assert f"共 {len(reader.pages)} 页" in footer  # the page-number footer prints whole


@needs_office
def test_each_group_of_06_prints_on_one_page(archive):
    """As LibreOffice prints it: every member of a group on the page of its 组别 (a page broke inside
    第2组 of the example), and the 填表人 line not alone on a page of its own."""
    import io

    import openpyxl
    from pypdf import PdfReader

    assert run_docgen("build", "--plan", "qa-2023-30", cwd=archive).returncode == 0
    source = archive / "output" / "qa-2023-30" / "06_人员分组及车辆安排情况表.xlsx"
    ws = openpyxl.load_workbook(source).active
    groups = sorted((r.min_row, r.max_row) for r in ws.merged_cells.ranges if r.min_col == r.max_col == 1
                    and r.min_row > 5)
    result = pdf.convert([str(source)], pdf.soffice_path())
    pages = ["".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(result.pdfs[str(source)])).pages]
    assert len(pages) > 1
    for first, last in groups:
        names = [ws.cell(r, 4).value for r in range(first, last + 1)]
        holding = {i for i, text in enumerate(pages) for name in names if name in text}
        label = ws.cell(first, 1).value
        assert len(holding) == 1 and label in pages[holding.pop()], (label, names)
    assert any("填表人" in text and "第" in text.split("填表人")[0] for text in pages)


@needs_office
def test_the_signature_line_of_06_never_prints_alone(tmp_path):
    """A plan of two groups of 22 or 23 rows: each filled its own pages and the 填表人 line was all the last
    page held. Now the group's last two rows go with it, as LibreOffice prints the sheet."""
    import io

    from pypdf import PdfReader

    from docgen.documents.render_xlsx import WorkbookTemplate
    from docgen.records.tree import packaged_dir

    name = "06_人员分组及车辆安排情况表.xlsx"
    template = WorkbookTemplate(os.path.join(packaged_dir("templates"), name), name)
    for sizes in ((23, 22), (23, 23), (22, 22)):
        rows = [{"merge_key": g, "group": {"label": f"第{g}组"}, "leader": "张三", "assisting": False,
                 "person": {"department": "迁安市教育局", "name": f"人{g}-{i}", "badge": "1302830100001",
                            "phone": "13800000000"},
                 "visit": {"date": "2023年11月1日", "entity": "迁安市某某培训学校"},
                 "vehicle": {"plate": "冀B·J0101", "driver": "李四"}}
                for g, n in enumerate(sizes, 1) for i in range(n)]
        path = tmp_path / f"{sizes}.xlsx"
        path.write_bytes(template.render({"plan": {"title": "计划", "doc_number": "迁双随机办〔2023〕30号"}}, rows,
                                         "06", "2023-11-01"))
        result = pdf.convert([str(path)], pdf.soffice_path())
        last = PdfReader(io.BytesIO(result.pdfs[str(path)])).pages[-1].extract_text()
        assert "填表人" in last and f"人2-{sizes[1] - 1}" in last, (sizes, last)


@needs_office
def test_codes_print_whole_and_the_letters_inspectors_on_one_page(archive):
    """As LibreOffice prints the 告知书: the credit code on one line (it printed 521302 / 83G8A6QH66NX),
    and 五、检查人员 with its whole table on one page (a page broke after the header and one member)."""
    import io

    import yaml
    from pypdf import PdfReader

    assert run_docgen("build", "--plan", "qa-2023-30", cwd=archive).returncode == 0
    out = archive / "output" / "qa-2023-30"
    letters = sorted(out.glob("02_告知书_*.docx"))
    result = pdf.convert([str(p) for p in letters], pdf.soffice_path())
    split = 0
    for letter in letters:
        name = letter.stem.split("_", 2)[2]
        entity = next(yaml.safe_load(p.read_text("utf-8")) for p in (archive / "records/entities").glob("*.yaml")
                      if f"name: {name}\n" in p.read_text("utf-8"))
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(result.pdfs[str(letter)])).pages]
        assert any(entity["credit_code"] in text for text in pages), (name, entity["credit_code"])
        heading = next(i for i, text in enumerate(pages) if "五、检查人员" in text)
        after = "".join(pages[heading].split("五、检查人员", 1)[1].split())
        nxt = "".join(pages[heading + 1].split()) if heading + 1 < len(pages) else ""
        assert "执法证号" in after and "检查人员将主动出示" in after + nxt, name
        split += "执法证号" in nxt  # a repeated header row: the table went on over the page
    assert split == 0


def test_pdfs_of_a_build_killed_before_its_manifest_are_still_docgens(archive, fake_office, monkeypatch):
    """As documents: a --pdf build killed after writing PDFs, before its manifest, left PDFs the manifest
    does not know; the next --pdf build took them for a clerk's files and wrote its PDFs beside them."""
    office, log = fake_office
    monkeypatch.setenv("PATH", f"{office.parent}{os.pathsep}{os.environ['PATH']}")
    plan = "qx-2024-6"
    build_killed_before_manifest(monkeypatch, archive, [plan], pdf=True)
    out = archive / "output" / plan
    assert (out / "00_通知.pdf").exists()
    for _ in range(2):  # a plain build between: the PDFs are docgen's, not files whose records are gone
        plain = run_docgen("build", "--plan", plan, cwd=archive)
        assert plain.returncode == 0 and "的记录已不在" not in plain.stdout, plain.stdout
    edit(archive / f"records/plans/{plan}.yaml", "  工作实施方案》的通知", "  工作实施方案》的通知（修订）")
    again = run_docgen("build", "--pdf", "--plan", plan, cwd=archive)
    assert again.returncode == 0, again.stdout + again.stderr
    assert not list(out.glob("*docgen新生成*")) and "不是 docgen 上次写入的 PDF" not in again.stdout, again.stdout
