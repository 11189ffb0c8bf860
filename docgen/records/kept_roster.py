"""The entity roster as the last full check found it: quiet, and unchanged since.

At a county's scale nearly all of an archive is its 100,000 entity files, and an edit is nearly
always somewhere else (an inspection, a plan). Whatever a check finds in an entity file depends on
the entity files alone: their YAML and schema (the record cache), an id against its file name and
a credit code's check digit (`rules._own`), ids and credit codes used twice among them
(`rules.check_ids`). No rule reports on an entity file from another record. So when a full check
found nothing at all in any entity file (`quiet`), and the entity files' names and stamps are the
same now (`draw.table.entity_stamps`, with docgen's source and the schemas in the key), a check
finds nothing there again — and need not read them.

Such a check (`check.check_archive`, where its caller allows it) reads every other record as
before and takes the entities from what the full check noted (`.docgen/draw/checked.json`: each
entity's id, path and SHA-256, in the index's order, and the roster's digest for the statistics,
`Index.roster_digest`). The entities an inspection names are read whole: from
`.docgen/draw/named.json` (their data, as the full check or the last such check read it), else
from their files, either checked against the SHA-256 noted. `Index.entities` is then a
`KeptEntities`, which reads any other entity asked for the same way; the statistics count the
roster's kinds the full check counted (`roster_kinds`). The result is the
full check's, problem for problem: `tests/test_kept_roster.py` and the incremental = clean build
guards compare them. Both files are signed, as every cache file (`cache.read_json`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial

from docgen.cache import read_json, write_json
from docgen.draw import table as kept_table
from docgen.records.archive import Record, _parsed
from docgen.records.loader import Document, positioned, read_limited
from docgen.records.problems import DocgenError
from docgen.records.tree import display

NOTE = "checked.json"  # what the last full check found of the roster
NAMED = "named.json"  # the data of the entities inspections name


SEPARATOR = "/"  # between the ids noted: never in a file's name, so never in a quiet roster's id


def usual_path(rid: str) -> str:
    """Where an entity's file usually is (relative to records/): the note lists only the others."""
    return f"entities/{rid}.yaml"


def _row(text: str) -> int:
    """A row number as `note` writes it (`str(row)`); ValueError for any other text."""
    if not (text.isascii() and text.isdigit() and len(text) <= 12 and text == str(int(text))):
        raise ValueError(text)
    return int(text)


class Stale(Exception):
    """An entity file's bytes are not those noted for its stamp (changed while this run read it)."""


def note(archive, key: str, stamps, racy: bool, records: list, problems: list, unparsed: list, index) -> None:
    """After a full check: whether it found nothing in any entity file, and then each entity's id,
    path and SHA-256 and the roster's digest, for the stamps the entity files had
    (`entity_stamps`). Nothing is noted from a listing in the racy window."""
    if stamps is None or racy:
        return
    path = kept_table.store_path(archive.root, NOTE)
    if kept_table.peek(archive.root, NOTE) == (key, stamps[0]) and read_json(path) is not None:
        return  # noted for these very files already
    folder = os.path.join(archive.records_dir, "entities") + os.sep
    start = len(archive.records_dir) + 1
    kept = list(index.entities.values())  # in the index's order
    ids = list(index.entities)
    # nothing found in any entity file, and each in the index (every id text and used once); and
    # nothing the note cannot hold (an id holding the separator is not its file's name: a check
    # finds that already), nor an empty roster
    quiet = not any(kind == "entity" for kind, _path in unparsed) \
        and not any(os.path.abspath(p.path).startswith(folder) for p in problems) \
        and sum(record.kind == "entity" for record in records) == len(ids) and bool(ids) \
        and all(len(r.sha) == 64 and r.abspath[:start - 1] == archive.records_dir for r in kept) \
        and not any(SEPARATOR in rid for rid in ids)
    value = {"key": key, "stamps": stamps[0], "quiet": quiet}
    if quiet:
        paths = [r.abspath[start:].replace(os.sep, "/") for r in kept]
        # the ids as one text, the paths only where they are not the usual one (`usual_path`): a
        # county's 100,000 ids are split in C when read, not decoded as 200,000 JSON strings
        value.update(roster=index.roster_digest(), kinds=kinds_of(kept), ids=SEPARATOR.join(ids),
                     paths={str(row): path for row, (rid, path) in enumerate(zip(ids, paths)) if path != usual_path(rid)},
                     shas="".join(r.sha for r in kept))
    write_json(path, value)
    if value["quiet"]:
        named = KeptEntities(value, archive.records_dir, archive.root, key)
        named.made = {rid: index.entities[rid] for rid in _named(records) if rid in index.entities}
        named.remember()


