"""Benchmark incremental builds and `docgen watch` (issue 4) on a synthetic 300-inspection /
1,000-entity archive: cold build, no-op build, one-record edit, and save-to-document latency
in watch mode. Whole commands are timed, Python start-up included; docgen's own figure (the
time it reports) is shown beside it.

Run: python benchmarks/bench_incremental.py
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from synthetic import PLAN, make_archive  # noqa: E402

DOCGEN = [sys.executable, "-m", "docgen"]


def timed(args, cwd) -> tuple[float, float, str]:
    started = time.perf_counter()
    result = subprocess.run(DOCGEN + args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    reported = re.search(r"([0-9.]+) 秒）", result.stdout)
    return wall, float(reported.group(1)) if reported else float("nan"), result.stdout.strip().splitlines()[-1]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        make_archive(root, entities=1000, inspections=300)
        interpreter = min(timed_python() for _ in range(3))
        cold = timed(["build"], root)
        noop = [timed(["build"], root) for _ in range(5)]
        target = root / "records/inspections" / PLAN / "b-00007.yaml"
        edits = []
        for n in range(5):
            text = target.read_text(encoding="utf-8")
            target.write_text(text.replace("handling: 无", f"handling: 无（第{n}次）", 1), encoding="utf-8")
            edits.append(timed(["build"], root))
        doc = root / "output" / PLAN / "04_实地核查记录表_基准测试第7号培训学校（示例）.docx"
        latencies = watch_latency(root, target, doc)

        def row(label, runs):
            walls = [r[0] for r in runs]
            own = [r[1] for r in runs]
            print(f"  {label:<34} {statistics.median(walls):6.2f} s   {statistics.median(own):6.2f} s")

        print("300 inspections / 1,000 entities           whole command   docgen's own")
        row("cold build", [cold])
        row("no-op build (median of 5)", noop)
        row("one-record edit, docgen build (median of 5)", edits)
        print(f"  {'save-to-document in watch mode (median of 5)':<34} {statistics.median(latencies):6.2f} s")
        print(f"  (python start-up alone on this machine: {interpreter:.2f} s)")
        print(f"  last no-op output: {noop[-1][2]}")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")


def timed_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"])
    return time.perf_counter() - started


def watch_latency(root: pathlib.Path, target: pathlib.Path, doc: pathlib.Path) -> list[float]:
    proc = subprocess.Popen(DOCGEN + ["watch"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            if "正在监视" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    ready.wait(60)
    latencies = []
    try:
        for n in range(5):
            time.sleep(0.5)
            before = hashlib.sha256(doc.read_bytes()).digest()
            text = target.read_text(encoding="utf-8")
            started = time.perf_counter()
            target.write_text(text.replace("finding: 未发现问题", f"finding: 未发现问题{n}", 1), encoding="utf-8")
            while time.perf_counter() - started < 10:
                try:
                    if hashlib.sha256(doc.read_bytes()).digest() != before:
                        break
                except OSError:
                    pass
                time.sleep(0.01)
            latencies.append(time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait()
    return latencies


if __name__ == "__main__":
    main()
