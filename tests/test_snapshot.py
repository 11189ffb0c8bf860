"""Issue 16: a run in which nothing changed replays the last one (`docgen.snapshot`), and only then."""

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
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


def _validate_in_process(archive: pathlib.Path, monkeypatch) -> int | None:
    """What `docgen.start` answers for `docgen validate` in `archive`, or None (left to the full run)."""
    from docgen import start

    monkeypatch.chdir(archive)
    return start.replayed(["validate"], time.perf_counter())


@pytest.mark.skipif(os.name == "nt", reason="Windows' st_ctime is the creation time")
def test_an_edit_in_place_that_restores_size_and_mtime_is_still_seen(archive, tmp_path, steady):
    """Same inode (written in place), same size (one character for another of as many bytes), the
    modification time set back as `touch -r` would: the inode's change time still moves, so neither
    the replay nor the record cache takes the file for unchanged."""
    for command in ("build", "build", "validate", "validate"):  # each remembered
        assert run_docgen(command, cwd=archive).returncode == 0
    target = inspection_files(archive)[0]
    before = os.stat(target)
    text = target.read_bytes()
    at = text.index(b"plan: ") + len(b"plan: ")
    edited = text[:at] + b"Q" + text[at + 1:]  # an unknown plan: an error in validate, a changed build
    assert len(edited) == len(text)
    time.sleep(0.05)  # a later clock tick for the change time
    with open(target, "r+b") as handle:
        handle.write(edited)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(target)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout


def test_the_replay_prints_what_the_full_run_printed_without_click(archive, tmp_path, steady):
    """`docgen.start` answers an unchanged `validate` and `build` itself: same lines, same exit
    code, and neither click, PyYAML, Jinja nor the record model is imported."""
    target = inspection_files(archive)[0]
    edit(target, "plan: ", "plan: no-such-plan-", 1)
    time.sleep(0.1)
    full = run_docgen("validate", "--as-of", "2099-01-01", cwd=archive)
    assert full.returncode == 1 and "警告：" in full.stdout and target.name in full.stdout
    probe = ("import sys, time; from docgen import start; code = start.replayed(sys.argv[1:], time.perf_counter());"
             "sys.stdout.flush(); print(code, sorted(m for m in ('click', 'yaml', 'jinja2', 'dataclasses',"
             " 'docgen.records.archive', 'docgen.cli') if m in sys.modules))")
    for args, first in ((["validate", "--as-of", "2099-01-01"], full),
                        (["build", "--as-of=2023-12-31", "--out", "out"], None)):
        if first is None:
            first = run_docgen(*args, cwd=archive)
            assert first.returncode == 1
        again = subprocess.run([sys.executable, "-c", probe, *args], cwd=archive, capture_output=True, text=True,
                               timeout=600)
        *printed, verdict = again.stdout.splitlines()
        assert verdict == "1 []", again.stdout + again.stderr
        if args[0] == "validate":
            assert printed == first.stdout.splitlines()
        else:  # the same lines but the time taken
            assert printed[:-1] == first.stdout.splitlines()[:-1] and "没有变化，未写入任何文件" in printed[-1]
        assert run_docgen(*args, cwd=archive).stdout.splitlines()[:-1] == printed[:-1]


def test_options_the_replay_does_not_know_are_left_to_click():
    from docgen.start import _options

    assert _options(["validate"]) == ("validate", {"--records": "records", "--as-of": None, "--plan": []})
    assert _options(["build", "--plan", "a", "--plan=b", "--records=r", "--out", "o"]) == \
        ("build", {"--records": "r", "--out": "o", "--as-of": None, "--plan": ["a", "b"]})
    for args in (["validate", "--staged"], ["build", "--force"], ["build", "--pdf"], ["build", "-h"],
                 ["validate", "--help"], ["build", "--plan"], ["build", "--out", "--force"], ["status"], [],
                 ["validate", "extra"], ["build", "--plan", "a", "--"]):
        assert _options(args) is None, args


def test_a_missed_replay_hands_its_stamps_to_the_full_run(archive, monkeypatch, steady):
    """A run that cannot be replayed lists and stat's records/ once, not once to ask and once to run."""
    from docgen.records import check, tree

    assert run_docgen("validate", cwd=archive).returncode == 0
    edit(inspection_files(archive)[0], "handling: ", "handling: 现场已整改；", 1)
    scans = []
    real = tree.scan
    monkeypatch.setattr(snapshot, "scan", lambda *a, **k: scans.append(a) or real(*a, **k))
    assert _validate_in_process(archive, monkeypatch) is None
    checked = check.check_archive(Archive(str(archive / "records")))
    assert len(scans) == 1 and not checked.errors
    assert len(checked.records) == len(list((archive / "records").rglob("*.yaml")))


def test_the_walk_lists_records_as_sorted_folders_would(archive):
    """The listing keeps the directory's order; the records come out as a walk with each folder's
    entries sorted by name gives them (files and subfolders interleaved)."""
    records = archive / "records"
    loose = records / "inspections"
    for name in ("zz.yaml", "a.yaml", "qa-2023-30.yaml"):  # beside the plan's folder, before and after it
        (loose / name).write_text("id: x\n", encoding="utf-8")
    (loose / "qa-2023-30" / "sub").mkdir()
    (loose / "qa-2023-30" / "sub" / "m.yaml").write_text("id: m\n", encoding="utf-8")
    found = Archive(str(records)).walk()[0]

    def sorted_walk(folder: pathlib.Path, kind: str):
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.is_dir():
                yield from sorted_walk(entry, kind)
            elif entry.suffix in (".yaml", ".yml") and not entry.name.startswith("."):
                yield kind, str(entry)

    from docgen.records.tree import KIND_FOLDERS

    expected = [item for folder, kind in KIND_FOLDERS.items() if (records / folder).is_dir()
                for item in sorted_walk(records / folder, kind)]
    assert found == expected and ("inspection", str(loose / "qa-2023-30" / "sub" / "m.yaml")) in found


def test_every_part_of_a_stamp_counts_even_past_64_bits():
    """An inode number past 63 bits (some network file systems) is hashed as text, not refused."""
    import types

    from docgen.records.tree import newest_of, pack_stats

    def key(**changed):
        fields = {"st_mtime_ns": 10, "st_ctime_ns": 20, "st_size": 30, "st_ino": 40, **changed}
        digest = hashlib.sha256()
        stamps = pack_stats([types.SimpleNamespace(**fields)])
        snapshot._fold(digest, "folder", ["a.yaml"], stamps)
        return digest.hexdigest(), newest_of(stamps)

    base, newest = key()
    assert newest == 20
    variants = [key(st_mtime_ns=11), key(st_ctime_ns=21), key(st_size=31), key(st_ino=41), key(st_ino=2 ** 64 - 1),
                key(st_ino=2 ** 64 - 2)]
    assert len({base, *(v[0] for v in variants)}) == len(variants) + 1
    assert key(st_ino=2 ** 64 - 1) == key(st_ino=2 ** 64 - 1) and key(st_mtime_ns=99)[1] == 99