def noted(archive, key: str):
    """What the last full check noted of the roster for this docgen and schemas (`note`), read
    before the entity files' stamps are known (`kept` compares them); None when there is nothing."""
    found = kept_table.peek(archive.root, NOTE)
    if found is None or found[0] != key:
        return None
    return read_json(kept_table.store_path(archive.root, NOTE))


def kept(archive, key: str, stamps, value=None) -> "KeptEntities | None":
    """The roster as the last full check noted it (`value`, as `noted` read it: else read now), when
    it is for the entity files as listed now (`stamps`: `draw.table.entity_stamps` of the listing)
    and that check found nothing in any of them; else None (the check reads the whole roster)."""
    if stamps is None:
        return None
    if value is None:
        value = noted(archive, key)
    try:
        if not isinstance(value, dict) or value.get("key") != key or value.get("stamps") != stamps[0] \
                or value.get("quiet") is not True or not isinstance(value["roster"], str):
            return None
        ids, paths, shas = value["ids"], value["paths"], value["shas"]
        if not (isinstance(ids, str) and isinstance(paths, dict) and isinstance(shas, str)
                and all(isinstance(text, str) for text in paths.values())):
            return None
        roster = KeptEntities(value, archive.records_dir, archive.root, key)
        if len(roster.rows) != len(roster.ids) or len(shas) != 64 * len(roster.ids) \
                or not all(0 <= row < len(roster.ids) for row in roster.other_paths):
            return None  # an id twice, or the parts not of one roster
    except (KeyError, ValueError):
        return None
    return roster


def _named(records) -> list[str]:
    """The entity ids the inspections among `records` name, each once, in a stable order."""
    return sorted({r.data.get("entity") for r in records if r.kind == "inspection" and isinstance(r.data, dict)
                   and isinstance(r.data.get("entity"), str)})


