"""What `docgen draw` reads and checks: the records a draw depends on, not the whole archive.

`check.check_archive` reads every record with its positions and runs every rule; for a county's
100,000 entities that is most of a draw's time and memory. A draw depends on the plans (its own,
and the earlier ones of the year for a yearly cap), the departments and item lists, the draws, the
inspection records (its own plan's, which a draw must not overwrite, and the year's others for the
cap) and the entities' drawn fields. Those are read here — the entities through `draw.roster`,
streamed and remembered compactly — and checked by the rules whose problems can stop a draw
(`run.context_for`: every error of the plan and of the roster files): each file's own problems,
the rules on ids, plans, item lists and draws, and the plans' confirmation deadlines. Problems of
other records (an inspection's dates, its team) are left to `docgen validate`, as they never
stopped a draw.

Told which plan it draws for, the read leaves out the inspection folders that cannot hold one of
that plan's records (`_unneeded_folders`): a county's earlier plans hold thousands of filled
inspections, and parsing them was a third of a first draw's time, for nothing the draw reads.
"""

from __future__ import annotations

import os

from docgen.cache import CACHE_DIR, RecordCache
from docgen.records.archive import Archive
from docgen.records.check import Checked, index_records
from docgen.records.index import Index
from docgen.records.schema import Schemas


def check_for_draw(archive: Archive, use_cache: bool = True, plan_id: str | None = None) -> Checked:
    """The part of `check_archive` a draw reads: its records, index and the problems that stop it.
    The cycle collector is paused meanwhile, as in `check_archive` (the records live as long as the run).
    `plan_id`: the plan drawn for; without it every inspection record is read."""
    import gc

    from docgen.records import check

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_for_draw(archive, use_cache, plan_id)
    finally:
        if check.ONE_SHOT:
            gc.freeze()
        if enabled:
            gc.enable()


def _check_for_draw(archive: Archive, use_cache: bool, plan_id: str | None) -> Checked:
    import datetime as dt
    import time

    from docgen.draw.roster import Roster
    from docgen.records import deadlines, rules
    from docgen.records.stamping import Stamping
    from docgen.records.tree import Walked, scan, stamps_by_path

    schemas = Schemas(archive.schemas_dir, os.path.join(archive.root, CACHE_DIR))
    if not os.path.isdir(archive.records_dir):
        archive.walk()  # says so, in the clerk's words
    started = time.time_ns()
    listing = scan(archive.records_dir, archive.root, stamps=True)  # every file stat'ed once, here
    Stamping(listing.pending).finish()  # the big folders' too (the entities': on two cores when worthwhile)
    key = RecordCache.key_for(schemas)
    roster = Roster(archive, schemas, key, listing, started, use_cache)
    table = roster.cached()  # the whole roster, when no entity file changed since it was kept
    # a kept roster's files need not be listed in order, nor their names compared for case (it was
    # kept for these names, none of them differing only in case from another)
    found, problems, refused = archive.walked_from(listing if table is None else listing.without("entity"))
    entity_files = [f for f in found if f[0] == "entity"]
    others = [f for f in found if f[0] != "entity"]
    folders = {node.folder for node in listing.nodes if node.kind == "entity"}
    unneeded = _unneeded_folders(archive, others, plan_id) if plan_id is not None else set()
    if unneeded:
        others = [f for f in others if not (f[0] == "inspection" and os.path.dirname(f[1]) in unneeded)]
    cache = RecordCache.open(archive, schemas, skip_folders=folders | unneeded) if use_cache else None
    if cache is not None:
        cache.start()
    # the walk is done: `load` reads the other records from it (case collisions were found over all
    # files), and takes their stamps from it
    archive.walked = Walked(others, [f for f in refused if f[0] != "entity"])
    archive.stamps = stamps_by_path(node for node in listing.nodes if node.kind != "entity")
    if table is None:
        roster.start(entity_files)  # on another core meanwhile, when there are many to read
    records, loaded_problems, unparsed = archive.load(schemas.check, cache)
    problems.extend(loaded_problems)
    refused_entities = [f for f in refused if f[0] == "entity"]
    unparsed.extend(refused_entities)
    if table is None:
        table, entities, entity_problems, entity_unparsed = roster.finish(refused_entities, problems)
        problems.extend(entity_problems)
        unparsed.extend(entity_unparsed)
        records.extend(entities)

    valid_shape, index = index_records(records, problems, unparsed)
    if table is not None:  # a clean roster: nothing in it for `check_ids`, its records made when asked
        index.entities = table.entities()
        problems.extend(rules.check_ids(valid_shape, index))
    else:
        problems.extend(rules.check_ids(_worth_checking(valid_shape), index))
    for rule in (rules.check_plans(index), rules.check_item_lists(index), rules.check_draws(index)):
        problems.extend(rule)
    for draw in index.draws.values():  # an interrupted draw: the plan's records may be incomplete
        if "status" in draw.data and isinstance(draw.data.get("plan"), str):
            index.broken_by_plan[draw.data["plan"]].append(draw.path)
    # the plans' own deadlines (confirmations): an index without inspections has no others
    today = dt.date.today()
    problems.extend(deadlines.check_deadlines(Index.build([r for r in valid_shape if r.kind not in ("inspection", "entity")]),
                                              today))
    if cache is not None:
        cache.save()
    return Checked(archive, schemas, records, index, sorted(set(problems)), cache, None, today)


