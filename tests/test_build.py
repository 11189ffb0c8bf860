"""Issue 3: the seven attachments, print-ready and byte-reproducible."""

import hashlib
import pathlib
import shutil
import zipfile

import docx
import openpyxl
import pytest
import yaml
from docx.shared import Pt
from docx.oxml.ns import qn

from conftest import EXAMPLE, build_example, check, edit, inspection_files, run_docgen
from docgen.records.archive import Archive
from docgen.documents.build import build
from docgen.records.problems import DocgenError
from docgen.documents.textconv import excel_text

PLAN = "qa-2023-30"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_example(tmp_path_factory, "built")


def docx_text(path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def records_of(root, kind):
    folder = root / "records" / kind
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in folder.rglob("*.yaml")}


def test_all_document_kinds_written(built):
    out = built / "output" / PLAN
    names = sorted(p.name for p in out.iterdir())
    inspections = len(inspection_files(built))
    for prefix in ("00_通知", "01_实施方案", "03_随机抽查后续处置工作台账", "05_电话告知记录表",
                   "06_人员分组及车辆安排情况表", "07_公示表"):
        assert sum(n.startswith(prefix) for n in names) == 1, prefix
    assert sum(n.startswith("02_告知书_") for n in names) == inspections
    assert sum(n.startswith("04_实地核查记录表_") for n in names) == inspections
    annual = sorted(p.name for p in (built / "output" / "qx-2024-6").iterdir())
    assert annual == ["00_全套文书（打印）.docx", "00_通知.docx", "01_实施方案.docx"]


def test_notice_content(built):
    text = docx_text(built / "output" / PLAN / "00_通知.docx")
    assert "迁双随机办〔2023〕30号" in text
    assert "关于开展迁安市2023年度跨部门\n“双随机、一公开”联合抽查的通知" in text  # broken between words
    assert "迁安市教育局、迁安市公安局、迁安市消防救援大队：" in text
    assert "附件：1.《2023年迁安市教育局校外培训机构跨部门“双随机、一公开”联合抽查实施方案》" in text
    assert "7.《公示表》" in text
    assert "2023年10月30日印发" in text and "联系电话：7665600" in text and "qasssj@126.com" in text


def test_scheme_sections_for_both_seeds(built):
    joint = docx_text(built / "output" / PLAN / "01_实施方案.docx")
    for heading in ("一、抽查时间", "二、抽查对象及比例", "三、抽查实施部门", "四、抽查内容", "五、组织实施", "六、工作要求"):
        assert heading in joint
    assert "2023年11月1日至2023年11月30日" in joint
    assert "（一）加强组织领导。“双随机、一公开”检查机制" in joint
    annual = docx_text(built / "output" / "qx-2024-6" / "01_实施方案.docx")
    assert "一、工作目标" in annual and "二、主要工作任务" in annual and "三、工作要求" in annual
    assert "（责任单位：机关相关科室；完成时限：全年）" in annual
    notice = docx_text(built / "output" / "qx-2024-6" / "00_通知.docx")
    assert "迁教工委〔2024〕6号" in notice and "各学区中心校，民办校（园），机关相关科室：" in notice


def test_per_entity_documents_content(built):
    entities = records_of(built, "entities")
    departments = records_of(built, "departments")
    people = {p["id"]: p for d in departments.values() for p in d["inspectors"]}
    for path in inspection_files(built):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entity = entities[data["entity"]]
        matches = [p for p in (built / "output" / PLAN).glob("02_告知书_*.docx")
                   if entity["credit_code"] in docx_text(p)]
        assert len(matches) == 1, entity["name"]
        letter = docx_text(matches[0])
        assert entity["name"] in letter
        for ids in data["inspectors"].values():
            for pid in ids:
                assert people[pid]["name"] in letter and people[pid]["badge"] in letter
        record = docx_text(matches[0].parent / matches[0].name.replace("02_告知书_", "04_实地核查记录表_"))
        assert entity["credit_code"] in record and entity["address"] in record
        for dep, part in (data.get("departments") or {}).items():  # each department's own result
            if part.get("results"):
                assert f"{departments[dep]['name']}：{'、'.join(part['results'])}" in record
            for signed in part.get("signatures") or []:
                assert people[signed["inspector"]]["name"] in record.split("签名：", 1)[1]
        if data.get("signature"):
            assert data["signature"]["signer"] in record
        if data.get("refusal"):
            assert data["refusal"] in record
        for part in (data.get("departments") or {}).values():
            for item in part.get("items") or []:
                assert item["finding"] in record


