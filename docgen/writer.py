"""Write files atomically: a temporary name in the same folder, then a rename over the target.

A run killed mid-write leaves at most a temporary file `.docgen-*.tmp`. The writer holds an
advisory lock on its temporary file until the rename, so `remove_stale_temps` (called at the
start of the next run) can tell a leftover from a file another docgen is writing right now.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time

try:
    import fcntl
except ImportError:  # Windows: a file being written cannot be deleted there anyway
    fcntl = None

from docgen.tempname import TEMP_PREFIX, TEMP_SUFFIX, is_temp_name

UNLOCKABLE_AGE = 3600  # seconds: where locks are not supported, a temporary file this old is a leftover


def _temp(folder: str) -> tuple[int, str]:
    """A new temporary file in `folder`, locked while this process writes it."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=folder)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: the age rule of remove_stale_temps applies
            pass
    return fd, tmp


def _fill(fd: int, data: bytes, mode: int, durable: bool, tmp: str) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    if durable:
        os.fsync(fd)
    os.chmod(tmp, mode)


def sync_folder(folder: str) -> None:
    """Make the renames done in `folder` survive a power cut (POSIX; Windows has no folder handles).
    Once after a series of durable writes to one folder is enough."""
    if os.name != "posix" or not os.path.isdir(folder):
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _install(path: str, data: bytes, mode: int, durable: bool, exclusive: bool) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    for attempt in range(5):
        fd, tmp = _temp(folder)
        closed = False
        try:
            _fill(fd, data, mode, durable, tmp)
            if fcntl is None:  # Windows cannot rename a file that is still open
                os.close(fd)
                closed = True
            if exclusive:
                _link_new(tmp, path)
            else:
                os.replace(tmp, path)
        except FileNotFoundError:
            if os.path.exists(tmp) or not os.path.isdir(folder) or attempt == 4:
                _discard(tmp)
                raise
            continue  # another run's remove_stale_temps took the file before it was locked: again
        except BaseException:
            _discard(tmp)
            raise
        finally:
            if not closed:
                os.close(fd)
        return


def _link_new(tmp: str, path: str) -> None:
    """Give `tmp` the name `path` only if nothing is there yet (FileExistsError otherwise)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this file system (FAT, some network shares)
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def write_atomic(path: str, data: bytes, mode: int | None = None, durable: bool = False) -> None:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never half.
    `durable` flushes the bytes to disk before the rename (records a clerk cannot regenerate;
    outputs can be); `sync_folder` then makes the rename itself durable. Without `mode`, the file
    keeps the permissions it had (a record of personal phone numbers made private stays private),
    and a new one gets 0o644."""
    if mode is None:
        try:
            st = os.lstat(path)
            mode = stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else 0o644
        except OSError:
            mode = 0o644
    _install(path, data, mode, durable, exclusive=False)


def write_new(path: str, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Create `path` with `data`, atomically and only if no file is there: FileExistsError otherwise,
    even when one appears between a caller's check and this write."""
    _install(path, data, mode, durable, exclusive=True)


def remove_stale_temps(*folders: str) -> list[str]:
    """Delete the temporary files an interrupted docgen left in `folders` (walked, symlinks not
    followed). Only docgen's own names, only files no running docgen holds: a concurrent run
    keeps its file (and one taken in the instant before its lock is made is simply written again)."""
    removed = []
    for folder in folders:
        if os.path.islink(folder):  # a folder of the archive that leads elsewhere: not docgen's to tidy
            continue
        for path in _temp_files(folder):
            if _remove_if_abandoned(path):
                removed.append(path)
    return removed


def remove_listed_temps(records_dir: str, listed: list[str]) -> list[str]:
    """`remove_stale_temps` of records/ from the temporary files its listing noticed (`tree.Scan.temps`:
    in the record folders, which are where docgen writes there) and those directly in it, without
    reading its 100,000 names a second time."""
    if os.path.islink(records_dir):  # as `remove_stale_temps`: a folder that leads elsewhere is not docgen's to tidy
        return []
    try:
        top = [os.path.join(records_dir, name) for name in os.listdir(records_dir) if is_temp_name(name)]
    except OSError:
        top = []
    return [path for path in sorted(top + listed) if _remove_if_abandoned(path)]


def _temp_files(top: str) -> list[str]:
    """docgen's temporary files under `top`, links to folders not followed (as `os.walk`). A folder
    of 100,000 records is looked through in C: its names joined once, its subfolders picked by
    `filter`; a name is looked at in Python only when the folder holds a temporary file at all."""
    from operator import attrgetter, methodcaller

    is_dir = methodcaller("is_dir", follow_symlinks=False)
    found, folders = [], [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        names = "\0" + "\0".join(map(attrgetter("name"), entries))
        if "\0" + TEMP_PREFIX in names:
            found += [entry.path for entry in entries if is_temp_name(entry.name) and not is_dir(entry)]
        folders += [entry.path for entry in filter(is_dir, entries)]
    return sorted(found)


def _remove_if_abandoned(path: str) -> bool:
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return False
        if fcntl is None:
            os.unlink(path)  # refused while the writing process has it open
            return True
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # being written right now
        except OSError:  # no locks here: only the age tells
            if time.time() - info.st_mtime < UNLOCKABLE_AGE:
                return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
