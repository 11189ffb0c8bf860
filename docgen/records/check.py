"""Load an archive and check it: YAML, then schemas, then cross-record rules."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import os

from docgen.records.archive import Archive, Record, display
from docgen.cache import CACHE_DIR, RecordCache
from docgen.records.index import Index, plan_folder
from docgen.records.problems import DocgenError, Problem
from docgen.records.schema import Schemas
from docgen.records.tree import stem_of


@dataclass
class Checked:
    """The outcome of one check: every record that parsed, the index, and all problems."""

    archive: Archive
    schemas: Schemas
    records: list[Record]
    index: Index
    problems: list[Problem] = field(default_factory=list)
    cache: RecordCache | None = None  # reused by the watcher between rebuilds
    inputs: object = None  # the stamps this check was made from (`snapshot.Inputs`), for the build's snapshot
    today: object = None  # the date deadlines were judged by
    count: int | None = None  # records checked, when not all of them are in `records` (`kept_roster`)

    @property
    def record_count(self) -> int:
        return len(self.records) if self.count is None else self.count

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def holding(self) -> list[Problem]:
        """The errors that hold things back until mended (documents, tables, a draw, an export, a
        commit): every error but a step recorded as done late (`Problem.holds_documents`)."""
        return [p for p in self.problems if p.holds_documents]

    @functools.cached_property
    def invalid_paths(self) -> set[str]:
        """Paths of records that have at least one error that holds (their documents are not written)."""
        return {p.path for p in self.holding}

    def is_valid(self, record: Record | None) -> bool:
        return record is not None and record.path not in self.invalid_paths

    def plan_held_back(self, plan: Record) -> str | None:
        """What holds all of a plan's documents back: "plan" (its own record has errors that hold),
        "departments" (a department or 抽查事项清单 it names: missing, or with such errors), or None.
        The build makes none of its documents then, and the status counts none of its records."""
        if not self.is_valid(plan):
            return "plan"
        index = self.index
        ids = index.plan_department_ids(plan.data)
        named = [index.departments.get(d) for d in ids] + [index.item_lists[d] for d in ids if d in index.item_lists]
        if not all(self.is_valid(r) for r in named) or any(("items", d) in index.broken for d in ids):
            return "departments"
        return None

    def plan_files(self, plan: Record) -> set[str]:
        """The files every document of `plan` reads: its own, and those of the departments and 抽查事项清单
        it names (also one whose own shape is wrong, so not in the index). Their errors are what
        `plan_held_back` finds, and what the status and the export list when they refuse."""
        ids = set(self.index.plan_department_ids(plan.data))
        return {plan.path} | {r.path for r in self.records if r.kind in ("department", "items")
                              and isinstance(r.data, dict) and r.data.get("id") in ids}

    def plan_problems(self, plan_id: str) -> list[Problem]:
        """The errors of the file(s) holding plan `plan_id` when that record is not in the index (its
        file at the plan's name, or any plan record giving that id): why it is "not found"."""
        from docgen.records.yamlout import record_path

        records_dir = self.archive.records_dir
        standard = os.path.abspath(record_path(records_dir, "plan", plan_id))
        paths = {standard, standard[:-len(".yaml")] + ".yml"}
        paths.update(r.abspath for r in self.records
                     if r.kind == "plan" and isinstance(r.data, dict) and r.data.get("id") == plan_id)
        return [p for p in self.holding if os.path.abspath(p.path) in paths]

    def missing_plan(self, plan_id: str, doing: str) -> DocgenError:
        """The error for a plan id that is not in the index: its record's errors when it has a file
        with errors (so not "not found"), else the plans there are. `doing`: what waits for it (抽取)."""
        own = self.plan_problems(plan_id)
        if own:
            listing = "\n".join(str(p) for p in own[:20])
            return DocgenError(f"抽查计划“{plan_id}”的记录有错误，修正后才能{doing}：\n{listing}")
        known = "、".join(sorted(self.index.plans)) or "（无）"
        return DocgenError(f"找不到抽查计划“{plan_id}”。现有计划：{known}")


def check_archive(archive: Archive, use_cache: bool = True, today=None, cache: RecordCache | None = None,
                  save_cache: bool = True, kept_roster: bool = False) -> Checked:
    """Every problem of the archive in one run, sorted by file and line. A caller that goes on to
    build saves the record cache itself afterwards (`save_cache=False`), so it is written once.

    Python's cycle collector is paused meanwhile: the records live as long as the run, and scanning
    a county's 100,000 of them again and again while they are made took a third of the time
    (records hold no cycles; reference counting frees them). In a one-shot command (`ONE_SHOT`, set
    by `cli.main`) what was loaded is then set aside from the collector for good (`gc.freeze`).

    `kept_roster`: the caller looks entities up by id only (and counts the roster through
    `kept_roster.roster_kinds`), so an unchanged, quiet roster need not be read (`kept_roster`)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_archive(archive, use_cache, today, cache, save_cache, kept_roster)
    finally:
        if ONE_SHOT:
            gc.freeze()
        if enabled:
            gc.enable()


ONE_SHOT = False  # the process ends after one command (the CLI), not a watcher or a test session


def _check_archive(archive: Archive, use_cache: bool, today, cache: RecordCache | None,
                   save_cache: bool, kept_roster: bool = False) -> Checked:
    import datetime as dt

    today = today or dt.date.today()  # also part of the run's snapshot key

    schemas = Schemas(archive.schemas_dir, os.path.join(archive.root, CACHE_DIR))
    from docgen.snapshot import Inputs

    inputs, archive.inputs = archive.inputs, None  # taken by `snapshot.replay_*` in this run, or now
    if inputs is None:
        inputs = Inputs.of(archive)
    from docgen.draw.table import entity_stamps

    key = RecordCache.key_for(schemas)
    kept = stamps = early = None  # stamps: `entity_stamps` of this listing, once worked out
    if use_cache and kept_roster:
        from docgen.records import kept_roster as roster

        # read while the roster's files may still be stamped (`snapshot.Inputs`): the other folders'
        # record cache, and what the last full check noted of the roster
        skip = frozenset(node.folder for node in inputs.listing.nodes if node.kind == "entity")
        if cache is not None and cache.key == key and cache.skipped_folders == skip:
            early = cache  # the watcher's, from its last run: each entry is still checked against its file
        else:
            early = RecordCache.open(archive, schemas, skip_folders=skip)
        note = roster.noted(archive, key)
        if not inputs.racy:
            stamps = entity_stamps(inputs.listing, key)
            kept = roster.kept(archive, key, stamps, note) if note is not None else None
    if kept is not None:
        checked = _check_with_roster(archive, schemas, inputs, today, save_cache, kept, early)
        if checked is not None:
            return checked
        # an entity file changed while it was read: all of it again, from a new listing
        archive.walked = archive.stamps = None
        inputs, stamps = Inputs.of(archive), None
    if cache is None or cache.key != key or cache.skipped:
        cache = RecordCache.open(archive, schemas) if use_cache else None
    if cache is not None:
        cache.start()
    records, problems, unparsed = archive.load(schemas.check, cache)
    listing = inputs.listing  # the draw's roster is kept from it below (`draw.table`)
    inputs.release()
    valid_shape, index = index_records(records, problems, unparsed)
    problems.extend(_rules(valid_shape, index, today))
    if cache is not None and save_cache:
        cache.save()  # after the rules: it also keeps the positions their problems asked for
    if cache is not None and listing is not None:  # the first draw after this run reads no entity file
        from docgen.draw.table import remember_checked
        from docgen.records import kept_roster as roster

        stamps = stamps or entity_stamps(listing, key)
        remember_checked(archive, key, listing, inputs.racy, records, problems, unparsed, stamps)
        roster.note(archive, key, stamps, inputs.racy, records, problems, unparsed, index)
    problems = sorted(set(problems))
    if use_cache:
        from docgen.snapshot import remember_check

        remember_check(inputs, today, problems, len(records))
    return Checked(archive, schemas, records, index, problems, cache, inputs, today)


def _check_with_roster(archive: Archive, schemas: Schemas, inputs, today, save_cache: bool,
                       entities, cache: RecordCache) -> Checked | None:
    """`_check_archive` of an archive whose entity files are as a full check found them, with
    nothing in any of them (`kept_roster`): every other record is read and checked as there, the
    entities an inspection names are read whole, the others only looked up in the kept roster.
    None when one of those files is not what was kept (changed meanwhile)."""
    from docgen.records.kept_roster import Stale
    from docgen.records.tree import Walked, stamps_by_path

    listing = inputs.listing
    # the kept roster is for these very names: what is wrong with the tree is looked for in the
    # others (names differing only in case among the entities' were not, when it was kept)
    found, problems, refused = archive.walked_from(listing.without("entity"))
    archive.walked = Walked([f for f in found if f[0] != "entity"], [f for f in refused if f[0] != "entity"])
    archive.stamps = stamps_by_path(node for node in listing.nodes if node.kind != "entity")
    cache.start()  # (opened without the entity folders' shards)
    records, loaded, unparsed = archive.load(schemas.check, cache)
    problems.extend(loaded)
    unparsed.extend(f for f in refused if f[0] == "entity")
    try:
        named = entities.read_named(records)
    except Stale:
        return None
    records.extend(named)
    inputs.release()
    valid_shape, index = index_records(records, problems, unparsed)
    index.entities = entities
    index.views["roster digest"] = entities.roster
    problems.extend(_rules(valid_shape, index, today))
    if save_cache:
        cache.save()
    problems = sorted(set(problems))
    count = len(records) - len(named) + len(entities)  # (the rules may read more entities whole: not records)
    from docgen.snapshot import remember_check

    remember_check(inputs, today, problems, count)
    return Checked(archive, schemas, records, index, problems, cache, inputs, today, count)


def _rules(valid_shape: list[Record], index: Index, today) -> list:
    """The cross-record rules and the deadlines, over the records whose own shape is right."""
    import datetime as dt

    from docgen.records import deadlines  # working-day rules sit beside the structural ones
    from docgen.records.rules import check_all

    problems = check_all(valid_shape, index)
    for draw in index.draws.values():  # an interrupted draw: the plan's records may be incomplete
        if "status" in draw.data and isinstance(draw.data.get("plan"), str):
            index.broken_by_plan[draw.data["plan"]].append(draw.path)
    problems.extend(deadlines.check_deadlines(index, today))
    problems.extend(deadlines.check_future(index, dt.date.today()))  # (the clock's day, whatever --as-of says)
    return problems


def index_records(records: list[Record], problems: list, unparsed: list[tuple[str, str]]) -> tuple[list[Record], Index]:
    """The records whose own shape is right, and the index of them (noting the others as broken)."""
    bad_paths = {p.path for p in problems if p.is_error}
    valid_shape = [r for r in records if r.path not in bad_paths]
    broken = [r for r in records if r.path in bad_paths]
    # cross-record rules read only records whose shape is right; the others are already reported,
    # and references to them are not reported again as missing
    index = Index.build(valid_shape)
    index.broken = {(r.kind, r.data.get("id")) for r in broken if isinstance(r.data.get("id"), str)}
    for record in broken:
        if record.kind == "inspection":
            # the plan it names, and the plan whose folder holds it (its `plan` may be the broken part)
            plan = record.data.get("plan") if isinstance(record.data, dict) else None
            for plan_id in dict.fromkeys(p for p in (plan if isinstance(plan, str) else None, plan_folder(record)) if p):
                index.broken_by_plan[plan_id].append(record.path)
    for kind, path in unparsed:
        stem = stem_of(os.path.basename(path))
        index.broken.add((kind, stem))  # probably its id: no "does not exist" errors about it elsewhere
        if kind == "inspection":
            folder = os.path.basename(os.path.dirname(path))
            index.broken_by_plan[folder if folder != "inspections" else "*"].append(display(path))
        elif kind in ("plan", "department", "entity", "items"):
            index.broken_by_plan["*"].append(display(path))
    return valid_shape, index
