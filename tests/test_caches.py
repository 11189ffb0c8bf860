"""The caches that make a one-record rebuild fast: they only ever save time, never change a result."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from conftest import check, edit, inspection_files, run_docgen
from docgen import usercache

def _folder(shard: bytes) -> str:
    """The record folder a shard of the record cache is about (shards are signed: {"mac", "value"})."""
    return json.loads(shard)["value"]["folder"]


def _problems(root):
    return sorted((p.path.split("records")[-1], p.line, p.column, p.message) for p in check(root).problems)


def _break_a_date(root):
    target = inspection_files(root)[0]
    text = target.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.strip().startswith(("visit:", "completed:")))
    edit(target, old, old.split(":")[0] + ": 2023-02-30")
    return target


def test_validators_from_the_user_cache_give_the_same_verdicts(archive, tmp_path, monkeypatch):
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(cache))
    _break_a_date(archive)
    first = _problems(archive)
    assert any("2023-02-30" in p[3] for p in first)
    assert list(cache.glob("*.code")), "compiled validators are kept"
    shutil.rmtree(archive / ".docgen")  # the record cache would answer without any validator
    assert _problems(archive) == first
    # a later process takes the validator from the cache and never imports fastjsonschema
    shutil.rmtree(archive / ".docgen")
    probe = ("import sys; from docgen.records.archive import Archive; from docgen.records.check import check_archive;"
             f"c = check_archive(Archive({str(archive / 'records')!r}));"
             "print(len([p for p in c.problems if p.is_error]), 'fastjsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={**os.environ, "DOCGEN_CACHE_DIR": str(cache)}, check=True).stdout.split()
    assert out == [str(len(check(archive).errors)), "False"]


def test_damaged_or_foreign_cache_entries_are_not_used(archive, tmp_path, monkeypatch):
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(cache))
    _break_a_date(archive)
    expected = _problems(archive)
    entries = list(cache.glob("*.code"))
    assert entries
    for entry in entries:
        entry.write_bytes(b"\x00garbage, not marshal data")
    shutil.rmtree(archive / ".docgen")
    assert _problems(archive) == expected  # rebuilt from the schema, and written again
    assert all(usercache.load_code(e.stem) is not None for e in entries)
    if hasattr(os, "getuid"):
        for entry in entries:
            entry.chmod(0o666)  # writable by others: somebody else may have put code there
        assert all(usercache.load_code(e.stem) is None for e in entries)
        shutil.rmtree(archive / ".docgen")
        assert _problems(archive) == expected


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(shared))
    assert usercache.folder() is None
    usercache.store_code("x", compile("1", "<t>", "eval"))
    assert list(shared.iterdir()) == []


def test_empty_cache_setting_turns_the_user_cache_off(archive, tmp_path):
    _break_a_date(archive)
    home = tmp_path / "home"
    result = run_docgen("validate", cwd=archive, env={"DOCGEN_CACHE_DIR": "", "HOME": str(home),
                                                     "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert result.returncode == 1
    assert "2023-02-30" in result.stdout + result.stderr
    assert not home.exists() and not (tmp_path / "xdg").exists()
    # without a key of the user's own, the archive's cache could not be told from a forgery
    assert not (archive / ".docgen").exists()


def test_build_keeps_compiled_templates_and_rebuilds_identically(archive, tmp_path):
    cache = tmp_path / "user-cache"
    env = {"DOCGEN_CACHE_DIR": str(cache)}
    assert run_docgen("build", cwd=archive, env=env).returncode == 0
    assert list(cache.glob("__jinja2_*.cache")), "Jinja bytecode is kept"
    first = {p.relative_to(archive): p.read_bytes() for p in (archive / "output").rglob("*.docx")}
    assert run_docgen("build", "--force", cwd=archive, env=env).returncode == 0
    again = {p.relative_to(archive): p.read_bytes() for p in (archive / "output").rglob("*.docx")}
    assert again == first
    from jinja2.bccache import bc_magic

    for entry in cache.glob("__jinja2_*.cache"):  # damaged entries are compiled again, not trusted
        entry.write_bytes(bc_magic + b"\x80\x05damaged")  # the checksum pickle no longer loads
    result = run_docgen("build", "--force", cwd=archive, env=env)
    assert result.returncode == 0, result.stderr
    assert {p.relative_to(archive): p.read_bytes() for p in (archive / "output").rglob("*.docx")} == first


def test_editing_one_inspection_rewrites_only_its_folders_record_cache(archive):
    assert run_docgen("build", cwd=archive).returncode == 0
    shards = archive / ".docgen" / "records"
    before = {p.name: p.read_bytes() for p in shards.glob("*.json")}
    folders = {_folder(b) for b in before.values()}
    assert any(f.endswith(os.path.join("inspections", "qa-2023-30")) for f in folders)
    assert any(f.endswith("entities") for f in folders)
    target = inspection_files(archive)[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n# 记录员补记\n", encoding="utf-8")
    assert run_docgen("build", cwd=archive).returncode == 0
    after = {p.name: p.read_bytes() for p in shards.glob("*.json")}
    changed = {_folder(after[n]) for n in after if before.get(n) != after[n]}
    assert changed == {str(target.parent)}
    # a damaged shard only costs time
    victim = next(p for p in shards.glob("*.json") if _folder(p.read_bytes()).endswith("entities"))
    victim.write_text("{not json", encoding="utf-8")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0 and "没有变化" in result.stdout
    # no entity changed: the roster was taken as kept (`kept_roster`); when one does, its shard is
    # read again, and the damaged one made anew
    entity = sorted((archive / "records" / "entities").glob("*.yaml"))[0]
    entity.write_text(entity.read_text(encoding="utf-8") + "\n# 记录员补记\n", encoding="utf-8")
    assert run_docgen("build", cwd=archive).returncode == 0
    assert _folder(victim.read_bytes()).endswith("entities")


def _warnings(root):
    return sorted((p.path, p.line, p.column, p.message) for p in check(root).problems if not p.is_error)


def test_positions_of_warnings_are_remembered_and_follow_edits(archive, monkeypatch):
    first = _warnings(archive)
    assert first, "the example archive has overdue warnings"
    assert _warnings(archive) == first  # this run finds the positions again and keeps them

    import docgen.records.archive

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged record was parsed again")

    monkeypatch.setattr(docgen.records.archive, "positioned", no_parsing)
    assert _warnings(archive) == first
    monkeypatch.undo()

    path, line = first[0][0], first[0][1]
    target = pathlib.Path(path) if os.path.isabs(path) else pathlib.Path.cwd() / path
    target.write_text("# 记录员补记\n# 第二行\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    moved = [w for w in _warnings(archive) if w[0] == path and w[3] == first[0][3]]
    assert moved and moved[0][1] == line + 2


def test_archive_cache_entries_are_signed_for_their_place_only(tmp_path, monkeypatch):
    from docgen.cache import read_json, write_json

    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "user-cache"))
    first, second = tmp_path / ".docgen" / "templates" / "a.json", tmp_path / ".docgen" / "templates" / "b.json"
    write_json(str(first), {"value": "A"})
    write_json(str(second), {"value": "B"})
    assert read_json(str(first)) == {"value": "A"} and read_json(str(second)) == {"value": "B"}
    shutil.copyfile(first, second)  # a genuine entry under another entry's name
    assert read_json(str(second)) is None
    first.write_bytes(first.read_bytes().replace(b'"A"', b'"Z"'))
    assert read_json(str(first)) is None
    assert (tmp_path / ".docgen" / ".gitignore").read_bytes() == b"*\n"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_the_signing_key_is_private_and_made_once(tmp_path, monkeypatch):
    from docgen.cache import read_json, write_json

    folder = tmp_path / "user-cache"
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(folder))
    key = usercache.secret()
    path = folder / usercache.SECRET_NAME
    assert key is not None and len(key) == 32 and path.read_bytes() == key
    assert path.stat().st_mode & 0o777 == 0o600
    entry = tmp_path / ".docgen" / "output-hashes.json"
    write_json(str(entry), {"x": 1})
    # a key others can read could sign forgeries: neither used nor replaced
    path.chmod(0o644)
    usercache._secrets.clear()
    assert usercache.secret() is None and path.read_bytes() == key
    assert read_json(str(entry)) is None
    path.chmod(0o600)
    usercache._secrets.clear()
    assert usercache.secret() == key and read_json(str(entry)) == {"x": 1}


def test_a_large_folder_is_cached_in_shards_and_an_edit_rewrites_one(archive, monkeypatch):
    """Issue 16: a folder of many records (a county's roster) is kept in many small shards, so that
    an edit writes a few entries rather than all; growing past the limit and shrinking back below it
    leaves one consistent layout, and every verdict is the same as without the cache."""
    from docgen.cache import RecordCache

    monkeypatch.setattr(RecordCache, "SPLIT_AT", 5)
    monkeypatch.setattr(RecordCache, "BUCKETS", 8)
    expected = _problems(archive)
    shards = archive / ".docgen" / "records"
    entities = str(archive / "records" / "entities")

    def entity_shards():
        return {p.name: p.read_bytes() for p in shards.glob("*.json") if _folder(p.read_bytes()) == entities}

    before = entity_shards()
    assert len(before) > 1
    stored = [json.loads(b)["value"] for b in before.values()]
    assert all(RecordCache._bucket(path) == s["bucket"] for s in stored for path in s["files"])
    assert sum(len(s["files"]) for s in stored) == len(list((archive / "records" / "entities").glob("*.yaml")))
    target = sorted((archive / "records" / "entities").glob("*.yaml"))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n# 补记\n", encoding="utf-8")
    assert _problems(archive) == expected
    after = entity_shards()
    assert set(after) == set(before)
    assert [n for n in after if after[n] != before[n]] == [RecordCache._shard_name(entities, RecordCache._bucket(str(target)))]
    monkeypatch.setattr(RecordCache, "SPLIT_AT", 10_000)  # below the limit again: one shard
    target.write_text(target.read_text(encoding="utf-8") + "# 再补记\n", encoding="utf-8")
    assert _problems(archive) == expected
    assert list(entity_shards()) == [RecordCache._shard_name(entities)]
    shutil.rmtree(archive / ".docgen")
    assert _problems(archive) == expected


def test_a_killed_runs_temporary_files_in_the_user_cache_are_tidied(tmp_path, monkeypatch):
    """A run killed while storing compiled code leaves a temporary file; the next store removes it,
    and nothing else (an entry, or a file that is not docgen's)."""
    base = tmp_path / "cache"
    base.mkdir(mode=0o700)
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(base))
    usercache.store_code("kept", compile("1", "<t>", "eval"))
    left = base / ".docgen-abandoned.tmp"
    left.write_bytes(b"half a code object")
    other = base / "notes.txt"
    other.write_text("mine")
    usercache.store_code("new", compile("2", "<t>", "eval"))
    assert not left.exists()
    assert sorted(p.name for p in base.iterdir() if p.suffix != ".key" and not p.name.startswith(".key")) == \
        ["kept.code", "new.code", "notes.txt"]
    assert eval(usercache.load_code("kept")) == 1
