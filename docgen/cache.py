"""Remember, per record file, what parsing and schema checking made of its bytes.

A file whose modification time, size, inode and change time are unchanged is not even read again
(as make and Hugo do); otherwise its SHA-256 decides.

Checking a thousand records against their schemas takes about a second; a build in which
nothing changed should not pay for it again. The cache lives in `.docgen/` beside
`records/`, is keyed by each file's SHA-256, docgen's version and source, and the schemas' content,
and is plain JSON (never unpickled). A missing or damaged cache only costs time.

An archive may come from anybody, and so may its `.docgen/`: every file there is signed with
a key kept in the user's own cache folder (`read_json`, `write_json`). An entry another user or
machine wrote, or that was edited, is ignored and made again; only the entries this user's docgen
wrote are believed, and only for them is an unchanged stat stamp taken as unchanged bytes.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os

from docgen import __version__

CACHE_DIR = ".docgen"


@functools.cache
def code_digest() -> bytes:
    """docgen's own source (all its modules): a changed model or renderer means changed outputs, version bump or not."""
    folder = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    names = []
    for top, dirs, files in os.walk(folder):
        # templates/ and schemas/ sit inside the package only when installed: they are data, not code
        # (their contents are digested where they are used), so a checkout and an install agree
        dirs[:] = [d for d in dirs if not d.startswith((".", "__")) and not (top == folder and d in ("templates", "schemas"))]
        names += [os.path.relpath(os.path.join(top, n), folder) for n in files if n.endswith(".py")]
    for name in sorted(n.replace(os.sep, "/") for n in names):
        with open(os.path.join(folder, name), "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read())
    return digest.digest()


_HEAD = b'{"mac":"'
_BODY = b'","value":'


def _mac(key: bytes, path: str, body) -> bytes:
    """HMAC-SHA256 of an entry, bound to its place in the cache (`records/<shard>.json`), so that
    entries cannot be swapped for one another either."""
    import hmac

    place = "/".join(os.path.abspath(path).split(os.sep)[-2:]).encode("utf-8", "surrogateescape")
    mac = hmac.new(key, place + b"\0", hashlib.sha256)
    mac.update(body)
    return mac.hexdigest().encode()


def sign(key: bytes, path: str, body: bytes) -> str:
    """`_mac` as text: a line of a file that travels with the archive (the build journal), bound to it."""
    return _mac(key, path, body).decode()


def in_own_cache(path: str) -> bool:
    """Whether `path` is in the archive's `.docgen/` without passing through a symbolic link.

    `.docgen/` comes with the archive (a zip, a shared drive): a `.docgen` or `.docgen/records` that
    is a link to another folder would have docgen write there, and delete the entries it does not
    recognise there. Such a cache is not used at all."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.islink(folder):
        if os.path.basename(folder) == CACHE_DIR:
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            return True  # not in an archive's cache (a cache folder given by a caller)
        folder = parent
    return False


def read_json(path: str | None):
    """A cache file's content, or None when it is missing, damaged, or not written by this user's
    docgen: the archive may come from anybody, so only an entry signed with the user's own key
    (`usercache.secret`) is believed. A cache only saves time; a refused one is made again."""
    if not path:
        return None
    from docgen import usercache

    key = usercache.secret()
    if key is None or not in_own_cache(path):
        return None
    try:
        raw = read_regular(path)
    except OSError:
        return None
    start = len(_HEAD) + 64
    if not (raw.startswith(_HEAD) and raw[start:start + len(_BODY)] == _BODY and raw.endswith(b"}")):
        return None
    import hmac

    if not hmac.compare_digest(raw[len(_HEAD):start], _mac(key, path, memoryview(raw)[start + len(_BODY):-1])):
        return None
    try:
        return json.loads(raw)["value"]  # the signed bytes are exactly the value's
    except (ValueError, KeyError, TypeError):
        return None


def write_json(path: str | None, value) -> None:
    """Write a cache file atomically, signed (see `read_json`); the `.docgen/` folder holding it
    ignores itself in git. A read-only archive, or no private user cache folder to keep the key
    in, is not an error: it only stays slower."""
    if not path:
        return
    from docgen import usercache

    key = usercache.secret()
    if key is None or not in_own_cache(path):
        return
    from docgen.writer import write_atomic  # not on the way of a run that only reads

    try:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a path whose name is not UTF-8 (kept as surrogates): as \u escapes, read back the same
        body = json.dumps(value, separators=(",", ":")).encode("ascii")
    try:
        write_atomic(path, _HEAD + _mac(key, path, body) + _BODY + body + b"}")
        folder = os.path.dirname(os.path.abspath(path))
        while os.path.basename(folder) != CACHE_DIR and os.path.dirname(folder) != folder:
            folder = os.path.dirname(folder)
        ignore = os.path.join(folder, ".gitignore")
        if os.path.basename(folder) == CACHE_DIR and not os.path.exists(ignore):
            write_atomic(ignore, b"*\n")
    except OSError:
        pass


def note_latest(path: str, key: str, value, keep: int) -> None:
    """Set `key` to `value` in the signed note at `path`, keeping the `keep` last keys set (an unreadable
    or foreign note starts again empty)."""
    noted = read_json(path)
    noted = {k: v for k, v in noted.items() if k != key} if isinstance(noted, dict) else {}
    noted = dict(list(noted.items())[-(keep - 1):]) if keep > 1 else {}
    noted[key] = value
    write_json(path, noted)


def content_key(*parts: bytes | str) -> str:
    """A cache entry's name: SHA-256 of docgen's own source and everything the entry is made of."""
    digest = hashlib.sha256(code_digest())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def remembered(cache_dir: str | None, kind: bytes, source: bytes, *, make, valid=lambda value: isinstance(value, dict)):
    """`make()`'s JSON result for `source` (a template file's bytes), kept in `cache_dir` under
    `content_key(kind, source)` (a template prepared by another docgen is prepared again).

    The entry is data, never code, and carries the SHA-256 of the source it was made from: it is used
    only when signed by this user's docgen (`read_json`), made from these very bytes, and of the
    expected shape; anything else is made again."""
    path = os.path.join(cache_dir, content_key(kind, source) + ".json") if cache_dir else None
    digest = hashlib.sha256(source).hexdigest()
    stored = read_json(path)
    if isinstance(stored, dict) and stored.get("source") == digest and valid(stored.get("value")):
        return stored["value"]
    value = make()
    write_json(path, {"source": digest, "value": value})
    return value


def read_regular(path: str, follow_links: bool = True) -> bytes:
    """The bytes of a regular file. The archive (its `.docgen/`, `schemas/`, `templates/`) may hold a
    FIFO, socket or device where a file is expected; a plain open() of a FIFO waits forever for a
    writer. Opened without blocking and checked before reading: anything else raises OSError, and so
    does a symbolic link at `path` itself when `follow_links` is false."""
    import stat

    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_links:
        if not hasattr(os, "O_NOFOLLOW") and os.path.islink(path):  # Windows
            raise OSError(errno.ELOOP, "是符号链接", path)
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "不是普通文件（可能是管道、套接字或设备）", path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def file_sha256(path: str, follow_links: bool = True) -> str | None:
    """SHA-256 of a regular file's bytes; None when there is no regular file at `path` (nor, with
    `follow_links` false, when `path` is a symbolic link: a file docgen wrote is never one)."""
    try:
        return hashlib.sha256(read_regular(path, follow_links)).hexdigest()
    except OSError:
        return None


def file_stamp(path: str) -> list[int] | None:
    """What make and git compare to know a file is untouched: modification time, size, inode, and
    the inode's change time, which no program can set back (an edit that restores the modification
    time still moves it; on Windows it is the creation time, and only the first three count)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stamp_of(st)


