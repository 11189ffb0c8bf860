"""`docgen build`: check the records, plan the outputs, render what changed, write atomically.

A manifest in the output folder records, for every file docgen wrote, the fingerprint of
what went into it (template, context, schemas, docgen version, options) and the hash of
the bytes written. An output whose fingerprint is unchanged and whose file is intact is
not rendered again; files docgen wrote for records that are gone are removed; files
docgen did not write (or that someone edited since) are never deleted, nor replaced: the
new document goes beside them (see `_Placer`). The manifest's paths are checked before use
(`outfolder`): it travels in git, and docgen touches nothing outside its output folder.
One document that cannot be made does not stop the others (`BuildFailed` comes at the end).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from itertools import chain

from docgen import __version__
from docgen.records.archive import Archive
from docgen.cache import CACHE_DIR, OutputHashes, code_digest, file_sha256, file_stamp, read_regular
from docgen.records.check import Checked, check_archive
from docgen.documents.outfolder import OTHER, OutputFolder, beside, kept_by_git, plain_relpath, shown
from docgen.documents.outputs import Output, plan_outputs
from docgen.records.problems import EXIT_MACHINE, DocgenError, Problem, os_error_text
from docgen.records.tree import leads_outside
from docgen.writer import remove_listed_temps, remove_stale_temps, write_atomic

MANIFEST = ".docgen-manifest.json"
MANIFEST_VERSION = 1
JOURNAL = ".docgen-manifest.pending"  # what a build is writing, until its manifest is written

_templates: dict[tuple, object] = {}  # prepared templates, kept across builds in one process
AHEAD_WINDOW = 1000  # documents rendered ahead together at most: their bytes wait in memory to be placed
AHEAD_MIN = 8        # fewer Word documents (no table, no print set) are not worth a helper process
AHEAD_CHUNK = 16     # documents a helper or this process takes at a time from a long run


@dataclass
class BuildReport:
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pdfs: list[str] = field(default_factory=list)
    failures: list["Failure"] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def note_lines(self) -> list[str]:
        """The notes and the documents kept because edited since, in the clerk's words (`build` and `watch`)."""
        from docgen.start import note_line

        return [note_line(note) for note in self.notes] + \
            [note_line(f"{path} 在生成后被修改过，docgen 没有删除它") for path in self.kept_edited]


@dataclass
class Failure:
    """A document that could not be made, why (in Chinese), and the exit code that kind of failure gets."""

    relpath: str
    message: str
    code: int  # 2: the archive or its templates; 3: a bug in docgen; 4: the machine (disk, permissions)
    details: str = ""  # a bug's traceback, shown with DOCGEN_DEBUG

    @classmethod
    def of(cls, relpath: str, exc: Exception) -> "Failure":
        if isinstance(exc, DocgenError):
            return cls(relpath, str(exc), 2)
        if isinstance(exc, OSError):
            text, machine = os_error_text(exc, with_path=False)
            return cls(relpath, text, EXIT_MACHINE if machine else 2)
        import traceback

        return cls(relpath, f"docgen 内部错误：{type(exc).__name__}: {exc}", 3, traceback.format_exc())


