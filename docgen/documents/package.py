"""Deterministic OOXML packages: fixed entry order and times, stored entries, fixed core properties.

Entries are stored, not deflated: deflate output differs between zlib builds (zlib,
zlib-ng), and stored entries let git delta-compress a rebuilt document well.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

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


def fixed_time(date_text: str | None) -> str:
    """W3CDTF time for document properties: the record's date, else SOURCE_DATE_EPOCH, else 1980."""
    if date_text:
        try:
            return dt.date.fromisoformat(date_text).isoformat() + "T00:00:00Z"
        except ValueError:
            pass
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
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


def write_package(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of `entries` in the given order, identical bytes for identical entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data)
    return buffer.getvalue()


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