class KeptEntities(Mapping):
    """`Index.entities` from a noted roster: id -> the entity's record, read whole when first asked
    for (from `named.json` or its file, checked against the SHA-256 noted). `kinds`: the roster
    counted by type, status and credit class (`roster_kinds`)."""

    def __init__(self, note: dict, records_dir: str, root: str, key: str):
        self.records_dir, self.root, self.key, self.stamps = records_dir, root, key, note["stamps"]
        self.roster = note["roster"]
        kinds = note.get("kinds")  # (`kinds_of`) None: counted from the records
        self.kinds = kinds if isinstance(kinds, list) and all(
            isinstance(k, list) and len(k) == 4 and isinstance(k[3], int) for k in kinds) else None
        self.ids, self.shas = note["ids"].split(SEPARATOR), note["shas"]
        # row -> path, where not `usual_path` (rows written as `str(row)`: any other text is refused)
        self.other_paths = {_row(text): path for text, path in note["paths"].items()}
        self.rows = dict(zip(self.ids, range(len(self.ids))))
        self.made: dict[str, Record] = {}

    def __contains__(self, rid) -> bool:
        return rid in self.rows

    def __getitem__(self, rid) -> Record:
        record = self.made.get(rid)
        if record is None:
            try:
                record = self.read([rid])[0]
            except Stale as exc:
                raise DocgenError(f"{exc}：文件在本次运行中被修改，请重新运行") from None
        return record

    def __iter__(self):
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def path_of(self, row: int) -> str:
        """The path of the entity in `row`, relative to records/ ("/"-separated)."""
        return self.other_paths.get(row) or usual_path(self.ids[row])

    def read(self, rids: list[str], remembered: dict | None = None) -> list[Record]:
        """The records of `rids` (ids in the roster): from `remembered` ({path: [sha, data]}, as
        `named.json` holds them) when the SHA-256 is the noted one, else from their files; `Stale`
        when a file's bytes are not the noted ones."""
        import hashlib

        found = []
        here = os.getcwd() + os.sep
        for rid in rids:
            row = self.rows[rid]  # a KeyError for an id not in the roster, as a dict's
            rel, sha = self.path_of(row), self.shas[64 * row:64 * row + 64]
            path = self.records_dir + os.sep + rel.replace("/", os.sep)
            shown = display(path, here)
            entry = remembered.get(rel) if remembered else None
            if isinstance(entry, list) and len(entry) == 2 and entry[0] == sha and isinstance(entry[1], dict):
                doc = Document(entry[1], reparse=partial(positioned, path, shown))
                record = Record("entity", shown, path, doc, sha)
            else:
                blob, _trouble = read_limited(path, shown)
                if blob is None or hashlib.sha256(blob).hexdigest() != sha:
                    raise Stale(shown)
                record, _found = _parsed("entity", shown, path, blob, sha, None)
                if record is None:  # parsed when noted: the same bytes parse the same
                    raise Stale(shown)
            record.doc.memo = {"own rules": []}  # a quiet roster: `rules._own` found nothing in it
            self.made[rid] = record
            found.append(record)
        return found

    def read_named(self, records: list) -> list[Record]:
        """The entities the inspections among `records` name (those in the roster), read whole; the
        set is remembered for the next run when it changed."""
        wanted = [rid for rid in _named(records) if rid in self.rows]
        stored = read_json(kept_table.store_path(self.root, NAMED))
        ok = isinstance(stored, dict) and stored.get("key") == self.key and isinstance(stored.get("files"), dict)
        remembered = stored["files"] if ok else {}
        found = self.read(wanted, remembered)
        if {path: entry[0] if isinstance(entry, list) and entry else None for path, entry in remembered.items()} \
                != {self.path_of(self.rows[record_id]): record.sha for record_id, record in self.made.items()}:
            self.remember()
        return found

    def remember(self) -> None:
        """Keep the data of the entities read whole (`named.json`), for the next run."""
        files = {}
        for rid, record in sorted(self.made.items()):
            files[self.path_of(self.rows[rid])] = [record.sha, record.data]
        write_json(kept_table.store_path(self.root, NAMED), {"key": self.key, "files": files})


KIND_FIELDS = ("type", "status", "credit_class")  # what the statistics read of each entity of the roster
_SCALARS = (str, int, float, bool, type(None))


def kinds_of(entities) -> list[list] | None:
    """[type, status, credit class, count] of the entities (records), by kind, in a stable order;
    None when a value is not a plain scalar (JSON and a set keep those as they are)."""
    from collections import Counter

    counts = Counter(tuple(record.data.get(name) for name in KIND_FIELDS) for record in entities
                     if all(isinstance(record.data.get(name), _SCALARS) for name in KIND_FIELDS))
    if sum(counts.values()) != len(entities):
        return None
    return sorted(([*kind, count] for kind, count in counts.items()), key=repr)


def roster_kinds(index) -> list[tuple[dict, int]]:
    """The roster counted by what the statistics read of an entity: ({type, status, credit_class},
    how many), from what the full check noted of a kept roster, else from the records."""
    kinds = index.views.get("roster kinds")
    if kinds is None:
        noted = getattr(index.entities, "kinds", None)
        if noted is None:
            noted = kinds_of(list(index.entities.values()))
        if noted is None:  # a value no count keeps: each entity on its own
            kinds = [({name: record.data.get(name) for name in KIND_FIELDS}, 1) for record in index.entities.values()]
        else:
            kinds = [(dict(zip(KIND_FIELDS, kind[:3])), kind[3]) for kind in noted]
        index.views["roster kinds"] = kinds
    return kinds
