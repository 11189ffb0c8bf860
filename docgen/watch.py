"""`docgen watch`: rebuild when records, templates or schemas change.

Events are filtered (editor swap and backup files, Office lock files, temporary files)
and gathered until the folder has been quiet for a moment, so that one save — or a
`git checkout` touching hundreds of files — gives one rebuild. A broken record is
reported and its last good documents stay where they are.
"""

from __future__ import annotations

import fnmatch
import os
import threading
import time

from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

from docgen.records.archive import Archive
from docgen.documents.build import build
from docgen.cache import RecordCache
from docgen.records.problems import DocgenError, os_error_text

QUIET_SECONDS = 0.25
IGNORED = ("*.swp", "*.swx", "*.swo", "4913", "*~", ".#*", "#*#", "~$*", ".goutputstream-*", "*.tmp",
           ".DS_Store", ".docgen-*", "*.part", ".~lock.*", "sed??????")  # sed -i writes sedXXXXXX beside the file


def is_ignored(path: str) -> bool:
    """Editor and system temporary files, which never hold a record."""
    name = os.path.basename(path)
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED) or "/.git/" in path.replace(os.sep, "/")


class Changes(FileSystemEventHandler):
    """Collects changed paths; `wait()` returns them once no event came for the quiet period."""

    def __init__(self, quiet: float = QUIET_SECONDS):
        self.quiet = quiet
        self.paths: set[str] = set()
        self.last = 0.0
        self.lock = threading.Lock()
        self.pending = threading.Event()

    def on_any_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        # a rename onto a record (an editor's atomic save) counts as a change of the target
        wanted = [p for p in paths if p and not is_ignored(p)]
        if not wanted:
            return
        with self.lock:
            self.paths.update(wanted)
            self.last = time.monotonic()
        self.pending.set()

    def wait(self, stop: threading.Event, poll=None) -> set[str] | None:
        """`poll()`, called about every 0.1 s while nothing happens, may return paths to count as changed."""
        while not stop.is_set():
            if not self.pending.wait(0.1):
                found = poll() if poll is not None else None
                if found:
                    with self.lock:
                        self.paths.update(found)
                        self.last = time.monotonic()
                    self.pending.set()
                continue
            with self.lock:
                idle = time.monotonic() - self.last
                if idle >= self.quiet:
                    paths, self.paths = self.paths, set()
                    self.pending.clear()
                    return paths
            time.sleep(self.quiet - idle)  # the rest of the quiet period
        return None


def _identity(folder: str) -> tuple[int, int] | None:
    """The folder's device and inode: another folder moved to its path has others."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def describe(paths: set[str], root: str) -> str:
    """The changed files as the watcher's line names them (a name from elsewhere shown, not obeyed)."""
    from docgen.records.textcheck import escaped
    from docgen.records.tree import undecoded

    names = sorted(escaped(undecoded(os.path.relpath(p, root))) for p in paths)
    return "、".join(names[:3]) + (f" 等 {len(names)} 个文件" if len(names) > 3 else "")


def watch(records_dir: str, out_dir: str, echo, stop: threading.Event | None = None,
          quiet: float = QUIET_SECONDS) -> None:
    """Build once, then rebuild on every quiet change until `stop` is set (or Ctrl-C)."""
    stop = stop or threading.Event()
    archive = Archive(records_dir)
    cache_holder: list[RecordCache | None] = [None]

    def rebuild(label: str, changed: set[str] | None) -> None:
        from docgen.documents.build import BuildFailed
        from docgen.records.check import check_archive

        started = time.perf_counter()
        checked = check_archive(archive, cache=cache_holder[0], save_cache=False, kept_roster=True)  # build saves it
        cache_holder[0] = checked.cache
        failed: list[str] = []
        try:
            report = build(archive, out_dir, checked=checked)
        except BuildFailed as exc:  # the other documents were built: say what was done, then what was not
            report, failed = exc.report, exc.lines()
        shown = {os.path.abspath(p) for p in changed or ()}
        for problem in report.problems:
            if problem.is_error or os.path.abspath(problem.path) in shown:
                echo(str(problem))
        for line in report.note_lines():
            echo(line)
        for line in failed:
            echo(f"错误：{line}")
        written = report.written + report.removed

        def listed(paths: list[str]) -> str:
            return "、".join(os.path.basename(p) for p in paths[:4]) + (f" 等 {len(paths)} 份" if len(paths) > 4 else "")

        what = "；".join(part for part in (f"重写 {listed(report.written)}" if report.written else "",
                                          f"删除 {listed(report.removed)}" if report.removed else "") if part)
        errors = sum(p.is_error for p in report.problems)
        tail = f"，{errors} 个错误" if errors else ""
        if report.failures:
            tail += f"，{len(report.failures)} 份文书未能生成"
        elapsed = time.perf_counter() - started
        if written:
            echo(f"[{time.strftime('%H:%M:%S')}] {label} → {what}（{elapsed:.2f} 秒{tail}）")
        else:
            echo(f"[{time.strftime('%H:%M:%S')}] {label} → 文书无变化（{elapsed:.2f} 秒{tail}）")

    def attempt(label: str, changed: set[str] | None) -> None:
        """One rebuild; whatever stops it is reported and the watcher keeps going: the next save may fix it."""
        try:
            rebuild(label, changed)
        except DocgenError as exc:
            echo(f"[{time.strftime('%H:%M:%S')}] {label} → 错误：{exc}")
        except OSError as exc:  # a full disk, a folder without permission: the machine's problem
            text, _ = os_error_text(exc)
            echo(f"[{time.strftime('%H:%M:%S')}] {label} → 错误：{text}")
        except Exception as exc:  # a bug in docgen: say so, keep watching the clerk's other edits
            echo(f"[{time.strftime('%H:%M:%S')}] {label} → docgen 内部错误：{type(exc).__name__}: {exc}"
                 "（这是程序的问题，不是记录的问题，请报告给维护人员）")

    # watching starts before the first build: a save made while it runs is seen and built next
    changes = Changes(quiet)
    observer = Observer()
    watched = [archive.records_dir] + [os.path.join(archive.root, d) for d in ("templates", "schemas")
                                       if os.path.isdir(os.path.join(archive.root, d))]
    watches = {}
    for folder in watched:  # (its identity first: a folder replaced meanwhile is then seen as replaced)
        identity = _identity(folder)
        watches[folder] = (observer.schedule(changes, folder, recursive=True), identity)

    def replaced() -> set[str]:
        """Folders put in place of the watched ones (a copy from another office unpacked over
        `records/`, a folder renamed away and back): their events went to the old folder, so the
        new one is watched from now on, and counts as changed."""
        found = set()
        for folder, (handle, identity) in list(watches.items()):
            now = _identity(folder)
            if now is None or now == identity:
                continue
            try:
                observer.unschedule(handle)
            except (KeyError, ValueError, OSError):
                pass
            try:
                watches[folder] = (observer.schedule(changes, folder, recursive=True), now)
            except OSError:  # gone again meanwhile: looked at on the next poll
                continue
            found.add(folder)
        return found

    observer.start()
    try:
        attempt("首次生成", None)
        echo(f"正在监视 {'、'.join(os.path.relpath(f) + '/' for f in watched)}，保存后自动重新生成（按 Ctrl-C 退出）")
        while True:
            paths = changes.wait(stop, replaced)
            if paths is None:
                break
            attempt(f"变更 {describe(paths, archive.root)}", paths)
    finally:
        observer.stop()
        observer.join(timeout=5)
