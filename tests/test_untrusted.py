"""Issue 11, class 2: an archive is untrusted input. Its templates run sandboxed, and nothing in its
`.docgen/` cache changes what is validated or rendered unless this user's docgen wrote it."""

import hashlib
import json
import os
import pathlib
import re
import shutil
import zipfile

import docx
import openpyxl
import pytest
import yaml

from conftest import inspection_files, run_docgen

PLAN = "qa-2023-30"
PACKAGED_TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "templates"


def docx_text(path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def tree(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def all_text(folder: pathlib.Path) -> str:
    """Every text docgen put in the documents of `folder`."""
    texts = []
    for path in sorted(folder.rglob("*.docx")):
        texts.append(docx_text(path))
    for path in sorted(folder.rglob("*.xlsx")):
        workbook = openpyxl.load_workbook(path)
        texts += [str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row if c.value is not None]
    return "\n".join(texts)


# -- hostile templates --------------------------------------------------------------------
def payloads(marker: pathlib.Path) -> list[str]:
    """Ways out of a Jinja template into Python: shell commands, file reads, changing data."""
    return [
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}",
        f"{{{{ lipsum.__globals__['os'].system('touch {marker}') }}}}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        f"{{% for c in ().__class__.__base__.__subclasses__() %}}{{% if c.__name__ == 'Popen' %}}"
        f"{{{{ c('touch {marker}', shell=True) }}}}{{% endif %}}{{% endfor %}}",
        "{{ joiner.__init__.__globals__.__builtins__.open('/etc/hostname').read() }}",
        "{{ '{0.__class__.__init__.__globals__}'.format(plan) }}",
        "{{ {}.update(x=1) or [].append(1) }}",
    ]


def _hostile_build(archive, marker, template):
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    assert template in said and "不允许" in said, said
    assert "Traceback" not in said
    assert not marker.exists(), "the template ran a command"
    return said


@pytest.mark.parametrize("payload", range(len(payloads(pathlib.Path("m")))))
def test_hostile_word_template_is_refused(archive, payload):
    marker = archive / "pwned"
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates/00_通知.docx"
    document = docx.Document(str(path))
    document.add_paragraph("附：" + payloads(marker)[payload])
    document.save(str(path))
    _hostile_build(archive, marker, "00_通知.docx")
    assert not (archive / "output" / PLAN / "00_通知.docx").exists()
    # the second run compiles nothing: its code comes from the user's bytecode cache, sandboxed too
    _hostile_build(archive, marker, "00_通知.docx")


@pytest.mark.parametrize("cell", ["A3", "B5"])  # a title row (a template); the repeated row (an expression)
@pytest.mark.parametrize("payload", range(len(payloads(pathlib.Path("m")))))
def test_hostile_excel_template_is_refused(archive, payload, cell):
    marker = archive / "pwned"
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates/07_公示表.xlsx"
    workbook = openpyxl.load_workbook(path)
    text = payloads(marker)[payload]
    workbook.active[cell] = ("抽查计划：" + text) if cell == "A3" else text
    workbook.save(path)
    _hostile_build(archive, marker, "07_公示表.xlsx")
    assert not (archive / "output" / PLAN / "07_公示表.xlsx").exists()


def test_sandboxed_templates_still_do_what_templates_do(archive):
    """Loops, filters, conditions and reading fields are not refused."""
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates/00_通知.docx"
    document = docx.Document(str(path))
    document.add_paragraph("{% for d in plan.departments %}[{{ d.name|trim }}]{% endfor %}"
                           "{{ '有' if plan.title else '无' }}{{ plan.title|length > 0 }}")
    document.save(str(path))
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    text = docx_text(archive / "output" / PLAN / "00_通知.docx")
    assert "][" in text and "有True" in text


@pytest.mark.parametrize("template, expression, said", [
    ("00_通知.docx", "{{ plan.task_sourc }}", "抽查计划（plan）没有“task_sourc”这一项（请在模板中查找“task_sourc”"),
    ("00_通知.docx", "{{ plans.title }}", "没有名为“plans”的值"),
    ("00_通知.docx", "{{ plan.departments[99].name }}", "列表没有第 99 项"),
    # org-048 has no phone notice: the field exists, empty in that record
    ("02_告知书.docx", "{{ i.phone_notice.caller }}", "“caller”前面的那一项在这份记录中是空的"),
])
def test_a_misspelt_field_in_a_template_is_named_in_chinese(archive, template, expression, said):
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates" / template
    document = docx.Document(str(path))
    document.add_paragraph("附：" + expression)
    document.save(str(path))
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    text = result.stdout + result.stderr
    assert result.returncode != 0 and f"{template} 引用了" in text and said in text, text
    assert "object" not in text and "attribute" not in text and "Traceback" not in text


# -- doctored caches ------------------------------------------------------------------------
def read_entry(path: pathlib.Path):
    return json.loads(path.read_bytes())["value"]


def forge(path: pathlib.Path, value, how: str, tmp_path: pathlib.Path, monkeypatch) -> None:
    """Write `value` to a cache file as somebody without this user's key could."""
    if how == "signature kept":  # the genuine file's signature over other content
        mac = json.loads(path.read_bytes())["mac"]
        path.write_bytes(b'{"mac":"' + mac.encode() + b'","value":'
                         + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"}")
    elif how == "plain JSON":  # as docgen kept its cache before
        path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    else:  # "another user's key": a whole docgen of one's own, signing what it likes
        from docgen.cache import write_json

        monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "attacker-cache"))
        write_json(str(path), value)
        monkeypatch.undo()
        assert read_entry(path) == value


