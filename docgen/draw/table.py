"""The entity roster as the draw remembers it: one signed file, by column, bound to the files' stamps.

A draw over a county's 100,000 entities reads six fields of each (`FIELDS`). Making 100,000 record
objects, projecting and sorting them and hashing their canonical JSON costs seconds; when no
entity file changed since the roster was last read, all of that gives what it gave then. So the
roster is kept in `.docgen/draw/roster.json` (signed, `cache.write_json`) as columns — the
fields, each file's path, stat stamp and SHA-256 — in the draw's order (by `(credit_code, id)`),
with the SHA-256 of the entities' canonical projection (docs/draw-algorithm.md §1). The file is bound to one digest of the entity files' names
and stamps (`entity_stamps`): while that digest is the same, the draw takes the roster from it
without reading or stat'ing a record twice. When it is not, each file whose own stamp (or, when
touched, SHA-256) is as remembered keeps its row (`draw.roster`), and only the others are read.

Only files that parsed and passed their schema are kept; the roster counts as `clean` — the only
state the draw takes wholesale — when, besides, no entity file has an error of its own (id against
file name, check digit), every id is text and unique and no credit code is used twice. Anything
else goes the way `docgen validate` goes, with its messages at their lines and columns.
`docgen validate` and `build` write the file too (`remember_checked`), from what they read: the
first draw after them reads no entity file.
"""

from __future__ import annotations

import base64
import hashlib
import os
from array import array
from collections.abc import Mapping
from itertools import chain
from operator import attrgetter

from docgen.cache import CACHE_DIR, in_own_cache, read_json, write_json
from docgen.records.tree import Gone

FIELDS = ("id", "name", "credit_code", "credit_class", "type", "status")  # what the draw reads
FOLDER = "draw"
STORE = "roster.json"
RACY_NS = 50_000_000  # as `snapshot.RACY_NS`: a file modified this shortly before it was stat'ed may change again unseen
_STAMP = attrgetter("st_mtime_ns", "st_size", "st_ino", "st_ctime_ns")  # `cache.stamp_of`
_SIMPLE = (str, int, float, bool, type(None))  # values JSON keeps as they are
_PROJECTED = ("id", "credit_code", "credit_class", "type", "status")  # `algorithm.entity_input`


def store_path(root: str) -> str:
    return os.path.join(root, CACHE_DIR, FOLDER, STORE)


def entity_stamps(listing, key: str) -> tuple[str, int] | None:
    """(digest, newest modification or change time) of the entity files of a `tree.scan` made with
    stamps: their folders, names in the directory's order and stamps, with `key` (docgen's source
    and the schemas: `RecordCache.key_for`). None when a file vanished while it was stat'ed."""
    digest = hashlib.sha256(key.encode())
    newest = -(2 ** 63)
    for node in listing.nodes:
        if node.kind != "entity" or not node.names:
            continue
        stats = node.stats
        if Gone in stats:
            return None
        try:
            numbers = array("q", chain.from_iterable(map(_STAMP, stats)))
        except OverflowError:  # an inode number past 63 bits (some network file systems)
            return None
        digest.update(f"{node.folder}\0{len(node.names)}\0".encode("utf-8", "surrogateescape"))
        digest.update("\0".join(node.names).encode("utf-8", "surrogateescape"))
        digest.update(numbers.tobytes())
        newest = max(newest, max(numbers[0::4]), max(numbers[3::4]))
    return digest.hexdigest(), newest


