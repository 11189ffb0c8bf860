"""Issue 4: incremental builds and `docgen watch`."""

import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import shutil
import time

import yaml

from conftest import edit, inspection_files, run_docgen
from docgen.documents.textconv import textconv

PLAN = "qa-2023-30"


def hashes(out):
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".docgen")}


def entity_name(root, inspection):
    entity = yaml.safe_load(inspection.read_text(encoding="utf-8"))["entity"]
    return yaml.safe_load((root / f"records/entities/{entity}.yaml").read_text(encoding="utf-8"))["name"]


def test_edit_one_inspection_rewrites_only_its_documents_and_tables(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    before = hashes(out)
    target = next(p for p in inspection_files(archive) if "opinion:" in p.read_text(encoding="utf-8"))
    edit(target, "opinion: ", "opinion: 已知悉，")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0
    after = hashes(out)
    changed = {k for k in after if after[k] != before.get(k)}
    name = entity_name(archive, target)
    group = yaml.safe_load(target.read_text(encoding="utf-8"))["group"]
    # and the print sets holding that document: the plan's set and its group's packet, no other packet
    assert changed == {f"{PLAN}/04_实地核查记录表_{name}.docx", f"{PLAN}/00_全套文书（打印）.docx",
                       f"{PLAN}/09_第{group}组_随身文书.docx"}, changed
    # a change that reaches the plan-wide tables too
    edit(target, "    - 未发现问题\n", "    - 未发现问题\n    note: 复查\n")  # a department's own part
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    action_file = next(p for p in inspection_files(archive)
                       if "follow_ups" in p.read_text(encoding="utf-8") and "处置中" in p.read_text(encoding="utf-8"))
    edit(action_file, "status: 处置中", "status: 已完结\n  closed: '2023-12-01'")
    run_docgen("build", cwd=archive)
    final = hashes(out)
    changed = {k for k in final if final[k] != after.get(k)}
    action_name = entity_name(archive, action_file)
    assert f"{PLAN}/03_随机抽查后续处置工作台账.xlsx" in changed
    assert f"{PLAN}/08_抽查情况统计表.xlsx" in changed
    assert not any(k.startswith(f"{PLAN}/02_") for k in changed)
    assert all(name_part in k for k in changed if k.startswith(f"{PLAN}/04_") for name_part in [action_name])
    assert f"{PLAN}/00_通知.docx" not in changed and not any(k.startswith("qx-2024-6/") for k in changed)
    assert data  # the edited record still parses


def test_noop_build_writes_nothing(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    time.sleep(0.02)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0 and "没有变化，未写入任何文件" in result.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_manifest_missing_or_garbled_means_full_correct_build(archive, tmp_path):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    reference = hashes(out)
    manifest = out / ".docgen-manifest.json"
    for damage in (b"{not json", b'{"version": 1, "outputs": {"x": 3}}', None):
        # a document edited behind docgen's back must be rebuilt, not skipped; with the record of what
        # docgen wrote gone, the edited file is a clerk's: kept, the rebuilt document written beside it
        doc = next(out.glob(f"{PLAN}/02_*.docx"))
        doc.write_bytes(b"scribbled")
        if damage is None:
            manifest.unlink()
        else:
            manifest.write_bytes(damage)
        result = run_docgen("build", cwd=archive)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        rel = str(doc.relative_to(out))
        assert doc.read_bytes() == b"scribbled" and "docgen 没有覆盖它" in result.stdout
        assert hashes(out)[rel.replace(".docx", "（docgen新生成）.docx")] == reference[rel]
        doc.unlink()  # the clerk lets docgen's document take its place: the one beside it goes
        assert run_docgen("build", cwd=archive).returncode == 0
        assert hashes(out) == reference


def test_incremental_equals_clean_build(archive, tmp_path):
    assert run_docgen("build", cwd=archive).returncode == 0
    for path in inspection_files(archive)[:3]:
        edit(path, "plan: qa-2023-30", "plan: qa-2023-30\nnote: 第二次修改")
    victim = inspection_files(archive)[-1]
    victim.unlink()
    assert run_docgen("build", cwd=archive).returncode == 0
    # records the documents read besides the inspection itself: a roster, an entity, the plan
    dep = archive / "records/departments/gaj.yaml"
    first = yaml.safe_load(dep.read_text(encoding="utf-8"))["inspectors"][0]["name"]
    edit(dep, f"name: {first}", "name: 改名后的执法人员")
    edit(dep, "driver: ", "driver: 新")
    entity = yaml.safe_load(inspection_files(archive)[0].read_text(encoding="utf-8"))["entity"]
    edit(archive / f"records/entities/{entity}.yaml", "legal_rep: ", "legal_rep: 新")
    edit(archive / "records/plans/qa-2023-30.yaml", "check_type: ", "check_type: 新")
    assert run_docgen("build", cwd=archive).returncode == 0
    clean = run_docgen("build", "--out", str(tmp_path / "clean"), cwd=archive)
    assert clean.returncode == 0
    assert hashes(archive / "output") == hashes(tmp_path / "clean")
    forced = run_docgen("build", "--force", cwd=archive)
    assert "写入" in forced.stdout and hashes(archive / "output") == hashes(tmp_path / "clean")


def test_delete_record_removes_its_documents(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    victim = inspection_files(archive)[0]
    name = entity_name(archive, victim)
    victim.unlink()
    result = run_docgen("build", cwd=archive)
    assert "删除" in result.stdout
    assert not list((archive / "output" / PLAN).glob(f"*{name}*"))


def test_a_deleted_plan_takes_its_documents_along_but_a_broken_one_keeps_them(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    kept = hashes(out)
    plan = archive / "records/plans/qx-2024-6.yaml"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.replace("type: 年度方案", "type: 年度方按", 1), encoding="utf-8")  # not a plan type
    broken = run_docgen("build", cwd=archive)
    assert broken.returncode == 1 and "qx-2024-6.yaml" in broken.stdout + broken.stderr
    assert all((out / rel).exists() for rel in kept if rel.startswith("qx-2024-6/"))  # a typo deletes nothing
    plan.unlink()
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "删除" in result.stdout and not list(out.glob("qx-2024-6/*")), list(out.glob("qx-2024-6/*"))
    assert {k: v for k, v in hashes(out).items() if not k.startswith("qx-2024-6/")} == \
        {k: v for k, v in kept.items() if not k.startswith("qx-2024-6/")}
    assert "qx-2024-6/" not in (out / ".docgen-manifest.json").read_text(encoding="utf-8")


class Watcher:
    """A real `docgen watch` process, its output read line by line."""

    def __init__(self, root):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "docgen", "watch"], cwd=root, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def expect(self, needle, timeout=30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, "watcher died:\n" + "\n".join(self.seen)
                continue
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"{needle!r} not seen in:\n" + "\n".join(self.seen))

    def drain(self, seconds) -> list[str]:
        got, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                pass
        self.seen.extend(got)
        return got

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=20)


def test_watch_rebuilds_reports_errors_and_survives(archive):
    watcher = Watcher(archive)
    try:
        watcher.expect("正在监视")
        target = next(p for p in inspection_files(archive) if "opinion:" in p.read_text(encoding="utf-8"))
        name = entity_name(archive, target)
        record_doc = archive / "output" / PLAN / f"04_实地核查记录表_{name}.docx"
        first = record_doc.read_bytes()
        # plain save
        edit(target, "opinion: ", "opinion: 第一次，")
        watcher.expect("重写 04_实地核查记录表")
        second = record_doc.read_bytes()
        assert second != first
        # editor-style atomic save: write a temporary file, then rename it onto the record
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(target.read_text(encoding="utf-8").replace("第一次，", "第二次，"), encoding="utf-8")
        os.replace(tmp, target)
        watcher.expect("重写 04_实地核查记录表")
        assert record_doc.read_bytes() != second
        # swap files and editor droppings are ignored
        (target.parent / f".{target.name}.swp").write_text("junk")
        (target.parent / "4913").write_text("")
        assert not [l for l in watcher.drain(1.0) if "变更" in l]
        # broken YAML: reported, watcher alive, last good document kept
        good = record_doc.read_bytes()
        text = target.read_text(encoding="utf-8")
        target.write_text(text + "\n  broken: [unclosed\n", encoding="utf-8")
        watcher.expect(f"{target.name}:")
        assert watcher.proc.poll() is None and record_doc.read_bytes() == good
        target.write_text(text.replace("第二次，", "第三次，"), encoding="utf-8")
        watcher.expect("重写 04_实地核查记录表")
        # a burst of 200 changes gives one or two rebuilds, not 200
        watcher.drain(0.5)
        entities = sorted((archive / "records/entities").glob("*.yaml"))
        for n in range(200):
            path = entities[n % len(entities)]
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"# touch {n}\n")
        lines = watcher.drain(4.0)
        rebuilds = [l for l in lines if "变更" in l]
        assert 1 <= len(rebuilds) <= 2, lines
    finally:
        code = watcher.stop()
    assert code == 0
    assert "已停止监视" in "\n".join(watcher.seen + watcher.drain(0.5))