FORGERIES = ["signature kept", "plain JSON", "another user's key"]


@pytest.mark.parametrize("how", FORGERIES)
def test_doctored_prepared_templates_are_not_run(archive, tmp_path, monkeypatch, how):
    marker = archive / "pwned"
    assert run_docgen("build", cwd=archive).returncode == 0
    clean = tree(archive / "output")
    entries = sorted((archive / ".docgen" / "templates").glob("*.json"))
    assert len(entries) == 9
    payload = f"FORGED{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"
    for entry in entries:
        stored = read_entry(entry)
        prepared = stored["value"]
        if "word/document.xml" in prepared:
            xml = prepared["word/document.xml"]
            at = xml.index('<w:t xml:space="preserve">') + len('<w:t xml:space="preserve">')
            prepared["word/document.xml"] = xml[:at] + payload + xml[at:]
        else:
            sheet = prepared["sheets"][0]
            cell = sheet["rows"][0]["cells"][0]
            cell["text"] = cell["shown"] = payload
            sheet["before"] = sheet["before"].replace("<sheetData", "<!-- FORGED --><sheetData")
        forge(entry, stored, how, tmp_path, monkeypatch)
    result = run_docgen("build", "--force", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not marker.exists()
    assert tree(archive / "output") == clean
    assert "FORGED" not in all_text(archive / "output")
    for entry in entries:  # prepared again and signed by this user
        assert b"FORGED" not in entry.read_bytes()


def _shard_of(archive: pathlib.Path, folder: str) -> pathlib.Path:
    return next(p for p in (archive / ".docgen" / "records").glob("*.json")
                if read_entry(p)["folder"].endswith(os.sep + folder))


def _entity_of_first_inspection(archive) -> pathlib.Path:
    entity = yaml.safe_load(inspection_files(archive)[0].read_text(encoding="utf-8"))["entity"]
    return archive / "records" / "entities" / f"{entity}.yaml"


def _forge_record(archive, path: pathlib.Path, change, how, tmp_path, monkeypatch) -> None:
    """A cache entry for `path` that matches its current bytes and stat, but not its content."""
    shard = _shard_of(archive, "entities")
    stored = read_entry(shard)
    entry = stored["files"][str(path)]
    st = path.stat()
    entry["stat"] = [st.st_mtime_ns, st.st_size, st.st_ino]
    entry["sha"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["problems"] = []
    change(entry["data"])
    forge(shard, stored, how, tmp_path, monkeypatch)


@pytest.mark.parametrize("how", FORGERIES)
def test_doctored_record_cache_does_not_replace_a_record(archive, tmp_path, monkeypatch, how):
    assert run_docgen("build", cwd=archive).returncode == 0
    path = _entity_of_first_inspection(archive)
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    real = "迁安市真实名称培训学校（示例）"
    path.write_text(text.replace(f"name: {data['name']}", f"name: {real}"), encoding="utf-8")
    _forge_record(archive, path, lambda d: d.update(name="伪造名称培训学校"), how, tmp_path, monkeypatch)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    out = archive / "output" / PLAN
    assert list(out.glob(f"04_实地核查记录表_{real}.docx")) and not list(out.glob("*伪造*"))
    assert real in docx_text(out / f"02_告知书_{real}.docx")
    assert "伪造" not in all_text(out)


@pytest.mark.parametrize("how", FORGERIES)
def test_doctored_record_cache_does_not_pass_validation(archive, tmp_path, monkeypatch, how):
    assert run_docgen("validate", cwd=archive).returncode == 0
    path = _entity_of_first_inspection(archive)
    text = path.read_text(encoding="utf-8")
    code = yaml.safe_load(text)["credit_code"]
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check digit
    path.write_text(text.replace(code, wrong), encoding="utf-8")
    _forge_record(archive, path, lambda d: d.update(credit_code=code), how, tmp_path, monkeypatch)
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "credit_code" in t)
    assert f"{path.name}:{line}:" in result.stdout and wrong in result.stdout


def _output_hashes(archive) -> pathlib.Path:
    return archive / ".docgen" / "output-hashes.json"


def _clerk_edit(path: pathlib.Path) -> None:
    document = docx.Document(str(path))
    document.add_paragraph("记录员手写补充：现场另有说明。")
    document.save(str(path))


def _forge_intact(archive, path: pathlib.Path, how, tmp_path, monkeypatch) -> None:
    """Claim that `path`, as it is now, holds what docgen wrote there."""
    manifest = json.loads((archive / "output" / ".docgen-manifest.json").read_text(encoding="utf-8"))
    written = manifest["outputs"][str(path.relative_to(archive / "output")).replace(os.sep, "/")]["sha256"]
    known = read_entry(_output_hashes(archive))
    st = path.stat()
    known[str(path)] = [[st.st_mtime_ns, st.st_size, st.st_ino], written]
    forge(_output_hashes(archive), known, how, tmp_path, monkeypatch)


@pytest.mark.parametrize("how", FORGERIES)
def test_doctored_output_hashes_do_not_hide_an_edited_document(archive, tmp_path, monkeypatch, how):
    assert run_docgen("build", cwd=archive).returncode == 0
    target = archive / "output" / PLAN / "00_通知.docx"
    clean = hashlib.sha256(target.read_bytes()).hexdigest()
    _clerk_edit(target)
    _forge_intact(archive, target, how, tmp_path, monkeypatch)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "没有变化" not in result.stdout  # the edited document was noticed
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in (archive / "output").rglob("*.docx")}
    assert clean in shas  # docgen's own document is there again (in its place, or beside the edited one)


