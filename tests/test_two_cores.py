"""Issue 16: work shared with a helper on a second core (`docgen.split`) gives what one process gives:
documents rendered ahead (`build.Renderer.ahead`) are the very bytes, record files read by a helper
(`archive._read_all`) check the same; a helper that fails or dies costs nothing but time."""

import hashlib
import os
import shutil
import time

import pytest

from conftest import edit
from docgen import split
from docgen.documents import build as build_module
from docgen.records import archive as archive_module
from docgen.records.archive import Archive
from docgen.records.check import check_archive

pytestmark = pytest.mark.skipif(not split.can_fork(), reason="no second core, or no fork, here")


def tree(out):
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def built(root):
    here = os.getcwd()
    os.chdir(root)  # as a clerk runs it: the manifest names records relative to the working folder
    try:
        report = build_module.build(Archive("records"), "output")
    finally:
        os.chdir(here)
    return report, tree(root / "output")


@pytest.fixture
def twins(archive, tmp_path):
    """The example archive twice: one built in this process alone, the other with a helper."""
    alone = tmp_path / "alone"
    shutil.copytree(archive / "records", alone / "records")
    return alone, archive


@pytest.fixture
def rendered_here(monkeypatch):
    """The documents this process renders itself (a helper's calls happen in its own copy)."""
    calls = []
    real = build_module.Renderer._render
    parent = os.getpid()

    def counted(self, output):
        if os.getpid() == parent:
            calls.append(output.relpath)
            time.sleep(0.005)  # so that a helper surely takes some, however busy the machine
        return real(self, output)

    monkeypatch.setattr(build_module.Renderer, "_render", counted)
    return calls


