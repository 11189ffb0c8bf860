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
from operator import itemgetter

from docgen.cache import CACHE_DIR, in_own_cache, read_json, write_json
from docgen.records.tree import GONE, newest_of, stamps_by_path

FIELDS = ("id", "name", "credit_code", "credit_class", "type", "status")  # what the draw reads
FOLDER = "draw"
STORE = "roster.json"  # what the draw reads
FILES = "files.json"  # each file's stamp and SHA-256: what a changed roster is compared with


class _Missing:
    """A field a record lacks (not one it holds as null); the same object after pickling (`docgen.split`)."""

    def __reduce__(self):
        return "MISSING"

    def __str__(self):
        return str(None)  # as `entity_input` gives a lacking field: None


MISSING = _Missing()
_SIMPLE = (str, int, float, bool, type(None))  # values JSON keeps as they are
_KEPT = frozenset((*_SIMPLE, _Missing))
_PROJECTED = ("id", "credit_code", "credit_class", "type", "status")  # `algorithm.entity_input`


def store_path(root: str, name: str = STORE) -> str:
    return os.path.join(root, CACHE_DIR, FOLDER, name)


def entity_stamps(listing, key: str) -> tuple[str, int] | None:
    """(digest, newest modification or change time) of the entity files of a `tree.scan` made with
    stamps (packed, `tree.pack`): their folders, names in the directory's order and stamps, with
    `key` (docgen's source and the schemas: `RecordCache.key_for`). None when a file vanished while
    it was stat'ed, or a number does not fit in 64 bits."""
    digest = hashlib.sha256(key.encode())
    newest = GONE
    for node in listing.nodes:
        if node.kind != "entity" or not node.names:
            continue
        stats = node.stats
        if not isinstance(stats, array) or GONE in stats[0::4]:
            return None
        digest.update(f"{node.folder}\0{len(node.names)}\0".encode("utf-8", "surrogateescape"))
        digest.update("\0".join(node.names).encode("utf-8", "surrogateescape"))
        digest.update(stats.tobytes())
        newest = max(newest, newest_of(stats))
    return digest.hexdigest(), newest


class Table:
    """Sound entity files of a roster: per row its path under records/, the draw's fields and what
    `rules._own` found, and (`files`, kept apart: only a changed roster needs them) its stamp and
    SHA-256. Once the roster is known to be clean, in the draw's order and with the digest of its
    projection."""

    def __init__(self, records_dir: str, paths, columns: list[list], absent: list, own: dict[int, list],
                 clean: bool, digest=None, files=None):
        self.records_dir = records_dir
        self._paths = paths  # a list, or the kept "\0"-joined text
        self.columns, self.absent = columns, absent  # per field of FIELDS; absent: rows without the field
        self.own, self.clean, self.digest = own, clean, digest
        self.count = len(columns[0]) if columns else 0
        self.files = files  # (stamps: 4 a row, shas: 64 characters a row), or a loader of them
        self.projection: list | None = None  # `projected()`, when made already
        self._rows: dict | None = None
        self.for_stamps = None  # a kept table's: the entity files' stamps it was made from (`entity_stamps`)

    def _unique(self) -> bool:
        """Every id is text and used once, and no credit code (as text) twice: else `rules.check_ids`
        has something to say, and the draw stops on it."""
        ids, codes = self.columns[0], self.columns[2]
        if not set(map(type, codes)) <= {str}:
            codes = [c for c in codes if isinstance(c, str)]
        return set(map(type, ids)) <= {str} and len(set(ids)) == len(ids) and len(set(codes)) == len(codes)

    # -- what the draw reads ----------------------------------------------------------------------
    def projected(self) -> list[dict]:
        """`algorithm.entity_input` of each entity, in the table's order (of a clean one: the draw's)."""
        if self.projection is not None:
            return self.projection
        ids, codes, classes, types, statuses = (self.columns[FIELDS.index(name)] for name in _PROJECTED)
        return [{"id": i, "credit_code": c, "credit_class": k, "type": t, "status": s}
                for i, c, k, t, s in zip(ids, codes, classes, types, statuses)]

    def projection_digest(self, step: int = 10_000) -> str:
        """`sha256(canonical(self.projected()))` (`algorithm.canonical`: sorted keys, no spaces, UTF-8),
        made a slice at a time from the columns: each text as `json.dumps` writes it, each entity's
        keys in sorted order, without an object per entity."""
        import json

        def encoded(column: list) -> list[str]:
            if set(map(type, column)) <= {str}:
                return list(map(json.encoder.encode_basestring, column))  # what dumps(ensure_ascii=False) writes
            return [json.dumps(value, ensure_ascii=False, separators=(",", ":")) for value in column]

        digest = hashlib.sha256(b"[")
        columns = [self.columns[FIELDS.index(name)] for name in sorted(_PROJECTED)]
        for start in range(0, self.count, step):
            parts = [column[start:start + step] for column in columns]
            text = ",".join('{"credit_class":%s,"credit_code":%s,"id":%s,"status":%s,"type":%s}' % values
                            for values in zip(*map(encoded, parts)))
            digest.update((("," if start else "") + text).encode("utf-8"))
        digest.update(b"]")
        return digest.hexdigest()

    def names(self) -> dict:
        """id -> name, as `{k: r.data.get("name", k)}` over the index gives it."""
        names = dict(zip(self.columns[0], self.columns[1]))
        for row in self.absent[1]:
            names[self.columns[0][row]] = self.columns[0][row]
        return names

    @property
    def paths(self) -> list[str]:
        if isinstance(self._paths, str):
            self._paths = self._paths.split("\0") if self._paths else []
        return self._paths

    def rows(self) -> dict[str, int]:
        """relative path -> row."""
        if self._rows is None:
            self._rows = {path: row for row, path in enumerate(self.paths)}
        return self._rows

    def has_files(self) -> bool:
        if callable(self.files):
            self.files = self.files()
        return self.files is not None

    def stamp(self, row: int) -> list[int]:
        return self.files[0][4 * row:4 * row + 4].tolist()

    def sha(self, row: int) -> str:
        return self.files[1][64 * row:64 * row + 64]

    def fields(self, row: int) -> dict:
        if not isinstance(self.absent[0], set):
            self.absent = [set(rows) for rows in self.absent]
        return {name: self.columns[i][row] for i, name in enumerate(FIELDS) if row not in self.absent[i]}

    def values(self, row: int) -> tuple:
        """`values_of` the row's record."""
        if not isinstance(self.absent[0], set):
            self.absent = [set(rows) for rows in self.absent]
        return tuple(MISSING if row in self.absent[i] else column[row] for i, column in enumerate(self.columns))

    def entry(self, row: int) -> tuple:
        """(relative path, stamp, sha, values, own findings) of a row, as `Builder.add` takes it."""
        return self.paths[row], self.stamp(row), self.sha(row), self.values(row), self.own.get(row, [])

    def entities(self) -> "Entities":
        return Entities(self)

    # -- kept ---------------------------------------------------------------------------------
    def save(self, root: str, key: str, stamps: str | None) -> None:
        """Keep the table (signed): the files' stamps and SHA-256 first, then what the draw reads,
        which says it is for these stamps; the draw's shards of earlier docgen versions go."""
        joined = "\0".join(self.paths)
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:  # a file name that is not UTF-8: not kept
            return
        if not self.has_files():
            return
        marks, shas = self.files
        write_json(store_path(root, FILES), {"key": key, "stamps": stamps, "count": self.count,
                                             "marks": base64.b64encode(marks.tobytes()).decode("ascii"),
                                             "shas": shas})
        absent = [sorted(rows) for rows in self.absent]
        write_json(store_path(root), {"key": key, "stamps": stamps, "clean": self.clean, "count": self.count,
                                      "digest": self.digest, "paths": joined, "fields": self.columns,
                                      "absent": absent, "own": [[row, found] for row, found in sorted(self.own.items())]})
        folder = os.path.dirname(store_path(root))
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


