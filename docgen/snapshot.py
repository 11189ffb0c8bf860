"""Skip a whole run when nothing it reads has changed since the last one: the archive in one digest.

A county's archive holds 100,000 record files. Parsing, checking and planning them costs seconds
even with the record cache; a `build` or `validate` in which nothing changed should cost what
listing and stat'ing the files costs, as `git status` does. A run takes the stat stamp (mtime,
size, inode, ctime: `cache.stamp_of`) of every file it reads — records, schemas, templates — and,
for a build, of every file in the output folder and of the folders it and its caches write to, and hashes them with
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

Every file is stat'ed on every run, none skipped: an edit in place changes no folder's stamp. What
that costs is the system call (about 4 µs a file on a small virtual machine); around it, nothing is
made per file but what `os.stat` makes: names are kept as the directory lists them, stat'ed from
their directory entries relative to their folder's descriptor, and hashed as packed arrays of
numbers. The big folders' files are stat'ed by two processes when there are many
(`docgen.records.stamping`), while this one takes the other stamps a build's key needs (templates,
caches, the output folder) and reads the last run; the records' digest waits for them only when
it is asked for (`Inputs.records`). The key's parts come in the order the walk yields them: a
different order only makes a full run. Asked first by `docgen.start`, before click is imported.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array

from docgen.cache import CACHE_DIR, code_digest, read_json, write_json
from docgen.records.stamping import Stamping
from docgen.records.tree import LIST_BY_FD, newest_of, pack, scan, stamps_by_path

FOLDER = "runs"
RACY_NS = 50_000_000  # a file modified less than this before the run looked at it is not trusted by stamp
_handed: list = []  # the stamps `docgen.start` took before a full run, for that run (`Inputs.of`)


def _stamp(path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}:{st.st_ctime_ns}"


def _fold(digest, folder: str, names: list[str], stamps) -> None:
    """Add a folder's names and their packed stamps (`tree.pack`) to `digest`, as numbers rather than text."""
    _fold_names(digest, folder, names)
    _fold_stamps(digest, stamps)


def _fold_names(digest, folder: str, names: list[str]) -> None:
    digest.update(f"{folder}\0{len(names)}\0".encode("utf-8", "surrogateescape"))
    digest.update("\0".join(names).encode("utf-8", "surrogateescape"))


def _fold_stamps(digest, stamps) -> None:
    if isinstance(stamps, array):
        digest.update(stamps)
    elif stamps:  # a number past 64 bits: as text then
        digest.update(repr(stamps).encode())


def _tree(folder: str) -> str:
    """Every file and folder under `folder` with its stamp, in one digest: the schemas, templates,
    caches or outputs a run reads. The directory's own order (a change of it is a change)."""
    digest = hashlib.sha256(_stamp(folder).encode())
    if os.path.isdir(folder):
        _fold_tree(digest, folder)
    return f"{folder}\0{digest.hexdigest()}"


def _fold_tree(digest, folder: str) -> None:
    fd = None
    try:
        if LIST_BY_FD:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        with os.scandir(folder if fd is None else fd) as listing:
            entries = list(listing)
        _fold(digest, folder, [entry.name for entry in entries], pack(entries))
    except OSError:
        digest.update(b"\0?")
        return
    finally:
        if fd is not None:
            os.close(fd)
    for entry in entries:  # a temporary file written and renamed shows in its folder's stamp
        if entry.is_dir(follow_symlinks=False):  # not into linked folders, as `os.walk`
            _fold_tree(digest, folder + os.sep + entry.name)


