"""Benchmark `docgen build` (issue 3): cold build of a 300-inspection plan, and per-document
rendering compared side by side with a plain docxtpl `render()+save()` loop on the same template.

Run: python benchmarks/bench_build.py
"""

from __future__ import annotations

import io
import os
import pathlib
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from docxtpl import DocxTemplate  # noqa: E402

from docgen.records.archive import Archive  # noqa: E402
from docgen.documents.build import Renderer, build  # noqa: E402
from docgen.records.check import check_archive  # noqa: E402
from docgen.documents.outputs import plan_outputs  # noqa: E402
from docgen.documents.render_docx import make_env  # noqa: E402
from synthetic import PLAN, make_archive  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        records = make_archive(root, entities=1000, inspections=300)
        archive = Archive(str(records))
        started, cpu = time.perf_counter(), time.process_time()
        report = build(archive, str(root / "output"))
        cold, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert not report.has_errors, report.problems[:3]
        print(f"cold build, 300 inspections / 1000 entities: {cold:.2f} s ({cpu:.2f} s CPU), "
              f"{len(report.written)} files")

        checked = check_archive(archive)
        outputs = [o for o in plan_outputs(checked, PLAN).outputs if o.template == "04_实地核查记录表.docx"][:100]
        renderer = Renderer(archive.templates_dir)
        renderer.render(outputs[0])  # prepare the template once, as a build does
        template_path = renderer.path("04_实地核查记录表.docx")

        def ours() -> float:
            started = time.perf_counter()
            for output in outputs:
                renderer.render(output)
            return (time.perf_counter() - started) / len(outputs)

        def plain() -> float:
            started = time.perf_counter()
            for output in outputs:
                tpl = DocxTemplate(template_path)
                tpl.render(output.context, make_env(), autoescape=True)
                tpl.save(io.BytesIO())
            return (time.perf_counter() - started) / len(outputs)

        rounds = [(ours(), plain()) for _ in range(3)]
        mine = statistics.median(r[0] for r in rounds)
        theirs = statistics.median(r[1] for r in rounds)
        print("per document (04 实地核查记录表, 100 documents, median of 3 rounds):")
        print(f"  docgen renderer         {mine * 1000:7.2f} ms")
        print(f"  docxtpl render()+save() {theirs * 1000:7.2f} ms")
        print(f"  speed-up                {theirs / mine:7.1f}x")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
