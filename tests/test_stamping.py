"""Issue 16: records/' stamps taken by two processes (`docgen.records.stamping`) are the stamps one process
takes, number for number; a child that stamps a file sees an edit in place; a child that fails, is killed
or cannot be forked leaves its share to the parent, and the replay stays right."""

import os
import pathlib
import shutil
import signal
import time

import pytest

from conftest import inspection_files, run_docgen
from docgen import snapshot
from docgen.cache import file_stamp
from docgen.documents.build import build
from docgen.records import stamping, tree
from docgen.records.archive import Archive

pytestmark = pytest.mark.skipif(not stamping.may_fork(), reason="needs fork and two cores")


@pytest.fixture
def forking(monkeypatch):
    """Every folder stamped after the listing and shared out, whatever its size; files count as settled."""
    monkeypatch.setattr(tree, "DEFER_MIN", 1)
    monkeypatch.setattr(stamping, "FORK_MIN", 1)
    monkeypatch.setattr(snapshot, "RACY_NS", 0)
    forks = []
    real = os.fork
    monkeypatch.setattr(os, "fork", lambda: forks.append(1) or real())
    return forks


def _child_only(monkeypatch, then=None):
    """The parent takes no chunk itself: every file is stat'ed by the child (and `then` runs in the child
    after it, e.g. to kill it)."""
    parent = os.getpid()
    real = stamping.Stamping._work

    def work(self):
        if os.getpid() == parent:
            return
        if then is None:
            real(self)
        else:
            then(self, real)

    monkeypatch.setattr(stamping.Stamping, "_work", work)


def _inputs(root: pathlib.Path, parallel: bool) -> snapshot.Inputs:
    inputs = snapshot.Inputs(Archive(str(root / "records")), parallel)
    inputs.records  # noqa: B018 — every stamp taken
    return inputs


def _files(root: pathlib.Path) -> list[str]:
    return sorted(str(p) for p in (root / "records").rglob("*.yaml"))


def _entity_file(root: pathlib.Path) -> pathlib.Path:
    return sorted((root / "records" / "entities").glob("*.yaml"))[0]


def test_the_folders_but_the_entities_are_stamped_before_the_roster(archive, forking, monkeypatch):
    """`Inputs.quick` is known while the child may still stamp the entity folders: a change outside
    them starts the full run at once, and the key it then works out is still a full run's."""
    _child_only(monkeypatch)
    inputs = snapshot.Inputs(Archive(str(archive / "records")), True)
    assert forking == [1] and inputs.stamping is not None
    others = [node for node in inputs.listing.nodes if node.kind != "entity" and node.names]
    entities = [node for node in inputs.listing.nodes if node.kind == "entity" and node.names]
    assert others and entities and all(node.stats is not None for node in others)
    assert inputs.listing.pending == entities and all(node.stats is None for node in entities)
    assert inputs.quick == _inputs(archive, parallel=False).quick and inputs.records
    target = inspection_files(archive)[0]
    edit_time = os.stat(target).st_mtime_ns + 1_000_000
    os.utime(target, ns=(edit_time, edit_time))
    assert _inputs(archive, parallel=False).quick != inputs.quick


def test_a_changed_inspection_starts_the_full_run_before_the_roster_is_stamped(archive, forking, monkeypatch):
    """The replay says "changed" from `quick` alone, leaving the entity folders' stamps to the child;
    the full run then takes them (and its documents are as ever: the other tests here)."""
    from docgen import start

    time.sleep(0.1)
    assert run_docgen("build", cwd=archive).returncode == 0
    monkeypatch.chdir(archive)
    assert start.replayed(["build"], time.perf_counter()) == 0  # replayed, every stamp taken
    target = inspection_files(archive)[0]
    edit_time = os.stat(target).st_mtime_ns + 1_000_000
    os.utime(target, ns=(edit_time, edit_time))
    _child_only(monkeypatch)
    snapshot._handed.clear()
    assert start.replayed(["build"], time.perf_counter()) is None
    handed = snapshot._handed[0]
    assert handed.stamping is not None and handed.stamping.child is not None  # not waited for
    assert handed.records and handed.stamping is None  # taken when asked for
    snapshot._handed.clear()


