"""Which record files an archive's records/ holds, found with nothing but `os`.

The replay of an unchanged run (`docgen.start`, `docgen.snapshot`) lists 100,000 record files
before anything else is imported; this module is what it needs of the archive's layout. It keeps
each folder's names in the order the directory yields them (sorting 100,000 names in a folder
hashed by the file system costs more than listing them): the replay only compares, and a full run
asks for the sorted order (`Scan.found`). What is wrong with the tree is noted as plain
(path, message, severity) tuples; `Archive.walk` makes them `Problem`s. Asked for stamps, it takes
small folders' at once and leaves big folders' to `docgen.records.stamping` (`Scan.pending`).
"""

from __future__ import annotations

import os
import re
import stat
from array import array
from itertools import chain
from operator import attrgetter

from docgen.tempname import is_temp_name

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
WARNING = "warning"  # as `problems.WARNING`, without importing it
LIST_BY_FD = os.scandir in os.supports_fd and os.stat in os.supports_dir_fd
# a folder with at least this many record files is stamped after the whole listing (`Scan.pending`,
# its descriptor kept open till then), when the stat calls can be shared out (`docgen.records.stamping`)
DEFER_MIN = 1024
_STAMP = attrgetter("st_mtime_ns", "st_ctime_ns", "st_size", "st_ino")  # `cache.stamp_of`, reordered


_MISNAMED = re.compile(r"\.ya?ml(?:\.(?:txt|yaml|yml))?$", re.IGNORECASE)


def is_misnamed_record(name: str) -> bool:
    """A record file whose name a text editor changed: 「org-002.yaml.txt」 (Notepad's 另存为),
    「org-002.YAML」. Never read, and never ignored in silence: its documents would be taken for a
    gone record's."""
    return not is_record_file(name) and not name.startswith(NOT_RECORDS) and bool(_MISNAMED.search(name))


def stem_of(name: str) -> str:
    """A record file's name without its extension, a misnamed one's too (org-002.yaml.txt: org-002)."""
    if is_misnamed_record(name):
        return _MISNAMED.sub("", name)
    return os.path.splitext(name)[0]


_UNDECODED = re.compile("[\udc80-\udcff]")  # a byte of a file name that is not UTF-8, as os.fsdecode keeps it


def undecoded(path: str) -> str:
    """A path with names that are not UTF-8 (GBK, from a zip made on Chinese Windows and unpacked here)
    as it can be shown and stored: those bytes as \\xHH."""
    return os.fsencode(path).decode("utf-8", "backslashreplace") if _UNDECODED.search(path) else path


NOT_UTF8 = ("名称不是 UTF-8 编码（常见于在中文 Windows 上打包、在这里解压的压缩文件，名称是 GBK 编码），docgen 无法"
            "读取它；请在文件管理器中把它重新命名（或用 convmv -f gbk -t utf-8 转换）")


def is_record_file(name: str) -> bool:
    """A YAML file that is not hidden and not an editor's temporary copy."""
    return name.endswith(RECORD_SUFFIXES) and not name.startswith(NOT_RECORDS) and not name.endswith("~")


def display(path: str, here: str | None = None) -> str:
    """A path as a clerk would type it: relative to the current folder when inside it (`here`: that
    folder with its separator, when a caller showing many paths asked for it once)."""
    here = here or os.getcwd() + os.sep
    return path[len(here):] if path.startswith(here) else path


def packaged_dir(name: str) -> str:
    """Folder of docgen's own copy of templates/ or schemas/.

    Installed, they sit inside the package (docgen/templates); in a source checkout, beside it.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the docgen package
    for candidate in (os.path.join(here, name), os.path.join(os.path.dirname(here), name)):
        if os.path.isdir(candidate) and any(n.endswith((".json", ".docx", ".xlsx")) for n in os.listdir(candidate)):
            return candidate
    from docgen.records.problems import DocgenError

    raise DocgenError(f"docgen 安装不完整：找不到自带的 {name} 目录，请重新安装")


def leads_outside(path: str, root: str) -> bool:
    """Whether `path`, through any link on its way (its own included), is outside the archive at
    `root`: an archive from elsewhere must not make docgen read or write another folder's files."""
    base = os.path.normcase(os.path.realpath(root))  # (Windows: one folder whatever the letters' case)
    real = os.path.normcase(os.path.realpath(path))
    return not (real == base or real.startswith(base.rstrip(os.sep) + os.sep))


def outside_archive(path: str, records_dir: str) -> bool:
    """`leads_outside` for a record file: the archive is the folder holding `records_dir`."""
    return leads_outside(path, os.path.dirname(os.path.abspath(records_dir)))


