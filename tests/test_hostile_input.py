"""Issue 11: records from elsewhere — text that breaks files, special files, messages a clerk can act on."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import pytest
import yaml

from conftest import EXAMPLE, build_example, check, edit, line_of, run_docgen
from docgen.records.loader import parse_yaml

ENTITY = pathlib.Path("records/entities/org-002.yaml")
INSPECTION = pathlib.Path("records/inspections/qa-2023-30/org-002.yaml")
CJK = re.compile(r"[\u4e00-\u9fff]")


def located(checked, path: pathlib.Path):
    """Error problems of one file, as (line, column, message)."""
    return [(p.line, p.column, p.message) for p in checked.problems
            if p.is_error and os.path.abspath(p.path) == os.path.abspath(path)]


def run_limited(*args, cwd, seconds=60):
    """docgen as a subprocess that fails the test, not CI, when it blocks."""
    try:
        return subprocess.run([sys.executable, "-m", "docgen", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=seconds, env={**os.environ})
    except subprocess.TimeoutExpired:
        pytest.fail(f"docgen {' '.join(args)} blocked for {seconds} s")


# -- text ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x07", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9b", "\u2028", "\u2029"])
def test_literal_control_character_is_an_error_at_its_place(archive, char):
    path = archive / ENTITY
    edit(path, "address: 河北省迁安市", f"address: 河北省{char}迁安市")
    line = line_of(path, "address:")
    found = located(check(archive), path)
    assert found and found[0][:2] == (line, len("address: 河北省") + 1), found
    assert f"U+{ord(char):04X}" in found[0][2] and CJK.search(found[0][2])


def test_nul_byte_reported_at_its_line_and_column_not_1_1(archive):
    path = archive / ENTITY
    blob = path.read_bytes().replace("legal_rep: 唐磊".encode(), "legal_rep: 唐\x00磊".encode())
    path.write_bytes(blob)
    found = located(check(archive), path)
    assert found[0][:2] == (line_of(path, "legal_rep:"), len("legal_rep: 唐") + 1)
    assert "U+0000" in found[0][2]


@pytest.mark.parametrize("escape, char", [("\\x07", "\x07"), ("\\e", "\x1b"), ("\\0", "\x00"), ("\\L", "\u2028"),
                                          ("\\P", "\u2029"), ("\\N", "\x85"), ("\\r", "\r"), ("\\uFFFE", "\ufffe"),
                                          ("\\U0000009B", "\x9b")])
def test_escaped_control_character_is_an_error_at_its_backslash(archive, escape, char):
    path = archive / INSPECTION
    edit(path, "opinion: 认可检查结果，立即整改", f'opinion: "认可检查结果{escape}立即整改"')
    found = located(check(archive), path)
    assert found and found[0][:2] == (line_of(path, "opinion:"), len('opinion: "认可检查结果') + 1), found
    assert f"U+{ord(char):04X}" in found[0][2]


def test_escaped_backslash_is_not_a_control_character(archive):
    path = archive / INSPECTION
    edit(path, "opinion: 认可检查结果，立即整改", 'opinion: "认可\\\\x07整改"')
    checked = check(archive)
    assert not located(checked, path)
    assert checked.index.by_plan["qa-2023-30"] and any(
        r.data.get("opinion") == "认可\\x07整改" for r in checked.index.by_plan["qa-2023-30"])


def test_tab_and_line_breaks_are_allowed(archive):
    path = archive / INSPECTION
    text = path.read_text(encoding="utf-8").replace("opinion: 认可检查结果，立即整改", 'opinion: "认可\\t检查结果\\n立即整改"')
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))  # a Windows editor's line endings
    assert not located(check(archive), path)


def test_lone_carriage_return_is_an_error(archive):
    path = archive / ENTITY
    edit(path, "address: 河北省迁安市", "address: 河北省\r迁安市")
    found = located(check(archive), path)
    assert found[0][:2] == (line_of(path, "address:"), len("address: 河北省") + 1)


@pytest.mark.parametrize("char, where", [
    ("\u202e", "entity name"), ("\u202a", "legal representative"), ("\u2066", "department name"),
    ("\u2069", "inspector name"), ("\u200f", "plan title"), ("\u061c", "entity name"), ("\u200e", "plan title")])
def test_bidi_control_refused_in_names(archive, char, where):
    path, old, key = {
        "entity name": (ENTITY, "name: 迁安市育才", "name: "),
        "legal representative": (ENTITY, "legal_rep: 唐磊", "legal_rep: "),
        "department name": (pathlib.Path("records/departments/jyj.yaml"), "name: 迁安市教育局", "name: "),
        "inspector name": (pathlib.Path("records/departments/jyj.yaml"), "  name: ", "  name: "),
        "plan title": (pathlib.Path("records/plans/qa-2023-30.yaml"), "title: 关于", "title: "),
    }[where]
    path = archive / path
    line = line_of(path, old)
    column = len(key) + 1
    edit(path, old, key + char + old[len(key):])
    found = located(check(archive), path)
    assert (line, column) in [f[:2] for f in found], found
    message = next(f[2] for f in found if f[:2] == (line, column))
    assert f"U+{ord(char):04X}" in message and "方向" in message


def test_bidi_control_escaped_in_a_name_is_found_too(archive):
    path = archive / ENTITY
    edit(path, "name: 迁安市育才体育培训学校（示例）", 'name: "迁安市\\u202E育才体育培训学校"')
    found = located(check(archive), path)
    assert found[0][:2] == (line_of(path, "name: "), len('name: "迁安市') + 1)


def test_bidi_marks_allowed_outside_names(archive):
    path = archive / INSPECTION
    edit(path, "opinion: 认可检查结果，立即整改", "opinion: 认可检查结果\u200f，立即整改")
    assert not located(check(archive), path)


# -- files ---------------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_in_records_is_skipped_with_a_warning_validate_and_build_do_not_block(archive):
    fifo = archive / "records/entities/org-049.yaml"
    os.mkfifo(fifo)
    os.mkfifo(archive / "records/inspections/qa-2023-30/pipe")
    result = run_limited("validate", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    warning = [line for line in result.stdout.splitlines() if line.startswith("records/entities/org-049.yaml:1:1: 警告")]
    assert warning and "跳过" in warning[0]
    result = run_limited("build", cwd=archive, seconds=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (archive / "output/qa-2023-30/07_公示表.xlsx").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifos_in_the_archives_own_caches_and_schemas_do_not_block(archive):
    """`.docgen/` and `schemas/` travel with an archive too: a FIFO where a cache entry or a schema is
    expected is not waited on. A cache entry that is not a file is simply missing (the run checks every
    record, as for an archive from elsewhere); a schema that is not a file is a clear error."""
    assert run_limited("build", cwd=archive, seconds=300).returncode == 0
    cache = archive / ".docgen"
    shards = sorted((cache / "records").glob("*.json"))
    assert shards and (cache / "output-hashes.json").exists()
    for victim in shards + [cache / "output-hashes.json", cache / "schemas-inlined.json",
                            *sorted((cache / "templates").glob("*.json"))]:
        victim.unlink(missing_ok=True)
        os.mkfifo(victim)
    edit(archive / INSPECTION, "opinion: 认可检查结果，立即整改", "opinion: 认可检查结果，马上整改")
    for command in (["validate"], ["build"], ["status", "--as-of", "2023-11-01"], ["draw", "qa-2023-30", "--verify"]):
        result = run_limited(*command, cwd=archive, seconds=300)
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, (command, result.stdout, result.stderr)
    assert "马上整改" in "".join(docx_texts(archive / "output/qa-2023-30"))
    shutil.copytree(EXAMPLE.parent / "schemas", archive / "schemas")
    schema = archive / "schemas/entity.schema.json"
    schema.unlink()
    os.mkfifo(schema)
    result = run_limited("validate", cwd=archive)
    assert result.returncode == 2 and "entity.schema.json" in result.stderr and "不是普通文件" in result.stderr, result.stderr


def docx_texts(folder: pathlib.Path) -> list[str]:
    import docx

    return ["\n".join(p.text for p in docx.Document(str(path)).paragraphs) +
            "".join(c.text for t in docx.Document(str(path)).tables for r in t.rows for c in r.cells)
            for path in sorted(folder.glob("04_*.docx"))]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_read_directly_does_not_block(tmp_path):
    from docgen.records.loader import read_limited

    fifo = tmp_path / "x.yaml"
    os.mkfifo(fifo)
    blob, problems = read_limited(str(fifo), "x.yaml")  # would block forever on a plain open()
    assert blob is None and "不是普通文件" in problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_watch_keeps_working_with_a_fifo_in_records(archive):
    """The watcher builds once, survives a FIFO appearing, and rebuilds after a later edit."""
    import threading
    import time

    from docgen.watch import watch

    lines: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(target=watch, args=(str(archive / "records"), str(archive / "output"), lines.append, stop),
                              kwargs={"quiet": 0.05}, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while not any("正在监视" in line for line in lines):
            assert time.monotonic() < deadline and worker.is_alive(), lines
            time.sleep(0.05)
        os.mkfifo(archive / "records/entities/org-049.yaml")
        time.sleep(0.5)
        edit(archive / INSPECTION, "opinion: 认可检查结果，立即整改", "opinion: 认可检查结果，马上整改")
        while not any("马上" in line or "org-002" in line and "变更" in line for line in lines):
            assert time.monotonic() < deadline and worker.is_alive(), lines
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()


def test_symlink_out_of_the_archive_is_an_error(archive, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "org-049.yaml"
    shutil.copy(archive / ENTITY, outside)
    edit(outside, "id: org-002", "id: org-049")
    link = archive / "records/entities/org-049.yaml"
    link.symlink_to(outside)
    checked = check(archive)
    found = located(checked, link)
    assert found and "档案之外" in found[0][2] and str(outside) in found[0][2]
    assert "org-049" not in checked.index.entities


def test_symlinked_folder_out_of_the_archive_is_an_error(archive, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(archive / ENTITY, elsewhere / "org-002.yaml")
    link = archive / "records/entities/more"
    link.symlink_to(elsewhere, target_is_directory=True)
    found = located(check(archive), link)
    assert found and "档案之外" in found[0][2]


def test_symlink_inside_the_archive_is_followed(archive):
    shared = archive / "shared"
    shared.mkdir()
    target = shared / "org-049.yaml"
    shutil.copy(archive / ENTITY, target)
    edit(target, "id: org-002", "id: org-049")
    edit(target, "credit_code: 52130283G8A6QH66NX", "credit_code: 91130283MA0A1B2C3D")
    (archive / "records/entities/org-049.yaml").symlink_to(os.path.relpath(target, archive / "records/entities"))
    checked = check(archive)
    assert "org-049" in checked.index.entities
    assert not located(checked, archive / "records/entities/org-049.yaml")


def test_ids_equal_but_for_case_are_an_error_naming_both(archive):
    upper = archive / "records/entities/ORG-002.yaml"
    shutil.copy(archive / ENTITY, upper)
    edit(upper, "id: org-002", "id: ORG-002")
    checked = check(archive)
    for one, other in ((upper, archive / ENTITY), (archive / ENTITY, upper)):
        found = located(checked, one)
        assert any("大小写" in m and str(other.relative_to(archive)) in m for _l, _c, m in found), found


def test_inspection_folders_equal_but_for_case_are_an_error(archive):
    other = archive / "records/inspections/QA-2023-30"
    other.mkdir()
    shutil.copy(archive / INSPECTION, other / "org-049.yaml")
    problems = [p for p in check(archive).errors if "大小写" in p.message]
    assert problems and "QA-2023-30" in problems[0].message and "qa-2023-30" in problems[0].message


# -- messages ------------------------------------------------------------------------------------

YAML_ERRORS = {
    # kind: (text, line, column, words the message must hold)
    "bad indentation (deeper)": ("id: org-002\nname: 甲\n  address: 乙\n", 3, 10, "缩进"),
    "bad indentation (shallower)": ("contact:\n  name: 甲\n phone: '1'\n", 3, 2, "缩进"),
    "mapping value in a value": ("id: org-002\nname: 甲: 乙\n", 2, 8, "引号"),
    "tab indentation": ("contact:\n\tname: 甲\n", 2, 1, "制表符"),
    "tab after a value": ("id: org-002\n\tname: 甲\n", 2, 1, "制表符"),
    "several documents": ("id: org-002\n---\nid: org-003\n", 2, 1, "一条记录"),
    "nesting depth": ("a: " + "[" * 2000 + "]" * 2000 + "\n", 1, None, "嵌套"),
    "nesting depth (block)": ("".join(" " * i + f"k{i}:\n" for i in range(80)) + " " * 80 + "v: 1\n", None, None,
                              "嵌套"),
    "unclosed double quote": ('id: org-002\nname: "甲\naddress: 乙\n', 2, 7, "双引号"),
    "unclosed single quote": ("id: org-002\nname: '甲\naddress: 乙\n", 2, 7, "单引号"),
    "unclosed bracket": ("methods: [实地检查, 书面检查\nresult: 甲\n", 2, 7, "方括号"),
    "unclosed brace": ("contact: {name: 甲\nid: x\n", 2, 3, "花括号"),
    "invalid escape": ('name: "甲\\q乙"\n', 1, 9, "转义"),
    "invalid hex escape": ('name: "甲\\xZZ"\n', 1, 9, "十六进制"),
    "missing colon": ("id: org-002\nname 甲\naddress: 乙\n", 2, 1, "冒号"),
    "duplicate key": ("id: org-002\nid: org-003\n", 2, 1, "重复"),
    "anchor and alias": ("a: &x 1\nb: *x\n", 1, 4, "锚点"),  # where the anchor is: that node is used twice
    "undefined alias": ("a: *x\n", 1, 4, "锚点"),
    "tag": ("a: !!python/object:os.system 1\n", 1, 4, "标签"),
    "unknown tag handle": ("a: !x!y 1\n", 1, 4, "标签"),
    "directive": ("%YAML 2.0\n---\na: 1\n", 1, 1, "指令"),
    "content after document end": ("a: 1\n...\nb: 2\n", 3, 1, "结束"),
    "value starting with @": ("name: @甲\n", 1, 7, "@"),
    "value starting with a backtick": ("name: `甲\n", 1, 7, "`"),
    "list item among fields": ("id: org-002\n- 甲\n", 2, 1, "列表"),
    "bad block scalar header": ("note: |x\n  甲\n", 1, 8, "多行"),
    "byte order mark inside": ("id: org-002\n\ufeffname: 甲\n", 2, 1, "BOM"),
    "not UTF-8": (None, 2, 9, "UTF-8"),
    "empty": ("# 只有注释\n", 1, 1, "空"),
}


def _yaml_problem(text):
    from docgen.records.loader import parse_bytes

    if text is None:
        return parse_bytes("id: org-002\nname: 迁安".encode() + "甲".encode("gbk") + b"\n", "x.yaml")[1]
    return parse_yaml(text, "x.yaml")[1]


@pytest.fixture(params=["libyaml", "pure"])
def yaml_flavour(request, monkeypatch):
    """Both parsers PyYAML may use: libyaml's words differ from its own Python parser's."""
    if request.param == "pure":
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML built without libyaml")
    return request.param


@pytest.mark.parametrize("kind", list(YAML_ERRORS))
def test_every_yaml_error_in_chinese_at_its_place(kind, yaml_flavour):
    text, line, column, words = YAML_ERRORS[kind]
    problems = _yaml_problem(text)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert CJK.search(problem.message) and words in problem.message, problem
    assert "while " not in problem.message and "expected" not in problem.message, problem
    if line is not None:
        assert problem.line == line, problem
    if column is not None:
        assert problem.column == column, problem


def test_unforeseen_yaml_error_still_chinese_with_position():
    import yaml as pyyaml

    from docgen.records.yamlerrors import explain

    mark = pyyaml.Mark("x", 12, 2, 5, None, None)
    line, column, message = explain(pyyaml.scanner.ScannerError(None, None, "something new", mark), "ab\ncd\nefghijk")
    assert (line, column) == (3, 6) and CJK.search(message) and "something new" in message


def test_yaml_error_via_validate_cli(archive):
    path = archive / ENTITY
    edit(path, "address: 河北省迁安市惠宁大街106号", "address: 河北省迁安市: 惠宁大街106号")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    line = line_of(path, "address:")
    assert re.search(rf"^records/entities/org-002.yaml:{line}:\d+: .*引号", result.stdout, re.M), result.stdout


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    return build_example(tmp_path_factory, "docs") / "output" / "qa-2023-30"


def _rewrite(source, target, change):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx"])
@pytest.mark.parametrize("damage, words", [
    ("not a zip", "不是 zip"), ("truncated", "不完整"), ("part missing", "缺少"), ("bad XML", "XML"), ("empty", "")])
def test_textconv_on_a_damaged_document_exits_2_in_chinese(documents, tmp_path, suffix, damage, words):
    source = documents / ("00_通知.docx" if suffix == ".docx" else "07_公示表.xlsx")
    main = "word/document.xml" if suffix == ".docx" else "xl/workbook.xml"
    target = tmp_path / f"damaged{suffix}"
    if damage == "not a zip":
        target.write_text("这不是文书", encoding="utf-8")
    elif damage == "truncated":
        target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    elif damage == "part missing":
        _rewrite(source, target, lambda name, data: None if name == main else data)
    elif damage == "bad XML":
        _rewrite(source, target, lambda name, data: b"<w:document><oops" if name == main else data)
    else:
        target.write_bytes(b"")
    result = run_docgen("textconv", str(target), cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "内部错误" not in result.stderr and "Traceback" not in result.stderr
    assert "已损坏" in result.stderr and words in result.stderr and CJK.search(result.stderr)


def test_damaged_document_is_a_clean_exception(tmp_path):
    from docgen.records.problems import DocgenError
    from docgen.documents.textconv import DamagedDocument, textconv

    target = tmp_path / "x.docx"
    target.write_bytes(b"PK\x03\x04 cut")
    with pytest.raises(DamagedDocument) as caught:
        textconv(str(target))
    assert isinstance(caught.value, DocgenError) and caught.value.path == str(target)


def test_values_quoted_in_messages_cannot_drive_the_terminal(archive):
    path = archive / INSPECTION
    edit(path, "    - 发现问题已责令改正", '    - "\\e[2J\\e]0;owned\\a已整改"')
    messages = [m for _l, _c, m in located(check(archive), path)]
    assert any("<U+001B>" in m for m in messages), messages
    assert not any("\x1b" in m or "\x07" in m for m in messages)


def test_file_names_in_messages_cannot_drive_the_terminal(archive):
    """A record's file or folder name from an archive with an escape sequence (clear the screen) or a
    line break (a forged line of its own): printed as codes."""
    (archive / "records/entities/org-915\x1b[2J.yaml").write_text("id: org-915\nname: x\n", encoding="utf-8")
    folder = archive / "records/entities/x\nrecords"
    folder.mkdir()
    (folder / "org-916.yaml").write_text("id: org-916\nname: x\n", encoding="utf-8")
    result = run_docgen("validate", cwd=archive)
    assert "\x1b" not in result.stdout + result.stderr and "org-915\\u001b[2J.yaml:" in result.stdout
    assert not any(line.startswith("records/org-916.yaml") for line in result.stdout.splitlines())
    assert "x\\u000arecords" in result.stdout
    # and the same when nothing changed and the last run's result is printed again (it printed the names raw)
    again = run_docgen("validate", cwd=archive)
    assert again.stdout == result.stdout and again.returncode == result.returncode


@pytest.mark.parametrize("number", ["0x" + "f" * 9000, "0x" + "f" * 3700, "0o" + "7" * 4500, "0b" + "1" * 14000,
                                    "9" * 9000])
def test_a_huge_number_is_kept_as_text(archive, number):
    """Python refuses to print an integer of more than 4,300 digits: read as text, not a crash."""
    (archive / "records/entities/org-910.yaml").write_text(f"id: org-910\nname: {number}\n", encoding="utf-8")
    for command in ("validate", "status"):
        result = run_docgen(command, cwd=archive)
        assert result.returncode in (0, 1, 2) and "内部错误" not in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr


def test_build_names_the_entity_file_whose_error_holds_back_an_inspections_documents(archive):
    """The inspection is fine, its entity is not: the build's note sends the clerk to the entity's file."""
    edit(archive / ENTITY, "name: 迁安市育才体育培训学校（示例）", 'name: "迁安市\\x07学校"')
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1
    assert f"检查对象“org-002”的记录 有错误，{INSPECTION.as_posix()} 的文书和计划 qa-2023-30 的汇总表未更新" in result.stdout, result.stdout
    assert f"{INSPECTION.as_posix()} 有错误" not in result.stdout
    assert f"{ENTITY.as_posix()}:4:11: 有不可见的控制字符" in result.stdout  # where the error is