def test_two_processes_take_the_stamps_one_process_takes(archive, forking):
    one = _inputs(archive, parallel=False)
    assert not forking
    two = _inputs(archive, parallel=True)
    assert forking == [1]
    assert two.records == one.records and two.racy == one.racy is False
    for path in _files(archive):  # what the record cache is handed: `cache.file_stamp`, exactly
        assert two.get(path) == one.get(path) == file_stamp(path), path
    assert all(node.fd is None and node.entries is None for node in two.listing.nodes)  # folders closed


def test_an_edit_in_place_in_a_file_the_child_stamped_is_seen(archive, forking, monkeypatch, capsys):
    """Same inode, size and modification time: only the change time moved, and only the child stat'ed it."""
    from docgen import start

    time.sleep(0.1)  # the copied files settled (`snapshot.RACY_NS` in the command)
    assert run_docgen("validate", cwd=archive).returncode == 0
    _child_only(monkeypatch)
    monkeypatch.chdir(archive)
    assert start.replayed(["validate"], time.perf_counter()) == 0 and forking
    target = _entity_file(archive)  # the entity folders are the child's (the others, the parent's)
    before = os.stat(target)
    text = target.read_bytes()
    at = text.index(b"name: ") + len(b"name: ")
    time.sleep(0.05)  # a later clock tick for the change time
    with open(target, "r+b") as handle:
        handle.write(text[:at] + b"Q" + text[at + 1:])
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (os.stat(target).st_size, os.stat(target).st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    capsys.readouterr()
    assert start.replayed(["validate"], time.perf_counter()) is None
    assert len(forking) == 2
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and target.name in result.stdout


@pytest.mark.parametrize("how", ["killed", "failed", "no fork"])
def test_a_child_that_fails_leaves_its_share_to_the_parent(archive, forking, monkeypatch, how):
    one = _inputs(archive, parallel=False)
    if how == "killed":  # after one chunk, as a kill -9 would
        def then(self, real):
            taken = os.read(self.claims, 1)
            self._stamp_chunk(taken[0])
            os.kill(os.getpid(), signal.SIGKILL)

        _child_only(monkeypatch, then)
    elif how == "failed":
        def then(self, real):
            raise RuntimeError("a bug in the child")

        _child_only(monkeypatch, then)
    else:
        def refuse():
            raise OSError("Resource temporarily unavailable")

        monkeypatch.setattr(os, "fork", refuse)
    two = _inputs(archive, parallel=True)
    assert two.records == one.records
    assert [two.get(path) for path in _files(archive)] == [file_stamp(path) for path in _files(archive)]


def test_a_number_past_64_bits_in_a_chunk_gives_the_folder_as_one_process_does(archive, forking, monkeypatch):
    """A chunk `pack` gives as a list (an inode number past 63 bits) is taken again with its whole folder."""
    target = str(_entity_file(archive))
    inode = os.stat(target).st_ino
    real = tree.pack

    def pack(entries):
        stamps = real(entries)
        return list(stamps) if any(e.inode() == inode for e in entries) else stamps

    monkeypatch.setattr(stamping, "pack", pack)
    monkeypatch.setattr(tree, "pack", pack)
    one = _inputs(archive, parallel=False)
    two = _inputs(archive, parallel=True)
    assert forking and two.records == one.records
    folder = next(node for node in two.listing.nodes if node.folder == os.path.dirname(target))
    assert isinstance(folder.stats, list) and two.get(target) == file_stamp(target)


def test_a_build_with_stamps_from_two_processes_equals_a_clean_build(archive, tmp_path, forking):
    """The full run is handed the child's stamps for the record cache; its documents are a clean build's."""
    from test_snapshot import _tree

    first = build(Archive(str(archive / "records")), str(archive / "output"))
    assert first.written and forking
    target = inspection_files(archive)[1]
    target.write_text(target.read_text(encoding="utf-8").replace("handling: ", "handling: 现场已整改；", 1),
                      encoding="utf-8")
    assert build(Archive(str(archive / "records")), str(archive / "output")).written
    again = build(Archive(str(archive / "records")), str(archive / "output"))
    assert not again.written and again.unchanged
    clean = tmp_path / "clean"
    shutil.copytree(archive / "records", clean / "records")
    build(Archive(str(clean / "records")), str(clean / "output"))
    assert _tree(archive / "output") == _tree(clean / "output")
