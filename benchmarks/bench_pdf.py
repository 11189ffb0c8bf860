"""Benchmark `docgen build --pdf` (issue 12): every document of the 300-inspection synthetic archive
converted to PDF, timed, next to one plain `soffice --headless --convert-to pdf` call over the same
files in the same run (which LibreOffice 7.4 gives up part-way through: its count is printed too).

The timed `docgen build --pdf` renders the documents (a few seconds) and converts them: print sets in
pieces on every core, the packets' parts cut from their packets (docgen/documents/pdfsets.py).
Other work on the machine stretches wall-clock time: the load average is printed before and after.

Run: python benchmarks/bench_pdf.py   (needs LibreOffice and the fonts named in the README)
"""

from __future__ import annotations

import os
import pathlib
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from synthetic import make_archive  # noqa: E402

from docgen.documents.pdf import soffice_path  # noqa: E402


def main() -> None:
    office = soffice_path()
    if office is None:
        sys.exit("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        make_archive(root, entities=1000, inspections=300)
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
        started, cpu = time.perf_counter(), _children_cpu()
        result = subprocess.run([sys.executable, "-m", "docgen", "build", "--pdf"], cwd=root,
                                capture_output=True, text=True)
        ours, ours_cpu = time.perf_counter() - started, _children_cpu() - cpu
        documents = sorted(p for p in (root / "output").rglob("*") if p.suffix in (".docx", ".xlsx"))
        pdfs = [p for p in documents if p.with_suffix(".pdf").is_file()]
        print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:])
        print(f"docgen build --pdf: {ours:.1f} s ({ours_cpu:.1f} s of CPU), {len(pdfs)} of {len(documents)} "
              f"PDFs written, exit {result.returncode}")

        plain_out = root / "plain"
        plain_out.mkdir()
        names = {p.stem for p in documents}  # the plan folders share 00_通知 and 01_实施方案
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([office, f"-env:UserInstallation=file://{root / 'plain-profile'}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(plain_out), *map(str, documents)],
                       capture_output=True)
        plain, plain_cpu = time.perf_counter() - started, _children_cpu() - cpu
        made = len(list(plain_out.glob("*.pdf")))
        print(f"one plain soffice call: {plain:.1f} s ({plain_cpu:.1f} s of CPU), {made} of {len(names)} "
              "distinct PDFs written")
        print(f"ratio docgen / plain call: {ours / plain:.2f} "
              f"(per PDF written: {ours / max(len(pdfs), 1) * 1000:.0f} ms against "
              f"{plain / max(made, 1) * 1000:.0f} ms)")
        print(f"machine: {os.cpu_count()} cores, load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
              f"{shutil.which('soffice')}")


def _children_cpu() -> float:
    """CPU seconds of finished child processes (LibreOffice included): a figure that a busy machine
    stretches less than wall-clock time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