def stamp_of(st) -> list[int]:
    return [st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns]


class RecordCache:
    """Per record file: its SHA-256, stat stamp, parsed data and problems.

    Kept as one JSON file per record folder (`.docgen/records/`), so that editing one
    inspection rewrites the cache of its plan's folder, not that of a thousand entities. A folder
    of more than `SPLIT_AT` files (a county's 100,000 entities) is kept in 256 shards by a hash of
    each file's path, so that editing one of them rewrites a few hundred entries, not all.
    """

    FOLDER = "records"
    SPLIT_AT = 2000
    BUCKETS = 256

    def __init__(self, folder: str | None, key: str, shards: dict[str, dict]):
        self.folder, self.key = folder, key
        self.shards = shards  # record folder -> {record path -> entry}
        self.seen: set[str] = set()
        self.dirty: set[tuple[str, str]] = set()  # (record folder, bucket) whose shard must be written
        self.outdated: list[str] = []  # cache files of another docgen or other schemas
        self.layout: dict[str, set[str]] = {}  # record folder -> names of its shard files now on disk
        self.skipped = False  # some folders' shards were not read (`open`'s `skip_folders`): not for a whole run
        self.skipped_folders: frozenset = frozenset()  # which ones

    @staticmethod
    def key_for(schemas) -> str:
        return hashlib.sha256(__version__.encode() + code_digest() + schemas.digest_source()).hexdigest()

    @classmethod
    def open(cls, archive, schemas, skip_folders=()) -> "RecordCache":
        """`skip_folders`: record folders whose shards are neither read nor touched (the draw reads
        the entity roster through a cache of its own, `draw.roster`)."""
        key = cls.key_for(schemas)
        skipped = {cls._shard_name(f, b) for f in skip_folders
                   for b in [None, *(format(n, "02x") for n in range(cls.BUCKETS))]}
        folder = os.path.join(archive.root, CACHE_DIR, cls.FOLDER)
        shards: dict[str, dict] = {}
        layout: dict[str, set[str]] = {}
        outdated = [os.path.join(archive.root, CACHE_DIR, "records-cache.json")]  # before shards
        try:
            names = sorted(n for n in os.listdir(folder) if n.endswith(".json")) \
                if in_own_cache(os.path.join(folder, "x.json")) else []
        except OSError:
            names = []
        for name in names:
            if name in skipped:
                continue
            stored = read_json(os.path.join(folder, name))
            if isinstance(stored, dict) and stored.get("key") == key and isinstance(stored.get("folder"), str) \
                    and isinstance(stored.get("files"), dict) \
                    and name == cls._shard_name(stored["folder"], stored.get("bucket")):
                shards.setdefault(stored["folder"], {}).update(stored["files"])
                layout.setdefault(stored["folder"], set()).add(name)
            else:
                outdated.append(os.path.join(folder, name))
        cache = cls(folder, key, shards)
        cache.layout = layout
        cache.skipped = bool(skip_folders)
        cache.skipped_folders = frozenset(skip_folders)
        from docgen import usercache

        if usercache.secret() is not None:  # without a key, nothing here could be read: leave it alone
            cache.outdated = [path for path in outdated if os.path.exists(path)]
        return cache

    @classmethod
    def shard_files(cls, archive, key: str, record_folder: str, bucket: str | None) -> dict:
        """The entries of one shard, as `open` believes them ({} when missing or not believed): for a
        reader that takes a county's roster a shard at a time (`draw.roster`), not all at once."""
        stored = read_json(os.path.join(archive.root, CACHE_DIR, cls.FOLDER, cls._shard_name(record_folder, bucket)))
        if isinstance(stored, dict) and stored.get("key") == key and stored.get("folder") == record_folder \
                and stored.get("bucket") == bucket and isinstance(stored.get("files"), dict):
            return stored["files"]
        return {}

    @staticmethod
    def _shard_name(record_folder: str, bucket=None) -> str:
        """A shard's file name: the folder's own, or with its bucket for a split folder. `open`
        checks it against the signed content, so a shard cannot stand in for another."""
        name = record_folder if bucket is None else f"{record_folder}\0{bucket}"
        return hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:24] + ".json"

    @classmethod
    def _bucket(cls, path: str) -> str:
        import zlib

        return format(zlib.crc32(path.encode("utf-8", "surrogateescape")) % cls.BUCKETS, "02x")

    def _touch(self, path: str) -> None:
        self.dirty.add((path.rpartition(os.sep)[0], self._bucket(path)))  # a walk's path: as `_entry`

    def _entry(self, path: str):
        # paths come from the archive's walk (folder + separator + name): their folder is what
        # precedes the last separator, without os.path.dirname's cost per call on 100,000 files
        shard = self.shards.get(path.rpartition(os.sep)[0])
        entry = shard.get(path) if shard is not None else None
        return entry if isinstance(entry, dict) else None

    stamp = staticmethod(file_stamp)

    def unchanged(self, path: str, stamp: list[int] | None = None) -> dict | None:
        """The cached entry when the file's modification time, size, inode and change time are as recorded
        (`stamp`: taken this run already, see `snapshot.Inputs`)."""
        shard = self.shards.get(path.rpartition(os.sep)[0])  # as `_entry`
        entry = shard.get(path) if shard is not None else None
        if entry.__class__ is not dict:
            return None
        stat = entry.get("stat")
        if stat is None:
            return None
        if stamp is None:
            try:
                st = os.stat(path)
            except OSError:
                return None
            stamp = stamp_of(st)
        if stat != stamp:
            return None
        self.seen.add(path)
        return entry

    def get(self, path: str, blob: bytes, sha: str | None = None):
        """The cached result when the file's bytes are those of the entry (`sha`: their SHA-256, if known)."""
        self.seen.add(path)
        entry = self._entry(path)
        if entry is not None and entry.get("sha") == (sha or hashlib.sha256(blob).hexdigest()):
            stamp = self.stamp(path)
            if entry.get("stat") != stamp:  # same bytes, touched: remember the new stamp
                entry["stat"] = stamp
                self._touch(path)
            return entry.get("data"), [tuple(p) for p in entry.get("problems", [])], entry["sha"]
        return None

    def holds(self, path: str, sha: str) -> bool:
        """Whether the entry for `path` is for bytes of this SHA-256 (looked at only: `get` takes it)."""
        entry = self._entry(path)
        return entry is not None and entry.get("sha") == sha

    def put(self, path: str, blob: bytes, data, problems, sha: str | None = None, stamp: list[int] | None = None) -> None:
        """Remember what `blob` gave; `stamp`: the file's, taken before it was read (else taken now)."""
        self.seen.add(path)
        record_folder = path.rpartition(os.sep)[0]
        self.shards.setdefault(record_folder, {})[path] = {
            "sha": sha or hashlib.sha256(blob).hexdigest(), "stat": stamp or self.stamp(path), "data": data,
            "problems": problems}
        self._touch(path)

    def attach(self, doc, path: str, entry: dict | None = None) -> None:
        """Give a document its entry's memo: what was worked out from the file's bytes later in a run
        (positions warnings asked for, digests of its fields) and is kept with the entry."""
        entry = entry or self._entry(path)
        if entry is None:
            return
        memo = entry.get("memo")
        if not isinstance(memo, dict):
            memo = entry["memo"] = {}
        doc.memo = memo
        doc.noted = functools.partial(self._touch, path)

    def start(self) -> None:
        """A new run over the records: files not looked at before the next `save` are forgotten."""
        self.seen = set()

    def save(self) -> None:
        """Write the shards whose entries changed; forget files that were not looked at this run.
        Saving again later in the same run writes only what was added since (see `outputs.projection`)."""
        for record_folder, files in self.shards.items():
            stale = [path for path in files if path not in self.seen]
            for path in stale:
                del files[path]
                self._touch(path)
        if self.folder is None:
            self.dirty = set()
            return
        for path in self.outdated:
            try:
                if in_own_cache(path):
                    os.unlink(path)
            except OSError:
                pass
        self.outdated = []
        buckets: dict[str, set[str]] = {}
        for record_folder, bucket in self.dirty:
            buckets.setdefault(record_folder, set()).add(bucket)
        for record_folder in sorted(buckets):
            files = self.shards.get(record_folder) or {}
            split = len(files) > self.SPLIT_AT
            wanted = {self._shard_name(record_folder, b if split else None): b for b in (
                [format(n, "02x") for n in range(self.BUCKETS)] if split else [None])}
            on_disk = self.layout.get(record_folder, set())
            if on_disk - set(wanted):  # the folder grew past SPLIT_AT or shrank below it: all of it again
                dirty = set(wanted.values())
            else:
                dirty = buckets[record_folder] if split else {None}
            groups: dict = {}
            for path, entry in files.items():
                groups.setdefault(self._bucket(path) if split else None, {})[path] = entry
            for name, bucket in wanted.items():
                target = os.path.join(self.folder, name)
                part = groups.get(bucket)
                if bucket not in dirty:
                    continue
                if part:
                    shard = {"key": self.key, "folder": record_folder, "files": part}
                    if split:
                        shard["bucket"] = bucket
                    write_json(target, shard)
                    on_disk.add(name)
                elif name in on_disk or not split:
                    on_disk.discard(name)
                    try:
                        if in_own_cache(target):
                            os.unlink(target)
                    except OSError:
                        pass
            for name in on_disk - set(wanted):
                try:
                    stale_shard = os.path.join(self.folder, name)
                    if in_own_cache(stale_shard):
                        os.unlink(stale_shard)
                except OSError:
                    pass
            on_disk &= set(wanted)
            self.layout[record_folder] = on_disk
            if not files:
                self.shards.pop(record_folder, None)
        self.dirty = set()