class Inputs:
    """The stamps of an archive's records and schemas, taken once per run before anything is read.

    `archive` needs only `records_dir`, `root` and `schemas_dir` (`docgen.start` passes its own);
    `Inputs.of` hands the listing and stamps to `Archive.load` (`archive.walked`, `archive.stamps`),
    which therefore neither walks nor stats the files a second time."""

    def __init__(self, archive, parallel: bool = True):
        self.archive = archive
        self.records_dir, self.schemas_dir = archive.records_dir, archive.schemas_dir
        if not os.path.isdir(self.records_dir):
            archive.walk()  # says so, in the clerk's words
        self.started = time.time_ns()
        self.listing = scan(self.records_dir, archive.root, stamps=True)
        self.folders = [node.folder for node in self.listing.nodes if node.names]
        # the big entity folders' stamps are taken meanwhile, in a child too when worthwhile; `records`
        # waits. The other folders' are taken here at once: an edit is nearly always among them
        # (`quick`), and then the full run need not wait for the roster's stamps to begin
        pending = self.listing.pending
        self.listing.pending = [node for node in pending if node.kind == "entity"]
        self.stamping = Stamping(self.listing.pending, parallel)
        for node in pending:
            if node.kind != "entity":
                try:
                    node.stats = pack(node.entries)
                finally:
                    node.close()
                    node.entries = None
        self.quick = self._quick()
        self._records = None
        self._racy = False
        self.schemas = _tree(self.schemas_dir)
        self.keys: dict = {}  # keys worked out from these stamps (`replay_build`)
        self.temps: list[str] | None = None  # docgen's temporary files the listing saw (kept by `release`)
        self._stamps = None

    def _quick(self) -> str:
        """The digest of every folder of records/ but the entities': their names and stamps, as the
        records' digest folds them. When it differs from the last run's, so does that digest (it
        holds all of this), and the run is known to be a full one before the roster is stamped."""
        digest = hashlib.sha256()
        for node in self.listing.nodes:
            if node.kind != "entity" and node.names:
                _fold(digest, node.folder, node.names, node.stats)
        return digest.hexdigest()

    @property
    def records(self) -> str:
        """The digest of records/: every folder's names and stamps, in the order listed (any change
        of that order only costs a full run)."""
        if self._records is None:
            self._finish()
        return self._records

    @property
    def racy(self) -> bool:
        """Whether a record file was modified too shortly before its stamp was taken (`RACY_NS`)."""
        self.records
        return self._racy

    def _finish(self) -> None:
        stamped = set(map(id, self.listing.pending))
        listed = [node for node in self.listing.nodes if node.names]
        digest = hashlib.sha256()
        for node in listed:  # the names first, while the child may still be stamping
            _fold_names(digest, node.folder, node.names)
        newest = self.stamping.finish()
        self.stamping = None
        for node in listed:
            _fold_stamps(digest, node.stats)
            if id(node) not in stamped:  # the newest of those came with them
                newest = max(newest, newest_of(node.stats))
        digest.update(repr(self.listing.issues).encode("utf-8", "surrogateescape"))
        digest.update(repr(self.listing.refused).encode("utf-8", "surrogateescape"))
        self.listing.pending = []
        self._records = digest.hexdigest()
        self._racy = newest >= self.started - RACY_NS

    @classmethod
    def of(cls, archive) -> "Inputs":
        """The stamps `docgen.start` took in this process for this archive, else new ones; handed to
        `archive` for its `load`."""
        inputs = _handed.pop() if _handed else None
        if inputs is None or (inputs.records_dir, inputs.schemas_dir) != (archive.records_dir, archive.schemas_dir):
            inputs = cls(archive)
        inputs.archive = archive
        archive.walked = inputs.listing
        archive.stamps = inputs  # `get(path)` for the record cache, made when a full run needs it
        return inputs

    def get(self, path: str) -> list[int] | None:
        """The stamp taken of a record file, as `cache.file_stamp` gives it (dict-like for `Archive.load`)."""
        if self._stamps is None:
            self.records  # every stamp taken
            for node in self.listing.nodes:
                node.entries = None  # a full run: their memory is wanted for the records
            self._stamps = stamps_by_path(self.listing.nodes)
        return self._stamps.get(path)

    def release(self) -> None:
        """Let the per-file stamps go once the records are loaded (the key needs only the digest)."""
        self.records  # every stamp taken (the child, if any, waited for)
        self.temps = self.listing.temps if self.listing is not None else None
        self.listing = self._stamps = None

    def common(self, today) -> list[str]:
        """What every remembered run depends on besides its own options; `today` is the day deadlines
        are judged by (validate --as-of), the clock's own day is there too (dates after it are errors)."""
        import datetime as dt
        import sys

        from docgen import __version__

        return [__version__, code_digest().hex(), sys.version, os.getcwd(), self.records_dir,
                self.records, self.schemas, str(today), str(dt.date.today())]