class Table:
    """Sound entity files of a roster: per row its path under records/, stamp,
    SHA-256, the draw's fields and what `rules._own` found; once the roster is known to be clean, in
    the draw's order and with the digest of its projection."""

    def __init__(self, records_dir: str, paths: list[str], columns: list[list], absent: list[list[int]],
                 stamps: array, shas: str, own: dict[int, list], clean: bool, digest=None):
        self.records_dir = records_dir
        self._paths = paths
        self.columns, self.absent = columns, absent  # per field of FIELDS; absent: rows without the field
        self.stamps, self._shas, self.own = stamps, shas, own
        self.clean, self.digest = clean, digest
        self.count = len(columns[0]) if columns else 0
        self._rows: dict | None = None

    # -- made from entries ---------------------------------------------------------------------
    @classmethod
    def of(cls, records_dir: str, entries: list[tuple], clean: bool) -> "Table | None":
        """From (relative path, stamp, sha, fields, own findings) per sound file, in the walk's order.
        `clean`: nothing else about the files stops a draw (checked here further: ids, codes). A
        clean table's rows are in the draw's order, by `(credit_code, id)` as text (no id is used
        twice: the walk's order decides nothing). None when a value or path is not one JSON keeps
        as it is."""
        table = cls._made(records_dir, entries, clean)
        if table is None or not table.clean:
            return table
        ids, codes = table.columns[0], table.columns[2]
        order = sorted(range(table.count), key=lambda r: (str(codes[r]), str(ids[r])))
        if order != list(range(table.count)):
            table = cls._made(records_dir, [entries[r] for r in order], True)
        from docgen.draw.algorithm import canonical, sha256

        table.digest = sha256(canonical(table.projected()))
        return table

    @classmethod
    def _made(cls, records_dir: str, entries: list[tuple], clean: bool) -> "Table | None":
        columns: list[list] = [[] for _ in FIELDS]
        absent: list[list[int]] = [[] for _ in FIELDS]
        missing = object()
        for row, (_rel, _stamp, _sha, fields, _own) in enumerate(entries):
            for i, name in enumerate(FIELDS):
                value = fields.get(name, missing)
                if value is missing:
                    absent[i].append(row)
                    value = None
                elif value.__class__ not in _SIMPLE:
                    return None
                columns[i].append(value)
        try:
            stamps = array("q", chain.from_iterable(e[1] for e in entries))
        except OverflowError:
            return None
        own = {row: e[4] for row, e in enumerate(entries) if e[4]}
        table = cls(records_dir, [e[0] for e in entries], columns, absent, stamps, "".join(e[2] for e in entries),
                    own, False)
        if len(stamps) != 4 * table.count or len(table._shas) != 64 * table.count:
            return None
        table.clean = clean and not own and table._unique()
        return table

    def _unique(self) -> bool:
        """Every id is text and used once, and no credit code (as text) twice: else `rules.check_ids`
        has something to say, and the draw stops on it."""
        ids, codes = self.columns[0], [c for c in self.columns[2] if isinstance(c, str)]
        return all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids) and len(set(codes)) == len(codes)

    # -- what the draw reads ----------------------------------------------------------------------
    def projected(self) -> list[dict]:
        """`algorithm.entity_input` of each entity, in the table's order (of a clean one: the draw's)."""
        ids, codes, classes, types, statuses = (self.columns[FIELDS.index(name)] for name in _PROJECTED)
        return [{"id": i, "credit_code": c, "credit_class": k, "type": t, "status": s}
                for i, c, k, t, s in zip(ids, codes, classes, types, statuses)]

    def names(self) -> dict:
        """id -> name, as `{k: r.data.get("name", k)}` over the index gives it."""
        names = dict(zip(self.columns[0], self.columns[1]))
        for row in self.absent[1]:
            names[self.columns[0][row]] = self.columns[0][row]
        return names

    def rows(self) -> dict[str, int]:
        """relative path -> row."""
        if self._rows is None:
            self._rows = {path: row for row, path in enumerate(self.paths)}
        return self._rows

    @property
    def paths(self) -> list[str]:
        if isinstance(self._paths, str):
            self._paths = self._paths.split("\0") if self._paths else []
        return self._paths

    def stamp(self, row: int) -> list[int]:
        return self.stamps[4 * row:4 * row + 4].tolist()

    def sha(self, row: int) -> str:
        return self._shas[64 * row:64 * row + 64]

    def fields(self, row: int) -> dict:
        absent = self._absent_sets()
        return {name: self.columns[i][row] for i, name in enumerate(FIELDS) if row not in absent[i]}

    def _absent_sets(self) -> list[set]:
        if not isinstance(self.absent[0], set):
            self.absent = [set(rows) for rows in self.absent]
        return self.absent

    def entry(self, row: int) -> tuple:
        """(relative path, stamp, sha, fields, own findings) of a row, as `of` takes it."""
        return self.paths[row], self.stamp(row), self.sha(row), self.fields(row), self.own.get(row, [])

    def entities(self) -> "Entities":
        return Entities(self)

    # -- kept ---------------------------------------------------------------------------------
    def value(self, key: str, stamps: str | None) -> dict:
        """What `write_json` keeps; "key" and "stamps" first (`peek`)."""
        return {"key": key, "stamps": stamps, "clean": self.clean, "count": self.count,
                "paths": "\0".join(self.paths), "fields": self.columns,
                "absent": [sorted(rows) for rows in self.absent],
                "stamps_packed": base64.b64encode(self.stamps.tobytes()).decode("ascii"), "shas": self._shas,
                "own": [[row, found] for row, found in sorted(self.own.items())],
                "digest": self.digest}

    @classmethod
    def stored(cls, records_dir: str, value, key: str) -> "Table | None":
        """The table kept in `value` (read and believed by `read_json`) for this docgen and schemas."""
        try:
            if not isinstance(value, dict) or value.get("key") != key:
                return None
            count = value["count"]
            columns, absent = value["fields"], value["absent"]
            stamps = array("q")
            stamps.frombytes(base64.b64decode(value["stamps_packed"]))
            table = cls(records_dir, value["paths"], columns, absent, stamps, value["shas"],
                        {row: found for row, found in value["own"]}, bool(value["clean"]), value["digest"])
            if not (len(columns) == len(FIELDS) == len(absent) and all(len(c) == count for c in columns)
                    and len(stamps) == 4 * count and len(table._shas) == 64 * count and isinstance(value["paths"], str)
                    and (not table.clean or isinstance(table.digest, str))):
                return None
            return table
        except (KeyError, TypeError, ValueError):
            return None

    def save(self, root: str, key: str, stamps: str | None) -> None:
        """Keep the table (signed); the draw's shards of earlier docgen versions go."""
        target = store_path(root)
        try:
            "\0".join(self.paths).encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: not kept
            return
        write_json(target, self.value(key, stamps))
        folder = os.path.dirname(target)
        try:
            old = [n for n in os.listdir(folder) if n.startswith("entities-") and n.endswith(".json")]
        except OSError:
            return
        for name in old:
            try:
                if in_own_cache(os.path.join(folder, name)):
                    os.unlink(os.path.join(folder, name))
            except OSError:
                pass


