"""Deterministic OOXML packages: fixed entry order and times, stored entries, fixed core properties.

Entries are stored, not deflated: deflate output differs between zlib builds (zlib,
zlib-ng), and stored entries let git delta-compress a rebuilt document well.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib

EPOCH = (1980, 1, 1, 0, 0, 0)
CORE_PATH = "docProps/core.xml"


# what XML 1.0 cannot carry at all, not even as a character reference (lone surrogates come
# from YAML's "\ud800" escapes): dropped, the rest of the text kept
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """Any text as XML element content or attribute value: markup characters escaped, characters
    XML 1.0 forbids dropped, a carriage return kept as a reference (a parser would turn a raw one
    into a line feed). xml.sax.saxutils would pull in urllib and http at import time."""
    text = NOT_XML.sub("", text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("\r", "&#13;")


def column_number(letters: str) -> int:
    """A spreadsheet column's number from its letters: A → 1, AA → 27 (either case)."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letters(number: int) -> str:
    """A spreadsheet column's letters from its number: 1 → A, 27 → AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def fixed_time(date_text: str | None) -> str:
    """W3CDTF time for document properties: the record's date, else 1980. Nothing of the machine or
    its environment (not SOURCE_DATE_EPOCH either): a document's bytes are its records' and template's."""
    if date_text:
        try:
            return dt.date.fromisoformat(date_text).isoformat() + "T00:00:00Z"
        except ValueError:
            pass
    return "1980-01-01T00:00:00Z"


def core_xml(title: str, when: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{escape(title)}</dc:title><dc:creator>docgen</dc:creator>'
            '<cp:lastModifiedBy>docgen</cp:lastModifiedBy><cp:revision>1</cp:revision>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            '</cp:coreProperties>').encode("utf-8")


# A stored zip entry as zipfile (3.8–3.13) writes it with the fields `write_package` sets: version
# 2.0, no flags (names are ASCII), no extra field, 1980-01-01 00:00, mode rw------- (zipfile's
# default for a zero `external_attr`). Packages past zip's 32-bit limits go through zipfile itself.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION, _DOSDATE, _ATTR = 20, (EPOCH[0] - 1980) << 9 | EPOCH[1] << 5 | EPOCH[2], 0o600 << 16
_LIMIT = (1 << 31) - 1  # zipfile.ZIP64_LIMIT


class Stored:
    """One entry of a package, its local header and data ready to be joined: an entry that is the
    same in every document of a template (styles, fonts, theme, settings) is made once, not per
    document (issue 16). `data` may be a list of byte strings, joined only with the rest."""

    __slots__ = ("name", "crc", "size", "chunks")

    def __init__(self, name: str, data):
        pieces = [data] if isinstance(data, (bytes, bytearray, memoryview)) else list(data)
        crc, size = 0, 0
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
        raw = name.encode("ascii")
        self.name, self.crc, self.size = raw, crc, size
        local = _LOCAL.pack(b"PK\x03\x04", _VERSION, 0, 0, 0, 0, _DOSDATE, crc, size, size, len(raw), 0) + raw
        self.chunks = [local, *pieces]


def write_package(entries) -> bytes:
    """A zip of `entries` ((name, bytes) pairs or `Stored` entries) in the given order, stored,
    identical bytes for identical entries (the bytes zipfile writes for them)."""
    entries = list(entries)
    stored = [e if isinstance(e, Stored) else _stored(*e) for e in entries]
    if any(s is None for s in stored) or len(stored) > 0xFFFF or \
            sum(s.size + 30 + len(s.name) for s in stored) * 1.05 > _LIMIT:
        return _zipfile_package(list(_pairs(entries)))
    chunks, central, offset = [], [], 0
    for s in stored:
        central.append(_CENTRAL.pack(b"PK\x01\x02", _VERSION, 0, _VERSION, 0, 0, 0, 0, _DOSDATE, s.crc, s.size,
                                     s.size, len(s.name), 0, 0, 0, 0, _ATTR, offset) + s.name)
        chunks += s.chunks
        offset += 30 + len(s.name) + s.size
    size = sum(map(len, central))
    end = _END.pack(b"PK\x05\x06", 0, 0, len(stored), len(stored), size, offset, 0)
    return b"".join(chunks + central + [end])


def _stored(name: str, data) -> Stored | None:
    return Stored(name, data) if name.isascii() else None


def _pairs(entries):
    for e in entries:
        if isinstance(e, Stored):
            yield e.name.decode("ascii"), b"".join(e.chunks[1:])
        else:
            name, data = e
            yield name, data if isinstance(data, (bytes, bytearray)) else b"".join(data)


def _zipfile_package(entries: list[tuple[str, bytes]]) -> bytes:
    """zipfile's own writing, for what `Stored` does not cover (names beyond ASCII, zip64 sizes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data)
    return buffer.getvalue()


def stored_entries(blob: bytes) -> dict[str, memoryview] | None:
    """The entries of a package `write_package` wrote, by name, as views into `blob` (no copy, no
    zipfile parsing: a print set reads a few entries of hundreds of parts). None for any other zip
    (compressed, zip64, with a comment or data descriptors): read that with `read_package`."""
    view = memoryview(blob)
    if len(blob) < _END.size or bytes(view[-_END.size:-_END.size + 4]) != b"PK\x05\x06":
        return None
    _, _, _, count, _, size, offset, comment = _END.unpack_from(view, len(blob) - _END.size)
    if comment or offset + size != len(blob) - _END.size:
        return None
    found, at = {}, offset
    for _ in range(count):
        if at + _CENTRAL.size > len(blob):
            return None
        (sig, _, _, _, _, flags, method, _, _, crc, csize, usize, nlen, elen, clen, _, _, _,
         header) = _CENTRAL.unpack_from(view, at)
        if sig != b"PK\x01\x02" or flags & 0x08 or method or csize != usize:
            return None
        name = bytes(view[at + 46:at + 46 + nlen]).decode("utf-8" if flags & 0x800 else "cp437")
        at += 46 + nlen + elen + clen
        if header + 30 > offset or bytes(view[header:header + 4]) != b"PK\x03\x04":
            return None
        lnlen, lelen = struct.unpack_from("<2H", view, header + 26)
        start = header + 30 + lnlen + lelen
        if start + usize > offset:
            return None
        found[name] = view[start:start + usize]
    return found


def read_package(blob_or_path) -> list[tuple[str, bytes]]:
    source = io.BytesIO(blob_or_path) if isinstance(blob_or_path, bytes) else blob_or_path
    with zipfile.ZipFile(source) as archive:
        return [(info.filename, archive.read(info.filename)) for info in archive.infolist()]


def normalise(blob: bytes, title: str, when: str) -> bytes:
    """Re-pack a package written by another library, with our core properties."""
    entries = [(name, core_xml(title, when) if name == CORE_PATH else data) for name, data in read_package(blob)]
    if not any(name == CORE_PATH for name, _ in entries):
        entries.append((CORE_PATH, core_xml(title, when)))
    return write_package(entries)