def refuse_outside(path: str, records_dir: str) -> None:
    """DocgenError when writing `path` (a record under `records_dir`) would write outside the archive."""
    if outside_archive(path, records_dir):
        from docgen.records.problems import DocgenError

        raise DocgenError(f"{display(os.path.abspath(path))}：它或它所在的文件夹是指向档案之外的符号链接，docgen 不会写到"
                          f"档案之外；请改为档案中的普通文件夹后再运行")


def own_or_packaged(root: str, name: str) -> str:
    """The archive's own templates/ or schemas/ when it has one, else docgen's."""
    own = os.path.join(root, name)
    return own if os.path.isdir(own) else packaged_dir(name)


class Node:
    """One folder of records/: its record files' names (in the directory's order) and its subfolders."""

    __slots__ = ("kind", "folder", "names", "subs", "stats", "entries", "fd")

    def __init__(self, kind: str, folder: str):
        self.kind, self.folder = kind, folder
        self.names: list[str] = []
        # the record files' stamps, 4 numbers each (`pack`), once taken; until then, for a big folder,
        # its record files' directory entries and the open folder they are stat'ed relative to
        self.stats: array | list | None = None
        self.entries: list | None = None
        self.fd: int | None = None
        self.subs: list[tuple[str, Node]] = []

    def close(self) -> None:
        """Close the folder its entries were stat'ed from (the entries are let go with the node: a
        replay leaves without freeing 100,000 of them one by one, `start.leave`)."""
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)

    def sorted_files(self, out: list[tuple[str, str]]) -> None:
        """(kind, path) of the files below, as a walk with each folder's entries sorted by name gives them."""
        prefix = self.folder + os.sep
        names = sorted(self.names)
        if not self.subs:
            kind = self.kind
            out.extend([(kind, prefix + name) for name in names])
            return
        items = sorted([(name, None) for name in names] + self.subs, key=lambda item: item[0])
        for name, node in items:
            if node is None:
                out.append((self.kind, prefix + name))
            else:
                node.sorted_files(out)


class Scan:
    """Everything under records/ that a run reads: `nodes` in the order they were listed."""

    def __init__(self, tops: list[Node], nodes: list[Node], issues: list[tuple[str, str, str]],
                 refused: list[tuple[str, str]], temps: list[str] | None = None):
        self.tops, self.nodes, self.issues, self.refused = tops, nodes, issues, refused
        self.temps = temps  # docgen's temporary files seen in the folders listed (`writer.remove_listed_temps`)
        # nodes listed with stamps asked for whose stamps are still to be taken (`Node.entries`)
        self.pending = [node for node in nodes if node.entries is not None]

    def found(self) -> list[tuple[str, str]]:
        """(kind, path) of every record file, in a stable order (each folder's entries by name)."""
        out: list[tuple[str, str]] = []
        for node in self.tops:
            node.sorted_files(out)
        return out

    def without(self, kind: str) -> "Scan":
        """The listing without the folders of one kind (the entities', when a kept roster stands for
        them): what is wrong with the tree, and the files refused, are still all of them."""
        return Scan([node for node in self.tops if node.kind != kind], self.nodes, self.issues, self.refused, self.temps)


class Walked:
    """Records already found, as `Archive.load` reads a listing (`Scan`'s shape): what is wrong with
    the tree, names differing only in case included, was found over all files already."""

    checked_case = True

    def __init__(self, found: list[tuple[str, str]], refused: list[tuple[str, str]]):
        self._found, self.issues, self.refused = found, [], refused

    def found(self) -> list[tuple[str, str]]:
        return self._found


class Gone:
    """The stamp of a file that vanished between listing and stat'ing it."""

    st_mtime_ns, st_size, st_ino, st_ctime_ns = -(2 ** 63), 0, 0, -(2 ** 63)


GONE = Gone.st_mtime_ns  # the modification time in a packed stamp of a file that vanished


def pack(entries: list) -> array | list:
    """The stamps of directory entries (a link: of what it leads to), 4 numbers a file (modification
    time, change time, size, inode), packed in an array rather than made into tuples or text.

    A plain list instead when a number does not fit in 64 bits (an inode number past 63 bits on some
    network file systems): never cut. `DirEntry.stat()` on one thread: two threads (the call releases
    the GIL) cost more CPU and gave no shorter runs; two processes do (`docgen.records.stamping`)."""
    try:
        stats = [entry.stat() for entry in entries]
    except OSError:
        stats = [_stat_or_gone(entry) for entry in entries]
    return pack_stats(stats)


def pack_stats(stats: list) -> array | list:
    """`pack` of stat results already taken."""
    try:
        return array("q", chain.from_iterable(map(_STAMP, stats)))
    except OverflowError:
        return list(chain.from_iterable(map(_STAMP, stats)))