class BuildFailed(DocgenError):
    """Some documents could not be made; all the others were built, and `report` says what was done."""

    def __init__(self, report: BuildReport):
        self.report = report
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per reason, naming the documents (a broken template fails all of its documents)."""
        by_message: dict[str, list[str]] = {}
        for failure in self.report.failures:
            by_message.setdefault(failure.message, []).append(failure.relpath)
        lines = []
        for message, paths in by_message.items():
            names = "、".join(paths[:3]) + (f" 等 {len(paths)} 份文书" if len(paths) > 3 else "")
            lines.append(f"{names} 未能生成：{message}")
        return lines

    @property
    def exit_code(self) -> int:
        codes = {failure.code for failure in self.report.failures}
        return 3 if 3 in codes else EXIT_MACHINE if EXIT_MACHINE in codes else 2


def fingerprint(salt: bytes, output: Output, template_digest: str, options: str) -> str:
    """What an output was made from: docgen, schemas (salt), template, options, and its `depends`."""
    parts = [salt.hex(), template_digest, options, output.relpath, output.title, output.when or "", *output.depends]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def load_manifest(out_dir: str, text: list | None = None) -> tuple[dict, list[str]]:
    """The previous build's manifest, with notes; a missing or damaged one means a full build.
    `text`: a list the file's bytes are added to (for `manifest_chunks`).

    Paths that are not plain relative paths (`..`, absolute, odd names) are left out, with a
    warning: the manifest travels in git, and docgen only ever touches its own output folder."""
    path = os.path.join(out_dir, MANIFEST)
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):  # a FIFO would hang the build, a link lead elsewhere
            raise ValueError("not a regular file")
        kept = _WRITTEN_HERE.get(os.path.abspath(path))
        if kept is not None and kept[0] == (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino):
            if text is not None:  # the very file this process wrote last (a watcher's previous build)
                text.append(kept[1])
            return {rel: dict(entry) for rel, entry in kept[2].items()}, []
        with open(path, "rb") as handle:
            raw = handle.read()
        data = json.loads(raw.decode("utf-8"))
        if text is not None:
            text.append(raw)
        outputs = data["outputs"]
        if data.get("version") != MANIFEST_VERSION or not isinstance(outputs, dict) or \
                not all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in outputs.values()):
            raise ValueError("unexpected shape")
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, KeyError, TypeError):
        return {}, ["上次生成的清单文件已损坏，本次全部重新生成"]
    odd = [rel for rel in outputs if not plain_relpath(rel)]
    notes = [f"警告：清单文件 {MANIFEST} 中的路径“{shown(rel)}”不在输出目录之内或不是 docgen 会用的文件名，已忽略"
             "（docgen 不会读取、覆盖或删除它指向的文件）" for rel in odd[:10]]
    if len(odd) > 10:
        notes.append(f"警告：清单文件 {MANIFEST} 中另有 {len(odd) - 10} 个这样的路径，已忽略")
    return {rel: entry for rel, entry in outputs.items() if rel not in odd}, notes


WRITTEN = "manifest.json"  # in the archive's .docgen/: which manifest this docgen last wrote
# manifest path -> (its stamp, bytes and entries) as this process last wrote it: a watcher's next
# build takes it from here instead of parsing 6,000 entries again, while the file is untouched
_WRITTEN_HERE: dict[str, tuple] = {}


def _keep_written(path: str, data: bytes, outputs: dict) -> None:
    """Remember the manifest just written at `path` (`load_manifest` believes it while the file's
    modification and change times, size and inode are as now; a copy, so no later change to
    `outputs` reaches it)."""
    try:
        st = os.lstat(path)
    except OSError:
        _WRITTEN_HERE.pop(os.path.abspath(path), None)
        return
    _WRITTEN_HERE.clear()  # one output folder at a time: a watcher's
    _WRITTEN_HERE[os.path.abspath(path)] = ((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino), data,
                                            {rel: dict(entry) for rel, entry in outputs.items()})


def manifest_chunks(raw: bytes, out_dir: str, cache_dir: str) -> dict[str, str]:
    """Each entry's text in the manifest `raw` (as read by `load_manifest`), by output path, when it is
    exactly the one this docgen last wrote to `out_dir` (`note_manifest`); else {}. `manifest_bytes`
    takes an unchanged entry's text from it rather than writing it again (6,000 entries at a county's
    scale, most of them unchanged by an edit)."""
    from docgen.cache import read_json

    noted = read_json(os.path.join(cache_dir, WRITTEN))
    noted = noted.get(os.path.abspath(out_dir)) if isinstance(noted, dict) else None
    if noted != [code_digest().hex(), hashlib.sha256(raw).hexdigest()]:
        return {}
    text = raw.decode("utf-8")
    body = text[text.index("\n") + 1:-len("\n}}\n")]  # `manifest_bytes`' own layout: one head line, entries, the end
    chunks = {}
    for chunk in body.split("\n},\n") if body else []:
        chunk = chunk if chunk.endswith("\n}") else chunk + "\n}"
        key = chunk[:chunk.index(": {\n")]
        chunks[key[1:-1] if "\\" not in key else json.loads(key)] = chunk
    return chunks


def note_manifest(data: bytes, out_dir: str, cache_dir: str, keep: int = 8) -> None:
    """Note (signed) the manifest this docgen wrote to `out_dir`, for `manifest_chunks`: by output
    folder, the `keep` last written to."""
    from docgen.cache import note_latest

    note_latest(os.path.join(cache_dir, WRITTEN), os.path.abspath(out_dir),
                [code_digest().hex(), hashlib.sha256(data).hexdigest()], keep)


class Journal:
    """Documents a build is about to write, one line each, until the manifest says so.

    The manifest is written once, at the end of a build. A build killed before that leaves
    documents the manifest does not know; after a later edit of their records the next build
    would take them for documents a clerk changed, keep them and write beside them. Each
    document is noted here just before it is written (path and SHA-256, appended, flushed); the
    next build takes a noted hash as what docgen last wrote when the file holds exactly it
    (`adopt`), and a build that wrote its manifest removes the journal."""

    def __init__(self, out_dir: str):
        self.path = os.path.join(out_dir, JOURNAL)
        self.handle = None
        from docgen import usercache

        self.key = usercache.secret()  # each line signed: the journal travels with output/, like the manifest

    def _mac(self, rel: str, sha: str) -> str:
        from docgen.cache import sign

        # bound to this very journal (the cache's signing binds only the last two parts of a path, which
        # every archive's output/.docgen-manifest.pending shares)
        return sign(self.key, self.path, f"{os.path.realpath(self.path)}\0{rel}\0{sha}".encode("utf-8", "surrogateescape"))

    def _regular(self) -> bool:
        try:
            return stat.S_ISREG(os.lstat(self.path).st_mode)
        except OSError:
            return False

    def entries(self) -> list[tuple[str, str]]:
        if not self._regular():
            return []
        try:
            raw = read_regular(self.path)
        except OSError:
            return []
        found = []
        if self.key is None:  # nothing here could have been signed by this user's docgen
            return found
        import hmac

        for line in raw.decode("utf-8", "replace").splitlines():
            try:
                rel, sha, mac = json.loads(line)
            except (ValueError, TypeError):
                continue  # the line being written when the build was killed
            if isinstance(rel, str) and isinstance(sha, str) and isinstance(mac, str) and plain_relpath(rel) \
                    and hmac.compare_digest(mac, self._mac(rel, sha)):  # a line from elsewhere is not believed
                found.append((rel, sha))
        return found

    def adopt(self, manifest: dict, folder: OutputFolder) -> bool:
        """Put what an interrupted build wrote into `manifest`; True when there was such a build."""
        entries = self.entries()
        for rel, sha in entries:
            target = folder.target(rel)
            if target is not None and folder.state(target) == sha:
                old = manifest.get(rel) or {"sources": []}
                manifest[rel] = {**old, "key": "", "sha256": sha}  # "": render it again to be sure
                folder.hashes.adopt(target, sha)
        return bool(entries) or self._regular()

    def note(self, rel: str, sha: str) -> None:
        if self.handle is None:
            self.handle = self._open() if self.key is not None else False
        if self.handle is False:
            return
        self.handle.write(json.dumps([rel, sha, self._mac(rel, sha)], ensure_ascii=False) + "\n")
        self.handle.flush()  # in the operating system's hands: survives the process being killed

    def _open(self):
        """The journal for appending; False when its place holds a link or anything but a regular file
        (the output folder travels in git: a link there would have docgen write elsewhere)."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError:
            return False
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return False
        return os.fdopen(fd, "a", encoding="utf-8")

    def finish(self, manifest_written: bool) -> None:
        if self.handle:
            self.handle.close()
        self.handle = None
        if manifest_written and self._regular():
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