def peek(root: str) -> tuple | None:
    """("key", "stamps") the kept table says it is for, from the file's first bytes, unchecked: only
    to spare `remember_checked` writing the same table again (the draw checks the signature)."""
    import json

    try:
        with open(store_path(root), "rb") as handle:
            head = handle.read(400)
    except OSError:
        return None
    start = head.find(b'"value":{')
    if start < 0:
        return None
    try:
        value = json.loads(head[start + 8:head.index(b',"clean"')] + b"}")
    except (ValueError, UnicodeDecodeError):
        return None
    return value.get("key"), value.get("stamps")


def load(root: str, records_dir: str, key: str) -> Table | None:
    return Table.stored(records_dir, read_json(store_path(root)), key)


class Entities(Mapping):
    """`Index.entities` of a clean roster: id -> a record holding the draw's fields, made when asked
    (a draw asks for none of 100,000: it reads the columns)."""

    def __init__(self, table: Table):
        self.table = table
        self.ids = frozenset(table.columns[0])
        self._rows: dict | None = None
        self.made: dict = {}

    def __contains__(self, rid) -> bool:
        return rid in self.ids

    def __getitem__(self, rid):
        record = self.made.get(rid)
        if record is None:
            if self._rows is None:
                self._rows = {r: row for row, r in enumerate(self.table.columns[0])}
            record = self.made[rid] = self._record(self._rows[rid])
        return record

    def __iter__(self):
        return iter(self.table.columns[0])

    def __len__(self) -> int:
        return len(self.ids)

    def _record(self, row: int):
        from docgen.draw.roster import light_record

        table = self.table
        path = table.records_dir + os.sep + table.paths[row].replace("/", os.sep)
        return light_record(path, table.fields(row), table.sha(row), table.own.get(row, []))


def remember_checked(archive, key: str, listing, racy: bool, records: list, problems: list, unparsed: list) -> None:
    """Keep the roster as `docgen validate` or `build` read it (`check_archive`), unless the kept one
    is for these very stamps already: the first draw after them then reads no entity file."""
    from docgen.cache import stamp_of

    stamps = entity_stamps(listing, key)
    if stamps is None or racy:  # `racy`: a record file was modified just before the listing (`snapshot.Inputs`)
        return
    if peek(archive.root) == (key, stamps[0]):
        return
    folder = os.path.join(archive.records_dir, "entities") + os.sep
    stats = {}
    for node in listing.nodes:
        if node.kind == "entity":
            prefix = node.folder + os.sep
            stats.update(zip((prefix + n for n in node.names), node.stats))
    bad = {p.path for p in problems if p.is_error}
    clean = not any(kind == "entity" for kind, _path in unparsed) and not any(
        os.path.abspath(p).startswith(folder) for p in bad)
    entries = []
    start = len(archive.records_dir) + 1
    for record in records:
        if record.kind != "entity" or record.path in bad or not isinstance(record.data, dict):
            continue
        st = stats.get(record.abspath)
        if st is None or not record.sha:
            clean = False
            continue
        data = record.data
        entries.append((record.abspath[start:].replace(os.sep, "/"), stamp_of(st), record.sha,
                        {k: data[k] for k in FIELDS if k in data}, []))
    table = Table.of(archive.records_dir, entries, clean)
    if table is not None:
        table.save(archive.root, key, stamps[0])
