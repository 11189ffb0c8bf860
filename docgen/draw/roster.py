"""The entity roster as the draw reads it: a county's 100,000 entity files, streamed.

The draw needs six fields of each entity (`FIELDS`) and to know that the file has no error, not
the whole parsed record with the line and column of every value. Per entity file this module keeps,
in the archive's signed cache (`.docgen/draw/`), a compact entry: the file's stat stamp and SHA-256,
those fields, and what the rules that look at one file alone (`rules._own`: id against file name,
credit-code check digit) found. An unchanged file is then not read at all; a changed one is read
and parsed without positions by `fast_mapping` when it is written in the plain form every roster
file has, and by the positioned loader otherwise, or when anything is wrong with it: an error is
always reported exactly as `docgen validate` reports it, at its line and column.

Only entries whose file parsed and passed its schema without an error are remembered; a file with
an error is read the slow way on every run, as the draw stops on it anyway.
"""

from __future__ import annotations

import hashlib
import os
import zlib

from docgen.cache import CACHE_DIR, in_own_cache, read_json, write_json
from docgen.records.archive import Record
from docgen.records.loader import (MAX_RECORD_BYTES, Document, fast_mapping, parse_bytes, read_limited,
                                   read_yaml_file)
from docgen.records.problems import ERROR, Problem

FIELDS = ("id", "name", "credit_code", "credit_class", "type", "status")  # what the draw reads
FOLDER = "draw"
BUCKETS = 64

_NONE: dict = {}  # marks, raw text, odd characters of a light record: none (a position asked for is parsed anew)


def _bucket(path: str) -> str:
    return format(zlib.crc32(path.encode("utf-8", "surrogateescape")) % BUCKETS, "02x")


