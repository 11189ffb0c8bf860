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


def kept_by_git(paths: list[str]) -> set[str]:
    """Those of `paths` (files of one git work tree) that git holds as they are: each file's bytes are the
    blob git's index has for it (staged or committed), so deleting it loses nothing git cannot give back.
    Empty when there is no git, no repository, or git cannot answer.

    Only the index is read (`git ls-files -s`) and the blobs' ids are worked out here: `git status` would
    run what the repository's own configuration names (an fsmonitor hook, clean filters), and an archive
    may come from elsewhere with its .git/. A file a filter changes on the way in counts as changed: kept."""
    if not paths:
        return set()
    import hashlib
    import subprocess

    safe = ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=" + os.devnull]
    try:
        common = os.path.commonpath([os.path.dirname(p) for p in paths])
        found = subprocess.run(safe + ["-C", common, "rev-parse", "--show-toplevel"], capture_output=True,
                               text=True, timeout=60, stdin=subprocess.DEVNULL)
        if found.returncode != 0:
            return set()
        top = os.path.realpath(found.stdout.strip())
        rels = {os.path.relpath(os.path.realpath(p), top).replace(os.sep, "/"): p for p in paths}
        names = sorted(rels)
        out = b""
        for start in range(0, len(names), 200):  # a command line of bounded length (Windows: 32,767 characters)
            listed = subprocess.run(safe + ["-C", top, "ls-files", "-s", "-z", "--",
                                            *(":(literal)" + r for r in names[start:start + 200])],
                                    capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
            if listed.returncode != 0:
                return set()
            out += listed.stdout
    except (OSError, ValueError, subprocess.SubprocessError):
        return set()
    from docgen.cache import read_regular

    held = set()
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        info, _, name = entry.partition("\t")  # "<mode> <object> <stage>\t<path>"
        fields = info.split()
        if name not in rels or len(fields) != 3 or fields[2] != "0" or fields[0] not in ("100644", "100755"):
            continue
        try:
            data = read_regular(rels[name], follow_links=False)
        except OSError:
            continue
        digest = hashlib.sha256 if len(fields[1]) == 64 else hashlib.sha1  # a repository of SHA-256 objects
        if digest(b"blob %d\0" % len(data) + data).hexdigest() == fields[1]:
            held.add(rels[name])
    return held

