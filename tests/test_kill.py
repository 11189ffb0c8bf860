"""Issue 11: interrupted runs. `docgen build` and `docgen draw` killed with SIGKILL at random points
leave every file old or new and readable, the next run ends where a clean one does, no temporary
file survives the next run, and `validate` never passes a half-made draw. Also the pieces that make
this so: locked temporary files, their removal, and `docgen init`'s .gitignore."""

import fnmatch
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest
import yaml

from conftest import EXAMPLE, build_killed_before_manifest, run_docgen
from docgen import writer
from docgen.records.archive import Archive
from docgen.documents.build import JOURNAL
from docgen.records.check import check_archive

PLAN = "qa-2023-30"
SEED = "2023-10-31 福彩3D 开奖号码 527"
TRIALS = 20

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")


def working(name: str) -> bool:
    """docgen's files of a run in progress: temporary files, and the journal of documents a build writes."""
    return writer.is_temp_name(name) or name == JOURNAL


def files(root) -> dict[str, bytes]:
    """Every file under `root` but docgen's temporary ones, by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not working(p.name)}


def temps(root) -> list:
    return [p for p in root.rglob("*") if working(p.name)]


def start(*args, cwd) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "docgen", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def timed_run(*args, cwd) -> float:
    """Seconds one uninterrupted run takes here and now (to spread the kills over a run)."""
    began = time.perf_counter()
    process = start(*args, cwd=cwd)
    assert process.wait(timeout=600) == 0
    return time.perf_counter() - began


def leave_temps(*folders) -> None:
    """What a docgen killed while writing leaves: a half-written temporary file in each folder, made
    by a real process holding its lock, then killed."""
    script = ("import sys, time\nfrom docgen import writer\n"
              "for folder in sys.argv[1:]:\n    fd, tmp = writer._temp(folder)\n    writer.os.write(fd, b'PK half')\n"
              "print('ready', flush=True)\ntime.sleep(600)\n")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-c", script, *map(str, folders)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    process.stdout.close()


def kill_after(process: subprocess.Popen, delay: float) -> None:
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=600)


def readable(relpath: str, data: bytes) -> None:
    """A document opens as a zip whose members are intact; the manifest and caches are JSON."""
    if relpath.endswith((".docx", ".xlsx")):
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None, relpath
    elif relpath.endswith(".json"):
        json.loads(data)


# -- build -----------------------------------------------------------------------------------------

def restore(saved, root) -> None:
    """Put the saved archive back at `root`: always the same folder, so the record cache kept in
    `.docgen/` (by absolute path) stays valid and each run spends its time on the work itself."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(saved, root)


@pytest.fixture(scope="module")
def build_states(tmp_path_factory):
    """An archive built once and then edited (old outputs, new records), with temporary files an earlier
    killed run left, and what building it gives."""
    root = tmp_path_factory.mktemp("kill-build") / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    assert run_docgen("build", cwd=root).returncode == 0
    old = files(root / "output")
    for path, before, after in (("entities/org-007.yaml", "name: 迁安市阳光科技培训学校（示例）", "name: 迁安市阳光科技学校（示例）"),
                                (f"plans/{PLAN}.yaml", "title: 关于开展", "title: 关于组织开展")):
        target = root / "records" / path
        text = target.read_text(encoding="utf-8")
        assert before in text
        target.write_text(text.replace(before, after, 1), encoding="utf-8")
    assert run_docgen("validate", cwd=root).returncode == 0  # the record cache knows the edited records
    leave_temps(root / f"output/{PLAN}", root / "output", root / ".docgen/records", root / "records/entities")
    saved = root.parent / "saved"
    shutil.copytree(root, saved)
    assert len(temps(root)) == 4
    seconds = timed_run("build", cwd=root)
    new = files(root / "output")
    assert new != old and set(new) != set(old)  # documents change, some are renamed
    scratch = root.parent / "scratch"  # a build from nothing gives the same documents
    shutil.copytree(saved / "records", scratch / "records")
    assert run_docgen("build", cwd=scratch).returncode == 0
    assert {k: v for k, v in files(scratch / "output").items() if not k.startswith(".")} == \
        {k: v for k, v in new.items() if not k.startswith(".")}
    return root, saved, old, new, seconds


