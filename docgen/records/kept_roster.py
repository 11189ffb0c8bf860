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
before, takes the entities from the draw's kept roster (`draw.table`: ids, paths, the draw's
fields, each file's SHA-256) and reads whole only the entity files an inspection names, checking
their bytes against the SHA-256 kept; `Index.entities` is then a `KeptEntities`, which reads any
other entity asked for the same way. The statistics count the roster's classes from the kept
columns (`roster_fields`), and the roster's digest (`Index.roster_digest`) is the one the full
check worked out. The result is the full check's, problem for problem: `tests/test_kept_roster.py`
and the incremental = clean build guards compare them.

What the full check noted is kept in `.docgen/draw/checked.json` (signed, as every cache file),
bound to the same stamps as the kept roster.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from docgen.cache import read_json, write_json
from docgen.draw import table as kept_table
from docgen.records.archive import Record, _parsed
from docgen.records.loader import read_limited
from docgen.records.problems import DocgenError

NOTE = "checked.json"


class Stale(Exception):
    """An entity file's bytes are not those kept for its stamp (changed while this run read it)."""


def note(archive, key: str, stamps, racy: bool, records: list, problems: list, unparsed: list, index) -> None:
    """After a full check: whether it found nothing in any entity file, with the roster's digest,
    for the stamps the entity files had (`entity_stamps`). Not kept for a listing in the racy window."""
    path = kept_table.store_path(archive.root, NOTE)
    if stamps is None or racy:
        return
    folder = os.path.join(archive.records_dir, "entities") + os.sep
    entities = sum(1 for record in records if record.kind == "entity")
    quiet = not any(kind == "entity" for kind, _path in unparsed) \
        and not any(os.path.abspath(p.path).startswith(folder) for p in problems) \
        and entities == len(index.entities)  # every id text and used once: each file is in the index
    value = {"key": key, "stamps": stamps[0], "quiet": quiet, "entities": entities,
             "roster": index.roster_digest() if quiet else None}
    if read_json(path) != value:
        write_json(path, value)


def kept(archive, key: str, listing) -> tuple[kept_table.Table, dict] | None:
    """(the kept roster, the full check's note) when both are for the entity files as listed now and
    that check found nothing in any of them; else None (the check reads the whole roster)."""
    stamps = kept_table.entity_stamps(listing, key)
    if stamps is None:
        return None
    info = read_json(kept_table.store_path(archive.root, NOTE))
    if not isinstance(info, dict) or info.get("key") != key or info.get("stamps") != stamps[0] \
            or info.get("quiet") is not True or not isinstance(info.get("roster"), str):
        return None
    if kept_table.peek(archive.root) != (key, stamps[0]):
        return None
    table = kept_table.load(archive.root, archive.records_dir, key)
    if table is None or table.for_stamps != stamps[0] or not table.clean or table.count != info.get("entities") \
            or not table.has_files():
        return None
    return table, info


class KeptEntities(Mapping):
    """`Index.entities` from a kept roster: id -> the entity's record, read whole when first asked
    for (its bytes checked against the SHA-256 kept). `table`: the roster's columns, for the few
    readers of the whole roster (the draw's, the statistics')."""

    def __init__(self, table: kept_table.Table, records_dir: str):
        self.table, self.records_dir = table, records_dir
        self.rows = {rid: row for row, rid in enumerate(table.columns[0])}
        self.made: dict[str, Record] = {}

    def __contains__(self, rid) -> bool:
        return rid in self.rows

    def __getitem__(self, rid) -> Record:
        record = self.made.get(rid)
        if record is None:
            try:
                record = self.read(rid)
            except Stale as exc:
                raise DocgenError(f"{exc}：文件在本次运行中被修改，请重新运行") from None
        return record

    def __iter__(self):
        return iter(self.table.columns[0])

    def __len__(self) -> int:
        return len(self.rows)

    def read(self, rid) -> Record:
        """The entity's record, read from its file now; `Stale` when its bytes are not the kept ones."""
        import hashlib

        row = self.rows[rid]  # a KeyError for an id not in the roster, as a dict's
        path = self.records_dir + os.sep + self.table.paths[row].replace("/", os.sep)
        here = os.getcwd() + os.sep
        shown = path[len(here):] if path.startswith(here) else path
        blob, _trouble = read_limited(path, shown)
        sha = hashlib.sha256(blob).hexdigest() if blob is not None else None
        if sha != self.table.sha(row):
            raise Stale(shown)
        record, _found = _parsed("entity", shown, path, blob, sha, None)
        if record is None:  # parsed when kept: the same bytes parse the same
            raise Stale(shown)
        record.doc.memo = {"own rules": []}  # a quiet roster: `rules._own` found nothing in it
        self.made[rid] = record
        return record


def roster_fields(index) -> list[dict]:
    """The data of every entity, or, from a kept roster, the fields the draw keeps of each (id,
    name, credit code and class, type, status): what the statistics count over the whole roster."""
    table = getattr(index.entities, "table", None)
    if table is None:
        return [record.data for record in index.entities.values()]
    fields = index.views.get("roster fields")
    if fields is None:
        fields = index.views["roster fields"] = [table.fields(row) for row in range(table.count)]
    return fields
