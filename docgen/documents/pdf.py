"""`docgen build --pdf`: Word/Excel documents to PDF through LibreOffice, all of them, every time.

LibreOffice 7.4 silently stops after about 246 files in one call, so documents go in
batches; each expected PDF is checked and the missing ones are tried again one by one.
One converter runs per core, each with its own profile (two instances cannot share one),
in its own process group so that nothing is left running after a timeout or Ctrl-C.

The documents name the official fonts (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312), which
a Linux machine rarely has. A fontconfig file written for the conversion maps each to a
free face of the same style with Simplified-Chinese glyphs, so the PDF shows 仿宋 as 仿宋
and never falls back to one sans or to the Japanese variant of Noto CJK.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

# files per LibreOffice call: well below the ~246 where 7.4 stops, and few calls (a start costs ~2 s of CPU)
BATCH = 100
SECONDS_PER_FILE = 30  # a batch is given up (its process group killed) after this long per file, plus START
START = 120

# Official font → free faces of the same style, first installed one wins (Debian package in comments).
FONT_MAP = {
    "仿宋_GB2312": ["FandolFang"],  # texlive-lang-chinese
    "仿宋": ["FandolFang"],
    "FangSong": ["FandolFang"],
    "FangSong_GB2312": ["FandolFang"],
    "方正仿宋_GBK": ["FandolFang"],
    "楷体_GB2312": ["AR PL UKai CN", "FandolKai"],  # fonts-arphic-ukai
    "楷体": ["AR PL UKai CN", "FandolKai"],
    "KaiTi": ["AR PL UKai CN", "FandolKai"],
    "KaiTi_GB2312": ["AR PL UKai CN", "FandolKai"],
    "方正小标宋简体": ["FandolSong", "Noto Serif CJK SC"],  # fonts-noto-cjk (named …jp inside its .ttc)
    "方正小标宋_GBK": ["FandolSong", "Noto Serif CJK SC"],
    "宋体": ["FandolSong", "Noto Serif CJK SC"],
    "SimSun": ["FandolSong", "Noto Serif CJK SC"],
    "黑体": ["FandolHei", "Noto Sans CJK SC"],
    "SimHei": ["FandolHei", "Noto Sans CJK SC"],
}
# where Debian's TeX Live keeps the Fandol fonts (not in fontconfig's default folders)
FONT_DIRS = ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol",
             "/usr/share/texmf/fonts/opentype/public/fandol",
             "/usr/local/share/texmf/fonts/opentype/public/fandol")


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def fonts_conf() -> str:
    """A fontconfig configuration: the system's (or the user's own), the Fandol folder, and the
    official-font mapping."""
    from docgen.documents.package import escape

    base = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>",
             f'  <include ignore_missing="yes">{escape(base)}</include>']
    lines += [f"  <dir>{escape(folder)}</dir>" for folder in FONT_DIRS if os.path.isdir(folder)]
    # Chinese documents: when a font has no glyph, prefer the Simplified-Chinese faces (never CJK JP)
    lines += ['  <match target="pattern">', '    <edit name="lang" mode="assign" binding="strong">'
              "<string>zh-cn</string></edit>", "  </match>"]
    for official, free in FONT_MAP.items():
        faces = "".join(f"<string>{escape(face)}</string>" for face in free)
        lines += ['  <match target="pattern">',
                  f'    <test name="family" qual="any"><string>{escape(official)}</string></test>',
                  f'    <edit name="family" mode="assign" binding="strong">{faces}</edit>', "  </match>"]
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


@dataclass
class Conversion:
    """What a run made: PDF bytes by source path, and the sources that gave none."""

    pdfs: dict[str, bytes] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def batches(sources: list[str], size: int) -> list[list[str]]:
    """Sources in groups of at most `size`, no two with the same file name (they share an output folder)."""
    groups: list[tuple[list[str], set[str]]] = []
    for source in sources:
        name = os.path.splitext(os.path.basename(source))[0]
        for group, names in groups:
            if len(group) < size and name not in names:
                group.append(source)
                names.add(name)
                break
        else:
            groups.append(([source], {name}))
    return [group for group, _ in groups]


def convert(sources: list[str], office: str, workers: int | None = None, batch: int | None = None,
            sets: list | None = None) -> Conversion:
    """PDFs of `sources` (absolute paths), batch by batch on every core, missing ones retried alone.

    `sets` (`pdfsets.SetJob`s) are print sets converted in pieces side by side; the PDFs of the parts
    they name are cut from theirs. A set that cannot be done so is converted whole, its parts alone."""
    result = Conversion()
    if not sources and not sets:
        return result
    workers = max(1, workers or os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="docgen-pdf-") as tmp:
        conf = os.path.join(tmp, "fonts.conf")
        with open(conf, "w", encoding="utf-8") as handle:
            handle.write(fonts_conf())
        env = {**os.environ, "FONTCONFIG_FILE": conf}
        runner = _Runner(office, tmp, env, workers)
        pieces = _Pieces(sets or [], tmp, workers, result)
        plain = list(sources) + pieces.whole
        # even shares for the workers, at most BATCH files per LibreOffice call
        size = batch or min(BATCH, max(1, -(-len(plain) // workers)))
        runner.run(pieces.calls() + [_Call(group, collect=_collector(result)) for group in batches(plain, size)])
        again = pieces.restarted()  # pieces that began on a wrong page number (their start is known now)
        if again:
            runner.run(again)
        fallback = pieces.finish(result)
        missing = [s for s in plain if s not in result.pdfs]
        if fallback:
            runner.run([_Call(group, collect=_collector(result)) for group in batches(fallback, size)])
            missing += [s for s in fallback if s not in result.pdfs]
        if missing:  # one at a time: a file that broke its batch cannot break the others again
            runner.run([_Call([source], collect=_collector(result)) for source in missing])
    for source in list(sources) + pieces.expected:
        if source not in result.pdfs:
            result.failed.setdefault(source, "LibreOffice 没有生成 PDF")
        else:
            result.failed.pop(source, None)
    return result


class _Call:
    """One LibreOffice call: its files (or `prepare`, which writes them when the call starts), the
    export filter, whether it may start yet, and what is done with the PDFs it leaves in a folder."""

    def __init__(self, sources: list[str], export: str = "pdf", ready=None, prepare=None, collect=None,
                 weight: int = 0, rank: tuple = ()):
        self.sources, self.export, self.collect = sources, export, collect
        self.weight = weight or sum(_weight(source) for source in sources)  # documents' worth, for its time limit
        # which call a free converter takes first: those others wait for, then the longest
        self.rank = rank or (0, sum(_cost(source) for source in sources))
        self.ready = ready or (lambda: True)
        self.prepare = prepare


def _weight(source: str) -> int:
    """A document's worth of time to convert: one, or one per 200 kB (a whole print set of 2,000 pages
    is a hundred)."""
    try:
        return max(1, os.path.getsize(source) // 200_000)
    except OSError:
        return 1


def _cost(source: str) -> int:
    """A document's expected conversion time from the size of its XML (what LibreOffice parses and
    lays out), in the unit of a print set's piece (`pdfsets.Piece.cost`: a paragraph, ~400 bytes)."""
    import zipfile

    try:
        with zipfile.ZipFile(source) as package:
            return sum(info.file_size for info in package.infolist() if info.filename.endswith(".xml")) // 400
    except (OSError, zipfile.BadZipFile):
        return 0