@pytest.mark.parametrize("how", FORGERIES)
def test_doctored_output_hashes_do_not_get_an_edited_document_deleted(archive, tmp_path, monkeypatch, how):
    assert run_docgen("build", cwd=archive).returncode == 0
    victim = inspection_files(archive)[-1]
    entity = yaml.safe_load(victim.read_text(encoding="utf-8"))["entity"]
    name = yaml.safe_load((archive / f"records/entities/{entity}.yaml").read_text(encoding="utf-8"))["name"]
    document = archive / "output" / PLAN / f"04_实地核查记录表_{name}.docx"
    _clerk_edit(document)
    edited = document.read_bytes()
    _forge_intact(archive, document, how, tmp_path, monkeypatch)
    victim.unlink()
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert document.read_bytes() == edited
    # its untouched sibling stays too: with .docgen/'s note forged, nothing says this docgen made it
    sibling = f"02_告知书_{name}.docx"
    assert (archive / "output" / PLAN / sibling).exists()
    assert f"{sibling} 的记录已不在，但本机 .docgen/ 中没有 docgen 生成它的记录，它也没有原样提交在 git 中" in result.stdout


@pytest.mark.parametrize("name, instead", [("00_通知.docx", b"PK\x03\x04 not really a zip"),
                                           ("07_公示表.xlsx", b"PK\x03\x04 not really a zip"),
                                           ("02_告知书.docx", "03_随机抽查后续处置工作台账.xlsx"),
                                           ("07_公示表.xlsx", "01_实施方案.docx")])
