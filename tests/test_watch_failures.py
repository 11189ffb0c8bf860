"""Issue 11 finishing: `docgen watch` reports a document that could not be made, or a build that could
not run at all, as an error, and keeps watching: the next save may fix it (first build included)."""

import os
import pathlib
import shutil
import threading
import time

import docx

from conftest import edit

PLAN = "qa-2023-30"
PACKAGED_TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "templates"
INSPECTION = "records/inspections/qa-2023-30/org-002.yaml"


class InProcessWatcher:
    def __init__(self, archive, quiet: float = 0.05):
        from docgen.watch import watch

        self.lines: list[str] = []
        self.stop_event = threading.Event()
        self.worker = threading.Thread(target=watch, args=(str(archive / "records"), str(archive / "output"),
                                                           self.lines.append, self.stop_event),
                                       kwargs={"quiet": quiet}, daemon=True)
        self.worker.start()

    def wait_for(self, predicate, after: int = 0, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[after:]:
                if predicate(line):
                    return line
            assert time.monotonic() < deadline and self.worker.is_alive(), "\n".join(self.lines)
            time.sleep(0.05)

    def stop(self):
        self.stop_event.set()
        self.worker.join(timeout=60)
        assert not self.worker.is_alive()


def test_watch_reports_failed_documents_as_errors_and_keeps_running(archive):
    shutil.copytree(PACKAGED_TEMPLATES, archive / "templates")
    template = archive / "templates/00_通知.docx"
    document = docx.Document(str(template))
    document.add_paragraph("{{ ''.__class__.__mro__ }}")
    document.save(str(template))
    notice = archive / "output" / PLAN / "00_通知.docx"
    watcher = InProcessWatcher(archive)
    try:
        watcher.wait_for(lambda l: "正在监视" in l)
        first = "\n".join(watcher.lines)
        assert f"错误：{PLAN}/00_通知.docx" in first and "未能生成" in first and "不允许" in first, first
        assert "首次生成" in first and "份文书未能生成" in first, first
        assert not notice.exists()
        assert (archive / "output" / PLAN / "07_公示表.xlsx").exists()  # the others were built
        seen = len(watcher.lines)
        shutil.copy(PACKAGED_TEMPLATES / "00_通知.docx", template)  # the template fixed: rebuilt
        watcher.wait_for(lambda l: "重写" in l and "00_通知.docx" in l, after=seen)
        assert notice.exists()
        assert not any("未能生成" in l for l in watcher.lines[seen:]), watcher.lines[seen:]
    finally:
        watcher.stop()


def test_watch_survives_a_first_build_that_cannot_run(archive):
    """An output folder that cannot be made (a file is in its place): said at once, and the watcher
    builds once that is put right and a record is saved."""
    (archive / "output").write_text("a clerk's file")
    watcher = InProcessWatcher(archive)
    try:
        watcher.wait_for(lambda l: "正在监视" in l)
        assert any("首次生成" in l and "错误：" in l and "output" in l for l in watcher.lines), watcher.lines
        seen = len(watcher.lines)
        (archive / "output").unlink()
        edit(archive / INSPECTION, "opinion: 认可检查结果，立即整改", "opinion: 认可检查结果，马上整改")
        watcher.wait_for(lambda l: "变更" in l and "重写" in l, after=seen)
        assert (archive / "output" / PLAN / "00_通知.docx").exists()
    finally:
        watcher.stop()


def test_a_watchers_next_build_reuses_its_record_cache_and_manifest(archive, monkeypatch):
    """A watcher keeps what its last build wrote: the record cache it holds is not read from disk
    again, nor the manifest it wrote while that file is untouched; once it is touched, it is read."""
    import json as real_json

    from docgen.cache import RecordCache
    from docgen.documents import build as build_module

    opened, parsed = [], []
    real_open = RecordCache.open.__func__
    monkeypatch.setattr(RecordCache, "open", classmethod(lambda cls, *a, **k: opened.append(k) or
                                                         real_open(cls, *a, **k)))

    class CountingJson:
        def __getattr__(self, name):
            return getattr(real_json, name)

        def loads(self, raw, *args, **kwargs):
            parsed.append(1)
            return real_json.loads(raw, *args, **kwargs)

    monkeypatch.setattr(build_module, "json", CountingJson())
    # (quiet long enough that the edited file is not read in the clock tick of its edit: a "racy"
    # stamp makes a run read everything, as it should)
    watcher = InProcessWatcher(archive, quiet=0.3)
    try:
        watcher.wait_for(lambda l: "正在监视" in l)
        assert opened  # the first build reads the record cache (and writes the manifest)

        def rebuilt_after(old: str, new: str) -> None:
            seen = len(watcher.lines)
            edit(archive / INSPECTION, old, new)
            watcher.wait_for(lambda l: "重写" in l and "04_实地核查记录表" in l, after=seen)

        # (the roster is read as kept once a full check noted it: the first build may have come too
        # soon after the archive was copied, so two edits before counting)
        rebuilt_after("handling: 无\n", "handling: 无（复查）\n")
        rebuilt_after("handling: 无（复查）\n", "handling: 无\n")
        first_opened, first_parsed = len(opened), len(parsed)
        rebuilt_after("handling: 无\n", "handling: 无（复查）\n")
        rebuilt_after("handling: 无（复查）\n", "handling: 无\n")
        assert len(opened) == first_opened and len(parsed) == first_parsed, (opened, watcher.lines)
        manifest = archive / "output" / ".docgen-manifest.json"
        assert manifest.exists(), sorted(p.name for p in (archive / "output").iterdir())
        # someone rewrites the manifest (same bytes, a new file): it is read from disk again
        data = manifest.read_bytes()
        manifest.unlink()
        manifest.write_bytes(data)
        rebuilt_after("handling: 无\n", "handling: 无（复查）\n")
        assert len(parsed) == first_parsed + 1
    finally:
        watcher.stop()


def test_watch_follows_a_records_folder_put_in_place_of_the_old(archive):
    """A new copy of `records/` unpacked in place of the old one (the old renamed away): the watcher
    watches the new folder from then on; it had gone on watching the old one and saw no more saves."""
    watcher = InProcessWatcher(archive)
    try:
        watcher.wait_for(lambda l: "正在监视" in l)
        records = archive / "records"
        os.rename(records, archive / "records.old")
        shutil.copytree(archive / "records.old", records)
        seen = len(watcher.lines)
        watcher.wait_for(lambda l: "变更 records" in l, after=seen, timeout=30)
        time.sleep(0.3)
        seen = len(watcher.lines)
        edit(archive / INSPECTION, "handling: 无\n", "handling: 无（复查）\n")
        line = watcher.wait_for(lambda l: "重写" in l and "04_实地核查记录表" in l, after=seen, timeout=30)
        assert "org-002.yaml" in line
        shutil.rmtree(archive / "records.old")
    finally:
        watcher.stop()


def test_editor_and_tool_temporary_files_are_not_changes():
    from docgen.watch import is_ignored

    for name in ("org-002.yaml.swp", "4913", "org-002.yaml~", ".~lock.07_公示表.xlsx#", "~$07_公示表.xlsx",
                 "sedxwo8t0", ".docgen-x.tmp"):
        assert is_ignored(f"/a/records/entities/{name}"), name
    for name in ("org-002.yaml", "sed.yaml", "sedentary.yml"):
        assert not is_ignored(f"/a/records/entities/{name}"), name