class Roster:
    """The entity records of one draw: light records (the draw's fields only) for sound files,
    whole positioned records for the others (their problems are reported as `validate` does)."""

    def __init__(self, archive, schemas, key: str, use_cache: bool = True):
        self.archive, self.schemas, self.key = archive, schemas, key
        # `validate`'s record cache, when there is one to take entries from
        self.from_validate = use_cache and os.path.isdir(os.path.join(archive.root, CACHE_DIR, "records"))
        self.record_shards: set = set()  # (folder, bucket) of `validate`'s record cache read so far
        self.from_records: dict[str, list] = {}  # path -> compact entry made from them
        self.folder = os.path.join(archive.root, CACHE_DIR, FOLDER) if use_cache else None
        self.shards: dict[str, dict] = {}  # bucket -> {path: [stamp, sha, fields, own findings]}
        self.dirty: set[str] = set()

    def _shard(self, bucket: str) -> dict:
        files = self.shards.get(bucket)
        if files is None:
            stored = read_json(os.path.join(self.folder, f"entities-{bucket}.json")) if self.folder else None
            files = stored.get("files") if isinstance(stored, dict) and stored.get("key") == self.key \
                and stored.get("bucket") == bucket else None
            files = self.shards[bucket] = files if isinstance(files, dict) else {}
        return files

    def load(self, files: list[tuple[str, str]]) -> tuple[list[Record], list[Problem], list[tuple[str, str]]]:
        """(records, problems, files that could not be read as a record) of the entity files, in
        the order given (the archive's walk), as `Archive.load` gives them."""
        here = os.getcwd() + os.sep
        validator = self.schemas.validators.get("entity")
        records: list[Record] = []
        problems: list[Problem] = []
        unparsed: list[tuple[str, str]] = []
        seen: set[str] = set()
        for kind, path in files:
            shown = path[len(here):] if path.startswith(here) else path
            bucket = _bucket(path)
            shard = self._shard(bucket)
            seen.add(path)
            entry = shard.get(path)
            if not (isinstance(entry, list) and len(entry) == 4 and isinstance(entry[2], dict)
                    and isinstance(entry[3], list)):
                entry = None
            stamp = _stamp(path)
            if entry is not None and stamp is not None and entry[0] == stamp:
                records.append(self._light(kind, shown, path, entry))
                continue
            if entry is None and stamp is not None:
                entry = self._from_record_cache(kind, shown, path, stamp)
                if entry is not None:
                    shard[path] = entry
                    self.dirty.add(bucket)
                    records.append(self._light(kind, shown, path, entry))
                    continue
            blob = _read_plain(path)
            found = []
            if blob is None:  # not a plain small file, or unreadable: as `Archive.load` says it
                blob, found = read_limited(path, shown)
            if blob is None:
                problems.extend(found)
                unparsed.append((kind, path))
                continue
            sha = hashlib.sha256(blob).hexdigest()
            if entry is None or entry[1] != sha:
                outcome, made, found = self._read(kind, shown, path, blob, sha, validator)
                if outcome == "record":  # positioned, with its errors
                    records.append(made)
                    problems.extend(found)
                    continue
                if outcome == "unparsed":
                    problems.extend(found)
                    unparsed.append((kind, path))
                    continue
                entry = [None, sha, *made]
                shard[path] = entry
            if entry[0] != stamp:  # new, or the same bytes touched
                entry[0] = stamp
                self.dirty.add(bucket)
            records.append(self._light(kind, shown, path, entry))
        for bucket, shard in self.shards.items():
            stale = [p for p in shard if p not in seen]
            for p in stale:
                del shard[p]
                self.dirty.add(bucket)
        return records, problems, unparsed

    def _from_record_cache(self, kind: str, shown: str, path: str, stamp: list):
        """An entry made from what `validate` or `build` remembered of the file (`cache.RecordCache`,
        signed, and used only while the file's stamp is the one recorded, as there), when it had no
        error: the first draw after them does not parse the roster again. Its shards are read one at
        a time and kept as compact entries only. None when that cache has nothing sound for the file."""
        if not self.from_validate:
            return None
        from docgen.cache import RecordCache

        folder = path.rpartition(os.sep)[0]
        for shard in ((folder, RecordCache._bucket(path)), (folder, None)):
            if shard not in self.record_shards:
                self.record_shards.add(shard)
                for other, entry in RecordCache.shard_files(self.archive, self.key, *shard).items():
                    compact = _compact(entry)
                    if compact is not None:
                        self.from_records[other] = compact
        entry = self.from_records.pop(path, None)
        if entry is None or entry[0] != stamp:
            return None
        if entry[3] is None:  # no run worked the file's own rules out yet
            from docgen.records import rules

            entry[3] = rules._own(Record(kind, shown, path, Document(entry[2]), entry[1]))
        return entry

    def _read(self, kind: str, shown: str, path: str, blob: bytes, sha: str, validator):
        """("sound", (fields, own findings), []) for a file without errors; ("record", the
        positioned record, its problems) for a file with errors; ("unparsed", None, problems)."""
        from docgen.records import rules

        try:
            data = fast_mapping(blob.decode("utf-8"))
        except UnicodeDecodeError:
            data = None
        if data is not None and validator is not None and validator.is_valid(data):
            own = rules._own(Record(kind, shown, path, Document(data), sha))
            return "sound", ({k: data[k] for k in FIELDS if k in data}, own), []
        doc, found = parse_bytes(blob, shown)  # as `Archive.load` reads a file: the same problems
        if doc is not None and not isinstance(doc.data, dict):
            found.append(Problem(shown, 1, 1, "记录应由“字段: 值”组成，而不是单个值或列表"))
            doc = None
        if doc is None:
            return "unparsed", None, found
        record = Record(kind, shown, path, doc, sha)
        found.extend(self.schemas.check(record))
        if any(p.is_error for p in found):
            return "record", record, found
        return "sound", ({k: doc.data[k] for k in FIELDS if k in doc.data}, rules._own(record)), []

    def _light(self, kind: str, shown: str, path: str, entry: list) -> Record:
        """A record holding the draw's fields only; a position, when a rule asks for one, comes from
        parsing the file again. What `rules._own` found in the file is handed to `rules.check_ids` as
        if remembered by the record cache."""
        doc = Document(entry[2], marks=_NONE, key_marks=_NONE, raw=_NONE, odd=_NONE,
                       reparse=lambda: read_yaml_file(path, shown)[0], memo={"own rules": entry[3]})
        return Record(kind, shown, path, doc, entry[1])

    def save(self) -> None:
        """Write the shards that changed (signed, see `cache.write_json`)."""
        if not self.folder:
            return
        for bucket in sorted(self.dirty):
            target = os.path.join(self.folder, f"entities-{bucket}.json")
            files = self.shards.get(bucket) or {}
            if files:
                write_json(target, {"key": self.key, "bucket": bucket, "files": files})
            else:
                try:
                    if in_own_cache(target):
                        os.unlink(target)
                except OSError:
                    pass
        self.dirty = set()


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


def _read_plain(path: str) -> bytes | None:
    """The bytes of a regular file of at most `MAX_RECORD_BYTES`, in as few system calls as can be
    (100,000 of them in a cold draw); None for anything else, which `read_limited` then reads and
    reports."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
            return None
        chunks = []
        while True:
            chunk = os.read(fd, info.st_size + 1)
            if not chunk:
                break
            chunks.append(chunk)
        blob = b"".join(chunks)
        return blob if len(blob) <= MAX_RECORD_BYTES else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _stamp(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]
