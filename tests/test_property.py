"""Issue 11: record text from every Unicode category, through validate and build.

Each example writes text drawn from every general category (controls, format characters,
surrogates, private use, unassigned, separators, marks, symbols, CJK...) into an entity's name,
address and legal representative and into an inspection finding of a copy of the example archive,
then checks and builds in-process. Property: every document written opens (a zip whose XML parts
all parse), and either the record was rejected with a Chinese message at path:line:column on the
field's line, or the documents carry the text verbatim. A record is rejected exactly when it holds
what `docgen.records.textcheck` refuses, so both halves are exercised.
"""

import os
import pathlib
import re
import shutil
import zipfile

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import EXAMPLE
from docgen.records import textcheck
from docgen.records.archive import Archive
from docgen.documents.build import build
from docgen.records.check import check_archive

PLAN = "qa-2023-30"
ENTITY = pathlib.Path("records/entities/org-002.yaml")
INSPECTION = pathlib.Path(f"records/inspections/{PLAN}/org-002.yaml")
# (file, the line's text before the value, key as written, is a name)
FIELDS = {
    "name": (ENTITY, "name: ", "name: ", True),
    "address": (ENTITY, "address: ", "address: ", False),
    "legal_rep": (ENTITY, "legal_rep: ", "legal_rep: ", True),
    "finding": (INSPECTION, "      finding: 二楼疏散通道", "      finding: ", False),  # in xfjy's own part
}
CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
              "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
CJK = re.compile(r"[\u4e00-\u9fff]")

any_char = st.one_of(
    st.sampled_from(CATEGORIES).flatmap(lambda category: st.characters(categories=[category])),
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK, what records mostly hold
    st.sampled_from(" \t\n:#'\"\\{}[]%&*!|>-_x0@`,"),  # what YAML, Jinja and OOXML treat specially
)


def _tagged(tag: str):
    """Text with a tag at its start or end, so that its place in a document can be told apart from
    text that happens to be there anyway; whitespace at either end of the drawn text stays at an end."""
    text = st.text(any_char, min_size=1, max_size=12)
    return st.tuples(text, st.booleans()).map(lambda pair: tag + pair[0] if pair[1] else pair[0] + tag)


def refused(value: str, is_name: bool) -> bool:
    return bool(textcheck.CONTROL_RE.search(value) or (is_name and re.search(f"[{textcheck.BIDI}]", value)))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("property")
    shutil.copytree(EXAMPLE, root / "records")
    originals = {path: (root / path).read_text(encoding="utf-8") for path in (ENTITY, INSPECTION)}
    build(Archive(str(root / "records")), str(root / "output"), [PLAN])  # later builds only rewrite what changed
    return root, originals


def quoted(value: str) -> str:
    """`value` as one YAML double-quoted scalar on one line, as PyYAML writes it."""
    dumped = yaml.safe_dump(value, allow_unicode=True, default_style='"', width=1 << 30)
    return dumped.split("\n")[0]


def write_fields(root: pathlib.Path, originals: dict, values: dict) -> dict:
    """Put each value in its field; returns field -> (file, line, first and last column of the value)."""
    texts = dict(originals)
    where = {}
    for field, value in values.items():
        path, prefix, key, _name = FIELDS[field]
        lines = texts[path].split("\n")
        number = next(i for i, line in enumerate(lines) if line.startswith(prefix))
        lines[number] = key + quoted(value)
        texts[path] = "\n".join(lines)
        where[field] = (path, number + 1, len(key) + 1, len(lines[number]))
    for path, text in texts.items():
        (root / path).write_bytes(text.encode("utf-8"))
    return where


def docx_paragraphs(xml: bytes) -> str:
    """The text of a Word part as Word shows it: runs joined, breaks and tabs kept, whitespace at the
    ends of a w:t dropped unless it is marked to be preserved."""
    root = etree.fromstring(xml)
    paragraphs = []
    for paragraph in root.iter(W + "p"):
        parts = []
        for node in paragraph.iter(W + "t", W + "br", W + "cr", W + "tab"):
            if node.tag == W + "t":
                text = node.text or ""
                parts.append(text if node.get(XML_SPACE) == "preserve" else text.strip(" \t\r\n"))
            else:
                parts.append("\t" if node.tag == W + "tab" else "\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def xlsx_cells(package: zipfile.ZipFile) -> list[str]:
    """Every cell's text, inline strings and shared strings alike."""
    def text_of(element) -> str:
        return "".join(t.text or "" for t in element.iter(S + "t")
                       if not any(a.tag == S + "rPh" for a in t.iterancestors()))

    shared = []
    if "xl/sharedStrings.xml" in package.namelist():
        shared = [text_of(si) for si in etree.fromstring(package.read("xl/sharedStrings.xml")).iter(S + "si")]
    cells = []
    for name in package.namelist():
        if re.match(r"xl/worksheets/sheet\d+\.xml$", name):
            for cell in etree.fromstring(package.read(name)).iter(S + "c"):
                if cell.get("t") == "inlineStr":
                    cells.append(text_of(cell))
                elif cell.get("t") == "s":
                    cells.append(shared[int(cell.findtext(S + "v"))])
                else:
                    cells.append(cell.findtext(S + "v") or "")
    return cells


def document_texts(path: pathlib.Path) -> list[str]:
    """Opens a document as Word or Excel would need to: a zip whose every XML part parses."""
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None, path
        for name in package.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(package.read(name))  # raises on anything that is not well-formed XML
        if path.suffix == ".docx":
            return [docx_paragraphs(package.read(name)) for name in package.namelist()
                    if re.match(r"word/(document|header\d*|footer\d*)\.xml$", name)]
        return xlsx_cells(package)


@settings(max_examples=24, derandomize=True, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(clean=st.integers(0, 3).map(bool), name=_tagged("名甲"), address=_tagged("址乙"), legal_rep=_tagged("代丙"),
       finding=_tagged("查丁"))
def test_any_text_is_rejected_at_its_place_or_printed_verbatim(workspace, clean, name, address, legal_rep, finding):
    root, originals = workspace
    values = {"name": name, "address": address, "legal_rep": legal_rep, "finding": finding}
    if clean:  # most examples hold only what must be accepted, so that the verbatim half is exercised
        values = {field: "".join(c for c in value if not refused(c, FIELDS[field][3])) or "净"
                  for field, value in values.items()}
    where = write_fields(root, originals, values)
    archive = Archive(str(root / "records"))
    checked = check_archive(archive, use_cache=False, save_cache=False)
    report = build(archive, str(root / "output"), [PLAN], checked=checked)

    for written in report.written:  # every document this build wrote opens
        if written.endswith((".docx", ".xlsx")):
            document_texts(pathlib.Path(written) if os.path.isabs(written) else root / "output" / written)

    errors = {}
    for problem in checked.errors:
        errors.setdefault(os.path.abspath(problem.path), []).append(problem)
    texts = None
    for field, value in values.items():
        path, line, first, last = where[field]
        mine = errors.get(os.path.abspath(root / path), [])
        if refused(value, FIELDS[field][3]):
            on_line = [p for p in mine if p.line == line and first <= p.column <= last]
            assert on_line, (field, value, [str(p) for p in mine])
            assert all(CJK.search(p.message) for p in on_line)
            continue
        assert not [p for p in mine if p.line == line], (field, value, [str(p) for p in mine])
        if errors:  # another field was refused: the documents of this entity are not written
            continue
        if texts is None:
            texts = [text for document in sorted((root / "output" / PLAN).iterdir())
                     if document.suffix in (".docx", ".xlsx") for text in document_texts(document)]
        assert any(value in text for text in texts), (field, value)
