"""Issue 11: what `docgen build` writes, replaces and deletes — and only that.

Manifest paths stay inside the output folder; documents a clerk edited, and files docgen never
wrote, are kept; hostile text gives valid files and appears verbatim; long names give short file
names; one document's failure does not stop the others; the machine's failures have their own
exit code.
"""

import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import shutil
import sys
import xml.dom.minidom
import zipfile

import docx
import openpyxl
import pytest
import yaml

from conftest import ROOT, check, edit, inspection_files, run_docgen
from docgen.records.archive import Archive
from docgen.records.tree import packaged_dir
from docgen.documents.build import MANIFEST, BuildFailed, Renderer, build
from docgen.documents.outputs import plan_outputs, safe_name

PLAN = "qa-2023-30"
BESIDE = "（docgen新生成）"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(out) -> dict:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))["outputs"]


def write_manifest(out, outputs: dict) -> None:
    (out / MANIFEST).write_text(json.dumps({"docgen": "x", "version": 1, "outputs": outputs}), encoding="utf-8")


def xml_parts_parse(blob_or_path) -> dict[str, str]:
    """Every XML part of a package, parsed (raises on an invalid one); returns their text."""
    parsed = {}
    with zipfile.ZipFile(blob_or_path) as package:
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                dom = xml.dom.minidom.parseString(package.read(name))
                parsed[name] = dom
    return parsed


def all_text(dom) -> str:
    out = []

    def walk(node):
        if node.nodeType == node.TEXT_NODE:
            out.append(node.data)
        for child in node.childNodes:
            walk(child)
    walk(dom)
    return "".join(out)


def entity_of(root, inspection) -> tuple[str, dict]:
    entity = yaml.safe_load(inspection.read_text(encoding="utf-8"))["entity"]
    path = root / f"records/entities/{entity}.yaml"
    return entity, yaml.safe_load(path.read_text(encoding="utf-8"))


def rename_entity(root, entity: str, name: str) -> None:
    path = root / f"records/entities/{entity}.yaml"
    old = yaml.safe_load(path.read_text(encoding="utf-8"))["name"]
    edit(path, f"name: {old}", "name: " + json.dumps(name, ensure_ascii=False))


# -- 1. manifest paths --------------------------------------------------------------------------

def test_manifest_paths_outside_the_output_folder_are_ignored(archive, tmp_path):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    record = archive / "records/entities/org-001.yaml"
    outside = tmp_path / "outside.txt"
    outside.write_text("someone's file")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "victim.docx"
    victim.write_bytes(b"a document outside the archive")
    (out / PLAN / "linked").symlink_to(elsewhere, target_is_directory=True)
    before = {p: p.read_bytes() for p in (record, outside, victim)}
    manifest = read_manifest(out)
    hostile = {
        "../records/entities/org-001.yaml": sha(record),
        f"{PLAN}/../../records/entities/org-001.yaml": sha(record),
        str(outside): sha(outside),                       # absolute
        f"{PLAN}/linked/victim.docx": sha(victim),        # through a link leading out
        f"{PLAN}\\..\\..\\outside.txt": sha(outside),     # Windows separators
        ".docgen-manifest.json": "0" * 64,                # hidden names
        f"{PLAN}/\u202eevil.docx": "0" * 64,              # a bidi override
    }
    for rel, digest in hostile.items():
        manifest[rel] = {"key": "k", "sha256": digest, "sources": []}
    write_manifest(out, manifest)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.read_bytes() for p in (record, outside, victim)} == before
    assert result.stdout.count("已忽略") == 6 and "警告：" in result.stdout
    assert "\u202e" not in result.stdout and "\\u202e" in result.stdout  # shown, not obeyed by the terminal
    assert f"{PLAN}/linked/victim.docx 所在的文件夹是指向输出目录之外的链接" in result.stdout
    assert not set(hostile) & set(read_manifest(out))  # forgotten: no warning next time, nothing done ever
    assert run_docgen("build", cwd=archive).stdout.count("已忽略") == 0