def test_build_killed_at_random_points(build_states):
    root, saved, old, new, seconds = build_states
    records = files(saved / "records")
    rng = random.Random(11)
    for trial in range(TRIALS):
        restore(saved, root)
        kill_after(start("build", cwd=root), rng.uniform(0.0, seconds))
        for relpath, data in files(root / "output").items():
            assert data in (old.get(relpath), new.get(relpath)), f"trial {trial}: {relpath} is neither old nor new"
            readable(relpath, data)
        for relpath, data in files(root / ".docgen").items():
            readable(relpath, data)
        assert files(root / "records") == records
        again = run_docgen("build", cwd=root)
        assert again.returncode == 0, f"trial {trial}: {again.stdout}{again.stderr}"
        assert files(root / "output") == new, f"trial {trial}: the next build differs from a clean one"
        assert temps(root) == [], f"trial {trial}: {temps(root)}"


def test_documents_of_a_build_killed_before_its_manifest_are_still_docgens(archive, monkeypatch):
    """A build killed after writing documents but before its manifest: once a record changes again,
    the next build must replace those documents, not take them for a clerk's edits and write beside."""
    assert run_docgen("build", cwd=archive).returncode == 0
    record = archive / f"records/inspections/{PLAN}/org-002.yaml"
    text = record.read_text(encoding="utf-8")
    assert "opinion: 认可检查结果，立即整改" in text
    record.write_text(text.replace("立即整改", "马上整改"), encoding="utf-8")
    build_killed_before_manifest(monkeypatch, archive)
    assert (archive / "output" / JOURNAL).exists()
    record.write_text(text.replace("立即整改", "当天整改"), encoding="utf-8")
    again = run_docgen("build", cwd=archive)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "被修改过" not in again.stdout and "docgen新生成" not in again.stdout, again.stdout
    out = archive / "output" / PLAN
    assert not list(out.glob("*docgen新生成*"))
    [document] = [p for p in out.glob("04_*.docx") if "育才体育" in p.name]
    import docx

    body = "".join(c.text for t in docx.Document(str(document)).tables for r in t.rows for c in r.cells)
    assert "当天整改" in body and "马上整改" not in body
    assert temps(archive) == []
    clean = archive / "clean"
    shutil.copytree(archive / "records", clean / "records")
    assert run_docgen("build", cwd=clean).returncode == 0
    assert files(archive / "output") == files(clean / "output")


# -- draw ------------------------------------------------------------------------------------------

def timed_draw(root) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a draw to its end: its outcome, how long it took and how long it wrote (from the moment its
    draw record appeared). Measured on every full draw, as the machine's load changes."""
    draw_record = root / f"records/draws/{PLAN}-draw-1.yaml"
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "docgen", "draw", PLAN, "--seed", SEED], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None and not draw_record.exists():
        time.sleep(0.0005)
    appeared = time.perf_counter()
    out, err = process.communicate(timeout=600)
    ended = time.perf_counter()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), ended - began, ended - appeared


@pytest.fixture(scope="module")
def draw_states(tmp_path_factory):
    """An archive ready for a draw of many entities (many files: many points to be killed at), with
    temporary files an earlier killed run left, and what that draw writes."""
    root = tmp_path_factory.mktemp("kill-draw") / "archive"
    shutil.copytree(EXAMPLE, root / "records")
    shutil.rmtree(root / f"records/inspections/{PLAN}")
    (root / f"records/draws/{PLAN}-draw-1.yaml").unlink()
    plan = root / f"records/plans/{PLAN}.yaml"
    text = plan.read_text(encoding="utf-8")
    assert "  A: 10\n  B: 15\n  C: 30\n" in text
    plan.write_text(text.replace("  A: 10\n  B: 15\n  C: 30\n", "  A: 50\n  B: 50\n  C: 100\n"), encoding="utf-8")
    assert run_docgen("validate", cwd=root).returncode == 0
    leave_temps(root / "records/draws", root / f"records/inspections/{PLAN}", root / ".docgen")
    before = files(root / "records")
    saved = root.parent / "saved"
    shutil.copytree(root, saved)
    assert len(temps(root)) == 3
    result, _seconds, _writing = timed_draw(root)
    assert result.returncode == 0, result.stderr
    after = files(root / "records")
    drawn = [k for k in after if k.startswith(f"inspections/{PLAN}/")]
    assert len(drawn) > 20
    return root, saved, before, after


