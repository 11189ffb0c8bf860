"""Plain text of a generated document, for `git diff` (git's textconv): stable, in reading order."""

from __future__ import annotations

import os
import zipfile

from docgen.records.problems import DocgenError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DamagedDocument(DocgenError):
    """A .docx / .xlsx that cannot be read as one: not a zip, cut short, a part missing, bad XML.
    The clerk's file, not docgen, is at fault (exit 2, never "program bug")."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path} 已损坏，或不是有效的 {os.path.splitext(path)[1].lstrip('.').lower()} 文件：{reason}")
        self.path, self.reason = path, reason


def _reason(exc: BaseException, path: str) -> str:
    """Why a document could not be read, in the clerk's words."""
    import re
    import zlib

    cut_short = "压缩包不完整或已损坏（可能复制、下载时中断），请重新生成或重新复制"
    if isinstance(exc, zipfile.BadZipFile):
        try:
            with open(path, "rb") as handle:
                starts_as_zip = handle.read(4) == b"PK\x03\x04"
        except OSError:
            starts_as_zip = False
        if starts_as_zip or "File is not a zip file" not in str(exc):
            return cut_short
        return "它不是 zip 压缩包（Word 和 Excel 文件实际上都是 zip 压缩包），可能是改了扩展名的其他文件"
    if isinstance(exc, (EOFError, zlib.error)):
        return cut_short
    if isinstance(exc, TooLarge):
        return f"其中的部件解压后超过 {MAX_PART >> 20} MB，不像 docgen 生成的文书（可能是恶意构造的压缩包），没有读取"
    if isinstance(exc, KeyError):
        named = re.search(r"'([^']+)'", str(exc.args[0])) if exc.args else None
        return f"缺少其中的部件 {named.group(1) if named else (exc.args[0] if exc.args else '')}".rstrip()
    if type(exc).__name__ in ("XMLSyntaxError", "ParseError") and hasattr(exc, "lineno"):
        return f"其中的 XML 无法解析（第 {exc.lineno} 行）" if exc.lineno else "其中的 XML 无法解析"
    return f"无法读取其内容（{type(exc).__name__}）"


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


MAX_PART = 512 << 20  # a part docgen wrote: a print set's volume of 1,000 documents is about 100 MB


class TooLarge(Exception):
    """A part that unpacks to more than MAX_PART (a zip bomb in a received repository's history)."""


def _sized(archive: zipfile.ZipFile, name: str) -> bytes:
    if archive.getinfo(name).file_size > MAX_PART:
        raise TooLarge(name)
    return archive.read(name)


def docx_text(path: str) -> str:
    from lxml import etree

    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(_sized(archive, "word/document.xml"))
    body = root.find(W + "body")
    if body is None:
        raise KeyError("word/document.xml 中的正文（w:body）")
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


def excel_text(value: str) -> str:
    """A cell's text as Excel shows it: docgen writes a literal `_xHHHH_` as `_x005F_xHHHH_`, which
    openpyxl does not decode in inline strings."""
    import re

    return re.sub(r"_x005F(?=_x[0-9A-Fa-f]{4}_)", "", value)


def xlsx_text(path: str) -> str:
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_PART:
            raise TooLarge("xl/")
    wb = load_workbook(path, read_only=True, data_only=True)
    lines = []
    for ws in wb.worksheets:
        lines.append(f"== 工作表：{ws.title} ==")
        # the rows as they are in the file, not padded to the extent its <dimension> claims (a sheet
        # claiming A1:XFD1048576 would be 17 billion empty cells: `git diff` hanging on a 5 KB file)
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        for number, row in enumerate(ws.iter_rows(values_only=True), 1):
            values = ["" if v is None else excel_text(str(v)).replace("\n", " ") for v in row]
            while values and values[-1] == "":
                values.pop()
            if values:
                lines.append(f"{number}: " + " | ".join(values))
    wb.close()
    return "\n".join(lines) + "\n"


def textconv(path: str) -> str:
    """The text of a .docx or .xlsx; a damaged one raises `DamagedDocument`."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".docx", ".xlsx"):
        raise DocgenError(f"只能显示 .docx 和 .xlsx 文件的文字：{path}")
    try:
        return docx_text(path) if suffix == ".docx" else xlsx_text(path)
    except OSError as exc:
        if exc.filename:  # the file could not be opened: the machine's problem (permissions, disk)
            raise
        raise DamagedDocument(path, _reason(exc, path)) from None  # a seek past the end of a cut-short zip
    except Exception as exc:  # whatever a damaged zip or XML makes zipfile, lxml or openpyxl raise
        raise DamagedDocument(path, _reason(exc, path)) from None


def textconv_for_git(path: str) -> str:
    """`textconv`, or one line saying why not: git aborts `diff` and `log -p` for good when a
    textconv command fails, so a lock file (~$x.docx) or a damaged document must not fail."""
    try:
        return textconv(path)
    except DocgenError as exc:
        return f"（docgen 无法显示此文件的文字：{_one_line(str(exc), path)}）\n"
    except OSError as exc:  # the file cannot be opened: said as the system says it, in the clerk's words
        from docgen.records.problems import os_error_text

        return f"（docgen 无法显示此文件的文字：{_one_line(os_error_text(exc)[0], path)}）\n"
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, git must go on
        return f"（docgen 无法显示此文件的文字：{type(exc).__name__}: {_one_line(str(exc), path)}）\n"


def _one_line(text: str, path: str) -> str:
    """The note on one line, the file named as 此文件: git hands textconv a temporary copy
    (/tmp/git-blob-…), whose name would mislead the reader and vary in git's textconv cache."""
    for name in sorted({path, os.path.abspath(path)}, key=len, reverse=True):
        text = text.replace(name, "此文件")
    return " ".join(text.split())
