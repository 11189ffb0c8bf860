"""Find and load every record of an archive: records/, and its own templates/ and schemas/.

An archive is a folder holding `records/`; when it also holds `templates/` or
`schemas/`, those copies are used instead of the ones shipped with docgen, so an
office can restyle its forms or extend an enumeration without touching docgen.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from docgen.records.loader import Document, fast_mapping, parse_bytes, positioned, read_limited
from docgen.records.problems import DocgenError, Problem
from docgen.records.yamlerrors import not_a_mapping
from docgen.records.tree import KIND_FOLDERS, display, own_or_packaged, scan


def found_order(records_dir: str, kind_path: tuple[str, str]) -> tuple:
    """Where a path comes in a walk of records/ with each folder's entries sorted by name."""
    parts = kind_path[1][len(records_dir) + 1:].split(os.sep)
    return (list(KIND_FOLDERS).index(parts[0]) if parts[0] in KIND_FOLDERS else len(KIND_FOLDERS), parts[1:])


@dataclass(slots=True)
class Record:
    """One YAML record: what it says and where each part of it stands."""

    kind: str
    path: str  # as shown to the clerk
    abspath: str
    doc: Document
    sha: str = ""  # SHA-256 of the file's bytes: what an output made from this record depends on

    @property
    def data(self) -> Any:
        return self.doc.data

    def problem(self, keys: tuple, message: str, severity: str = "error", key: bool = False) -> Problem:
        line, column = self.doc.position(keys, key=key)
        return Problem(self.path, line, column, message, severity)


@dataclass
class Archive:
    """Where the records, templates and schemas of one office live."""

    records_dir: str
    root: str = field(init=False)
    # handed from `snapshot.Inputs` to the next `load` of the same run (a `tree.Scan`), then dropped
    walked: Any = field(default=None, init=False, repr=False)
    stamps: dict | None = field(default=None, init=False, repr=False)
    inputs: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.records_dir = os.path.abspath(self.records_dir)
        self.root = os.path.dirname(self.records_dir)

    def own_or_packaged(self, name: str) -> str:
        return own_or_packaged(self.root, name)

    @property
    def templates_dir(self) -> str:
        return self.own_or_packaged("templates")

    @property
    def schemas_dir(self) -> str:
        return self.own_or_packaged("schemas")

    def walk(self, case: bool = True) -> tuple[list[tuple[str, str]], list[Problem], list[tuple[str, str]]]:
        """Every record file under records/, what is wrong with the tree, and the files refused.

        Nothing but a regular file is ever opened: a FIFO, socket or device is skipped with a
        warning (reading one would block). A symbolic link is followed only when it leads inside
        the archive; one leading out is an error, and its file is refused (an archive received
        from elsewhere must not read this machine's files). Names that differ only in case are an
        error: on Windows and macOS they are the same file (left to the caller with `case=False`:
        `_case_collisions` of the files found).
        """
        self.require()
        return self.walked_from(scan(self.records_dir, self.root), case)

    def require(self) -> "Archive":
        """The archive, when its records folder exists; else the clerk's error, naming the archive's top
        folder when the command was run in one of its subfolders (where `new` and `import` would
        otherwise start a second records/ that no other command reads)."""
        if os.path.isdir(self.records_dir):
            return self
        here = os.path.dirname(self.records_dir)
        top = here
        while os.path.dirname(top) != top:
            top = os.path.dirname(top)
            if os.path.isdir(os.path.join(top, os.path.basename(self.records_dir))) and \
                    os.path.isdir(os.path.join(top, os.path.basename(self.records_dir), "plans")):
                raise DocgenError(f"当前文件夹不是档案的顶层文件夹，找不到记录目录 {display(self.records_dir)}："
                                  f"档案在 {display(top)}，请先进入该文件夹（cd {display(top)}）再运行")
        raise DocgenError(f"找不到记录目录 {display(self.records_dir)}（可用 --records 指定，或先运行 docgen init 建立档案）")

    def walked_from(self, listing, case: bool = True):
        """`walk`'s answer from a listing of records/ (`tree.scan`), which the replay of an unchanged run
        takes first (`snapshot.Inputs`)."""
        found = listing.found()
        problems = [Problem(path, 1, 1, message, severity) for path, message, severity in listing.issues]
        refused = sorted(listing.refused, key=lambda kind_path: found_order(self.records_dir, kind_path))
        if case:
            problems.extend(self._case_collisions(found))
        return found, problems, refused

    def _case_collisions(self, found: list[tuple[str, str]]) -> list[Problem]:
        """Files, or folders, whose paths under records/ differ only in case."""
        start = len(self.records_dir) + 1  # every path found starts with it
        relatives = [path[start:] for _kind, path in found]
        folders_seen = {relative.rpartition(os.sep)[0] for relative in relatives}
        if len({r.casefold() for r in relatives}) == len(set(relatives)) \
                and len({f.casefold() for f in folders_seen}) == len(folders_seen):
            return []  # the usual case, decided in C for 100,000 files: no name differs from another only in case
        problems = []
        files: dict[str, str] = {}
        folders: dict[str, str] = {}
        reported: set[str] = set()
        for _kind, path in found:
            relative = path[len(self.records_dir) + 1:]  # every path found starts with it
            first = files.setdefault(relative.casefold(), path)
            if first != path:
                for one, other in ((path, first), (first, path)):
                    problems.append(Problem(display(one), 1, 1, f"文件名与 {display(other)} 只有大小写不同，在 Windows 和 macOS 上"
                                                                f"会被当作同一个文件；编号不区分大小写，请改用不同的编号"))
                continue
            folder = os.path.dirname(relative)
            first_folder = folders.setdefault(folder.casefold(), folder)
            if first_folder != folder and folder not in reported:
                reported.add(folder)  # once per folder, on its first file
                problems.append(Problem(display(path), 1, 1, f"所在文件夹 {folder} 与 {first_folder} 只有大小写不同，在 Windows 和"
                                                             f" macOS 上会被当作同一个文件夹；请合并为一个"))
        return problems

    def load(self, check=None, cache=None) -> tuple[list[Record], list[Problem], list[tuple[str, str]]]:
        """Parse every record file and run `check(record)` on it; problems are collected, never raised.

        With a `cache` (see `docgen.cache`), a file whose bytes are unchanged since the last run is
        neither parsed nor checked again. Also returns (kind, path) of the files that could not be
        read as a record at all: nobody knows what they hold, so their plans are left as they are.
        """
        listing, self.walked = self.walked, None
        stamps, self.stamps = self.stamps or {}, None
        # the listing `snapshot.Inputs` took (and stamped) for this run, else a walk now
        found, problems, unparsed = (self.walked_from(listing, not getattr(listing, "checked_case", False))
                                     if listing is not None else self.walk())
        records = []
        here = os.getcwd() + os.sep  # `display`, without asking for the current folder once per file
        files = []  # (kind, path, shown, cache entry of an unchanged file or None)
        todo = []   # (kind, path, shown) of the files to read
        for kind, path in found:
            shown = path[len(here):] if path.startswith(here) else path
            entry = cache.unchanged(path, stamps.get(path)) if cache is not None else None
            files.append((kind, path, shown, entry))
            if entry is None:
                todo.append((kind, path, shown))
        read = iter(_read_all(todo, check, cache))
        for kind, path, shown, entry in files:
            if entry is not None:  # unchanged since the last run: not even read (most files)
                data, sha, cached_problems = entry.get("data"), entry.get("sha", ""), entry.get("problems")
            else:
                found_now = next(read)
                hit = cache.get(path, b"", found_now[1]) if found_now[0] == "known" else None
                if found_now[0] == "known" and hit is None:  # (cannot be: `holds` looked at this entry)
                    found_now = _read_one(kind, path, shown, check, None)
                if found_now[0] == "unread":
                    problems.extend(found_now[1])
                    unparsed.append((kind, path))
                    continue
                if hit is not None:
                    data, cached_problems, sha = hit
                else:  # parsed now: remembered, then made a record as a remembered file is
                    _how, sha, data, own = found_now
                    problems.extend(own)
                    cached_problems = ()
                    if cache is not None:
                        cache.put(path, b"", data, [(p.line, p.column, p.message, p.severity) for p in own], sha,
                                  stamps.get(path))
            if cached_problems:
                problems.extend(Problem(shown, *p) for p in cached_problems)
            if data is None:
                unparsed.append((kind, path))
                continue
            doc = Document(data, reparse=partial(positioned, path, shown))
            if cache is not None:
                cache.attach(doc, path, entry)
            records.append(Record(kind, shown, path, doc, sha))
        return records, problems, unparsed