def draw_state(root, before, after) -> str:
    """'unchanged', 'complete' or 'unfinished'; fails on anything else (a file neither old nor new,
    a record that does not parse, inspection records without an unfinished draw record)."""
    now = files(root / "records")
    for relpath, data in now.items():
        yaml.safe_load(data)
        if relpath in before:
            assert data == before[relpath], relpath
        else:
            assert relpath in after, f"{relpath} should not exist"
    draw = f"draws/{PLAN}-draw-1.yaml"
    if now == before:
        return "unchanged"
    if now == after:
        return "complete"
    assert draw in now, "inspection records were written before the draw record"
    assert yaml.safe_load(now[draw])["status"] == "in-progress"
    for relpath, data in now.items():
        assert data == after.get(relpath, before.get(relpath)) or relpath == draw
    return "unfinished"


def test_draw_killed_at_random_points(draw_states):
    root, saved, before, after = draw_states
    restore(saved, root)
    _result, seconds, writing = timed_draw(root)
    rng = random.Random(11)
    seen = []
    for trial in range(TRIALS):
        restore(saved, root)
        process = start("draw", PLAN, "--seed", SEED, cwd=root)
        if trial % 2:  # anywhere in the run (a little past its usual end too)
            kill_after(process, rng.uniform(0.0, 1.1 * seconds))
        else:  # while it writes: after its draw record appeared
            journal = root / f"records/draws/{PLAN}-draw-1.yaml"
            while process.poll() is None and not journal.exists():
                time.sleep(0.0005)
            kill_after(process, rng.uniform(0.0, writing))
        state = draw_state(root, before, after)
        seen.append(state)
        checked = check_archive(Archive(str(root / "records")))
        unfinished = [p for p in checked.errors if "抽取未完成" in p.message]
        if state == "unfinished":
            assert unfinished and unfinished[0].path.endswith(f"draws/{PLAN}-draw-1.yaml")
            assert f"docgen draw {PLAN} --resume" in unfinished[0].message
        else:
            assert not checked.errors, f"trial {trial}: {checked.errors[:3]}"
        again, took, wrote = timed_draw(root)
        assert again.returncode == (2 if state == "complete" else 0), again.stderr
        if state == "unchanged":
            seconds, writing = took, wrote
        assert files(root / "records") == after, f"trial {trial} ({state}): the next draw differs from a clean one"
        assert temps(root) == [], f"trial {trial}: {temps(root)}"
    assert "unfinished" in seen, seen  # the kills did land inside the writing


def test_interrupted_draw_rolled_back_by_the_clerk(draw_states):
    root, saved, before, after = draw_states
    restore(saved, root)
    _result, _seconds, writing = timed_draw(root)
    for attempt in range(20):  # until a kill lands between the draw record and its completion
        restore(saved, root)
        journal = root / f"records/draws/{PLAN}-draw-1.yaml"
        process = start("draw", PLAN, "--seed", SEED, cwd=root)
        while process.poll() is None and not journal.exists():
            time.sleep(0.0005)
        kill_after(process, writing * attempt / 40)
        if draw_state(root, before, after) == "unfinished":
            break
    else:
        pytest.fail("no kill landed inside the draw's writing")
    back = run_docgen("draw", PLAN, "--rollback", cwd=root)
    assert back.returncode == 0, back.stderr
    assert files(root / "records") == before and temps(root) == []


# -- temporary files -------------------------------------------------------------------------------

@pytest.mark.skipif(writer.fcntl is None, reason="POSIX advisory locks")
def test_only_abandoned_temporary_files_are_removed(tmp_path):
    left = tmp_path / "a" / ".docgen-left.tmp"
    left.parent.mkdir()
    left.write_bytes(b"half")
    busy = tmp_path / ".docgen-busy.tmp"
    busy.write_bytes(b"being written")
    others = [tmp_path / "notes.tmp", tmp_path / ".docgen-manifest.json", tmp_path / "docgen-x.tmp"]
    for path in others:
        path.write_bytes(b"mine")
    folder_named_so = tmp_path / "a" / ".docgen-folder.tmp"  # a folder, not a file docgen wrote
    folder_named_so.mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / ".docgen-theirs.tmp").write_bytes(b"not under the folder swept")
    (tmp_path / "linked").symlink_to(outside, target_is_directory=True)  # links are not followed
    with open(busy, "rb") as handle:
        writer.fcntl.flock(handle.fileno(), writer.fcntl.LOCK_EX)  # as a running docgen holds it
        removed = writer.remove_stale_temps(str(tmp_path))
    assert removed == [str(left)] and not left.exists()
    assert busy.exists() and all(p.exists() for p in others)
    assert folder_named_so.is_dir() and (outside / ".docgen-theirs.tmp").exists()
    assert writer.remove_stale_temps(str(tmp_path)) == [str(busy)]


