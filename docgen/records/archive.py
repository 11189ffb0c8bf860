"""Find and load every record of an archive: records/, and its own templates/ and schemas/.

An archive is a folder holding `records/`; when it also holds `templates/` or
`schemas/`, those copies are used instead of the ones shipped with docgen, so an
office can restyle its forms or extend an enumeration without touching docgen.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from docgen.records.loader import Document, parse_bytes, read_limited, read_yaml_file
from docgen.records.problems import WARNING, DocgenError, Problem

# folder under records/ -> record kind
KIND_FOLDERS = {
    "plans": "plan",
    "departments": "department",
    "items": "items",  # each department's 抽查事项清单, named by the department's id
    "entities": "entity",
    "inspections": "inspection",
    "draws": "draw",
    "calendar": "calendar",
}
FOLDER_OF = {kind: folder for folder, kind in KIND_FOLDERS.items()}
RECORD_SUFFIXES = (".yaml", ".yml")
NOT_RECORDS = (".", "#", "~$")  # hidden files, editors' copies


def is_record_file(name: str) -> bool:
    """A YAML file that is not hidden and not an editor's temporary copy."""
    return name.endswith(RECORD_SUFFIXES) and not name.startswith(NOT_RECORDS) and not name.endswith("~")


def packaged_dir(name: str) -> str:
    """Folder of docgen's own copy of templates/ or schemas/.

    Installed, they sit inside the package (docgen/templates); in a source checkout, beside it.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the docgen package
    for candidate in (os.path.join(here, name), os.path.join(os.path.dirname(here), name)):
        if os.path.isdir(candidate) and any(n.endswith((".json", ".docx", ".xlsx")) for n in os.listdir(candidate)):
            return candidate
    raise DocgenError(f"docgen 安装不完整：找不到自带的 {name} 目录，请重新安装")


def display(path: str) -> str:
    """A path as a clerk would type it: relative to the current folder when inside it."""
    here = os.getcwd() + os.sep
    return path[len(here):] if path.startswith(here) else path


@dataclass
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
    # handed from `snapshot.Inputs` to the next `load` of the same run, then dropped
    walked: tuple | None = field(default=None, init=False, repr=False)
    stamps: dict | None = field(default=None, init=False, repr=False)
    inputs: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.records_dir = os.path.abspath(self.records_dir)
        self.root = os.path.dirname(self.records_dir)

    def own_or_packaged(self, name: str) -> str:
        own = os.path.join(self.root, name)
        return own if os.path.isdir(own) else packaged_dir(name)

    @property
    def templates_dir(self) -> str:
        return self.own_or_packaged("templates")

    @property
    def schemas_dir(self) -> str:
        return self.own_or_packaged("schemas")

    def record_files(self) -> list[tuple[str, str]]:
        """(kind, absolute path) of every record file, in a stable order."""
        return self.walk()[0]

    def walk(self, case: bool = True) -> tuple[list[tuple[str, str]], list[Problem], list[tuple[str, str]]]:
        """Every record file under records/, what is wrong with the tree, and the files refused.

        Nothing but a regular file is ever opened: a FIFO, socket or device is skipped with a
        warning (reading one would block). A symbolic link is followed only when it leads inside
        the archive; one leading out is an error, and its file is refused (an archive received
        from elsewhere must not read this machine's files). Names that differ only in case are an
        error: on Windows and macOS they are the same file (left to the caller with `case=False`:
        `_case_collisions` of the files found).
        """
        import stat
        from operator import attrgetter

        by_name = attrgetter("name")

        if not os.path.isdir(self.records_dir):
            raise DocgenError(f"找不到记录目录 {display(self.records_dir)}（可用 --records 指定，或先运行 docgen init 建立档案）")
        bounds = {os.path.realpath(self.root), os.path.realpath(self.records_dir)}

        def inside(real: str) -> bool:
            return any(real == b or real.startswith(b.rstrip(os.sep) + os.sep) for b in bounds)

        found: list[tuple[str, str]] = []
        problems: list[Problem] = []
        refused: list[tuple[str, str]] = []
        visited: set[str] = set()

        def kind_of(path: str, kind: str, entry=None) -> int | None:
            """The stat mode of what `path` leads to, or None (reported) when it must not be read.
            A directory entry tells a plain file or folder without a stat call."""
            name = os.path.basename(path)
            wanted = entry is None or is_record_file(name)
            try:
                if entry is not None and not entry.is_symlink():
                    if entry.is_file(follow_symlinks=False):
                        return stat.S_IFREG
                    if entry.is_dir(follow_symlinks=False):
                        return stat.S_IFDIR
                elif os.path.islink(path):
                    real = os.path.realpath(path)
                    if not inside(real):
                        if wanted or os.path.isdir(path):
                            problems.append(Problem(display(path), 1, 1, f"这是指向档案之外（{real}）的符号链接，docgen 不读取档案"
                                                                        "之外的文件；请把文件复制到档案中，或删除这个链接"))
                            refused.append((kind, path))
                        return None
                return stat.S_IFMT(os.stat(path).st_mode)
            except OSError as exc:
                if wanted:
                    problems.append(Problem(display(path), 1, 1, f"无法读取：{exc.strerror or exc}（可能是指向不存在的文件的链接）"))
                return None

        def visit(folder: str, kind: str) -> None:
            real = os.path.realpath(folder)
            if real in visited:  # a link back up the tree
                return
            visited.add(real)
            try:
                with os.scandir(folder) as listing:
                    entries = sorted(listing, key=by_name)
            except OSError as exc:
                problems.append(Problem(display(folder), 1, 1, f"无法读取文件夹：{exc.strerror or exc}"))
                return
            for entry in entries:
                name = entry.name
                if name.startswith("."):
                    continue
                # the directory entry says what it is, without a stat call; never true for a link
                if entry.is_file(follow_symlinks=False):
                    if name.endswith(RECORD_SUFFIXES) and not name.startswith(NOT_RECORDS):  # `is_record_file`
                        found.append((kind, entry.path))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    visit(entry.path, kind)
                    continue
                mode = kind_of(entry.path, kind, entry)
                if mode == stat.S_IFDIR:
                    visit(entry.path, kind)
                elif mode == stat.S_IFREG:
                    if is_record_file(entry.name):
                        found.append((kind, entry.path))
                elif mode is not None:
                    problems.append(Problem(display(entry.path), 1, 1, "这不是普通文件（可能是管道、套接字或设备），已跳过；"
                                                                       "记录目录中只应放记录文件", WARNING))

        for folder, kind in KIND_FOLDERS.items():
            base = os.path.join(self.records_dir, folder)
            if os.path.lexists(base) and kind_of(base, kind) == stat.S_IFDIR:
                visit(base, kind)
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
        walked, self.walked = self.walked, None
        stamps, self.stamps = self.stamps or {}, None
        found, problems, unparsed = walked or self.walk()
        if walked:  # the walk of `snapshot.Inputs`, which leaves this to the run that reads the records
            problems.extend(self._case_collisions(found))
        records = []
        here = os.getcwd() + os.sep  # `display`, without asking for the current folder once per file
        for kind, path in found:
            shown = path[len(here):] if path.startswith(here) else path
            hit = cache.get_unchanged(path, stamps.get(path)) if cache is not None else None
            if hit is not None:
                data, cached_problems, sha = hit
                problems.extend(Problem(shown, *p) for p in cached_problems)
                if data is None:
                    unparsed.append((kind, path))
                    continue
                doc = Document(data, reparse=lambda p=path, s=shown: read_yaml_file(p, s)[0])
                cache.attach(doc, path)
                records.append(Record(kind, shown, path, doc, sha))
                continue
            blob, found = read_limited(path, shown)
            if blob is None:
                problems.extend(found)
                unparsed.append((kind, path))
                continue
            hit = cache.get(path, blob) if cache is not None else None
            if hit is not None:
                data, cached_problems, sha = hit
                doc = Document(data, reparse=lambda b=blob, s=shown: parse_bytes(b, s)[0])
                cache.attach(doc, path)
                problems.extend(Problem(shown, *p) for p in cached_problems)
                if doc.data is not None:
                    records.append(Record(kind, shown, path, doc, sha))
                else:
                    unparsed.append((kind, path))
                continue
            doc, found = parse_bytes(blob, shown)
            if doc is not None and not isinstance(doc.data, dict):
                found.append(Problem(shown, 1, 1, "记录应由“字段: 值”组成，而不是单个值或列表"))
                doc = None
            record = Record(kind, shown, path, doc, hashlib.sha256(blob).hexdigest()) if doc is not None else None
            if record is not None and check is not None:
                found.extend(check(record))
            problems.extend(found)
            if record is not None:
                records.append(record)
            else:
                unparsed.append((kind, path))
            if cache is not None:
                cache.put(path, blob, record.data if record else None,
                          [(p.line, p.column, p.message, p.severity) for p in found])
                if record is not None:
                    cache.attach(doc, path)
        return records, problems, unparsed