def test_a_template_that_is_not_a_document_is_a_clear_error(archive, name, instead):
    """Not a package at all, or one of the other kind (an Excel file named .docx): said before any
    document is made from it, and the documents already there stay as they are."""
    assert run_docgen("build", cwd=archive).returncode == 0
    before = {p: p.read_bytes() for p in (archive / "output").rglob("*.*") if p.suffix != ".json"}
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    target = archive / "templates" / name
    target.write_bytes(instead if isinstance(instead, bytes) else (PACKAGED_TEMPLATES / instead).read_bytes())
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"模板 {name} 无法读取" in result.stderr and "Traceback" not in result.stderr
    assert "内部错误" not in result.stdout + result.stderr
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("linked", [".docgen", ".docgen/records"])
def test_a_cache_folder_linked_out_of_the_archive_is_not_used(archive, tmp_path_factory, linked):
    """An archive (a zip, a shared drive) whose `.docgen` or `.docgen/records` is a link to another folder:
    docgen neither writes there nor deletes the files it does not recognise there."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "records").mkdir()
    (elsewhere / "records/notes.json").write_text('{"precious": 1}')
    (elsewhere / "records/.docgen-x.tmp").write_text("someone's")
    (elsewhere / "output-hashes.json").write_text("{}")
    before = tree(elsewhere)
    link = archive / linked
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(elsewhere if linked == ".docgen" else elsewhere / "records", target_is_directory=True)
    for command in (["build"], ["validate"], ["build"]):
        result = run_docgen(*command, cwd=archive)
        assert result.returncode == 0, result.stdout + result.stderr
    assert tree(elsewhere) == before
    assert (archive / "output" / PLAN / "07_公示表.xlsx").exists()


def _own_schemas(archive) -> pathlib.Path:
    """The archive with a copy of docgen's schemas in its own schemas/ folder."""
    from docgen.records.tree import packaged_dir

    if not (archive / "schemas").exists():
        shutil.copytree(packaged_dir("schemas"), archive / "schemas")
    return archive / "schemas"


def test_no_code_is_generated_from_an_archives_changed_schema(archive, monkeypatch):
    """fastjsonschema writes Python source from a schema: only docgen's own schemas may shape code.
    An archive's changed schema is interpreted by jsonschema and still decides what is valid."""
    from docgen.records.archive import Archive
    from docgen.records.check import check_archive
    from docgen.records.schema import _Checker

    schemas = _own_schemas(archive)
    entity = json.loads((schemas / "entity.schema.json").read_text(encoding="utf-8"))
    entity["properties"]["name"]["maxLength"] = 3  # the office's own, stricter rule
    (schemas / "entity.schema.json").write_text(json.dumps(entity, ensure_ascii=False), encoding="utf-8")
    generated = []
    real = _Checker._validator.__func__

    def spy(cls, schema, digest):
        generated.append(digest.rsplit("/", 1)[-1])
        return real(cls, schema, digest)

    monkeypatch.setattr(_Checker, "_validator", classmethod(spy))
    checked = check_archive(Archive(str(archive / "records")), save_cache=False)
    assert "entity" not in generated and "inspection" in generated  # the unchanged kinds keep the fast path
    too_long = [p for p in checked.problems if "entities" in p.path and p.is_error]
    assert too_long and all(p.line > 0 for p in too_long)


