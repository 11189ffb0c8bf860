"""`docgen build`: check the records, plan the outputs, render what changed, write atomically.

A manifest in the output folder records, for every file docgen wrote, the fingerprint of
what went into it (template, context, schemas, docgen version, options) and the hash of
the bytes written. An output whose fingerprint is unchanged and whose file is intact is
not rendered again; files docgen wrote for records that are gone are removed; files
docgen did not write (or that someone edited since) are never deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field

from docgen import __version__
from docgen.archive import Archive
from docgen.cache import CACHE_DIR, OutputHashes, code_digest, file_sha
from docgen.check import Checked, check_archive
from docgen.outputs import Output, plan_outputs
from docgen.problems import DocgenError, Problem
from docgen.writer import write_atomic

MANIFEST = ".docgen-manifest.json"
MANIFEST_VERSION = 1

_templates: dict[tuple, object] = {}  # prepared templates, kept across builds in one process


@dataclass
class BuildReport:
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pdfs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def fingerprint(salt: bytes, output: Output, template_digest: str, options: str) -> str:
    """What an output was made from: docgen, schemas (salt), template, options, and its `depends`."""
    parts = [salt.hex(), template_digest, options, output.relpath, output.title, output.when or "", *output.depends]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def load_manifest(out_dir: str) -> tuple[dict, str | None]:
    """The previous build's manifest; a missing or damaged one means a full build."""
    path = os.path.join(out_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        outputs = data["outputs"]
        if data.get("version") != MANIFEST_VERSION or not isinstance(outputs, dict) or \
                not all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in outputs.values()):
            raise ValueError("unexpected shape")
        return outputs, None
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError, KeyError, TypeError):
        return {}, "上次生成的清单文件已损坏，本次全部重新生成"


class Renderer:
    """Templates of one archive, prepared once (and reused across builds while unchanged)."""

    def __init__(self, templates_dir: str, cache_dir: str | None = None):
        self.dir = templates_dir
        self.cache_dir = cache_dir
        self.digests: dict[str, str] = {}

    def path(self, name: str) -> str:
        path = os.path.join(self.dir, name)
        if not os.path.isfile(path):
            raise DocgenError(f"找不到模板文件 {path}")
        return path

    def digest(self, name: str) -> str:
        if name not in self.digests:
            self.digests[name] = file_sha(self.path(name)) or ""
        return self.digests[name]

    def render(self, output: Output) -> bytes:
        path = self.path(output.template)
        when = _when(output.when)
        # the backends are imported when something needs rendering: a no-op build never loads them
        if output.is_docx:
            from docgen.render_docx import WordTemplate

            return self._prepared(WordTemplate, path, output.template).render(output.context, output.title, when)
        from docgen.render_xlsx import WorkbookTemplate

        template = self._prepared(WorkbookTemplate, path, output.template)
        return template.render(output.context, output.rows or [], output.title, when)

    def _prepared(self, kind, path: str, name: str):
        """A prepared template, kept in this process while its file is unchanged (the watcher's builds)."""
        stat = os.stat(path)
        key = (kind.__name__, path, stat.st_mtime_ns, stat.st_size)
        template = _templates.get(key)
        if template is None:
            template = _templates[key] = kind(path, name, cache_dir=self.cache_dir)
        return template


def _when(date_text: str | None) -> str:
    from docgen.package import fixed_time

    return fixed_time(date_text)