def _read_all(todo: list[tuple[str, str, str]], check, cache) -> list[tuple]:
    """`_read_one` of each file, in order; on two cores when there are many (a first check of a
    county's roster parses 100,000 files: `docgen.split`), the helper sending back what it found."""
    from docgen.split import Shared

    def work(start: int, stop: int) -> list[tuple]:
        return [_read_one(kind, path, shown, check, cache) for kind, path, shown in todo[start:stop]]

    shared = Shared(len(todo), work)
    shared.start()
    return [found for chunk in shared.results() for found in chunk]


def _read_one(kind: str, path: str, shown: str, check, cache) -> tuple:
    """What reading one record file gives, without changing `cache` (a helper process does it too):
    ("unread", problems); ("known", sha) when the cache holds an entry for these very bytes (the
    file was touched since); else ("parsed", sha, its data or None, its own problems)."""
    blob, unread = read_limited(path, shown)
    if blob is None:
        return ("unread", unread)
    sha = hashlib.sha256(blob).hexdigest()
    if cache is not None and cache.holds(path, sha):
        return ("known", sha)
    record, own = _parsed(kind, shown, path, blob, sha, check)
    return ("parsed", sha, record.data if record is not None else None, own)


def _parsed(kind: str, shown: str, path: str, blob: bytes, sha: str, check) -> tuple[Record | None, list[Problem]]:
    """A file's record and its own problems (YAML, then `check`: schema and characters).

    The record keeps no positions afterwards (they are most of a parsed record's memory): a rule
    asking for one later has the file parsed again (`Document.reparse`). A file in the plain form
    of a roster file is read without positions at all (`loader.fast_mapping`), and parsed with them
    only when something in it is wrong."""
    try:
        data = fast_mapping(blob.decode("utf-8"))
    except UnicodeDecodeError:
        data = None
    again = partial(positioned, path, shown)
    if data is not None:
        doc, found = Document(data, reparse=again), []
    else:
        doc, found = parse_bytes(blob, shown)
        if doc is not None and not isinstance(doc.data, dict):
            found.append(Problem(shown, 1, 1, not_a_mapping(doc.data)))
            doc = None
    if doc is None:
        return None, found
    record = Record(kind, shown, path, doc, sha)
    if check is not None:
        found.extend(check(record))
    doc.forget_positions(again)
    return record, found
