"""Compiled code docgen makes from schemas and templates, kept per user between runs.

Turning a schema into a validator (fastjsonschema) or a template into Python (Jinja) costs
tens of milliseconds each, which is most of a one-record rebuild. The results are Python
code objects, so they are kept in the user's own cache folder — never in the archive's
`.docgen/`, which is plain JSON that anybody sending an archive could have written — and
only used when that folder belongs to the user and nobody else can write to it (the checks
Jinja makes for its own bytecode cache folder).

The folder is where platformdirs would put it (XDG_CACHE_HOME, ~/Library/Caches,
%LOCALAPPDATA%); it is worked out here because importing platformdirs costs more than the
rebuild it would help to save. `DOCGEN_CACHE_DIR` chooses another folder; an empty value
turns the cache off. Entries are named by the SHA-256 of everything that went into them,
docgen's own source and the Python release included, so a stale entry is never used, only left behind.

The folder also holds this user's secret key (`archive-cache.key`), with which docgen signs the
JSON it keeps in an archive's `.docgen/`: an entry is used only when this user's docgen wrote it
(see `docgen.cache.read_json`).
"""

from __future__ import annotations

import marshal
import os
import sys

from docgen.cache import content_key


def _default_dir() -> str | None:
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return os.path.join(base, "docgen", "Cache") if base else None
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/docgen")
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, "docgen")


_chosen: dict[str | None, str | None] = {}  # DOCGEN_CACHE_DIR -> folder, worked out once per process


def folder() -> str | None:
    """The cache folder, made if need be, or None when there is none safe to use."""
    chosen = os.environ.get("DOCGEN_CACHE_DIR")
    if chosen in _chosen:
        return _chosen[chosen]
    path = _default_dir() if chosen is None else (chosen or None)
    if path and path.startswith("~"):
        path = None  # no home directory to expand into
    if path:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            if not _is_private(path):
                path = None
        except OSError:
            path = None
    _chosen[chosen] = path
    return path


def _is_private(path: str) -> bool:
    """The user's own folder, which the user can write to and nobody else can."""
    if not os.access(path, os.W_OK):
        return False
    if not hasattr(os, "getuid"):
        return True  # Windows: %LOCALAPPDATA% is the user's own
    st = os.stat(path)
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


_secrets: dict[str, bytes | None] = {}  # cache folder -> its key, read once per process
SECRET_NAME = "archive-cache.key"


def secret() -> bytes | None:
    """This user's key for signing archive caches (made on first use), or None when there is no
    private cache folder: then nothing in an archive's `.docgen/` can be told apart from a forgery."""
    base = folder()
    if not base:
        return None
    if base not in _secrets:
        path = os.path.join(base, SECRET_NAME)
        value = _read_secret(path)
        if value is None and not os.path.lexists(path):
            _make_secret(path)
            value = _read_secret(path)
        _secrets[base] = value
    return _secrets[base]


def _read_secret(path: str) -> bytes | None:
    """The key, when it is a regular file of the user's that nobody else can read or write."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
            return None
        value = handle.read(65)
    import stat

    return value if stat.S_ISREG(st.st_mode) and len(value) == 32 else None


def _make_secret(path: str) -> None:
    """A new random key; of two processes making one at once, the first to link its file wins."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=".key-", dir=os.path.dirname(path))  # mode 0600
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(os.urandom(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not os.path.lexists(path):
                os.replace(tmp, path)
    except OSError:
        pass
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def key(*parts: bytes | str) -> str:
    """An entry name from everything the entry is made of, docgen's source and this Python included."""
    # sys.version names the exact release, so also its bytecode format (importlib.util, which
    # has MAGIC_NUMBER, costs a few milliseconds to import)
    return content_key(f"{sys.implementation.cache_tag} {sys.version}", *parts)


def load_code(name: str):
    """A code object stored under `name`, or None (missing, damaged, or not the user's own)."""
    base = folder()
    if not base:
        return None
    path = os.path.join(base, name + ".code")
    try:
        if hasattr(os, "getuid"):
            st = os.stat(path)
            if st.st_uid != os.getuid() or st.st_mode & 0o022:
                return None
        with open(path, "rb") as handle:
            code = marshal.loads(handle.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return code if hasattr(code, "co_code") else None


def store_code(name: str, code) -> None:
    """Keep a code object for the next run; a cache that cannot be written only costs time."""
    base = folder()
    if not base:
        return
    try:
        from docgen.writer import write_atomic

        write_atomic(os.path.join(base, name + ".code"), marshal.dumps(code), mode=0o600)
    except (OSError, ValueError):
        return
    # A store happens only on a miss (new schema, template or docgen): the moment to tidy what a
    # killed run left behind. Only docgen's own temporary names, only files no running docgen holds.
    from docgen.writer import remove_stale_temps

    remove_stale_temps(base)