def newest_of(stamps) -> int:
    """The latest modification or change time in packed stamps."""
    if not stamps:
        return GONE
    return max(max(stamps[0::4]), max(stamps[1::4]))


def stamps_by_path(nodes) -> dict[str, list[int]]:
    """Path → stamp (as `cache.stamp_of` gives it) of each record file of stamped `nodes`, those that
    vanished while being stamped left out."""
    found: dict[str, list[int]] = {}
    for node in nodes:
        if not node.names:
            continue
        prefix, s = node.folder + os.sep, node.stats
        found.update((prefix + name, [mtime, size, ino, ctime])
                     for name, mtime, ctime, size, ino in zip(node.names, s[0::4], s[1::4], s[2::4], s[3::4])
                     if mtime != GONE)
    return found


def _stat_or_gone(entry):
    try:
        return entry.stat()
    except OSError:
        return Gone


def _all_records(names: list[str]) -> bool:
    """Whether every name is a record's (`is_record_file` but for a trailing "~", as `scan` asks),
    decided in C on all the names at once: no name holds a NUL."""
    joined = "\0" + "\0".join(names) + "\0"
    return (joined.count(".yaml\0") + joined.count(".yml\0") == len(names)
            and not any(f"\0{start}" in joined for start in NOT_RECORDS))


def scan(records_dir: str, root: str, stamps: bool = False) -> Scan:
    """List records/ (see `Archive.walk` for the rules); `records_dir` absolute. With `stamps`,
    each node's `stats` are its record files' `os.stat` (following a link, as reading does), taken
    from the directory entries while their folder is open.

    Nothing but a regular file is ever opened: a FIFO, socket or device is skipped with a
    warning. A symbolic link is followed only when it leads inside the archive; one leading out is
    an issue, and its file is refused. A directory entry tells a plain file or folder without a
    stat call."""
    if leads_outside(records_dir, root):
        from docgen.records.problems import DocgenError

        raise DocgenError(f"记录目录 {display(records_dir)} 是指向档案之外（{os.path.realpath(records_dir)}）的符号链接，docgen "
                          f"不读取档案之外的文件；请把记录复制到档案中")
    bounds = {os.path.realpath(root), os.path.realpath(records_dir)}

    def inside(real: str) -> bool:
        return any(real == b or real.startswith(b.rstrip(os.sep) + os.sep) for b in bounds)

    nodes: list[Node] = []
    issues: list[tuple[str, str, str]] = []
    refused: list[tuple[str, str]] = []
    visited: set[str] = set()
    temps: list[str] = []

    def kind_of(path: str, kind: str, entry=None) -> int | None:
        """The stat mode of what `path` leads to, or None (noted) when it must not be read."""
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
                        issues.append((display(path), f"这是指向档案之外（{real}）的符号链接，docgen 不读取档案"
                                                      "之外的文件；请把文件复制到档案中，或删除这个链接", "error"))
                        refused.append((kind, path))
                    return None
            return stat.S_IFMT(os.stat(path).st_mode)
        except OSError as exc:
            if wanted:
                from docgen.records.problems import os_error_text

                issues.append((display(path), f"无法读取：{os_error_text(exc, with_path=False)[0]}"
                                              "（可能是指向不存在的文件的链接）", "error"))
            return None

    def _not_utf8(entry, kind: str, prefix: str) -> bool:
        """Whether the entry's name is not UTF-8: a record file or a folder so named is refused and said
        (its records are not read, and no document goes as if they were deleted); another file is left alone."""
        if not _UNDECODED.search(entry.name):
            return False
        if entry.name.endswith(RECORD_SUFFIXES) or entry.is_dir():
            shown = undecoded(display(prefix + entry.name))
            what = "文件夹" if entry.is_dir() else "文件"
            issues.append((shown, what + NOT_UTF8 + ("；其中的记录没有读取" if what == "文件夹" else ""), "error"))
            refused.append((kind, shown))
        return True

    def _misnamed(path: str, kind: str) -> None:
        issues.append((display(path), "文件名不是以小写的 .yaml 结尾（可能被编辑器改了扩展名），docgen 没有读取它；"
                                      "请改名为 ….yaml。在此之前，它所属的文书不会被当作已删除记录的文书而删除", "error"))
        refused.append((kind, path))

    def visit(folder: str, kind: str) -> Node | None:
        real = os.path.realpath(folder)
        if real in visited:  # a link back up the tree
            return None
        visited.add(real)
        fd = None
        try:
            if LIST_BY_FD:  # its entries stat'ed relative to it: one name to look up per file
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            with os.scandir(folder if fd is None else fd) as listing:
                entries = list(listing)
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            issues.append((display(folder), f"无法读取文件夹：{exc.strerror or exc}", "error"))
            return None
        try:
            node = Node(kind, folder)
            nodes.append(node)
            records = _sort_out(node, entries, kind, folder + os.sep)
            if stamps and len(records) >= DEFER_MIN:
                node.entries, node.fd, fd = records, fd, None  # stamped after the listing
            elif stamps:
                node.stats = pack(records)
        finally:
            if fd is not None:
                os.close(fd)
        return node

    def _sort_out(node: Node, entries: list, kind: str, prefix: str) -> list:
        """Fill `node` from its folder's entries; returns the record files' entries, as its names."""
        if _UNDECODED.search("\0".join(entry.name for entry in entries)):  # (in C: rare, and then said once)
            entries = [entry for entry in entries if not _not_utf8(entry, kind, prefix)]
        # the usual folder holds regular files only, told apart in C: the directory entry says what
        # it is without a stat call, and is never true for a link
        files = [entry for entry in entries if entry.is_file(follow_symlinks=False)]
        if len(files) == len(entries):
            names = [entry.name for entry in files]
            if _all_records(names):  # (so no temporary file either)
                node.names = names
                return files
            temps.extend(prefix + name for name in names if is_temp_name(name))
            for name in names:
                if is_misnamed_record(name):
                    _misnamed(prefix + name, kind)
            files = [e for e in files if e.name.endswith(RECORD_SUFFIXES) and not e.name.startswith(NOT_RECORDS)]
            node.names = [entry.name for entry in files]
            return files
        records = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if is_temp_name(name) and entry.is_file(follow_symlinks=False):
                    temps.append(prefix + name)
                continue
            if entry.is_file(follow_symlinks=False):
                if name.endswith(RECORD_SUFFIXES) and not name.startswith(NOT_RECORDS):  # `is_record_file`
                    records.append(entry)
                elif is_misnamed_record(name):
                    _misnamed(prefix + name, kind)
                continue
            path = prefix + name
            if entry.is_dir(follow_symlinks=False):
                sub = visit(path, kind)
                if sub is not None:
                    node.subs.append((name, sub))
                continue
            mode = kind_of(path, kind, entry)
            if mode == stat.S_IFDIR:
                sub = visit(path, kind)
                if sub is not None:
                    node.subs.append((name, sub))
            elif mode == stat.S_IFREG:
                if is_record_file(name):
                    records.append(entry)
            elif mode is not None:
                issues.append((display(path), "这不是普通文件（可能是管道、套接字或设备），已跳过；"
                                              "记录目录中只应放记录文件", WARNING))
        node.names = [entry.name for entry in records]
        return records

    tops = []
    try:
        for folder, kind in KIND_FOLDERS.items():
            base = os.path.join(records_dir, folder)
            if os.path.lexists(base) and kind_of(base, kind) == stat.S_IFDIR:
                top = visit(base, kind)
                if top is not None:
                    tops.append(top)
    except BaseException:
        for node in nodes:
            node.close()
            node.entries = None
        raise
    if not tops:
        _not_records(records_dir)
    _unknown_folders(records_dir, issues, refused)
    return Scan(tops, nodes, issues, refused, temps)