def values_of(fields: dict) -> tuple:
    """The draw's fields of a record, in the order of FIELDS, `MISSING` for one it lacks."""
    get = fields.get  # spelled out: asked 100,000 times for a county's roster
    return (get("id", MISSING), get("name", MISSING), get("credit_code", MISSING), get("credit_class", MISSING),
            get("type", MISSING), get("status", MISSING))


class Builder:
    """A table made a file at a time: a tuple per file, turned into columns at once at the end."""

    def __init__(self, records_dir: str):
        self.records_dir = records_dir
        self.rows: list[tuple] | None = []  # (path, sha, *values, *stamp); None once made into a table
        self.own: dict[int, list] = {}

    def add(self, rel: str, stamp, sha: str, values: tuple, own: list) -> None:
        if own:
            self.own[len(self.rows)] = own
        self.rows.append((rel, sha, *values, *stamp))

    def added(self):
        """(path, sha, fields, own findings) of each file added, when no table was made of them."""
        for row, added in enumerate(self.rows or ()):
            fields = {name: value for name, value in zip(FIELDS, added[2:2 + len(FIELDS)]) if value is not MISSING}
            yield added[0], added[1], fields, self.own.get(row, [])

    def plain(self) -> Table | None:
        """The files added, in the order they were added; None when a value or stamp is not one
        JSON keeps as it is."""
        width = 2 + len(FIELDS) + 4
        columns = [list(column) for column in zip(*self.rows)] if self.rows else [[] for _ in range(width)]
        if len(columns) != width:
            return None
        paths, shas, values, marks = columns[0], columns[1], columns[2:2 + len(FIELDS)], columns[2 + len(FIELDS):]
        absent = []
        for column in values:
            kinds = set(map(type, column))
            if not kinds <= _KEPT:
                return None
            rows = [row for row, value in enumerate(column) if value is MISSING] if _Missing in kinds else []
            for row in rows:
                column[row] = None
            absent.append(rows)
        try:
            stamps = array("q", chain.from_iterable(zip(*marks)))
        except (OverflowError, TypeError):
            return None
        if any(len(sha) != 64 for sha in shas):
            return None
        self.rows = None
        return Table(self.records_dir, paths, values, absent, self.own, False, files=(stamps, "".join(shas)))

    def table(self, clean: bool) -> Table | None:
        """The table of the files added, in the walk's order; when `clean` and nothing else stops a
        draw (ids, codes: `Table._unique`), in the draw's order by `(credit_code, id)` as text (no id
        is used twice: the walk's order decides nothing), with its digest. None when a value or
        stamp is not one JSON keeps as it is."""
        if clean and not self.own:  # (credit code, id) as text, a lacking one as `str(None)`
            rows = self.rows
            keys = list(zip(map(str, map(itemgetter(4), rows)), map(str, map(itemgetter(2), rows))))
            self.rows = list(map(rows.__getitem__, sorted(range(len(rows)), key=keys.__getitem__)))
        table = self.plain()
        if table is None:
            return None
        table.clean = clean and not self.own and table._unique()
        if table.clean:
            table.digest = table.projection_digest()
        return table