def _collector(result: Conversion):
    def collect(call: _Call, outdir: str, timed_out: bool) -> None:
        for source in call.sources:
            data = _read_pdf(outdir, source)
            if data is not None:
                result.pdfs[source] = reproducible(data, source)
            else:
                result.failed[source] = "LibreOffice 超时" if timed_out else "LibreOffice 没有生成 PDF"
    return collect


def _read_pdf(outdir: str, source: str) -> bytes | None:
    """The whole PDF LibreOffice made of `source` in `outdir`, or None."""
    produced = os.path.join(outdir, os.path.splitext(os.path.basename(source))[0] + ".pdf")
    try:
        with open(produced, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return data if data.startswith(b"%PDF") and b"%%EOF" in data[-1024:] else None


class _Pieces:
    """The print sets' pieces: which may start, where each starts, and the PDFs made of them."""

    def __init__(self, jobs: list, tmp: str, workers: int, result: Conversion):
        from docgen.documents import pdfsets

        self.tmp, self.counts, self.result, self.workers = tmp, {}, result, workers
        self.whole = []  # sets converted as one document after all
        self.expected = []  # part sources whose PDFs come from a set's
        self.jobs, self.failed = [], set()
        for job in jobs:
            try:
                ok = job.load()
            except Exception:  # noqa: BLE001 - anything odd about its XML: the set goes whole
                ok = False
            self.expected += [job.source] + [p for p in job.parts if p]
            if ok:
                self.jobs.append(job)
            else:
                self.whole.append(job.source)
                self.whole += [p for p in job.parts if p]
        self.order = pdfsets.plan_pieces(self.jobs, workers)
        self.made = 0

    def calls(self) -> list[_Call]:
        """A call per piece; a bound set's page-number documents in two (each is short: a start of
        LibreOffice costs more than most of them)."""
        calls = [self._call(piece) for piece in self.order if not piece.numbers]
        for job in self.jobs:  # in two calls, for the two cores: they are what the set waits for last
            ordered = sorted(job.numbers, key=lambda piece: -len(piece.numbers))
            for share in (ordered[0::2], ordered[1::2]) if self.workers > 1 else (ordered,):
                if share:
                    calls.append(_together([self._call(piece) for piece in share]))
        return calls

    def _call(self, piece, fixed: bool = False) -> _Call:
        """A piece's call: a bound set's piece waits for the page counts of the parts before it (or,
        `fixed`, starts where it was found to start)."""
        from docgen.documents import pdfsets

        self.made += 1
        path = os.path.join(self.tmp, "pieces", f"piece-{self.made}.docx")
        job = piece.job
        numbered = not job.restart and not piece.probe and not piece.loose

        needed = piece.numbers[-1] + 1 if piece.numbers else piece.indices[0]  # sections whose counts it needs
        empty = None

        def ready() -> bool:
            return fixed or not numbered or all(job.keys[i] in self.counts for i in range(needed))

        def prepare() -> None:
            nonlocal empty
            if numbered and not fixed:
                piece.start = 1 + sum(self.counts.get(job.keys[i], 2) for i in range(piece.indices[0]))
                if piece.lead is not None:
                    piece.lead_pages = pdfsets.LEAD_PAGES
            if piece.numbers:  # as many pages as its sections take in the set, from the first one's start
                last = piece.numbers[-1]
                empty = sum(self.counts[job.keys[i]] for i in range(piece.indices[0], last + 1))
            first = piece.start - (piece.lead_pages or 0) if numbered else None
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(pdfsets.piece_docx(job, piece.indices, first, piece.lead, empty))
            _debug(f"start {path}: {os.path.basename(job.source)} sections {piece.indices[0]}-{piece.indices[-1]} "
                   f"({len(piece.indices)}){' probe' if piece.probe else ''}{' again' if fixed else ''}")

        def collect(call: _Call, outdir: str, timed_out: bool) -> None:
            data = _read_pdf(outdir, path)
            try:
                if data is None:
                    raise ValueError("no PDF")
                pdfsets.read_piece(piece, data)
            except Exception as exc:  # noqa: BLE001 - a piece LibreOffice broke: its set goes whole
                self._broken(piece, exc)
                return None
            if piece.numbers:
                return None
            for index, pages in pdfsets.occupied(piece).items():
                self.counts.setdefault(job.keys[index], pages)

            def cut() -> None:  # the parts' PDFs, once the free converter has its next call
                try:
                    for index in piece.indices:
                        self._cut(job, piece, index)
                except Exception as exc:  # noqa: BLE001 - as above
                    self._broken(piece, exc)
            return cut

        # what others wait for first (page counts, then the set's own numbers), then the longest (packets
        # and a bound set's own parts before other documents)
        rank = (3 if piece.numbers else 2 if piece.waited and not job.restart else int(piece.waited or piece.loose),
                piece.cost)
        return _Call([path], pdfsets.EXPORT, ready, prepare, collect, weight=1 + len(piece.indices) // 5, rank=rank)

    def _broken(self, piece, exc: Exception) -> None:
        _debug(f"a piece of {piece.job.source}: {exc!r}")
        piece.pages = None
        self.failed.add(id(piece.job))

    def _cut(self, job, piece, index: int) -> None:
        """A packet part's own PDF, from the pages of its section (`finish` checks all are there)."""
        from docgen.documents import pdfsets

        part = job.parts[index] if index < len(job.parts) else None
        if part:
            self.result.pdfs[part] = pdfsets.write_pdf([pdfsets.part_pages(piece, index)],
                                                       pdfsets.document_title(part), _document_time(part))

    def restarted(self) -> list[_Call]:
        """Pieces of bound sets whose first page number is not where the pieces before them end
        (known now that all are made), to be converted again from the right number."""
        again = []
        for job in self.jobs:
            if job.restart or id(job) in self.failed or any(p.pages is None for p in job.pieces + job.numbers):
                continue
            if job.numbers:  # its pieces started where the counts put them: only a lead that misled them
                for piece in job.pieces + job.numbers:
                    if piece.stale:
                        piece.pages, piece.stale = None, False
                        again.append(self._call(piece, fixed=True))
                continue
            page = 1
            for piece in job.pieces:
                length = len(piece.pages)
                if piece.start != page or piece.stale:
                    piece.start, piece.pages, piece.stale = page, None, False
                    again.append(self._call(piece, fixed=True))
                page += length
                page += (page - 1) % 2  # the next part starts on an odd page
        return again

    def _stamped(self, job) -> list[list]:
        """A bound set's pages, part by part: its own pieces' as converted, the packets' parts' with
        the page numbers of their place in the set (`pdfsets.stamp`)."""
        from docgen.documents import pdfsets

        packets = {}  # a packet part's key → its packet's piece and section
        for other in self.jobs:
            if other.restart and id(other) not in self.failed:
                for piece in other.pieces:
                    for index in piece.indices:
                        packets[other.keys[index]] = (piece, index)
        style = {i: piece for piece in job.numbers for i in piece.numbers}
        runs, page, index = [], 1, 0
        while index < len(job.sections):
            piece = next((p for p in job.pieces if p.indices[0] == index and not p.loose), None)
            if piece is not None:  # the first piece, numbered from 1 as it stands (or a set without a 版记)
                if piece.start != page:
                    raise ValueError("a piece started on a wrong page number")
                runs.append(piece.pages)
                page += len(piece.pages)
                index = piece.indices[-1] + 1
            elif any(p.loose and p.indices[0] == index for p in job.pieces):
                # converted at once with its own numbers: its pages as LibreOffice laid them out (its
                # own blank pages included), each taking the footer of its place in the set
                piece = next(p for p in job.pieces if p.loose and p.indices[0] == index)
                starts = sorted((piece.starts[i], i) for i in piece.indices)
                pages = []
                for n, one in enumerate(piece.pages):
                    section = max(i for start, i in starts if start <= n)
                    numbers = style.get(section)
                    if numbers is None or pdfsets.is_blank(one):
                        pages.append(one)
                        continue
                    if not 0 <= page + n - numbers.start < len(numbers.pages):
                        raise ValueError("page numbers missing")
                    pages.append((one, numbers.pages[page + n - numbers.start], pdfsets.bottom_margin(job, section)))
                runs.append(pages)
                page += len(piece.pages)
                index = piece.indices[-1] + 1
            else:
                source, at = packets[job.keys[index]]
                pages = pdfsets.part_pages(source, at)
                numbers = style[index]
                offset = page - numbers.start
                if offset < 0 or offset + len(pages) > len(numbers.pages):
                    raise ValueError("page numbers missing")
                bottom = pdfsets.bottom_margin(job, index)
                runs.append([(p, numbers.pages[offset + n], bottom) for n, p in enumerate(pages)])
                page += len(pages)
                index += 1
            page += (page - 1) % 2  # the next part starts on an odd page
        return runs

    def finish(self, result: Conversion) -> list[str]:
        """Each set's PDF joined from its pieces and its parts' PDFs cut from it; the sources of the
        sets that could not be made so (to be converted whole, their parts alone)."""
        from docgen.documents import pdfsets

        fallback = []
        for job in self.jobs:
            parts = [p for p in job.parts if p]
            try:
                if id(job) in self.failed or any(p.pages is None for p in job.pieces + job.numbers):
                    raise ValueError("a piece is missing")
                runs = self._stamped(job) if job.numbers else [p.pages for p in job.pieces]
                made = {job.source: pdfsets.write_pdf(runs, pdfsets.document_title(job.source),
                                                      _document_time(job.source))}
                if not all(p in result.pdfs for p in parts):
                    raise ValueError("a part's PDF is missing")
            except Exception as exc:  # noqa: BLE001 - whatever went wrong, the plain way still works
                _debug(f"{job.source}: {exc!r}")
                fallback += [job.source] + parts
                continue
            result.pdfs.update(made)
        return fallback


def _together(calls: list[_Call]) -> _Call:
    """Several calls as one LibreOffice call, once all may start."""

    def prepare() -> None:
        for call in calls:
            call.prepare()

    def collect(call: _Call, outdir: str, timed_out: bool) -> None:
        for one in calls:
            one.collect(one, outdir, timed_out)

    return _Call([c.sources[0] for c in calls], calls[0].export, lambda: all(c.ready() for c in calls), prepare,
                 collect, weight=sum(c.weight for c in calls), rank=max(c.rank for c in calls))


def _rank(call: _Call) -> tuple:
    return call.rank


def _debug(text: str) -> None:
    """What went wrong with a piece, for whoever looks (DOCGEN_PDF_DEBUG=1): the build itself goes on."""
    if os.environ.get("DOCGEN_PDF_DEBUG"):
        print(f"docgen pdf: {text}", file=__import__("sys").stderr, flush=True)


class _Runner:
    """Up to `workers` LibreOffice processes at once, each with its own profile folder."""

    def __init__(self, office: str, tmp: str, env: dict, workers: int):
        self.office, self.tmp, self.env, self.workers = office, tmp, env, workers
        self.calls = 0

    def run(self, calls: list[_Call]) -> None:
        """Every call made, the first-ranked ready one whenever a converter is free (none ready and
        none running: the first-ranked one anyway)."""
        pending = list(calls)
        running: dict[int, tuple[subprocess.Popen, _Call, str, float, object]] = {}  # slot → process
        later = []  # work a call's collect left to do once the free converters have their next calls
        try:
            while pending or running or later:
                for slot in range(self.workers):
                    if slot not in running and pending:
                        ready = max((c for c in pending if c.ready()), key=_rank, default=None)
                        if ready is None and running:
                            break
                        ready = ready or max(pending, key=_rank)
                        pending.remove(ready)
                        running[slot] = self._start(slot, ready)
                if later:  # one at a time: a converter that finishes meanwhile is not kept waiting long
                    later.pop(0)()
                else:
                    time.sleep(0.02)
                for slot, (process, call, outdir, deadline, log) in list(running.items()):
                    if process.poll() is None and time.monotonic() < deadline:
                        continue
                    timed_out = process.poll() is None
                    if timed_out:
                        _kill(process)
                    _kill_group(process.pid)  # helpers LibreOffice started and left behind
                    log.close()
                    del running[slot]
                    _debug(f"{call.sources[0]} and {len(call.sources) - 1} more: {'timed out' if timed_out else 'done'}")
                    after = call.collect(call, outdir, timed_out)
                    if after:
                        later.append(after)
        finally:
            for process, *_rest, log in running.values():
                _kill(process)
                log.close()

    def _start(self, slot: int, call: _Call):
        self.calls += 1
        if call.prepare:
            call.prepare()
        outdir = os.path.join(self.tmp, f"out-{self.calls}")
        os.makedirs(outdir)
        keep_blank_pages(os.path.join(self.tmp, f"profile-{slot}"))
        profile = "file://" + os.path.join(self.tmp, f"profile-{slot}")
        command = [self.office, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--nolockcheck",
                   "--convert-to", call.export, "--outdir", outdir, *call.sources]
        log = open(os.path.join(self.tmp, f"log-{self.calls}.txt"), "wb")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   env=self.env, start_new_session=True)
        deadline = time.monotonic() + START + SECONDS_PER_FILE * call.weight
        return process, call, outdir, deadline, log


_SETTINGS = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
             'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
             '<item oor:path="/org.openoffice.Office.Common/Filter/PDF/Export">'
             '<prop oor:name="IsSkipEmptyPages" oor:op="fuse"><value>false</value></prop></item></oor:items>\n')


