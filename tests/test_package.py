"""The stored-zip writer (issue 16): the bytes zipfile writes for the same entries, a template's
constant entries zipped once, and the reader print sets use for the parts they join."""

import io
import zipfile

import pytest

from conftest import build_example
from docgen.documents.package import Stored, read_package, stored_entries, write_package


def zipfile_package(entries):
    """What docgen wrote before: zipfile, stored, fixed time and attributes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = build_example(tmp_path_factory, "package") / "output"
    return sorted(p for p in out.rglob("*") if p.suffix in (".docx", ".xlsx"))


def test_written_packages_are_zipfiles_bytes(outputs):
    assert len(outputs) > 20
    for path in outputs:
        blob = path.read_bytes()
        entries = read_package(blob)
        assert write_package(entries) == zipfile_package(entries) == blob, path.name
        # constant entries made once, and a body in pieces, join to the same bytes
        mixed = [Stored(name, [data[:7], data[7:]]) if n % 2 else (name, data) for n, (name, data) in enumerate(entries)]
        assert write_package(mixed) == blob
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None


def test_stored_entries_read_what_zipfile_reads(outputs):
    for path in outputs:
        blob = path.read_bytes()
        found = stored_entries(blob)
        assert {name: bytes(view) for name, view in found.items()} == dict(read_package(blob))
        assert list(found) == [name for name, _ in read_package(blob)]


def test_other_zips_are_left_to_zipfile():
    entries = [("word/document.xml", b"<w:document/>" * 50), ("docProps/app.xml", b"")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    assert stored_entries(buffer.getvalue()) is None  # compressed: not ours
    assert stored_entries(b"not a zip at all") is None
    assert stored_entries(zipfile_package(entries) + b"x") is None
    # names beyond ASCII (UTF-8 flag): written as zipfile writes them
    odd = [("media/图片.png", b"\x89PNG"), ("a.xml", b"<a/>")]
    assert write_package(odd) == zipfile_package(odd)
    assert write_package([]) == zipfile_package([])