def peek(root: str, name: str = STORE) -> tuple | None:
    """("key", "stamps") a kept file says it is for, from its first bytes, unchecked: only to know
    whether to read it (the signature is checked then) or to spare writing the same again."""
    import json

    try:
        with open(store_path(root, name), "rb") as handle:
            head = handle.read(400)
    except OSError:
        return None
    start = head.find(b'"value":{')
    end = head.find(b'","', head.find(b'"stamps":"'))
    if start < 0 or end < 0:
        return None
    try:
        value = json.loads(head[start + 8:end + 1] + b"}")
    except (ValueError, UnicodeDecodeError):
        return None
    return value.get("key"), value.get("stamps")


def load(root: str, records_dir: str, key: str) -> Table | None:
    """The kept table for this docgen and schemas (whatever stamps it is for), believed only when
    signed by this user (`read_json`); its files' stamps and SHA-256 read when asked for."""
    value = read_json(store_path(root))
    try:
        if not isinstance(value, dict) or value.get("key") != key:
            return None
        count, columns, absent, stamps = value["count"], value["fields"], value["absent"], value["stamps"]
        table = Table(records_dir, value["paths"], columns, absent, {row: found for row, found in value["own"]},
                      bool(value["clean"]), value["digest"], lambda: _files(root, key, stamps, count))
        table.for_stamps = stamps  # signed, as the rest
        if len(columns) == len(FIELDS) == len(absent) and all(len(c) == count for c in columns) \
                and isinstance(value["paths"], str) and value["paths"].count("\0") == max(count - 1, 0) \
                and (not table.clean or isinstance(table.digest, str)):
            return table
    except (KeyError, TypeError, ValueError):
        pass
    return None


def _files(root: str, key: str, stamps: str, count: int):
    """(stamps, shas) kept beside the table for the same stamps, or None."""
    value = read_json(store_path(root, FILES))
    try:
        if isinstance(value, dict) and value.get("key") == key and value.get("stamps") == stamps \
                and value.get("count") == count:
            marks = array("q")
            marks.frombytes(base64.b64decode(value["marks"]))
            shas = value["shas"]
            if len(marks) == 4 * count and isinstance(shas, str) and len(shas) == 64 * count:
                return marks, shas
    except (KeyError, TypeError, ValueError):
        pass
    return None


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
        from docgen.cache import file_sha256
        from docgen.draw.roster import light_record

        table = self.table
        path = table.records_dir + os.sep + table.paths[row].replace("/", os.sep)
        sha = table.sha(row) if table.has_files() else file_sha256(path) or ""
        return light_record(path, table.fields(row), sha, table.own.get(row, []))


def remember_checked(archive, key: str, listing, racy: bool, records: list, problems: list, unparsed: list,
                     stamps=False) -> None:
    """Keep the roster as `docgen validate` or `build` read it (`check_archive`), unless the kept one
    is for these very stamps already: the first draw after them then reads no entity file.
    `stamps`: `entity_stamps` of the listing, when worked out already."""
    if stamps is False:
        stamps = entity_stamps(listing, key)
    if stamps is None or racy:  # `racy`: a record file was modified just before the listing (`snapshot.Inputs`)
        return
    if peek(archive.root) == (key, stamps[0]):
        return
    folder = os.path.join(archive.records_dir, "entities") + os.sep
    stats = stamps_by_path(node for node in listing.nodes if node.kind == "entity")
    bad = {p.path for p in problems if p.is_error}
    clean = not any(kind == "entity" for kind, _path in unparsed) and not any(
        os.path.abspath(p).startswith(folder) for p in bad)
    built = Builder(archive.records_dir)
    start = len(archive.records_dir) + 1
    for record in records:
        if record.kind != "entity" or record.path in bad or not isinstance(record.data, dict):
            continue
        st = stats.get(record.abspath)
        if st is None or not record.sha:
            clean = False
            continue
        built.add(record.abspath[start:].replace(os.sep, "/"), st, record.sha, values_of(record.data), [])
    stats = None
    table = built.table(clean)
    if table is not None:
        table.save(archive.root, key, stamps[0])
