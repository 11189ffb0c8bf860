"""Plain text of a generated document, for `git diff` (git's textconv): stable, in reading order."""

from __future__ import annotations

import os
import zipfile

from docgen.problems import DocgenError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_text(element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == W + "t" and node.text:
            parts.append(node.text)
        elif node.tag in (W + "br", W + "cr"):
            parts.append("\n")
        elif node.tag == W + "tab":
            parts.append("\t")
    return "".join(parts)


def docx_text(path: str) -> str:
    from lxml import etree

    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    body = root.find(W + "body")
    lines = []
    for child in body:
        if child.tag == W + "p":
            lines.append(_paragraph_text(child))
        elif child.tag == W + "tbl":
            lines.append("┌ 表格")
            for row in child.iter(W + "tr"):
                cells = [" / ".join(_paragraph_text(p) for p in tc.iter(W + "p")).replace("\n", " ")
                         for tc in row.iter(W + "tc")]
                lines.append("│ " + " | ".join(cells))
            lines.append("└")
    return "\n".join(lines).rstrip() + "\n"


def xlsx_text(path: str) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    lines = []
    for ws in wb.worksheets:
        lines.append(f"== 工作表：{ws.title} ==")
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            values = ["" if v is None else str(v).replace("\n", " ") for v in row]
            while values and values[-1] == "":
                values.pop()
            if values:
                lines.append(f"{number}: " + " | ".join(values))
    wb.close()
    return "\n".join(lines) + "\n"


def textconv(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix == ".docx":
            return docx_text(path)
        if suffix == ".xlsx":
            return xlsx_text(path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocgenError(f"{path} 不是有效的 {suffix[1:]} 文件：{exc}") from None
    raise DocgenError(f"只能显示 .docx 和 .xlsx 文件的文字：{path}")


def textconv_for_git(path: str) -> str:
    """`textconv`, or one line saying why not: git aborts `diff` and `log -p` for good when a
    textconv command fails, so a lock file (~$x.docx) or a damaged document must not fail."""
    try:
        return textconv(path)
    except DocgenError as exc:
        return f"（docgen 无法显示此文件的文字：{_one_line(str(exc))}）\n"
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, git must go on
        return f"（docgen 无法显示此文件的文字：{type(exc).__name__}: {_one_line(str(exc))}）\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