def hand_over(inputs: Inputs) -> None:
    """Keep stamps taken by `docgen.start` for the full run that follows in this process."""
    _handed[:] = [inputs]


def _path(archive, name: str) -> str:
    return os.path.join(archive.root, CACHE_DIR, FOLDER, name + ".json")


def _key(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _changed(stored, inputs: Inputs) -> bool:
    """Whether a record file outside the entity folders changed since the last run (`Inputs.quick`):
    then its key differs too, known without waiting for the roster's stamps."""
    return isinstance(stored, dict) and stored.get("quick") != inputs.quick


def _problems(stored, make) -> list | None:
    if make is None:
        from docgen.records.problems import Problem as make
    try:
        return [make(str(p), int(line), int(column), str(message), str(severity))
                for p, line, column, message, severity in stored]
    except (TypeError, ValueError):
        return None


def _rows(problems) -> list:
    return [[p.path, p.line, p.column, p.message, p.severity] for p in problems]


# -- validate: the problems and the number of records ------------------------------------------
def check_key(inputs: Inputs, today) -> str:
    return _key(["check", *inputs.common(today)])


def replay_check(archive, today, make=None):
    """(problems, number of records) of the last check when nothing it read has changed, else None;
    the stamps taken are left on `archive` for the full check (`check_archive` takes them). The
    problems are `Problem`s, or what `make` makes of their fields."""
    inputs = archive.inputs = Inputs.of(archive)
    stored = read_json(_path(archive, "check"))  # read while the records are stamped (`Inputs`)
    if _changed(stored, inputs) or not isinstance(stored, dict) or stored.get("key") != check_key(inputs, today):
        return None
    problems = _problems(stored.get("problems"), make)
    count = stored.get("records")
    if problems is None or not isinstance(count, int):
        return None
    return problems, count


def remember_check(inputs: Inputs, today, problems, count: int) -> None:
    if inputs.racy:
        return
    archive = inputs.archive
    _ensure_folder(archive)
    write_json(_path(archive, "check"), {"key": check_key(inputs, today), "quick": inputs.quick,
                                         "problems": _rows(problems), "records": count})


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
    # taken before the records' digest is asked for: meanwhile the child stamps records/ (`Inputs`)
    templates, caches = _tree(templates_dir), [_tree(os.path.join(cache, name)) for name in ("records", "templates")]
    outputs = _tree(out_dir)
    return _key(["build", *inputs.common(today), templates, out_dir, *options, *written, *caches, outputs])


def build_options(plan_ids: list[str] | None, as_of) -> list[str]:
    """What a build's documents depend on besides the records, templates and schemas."""
    import json

    return [json.dumps(plan_ids), str(as_of)]


def replay_build(archive, today, templates_dir: str, out_dir: str, options: list[str], make=None):
    """(problems, notes, number of documents) of the last build when nothing it read or wrote has
    changed since, else None (the stamps taken are left on `archive` for the full build)."""
    inputs = archive.inputs = Inputs.of(archive)
    stored = read_json(_path(archive, "build"))  # read while the records are stamped (`Inputs`)
    if _changed(stored, inputs):
        return None
    asked = (today, templates_dir, out_dir, tuple(options))
    if asked not in inputs.keys:  # worked out once: `docgen.start` asks first, then the full run
        inputs.keys[asked] = build_key(inputs, today, templates_dir, out_dir, options)
    if not isinstance(stored, dict) or stored.get("key") != inputs.keys[asked]:
        return None
    problems = _problems(stored.get("problems"), make)
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
                                         "quick": inputs.quick, "problems": _rows(problems), "notes": notes, "documents": count})