def build(archive: Archive, out_dir: str, plan_ids: list[str] | None = None, force: bool = False,
          pdf: bool = False, progress=None, checked: Checked | None = None, as_of=None,
          cache=None) -> BuildReport:
    """Build every plan (or those named); returns what was written, kept and removed."""
    started = time.perf_counter()
    report = BuildReport()
    checked = checked or check_archive(archive, cache=cache, save_cache=False)
    report.problems = checked.problems
    index = checked.index
    wanted = plan_ids or sorted(index.plans)
    for plan_id in wanted:
        if plan_id not in index.plans:
            raise DocgenError(f"找不到抽查计划“{plan_id}”。现有计划：{'、'.join(sorted(index.plans)) or '（无）'}")
    out_dir = os.path.abspath(out_dir)
    manifest, note = load_manifest(out_dir)
    hashes = OutputHashes(os.path.join(archive.root, CACHE_DIR, "output-hashes.json"))
    if note:
        report.notes.append(note)
    renderer = Renderer(archive.templates_dir, os.path.join(archive.root, CACHE_DIR, "templates"))
    salt = hashlib.sha256(("docgen " + __version__).encode() + code_digest() + checked.schemas.digest_source()).digest()
    # build options that change a document's bytes go here; --as-of is in the statistics sheet's own
    # `depends`, and --pdf changes no .docx/.xlsx byte
    options = json.dumps({})
    new_manifest = {k: v for k, v in manifest.items() if k.split("/", 1)[0] not in wanted}
    planned = [plan_outputs(checked, plan_id, as_of) for plan_id in wanted]
    if checked.cache is not None:
        checked.cache.save()  # keeps field digests worked out for the fingerprints
    keep_prefixes = set()
    jobs: list[tuple[Output, str]] = []
    for result in planned:
        report.notes.extend(result.skipped)
        if not result.complete:
            keep_prefixes.add(result.plan_id + "/")
        for output in result.outputs:
            jobs.append((output, fingerprint(salt, output, renderer.digest(output.template), options)))
    bar = progress(len(jobs)) if progress and len(jobs) > 20 else None
    for output, key in jobs:
        target = os.path.join(out_dir, *output.relpath.split("/"))
        old = manifest.get(output.relpath)
        if not force and old and old.get("key") == key and hashes.sha(target) == old["sha256"]:
            new_manifest[output.relpath] = old
            report.unchanged += 1
        else:
            data = renderer.render(output)
            digest = hashlib.sha256(data).hexdigest()
            if hashes.sha(target) != digest or force:
                write_atomic(target, data)
                hashes.wrote(target, digest)
                report.written.append(output.relpath)
            else:
                report.unchanged += 1
            new_manifest[output.relpath] = {"key": key, "sha256": digest, "sources": list(output.sources)}
        if bar:
            bar.update(1)
    if bar:
        bar.finish()
    if pdf:
        from docgen.pdf import write_pdfs  # LibreOffice, batches and fonts: only --pdf needs them

        write_pdfs(out_dir, [o for o, _ in jobs], manifest, new_manifest, report, force)
    else:  # PDFs made by an earlier --pdf build stay while their document is unchanged
        for relpath, entry in manifest.items():
            source = (entry.get("sources") or [None])[0]
            if relpath.endswith(".pdf") and source in new_manifest and new_manifest[source]["sha256"] == entry.get("key"):
                new_manifest[relpath] = entry
    # files of records that are gone: only ours, only untouched, never of a plan that did not fully build,
    # and nothing at all while some plan, department or entity file cannot even be read
    hold_all = bool(index.broken_by_plan.get("*"))
    for relpath, entry in manifest.items():
        plan_dir = relpath.split("/", 1)[0]
        if relpath in new_manifest or (plan_dir not in wanted and plan_dir in index.plans):
            continue
        if hold_all or any(relpath.startswith(prefix) for prefix in keep_prefixes):
            new_manifest[relpath] = entry
            continue
        target = os.path.join(out_dir, *relpath.split("/"))
        current = hashes.sha(target)
        if current is None:
            continue
        if current == entry["sha256"]:
            os.unlink(target)
            report.removed.append(relpath)
            _prune_empty(os.path.dirname(target), out_dir)
        else:
            report.kept_edited.append(relpath)
    hashes.save({os.path.join(out_dir, *rel.split("/")) for rel in new_manifest})
    if new_manifest != manifest or not os.path.exists(os.path.join(out_dir, MANIFEST)):
        write_atomic(os.path.join(out_dir, MANIFEST), manifest_bytes(new_manifest))
    report.seconds = time.perf_counter() - started
    return report


def manifest_bytes(outputs: dict) -> bytes:
    """The manifest as JSON with one output per line (readable in a diff; C-speed encoding)."""
    lines = [f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(outputs[k], ensure_ascii=False, sort_keys=True)}"
             for k in sorted(outputs)]
    head = f'{{"docgen": {json.dumps(__version__)}, "version": {MANIFEST_VERSION}, "outputs": {{\n'
    return (head + ",\n".join(lines) + "\n}}\n").encode("utf-8")


def _prune_empty(folder: str, stop: str) -> None:
    while os.path.abspath(folder) != os.path.abspath(stop):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)
