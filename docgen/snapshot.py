"""Skip a whole run when nothing it reads has changed since the last one: the archive in one digest.

A county's archive holds 100,000 record files. Parsing, checking and planning them costs seconds
even with the record cache; a `build` or `validate` in which nothing changed should cost what
listing and stat'ing the files costs, as `git status` does. A run takes the stat stamp (mtime,
size, inode) of every file it reads — records, schemas, templates — and, for a build, of every
file in the output folder and of the folders it and its caches write to, and hashes them with
docgen's own source, the options and the date into one key. Once a run has finished, what it
printed is kept under that key (`.docgen/runs/`); the next run whose key is the same prints it
again without reading a record.

What the rules in docs/caches.md ask of every cache holds here too: the entry is signed with the
user's key (`cache.read_json`, `write_json`), so only this user's docgen is believed; the stamps
stand for the bytes the earlier run read (its record-cache entries were bound to their SHA-256),
as for the record cache, and a stamp is only taken as such when the file was not modified in the
instant before it was read (a second edit in the same clock tick could keep its stamp: "racy git").
A build is remembered only when it finished cleanly with nothing a second run would say
differently (no failures, conflicts, --force or --pdf), so the replay is what a real no-op prints.
"""

from __future__ import annotations

import hashlib
import os
import time

from docgen.cache import CACHE_DIR, code_digest, read_json, write_json

FOLDER = "runs"
RACY_NS = 50_000_000  # a file modified less than this before the run looked at it is not trusted by stamp


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def _stat_or_none(path: str):
    try:
        return os.stat(path)
    except OSError:
        return None


def _folder_files(folder: str) -> list[str]:
    """Every file under `folder` (sorted, with stamps): the schemas, templates or outputs a run reads."""
    lines = [f"{folder}\0{_stamp(folder)}"]
    if not os.path.isdir(folder):
        return lines
    for top, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(top, name)
            lines.append(f"{path}\0{_stamp(path)}")
        for name in dirs:
            path = os.path.join(top, name)
            lines.append(f"{path}/\0{_stamp(path)}")  # a temporary file written and renamed shows here
    return lines


class Inputs:
    """The stamps of an archive's records, taken once per run before anything is read.

    The walk and stamps are handed to `Archive.load` (`archive.walked`), which therefore neither
    walks nor stats the files a second time."""

    def __init__(self, archive):
        self.archive = archive
        started = time.time_ns()
        found, problems, refused = archive.walk(case=False)  # `load` adds the case check, a function of `found`
        archive.walked = (list(found), list(problems), list(refused))
        paths = [path for _kind, path in found]
        stats = list(map(_stat_or_none, paths))
        rows = [(p, s.st_mtime_ns, s.st_size, s.st_ino) if s is not None else (p,) for p, s in zip(paths, stats)]
        self.paths, self.rows = paths, rows
        archive.stamps = self  # `stamp(path)` for the record cache, made when a full run needs it
        self._stamps = None
        self.racy = any(s is not None and s.st_mtime_ns >= started - RACY_NS for s in stats)
        digest = hashlib.sha256(repr(rows).encode("utf-8", "surrogateescape"))
        digest.update("\n".join(map(str, problems)).encode("utf-8", "surrogateescape"))
        digest.update(repr(refused).encode("utf-8", "surrogateescape"))
        self.records = digest.hexdigest()
        self.folders = sorted({path.rpartition(os.sep)[0] for path in paths})
        self.schemas = _folder_files(archive.schemas_dir)

    def get(self, path: str) -> list[int] | None:
        """The stamp taken of a record file, as `cache.file_stamp` gives it (dict-like for `Archive.load`)."""
        if self._stamps is None:
            self._stamps = {row[0]: list(row[1:]) for row in self.rows if len(row) == 4}
        return self._stamps.get(path)

    def release(self) -> None:
        """Let the per-file stamps go once the records are loaded (the key needs only the digest)."""
        self.paths = self.rows = self._stamps = None

    def common(self, today) -> list[str]:
        from docgen import __version__
        import sys

        return [__version__, code_digest().hex(), sys.version, os.getcwd(), self.archive.records_dir,
                self.records, *self.schemas, str(today)]