def test_a_schema_with_an_invalid_pattern_names_its_file(archive):
    schemas = _own_schemas(archive)
    entity = json.loads((schemas / "entity.schema.json").read_text(encoding="utf-8"))
    entity["properties"]["name"]["pattern"] = "([unclosed"
    (schemas / "entity.schema.json").write_text(json.dumps(entity, ensure_ascii=False), encoding="utf-8")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "entity.schema.json" in result.stderr and "正则表达式" in result.stderr
    assert "内部错误" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("key", ["$dynamicRef", "$recursiveRef"])
def test_a_schema_fetches_nothing_from_elsewhere(archive, tmp_path, key):
    """A reference resolved while validating (`$dynamicRef`) would have jsonschema open a URL or a file
    outside the archive and apply what it says: refused, naming it, and nothing is read."""
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string", "maxLength": 1}', encoding="utf-8")
    schemas = _own_schemas(archive)
    department = json.loads((schemas / "department.schema.json").read_text(encoding="utf-8"))
    for target in (secret.as_uri(), "http://127.0.0.1:9/y.json"):
        department["properties"]["name"] = {key: target}
        (schemas / "department.schema.json").write_text(json.dumps(department, ensure_ascii=False), encoding="utf-8")
        result = run_docgen("validate", cwd=archive)
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"“{key}: {target}”不受支持" in result.stderr and "最多 1 个字符" not in result.stdout
        assert "内部错误" not in result.stderr and "Traceback" not in result.stderr


def test_the_sandbox_verdicts_kept_per_type_are_jinjas_own():
    """docgen's sandbox keeps each attribute's verdict per (type, name): asked in any order, after a
    safe attribute of the same object or type, it answers as Jinja's own immutable sandbox does."""
    import collections
    import types

    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from docgen.documents import templating

    class View:
        name = "x"

        def method(self):
            return 1

    def function():
        return 1

    objects = [{"a": 1}, [1], {1}, collections.deque(), "text", 3, View(), View, View().method, function,
               (x for x in ()), types.SimpleNamespace(a=1), collections.OrderedDict(), str]
    names = ["keys", "items", "clear", "update", "append", "pop", "add", "upper", "mro", "__class__",
             "_private", "__globals__", "__func__", "__self__", "gi_frame", "name", "method", "a", "format"]
    ours, jinjas = templating.environment(), ImmutableSandboxedEnvironment()
    for _ in range(2):  # the second round answers from what the first one kept
        for obj in objects:
            for name in names:
                assert ours.is_safe_attribute(obj, name, None) == jinjas.is_safe_attribute(obj, name, None), \
                    (type(obj), name)
    assert not ours.is_safe_attribute({}, "clear", None) and ours.is_safe_attribute({}, "keys", None)
    template = templating.template(ours, "test", "verdicts", "{{ d.keys() | list }}{{ d.clear() }}")
    with pytest.raises(Exception) as raised:
        template.render(d={"a": 1})
    assert "clear" in str(raised.value)


# -- links leading out of the archive: never read, never written through -------------------------
SECRET = "机密内容：CLERK-PRIVATE-TEXT"


def _outside(tmp_path_factory) -> pathlib.Path:
    return tmp_path_factory.mktemp("elsewhere")