def test_a_manifest_or_journal_from_elsewhere_deletes_no_clerks_file(archive):
    """The manifest and the build journal travel with output/: a line in either naming a clerk's file
    with its real SHA-256 (a copy of a document kept under another name, a note) deletes nothing; only a
    document this docgen made itself (signed in .docgen/) goes with its record."""
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    kept = out / "00_通知（盖章签发稿）.docx"
    kept.write_bytes((out / "00_通知.docx").read_bytes())
    note = out / "备注.txt"
    note.write_text("会议纪要\n", encoding="utf-8")
    manifest = read_manifest(archive / "output")
    manifest[f"{PLAN}/{kept.name}"] = {"key": "x", "sha256": sha(kept), "sources": []}
    write_manifest(archive / "output", manifest)
    with open(archive / "output" / ".docgen-manifest.pending", "w", encoding="utf-8") as journal:
        journal.write(json.dumps([f"{PLAN}/备注.txt", sha(note)], ensure_ascii=False) + "\n")
        journal.write(json.dumps([f"{PLAN}/备注.txt", sha(note), "0" * 64], ensure_ascii=False) + "\n")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert kept.exists() and note.exists() and not re.search(r"删除 \d+ 份", result.stdout)
    assert f"{kept.name} 的记录已不在，但本机 .docgen/ 中没有 docgen 生成它的记录，它也没有原样提交在 git 中" in result.stdout
    # a document docgen made is still removed once its record is gone
    letter = out / "02_告知书_迁安市凌云艺术培训学校（示例）.docx"
    assert letter.exists()
    (archive / "records/inspections" / PLAN / "org-048.yaml").unlink()
    result = run_docgen("build", cwd=archive)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert not letter.exists() and kept.exists() and note.exists()


def test_an_output_folder_linked_out_of_the_archive_is_refused(archive, tmp_path_factory):
    """`output` itself a link to another archive's output (it can come in git or a zip): its documents
    would be replaced and deleted under the manifest found there. Refused; named by its own path, fine."""
    tmp_path = tmp_path_factory.mktemp("elsewhere")
    other = tmp_path / "other-archive-output"
    shutil.copytree(archive, tmp_path / "other")
    assert run_docgen("build", cwd=tmp_path / "other").returncode == 0
    (tmp_path / "other" / "output").rename(other)
    before = {p: p.read_bytes() for p in other.rglob("*") if p.is_file()}
    shutil.rmtree(archive / "records/inspections" / PLAN)
    (archive / "output").symlink_to(other, target_is_directory=True)
    for command in (["build"], ["build", "--plan", PLAN]):
        result = run_docgen(*command, cwd=archive)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "是指向档案之外的链接" in result.stderr and "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in other.rglob("*") if p.is_file()} == before
    mine = tmp_path / "mine"
    mine.mkdir()
    (archive / "output").unlink()
    (archive / "output").symlink_to(mine, target_is_directory=True)
    assert run_docgen("build", "--out", str(mine), cwd=archive).returncode in (0, 1)
    assert list(mine.rglob("*.docx"))


def test_no_write_through_a_folder_linked_outside(archive, tmp_path):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "qx-2024-6", elsewhere)
    shutil.rmtree(out / "qx-2024-6")
    (out / "qx-2024-6").symlink_to(elsewhere, target_is_directory=True)
    edit(archive / "records/plans/qx-2024-6.yaml", "title: ", "title: 新")
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
    assert "qx-2024-6/00_通知.docx" in result.stderr and "指向输出目录之外的链接" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(list((out / PLAN).glob("02_告知书_*.docx"))) == len(inspection_files(archive))  # the rest built


# -- 2. documents a clerk edited, files docgen never wrote -------------------------------------

