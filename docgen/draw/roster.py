"""The entity roster as the draw reads it: a county's 100,000 entity files, streamed.

The draw needs six fields of each entity (`FIELDS`) and to know that the file has no error, not
the whole parsed record with the line and column of every value. Per entity file the roster kept
in the archive's signed cache (`draw.table`) holds the file's stat stamp and SHA-256, those fields,
and what the rules that look at one file alone (`rules._own`: id against file name, credit-code
check digit) found. An unchanged file is then not read at all; a changed one is read and parsed
without positions by `fast_mapping` when it is written in the plain form every roster file has, and
by the positioned loader otherwise, or when anything is wrong with it: an error is always reported
exactly as `docgen validate` reports it, at its line and column.

Only files that parsed and passed their schema without an error are kept; a file with an error is
read the slow way on every run, as the draw stops on it anyway.
"""
from __future__ import annotations

import hashlib
import os
from stat import S_ISREG

from docgen.cache import CACHE_DIR
from docgen import snapshot
from docgen.draw.table import FIELDS, Builder, Table, entity_stamps, load, peek, values_of
from docgen.records.archive import Record, display
from docgen.records.loader import (MAX_RECORD_BYTES, Document, fast_mapping, parse_bytes, read_limited,
                                   read_yaml_file)
from docgen.records.problems import ERROR, Problem
from docgen.records.yamlerrors import not_a_mapping
from docgen.records.tree import stamps_by_path

_NONE: dict = {}  # marks, raw text, odd characters of a light record: none (a position asked for is parsed anew)


def light_record(path: str, fields: dict, sha: str, own: list, shown: str | None = None) -> Record:
    """A record holding the draw's fields only; a position, when a rule asks for one, comes from
    parsing the file again. What `rules._own` found in the file is handed to `rules.check_ids` as
    if remembered by the record cache."""
    shown = display(path) if shown is None else shown
    doc = Document(fields, marks=_NONE, key_marks=_NONE, raw=_NONE, odd=_NONE,
                   reparse=lambda: read_yaml_file(path, shown)[0], memo={"own rules": own})
    return Record("entity", shown, path, doc, sha)