def _unknown_folders(records_dir: str, issues: list, refused: list) -> None:
    """A folder of records/ docgen does not know (「inspection」 for 「inspections」) holding YAML files:
    said, and its files refused as unreadable records, so that no document is removed as belonging
    to a record that is gone while they are there."""
    try:
        with os.scandir(records_dir) as listing:
            entries = [e for e in listing if e.name not in KIND_FOLDERS and not e.name.startswith(".")
                       and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for entry in entries:
        found = []
        for folder, _dirs, names in os.walk(entry.path):
            found += [os.path.join(folder, n) for n in names if is_record_file(n)]
            if found:
                break
        if found:
            issues.append((undecoded(display(entry.path)), f"records/ 中的文件夹“{undecoded(entry.name)}”不是记录文件夹（应为 "
                                                f"{'、'.join(KIND_FOLDERS)} 之一），其中的记录没有读取；请把它们移到正确的文件夹。"
                                                "在此之前，docgen 不删除任何文书", "error"))
            refused.append(("plan", undecoded(found[0])))


def _not_records(records_dir: str) -> None:
    """DocgenError for a records folder with none of the record folders: `--records` pointing at the
    archive itself, at one of its record folders or at an empty folder would find no record at all,
    and a build would then remove every document as belonging to records that are gone."""
    if not os.path.isdir(records_dir):
        return  # said by the walk, in its own words
    from docgen.records.problems import DocgenError

    raise DocgenError(f"{display(records_dir)} 中没有任何记录文件夹（{'、'.join(KIND_FOLDERS)}），不像档案的 records 文件夹；"
                      f"请检查 --records 指向的位置（应为档案中的 records 文件夹）")