def test_word_page_setup_and_fonts(built):
    for path in sorted((built / "output" / PLAN).glob("0[012]_*.docx"))[:3]:
        document = docx.Document(str(path))
        section = document.sections[0]
        mm = lambda length: round(length / 36000, 1)  # EMU to mm  # noqa: E731
        assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
        assert (mm(section.top_margin), mm(section.left_margin)) == (37, 28)
        assert mm(section.page_width - section.left_margin - section.right_margin) == 156
        assert mm(section.page_height - section.top_margin - section.bottom_margin) == 225
        normal = document.styles["Normal"]
        assert normal.font.size == Pt(16)
        assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
        title = document.styles["Title"]
        assert title.font.size == Pt(22) and title.element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
        assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
        assert document.styles["Heading 2"].element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
        footer = section.footer.paragraphs[0]._element.xml
        assert "— " in footer and "PAGE" in footer and 'w:eastAsia="宋体"' in footer and 'w:val="28"' in footer


def test_excel_tables(built):
    out = built / "output" / PLAN
    inspections = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in inspection_files(built)]
    entities = records_of(built, "entities")
    public = openpyxl.load_workbook(out / "07_公示表.xlsx").active
    assert "公示表" == public["A2"].value  # its name in the notice's 附件说明: 7.《公示表》
    assert "迁双随机办〔2023〕30号" in public["A3"].value
    assert [c.value for c in public[4]] == ["序号", "企业名称", "统一社会信用代码", "检查实施机关", "抽查类型", "检查完成日期", "抽查结果"]
    # one row per entity per department, for each department's approved result
    done = [(d, dep, part) for d in inspections for dep, part in (d.get("departments") or {}).items()
            if part.get("results") and part.get("completed") and part.get("approval")]
    rows = [r for r in public.iter_rows(min_row=5, values_only=True) if r[0] is not None]
    assert len(rows) == len(done)
    assert {r[2] for r in rows} == {entities[d["entity"]]["credit_code"] for d, _, _ in done}
    dep_names = {k: v["name"] for k, v in records_of(built, "departments").items()}
    assert sorted((r[2], r[3], r[6]) for r in rows) == sorted(
        (entities[d["entity"]]["credit_code"], dep_names[dep], "、".join(part["results"])) for d, dep, part in done)
    assert rows[0][0] == 1 and isinstance(rows[0][0], int)
    ps = public.page_setup
    assert ps.orientation == "landscape" and int(ps.paperSize) == 9 and ps.fitToWidth == 1
    assert public.sheet_properties.pageSetUpPr.fitToPage
    assert public.print_title_rows == "$4:$4"
    assert public.cell(5, 2).border.left.style == "thin" and public.cell(5, 2).alignment.wrap_text
    # public: no personal phone numbers or ID numbers anywhere
    departments = records_of(built, "departments")
    secrets = {p["phone"] for d in departments.values() for p in d["inspectors"]}
    secrets |= {p["badge"] for d in departments.values() for p in d["inspectors"]}
    secrets |= {e["contact"]["phone"] for e in entities.values()}
    cells = {str(c) for row in public.iter_rows(values_only=True) for c in row if c is not None}
    assert not any(s in cell for s in secrets for cell in cells)

    phone = openpyxl.load_workbook(out / "05_电话告知记录表.xlsx").active
    called = [d for d in inspections if d.get("phone_notice")]
    phone_rows = [r for r in phone.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(phone_rows) == len(called)
    assert {r[7] for r in phone_rows} == {d["phone_notice"]["caller"] for d in called}
    assert phone.cell(5 + len(phone_rows) + 1, 1).value.startswith("填表人")

    ledger = openpyxl.load_workbook(out / "03_随机抽查后续处置工作台账.xlsx").active
    actions = [f for d in inspections for f in d.get("follow_ups") or []]
    ledger_rows = [r for r in ledger.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    assert len(ledger_rows) == len(actions)
    assert {r[8] for r in ledger_rows} == {f["status"] for f in actions}

    groups = openpyxl.load_workbook(out / "06_人员分组及车辆安排情况表.xlsx").active
    people = {p["id"]: p for d in departments.values() for p in d["inspectors"]}
    names = {people[pid]["name"] for d in inspections for ids in d["inspectors"].values() for pid in ids}
    sheet_names = {r[3] for r in groups.iter_rows(min_row=5, values_only=True) if r[3]}
    assert names <= sheet_names
    assert any(str(m).startswith("A6:A") for m in groups.merged_cells.ranges)  # data below the 成员 header rows
    assert "冀B·J0101" in {r[8] for r in groups.iter_rows(min_row=5, values_only=True)}


def test_verbatim_special_text_and_no_formula(archive):
    tricky = '=SUM(A1)&<b>"{{ x }}" {% y %} \'q\' 1<2 _x0041_'  # _xHHHH_ is an escape in Excel cells
    inspected = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in inspection_files(archive)]
    target = next(d for d in inspected if any(p.get("approval") for p in (d.get("departments") or {}).values()))["entity"]
    epath = archive / f"records/entities/{target}.yaml"
    edata = yaml.safe_load(epath.read_text(encoding="utf-8"))
    edit(epath, f"name: {edata['name']}", "name: " + yaml.safe_dump(tricky, allow_unicode=True).strip().split("\n")[0])
    edit(epath, f"address: {edata['address']}", 'address: "第一行\\n第二行 & more"')
    assert not check(archive).errors
    report = build(Archive(str(archive / "records")), str(archive / "output"))
    assert not report.has_errors
    out = archive / "output" / PLAN
    letter = next(out.glob("02_告知书_=SUM*.docx"))
    assert tricky in docx_text(letter)
    record = docx.Document(str(next(out.glob("04_实地核查记录表_=SUM*.docx"))))
    assert "第一行\n第二行 & more" in "\n".join(c.text for r in record.tables[0].rows for c in r.cells)
    sheet = openpyxl.load_workbook(out / "07_公示表.xlsx").active
    cell = next(c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and excel_text(c.value) == tricky)
    assert cell.data_type == "s"
    with zipfile.ZipFile(out / "07_公示表.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    bound = docx_text(out / "00_全套文书（打印）.docx")  # the tables as Excel shows them, not their escapes
    assert "_x005F" not in bound and bound.count(tricky) >= 3  # the letter, the record form, 07's rows


def test_missing_template_field_fails_loudly(archive):
    shutil.copytree(pathlib.Path(__file__).parent.parent / "templates", archive / "templates")
    document = docx.Document(str(archive / "templates/00_通知.docx"))
    document.add_paragraph("{{ plan.no_such_field }}")
    document.save(str(archive / "templates/00_通知.docx"))
    with pytest.raises(DocgenError) as caught:
        build(Archive(str(archive / "records")), str(archive / "output"))
    assert "00_通知.docx" in str(caught.value) and "no_such_field" in str(caught.value)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 2 and "no_such_field" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("cell, text, expected", [
    ("B5", "{{ row.entity.no_such_field }}", "no_such_field"),  # the repeated row
    ("A3", "抽查计划：{{ plan.no_such_field }}", "no_such_field"),  # a title row
    ("A3", "抽查计划：{{ plan.title ", "语法错误"),
    ("G5", "=COUNTA(B5:B5)", "是公式"),  # would count the template row only, whatever the records
])
def test_excel_template_mistakes_fail_loudly(archive, cell, text, expected):
    shutil.copytree(pathlib.Path(__file__).parent.parent / "templates", archive / "templates")
    path = archive / "templates/07_公示表.xlsx"
    workbook = openpyxl.load_workbook(path)  # saved again by openpyxl: shared strings, its own layout
    workbook.active[cell] = text
    workbook.save(path)
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "07_公示表.xlsx" in result.stderr and expected in result.stderr and "Traceback" not in result.stderr


def tree_hashes(folder: pathlib.Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_byte_identical_across_builds_and_checkouts(built, tmp_path):
    other = tmp_path / "second-checkout"
    shutil.copytree(EXAMPLE, other / "records")
    result = run_docgen("build", "--out", "elsewhere", cwd=other, env={"TZ": "America/New_York", "LANG": "C"})
    assert result.returncode == 0
    first, second = tree_hashes(built / "output"), tree_hashes(other / "elsewhere")
    assert first == second and len(first) > 20
    again = run_docgen("build", "--force", cwd=built)
    assert again.returncode == 0 and tree_hashes(built / "output") == first
    with zipfile.ZipFile(built / "output" / PLAN / "00_通知.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "2023-10-30T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_invalid_record_skipped_rest_built(archive):
    bad = inspection_files(archive)[0]
    edit(bad, "    - 未发现问题", "    - 不存在的结果")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1
    assert "不在可选范围内" in result.stdout
    out = archive / "output" / PLAN
    entity = yaml.safe_load(bad.read_text(encoding="utf-8"))["entity"]
    name = yaml.safe_load((archive / f"records/entities/{entity}.yaml").read_text(encoding="utf-8"))["name"]
    assert not list(out.glob(f"02_告知书_{name}*.docx"))
    assert len(list(out.glob("02_告知书_*.docx"))) == len(inspection_files(archive)) - 1
    assert not (out / "07_公示表.xlsx").exists()  # a plan-wide table would be incomplete
    assert (archive / "output/qx-2024-6/01_实施方案.docx").exists()


def test_removed_record_removes_only_its_documents(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    foreign = out / "我的笔记.docx"
    foreign.write_bytes(b"not docgen's")
    victim = inspection_files(archive)[-1]
    entity = yaml.safe_load(victim.read_text(encoding="utf-8"))["entity"]
    name = yaml.safe_load((archive / f"records/entities/{entity}.yaml").read_text(encoding="utf-8"))["name"]
    assert list(out.glob(f"02_告知书_{name}*"))
    victim.unlink()
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout
    assert not list(out.glob(f"02_告知书_{name}*")) and not list(out.glob(f"04_实地核查记录表_{name}*"))
    assert foreign.read_bytes() == b"not docgen's"
    assert not [p for p in out.iterdir() if p.name.startswith(".docgen-")]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_pdf_a4_and_one_page_record(archive):
    from pypdf import PdfReader

    result = run_docgen("build", "--pdf", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    pdfs = sorted(out.glob("*.pdf"))
    docs = sorted(out.glob("*.docx")) + sorted(out.glob("*.xlsx"))
    assert len(pdfs) == len(docs)
    for pdf in pdfs:
        reader = PdfReader(str(pdf))
        box = reader.pages[0].mediabox
        size = sorted((round(float(box.width)), round(float(box.height))))
        assert size == [595, 842], pdf.name
        if pdf.name.startswith("04_"):
            assert len(reader.pages) == 1, pdf.name
    letter = next(out.glob("02_告知书_*.pdf"))
    assert "统一社会信用代码" in PdfReader(str(letter)).pages[0].extract_text()
    # a later build without --pdf keeps the PDFs of unchanged documents and writes nothing
    again = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert "没有变化" in again.stdout and len(list(out.glob("*.pdf"))) == len(pdfs)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_excel_template_saved_again_by_an_office_suite(archive, tmp_path):
    """A clerk opens a table template in an office suite and saves it: shared strings, another XML
    layout, the extra parts such a suite writes. The tables must come out the same."""
    import subprocess

    from docgen.records.tree import packaged_dir

    shutil.copytree(packaged_dir("templates"), archive / "templates", ignore=shutil.ignore_patterns("*.py"))
    name = "06_人员分组及车辆安排情况表.xlsx"
    work = tmp_path / "resaved"
    work.mkdir()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(work),
                    str(archive / "templates" / name)], check=True, capture_output=True, timeout=300)
    with zipfile.ZipFile(work / name) as z:
        assert "xl/sharedStrings.xml" in z.namelist()  # the case this test is about
    shutil.copy(work / name, archive / "templates" / name)
    reference = tmp_path / "reference"
    shutil.copytree(archive / "records", reference / "records")
    assert run_docgen("build", "--plan", PLAN, cwd=reference).returncode == 0
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = openpyxl.load_workbook(archive / "output" / PLAN / name).active
    theirs = openpyxl.load_workbook(reference / "output" / PLAN / name).active
    assert [[c.value for c in r] for r in ours.iter_rows()] == [[c.value for c in r] for r in theirs.iter_rows()]
    assert sorted(map(str, ours.merged_cells.ranges)) == sorted(map(str, theirs.merged_cells.ranges))
    assert ours.cell(5, 4).value and ours.cell(5, 4).border.left.style == "thin"
    assert ours.page_setup.orientation == "landscape"


def test_pdf_without_libreoffice_says_so(archive, tmp_path):
    import sys
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = run_docgen("build", "--pdf", "--plan", "qx-2024-6", cwd=archive, env={"PATH": str(bin_dir)})
    assert result.returncode == 0, result.stderr
    assert "未找到 LibreOffice" in result.stdout
    assert (archive / "output/qx-2024-6/00_通知.docx").exists()
    assert not list((archive / "output").rglob("*.pdf"))


def test_no_progress_bar_when_not_a_terminal(archive):
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0 and "生成文书" not in result.stdout and "\r" not in result.stdout


def test_progress_bar_on_a_terminal(archive):
    import os
    import pty
    import subprocess
    import sys
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "docgen", "build"], cwd=archive, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0 and "生成文书" in shown


def test_unwritable_output_is_a_clear_error(archive):
    (archive / "occupied").write_text("a file where the output folder should be")
    result = run_docgen("build", "--out", "occupied/output", cwd=archive)
    assert result.returncode == 2
    assert result.stderr.startswith("错误：") and "Traceback" not in result.stderr


def test_manifest_is_the_same_whatever_folder_docgen_runs_in(archive, tmp_path):
    """The manifest travels in git: its sources are paths from the archive's folder, not from where
    the clerk happened to run docgen (a build from elsewhere would rewrite every entry)."""
    other = tmp_path / "其他" / "档案"
    shutil.copytree(archive, other)
    assert run_docgen("build", cwd=archive).returncode == 0
    result = run_docgen("build", "--records", str(other / "records"), "--out", str(other / "output"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ours = (archive / "output" / ".docgen-manifest.json").read_bytes()
    assert ours == (other / "output" / ".docgen-manifest.json").read_bytes()
    assert b'"records/plans/' in ours


def test_no_environment_variable_changes_a_document(archive, tmp_path):
    """A plan without an issue date: its documents' properties date is fixed, not the environment's
    SOURCE_DATE_EPOCH (which no fingerprint holds: the bytes would depend on the build's history)."""
    plan = next((archive / "records" / "plans").glob("*.yaml"))
    text = plan.read_text(encoding="utf-8")
    plan.write_text("\n".join(line for line in text.split("\n") if not line.startswith("issue_date:")), encoding="utf-8")
    other = tmp_path / "other"
    shutil.copytree(archive, other)
    assert run_docgen("build", cwd=archive).returncode == 0
    assert run_docgen("build", cwd=other, env={"SOURCE_DATE_EPOCH": "1700000000"}).returncode == 0
    ours = sorted(p.relative_to(archive) for p in (archive / "output").rglob("*.docx"))
    assert ours and all((archive / p).read_bytes() == (other / p).read_bytes() for p in ours)


def test_a_template_replaced_with_its_time_and_size_kept_is_read_again(archive):
    """A watcher keeps prepared templates between builds: one replaced by a file of the same size and
    modification time (cp -p, unzip, rsync -t) is read again, not served from what was prepared."""
    import os

    templates = archive / "templates"
    shutil.copytree(pathlib.Path(__file__).resolve().parent.parent / "templates", templates)
    target = templates / "00_通知.docx"
    with zipfile.ZipFile(target) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}

    def write(marker: str) -> None:
        changed = dict(parts)
        changed["word/document.xml"] = parts["word/document.xml"].replace("附件".encode(), marker.encode(), 1)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
            for name, data in changed.items():
                out.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
        os.utime(target, ns=(10**18, 10**18))

    write("甲件")
    out = archive / "output"
    build(Archive(str(archive / "records")), str(out), [PLAN])
    size = target.stat().st_size
    write("乙件")
    assert target.stat().st_size == size and target.stat().st_mtime_ns == 10**18
    build(Archive(str(archive / "records")), str(out), [PLAN])
    text = "\n".join(p.text for p in docx.Document(str(out / PLAN / "00_通知.docx")).paragraphs)
    assert "乙件" in text and "甲件" not in text


def test_a_plan_without_its_scheme_yields_no_blank_01(archive):
    """A plan without 实施方案 (scheme) printed a 01 saying 附件1 and nothing else, in the print set too,
    and validate was silent though the notice's 附件说明 still listed the 实施方案."""
    import re

    from conftest import line_of, problems_for

    plan = archive / "records/plans/qa-2023-30.yaml"
    lines = plan.read_text(encoding="utf-8").split("\n")
    start = lines.index("scheme:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()
               and not lines[i].startswith("#"))
    plan.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    assert "scheme" not in yaml.safe_load(plan.read_text(encoding="utf-8"))
    found = [p for p in problems_for(check(archive), plan) if "实施方案（scheme）" in p.message]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].line == line_of(plan, "- 《2023年迁安市教育局")
    result = run_docgen("build", "--plan", "qa-2023-30", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / "qa-2023-30"
    assert (out / "00_通知.docx").exists() and not (out / "01_实施方案.docx").exists()
    with zipfile.ZipFile(out / "00_全套文书（打印）.docx") as z:
        assert "附件1" not in re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode("utf-8"))