def serial_build(root, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(split, "can_fork", lambda: False)
        return built(root)


def test_documents_rendered_ahead_equal_those_rendered_here(twins, monkeypatch, rendered_here):
    alone, shared = twins
    report_alone, expected = serial_build(alone, monkeypatch)
    parts = [rel for rel in report_alone.written if "全套文书" not in rel and "随身文书" not in rel]
    assert len(rendered_here) == len(parts) > build_module.AHEAD_MIN
    rendered_here.clear()
    report, found = built(shared)
    assert found == expected  # every document, the print sets made of them and the manifest
    assert report.written == report_alone.written and report.problems == report_alone.problems
    assert 0 < len(rendered_here) < len(parts)  # the helper made the others


@pytest.mark.parametrize("how", ["fails", "dies"])
def test_a_helper_that_fails_or_dies_leaves_the_documents_to_this_process(twins, monkeypatch, rendered_here, how):
    alone, shared = twins
    _report, expected = serial_build(alone, monkeypatch)
    parent = os.getpid()
    real = build_module.Renderer._render  # already counting (`rendered_here`)

    def broken_there(self, output):
        if os.getpid() != parent:
            if how == "dies":
                os._exit(9)
            raise RuntimeError("a helper's failure")
        return real(self, output)

    monkeypatch.setattr(build_module.Renderer, "_render", broken_there)
    rendered_here.clear()
    report, found = built(shared)
    assert found == expected
    assert not report.failures
    assert len(rendered_here) == len([rel for rel in report.written if "全套文书" not in rel and "随身文书" not in rel])


def test_an_incremental_build_renders_ahead_only_what_changed(archive, monkeypatch, rendered_here):
    """An unchanged document is neither rendered here nor by a helper (the manifest has its fingerprint)."""
    built(archive)
    edit(archive / "records/inspections/qa-2023-30/org-002.yaml", "handling: 无", "handling: 无（已复核）")
    rendered_here.clear()
    asked = []
    real = build_module.Renderer.ahead
    monkeypatch.setattr(build_module.Renderer, "ahead", lambda self, outputs: (asked.extend(
        o.relpath for o in outputs if not o.parts), real(self, outputs))[1])
    report, _found = built(archive)
    own = [rel for rel in report.written if "全套文书" not in rel and "随身文书" not in rel]
    assert len(own) == 1 and own[0].startswith("qa-2023-30/04_实地核查记录表_")
    assert asked == own and rendered_here == own  # one document: rendered here, no helper for it


def checked(root, use_cache):
    found = check_archive(Archive(str(root / "records")), use_cache=use_cache)
    return ([str(p) for p in found.problems], [(r.kind, r.path, r.sha, r.data) for r in found.records],
            sorted(found.index.broken))


def test_record_files_read_by_a_helper_check_as_read_here(archive, monkeypatch):
    records = archive / "records"
    (records / "entities" / "broken.yaml").write_text("id: [\n", encoding="utf-8")  # not YAML
    (records / "entities" / "odd.yaml").write_bytes(b"\xff\xfeid: x\n")  # not UTF-8
    edit(records / "entities" / "org-005.yaml", "credit_class: A", "credit_class: E")  # against its schema
    monkeypatch.setattr(split, "MIN_ITEMS", 1)
    monkeypatch.setattr(split, "CHUNK", 2)
    parsed_here = []
    real = archive_module._parsed
    parent = os.getpid()

    def counted(kind, shown, path, *rest):
        if os.getpid() == parent:
            parsed_here.append(path)
            time.sleep(0.005)  # as in `rendered_here`
        return real(kind, shown, path, *rest)

    monkeypatch.setattr(archive_module, "_parsed", counted)
    with monkeypatch.context() as patch:
        patch.setattr(split, "can_fork", lambda: False)
        expected = checked(archive, use_cache=False)
    count = len(parsed_here)
    assert any("broken.yaml" in p for p in expected[0]) and any("odd.yaml" in p for p in expected[0])
    assert any("org-005.yaml" in p for p in expected[0])
    parsed_here.clear()
    assert checked(archive, use_cache=False) == expected
    assert 0 < len(parsed_here) < count  # the helper parsed the others
    # with the record cache: filled, then the same bytes touched (looked up by their SHA-256), then edited
    assert checked(archive, use_cache=True) == expected
    for path in sorted(records.rglob("*.yaml"))[::3]:
        path.touch()
        os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    assert checked(archive, use_cache=True) == expected
    edit(records / "entities" / "org-005.yaml", "credit_class: E", "credit_class: A")
    with monkeypatch.context() as patch:
        patch.setattr(split, "can_fork", lambda: False)
        fixed = checked(archive, use_cache=False)
    assert fixed != expected and checked(archive, use_cache=True) == fixed


def test_large_results_come_back_while_this_process_is_busy_elsewhere(monkeypatch):
    """Chunks' results larger than the pipe, sent while this process does something else first (as
    a draw reads its other records): the helper keeps them and works on; all come back, in order."""
    parent = os.getpid()

    def work(a, b):
        return [(i, os.getpid(), bytes([i % 256]) * 1_500_000) for i in range(a, b)]

    shared = split.Shared(12, work, chunk=1, min_items=1)
    shared.start()
    time.sleep(0.5)  # meanwhile the helper has made more than the pipe holds
    done = [item for chunk in shared.results() for item in chunk]
    assert [(i, blob) for i, _pid, blob in done] == [(i, bytes([i % 256]) * 1_500_000) for i in range(12)]
    assert {pid for _i, pid, _blob in done} - {parent}


def test_a_failure_here_stops_the_helper_at_once():
    """Work that fails in this process raises at once: the helper's remaining work is not waited for."""
    parent = os.getpid()

    def work(a, b):
        if os.getpid() == parent:
            raise ValueError("here")
        time.sleep(0.05)
        return list(range(a, b))

    shared = split.Shared(400, work, chunk=1, min_items=1)
    shared.start()
    started = time.perf_counter()
    with pytest.raises(ValueError):
        shared.results()
    assert time.perf_counter() - started < 5  # the helper's 400 × 50 ms would be 20 s
    assert not split._busy()


def test_a_helper_whose_results_are_never_asked_for_is_stopped():
    """Started, then the work meanwhile failed (`results` never called): the helper is stopped when
    its `Shared` goes, and the next one may fork again."""
    shared = split.Shared(400, lambda a, b: time.sleep(0.05) or list(range(a, b)), chunk=1, min_items=1)
    shared.start()
    assert split._busy()
    del shared
    assert not split._busy()
    again = split.Shared(40, lambda a, b: [os.getpid()] * (b - a), chunk=1, min_items=1)
    again.start()
    assert again.pid is not None
    assert again.results()
