"""Remember, per record file, what parsing and schema checking made of its bytes.

A file whose modification time, size and inode are unchanged is not even read again
(as make and Hugo do); otherwise its SHA-256 decides.

Checking a thousand records against their schemas takes about a second; a build in which
nothing changed should not pay for it again. The cache lives in `.docgen/` beside
`records/`, is keyed by each file's SHA-256, docgen's version and the schemas' content,
and is plain JSON (never unpickled). A missing or damaged cache only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os

from docgen import __version__
from docgen.writer import write_atomic

CACHE_DIR = ".docgen"
CACHE_FILE = "records-cache.json"


def file_stamp(path: str) -> list[int] | None:
    """What make and git compare to know a file is untouched: modification time, size, inode."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


class RecordCache:
    def __init__(self, path: str | None, key: str, entries: dict):
        self.path, self.key, self.entries = path, key, entries
        self.seen: set[str] = set()
        self.dirty = False

    @staticmethod
    def key_for(schemas) -> str:
        return hashlib.sha256(__version__.encode() + schemas.digest_source()).hexdigest()

    @classmethod
    def open(cls, archive, schemas) -> "RecordCache":
        key = cls.key_for(schemas)
        path = os.path.join(archive.root, CACHE_DIR, CACHE_FILE)
        entries = {}
        try:
            with open(path, encoding="utf-8") as handle:
                stored = json.load(handle)
            if stored.get("key") == key and isinstance(stored.get("files"), dict):
                entries = stored["files"]
        except (OSError, ValueError, AttributeError):
            pass
        return cls(path, key, entries)

    stamp = staticmethod(file_stamp)

    def get_unchanged(self, path: str):
        """The cached result when the file's modification time, size and inode are as recorded."""
        entry = self.entries.get(path)
        if isinstance(entry, dict) and entry.get("stat") is not None and entry.get("stat") == self.stamp(path):
            self.seen.add(path)
            return entry.get("data"), [tuple(p) for p in entry.get("problems", [])], entry.get("sha", "")
        return None

    def get(self, path: str, blob: bytes):
        self.seen.add(path)
        entry = self.entries.get(path)
        if isinstance(entry, dict) and entry.get("sha") == hashlib.sha256(blob).hexdigest():
            stamp = self.stamp(path)
            if entry.get("stat") != stamp:  # same bytes, touched: remember the new stamp
                entry["stat"] = stamp
                self.dirty = True
            return entry.get("data"), [tuple(p) for p in entry.get("problems", [])], entry["sha"]
        return None

    def put(self, path: str, blob: bytes, data, problems) -> None:
        self.seen.add(path)
        self.entries[path] = {"sha": hashlib.sha256(blob).hexdigest(), "stat": self.stamp(path), "data": data,
                              "problems": problems}
        self.dirty = True

    def save(self) -> None:
        stale = set(self.entries) - self.seen
        self.seen = set()
        for path in stale:
            del self.entries[path]
        if not (self.dirty or stale) or self.path is None:
            return
        try:
            payload = json.dumps({"key": self.key, "files": self.entries}, ensure_ascii=False)
            write_atomic(self.path, payload.encode("utf-8"))
            self.dirty = False
            ignore = os.path.join(os.path.dirname(self.path), ".gitignore")
            if not os.path.exists(ignore):
                write_atomic(ignore, b"*\n")
        except OSError:
            pass  # a read-only archive still validates, only more slowly