def _path(archive, name: str) -> str:
    return os.path.join(archive.root, CACHE_DIR, FOLDER, name + ".json")


def _key(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _problems(stored) -> list | None:
    from docgen.records.problems import Problem

    try:
        return [Problem(str(p), int(line), int(column), str(message), str(severity))
                for p, line, column, message, severity in stored]
    except (TypeError, ValueError):
        return None


def _rows(problems) -> list:
    return [[p.path, p.line, p.column, p.message, p.severity] for p in problems]


# -- validate: the problems and the number of records ------------------------------------------
def check_key(inputs: Inputs, today) -> str:
    return _key(["check", *inputs.common(today)])


def replay_check(archive, today):
    """(problems, number of records) of the last check when nothing it read has changed, else None;
    the stamps taken are left on `archive` for the full check (`check_archive` takes them)."""
    inputs = archive.inputs = Inputs(archive)
    stored = read_json(_path(archive, "check"))
    if not isinstance(stored, dict) or stored.get("key") != check_key(inputs, today):
        return None
    problems = _problems(stored.get("problems"))
    count = stored.get("records")
    if problems is None or not isinstance(count, int):
        return None
    return problems, count


def remember_check(inputs: Inputs, today, problems, count: int) -> None:
    if inputs.racy:
        return
    archive = inputs.archive
    _ensure_folder(archive)
    write_json(_path(archive, "check"), {"key": check_key(inputs, today), "problems": _rows(problems),
                                         "records": count})


def _ensure_folder(archive) -> None:
    """Made before the run's final stamps are taken (making it changes `.docgen/`'s own); not at all
    without a key to sign with (nothing would be written)."""
    from docgen import usercache
    from docgen.cache import in_own_cache

    folder = os.path.join(archive.root, CACHE_DIR, FOLDER)
    if usercache.secret() is not None and in_own_cache(os.path.join(folder, "x.json")):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError:
            pass


# -- build: also the templates, the options and everything in the output folder ----------------
def build_key(inputs: Inputs, today, templates_dir: str, out_dir: str, options: list[str]) -> str:
    archive = inputs.archive
    cache = os.path.join(archive.root, CACHE_DIR)
    # folders a build writes to (or an interrupted one left a temporary file in): their own stamps
    # and the archive's caches, so that a damaged entry is made again by the next build
    written = [f"{f}\0{_stamp(f)}" for f in (*inputs.folders, cache)]
    return _key(["build", *inputs.common(today), *_folder_files(templates_dir), out_dir, *options, *written,
                 *_folder_files(os.path.join(cache, "records")), *_folder_files(os.path.join(cache, "templates")),
                 *_folder_files(out_dir)])


def replay_build(archive, today, templates_dir: str, out_dir: str, options: list[str]):
    """(problems, notes, number of documents) of the last build when nothing it read or wrote has
    changed since, else None (the stamps taken are left on `archive` for the full build)."""
    inputs = archive.inputs = Inputs(archive)
    stored = read_json(_path(archive, "build"))
    if not isinstance(stored, dict) or stored.get("key") != build_key(inputs, today, templates_dir, out_dir, options):
        return None
    problems = _problems(stored.get("problems"))
    notes, count = stored.get("notes"), stored.get("documents")
    if problems is None or not isinstance(notes, list) or not all(isinstance(n, str) for n in notes) \
            or not isinstance(count, int):
        return None
    return problems, notes, count


def remember_build(inputs: Inputs, today, templates_dir: str, out_dir: str, options: list[str], problems,
                   notes: list[str], count: int) -> None:
    """Called once a build has written everything (manifest, caches): the stamps are the final ones."""
    if inputs.racy:
        return
    archive = inputs.archive
    _ensure_folder(archive)
    write_json(_path(archive, "build"), {"key": build_key(inputs, today, templates_dir, out_dir, options),
                                         "problems": _rows(problems), "notes": notes, "documents": count})