def keep_blank_pages(profile: str) -> None:
    """A new profile's PDF export keeps the blank pages Word documents ask for (a print set's part
    starting on an odd page): printed two-sided, every part then starts on a sheet of its own."""
    path = os.path.join(profile, "user", "registrymodifications.xcu")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(_SETTINGS)


def _kill(process: subprocess.Popen) -> None:
    _kill_group(process.pid)
    try:
        process.kill()
    except OSError:
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_DATE = re.compile(rb"\(D:(\d{14})([^)]*)\)")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_CHECKSUM = re.compile(rb"/DocChecksum\s*/([0-9A-Fa-f]+)")


def reproducible(data: bytes, source: str) -> bytes:
    """The same document gives the same PDF bytes. LibreOffice writes the time of conversion and a
    random file /ID (and a checksum over both); they are replaced in place (same lengths, so the
    cross-reference offsets stay right) by the document's own time (its docProps, the record's
    date) and hashes of its bytes."""
    when = _document_time(source)
    data = _DATE.sub(lambda m: b"(D:" + when + re.sub(rb"\d", b"0", m.group(2)) + b")", data)
    try:
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest().upper().encode()
    except OSError:
        digest = b"0" * 64
    found = _ID.search(data)
    if found:
        out = bytearray(data)
        for group in (1, 2):
            start, end = found.span(group)
            out[start:end] = (digest * 2)[:end - start]
        data = bytes(out)
    found = _CHECKSUM.search(data)
    if found:
        start, end = found.span(1)
        checksum = hashlib.sha256(data[:start] + data[end:]).hexdigest().upper().encode()
        data = data[:start] + (checksum * 2)[:end - start] + data[end:]
    return data