def test_a_template_linked_out_of_the_archive_is_not_read(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    private = elsewhere / "private.docx"
    document = docx.Document(str(PACKAGED_TEMPLATES / "01_实施方案.docx"))
    document.add_paragraph(SECRET)
    document.save(str(private))
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    (archive / "templates" / "01_实施方案.docx").unlink()
    (archive / "templates" / "01_实施方案.docx").symlink_to(private)
    result = run_docgen("build", cwd=archive)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "档案之外" in result.stdout + result.stderr
    assert SECRET not in all_text(archive / "output")


def test_a_schema_linked_out_of_the_archive_is_not_read(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    shutil.copytree(PACKAGED_TEMPLATES.parent / "schemas", archive / "schemas")
    target = archive / "schemas" / "entity.schema.json"
    (elsewhere / "entity.schema.json").write_bytes(target.read_bytes())
    target.unlink()
    target.symlink_to(elsewhere / "entity.schema.json")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode != 0 and "档案之外" in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_records_folder_linked_out_of_the_archive_is_not_read(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    shutil.move(str(archive / "records"), str(elsewhere / "records"))
    (archive / "records").symlink_to(elsewhere / "records")
    for command in ("validate", "build"):
        result = run_docgen(command, cwd=archive)
        assert result.returncode != 0 and "档案之外" in result.stdout + result.stderr, command
        assert "Traceback" not in result.stderr
    assert not (archive / "output").exists() or not any((archive / "output").rglob("*.docx"))


def test_nothing_is_written_through_a_folder_linked_out_of_the_archive(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    # a draw and `docgen new` into an inspections folder that leads elsewhere
    folder = archive / "records" / "inspections" / PLAN
    shutil.rmtree(folder)
    shutil.rmtree(archive / "records" / "draws", ignore_errors=True)
    (elsewhere / "insp").mkdir()
    folder.symlink_to(elsewhere / "insp")
    result = run_docgen("draw", PLAN, "--seed", "test", cwd=archive)
    assert result.returncode != 0 and "档案之外" in result.stdout + result.stderr and "Traceback" not in result.stderr
    result = run_docgen("new", "inspection", f"{PLAN}/org-001", cwd=archive)
    assert result.returncode != 0 and "档案之外" in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert list((elsewhere / "insp").iterdir()) == []


def test_export_never_writes_through_an_output_folder_linked_elsewhere(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    (elsewhere / f"检查结果导出-{PLAN}.xlsx").write_text("clerk's precious file", encoding="utf-8")
    (archive / "output").mkdir()
    (archive / "output" / PLAN).symlink_to(elsewhere)
    result = run_docgen("export", "results", PLAN, cwd=archive)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert (elsewhere / f"检查结果导出-{PLAN}.xlsx").read_text(encoding="utf-8") == "clerk's precious file"


def test_fmt_migrate_and_import_leave_links_out_of_the_archive_alone(archive, tmp_path_factory):
    elsewhere = _outside(tmp_path_factory)
    secret = elsewhere / "secret.yaml"
    secret.write_text("id: 007\nname: secret-person\nnote: OUTSIDE-SECRET-NOTE\ncontact:\n  phone: 13800000000\n",
                      encoding="utf-8")
    link = archive / "records" / "entities" / "leak.yaml"
    link.symlink_to(secret)
    result = run_docgen("fmt", cwd=archive)
    assert "档案之外" in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert link.is_symlink() and secret.read_text(encoding="utf-8").startswith("id: 007\n")
    old = inspection_files(archive)[0]
    linked_inspection = old.parent / "zz-linked.yaml"
    linked_inspection.symlink_to(secret)
    fifo = old.parent / "zz-fifo.yaml"
    os.mkfifo(fifo)
    result = run_docgen("migrate", "--dry-run", cwd=archive)  # a FIFO is never opened for reading: no hang
    assert "Traceback" not in result.stderr and "OUTSIDE-SECRET-NOTE" not in result.stdout
    assert "zz-linked.yaml" in result.stdout + result.stderr


def test_a_document_vouched_for_only_by_the_manifest_is_made_again(archive, tmp_path):
    """The manifest travels with the archive: a forged document with its SHA-256 written into the
    manifest is not taken as up to date by another user's docgen; the genuine ones are kept as they are."""
    elsewhere = {"DOCGEN_CACHE_DIR": str(tmp_path / "elsewhere")}
    here = {"DOCGEN_CACHE_DIR": str(tmp_path / "here")}
    assert run_docgen("build", cwd=archive, env=elsewhere).returncode == 0
    target = archive / "output" / PLAN / "00_通知.docx"
    clean = target.read_bytes()
    _clerk_edit(target)
    manifest_path = archive / "output" / ".docgen-manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["outputs"][f"{PLAN}/00_通知.docx"]["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    shutil.rmtree(archive / ".docgen")
    others = {p: p.read_bytes() for p in (archive / "output").rglob("*.*") if p != target and p != manifest_path}
    result = run_docgen("build", cwd=archive, env=here)
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_bytes() == clean and "写入 1 份" in result.stdout
    assert {p: p.read_bytes() for p in others} == others  # made again, identical: not written
    assert "没有变化" in run_docgen("build", cwd=archive, env=here).stdout


def _build_with_a_paragraph(archive, text: str):
    """Build the plan with the archive's own copy of the templates, `text` added to the notice's as a
    paragraph; the result and everything it printed."""
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates/00_通知.docx"
    document = docx.Document(str(path))
    document.add_paragraph(text)
    document.save(str(path))
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    return result, result.stdout + result.stderr


@pytest.mark.parametrize("expression", ["{{ plan.title|xmlattr }}", "{{ plan.title|truncate(-5) }}",
                                        "{{ plan|dictsort }}"])
def test_a_filter_on_the_wrong_value_is_the_templates_fault_in_chinese(archive, expression):
    result, said = _build_with_a_paragraph(archive, "附：" + expression)
    assert result.returncode == 2 and "模板 00_通知.docx 渲染出错" in said, said
    assert "内部错误" not in said and "Traceback" not in said


@pytest.mark.parametrize("expression, said", [
    ("{{ 10**5000 }}", "有语法错误：其中有无法计算或结果过大的表达式"),
    ("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "有语法错误：表达式或 {% if %}、{% for %} 等标签嵌套过深"),
    ("{% if 1 %}" * 200 + "x" + "{% endif %}" * 200, "有语法错误：表达式或 {% if %}、{% for %} 等标签嵌套过深"),
    ("{% include 'x' %}", "引用了其他模板（include、import 或 extends）“x”"),
    ("{{ plan.nosuch( }}", "有语法错误：某段 {{ }} 或 {% %} 内容写法不对（括号、引号不配对，或多了、少了符号），请检查模板中最近改动的地方（模板引擎信息："),
])
def test_a_template_docgen_cannot_compile_is_the_templates_fault(archive, expression, said):
    """A constant too large to print, nesting past Python's own limits, an include: said as the
    template's fault, naming it (they were internal errors, in English)."""
    result, out = _build_with_a_paragraph(archive, "附：" + expression)
    assert result.returncode == 2 and "模板 00_通知.docx " in out and said in out, out[-3000:]
    assert "内部错误" not in out and "Traceback" not in out


def test_a_template_with_a_damaged_xml_part_is_named_before_any_document(archive):
    """A truncated word/styles.xml would make documents Word cannot open, and fail every print set."""
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    path = archive / "templates/02_告知书.docx"
    with zipfile.ZipFile(PACKAGED_TEMPLATES / "02_告知书.docx") as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["word/styles.xml"] = parts["word/styles.xml"][:500]
    with zipfile.ZipFile(path, "w") as damaged:
        for name, data in parts.items():
            damaged.writestr(name, data)
    result = run_docgen("build", "--plan", PLAN, cwd=archive)
    out = result.stdout + result.stderr
    assert result.returncode == 2 and "模板 02_告知书.docx 无法读取：其中的 word/styles.xml 不是有效的 XML" in out, out[-3000:]
    assert "内部错误" not in out and "Traceback" not in out


@pytest.mark.parametrize("rule, said", [
    ({"const": "某某"}, "不符合模式文件中的规则“const”（某某）"),
    ({"not": {"type": "string"}}, "不符合模式文件中的规则“not”（见模式文件）"),
    ({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "「法定代表人」的写法不正确：法定代表人（负责人）姓名"),
])
def test_a_rule_an_office_added_to_its_schema_is_said_in_chinese(archive, rule, said):
    """An office may tighten its own schemas with rules docgen's do not use: their errors were
    jsonschema's English."""
    schemas = _own_schemas(archive)
    entity = json.loads((schemas / "entity.schema.json").read_text(encoding="utf-8"))
    entity["properties"]["legal_rep"] = {**entity["properties"]["legal_rep"], **rule}
    (schemas / "entity.schema.json").write_text(json.dumps(entity, ensure_ascii=False), encoding="utf-8")
    result = run_docgen("validate", cwd=archive)
    assert said in result.stdout, result.stdout[-2000:]
    assert not re.search(r"[A-Za-z]{4,} (is|was|should|must|not) ", result.stdout)