def test_a_save_during_the_first_build_is_built_next(archive):
    """The watcher watches from the start: a record saved while the first build runs is not missed."""
    shutil.rmtree(archive / "output", ignore_errors=True)
    target = next(p for p in inspection_files(archive) if "opinion:" in p.read_text(encoding="utf-8"))
    watcher = Watcher(archive)
    try:
        deadline = time.monotonic() + 60
        while not (archive / "output" / PLAN).exists():  # the first build has begun writing
            assert time.monotonic() < deadline and watcher.proc.poll() is None
            time.sleep(0.005)
        edit(target, "opinion: ", "opinion: 首次生成时保存，")
        watcher.expect("正在监视")
        watcher.expect("变更 ")
        record_doc = archive / "output" / PLAN / f"04_实地核查记录表_{entity_name(archive, target)}.docx"
        assert "首次生成时保存" in textconv(str(record_doc))
    finally:
        watcher.stop()


def test_unreadable_plan_file_keeps_its_documents(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    before = hashes(archive / "output")
    plan = archive / "records/plans/qa-2023-30.yaml"
    plan.write_text(plan.read_text(encoding="utf-8") + "\n  : [broken\n", encoding="utf-8")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1 and "qa-2023-30.yaml:" in result.stdout
    assert hashes(archive / "output") == before


def test_fields_left_out_of_table_fingerprints_really_do_not_reach_them(archive, tmp_path):
    """Every inspection field outside a table's TABLE_FIELDS / STATISTICS_FIELDS / NOTICE_FIELDS, edited alone: the incremental
    build must still equal a clean build (so the narrower fingerprints never skip a needed render)."""
    import json
    import pathlib
    import re
    import shutil

    from docgen.records.archive import Archive
    from docgen.documents.build import build
    from docgen.documents.outputs import NOTICE_FIELDS, STATISTICS_FIELDS, TABLE_FIELDS

    records = str(archive / "records")
    build(Archive(records), str(archive / "output"))
    paths = inspection_files(archive)
    signed = next(p for p in paths if "signature:" in p.read_text(encoding="utf-8"))
    refused = next(p for p in paths if "refusal:" in p.read_text(encoding="utf-8"))
    called = next(p for p in paths if "phone_notice:" in p.read_text(encoding="utf-8"))

    def replace(path, pattern, new):
        def apply():
            before = path.read_text(encoding="utf-8")
            after = re.sub(pattern, new, before, count=1)
            assert after != before, (path.name, pattern)  # an edit that changes nothing proves nothing
            path.write_text(after, encoding="utf-8")
        return apply

    def having(text):
        return next(p for p in paths if text in p.read_text(encoding="utf-8"))

    def first_part(path):
        return next(iter((yaml.safe_load(path.read_text(encoding="utf-8")).get("departments") or {None: {}}).values()))

    disclosed = next(p for p in paths if (d := first_part(p)).get("disclosed") and d["disclosed"] != d["entered"])
    entered_on = first_part(disclosed)["entered"]
    served = next(p for p in paths if (d := yaml.safe_load(p.read_text(encoding="utf-8"))["dates"]).get("visit")
                  and d["visit"] != d["notice_served"])
    visit_on = yaml.safe_load(served.read_text(encoding="utf-8"))["dates"]["visit"]
    edits = {
        "dates": replace(served, r"notice_served: .*", f"notice_served: '{visit_on}'"),
        "departments": replace(disclosed, r"    disclosed: .*", f"    disclosed: '{entered_on}'"),
        "methods": replace(having("- 书面检查"), "- 书面检查", "- 网络监测"),
        "opinion": replace(signed, "opinion: ", "opinion: 再次确认，"),
        "signature": replace(signed, "signer: ", "signer: 代"),
        "refusal": replace(refused, "refusal: ", "refusal: （补记）"),
        "note": replace(signed, "plan: qa-2023-30", "plan: qa-2023-30\nnote: 备注"),
        "draw": replace(signed, "draw: qa-2023-30-draw-1", "draw: qa-2023-30-draw-x"),
        "task_number": replace(signed, "plan: qa-2023-30", "plan: qa-2023-30\ntask_number: HB2023110001"),
        "credit_driven": replace(signed, "plan: qa-2023-30", "plan: qa-2023-30\ncredit_driven: false"),
        "phone_notice": replace(called, "reached: ", "reached: 转"),
        "vehicle": replace(signed, "vehicle: .*", "vehicle: 冀B·X0301"),
        "group": replace(signed, "group: [0-9]+", "group: 9"),
        "follow_ups": replace(refused, "responsible: ", "responsible: 代"),
        "leader": replace(signed, "leader: .*",
                          "leader: " + yaml.safe_load(signed.read_text(encoding="utf-8"))["inspectors"]["gaj"][1]),
    }
    schema = pathlib.Path(__file__).parent.parent / "schemas" / "inspection.schema.json"
    fields = set(json.loads(schema.read_text(encoding="utf-8"))["properties"]) - {"$schema"}
    left_out = set().union(*(fields - set(f) for f in (*TABLE_FIELDS.values(), STATISTICS_FIELDS, NOTICE_FIELDS)))
    assert left_out - set(edits) == {"inspectors"}  # needs a coordinated edit; covered by the roster test
    for n, field in enumerate(sorted(left_out & set(edits))):
        edits[field]()
        report = build(Archive(records), str(archive / "output"))
        assert not report.has_errors, (field, [str(p) for p in report.problems if p.is_error])
        clean = tmp_path / f"clean-{n}"
        build(Archive(records), str(clean))
        assert hashes(archive / "output") == hashes(clean), field
        shutil.rmtree(clean)


def test_an_items_handling_reaches_only_the_entitys_record_form(archive, tmp_path, monkeypatch):
    """An item's finding and handling are printed on the entity's 实地核查记录表 only: editing one renders that
    form (and the print sets holding it) again, no plan table, and the build still equals a clean one."""
    import zipfile

    from docgen.records.archive import Archive
    from docgen.documents.build import build

    records = str(archive / "records")
    build(Archive(records), str(archive / "output"))
    target = next(p for p in inspection_files(archive) if "handling: 无\n" in p.read_text(encoding="utf-8"))
    edit(target, "handling: 无\n", "handling: 无（当场核实）\n")
    from docgen.documents.render_xlsx import WorkbookTemplate

    tables = []
    real = WorkbookTemplate.render
    monkeypatch.setattr(WorkbookTemplate, "render", lambda self, *a: tables.append(self.name) or real(self, *a))
    report = build(Archive(records), str(archive / "output"))
    assert not report.has_errors
    assert tables == []  # no plan table rendered again, not even to the same bytes
    names = sorted(rel.rsplit("/", 1)[-1] for rel in report.written)
    assert len(names) == 3, names
    assert names[0] == "00_全套文书（打印）.docx" and names[1].startswith("04_实地核查记录表_") and names[2].startswith("09_")
    with zipfile.ZipFile(archive / "output" / report.written[0].split("/")[0] / names[1]) as z:
        assert "无（当场核实）" in z.read("word/document.xml").decode("utf-8")
    clean = tmp_path / "clean"
    build(Archive(records), str(clean))
    assert hashes(archive / "output") == hashes(clean)


def test_an_entity_no_plan_inspects_reaches_only_the_statistics(archive):
    """The statistics read the whole roster (one digest of every entity file stands for it in their
    fingerprint): an entity leaving the roster changes them, and no other document."""
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output"
    before = hashes(out)
    inspected = {yaml.safe_load(p.read_text(encoding="utf-8"))["entity"]
                 for p in (archive / "records/inspections").rglob("*.yaml")}
    target = next(p for p in sorted((archive / "records/entities").glob("*.yaml")) if p.stem not in inspected)
    edit(target, "status: 存续", "status: 注销")
    assert run_docgen("build", cwd=archive).returncode == 0
    after = hashes(out)
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed and all(k.endswith("/08_抽查情况统计表.xlsx") for k in changed), changed


def test_the_manifest_lists_each_source_on_its_own_line_whatever_it_holds():
    """`manifest_bytes` writes a list of names in one call of the JSON encoder: names holding the
    encoder's own separators, quotes, backslashes or line breaks come back as they were."""
    import json

    from docgen.documents.build import manifest_bytes

    odd = ['a", "b', "c\\", 'd"\n  ]', "全套文书（打印）", "\u2028", "x,\n    y"]
    outputs = {"p/一.docx": {"key": "k", "sha256": "s", "sources": odd},
               "p/二.docx": {"sha256": "t", "sources": [], "via": None, "other": [{"a": 1}, "b"]}}
    text = manifest_bytes(outputs).decode("utf-8")
    assert json.loads(text)["outputs"] == outputs
    lines = text.split("\n")  # not splitlines: U+2028 is written as it is
    start = lines.index('  "sources": [')
    assert lines[start + 1:start + 1 + len(odd)] == [f"    {json.dumps(s, ensure_ascii=False)}," for s in odd[:-1]] + \
        [f"    {json.dumps(odd[-1], ensure_ascii=False)}"]


def test_the_manifest_takes_unchanged_entries_from_its_own_last_text_only(archive, tmp_path, monkeypatch):
    """Issue 16: `build.manifest_chunks` — an entry a build did not change is copied from the manifest
    this docgen last wrote there, and only from exactly that text: a manifest reformatted by hand is
    written anew, as a clean build writes it."""
    import json

    from docgen.documents import build as build_module
    from docgen.documents.build import MANIFEST, build
    from docgen.records.archive import Archive

    found = []
    real = build_module.manifest_chunks

    def spied(*args):
        found.append(real(*args))
        return found[-1]

    monkeypatch.setattr(build_module, "manifest_chunks", spied)
    records = Archive(str(archive / "records"))
    out = archive / "output"
    build(records, str(out))
    target = inspection_files(archive)[0]
    for n, layout in enumerate(["as written", "reformatted", "as written"]):
        if layout == "reformatted":
            manifest = out / MANIFEST
            manifest.write_text(json.dumps(json.loads(manifest.read_text(encoding="utf-8")), ensure_ascii=False,
                                           indent=1), encoding="utf-8")
        edit(target, "opinion: ", f"opinion: 第{n}次，")
        build(records, str(out))
        clean = tmp_path / f"clean-{n}"
        build(records, str(clean))
        assert (out / MANIFEST).read_bytes() == (clean / MANIFEST).read_bytes()
        assert bool(found[-1]) == (layout == "as written"), layout


def test_another_plans_statistics_read_only_the_years_visits(archive, tmp_path):
    """A second joint plan of the same year: its 08 counts the year's visited entities from every plan
    (`YEAR_FIELDS`), nothing else of them. A result entered in the first plan changes no other plan's
    statistics fingerprint (it is not rendered again); a visit moved does — and each incremental build
    equals a clean one."""
    import json
    import re
    import shutil

    from docgen.documents.build import build
    from docgen.records.archive import Archive

    plan = (archive / "records/plans/qa-2023-30.yaml").read_text(encoding="utf-8")
    (archive / "records/plans/qa-2023-31.yaml").write_text(plan.replace("id: qa-2023-30\n", "id: qa-2023-31\n", 1),
                                                          encoding="utf-8")
    records, out = str(archive / "records"), str(archive / "output")

    def keys():
        build(Archive(records), out)
        clean = tmp_path / "clean"
        build(Archive(records), str(clean))
        assert hashes(archive / "output") == hashes(clean)
        shutil.rmtree(clean)
        manifest = json.loads((archive / "output/.docgen-manifest.json").read_text(encoding="utf-8"))["outputs"]
        return {rel: entry["key"] for rel, entry in manifest.items()}

    other, own = "qa-2023-31/08_抽查情况统计表.xlsx", "qa-2023-30/07_公示表.xlsx"
    before = keys()
    paths = inspection_files(archive)
    result = next(p for p in paths if "- 发现问题已责令改正\n" in p.read_text(encoding="utf-8"))
    edit(result, "- 发现问题已责令改正\n", "- 发现问题待后续处理\n")  # (both fit a finding with follow-ups)
    after = keys()
    assert after[own] != before[own] and after[other] == before[other]
    served = next(p for p in paths if (d := yaml.safe_load(p.read_text(encoding="utf-8"))["dates"]).get("visit")
                  and d["visit"] != d["notice_served"])
    visit_on = yaml.safe_load(served.read_text(encoding="utf-8"))["dates"]["visit"]
    text = served.read_text(encoding="utf-8")
    served.write_text(re.sub(r"notice_served: .*", f"notice_served: '{visit_on}'", text, count=1), encoding="utf-8")
    assert keys()[other] != after[other]  # the dates (visits) are what it reads of other plans