def _document_time(source: str) -> bytes:
    """YYYYMMDDhhmmss of the document's own creation time (docProps/core.xml), else 1980."""
    import zipfile

    try:
        with zipfile.ZipFile(source) as package:
            core = package.read("docProps/core.xml")
        found = re.search(rb"<dcterms:created[^>]*>(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", core)
        if found:
            return b"".join(found.groups())
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        pass
    return b"19800101000000"


def write_pdfs(out_dir: str, outputs: list, manifest: dict, new_manifest: dict, report, force: bool,
               files, journal=None) -> None:
    """PDFs beside the documents whose bytes changed (or whose PDF is missing or was edited).

    A document LibreOffice cannot convert is reported as an error naming it (the build then
    exits non-zero); every other PDF is still written.
    """
    from docgen.cache import file_sha256
    from docgen.records.problems import Problem
    from docgen.writer import write_atomic

    office = soffice_path()
    if office is None:
        report.notes.append("未找到 LibreOffice（soffice），未生成 PDF。请安装 LibreOffice 后重试"
                            "（Debian/Ubuntu：apt-get install libreoffice-writer-nogui libreoffice-calc-nogui）")
        return
    from docgen.documents.pdfsets import WHOLE_BELOW, SetJob

    def path(relpath: str) -> str:
        return os.path.join(out_dir, *relpath.split("/"))

    # a packet's docx parts get their PDFs cut from the packet's: each is kept only with its packet's
    present = {o.relpath: o for o in outputs if o.relpath in new_manifest}
    via = {p.relpath: o.relpath for o in present.values() if o.parts and o.restart
           for p in o.parts if p.is_docx and p.relpath in present}
    stale: dict[str, tuple[str, str]] = {}  # relpath → (pdf relpath, source sha)
    for relpath in present:
        pdf_rel = os.path.splitext(relpath)[0] + ".pdf"
        source_sha = new_manifest[relpath]["sha256"]
        old = manifest.get(pdf_rel)
        packet = new_manifest[via[relpath]]["sha256"] if relpath in via else None
        if (not force and old and old.get("key") == source_sha and old.get("via") == packet
                and file_sha256(path(pdf_rel)) == old["sha256"]
                and files.hashes.made(path(pdf_rel), _made_from(source_sha, packet), old["sha256"])):
            new_manifest[pdf_rel] = old
            continue
        stale[relpath] = (pdf_rel, source_sha)
    def in_pieces(output) -> bool:
        """A print set converted in pieces: a packet, or a bound set of one volume with enough parts.
        A volume of a bound set in several is converted whole: its pages are numbered from 1 and
        the last closes with the notice's 版记, which the pieces' numbering does not provide for."""
        if not output.parts:
            return False
        return output.restart or (len(output.parts) >= WHOLE_BELOW and output.colophon_from is output.parts[0])

    for output in present.values():  # a bound set takes its packets' pages (`pdfsets.stamp`): made with them
        if output.relpath in stale and in_pieces(output) and not output.restart:
            theirs = {p.relpath for p in output.parts}
            for packet in present.values():
                if packet.restart and packet.parts and packet.relpath not in stale \
                        and theirs & {p.relpath for p in packet.parts}:
                    pdf_rel = os.path.splitext(packet.relpath)[0] + ".pdf"
                    new_manifest.pop(pdf_rel, None)
                    stale[packet.relpath] = (pdf_rel, new_manifest[packet.relpath]["sha256"])
    for part, packet in via.items():  # one stale: the packet and all its parts made again, together
        if part in stale or packet in stale:
            for rel in [packet] + [p for p, q in via.items() if q == packet]:
                if rel not in stale:
                    pdf_rel = os.path.splitext(rel)[0] + ".pdf"
                    new_manifest.pop(pdf_rel, None)
                    stale[rel] = (pdf_rel, new_manifest[rel]["sha256"])
    todo = {path(rel): (rel, pdf_rel, sha) for rel, (pdf_rel, sha) in sorted(stale.items())}
    sets, in_sets = [], set()
    for rel in sorted(stale):
        output = present[rel]
        if not in_pieces(output):
            continue
        parts = [path(p.relpath) if via.get(p.relpath) == rel else None for p in output.parts]
        keys = [path(p.relpath) for p in output.parts]
        if not output.restart:  # the notice in a bound set lost its 版记 to a section of its own
            keys = [path(rel) + "#0"] + keys[1:] + [path(rel) + "#版记"]
        sets.append(SetJob(path(rel), parts, output.restart, keys))
        in_sets.update([path(rel)] + [p for p in parts if p])
    result = convert([s for s in todo if s not in in_sets], office, sets=sets)
    for source, (relpath, pdf_rel, source_sha) in todo.items():
        data = result.pdfs.get(source)
        if data is None:
            report.problems.append(Problem(os.path.relpath(source), 1, 1,
                                           f"转换为 PDF 失败：{result.failed.get(source, 'LibreOffice 没有生成 PDF')}"
                                           "（其余 PDF 已生成；请用 LibreOffice 打开此文书检查，或重新运行 docgen build --pdf）"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        packet = new_manifest[via[relpath]]["sha256"] if relpath in via else None
        try:
            placed, target = _place(files, pdf_rel, os.path.join(out_dir, *pdf_rel.split("/")), manifest, report,
                                    force, new_manifest)
            if journal is not None:  # as a document: a build killed before its manifest knows the PDF is docgen's
                journal.note(placed, digest)
            write_atomic(target, data)
            files.hashes.wrote(target, digest, _made_from(source_sha, packet))
        except Exception as exc:  # one PDF's failure never stops the others
            from docgen.documents.build import Failure

            report.failures.append(Failure.of(pdf_rel, exc))
            if pdf_rel in manifest:
                new_manifest.setdefault(pdf_rel, manifest[pdf_rel])
            continue
        new_manifest[placed] = {"key": source_sha, "sha256": digest, "sources": [relpath]}
        if relpath in via:
            new_manifest[placed]["via"] = packet
        report.pdfs.append(placed)


def _made_from(source_sha: str, packet: str | None) -> str:
    """What a PDF is made from, as `OutputHashes` notes it (`made`, `wrote`): its document's bytes,
    and for a part of a packet the packet's."""
    return f"{source_sha}|{packet}"


def _place(files, rel: str, target: str, manifest: dict, report, force: bool, new_manifest: dict) -> tuple[str, str]:
    """Where a new PDF goes: its own path, unless a file docgen did not write (or that was changed since)
    is there; then beside it, like a document (`build._Placer`). A PDF's bytes differ from one LibreOffice
    to another, so only what docgen last wrote tells its own PDF from a clerk's (a signed scan, say)."""
    from docgen.documents.outfolder import OTHER, beside
    from docgen.records.problems import DocgenError

    old = manifest.get(rel)
    current = files.state(target)
    if current is None or (old and current == old.get("sha256")) or (force and old and current is not OTHER):
        return rel, target
    if old:  # keep knowing what docgen last wrote there
        new_manifest[rel] = old
    side, side_target = beside(rel), beside(target)
    side_now, side_old = files.state(side_target), manifest.get(side)
    if side_now is not None and not (side_old and side_now == side_old.get("sha256")):
        raise DocgenError(f"{rel} 和旁边的 {side} 都不是 docgen 写入的文件，新生成的 PDF 无处可写；请核对后把其中一个改名或移走")
    report.notes.append(f"{rel} 不是 docgen 上次写入的 PDF（被修改过，或是别人放的文件），docgen 没有覆盖它；"
                        f"新生成的 PDF 写在旁边的 {side.rsplit('/', 1)[-1]}")
    return side, side_target
