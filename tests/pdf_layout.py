"""Where things print: text lines and ruled lines of a PDF page, in millimetres from the page's
top-left corner (tests of GB/T 9704 geometry read the PDF LibreOffice makes, not the .docx)."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
from typing import NamedTuple

MM = 25.4 / 72
ASCENT, DESCENT = 0.88, 0.12  # the ideographic em box around the baseline, in ems


class Line(NamedTuple):
    page: int        # 1-based
    baseline: float  # mm from the top of the page
    left: float      # mm from the left edge
    size: float      # font size in mm
    text: str

    @property
    def top(self) -> float:
        """Top edge of the characters (the em box a Chinese character fills)."""
        return self.baseline - ASCENT * self.size

    @property
    def bottom(self) -> float:
        return self.baseline + DESCENT * self.size


class Rule(NamedTuple):
    page: int
    y: float         # mm from the top of the page
    left: float
    right: float
    color: tuple     # stroke colour (r, g, b), 0..1
    width: float     # line width in mm


def to_pdf(documents: list[pathlib.Path], folder: pathlib.Path) -> list[pathlib.Path]:
    """Convert with LibreOffice in one call and its own profile (a running LibreOffice is left alone)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    profile = folder / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *map(str, documents)], capture_output=True, timeout=600,
                   check=False, env={**os.environ, "HOME": str(folder)})
    pdfs = [folder / (d.stem + ".pdf") for d in documents]
    for pdf in pdfs:
        assert pdf.exists(), f"LibreOffice did not convert {pdf.stem}"
    return pdfs


def _multiply(a, b):
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def lines(pdf: pathlib.Path) -> list[Line]:
    """Text grouped into printed lines: fragments on one baseline (within 0.5 mm), left to right."""
    from pypdf import PdfReader

    found = []
    for number, page in enumerate(PdfReader(str(pdf)).pages, 1):
        height = float(page.mediabox.height)
        pieces = []

        def visit(text, cm, tm, font, size, pieces=pieces, height=height):
            if text.strip():
                m = _multiply(tm, cm)
                pieces.append(((height - m[5]) * MM, m[4] * MM, abs(size * m[3]) * MM, text))

        page.extract_text(visitor_text=visit)
        rows: list[list] = []
        for piece in sorted(pieces):
            if rows and abs(rows[-1][0][0] - piece[0]) < 0.5:
                rows[-1].append(piece)
            else:
                rows.append([piece])
        for row in rows:
            row.sort(key=lambda p: p[1])
            found.append(Line(number, row[0][0], row[0][1], max(p[2] for p in row),
                              "".join(p[3] for p in row).replace(" ", "")))
    return found


def rules(pdf: pathlib.Path) -> list[Rule]:
    """Horizontal stroked lines (paragraph borders, separators) with their colour."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(str(pdf))
    found = []
    for number, page in enumerate(reader.pages, 1):
        height = float(page.mediabox.height)
        state = {"cm": [1, 0, 0, 1, 0, 0], "color": (0, 0, 0), "width": 1.0}
        stack, start = [], None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"q":
                stack.append(dict(state))
            elif op == b"Q" and stack:
                state = stack.pop()
            elif op == b"cm":
                state["cm"] = _multiply([float(v) for v in operands], state["cm"])
            elif op == b"RG":
                state["color"] = tuple(float(v) for v in operands)
            elif op == b"w":
                state["width"] = float(operands[0])
            elif op in (b"m", b"l"):
                c = state["cm"]
                x, y = float(operands[0]), float(operands[1])
                point = (x * c[0] + y * c[2] + c[4], x * c[1] + y * c[3] + c[5])
                if op == b"l" and start and abs(point[1] - start[1]) < 0.1 and abs(point[0] - start[0]) > 1:
                    found.append(Rule(number, (height - point[1]) * MM, min(point[0], start[0]) * MM,
                                      max(point[0], start[0]) * MM, state["color"],
                                      state["width"] * abs(c[3] or 1) * MM))
                start = point
    return found


def text_fonts(pdf: pathlib.Path) -> list[tuple[str, str]]:
    """(text shown, base font name) for every text fragment of the PDF."""
    from pypdf import PdfReader

    found = []
    for page in PdfReader(str(pdf)).pages:
        def visit(text, cm, tm, font, size):
            if text.strip() and font:
                found.append((text, str(font.get("/BaseFont", ""))))

        page.extract_text(visitor_text=visit)
    return found
