"""Regenerate docs/previews/*.png: the first page of each kind of document the example archive yields.

The README shows them so that a clerk sees what prints before installing anything. The example
archive (records/) is built into a temporary folder, one document of each kind is converted to
PDF through docgen's own pipeline (LibreOffice with the fonts docgen maps, docgen/documents/pdf.py), and
its first page becomes a small PNG (poppler's pdftoppm, then ImageMagick's palette reduction).

Needs: LibreOffice, poppler-utils (pdftoppm), ImageMagick (convert, montage); run after changing a template:
    python scripts/make_previews.py
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEST = ROOT / "docs" / "previews"
PLAN = "qa-2023-30"
LONG_SIDE = 600   # pixels, the page's longer side
MAX_BYTES = 60_000

# (picture, file name prefix in the plan's output folder): the first file of each kind
KINDS = [
    ("00-notice", "00_通知"), ("00-print-set", "00_全套文书（打印）"), ("01-scheme", "01_实施方案"),
    ("02-notice-letter", "02_告知书_"), ("03-follow-up-ledger", "03_"), ("04-onsite-record", "04_实地核查记录表_"),
    ("05-phone-notice", "05_"), ("06-groups", "06_"), ("07-public-results", "07_"), ("08-statistics", "08_"),
    ("09-group-packet", "09_"),
]


def first_of(folder: pathlib.Path, prefix: str) -> pathlib.Path:
    found = sorted(p for p in folder.iterdir() if p.name.startswith(prefix) and p.suffix in (".docx", ".xlsx"))
    if not found:
        sys.exit(f"no {prefix}* in {folder}")
    return found[0]


SET_PAGES = 6  # a print set's picture: its first pages side by side (its first page is the notice's)


def png(pdf: pathlib.Path, target: pathlib.Path, pages: int = 1) -> None:
    """The PDF's first page (or pages, side by side), LONG_SIDE pixels high or wide, small palette."""
    stem = pdf.with_suffix("")
    if pages == 1:
        subprocess.run(["pdftoppm", "-png", "-f", "1", "-l", "1", "-singlefile", "-scale-to", str(LONG_SIDE),
                        str(pdf), str(stem)], check=True)
    else:
        subprocess.run(["pdftoppm", "-png", "-f", "1", "-l", str(pages), "-scale-to", str(LONG_SIDE // 2),
                        str(pdf), str(stem)], check=True)
        shown = sorted(pdf.parent.glob(f"{stem.name}-*.png"))
        subprocess.run(["montage", *map(str, shown), "-tile", f"{pages}x1", "-geometry", "+3+3",
                        "-background", "#999999", f"{stem}.png"], check=True)
    for colors in (64, 32, 16):
        subprocess.run(["convert", f"{stem}.png", "-strip", "-colors", str(colors), "-define",
                        "png:compression-level=9", str(target)], check=True)
        if target.stat().st_size <= MAX_BYTES:
            return
    print(f"warning: {target.name} is {target.stat().st_size} bytes", file=sys.stderr)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from docgen.documents.pdf import convert, soffice_path

    office = soffice_path()
    missing = [tool for tool in ("pdftoppm", "convert", "montage") if shutil.which(tool) is None]
    if office is None or missing:
        sys.exit("needs LibreOffice, pdftoppm (poppler-utils) and convert (imagemagick)")
    with tempfile.TemporaryDirectory(prefix="docgen-previews-") as tmp:
        work = pathlib.Path(tmp)
        shutil.copytree(ROOT / "records", work / "records")
        subprocess.run([sys.executable, "-m", "docgen", "build", "--out", str(work / "output")], cwd=work,
                       check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        folder = work / "output" / PLAN
        sources = {name: first_of(folder, prefix) for name, prefix in KINDS}
        result = convert([str(p) for p in sources.values()], office)
        if result.failed:
            sys.exit(f"not converted: {result.failed}")
        DEST.mkdir(parents=True, exist_ok=True)
        for name, source in sources.items():
            pdf = work / f"{name}.pdf"
            pdf.write_bytes(result.pdfs[str(source)])
            png(pdf, DEST / f"{name}.png", SET_PAGES if "全套" in source.name or source.name.startswith("09_") else 1)
            print(f"{name}.png  {(DEST / f'{name}.png').stat().st_size:>6} bytes  ← {source.name}")


if __name__ == "__main__":
    main()
