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

OTHER = object()  # the state of a path that holds something other than a regular file
BESIDE = "（docgen新生成）"  # ends the name of a new document written beside a clerk's file

_ODD = re.compile(r'[\\:*?"<>|\x00-\x1f\x7f]')
_ODD_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def plain_relpath(rel) -> bool:
    """Whether a manifest path is one docgen could have written: "/"-separated plain names, no
    "..", no absolute or drive path, no hidden, control, bidi or other format characters."""
    if not isinstance(rel, str) or not rel or len(rel) > 1024 or _ODD.search(rel):
        return False
    import unicodedata

    if any(unicodedata.category(c) in _ODD_CATEGORIES for c in rel):
        return False
    return all(part and not part.startswith(".") and not part.endswith((" ", ".")) and
               len(part.encode("utf-8")) <= 255 for part in rel.split("/"))


def shown(rel: str, limit: int = 200) -> str:
    """A path as it may be printed: control and format characters (bidi overrides) as \\u escapes."""
    import unicodedata

    text = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in _ODD_CATEGORIES else c for c in rel[:limit])
    return text + ("…" if len(rel) > limit else "")


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
        path = os.path.join(self.root, *rel.split("/"))
        parent = os.path.dirname(path)
        inside = self._parents.get(parent)
        if inside is None:
            real = os.path.realpath(parent)
            inside = self._parents[parent] = real == self.real or real.startswith(self.real + os.sep)
        return path if inside else None

    def state(self, path: str):
        """None when nothing is there, OTHER when it is not a regular file, else its SHA-256."""
        try:
            mode = os.lstat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat.S_ISREG(mode):
            return OTHER
        return self.hashes.sha(path)