def test_edited_document_kept_new_one_beside_then_force_replaces(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    inspection = next(p for p in inspection_files(archive) if "opinion:" in p.read_text(encoding="utf-8"))
    _, entity = entity_of(archive, inspection)
    doc = out / f"04_实地核查记录表_{entity['name']}.docx"
    side = out / f"04_实地核查记录表_{entity['name']}{BESIDE}.docx"
    original = doc.read_bytes()
    document = docx.Document(str(doc))
    document.add_paragraph("经办人手工补充的说明")
    document.save(str(doc))
    edited = doc.read_bytes()

    # no record changed: the edit is kept all the same, docgen's document goes beside it
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert doc.read_bytes() == edited and side.read_bytes() == original
    assert f"{PLAN}/{doc.name} 在上次生成后被修改过，docgen 没有覆盖它" in result.stdout
    assert side.name in result.stdout and "--force" in result.stdout
    assert f"{PLAN}/{side.name}" in read_manifest(archive / "output")

    # a build with nothing new reminds and writes nothing
    again = run_docgen("build", cwd=archive)
    assert "没有变化" in again.stdout and "docgen 没有覆盖它" in again.stdout

    # the record changes: the document beside is brought up to date, the edited one still kept
    edit(inspection, "opinion: ", "opinion: 经复核无异议，")
    changed = run_docgen("build", cwd=archive)
    assert changed.returncode == 0 and doc.read_bytes() == edited
    assert "经复核无异议" in "\n".join(c.text for t in docx.Document(str(side)).tables for r in t.rows for c in r.cells)
    newest = side.read_bytes()

    # the clerk restores what docgen wrote there last (git checkout): docgen's to replace again
    doc.write_bytes(original)
    restored = run_docgen("build", cwd=archive)
    assert restored.returncode == 0 and "没有覆盖" not in restored.stdout
    assert doc.read_bytes() == newest and not side.exists()
    doc.write_bytes(edited)
    assert "docgen 没有覆盖它" in run_docgen("build", cwd=archive).stdout and side.read_bytes() == newest

    # --force replaces after saying so; the document beside is gone, and so is its manifest entry
    forced = run_docgen("build", "--force", cwd=archive)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert f"{PLAN}/{doc.name} 在上次生成后被修改过，已按 --force 用新生成的文书替换" in forced.stdout
    assert doc.read_bytes() == newest and not side.exists()
    assert not [k for k in read_manifest(archive / "output") if BESIDE in k]


def test_conflict_resolved_by_taking_the_new_document(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    doc = out / "00_通知.docx"
    side = out / f"00_通知{BESIDE}.docx"
    doc.write_bytes(b"edited")
    run_docgen("build", cwd=archive)
    shutil.copy(side, doc)  # the clerk takes docgen's version over, and leaves the copy beside it
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0 and "没有覆盖" not in result.stdout
    assert not side.exists() and BESIDE not in json.dumps(read_manifest(archive / "output"), ensure_ascii=False)


def test_edited_document_beside_is_not_touched_either(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    (out / "00_通知.docx").write_bytes(b"edited")
    run_docgen("build", cwd=archive)
    (out / f"00_通知{BESIDE}.docx").write_bytes(b"edited too")
    edit(archive / "records/plans/qa-2023-30.yaml", "check_type: ", "check_type: 新")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 2 and "00_通知.docx 未能生成" in result.stderr and "改名或移走" in result.stderr
    assert (out / "00_通知.docx").read_bytes() == b"edited"
    assert (out / f"00_通知{BESIDE}.docx").read_bytes() == b"edited too"
    assert (out / "07_公示表.xlsx").exists()


def test_file_docgen_never_wrote_is_never_replaced(archive):
    assert run_docgen("build", "--out", "reference", cwd=archive).returncode == 0
    expected = (archive / "reference" / PLAN / "00_通知.docx").read_bytes()
    out = archive / "output" / PLAN
    out.mkdir(parents=True)
    mine = out / "00_通知.docx"
    mine.write_bytes(b"the clerk's own notice, typed before the first build")
    for args in (("build",), ("build", "--force")):
        result = run_docgen(*args, cwd=archive)
        assert result.returncode == 0, result.stdout + result.stderr
        assert mine.read_bytes() == b"the clerk's own notice, typed before the first build"
        assert f"{PLAN}/00_通知.docx 不是 docgen 生成的文件" in result.stdout
        assert (out / f"00_通知{BESIDE}.docx").read_bytes() == expected
    # the clerk moves the file away: the document takes its place, the copy beside it goes
    mine.rename(archive / "my-notice.docx")
    assert run_docgen("build", cwd=archive).returncode == 0
    assert not (out / f"00_通知{BESIDE}.docx").exists() and (out / "00_通知.docx").read_bytes() == expected


def test_something_not_a_file_at_a_document_path_is_left_alone(archive):
    out = archive / "output" / PLAN
    out.mkdir(parents=True)
    os.mkfifo(out / "00_通知.docx")  # reading it would hang the build
    (out / "01_实施方案.docx").symlink_to(archive / "records/plans/qa-2023-30.yaml")
    plan_bytes = (archive / "records/plans/qa-2023-30.yaml").read_bytes()
    result = run_docgen("build", "--force", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / "00_通知.docx").is_fifo() and (out / "01_实施方案.docx").is_symlink()
    assert (archive / "records/plans/qa-2023-30.yaml").read_bytes() == plan_bytes
    assert (out / f"00_通知{BESIDE}.docx").exists() and (out / f"01_实施方案{BESIDE}.docx").exists()


# -- 3. text in files -----------------------------------------------------------------------------

def test_control_characters_in_titles_give_valid_packages(archive):
    checked = check(archive)
    renderer = Renderer(Archive(str(archive / "records")).templates_dir)
    hostile = "抽查\x00\x01\x08\x0b\x0c\x1f\ud800\ufffe计划 & <b> \"引号\" 'x' \r\n\t末尾]]>"
    outputs = plan_outputs(checked, PLAN).outputs
    kinds = {o.template: o for o in outputs}
    assert {"00_通知.docx", "04_实地核查记录表.docx", "07_公示表.xlsx"} <= set(kinds)
    for template in ("00_通知.docx", "04_实地核查记录表.docx", "07_公示表.xlsx"):
        blob = renderer.render(dataclasses.replace(kinds[template], title=hostile))
        parts = xml_parts_parse(io.BytesIO(blob))  # every XML part parses
        title = parts["docProps/core.xml"].getElementsByTagName("dc:title")[0]
        assert all_text(title) == "抽查计划 & <b> \"引号\" 'x' \r\n\t末尾]]>", template
        if template.endswith(".docx"):
            docx.Document(io.BytesIO(blob))
        else:
            openpyxl.load_workbook(io.BytesIO(blob))


VERBATIM = "甲{_{ a }_}乙 & < > \" { } = {{ x }} {% if %} {_% b %_} 丙"


def test_record_text_verbatim_in_documents_and_tables(archive):
    inspected = [(p, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in inspection_files(archive)]
    shown = next(p for p, d in inspected if any(part.get("approval") for part in (d.get("departments") or {}).values()))
    entity, _ = entity_of(archive, shown)
    rename_entity(archive, entity, VERBATIM)
    assert not check(archive).errors
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    for prefix, title in (("02_告知书_", "告知书"), ("04_实地核查记录表_", "实地核查记录表")):
        [doc] = [p for p in out.glob(f"{prefix}*.docx") if "{_{ a }_}" in p.name]
        parts = xml_parts_parse(doc)
        assert VERBATIM in all_text(parts["word/document.xml"]), prefix
        assert all_text(parts["docProps/core.xml"].getElementsByTagName("dc:title")[0]) == f"{title} {VERBATIM}"
    sheet = openpyxl.load_workbook(out / "07_公示表.xlsx").active
    assert VERBATIM in [c.value for row in sheet.iter_rows() for c in row]


def test_template_literal_escapes_still_work(archive):
    """docxtpl's `{_{` in a template's own text still prints `{{` (only record text is left alone)."""
    shutil.copytree(packaged_dir("templates"), archive / "templates", ignore=shutil.ignore_patterns("*.py"))
    path = archive / "templates/00_通知.docx"
    document = docx.Document(str(path))
    document.add_paragraph("模板示例：{_{ plan.title }_} 和 {_% if %_}")
    document.save(str(path))
    edit(archive / "records/plans/qa-2023-30.yaml", "title: ", "title: 标题{_{ t }_}")
    assert run_docgen("build", "--plan", PLAN, cwd=archive).returncode == 0
    text = all_text(xml_parts_parse(archive / "output" / PLAN / "00_通知.docx")["word/document.xml"])
    assert "模板示例：{{ plan.title }} 和 {% if %}" in text and "标题{_{ t }_}" in text


# -- 4. long names, unsafe names, one failure ----------------------------------------------------

def test_long_names_shortened_with_a_hash_and_unique(archive):
    common = "迁安市" + "某" * 77  # 80 characters shared
    files = inspection_files(archive)[:2]
    names = {}
    for n, inspection in enumerate(files):
        entity, _ = entity_of(archive, inspection)
        names[entity] = common + ("甲乙丙丁戊己庚辛壬癸" * 2 if n == 0 else "子丑寅卯辰巳午未申酉" * 2)
        rename_entity(archive, entity, names[entity])
    assert all(len(name) == 100 for name in names.values())
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    long = sorted(p.name for p in out.iterdir() if "某某某" in p.name)
    assert len(long) == 4  # 02 and 04 for each: two entities, never one file for both
    for name in long:
        assert len(name.encode("utf-8")) <= 200 and re.search(r"_[0-9a-f]{8}\.docx$", name), name
        assert len((name.replace(".docx", BESIDE + ".docx")).encode("utf-8")) <= 200
    letters = [p for p in out.glob("02_告知书_迁安市某*.docx")]
    texts = {all_text(xml_parts_parse(p)["word/document.xml"]) for p in letters}
    assert all(any(full in text for text in texts) for full in names.values())  # full names inside


def test_names_equal_but_for_case_or_normalisation_get_files_of_their_own(archive):
    """Windows and macOS ignore case in file names (macOS also Unicode normalisation): entities named
    "Abc学校" and "ABC学校", or "Café" written composed and decomposed, must not share one file there."""
    import unicodedata

    files = inspection_files(archive)[:4]
    wanted = ["Abc培训学校", "ABC培训学校", unicodedata.normalize("NFC", "Café培训学校"),
              unicodedata.normalize("NFD", "Café培训学校")]
    for inspection, name in zip(files, wanted):
        rename_entity(archive, entity_of(archive, inspection)[0], name)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [p.name for p in (archive / "output" / PLAN).iterdir()]
    folded = {unicodedata.normalize("NFC", n).casefold() for n in names}
    assert len(folded) == len(names), sorted(names)
    assert len([n for n in names if n.startswith("04_") and "迁安市" not in n]) == 4, sorted(names)


def test_unsafe_characters_never_reach_file_names():
    for raw in ("甲\u202e乙", "甲\u2066乙\u2069", "a\u200fb", "x/y\\z:*?\"<>|", "行\n分\r隔\x00", "\u2028\u2029p",
                " .隐藏. ", "\ud800孤"):
        name = safe_name(raw)
        assert not re.search(r'[\\/:*?"<>|\x00-\x1f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]',
                             name), repr(raw)
        assert name and not name.startswith((" ", ".")) and not name.endswith((" ", "."))
    assert safe_name("迁安市启明星书法培训学校（示例）") == "迁安市启明星书法培训学校（示例）"
    assert safe_name("甲" * 300) != safe_name("甲" * 301)


def test_the_usual_names_short_way_gives_what_the_long_one_does(monkeypatch):
    # `safe_name` returns a name of letters, digits and brackets as it is: exactly what its full
    # cleaning gives it, for names from every category around those (hypothesis)
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from docgen.documents import outputs

    never = re.compile(r"(?!)")

    @settings(max_examples=400, deadline=None)
    @given(st.text(st.characters(codec="utf-8") | st.sampled_from("（）()-_ .甲乙"), max_size=60))
    def agrees(raw):
        short = safe_name(raw)
        with monkeypatch.context() as patched:
            patched.setattr(outputs, "_PLAIN", never)
            assert safe_name(raw) == short

    agrees()


def test_one_broken_template_fails_its_documents_only(archive):
    shutil.copytree(packaged_dir("templates"), archive / "templates", ignore=shutil.ignore_patterns("*.py"))
    path = archive / "templates/02_告知书.docx"
    document = docx.Document(str(path))
    document.add_paragraph("{{ i.no_such_field }}")
    document.save(str(path))
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "未能生成" in result.stderr and "02_告知书_" in result.stderr and "no_such_field" in result.stderr
    assert "Traceback" not in result.stderr
    out = archive / "output" / PLAN
    assert not list(out.glob("02_告知书_*"))
    assert len(list(out.glob("04_实地核查记录表_*.docx"))) == len(inspection_files(archive))
    assert (out / "07_公示表.xlsx").exists() and (archive / "output/qx-2024-6/00_通知.docx").exists()
    assert "写入" in result.stdout  # what was done is said too


def test_one_document_failing_to_write_does_not_stop_the_others(archive, monkeypatch):
    import docgen.documents.build as build_module

    real = build_module.write_atomic

    def full_for_one(path, data, *args, **kwargs):
        if os.path.basename(path).startswith("04_") and "fail" not in seen:
            seen.add("fail")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return real(path, data, *args, **kwargs)

    seen = set()
    monkeypatch.setattr(build_module, "write_atomic", full_for_one)
    with pytest.raises(BuildFailed) as caught:
        build(Archive(str(archive / "records")), str(archive / "output"))
    failed = caught.value
    assert failed.exit_code == 4 and len(failed.report.failures) == 1
    assert "04_实地核查记录表_" in str(failed) and "磁盘空间不足" in str(failed)
    out = archive / "output" / PLAN
    assert len(list(out.glob("04_*.docx"))) == len(inspection_files(archive)) - 1
    assert len(list(out.glob("02_*.docx"))) == len(inspection_files(archive))
    monkeypatch.setattr(build_module, "write_atomic", real)
    report = build(Archive(str(archive / "records")), str(archive / "output"))
    assert [p for p in report.written if "/04_" in p] and len(list(out.glob("04_*.docx"))) == len(inspection_files(archive))


# -- 5. exit codes --------------------------------------------------------------------------------

FAILING = """
import errno, os, sys
def refuse(*args, **kwargs):
    raise OSError(errno.{code}, os.strerror(errno.{code}), args[-1])
os.{function} = refuse
sys.argv = ["docgen", "build"]
from docgen.cli import main
main()
"""


@pytest.mark.parametrize("function, code, words", [
    ("replace", "ENOSPC", "磁盘空间不足"),
    ("replace", "EROFS", "只读"),
    ("makedirs", "EACCES", "没有权限"),
])
def test_machine_failure_has_its_own_exit_code(archive, function, code, words):
    import subprocess

    result = subprocess.run([sys.executable, "-c", FAILING.format(function=function, code=code)], cwd=archive,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 4, result.stdout + result.stderr
    assert words in result.stderr and "Traceback" not in result.stderr and result.stderr.startswith("错误：")
    leftovers = [p for p in archive.rglob(".docgen-*.tmp")]
    assert not leftovers


def test_readme_lists_the_exit_codes():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    said = text[text.index("退出码：0"):].split("\n4. ")[0]  # up to the next step of 经办人员的日常操作
    assert "2 命令用法" in said and "4 机器的问题" in said and "磁盘已满" in said


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="needs LibreOffice")
def test_build_pdf_never_replaces_a_pdf_docgen_did_not_write(tmp_path):
    """A clerk's own PDF at a PDF's path (a signed, scanned copy) stays; the new PDF goes beside it, and
    takes its own place again once the clerk's file is moved away."""
    assert run_docgen("init", "office", cwd=tmp_path).returncode == 0
    root = tmp_path / "office"
    assert run_docgen("build", cwd=root).returncode == 0
    out = root / "output/example-plan"
    clerks = out / "00_通知.pdf"
    clerks.write_bytes(b"%PDF-1.4 a clerk's signed scan")
    result = run_docgen("build", "--pdf", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert clerks.read_bytes() == b"%PDF-1.4 a clerk's signed scan"
    side = out / f"00_通知{BESIDE}.pdf"
    assert side.read_bytes().startswith(b"%PDF") and "00_通知.pdf" in result.stdout
    assert (out / "01_实施方案.pdf").read_bytes().startswith(b"%PDF")
    clerks.unlink()
    result = run_docgen("build", "--pdf", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert clerks.read_bytes().startswith(b"%PDF-") and not side.exists()


def test_a_link_at_the_build_journal_leads_nowhere(archive, tmp_path):
    """The output folder travels in git: a link at the journal's place must not have docgen append to
    (or read, or delete) a file elsewhere."""
    from docgen.documents.build import JOURNAL

    assert run_docgen("build", cwd=archive).returncode == 0
    outside = tmp_path / "outside.txt"
    outside.write_text("someone's file\n")
    (archive / "output" / JOURNAL).symlink_to(outside)
    edit(archive / "records/inspections/qa-2023-30/org-002.yaml", "opinion: 认可检查结果，立即整改", "opinion: 认可检查结果，马上整改")
    result = run_docgen("build", cwd=archive)
    # the entity's 04, the plan's print set and its group's packet
    assert result.returncode == 0 and "写入 3 份" in result.stdout, result.stdout + result.stderr
    assert outside.read_text() == "someone's file\n"


def _documents(archive) -> dict:
    return {p: p.read_bytes() for p in (archive / "output").rglob("*.*")}


def test_a_mistyped_plan_id_removes_none_of_its_documents(archive):
    """The plan's id no longer matches its file: an error, and its documents stay (they are not those
    of a plan that is gone)."""
    assert run_docgen("build", cwd=archive).returncode == 0
    before = _documents(archive)
    edit(archive / "records" / "plans" / "qa-2023-30.yaml", "id: qa-2023-30", "id: qa-2023-3O")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1 and "删除" not in result.stdout.splitlines()[-1]
    assert {p for p in before if p.suffix != ".json"} <= set(_documents(archive))


@pytest.mark.parametrize("records", [".", "records/plans"])
def test_records_pointing_elsewhere_is_an_error_not_an_empty_archive(archive, records):
    assert run_docgen("build", cwd=archive).returncode == 0
    before = _documents(archive)
    for command in ("validate", "build"):
        result = run_docgen(command, "--records", records, cwd=archive)
        assert result.returncode == 2 and "没有任何记录文件夹" in result.stderr, command
    assert _documents(archive) == before


def test_a_renamed_record_file_or_a_misspelled_folder_is_said_and_holds_removals(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    before = _documents(archive)
    folder = archive / "records" / "inspections" / "qa-2023-30"
    first, second = sorted(folder.glob("*.yaml"))[:2]
    first.rename(first.with_name(first.name + ".txt"))  # Notepad's 另存为
    (archive / "records" / "inspection" / "qa-2023-30").mkdir(parents=True)
    second.rename(archive / "records" / "inspection" / "qa-2023-30" / second.name)
    entity = archive / "records" / "entities" / "org-002.yaml"
    entity.rename(entity.with_name("org-002.yaml.txt"))
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and first.name + ".txt" in result.stdout and "records/inspection:" in result.stdout
    assert "org-002.yaml.txt" in result.stdout and "“org-002”不存在" not in result.stdout  # read as its id's file
    result = run_docgen("build", cwd=archive)
    assert "删除" not in result.stdout.splitlines()[-1]
    assert {p for p in before if p.suffix != ".json"} <= set(_documents(archive))


def test_an_entity_named_as_anothers_file_name_takes_its_own(archive):
    """Names chosen so that the file name made for one entity (name_id) is another's own name: every
    entity still gets its own 告知书 (none printed twice, none missing)."""
    for entity, name in (("org-007", "甲_org-042"), ("org-031", "甲"), ("org-042", "甲")):
        path = archive / "records" / "entities" / f"{entity}.yaml"
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1), encoding="utf-8")
    assert run_docgen("build", cwd=archive).returncode == 0
    letters = sorted((archive / "output" / "qa-2023-30").glob("02_告知书_*.docx"))
    assert len(letters) == len(inspection_files(archive))


def test_an_error_in_one_plan_does_not_stop_removals_in_another(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    gone = inspection_files(archive)[-1]
    entity = yaml.safe_load(gone.read_text(encoding="utf-8"))["entity"]
    name = yaml.safe_load((archive / f"records/entities/{entity}.yaml").read_text(encoding="utf-8"))["name"]
    gone.unlink()
    with open(archive / "records" / "plans" / "qx-2024-6.yaml", "a", encoding="utf-8") as handle:
        handle.write("disclosure: 123\n")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1
    assert not list((archive / "output" / "qa-2023-30").glob(f"02_告知书_{name}*"))


def test_records_pointing_at_an_empty_folder_is_an_error(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    before = _documents(archive)
    (archive / "empty").mkdir()
    result = run_docgen("build", "--records", "empty", cwd=archive)
    assert result.returncode == 2 and "没有任何记录文件夹" in result.stderr
    assert _documents(archive) == before


def test_building_to_another_folder_keeps_what_docgen_knows_of_the_first(archive, tmp_path, monkeypatch):
    """The notes that this docgen made each document (`OutputHashes.made`) of one output folder stay
    while it builds into another: the next build there renders nothing again."""
    from docgen.documents import build as building

    archive_ = Archive(str(archive / "records"))
    build(archive_, str(archive / "output"))
    build(Archive(str(archive / "records")), str(tmp_path / "elsewhere"))
    rendered = []
    real = building.Renderer.render
    monkeypatch.setattr(building.Renderer, "render", lambda self, output: rendered.append(output) or real(self, output))
    build(Archive(str(archive / "records")), str(archive / "output"))
    assert rendered == []


def test_a_stale_document_git_holds_is_removed_in_a_fresh_clone(archive, tmp_path):
    """A clone (or .docgen/ deleted) has no note of which documents this docgen made: a document whose
    record is gone is still removed when git holds it as it is (nothing is lost), and kept when edited."""
    import subprocess

    assert run_docgen("build", cwd=archive).returncode == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run(git + ["init", "-q"], cwd=archive, check=True)
    subprocess.run(git + ["add", "-A"], cwd=archive, check=True)
    subprocess.run(git + ["commit", "-qm", "i"], cwd=archive, check=True)
    clone = tmp_path / "clone"
    subprocess.run(git + ["clone", "-q", str(archive), str(clone)], check=True)
    assert not (clone / ".docgen").exists()
    out = clone / "output" / PLAN
    letter = out / "02_告知书_迁安市凌云艺术培训学校（示例）.docx"
    form = out / "04_实地核查记录表_迁安市凌云艺术培训学校（示例）.docx"
    with open(form, "ab") as handle:  # edited since it was committed: a clerk's, kept
        handle.write(b"\0")
    (clone / "records/inspections" / PLAN / "org-048.yaml").unlink()
    result = run_docgen("build", cwd=clone)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert not letter.exists() and form.exists()
    assert "的记录已不在，但" not in result.stdout


def test_what_git_holds_is_asked_without_running_the_repositorys_programs(archive, tmp_path):
    """An archive from elsewhere may bring its .git/ with a configured fsmonitor hook or clean filter:
    docgen reads git's index only and works out the blobs itself, so nothing configured there runs."""
    import subprocess

    assert run_docgen("build", cwd=archive).returncode == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], cwd=archive, check=True)
    subprocess.run(git + ["add", "-A"], cwd=archive, check=True)
    subprocess.run(git + ["commit", "-qm", "i"], cwd=archive, check=True)
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n", encoding="utf-8")
    hook.chmod(0o755)
    subprocess.run(["git", "config", "core.fsmonitor", str(hook)], cwd=archive, check=True)
    subprocess.run(["git", "config", "filter.evil.clean", str(hook)], cwd=archive, check=True)
    (archive / ".gitattributes").write_text("*.docx filter=evil\n", encoding="utf-8")
    shutil.rmtree(archive / ".docgen")  # so that only git can vouch for the stale documents
    (archive / "records/inspections" / PLAN / "org-048.yaml").unlink()
    result = run_docgen("build", cwd=archive)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert not marker.exists(), "a program the repository configured was run"


def _committed_archive(archive):
    import subprocess

    assert run_docgen("build", cwd=archive).returncode == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], cwd=archive, check=True)
    subprocess.run(git + ["add", "-A"], cwd=archive, check=True)
    subprocess.run(git + ["commit", "-qm", "i"], cwd=archive, check=True)
    return git


def test_only_bytes_git_has_in_its_last_commit_count_as_held(archive):
    """A file marked assume-unchanged and edited, a file only staged: git's index or status would call
    them unchanged, but git cannot give those bytes back from its last commit — kept. Once committed,
    the next build removes it (the run is not replayed while a stale file is kept)."""
    import subprocess

    git = _committed_archive(archive)
    out = archive / "output" / PLAN
    edited, staged = out / "edited.txt", out / "staged.txt"
    edited.write_text("v1\n", encoding="utf-8")
    staged.write_text("note\n", encoding="utf-8")
    subprocess.run(git + ["add", str(edited)], cwd=archive, check=True)
    subprocess.run(git + ["commit", "-qm", "e"], cwd=archive, check=True)
    edited.write_text("clerk edit v2\n", encoding="utf-8")
    subprocess.run(git + ["update-index", "--assume-unchanged", str(edited)], cwd=archive, check=True)
    subprocess.run(git + ["add", str(staged)], cwd=archive, check=True)
    manifest = read_manifest(archive / "output")
    for path in (edited, staged):
        manifest[f"{PLAN}/{path.name}"] = {"key": "x", "sha256": sha(path), "sources": []}
    write_manifest(archive / "output", manifest)
    shutil.rmtree(archive / ".docgen")
    for _ in range(2):
        result = run_docgen("build", cwd=archive)
        assert edited.read_text(encoding="utf-8") == "clerk edit v2\n" and staged.exists(), result.stdout
        assert "staged.txt 的记录已不在，但本机 .docgen/ 中没有 docgen 生成它的记录，它也没有原样提交在 git 中" in result.stdout
    subprocess.run(git + ["commit", "-qm", "s"], cwd=archive, check=True)
    result = run_docgen("build", cwd=archive)
    assert not staged.exists() and edited.exists(), result.stdout


def test_without_git_the_note_says_so(archive):
    """No git program to ask: the stale file is kept, and the note says why (not "not committed")."""
    _committed_archive(archive)
    out = archive / "output" / PLAN
    note = out / "note.txt"
    note.write_text("x\n", encoding="utf-8")
    manifest = read_manifest(archive / "output")
    manifest[f"{PLAN}/note.txt"] = {"key": "x", "sha256": sha(note), "sources": []}
    write_manifest(archive / "output", manifest)
    shutil.rmtree(archive / ".docgen")
    result = run_docgen("build", cwd=archive, env={"PATH": os.path.dirname(sys.executable)})
    assert note.exists() and "找不到 git 程序，无法确认它是否原样提交在 git 中" in result.stdout, result.stdout


def test_a_journal_from_another_archive_is_not_believed(archive, tmp_path):
    """A killed build's journal signed by this user for another archive: copied here, it is not this
    archive's journal, and it makes nothing here docgen's own."""
    from docgen.documents.build import JOURNAL, Journal

    other = tmp_path / "other"
    shutil.copytree(archive / "records", other / "records")
    for root in (archive, other):
        assert run_docgen("build", cwd=root).returncode == 0
    copy = archive / "output" / PLAN / "copy.docx"
    copy.write_bytes(b"a clerk's copy")
    journal = Journal(str(other / "output"))
    journal.note(f"{PLAN}/copy.docx", sha(copy))
    journal.handle.close()
    shutil.copy(other / "output" / JOURNAL, archive / "output" / JOURNAL)
    result = run_docgen("build", cwd=archive)
    assert copy.exists() and not re.search(r"删除 \d+ 份", result.stdout), result.stdout


def test_a_partial_clone_is_not_asked(archive, tmp_path):
    """A partial clone fetches a missing object from the remote its own configuration names (its
    upload-pack would run): docgen does not ask it, keeps the stale file and says why."""
    import subprocess

    _committed_archive(archive)
    marker = tmp_path / "ran"
    for key, value in (("core.repositoryformatversion", "1"), ("extensions.partialClone", "origin"),
                       ("remote.origin.promisor", "true"), ("remote.origin.url", str(tmp_path)),
                       ("remote.origin.uploadpack", f"touch {marker}; false")):
        subprocess.run(["git", "config", key, value], cwd=archive, check=True)
    shutil.rmtree(archive / ".docgen")
    letter = archive / "output" / PLAN / "02_告知书_迁安市凌云艺术培训学校（示例）.docx"
    (archive / "records/inspections" / PLAN / "org-048.yaml").unlink()
    result = run_docgen("build", cwd=archive)
    assert letter.exists() and "这个仓库是部分克隆（partial clone）" in result.stdout, result.stdout
    assert not marker.exists()
