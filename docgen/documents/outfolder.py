"""Where in the output folder docgen may read, replace and delete files.

The manifest travels in git with the documents, so the paths in it are input like any
other: a path is used only when it is relative and made of plain names, and leads to a
place inside the output folder without passing through a link to somewhere else. Only
regular files are hashed, replaced or removed; a link, folder or FIFO at a document's
path belongs to someone else.
"""

from __future__ import annotations

import os
import re
import stat

from docgen.gitprogram import git_program
from docgen.records.textcheck import INVISIBLE, escaped

OTHER = object()  # the state of a path that holds something other than a regular file
BESIDE = "（docgen新生成）"  # ends the name of a new document written beside a clerk's file

_RESERVED = re.compile(r'[\\:*?"<>|]')  # names some system reserves (and Windows' separator)


def plain_relpath(rel) -> bool:
    """Whether a manifest path is one docgen could have written: "/"-separated plain names, no
    "..", no absolute or drive path, no hidden, control, bidi or other format characters."""
    if not isinstance(rel, str) or not 0 < len(rel) <= 1024 or _RESERVED.search(rel):
        return False
    if not rel.isprintable() and INVISIBLE.search(rel):  # isprintable: a quick test for the common case
        return False
    # no empty part ("//", a leading or trailing "/"), none starting with "." (".", "..", hidden
    # names) or ending with a space or "." (which Windows drops)
    framed = "/" + rel + "/"
    if "//" in framed or "/." in framed or " /" in framed or "./" in framed:
        return False
    return len(rel.encode("utf-8")) <= 255 or all(len(part.encode("utf-8")) <= 255 for part in rel.split("/"))


def shown(rel: str, limit: int = 200) -> str:
    """A path as it may be printed: control and format characters (bidi overrides) as \\u escapes."""
    return escaped(rel[:limit]) + ("…" if len(rel) > limit else "")


def beside(rel: str) -> str:
    """Where a new document goes when a file docgen did not write (or that was edited) holds its path."""
    stem, ext = os.path.splitext(rel)
    return stem + BESIDE + ext


class OutputFolder:
    """The output folder, as far as docgen may touch it."""

    def __init__(self, root: str, hashes):
        self.root = os.path.abspath(root)
        self.real = os.path.realpath(self.root)
        self.hashes = hashes  # cache.OutputHashes: a file's SHA-256, read again only when touched
        self._parents: dict[str, bool] = {}

    def target(self, rel: str) -> str | None:
        """The file for a manifest or output path, or None when its folder leads out of the output folder."""
        folder = rel.rpartition("/")[0]
        inside = self._parents.get(folder)
        if inside is None:
            real = os.path.realpath(os.path.join(self.root, *folder.split("/")))
            inside = self._parents[folder] = real == self.real or real.startswith(self.real + os.sep)
        return self.root + os.sep + rel.replace("/", os.sep) if inside else None

    def state(self, path: str):
        """None when nothing is there, OTHER when it is not a regular file, else its SHA-256."""
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return OTHER
        return self.hashes.sha(path, st)  # a regular file's lstat is its stat


def kept_by_git(paths: list[str], root: str, archive_root: str) -> tuple[set[str], str | None]:
    """Those of `paths` (files under the folder `root`, of the archive at `archive_root`) that git holds as
    they are — each file's bytes are the blob both git's index and the last commit have for it, so deleting
    it loses nothing git cannot give back — and, when git could not be asked, why (in the clerk's words;
    None when it answered).

    Only the index and the last commit are read (`ls-files -s`, `ls-tree`, fsmonitor, hooks and optional
    locks switched off), and each blob id is worked out here from the file's bytes: `git status` would
    run what the repository's own configuration names (an fsmonitor hook, clean filters), an archive may
    come from elsewhere with its .git/, and a file marked assume-unchanged would pass as unchanged. git is
    run by its absolute path from PATH (`git_program`), never fetching lazily, and not at all in a partial clone."""
    if not paths:
        return set(), None
    import hashlib
    import subprocess

    git = git_program(archive_root)
    if git is None:
        return set(), "找不到 git 程序，无法确认它是否原样提交在 git 中"
    safe = [git, "--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=" + os.devnull]

    def run(*args: str, where: str) -> tuple[bytes | None, list[str]]:
        """git's output (None when it refused) and the lines it said on stderr."""
        # its refusals in one language; never fetching a missing object from a remote the repository names
        # (a partial clone's promisor: its configured upload-pack would run)
        done = subprocess.run(safe + ["-C", where, *args], capture_output=True, timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_NO_LAZY_FETCH": "1"})
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return (done.stdout if done.returncode == 0 else None), said

    try:
        found, said = run("rev-parse", "--show-toplevel", where=root)
        if found is None:
            if any("not a git repository" in line for line in said):
                return set(), None  # not in git at all: "not committed" is the truth
            why = next((line for line in said if not line.startswith("warning:")), "")
            return set(), f"git 没有回答{f'（{why}）' if why else ''}，无法确认它是否原样提交在 git 中"
        top = os.path.realpath(found.decode("utf-8", "surrogateescape").rstrip("\n"))
        if run("config", "--get", "extensions.partialClone", where=top)[0] is not None:
            # objects missing from a partial clone are fetched from a remote its own configuration names
            return set(), "这个仓库是部分克隆（partial clone），docgen 不向它确认文件是否原样提交在 git 中"
        folder = os.path.relpath(os.path.realpath(root), top).replace(os.sep, "/")
        spec = ":(literal)" + ("" if folder == "." else folder)
        staged = run("ls-files", "-s", "-z", "--", spec, where=top)[0]
        committed = run("ls-tree", "-r", "-z", "--full-tree", "HEAD", "--", spec, where=top)[0]
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return set(), f"git 没有回答（{exc}），无法确认它是否原样提交在 git 中"
    if staged is None or committed is None:
        return set(), None  # nothing committed yet (no HEAD), or nothing of the folder in git
    index = _blobs(staged, lambda f: f[2] == "0" and f[0] in ("100644", "100755"), 1)
    head = _blobs(committed, lambda f: f[1] == "blob" and f[0] in ("100644", "100755"), 2)
    from docgen.cache import read_regular

    held = set()
    for path in paths:
        try:
            name = os.path.relpath(os.path.realpath(path), top).replace(os.sep, "/")
        except ValueError:  # on another drive
            continue
        blob = index.get(name)
        if blob is None or head.get(name) != blob:
            continue
        try:
            data = read_regular(path, follow_links=False)
        except OSError:
            continue
        digest = hashlib.sha256 if len(blob) == 64 else hashlib.sha1  # a repository of SHA-256 objects
        if digest(b"blob %d\0" % len(data) + data).hexdigest() == blob:
            held.add(path)
    return held, None


def _blobs(listing: bytes, wanted, at: int) -> dict[str, str]:
    """path -> blob id of `git ls-files -s -z` ("<mode> <object> <stage>\t<path>") or `git ls-tree -z`
    ("<mode> <type> <object>\t<path>") output."""
    found = {}
    for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
        info, _, name = entry.partition("\t")
        fields = info.split()
        if name and len(fields) == 3 and wanted(fields):
            found[name] = fields[at]
    return found
