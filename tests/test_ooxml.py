"""Every template and every document docgen writes passes an OOXML schema validator.

Word is stricter than LibreOffice about element order (`<w:color/>` before `<w:sz/>`,
`<w:ind/>` before `<w:jc/>`, `<w:tblBorders/>` before `<w:tblLook/>` …); openxml-audit
checks the parts against the schemas the Open XML SDK uses.
"""

import pytest

from conftest import ROOT, run_docgen

openxml_audit = pytest.importorskip("openxml_audit")


def schema_errors(path) -> list[str]:
    result = openxml_audit.OpenXmlValidator(max_errors=50).validate(str(path))
    return [f"{e.part_uri}{e.path}: {e.description}" for e in result.errors
            if e.severity == openxml_audit.ValidationSeverity.ERROR]


def test_templates_are_valid():
    templates = sorted((ROOT / "templates").glob("*.*x"))
    assert len(templates) == 9
    for path in templates:
        assert schema_errors(path) == [], path.name


def test_every_output_of_the_example_archive_is_valid(archive):
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stderr
    outputs = sorted((archive / "output").rglob("*.*x"))
    assert {p.suffix for p in outputs} == {".docx", ".xlsx"} and len(outputs) >= 29
    for path in outputs:
        assert schema_errors(path) == [], path.name


def test_the_validator_finds_misordered_elements(tmp_path):
    """The check can fail: a run property out of schema order is reported."""
    import zipfile

    source = ROOT / "templates" / "00_通知.docx"
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                head, sep, tail = data.partition(b"<w:rPr>")
                data = head + sep + b'<w:sz w:val="20"/><w:color w:val="C00000"/>' + tail
            dst.writestr(info, data)
    assert any("color" in error for error in schema_errors(broken))