def _unneeded_folders(archive: Archive, files: list[tuple[str, str]], plan_id: str) -> set[str]:
    """The inspection folders (other than the plan's own) none of whose files can be a record of
    `plan_id`, when the plan counts no earlier inspections (`yearly_cap`): what the draw reads of
    inspections is its own plan's (`index.by_plan`, `broken_by_plan`), and nothing else of them.

    A record names its plan in its text: a file whose bytes hold neither the plan's id nor a
    backslash (a double-quoted escape could spell the id otherwise) cannot name it, as a key, a
    value, an anchor or a merged map. Each file is read (a few microseconds), not parsed. Any
    doubt — the plan's record not found once, a file that cannot be read — reads everything."""
    import re

    from docgen.draw.run import inspection_file
    from docgen.records.loader import read_limited, read_yaml_file
    from docgen.records.schema import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, plan_id):
        return set()  # not an id as the schema allows (no spaces, quotes or escapes to spell it otherwise)
    found = 0
    for kind, path in files:
        if kind != "plan":
            continue
        doc = read_yaml_file(path, path)[0]  # (only a regular file, of a record's size)
        data = doc.data if doc is not None else None
        if not isinstance(data, dict):
            return set()  # a plan file that cannot be read may be this plan's
        if data.get("id") == plan_id:
            found += 1
            if data.get("yearly_cap") is not None:
                return set()  # the year's earlier plans' inspections count (`frequency.earlier_inspections`)
    if found != 1:
        return set()
    own = os.path.dirname(os.path.abspath(inspection_file(archive.records_dir, plan_id, "x")))
    wanted = plan_id.encode("utf-8")
    by_folder: dict[str, list[str]] = {}
    for kind, path in files:
        if kind == "inspection":
            by_folder.setdefault(os.path.dirname(path), []).append(path)
    unneeded = set()
    for folder, paths in by_folder.items():
        if os.path.abspath(folder) == own or os.path.basename(folder) == plan_id:
            continue  # (a file there that cannot be read holds the plan back: `index_records`)
        for path in paths:
            blob, _problems = read_limited(path, path)
            if blob is None or wanted in blob or b"\\" in blob:
                break  # (one that cannot be read: read as `Archive.load` reads it, which says why)
        else:
            unneeded.add(folder)
    return unneeded


def _worth_checking(records: list) -> list:
    """The records `rules.check_ids` can find something in: all but the entities, and of those only
    the ones with own findings (remembered by the roster) or an id or credit code another entity
    has too — all of those, in order, so that the first of each is the same. The others, nearly all
    of a county's roster, would give nothing."""
    from collections import Counter

    def text(value):
        return value if isinstance(value, str) else None  # the rule looks at text only

    entities = [r for r in records if r.kind == "entity"]
    ids = Counter(text(r.doc.data.get("id")) for r in entities)
    codes = Counter(text(r.doc.data.get("credit_code")) for r in entities)
    return [r for r in records if r.kind != "entity" or (r.doc.memo or {}).get("own rules") != []
            or ids[text(r.doc.data.get("id"))] > 1 or codes[text(r.doc.data.get("credit_code"))] > 1]