class OutputHashes:
    """SHA-256 of output files, remembered by (mtime, size, inode, ctime) as git's index does.

    Kept in the archive's `.docgen/` (not in the manifest, which stays free of machine
    details): an output that has not been touched since docgen wrote it is not read again.

    Each entry also holds, once this user's docgen made the document itself, the fingerprint it
    made it from (`made`): the manifest travels with the archive and anyone can write a fingerprint
    and a SHA-256 into it, so only this signed note lets a build take a document as up to date
    without making it (a document from elsewhere is made once, and kept when identical)."""

    def __init__(self, path: str):
        self.path = path
        self.dirty = False
        known = read_json(path)
        self.known = known if isinstance(known, dict) else {}

    def sha(self, path: str, st=None) -> str | None:
        """The file's SHA-256; `st`: its `os.stat` taken just now, if any."""
        stamp = stamp_of(st) if st is not None else file_stamp(path)
        if stamp is None:
            return None
        hit = self.known.get(path)
        if isinstance(hit, list) and len(hit) in (2, 3) and hit[0] == stamp:
            return hit[1]
        digest = file_sha256(path)
        made = hit[2:] if isinstance(hit, list) and len(hit) == 3 and hit[1] == digest else []
        self.known[path] = [stamp, digest, *made]  # touched but the same bytes: still what docgen made
        self.dirty = True
        return digest

    def wrote(self, path: str, digest: str, key: str | None = None) -> None:
        """`path` now holds `digest`, made by this docgen from `key` (its fingerprint) when given."""
        self.known[path] = [file_stamp(path), digest, *([key] if key else [])]
        self.dirty = True

    def made(self, path: str, key: str, digest: str) -> bool:
        """Whether this docgen made bytes of `digest` from `key` for `path` (`wrote`, `vouch`)."""
        hit = self.known.get(path)
        return isinstance(hit, list) and len(hit) == 3 and hit[1] == digest and hit[2] == key

    def adopt(self, path: str, digest: str) -> None:
        """A build of this docgen, killed before its manifest, wrote `digest` at `path` (its signed journal
        says so): docgen's own (`ours`), though from a fingerprint not known (`made` stays false)."""
        self.known[path] = [file_stamp(path), digest, ""]
        self.dirty = True

    def ours(self, path: str, digest: str) -> bool:
        """Whether this docgen made the bytes of `digest` that `path` holds (from whatever fingerprint):
        what a build may delete once its records are gone."""
        hit = self.known.get(path)
        return isinstance(hit, list) and len(hit) == 3 and hit[1] == digest

    def vouch(self, path: str, key: str, digest: str) -> None:
        """This docgen made `digest` from `key`, and `path` holds exactly that (kept, not written)."""
        hit = self.known.get(path)
        if isinstance(hit, list) and len(hit) in (2, 3) and hit[1] == digest and hit[2:] != [key]:
            self.known[path] = [hit[0], digest, key]
            self.dirty = True

    def save(self, keep: set[str], folder: str | None = None) -> None:
        """Write what changed, forgetting the files of `folder` (an output folder) not in `keep`; the
        files of other output folders (a build with another --out) are kept for their next build."""
        prefix = folder.rstrip(os.sep) + os.sep if folder is not None else ""
        for path in [p for p in self.known if p not in keep and p.startswith(prefix)]:
            del self.known[path]
            self.dirty = True
        if self.dirty:
            write_json(self.path, self.known)