def test_a_build_removes_the_temporary_files_its_listing_of_records_saw(archive):
    """Issue 16: records/ is not read a second time for them (`tree.Scan.temps`), in a folder of
    records only, one with other files, a subfolder, or records/ itself; a folder named so stays."""
    records = archive / "records"
    (records / "entities" / "sub").mkdir()
    (records / "entities" / "sub" / "org-900.yaml").write_text((records / "entities" / "org-001.yaml").read_text(
        encoding="utf-8").replace("id: org-001", "id: org-900"), encoding="utf-8")
    left = [records / "entities" / ".docgen-a.tmp", records / "entities" / "sub" / ".docgen-b.tmp",
            records / "departments" / ".docgen-c.tmp", records / ".docgen-d.tmp"]
    for path in left:
        path.write_bytes(b"half")
    (records / "plans" / ".docgen-folder.tmp").mkdir()
    (records / "plans" / "notes.tmp").write_bytes(b"mine")
    assert run_docgen("build", cwd=archive).returncode in (0, 1)
    assert not any(path.exists() for path in left)
    assert (records / "plans" / ".docgen-folder.tmp").is_dir() and (records / "plans" / "notes.tmp").exists()


def test_records_that_lead_elsewhere_are_not_tidied_from_a_listing_either(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    theirs = elsewhere / ".docgen-theirs.tmp"
    theirs.write_bytes(b"not the archive's")
    (tmp_path / "records").symlink_to(elsewhere, target_is_directory=True)
    assert writer.remove_listed_temps(str(tmp_path / "records"), []) == []
    assert writer.remove_stale_temps(str(tmp_path / "records")) == []
    assert theirs.exists()


def test_a_write_whose_temporary_file_was_taken_is_made_again(tmp_path, monkeypatch):
    """Another run may remove a temporary file in the instant before it is locked: the write still happens."""
    real = writer._temp
    taken = []

    def raced(folder):
        fd, tmp = real(folder)
        if not taken:
            taken.append(tmp)
            os.unlink(tmp)
        return fd, tmp

    monkeypatch.setattr(writer, "_temp", raced)
    target = tmp_path / "out.docx"
    writer.write_atomic(str(target), b"new bytes")
    assert taken and target.read_bytes() == b"new bytes" and temps(tmp_path) == []
    writer.write_new(str(tmp_path / "new.yaml"), b"a: 1\n")
    with pytest.raises(FileExistsError):
        writer.write_new(str(tmp_path / "new.yaml"), b"a: 2\n")
    assert (tmp_path / "new.yaml").read_bytes() == b"a: 1\n" and temps(tmp_path) == []


def test_a_concurrent_run_keeps_its_temporary_files(build_states):
    """While a build writes, another run's clean-up goes over the same folders again and again."""
    root, saved, _old, new, _seconds = build_states
    restore(saved, root)
    process = start("build", cwd=root)
    sweeps = 0
    while process.poll() is None:
        writer.remove_stale_temps(str(root))
        sweeps += 1
    assert process.wait() == 0 and sweeps > 1
    assert files(root / "output") == new and temps(root) == []


def test_init_gitignore_covers_temporary_files(tmp_path):
    result = run_docgen("init", "office", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    patterns = [line for line in (tmp_path / "office/.gitignore").read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
    for name in (".docgen-k2x9a1b.tmp", ".docgen-manifest.json.tmp", JOURNAL):
        assert any(fnmatch.fnmatch(name, p) for p in patterns), name
    for name in ("02_告知书_x.docx", "org-001.yaml", ".docgen-manifest.json"):
        assert not any(fnmatch.fnmatch(name, p) for p in patterns), name
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q"], cwd=tmp_path / "office", check=True)
        (tmp_path / "office/output").mkdir(exist_ok=True)
        (tmp_path / "office/output/.docgen-abc.tmp").write_bytes(b"x")
        ignored = subprocess.run(["git", "check-ignore", "-q", "output/.docgen-abc.tmp"], cwd=tmp_path / "office")
        assert ignored.returncode == 0