class Roster:
    """The entity files of one draw, from a listing of records/ taken with stamps (`tree.scan`).

    `cached()` is the roster kept for exactly these stamps, when it is clean; else `start` and
    `finish` read what changed and give either a clean `Table` or records — light ones (the draw's fields only)
    for sound files, whole positioned ones for the others, whose problems are reported as
    `validate` reports them."""

    def __init__(self, archive, schemas, key: str, listing, started: int, use_cache: bool = True):
        self.archive, self.schemas, self.key, self.listing = archive, schemas, key, listing
        self.use_cache = use_cache
        stamps = entity_stamps(listing, key) if use_cache else None
        self.stamps = stamps[0] if stamps else None
        self.racy = stamps is None or stamps[1] >= started - snapshot.RACY_NS  # the replay's racy rule
        self.kept: Table | None = None
        self.kept_read = False
        self.peeked = None  # what the kept roster says it is for

    def _kept(self) -> Table | None:
        if not self.kept_read:
            self.kept_read = True
            if self.use_cache:
                self.kept = load(self.archive.root, self.archive.records_dir, self.key)
        return self.kept

    def cached(self) -> Table | None:
        """The kept roster when it was made from these very files (names and stamps) and is clean."""
        if self.stamps is None:
            return None
        self.peeked = peek(self.archive.root)
        if self.peeked != (self.key, self.stamps):
            return None  # not for these files: not read now (`load` reads it for its rows)
        kept = self._kept()
        return kept if kept is not None and kept.clean and kept.for_stamps == self.stamps else None

    def start(self, files: list[tuple[str, str]]) -> None:
        """Take what is kept for the entity files (here, or in `validate`'s record cache) and start
        reading the others, on two cores when there are many (`docgen.split`): `finish` gives them."""
        from docgen.split import Shared

        start = len(self.archive.records_dir) + 1
        entity_nodes = [node for node in self.listing.nodes if node.kind == "entity"]
        stats = stamps_by_path(entity_nodes)
        for node in entity_nodes:
            node.stats = None  # taken (`entity_stamps` was made from them)
        kept = self._kept()
        if kept is not None and not kept.has_files():
            kept = self.kept = None  # rows nothing can be compared with
        rows = kept.rows() if kept is not None else {}
        from_validate = _FromRecordCache(self.archive, self.key) if self.use_cache else None
        self.files = files
        self.plan: list = []  # per file: a kept row, an entry from `validate`'s cache, or its place in `to_read`
        to_read: list[tuple] = []  # (path, relative path, stamp, kept row)
        for _kind, path in files:
            rel = path[start:].replace(os.sep, "/")
            stamp = stats.pop(path, None)
            row = rows.get(rel)
            if row is not None and stamp is not None and kept.stamp(row) == stamp:
                self.plan.append(("kept", row))
                continue
            if row is None and stamp is not None and from_validate is not None:
                found = from_validate.entry(path, rel, stamp)
                if found is not None:
                    self.plan.append(("validate", found))
                    continue
            self.plan.append(("read", len(to_read)))
            to_read.append((path, rel, stamp, row))
        self.to_read = to_read
        stats = None
        validator = self.schemas.validators.get("entity")
        self.shared = Shared(len(to_read), lambda a, b: [self._quick(*to_read[i], validator) for i in range(a, b)])
        self.shared.start()

    def _quick(self, path: str, rel: str, stamp, row, validator):
        """("sound", sha, fields, own findings) of a plain file without errors; ("same", sha) when its
        bytes are the kept row's; None for anything else (`finish` reads it as `validate` does)."""
        blob = _read_plain(path)
        if blob is None:
            return None
        sha = hashlib.sha256(blob).hexdigest()
        if row is not None and self.kept.sha(row) == sha:  # the same bytes, touched
            return "same", sha
        try:
            data = fast_mapping(blob.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        if data is None or validator is None or not validator.is_valid(data):
            return None
        return "sound", sha, values_of(data), _own("entity", rel, path, data, sha)

    def finish(self, refused: list[tuple[str, str]], walk_problems: list):
        """(clean table or None, records, problems, unparsed) of the entity files given to `start`, in
        their order (the archive's walk), as `Archive.load` gives them. With a table, `records` is empty."""
        records_dir = self.archive.records_dir
        start = len(records_dir) + 1
        kept, files, to_read = self.kept, self.files, self.to_read
        quick = [result for chunk in self.shared.results() for result in chunk]
        validator = self.schemas.validators.get("entity")
        built = Builder(records_dir)  # sound files
        bad: list[Record] = []
        problems: list[Problem] = []
        unparsed: list[tuple[str, str]] = []
        here = os.getcwd() + os.sep
        for (kind, _path), (how, planned) in zip(files, self.plan):
            if how == "kept":
                built.add(*kept.entry(planned))
                continue
            if how == "validate":
                built.add(*planned)
                continue
            path, rel, stamp, row = to_read[planned]
            stamp = stamp or [0, 0, 0, 0]  # unknown: never the same as a later one
            done = quick[planned]
            if done is not None:
                if done[0] == "same":
                    built.add(rel, stamp, done[1], kept.values(row), kept.own.get(row, []))
                else:
                    built.add(rel, stamp, *done[1:])
                continue
            shown = path[len(here):] if path.startswith(here) else path
            blob = _read_plain(path)
            found = []
            if blob is None:  # not a plain small file, or unreadable: as `Archive.load` says it
                blob, found = read_limited(path, shown)
            if blob is None:
                problems.extend(found)
                unparsed.append((kind, path))
                continue
            sha = hashlib.sha256(blob).hexdigest()
            if row is not None and kept.sha(row) == sha:  # the same bytes, touched
                built.add(rel, stamp, sha, kept.values(row), kept.own.get(row, []))
                continue
            outcome, made, found = self._read(kind, shown, path, blob, sha, validator)
            if outcome == "record":  # positioned, with its errors
                bad.append(made)
                problems.extend(found)
            elif outcome == "unparsed":
                problems.extend(found)
                unparsed.append((kind, path))
            else:
                built.add(rel, stamp, sha, values_of(made[0]), made[1])
        self.plan = self.to_read = quick = None
        folder = os.path.join(records_dir, "entities") + os.sep
        clean = not bad and not problems and not unparsed and not refused and not any(
            p.is_error and os.path.abspath(p.path).startswith(folder) for p in walk_problems)
        table = built.table(clean)
        if table is not None and self.use_cache and not self.racy and self.peeked != (self.key, self.stamps):
            table.save(self.archive.root, self.key, self.stamps)
        if table is not None and table.clean:
            return table, [], [], []
        # the draw stops: every file as `validate` reads it, in the walk's order
        table = table or built.plain()
        sound = ((rel, table.sha(row), table.fields(row), table.own.get(row, []))
                 for row, rel in enumerate(table.paths)) if table is not None else built.added()
        made = {}
        for rel, sha, fields, own in sound:
            path = records_dir + os.sep + rel.replace("/", os.sep)
            made[rel] = light_record(path, fields, sha, own, path[len(here):] if path.startswith(here) else path)
        by_path = {r.abspath: r for r in bad}
        records = []
        for _kind, path in files:
            record = made.get(path[start:].replace(os.sep, "/")) or by_path.get(path)
            if record is not None:
                records.append(record)
        return None, records, problems, unparsed

    def _read(self, kind: str, shown: str, path: str, blob: bytes, sha: str, validator):
        """("sound", (fields, own findings), []) for a file without errors; ("record", the
        positioned record, its problems) for a file with errors; ("unparsed", None, problems)."""
        from docgen.records import rules

        try:
            data = fast_mapping(blob.decode("utf-8"))
        except UnicodeDecodeError:
            data = None
        if data is not None and validator is not None and validator.is_valid(data):
            return "sound", ({k: data[k] for k in FIELDS if k in data}, _own(kind, shown, path, data, sha)), []
        doc, found = parse_bytes(blob, shown)  # as `Archive.load` reads a file: the same problems
        if doc is not None and not isinstance(doc.data, dict):
            found.append(Problem(shown, 1, 1, not_a_mapping(doc.data)))
            doc = None
        if doc is None:
            return "unparsed", None, found
        record = Record(kind, shown, path, doc, sha)
        found.extend(self.schemas.check(record))
        if any(p.is_error for p in found):
            return "record", record, found
        return "sound", ({k: doc.data[k] for k in FIELDS if k in doc.data}, rules._own(record)), []


def _own(kind: str, shown: str, path: str, data: dict, sha: str) -> list:
    """What `rules._own` finds in a sound entity file: nothing when its id is its file's name and its
    credit code's check digit is right, which is asked here first in a few steps (100,000 files)."""
    from docgen.records import creditcode, rules

    rid, code = data.get("id"), data.get("credit_code")
    name = path.rpartition(os.sep)[2]
    if isinstance(rid, str) and name.rpartition(".")[0] == rid and "." not in rid and isinstance(code, str) \
            and len(code) == 18 and creditcode.is_valid(code):
        return []
    return rules._own(Record(kind, shown, path, Document(data), sha))


class _FromRecordCache:
    """Entries made from what `validate` or `build` remembered of a file (`cache.RecordCache`, signed,
    used only while the file's stamp is the one recorded there), when it had no error: a roster not
    kept by the draw (`table`) is not parsed again. Its shards are read one at a time and kept as
    compact entries only."""

    def __init__(self, archive, key: str):
        self.archive, self.key = archive, key
        self.present = os.path.isdir(os.path.join(archive.root, CACHE_DIR, "records"))
        self.read: set = set()
        self.compact: dict[str, tuple] = {}

    def entry(self, path: str, rel: str, stamp: list):
        if not self.present:
            return None
        from docgen.cache import RecordCache

        folder = path.rpartition(os.sep)[0]
        for shard in ((folder, RecordCache._bucket(path)), (folder, None)):
            if shard not in self.read:
                self.read.add(shard)
                for other, entry in RecordCache.shard_files(self.archive, self.key, *shard).items():
                    compact = _compact(entry)
                    if compact is not None:
                        self.compact[other] = compact
        found = self.compact.pop(path, None)
        if found is None or found[0] != stamp:
            return None
        stamp, sha, fields, own = found
        if own is None:  # no run worked the file's own rules out yet
            own = _own("entity", display(path), path, fields, sha)
        return rel, stamp, sha, values_of(fields), own


def _compact(entry) -> list | None:
    """[stamp, sha, the draw's fields, own findings or None] of a sound `RecordCache` entry."""
    if not isinstance(entry, dict):
        return None
    data, problems, sha = entry.get("data"), entry.get("problems") or [], entry.get("sha")
    if not isinstance(data, dict) or not isinstance(sha, str) or not isinstance(entry.get("stat"), list) \
            or not isinstance(problems, list) \
            or any(not isinstance(p, list) or len(p) < 4 or p[3] == ERROR for p in problems):
        return None
    memo = entry.get("memo")
    own = memo.get("own rules") if isinstance(memo, dict) else None
    if not (isinstance(own, list) and all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], list)
                                          and isinstance(p[1], str) for p in own)):
        own = None
    return [entry["stat"], sha, {k: data[k] for k in FIELDS if k in data}, own]


_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_plain(path: str) -> bytes | None:
    """The bytes of a regular file of at most `MAX_RECORD_BYTES`, in as few system calls as can be
    (100,000 of them in a cold draw); None for anything else, which `read_limited` then reads and
    reports."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
            return None
        chunk = os.read(fd, info.st_size + 1)
        if len(chunk) <= info.st_size:  # a short read of a regular file: its end
            return chunk
        chunks = [chunk]  # grown since: read on to the end
        while chunk:
            chunk = os.read(fd, MAX_RECORD_BYTES + 1)
            chunks.append(chunk)
        blob = b"".join(chunks)
        return blob if len(blob) <= MAX_RECORD_BYTES else None
    except OSError:
        return None
    finally:
        os.close(fd)