class Renderer:
    """Templates of one archive, prepared once (and reused across builds while unchanged)."""

    def __init__(self, templates_dir: str, cache_dir: str | None = None, sets_dir: str | None = None, folder=None):
        self.dir = templates_dir
        self.cache_dir = cache_dir
        self.digests: dict[str, str] = {}
        self.wanted: set[str] = set()  # parts of this build's print sets, whose bytes are kept once rendered
        self.rendered: dict[str, bytes] = {}
        self.on_disk: dict[str, tuple[str, str]] = {}  # such parts at their paths: relpath → (path, sha256)
        self.sets_dir = sets_dir  # print sets' layouts (`printset.compose_set`), signed, one per set
        self.folder = folder      # the output folder, where a set's previous bytes are read
        self.part_memo: dict = {}  # print set parts as prepared for joining, by SHA-256, for all sets
        self.made: tuple[bytes, str] | None = None  # the last print set made, and its SHA-256
        self.ready: dict[str, bytes] = {}  # documents rendered ahead (`ahead`), until placed

    def path(self, name: str) -> str:
        path = os.path.join(self.dir, name)
        if not os.path.isfile(path):
            raise DocgenError(f"找不到模板文件 {path}")
        if leads_outside(path, os.path.dirname(os.path.abspath(self.dir))):
            raise DocgenError(f"模板文件 {path} 是指向档案之外的符号链接（或在这样的文件夹中），docgen 不读取档案之外的"
                              f"文件；请把模板复制到档案中")
        return path

    def digest(self, name: str) -> str:
        if name not in self.digests:
            self.digests[name] = file_sha256(self.path(name)) or ""
        return self.digests[name]

    def output_digest(self, output: Output) -> str:
        """The digest of an output's template, or of every template of a print set's parts."""
        if not output.parts:
            return self.digest(output.template)
        names = sorted({p.template for p in output.parts})
        return hashlib.sha256(" ".join(f"{n}={self.digest(n)}" for n in names).encode("utf-8")).hexdigest()

    def render(self, output: Output) -> bytes:
        if output.parts:
            return self._compose(output)
        ready = self.ready.pop(output.relpath, None)
        data = self.rendered.get(output.relpath) or self._written(output.relpath)
        if data is None:
            data = ready if ready is not None else self._render(output)
            if self.keep(output):
                self.rendered[output.relpath] = data
        return data

    def ahead(self, outputs: list[Output]) -> None:
        """Render `outputs` before they are placed, on two cores (`docgen.split.Shared`), when a
        helper can be forked and there is enough to do. A document's bytes depend on nothing but
        its output — the same code, templates and records in both processes — so the helper's bytes
        are those this process would make. One the helper could not make is made by `render` as
        usual (and fails there, with its message).

        Print sets are made here, in order: the bound set and a group's packet hold the same
        documents, prepared for joining once (`part_memo`), and a set's tens of megabytes cost
        about as much to hand over as to make (measured: two processes were no quicker)."""
        from docgen.split import Shared, can_fork

        if len(outputs) < 2 or any(o.parts for o in outputs) or \
                not (len(outputs) >= AHEAD_MIN or any(not o.is_docx for o in outputs)) or not can_fork():
            return
        for output in {o.template: o for o in outputs}.values():
            try:
                self._template(output)  # prepared once, before the fork: both processes have it
            except Exception:  # noqa: BLE001 — `render` reports it
                pass

        def work(start: int, stop: int) -> list:
            made = []
            for output in outputs[start:stop]:
                try:
                    made.append(self._render(output))
                except Exception:  # noqa: BLE001 — made again by `render`, which reports it
                    made.append(None)
            return made

        shared = Shared(len(outputs), work, chunk=max(1, min(AHEAD_CHUNK, len(outputs) // 32)), min_items=2)
        shared.start()
        for output, made in zip(outputs, chain.from_iterable(shared.results())):
            if made is not None:
                self.ready[output.relpath] = made

    def _written(self, relpath: str) -> bytes | None:
        """A part this build left unchanged on disk: its bytes are read, not rendered again (an
        edit to one record then re-renders one document, not all of a print set's parts)."""
        path, digest = self.on_disk.get(relpath, (None, None))
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def keep(self, output: Output) -> bool:
        """Whether a print set of this build will use the output's bytes again."""
        return output.relpath in self.wanted

    def _compose(self, output: Output) -> bytes:
        """A print set; from its previous bytes when only some parts changed (an unchanged part on
        disk is then not even read: its SHA-256 is the manifest's)."""
        from docgen.documents.printset import compose_set

        parts = [self._part(p, output.restart) for p in output.parts]
        closing = None
        if output.colophon_from is not None:
            closing = parts[0] if output.colophon_from is output.parts[0] else self._part(output.colophon_from, False)
        layout_path, previous = self._previous_set(output)
        data, layout = compose_set(parts, output.title, _when(output.when), strip_colophon=output.strip_colophon,
                                   colophon_from=closing, previous=previous, memo=self.part_memo)
        layout["sha256"] = hashlib.sha256(data).hexdigest()
        self.made = (data, layout["sha256"])
        if layout_path:
            from docgen.cache import write_json

            write_json(layout_path, {"code": code_digest().hex(), "layout": layout})
        return data

    def _part(self, output: Output, restart: bool):
        from docgen.documents.printset import Part

        kind = "docx" if output.is_docx else "xlsx"
        data = self.rendered.get(output.relpath)
        digest = self.on_disk.get(output.relpath, (None, None))[1]
        if data is None and digest:
            return Part(None, kind, restart, digest=digest, load=lambda: self.render(output))
        return Part(data if data is not None else self.render(output), kind, restart)

    def layout_path(self, relpath: str, target: str | None = None) -> str | None:
        """Where the layout of the print set at `relpath` (`target`, when known) is kept (one file per set's path)."""
        if target is None and self.folder is not None and self.sets_dir:
            target = self.folder.target(relpath)
        if target is None or not self.sets_dir:
            return None
        return os.path.join(self.sets_dir, hashlib.sha256(os.fsencode(target)).hexdigest() + ".json")

    def forget_sets(self, relpaths) -> None:
        """Delete the layouts of print sets no longer made (a plan or group gone): they would only
        accumulate. Only in the archive's own `.docgen/` (`cache.in_own_cache`)."""
        from docgen.cache import in_own_cache

        for relpath in relpaths:
            path = self.layout_path(relpath)
            if path is not None and in_own_cache(path):
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def _previous_set(self, output: Output) -> tuple[str | None, tuple | None]:
        """Where the set's layout is kept, and (bytes, layout) of the set as docgen last composed it,
        when the file at its path still holds exactly that (else None: composed afresh)."""
        target = self.folder.target(output.relpath) if self.folder is not None else None
        path = self.layout_path(output.relpath, target) if target is not None else None
        if path is None:
            return None, None
        from docgen.cache import read_json

        stored = read_json(path)
        if not isinstance(stored, dict) or stored.get("code") != code_digest().hex() or \
                not isinstance(stored.get("layout"), dict):
            return path, None
        layout = stored["layout"]
        # the file's SHA-256 by its stat stamp, as for every output (`OutputHashes`): the bytes read
        # are those hashed when the stamp is the same before and after reading them
        stamp = file_stamp(target)
        if stamp is None or self.folder.state(target) != layout.get("sha256"):
            return path, None
        try:
            data = read_regular(target)
        except OSError:
            return path, None
        if file_stamp(target) != stamp or len(data) != stamp[1]:
            return path, None
        return path, (data, layout)

    def sha256(self, data: bytes) -> str:
        """The SHA-256 of rendered bytes (a print set's is known already: tens of megabytes)."""
        if self.made is not None and self.made[0] is data:
            return self.made[1]
        return hashlib.sha256(data).hexdigest()

    def _render(self, output: Output) -> bytes:
        template = self._template(output)
        when = _when(output.when)
        if output.is_docx:
            return template.render(output.context, output.title, when)
        return template.render(output.context, output.rows or [], output.title, when)

    def _template(self, output: Output):
        path = self.path(output.template)
        # the backends are imported when something needs rendering: a no-op build never loads them
        if output.is_docx:
            from docgen.documents.render_docx import WordTemplate

            return self._prepared(WordTemplate, path, output.template)
        from docgen.documents.render_xlsx import WorkbookTemplate

        return self._prepared(WorkbookTemplate, path, output.template)

    def _prepared(self, kind, path: str, name: str):
        """A prepared template, kept in this process while its file's bytes are unchanged (the watcher's
        builds): by their SHA-256, not the modification time and size, which a copy or unzip keeps."""
        key = (kind.__name__, path, self.digest(name))
        template = _templates.get(key)
        if template is None:
            template = _templates[key] = kind(path, name, cache_dir=self.cache_dir)
        return template


def _when(date_text: str | None) -> str:
    from docgen.documents.package import fixed_time

    return fixed_time(date_text)


def build(archive: Archive, out_dir: str, plan_ids: list[str] | None = None, force: bool = False,
          pdf: bool = False, progress=None, checked: Checked | None = None, as_of=None,
          cache=None) -> BuildReport:
    """Build every plan (or those named); returns what was written, kept and removed.

    Raises BuildFailed, after building all the others and writing the manifest, when some
    documents could not be made."""
    started = time.perf_counter()
    import datetime as dt

    from docgen import snapshot

    today = dt.date.today()
    _refuse_linked_out(out_dir, archive.root)
    # what a document's bytes depend on besides the records, templates and schemas
    asked = snapshot.build_options(plan_ids, as_of)
    if checked is None and cache is None and not force and not pdf:
        replayed = snapshot.replay_build(archive, today, archive.templates_dir, os.path.abspath(out_dir), asked)
        if replayed is not None:  # nothing this build reads or writes changed since the last one
            problems, notes, count = replayed
            return BuildReport(problems=problems, notes=notes, unchanged=count,
                               seconds=time.perf_counter() - started)
    remove_stale_temps(out_dir, os.path.join(archive.root, CACHE_DIR))  # killed runs' leftovers
    report = BuildReport()
    checked = checked or check_archive(archive, cache=cache, save_cache=False, today=today, kept_roster=True)
    if getattr(checked.inputs, "temps", None) is not None:  # records/ as its listing for this run saw it
        remove_listed_temps(archive.records_dir, checked.inputs.temps)
    else:
        remove_stale_temps(archive.records_dir)
    report.problems = checked.problems
    index = checked.index
    wanted = plan_ids or sorted(index.plans)
    for plan_id in wanted:
        if plan_id not in index.plans:
            raise checked.missing_plan(plan_id, "生成文书")
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)  # an --out that cannot be a folder is one clear error, not one per document
    text: list[bytes] = []
    manifest, notes = load_manifest(out_dir, text)
    report.notes.extend(notes)
    repeated: list[str] = []  # notes a build would give again with nothing changed
    hashes = OutputHashes(os.path.join(archive.root, CACHE_DIR, "output-hashes.json"))
    folder = OutputFolder(out_dir, hashes)
    journal = Journal(out_dir)
    interrupted = journal.adopt(manifest, folder)  # documents a killed build wrote are docgen's own
    renderer = Renderer(archive.templates_dir, os.path.join(archive.root, CACHE_DIR, "templates"),
                        os.path.join(archive.root, CACHE_DIR, "printsets"), folder)
    salt = hashlib.sha256(("docgen " + __version__).encode() + code_digest() + checked.schemas.digest_source()).digest()
    # build options that change a document's bytes go here; --as-of is in the statistics sheet's own
    # `depends`, and --pdf changes no .docx/.xlsx byte
    options = json.dumps({})
    # documents of plans not built this time stay as they are; those of a plan whose record is gone
    # are removed below like any other record's — never while some plan's record has an error (its
    # id may be the one missing)
    # (a plan record with an error may be this very plan's, its id mistyped)
    plans_whole = not any(kind == "plan" for kind, _id in index.broken) \
        and all(checked.is_valid(plan) for plan in index.plans.values())
    new_manifest = {k: v for k, v in manifest.items() if k.split("/", 1)[0] not in wanted
                    and (k.split("/", 1)[0] in index.plans or not plans_whole)}
    planned = [plan_outputs(checked, plan_id, as_of) for plan_id in wanted]
    if checked.cache is not None:
        checked.cache.save()  # keeps field digests worked out for the fingerprints
    keep_prefixes = set()
    jobs: list[tuple[Output, str]] = []
    for result in planned:
        report.notes.extend(result.skipped)
        repeated.extend(result.skipped)
        if not result.complete:
            keep_prefixes.add(result.plan_id + "/")
        for output in result.outputs:
            jobs.append((output, fingerprint(salt, output, renderer.output_digest(output), options)))
            renderer.wanted.update(p.relpath for p in output.parts)
    placer = _Placer(folder, renderer, manifest, new_manifest, report, force, {o.relpath for o, _ in jobs}, journal)
    done: list[Output] = []  # outputs whose own path holds what this build made
    bar = progress(len(jobs)) if progress and len(jobs) > 20 else None
    for window in _windows(jobs):
        renderer.ahead([output for output, key in window if placer.may_render(output, key)])
        for output, key in window:
            try:
                if placer.place(output, key):
                    done.append(output)
                    if output.relpath in renderer.wanted and output.relpath not in renderer.rendered:
                        renderer.on_disk[output.relpath] = (folder.target(output.relpath),
                                                            new_manifest[output.relpath]["sha256"])
            except Exception as exc:  # one document's failure never stops the others
                report.failures.append(Failure.of(output.relpath, exc))
                for rel in (output.relpath, beside(output.relpath)):  # what docgen knew stays known
                    if rel in manifest:
                        new_manifest[rel] = manifest[rel]
            if bar:
                bar.update(1)
        renderer.ready.clear()  # rendered ahead and not needed after all (the file on disk was as wanted)
    if bar:
        bar.finish()
    if pdf:
        from docgen.documents.pdf import write_pdfs  # LibreOffice, batches and fonts: only --pdf needs them

        write_pdfs(out_dir, done, manifest, new_manifest, report, force, folder, journal)
    else:  # PDFs made by an earlier --pdf build stay while their document is unchanged
        for relpath, entry in manifest.items():
            source = (entry.get("sources") or [None])[0]
            if relpath.endswith(".pdf") and source in new_manifest and new_manifest[source]["sha256"] == entry.get("key"):
                new_manifest[relpath] = entry
    # files of records that are gone: only ours, only untouched, never of a plan that did not fully build,
    # and nothing at all while some plan, department or entity file cannot even be read
    # (and nothing while the records hold no plan at all: a records folder emptied, or the wrong one)
    hold_all = bool(index.broken_by_plan.get("*")) or not index.plans
    if not index.plans and any(plain_relpath(rel) for rel in manifest):
        report.notes.append("记录中没有任何抽查计划，已生成的文书保留不动（删除文书请手工进行）")
    unvouched: list[tuple[str, dict, str]] = []  # stale files only the manifest says docgen wrote
    for relpath, entry in manifest.items():
        plan_dir = relpath.split("/", 1)[0]
        if relpath in new_manifest or (plan_dir not in wanted and plan_dir in index.plans):
            continue
        if hold_all or any(relpath.startswith(prefix) for prefix in keep_prefixes):
            new_manifest[relpath] = entry
            continue
        target = folder.target(relpath)
        if target is None:
            report.notes.append(f"{relpath} 所在的文件夹是指向输出目录之外的链接，docgen 没有删除它")
            continue
        current = folder.state(target)
        if current is None:
            continue
        if current == entry["sha256"] and hashes.ours(target, current):
            _remove_stale(relpath, entry, target, out_dir, new_manifest, report)
        elif current == entry["sha256"]:
            unvouched.append((relpath, entry, target))
        elif current is OTHER:  # a link, folder or FIFO docgen never wrote there
            report.notes.append(f"{shown(relpath)} 不是普通文件（可能是链接或文件夹），不是 docgen 写入的，docgen 没有删除它")
        else:
            report.kept_edited.append(relpath)
    # the manifest travels with the archive: its word alone deletes nothing (a copy a clerk kept under a
    # name the manifest was made to list, say). A file this docgen did not make (a colleague's build, a
    # fresh clone, .docgen/ deleted) goes when git holds it as it is: nothing is lost that git cannot give back
    in_git, unanswered = kept_by_git([target for _rel, _entry, target in unvouched], out_dir, archive.root)
    kept_unvouched = [(relpath, entry) for relpath, entry, target in unvouched if target not in in_git]
    for relpath, entry, target in unvouched:
        if target in in_git:
            _remove_stale(relpath, entry, target, out_dir, new_manifest, report)
    if kept_unvouched:  # (git's state is no part of the run's snapshot: not remembered, asked again next time)
        from docgen import usercache

        why = "没有可用的私人缓存目录，docgen 记不下哪些文书是它生成的（见 README“缓存”）" \
            if usercache.secret() is None else \
            f"本机 .docgen/ 中没有 docgen 生成它的记录，{unanswered or '它也没有原样提交在 git 中'}"
        for relpath, entry in kept_unvouched:
            new_manifest[relpath] = entry
            report.notes.append(f"{shown(relpath)} 的记录已不在，但{why}，docgen 没有删除它；确认不再需要后请手工删除")
    hashes.save({os.path.join(out_dir, *rel.split("/")) for rel in new_manifest}, out_dir)
    renderer.forget_sets(rel for rel in manifest if rel not in new_manifest and rel.endswith(".docx"))
    written = True
    if new_manifest != manifest or interrupted or not os.path.exists(os.path.join(out_dir, MANIFEST)):
        try:
            chunks = manifest_chunks(text[0], out_dir, os.path.join(archive.root, CACHE_DIR)) if text else {}
            data = manifest_bytes(new_manifest, manifest, chunks)
            write_atomic(os.path.join(out_dir, MANIFEST), data)
            _keep_written(os.path.join(out_dir, MANIFEST), data, new_manifest)
            note_manifest(data, out_dir, os.path.join(archive.root, CACHE_DIR))
        except OSError as exc:
            written = False
            if not report.failures:
                journal.finish(False)
                raise
            report.failures.append(Failure.of(MANIFEST, exc))
    journal.finish(written)
    if checked.inputs is not None and checked.today == today and not (report.failures or report.kept_edited or force or pdf or interrupted
                                                                      or kept_unvouched) \
            and report.notes == repeated:
        snapshot.remember_build(checked.inputs, today, archive.templates_dir, out_dir, asked, report.problems,
                                repeated, len(jobs))
    report.seconds = time.perf_counter() - started
    if report.failures:
        raise BuildFailed(report)
    return report


def _remove_stale(relpath: str, entry: dict, target: str, out_dir: str, new_manifest: dict, report: BuildReport) -> None:
    """Delete a document whose records are gone; one that cannot be (open in Word on Windows, a read-only
    folder) is kept, and said."""
    try:
        os.unlink(target)
    except OSError as exc:
        new_manifest[relpath] = entry
        report.notes.append(f"{shown(relpath)} 的记录已不在，但删除这份文书时出错（{os_error_text(exc, with_path=False)[0]}），"
                            "docgen 没有删除它；关闭打开它的程序后再生成一次即可")
        return
    report.removed.append(relpath)
    _prune_empty(os.path.dirname(target), out_dir)


def _refuse_linked_out(out_dir: str, root: str) -> None:
    """An output folder that is a symbolic link leading out of the archive (one can come with it, in
    git or a zip) would have docgen write, replace and delete documents in some other folder — another
    archive's output, say — under a manifest found there. A folder named by its own path is fine."""
    if os.path.islink(out_dir.rstrip("/\\") or out_dir) and leads_outside(out_dir, root):
        raise DocgenError(f"输出目录 {out_dir} 是指向档案之外的链接（{os.path.realpath(out_dir)}）：docgen 不会在那里"
                          "写入或删除文书。如确需生成到那个文件夹，请用 --out 直接写出它的路径")


def _windows(jobs: list[tuple[Output, str]]):
    """The jobs in runs rendered ahead together (`Renderer.ahead`): at most `AHEAD_WINDOW`, and
    print sets apart from documents (a set is made once all its parts are placed)."""
    run: list[tuple[Output, str]] = []
    for job in jobs:
        if run and (bool(job[0].parts) != bool(run[-1][0].parts) or len(run) >= AHEAD_WINDOW):
            yield run
            run = []
        run.append(job)
    if run:
        yield run


class _Placer:
    """Puts each rendered document at its path, or beside a file there that docgen did not write.

    `last` is what docgen last wrote at a path (the manifest's hash). A file holding exactly that
    is docgen's to replace; a file holding what this build makes is adopted as it is; anything
    else is a clerk's (edited since, or never written by docgen) and stays: the new document goes
    to `outfolder.beside(path)`, which the manifest tracks like any document docgen wrote, so
    that it is removed again once the conflict is gone. `--force` replaces a document docgen
    wrote and someone edited since, never a file docgen did not write.
    """

    def __init__(self, folder: OutputFolder, renderer: "Renderer", manifest: dict, new_manifest: dict,
                 report: BuildReport, force: bool, planned: set[str], journal: Journal):
        self.folder, self.renderer, self.report, self.force = folder, renderer, report, force
        self.manifest, self.new_manifest, self.planned, self.journal = manifest, new_manifest, planned, journal

    def may_render(self, output: Output, key: str) -> bool:
        """Whether `place` is to render the output, as far as the manifest tells: not when it holds
        this very fingerprint for the path (the usual unchanged document; `place` still looks at
        the file itself, and renders what was edited or removed since)."""
        old = self.manifest.get(output.relpath)
        if self.force or not (old and old.get("key") == key):
            return True
        target = self.folder.target(output.relpath)
        return target is None or not self.folder.hashes.made(target, key, old["sha256"])

    def place(self, output: Output, key: str) -> bool:
        """True when the output's own path now holds what docgen made for it."""
        rel = output.relpath
        target = self.folder.target(rel)
        if target is None:
            raise DocgenError("所在的文件夹是指向输出目录之外的链接，docgen 不会写到那里")
        old = self.manifest.get(rel)
        last = old["sha256"] if old else None
        current = self.folder.state(target)
        # the manifest's word alone is not enough (it travels with the archive): this docgen made it
        if not self.force and old and old.get("key") == key and current == last \
                and self.folder.hashes.made(target, key, last):
            self.new_manifest[rel] = old
            self.report.unchanged += 1
            return True
        side, side_target = beside(rel), beside(target)  # the same folder
        old_side = self.manifest.get(side)
        if not self.force and current not in (None, last) and old_side and old_side.get("key") == key \
                and self.folder.hashes.made(side_target, key, old_side["sha256"]):
            if current == old_side["sha256"]:  # the clerk took the new document over: nothing is beside any more
                self.new_manifest[rel] = {**old_side}
                self.report.unchanged += 1
                return True
            if self.folder.state(side_target) == old_side["sha256"]:  # still in conflict, the new one up to date
                self._conflict(rel, side, old, old_side, last)
                self.report.unchanged += 1
                return False
        data = self.renderer.render(output)
        digest = self.renderer.sha256(data)
        entry = {"key": key, "sha256": digest, "sources": list(output.sources)}
        replaceable = current is None or current == last or current == digest
        if not replaceable and self.force and last is not None and current is not OTHER:
            self.report.notes.append(f"{rel} 在上次生成后被修改过，已按 --force 用新生成的文书替换")
            replaceable = True
        if replaceable:
            self._write(rel, target, data, digest, current, key)
            self.new_manifest[rel] = entry
            return True
        if side in self.planned:
            raise DocgenError(f"原位置有不是 docgen 写入的文件，而旁边的 {side} 又是另一份文书的名字；"
                              f"请把 {rel} 改名或移走")
        side_now = self.folder.state(side_target)
        if side_now not in (None, digest) and not (old_side and side_now == old_side["sha256"]):
            raise DocgenError(f"原位置的文件和旁边的 {side} 都不是 docgen 写入的，新生成的文书无处可写；"
                              f"请核对后把其中一个改名或移走")
        self._write(side, side_target, data, digest, side_now, key)
        self._conflict(rel, side, old, entry, last, current)
        return False

    def _write(self, rel: str, target: str, data: bytes, digest: str, current, key: str) -> None:
        if current != digest or self.force:
            self.journal.note(rel, digest)
            write_atomic(target, data)
            self.folder.hashes.wrote(target, digest, key)
            self.report.written.append(rel)
        else:  # what is there is what this docgen made now (a document from elsewhere, identical)
            self.folder.hashes.vouch(target, key, digest)
            self.report.unchanged += 1

    def _conflict(self, rel: str, side: str, old: dict | None, side_entry: dict, last: str | None,
                  current=None) -> None:
        self.new_manifest[side] = side_entry
        if old:  # what docgen last wrote there: a file restored to it is docgen's to replace again
            self.new_manifest[rel] = old
        name = side.rsplit("/", 1)[-1]
        if current is OTHER:  # a link (perhaps to a file outside the archive) or a folder: never replaced, --force or not
            self.report.notes.append(f"{rel} 不是普通文件（可能是链接或文件夹），docgen 从不替换它，--force 也不会；"
                                     f"新生成的文书写在旁边的 {name}。请核对后把它改名或移走，再运行 docgen build")
        elif last is None:
            self.report.notes.append(f"{rel} 不是 docgen 生成的文件（或生成记录已丢失），docgen 没有覆盖它；"
                                     f"新生成的文书写在旁边的 {name}。请核对后把原文件改名或移走，再运行 docgen build")
        else:
            self.report.notes.append(f"{rel} 在上次生成后被修改过，docgen 没有覆盖它；新生成的文书写在旁边的 {name}。"
                                     "不需要保留所做的修改时，运行 docgen build --force 用新生成的文书替换")


def manifest_bytes(outputs: dict, previous: dict | None = None, chunks: dict | None = None) -> bytes:
    """The manifest as JSON with one field, and one source, per line: a commit's diff shows which
    output changed and why in short lines (json.dumps of each scalar keeps the C-speed encoder).
    An entry that is the very one of the `previous` manifest (entries are never changed in place)
    is taken from that manifest's text (`chunks`, by `manifest_chunks`) as it is."""
    dumps = json.dumps
    parts = []
    for relpath in sorted(outputs):
        entry = outputs[relpath]
        if chunks and previous.get(relpath) is entry:
            chunk = chunks.get(relpath)
            if chunk is not None:
                parts.append(chunk)
                continue
        fields = []
        for name in sorted(entry):
            value = entry[name]
            if isinstance(value, list) and value:
                if all(type(item) is str for item in value):  # sources: the list in one C call
                    items = dumps(value, ensure_ascii=False, separators=(",\n    ", ": "))[1:-1]
                else:
                    items = ",\n    ".join(dumps(item, ensure_ascii=False) for item in value)
                fields.append(f'  {dumps(name)}: [\n    {items}\n  ]')
            else:
                fields.append(f"  {dumps(name)}: {dumps(value, ensure_ascii=False, sort_keys=True)}")
        parts.append(f"{dumps(relpath, ensure_ascii=False)}: {{\n" + ",\n".join(fields) + "\n}")
    head = f'{{"docgen": {dumps(__version__)}, "version": {MANIFEST_VERSION}, "outputs": {{\n'
    return (head + ",\n".join(parts) + "\n}}\n").encode("utf-8")


def _prune_empty(folder: str, stop: str) -> None:
    while os.path.abspath(folder) != os.path.abspath(stop):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)
