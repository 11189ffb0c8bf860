"""Issue 16: a run in which nothing changed replays the last one (`docgen.snapshot`), and only then."""

import hashlib
import json
import os
import pathlib
import shutil
import time

import pytest

from conftest import edit, inspection_files, run_docgen
from docgen import snapshot
from docgen.documents.build import build
from docgen.records.archive import Archive
from test_untrusted import FORGERIES, forge, read_entry


def _tree(folder: pathlib.Path) -> dict[str, str]:
    """The documents (the manifest names the records by their paths, which differ between copies)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".docgen-manifest.json"}


def _build(root: pathlib.Path):
    return build(Archive(str(root / "records")), str(root / "output"))


def _no_loading(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a record was read although nothing changed")

    monkeypatch.setattr(Archive, "load", refuse)


@pytest.fixture
def steady(monkeypatch):
    """Files written by the test a moment ago count as settled (see `snapshot.RACY_NS`)."""
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


def test_a_build_with_nothing_changed_replays_the_last_and_an_edit_is_built(archive, tmp_path, monkeypatch, steady):
    first = _build(archive)
    assert first.written and not first.problems == []  # the example has warnings: they are replayed too
    with monkeypatch.context() as patch:
        _no_loading(patch)
        again = _build(archive)
    assert again.problems == first.problems and not again.written
    assert again.unchanged == len(first.written) + first.unchanged
    # an edit is seen, built, and gives what a clean build gives
    target = inspection_files(archive)[0]
    edit(target, "handling: ", "handling: 现场已整改；", 1)
    edited = _build(archive)
    assert edited.written
    clean = tmp_path / "clean"
    shutil.copytree(archive / "records", clean / "records")
    _build(clean)
    assert _tree(archive / "output") == _tree(clean / "output")
    with monkeypatch.context() as patch:  # and the build after that is a replay again
        _no_loading(patch)
        assert not _build(archive).written


def test_a_changed_output_or_a_left_temporary_file_is_not_replayed(archive, monkeypatch, steady):
    _build(archive)
    _build(archive)
    document = next((archive / "output").rglob("*.docx"))
    document.write_bytes(document.read_bytes() + b"\0")  # a clerk's change
    report = _build(archive)
    assert any("被修改过" in note for note in report.notes)
    _build(archive)  # a build with a conflict says so again each time: never remembered as a no-op
    assert any("被修改过" in note for note in _build(archive).notes)
    shutil.rmtree(archive / "output")
    _build(archive)
    left = archive / "output" / ".docgen-killed.tmp"  # what a killed writer leaves
    left.write_bytes(b"partial")
    _build(archive)
    assert not left.exists()


def test_an_edit_in_the_same_instant_as_the_run_is_not_trusted_by_stamp(archive, monkeypatch):
    """A file modified just before the run looked at it could change again within the same clock
    tick without changing its stamp: such a run is not remembered."""
    monkeypatch.setattr(snapshot, "RACY_NS", 10**18)
    _build(archive)
    assert not (archive / ".docgen" / snapshot.FOLDER / "build.json").exists()
    assert not (archive / ".docgen" / snapshot.FOLDER / "check.json").exists()


def test_validate_replays_per_date_and_sees_edits(archive):
    time.sleep(0.1)  # past the instant the copy was made (`snapshot.RACY_NS`)
    runs = {day: [run_docgen("validate", "--as-of", day, cwd=archive).stdout for _ in range(2)]
            for day in ("2023-10-01", "2099-01-01")}
    for day in ("2023-10-01", "2099-01-01"):  # the second of each is replayed
        assert runs[day][0] == runs[day][1] == run_docgen("validate", "--as-of", day, cwd=archive).stdout
    assert "已逾期" in runs["2099-01-01"][0] and "已逾期" not in runs["2023-10-01"][0]
    target = inspection_files(archive)[0]
    edit(target, "plan: ", "plan: no-such-plan-", 1)
    result = run_docgen("validate", "--as-of", "2023-10-01", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout


@pytest.mark.parametrize("how", FORGERIES)
def test_a_forged_snapshot_does_not_hide_an_error(archive, tmp_path, monkeypatch, how):
    """Whoever hands over an archive can compute a snapshot's key (it is made of stamps anyone can
    see), but cannot sign it with this user's key: a forged one is not believed."""
    target = inspection_files(archive)[0]
    edit(target, "plan: ", "plan: no-such-plan-", 1)
    time.sleep(0.1)
    assert run_docgen("validate", cwd=archive).returncode == 1
    entry = archive / ".docgen" / snapshot.FOLDER / "check.json"
    stored = read_entry(entry)
    assert stored["problems"]
    forge(entry, {**stored, "problems": []}, how, tmp_path, monkeypatch)
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout
    build_entry = archive / ".docgen" / snapshot.FOLDER / "build.json"
    assert run_docgen("build", cwd=archive).returncode == 1
    assert run_docgen("build", cwd=archive).returncode == 1  # the second one remembered
    stored = read_entry(build_entry)
    forge(build_entry, {**stored, "problems": []}, how, tmp_path, monkeypatch)
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout
    assert json.loads((archive / "output" / ".docgen-manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert os.path.isdir(archive / "output")
