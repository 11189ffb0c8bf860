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
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from synthetic import PLAN, make_archive  # noqa: E402

DOCGEN = [sys.executable, "-m", "docgen"]


def timed(args, cwd) -> tuple[float, float, str, float]:
    """Wall time, docgen's own figure, its last line, and the CPU time (user + system) of the whole
    command: on a machine shared with other work the CPU time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(DOCGEN + args, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    reported = re.search(r"([0-9.]+) 秒）", result.stdout)
    return wall, float(reported.group(1)) if reported else float("nan"), result.stdout.strip().splitlines()[-1], cpu


def sha(path: pathlib.Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        make_archive(root, entities=1000, inspections=300)
        interpreter = min(timed_python() for _ in range(3))
        cold = timed(["build"], root)
        noop = [timed(["build"], root) for _ in range(5)]
        target = root / "records/inspections" / PLAN / "b-00007.yaml"
        out = root / "output" / PLAN
        record_doc = out / "04_实地核查记录表_基准测试第7号培训学校（示例）.docx"
        public = out / "07_公示表.xlsx"
        own_edits, table_edits = [], []
        for n in range(5):
            # a finding's handling: printed on the entity's own record form only
            text = target.read_text(encoding="utf-8")
            target.write_text(text.replace("handling: 无", f"handling: 无（第{n}次）", 1), encoding="utf-8")
            own_edits.append(timed(["build"], root))
            # the result: also in the 公示表 and the statistics, so plan tables are rendered again
            before = sha(public)
            toggle(target)
            table_edits.append(timed(["build"], root))
            assert sha(public) != before, "the result edit must reach the 公示表"
        latencies = watch_latency(root, target, record_doc, public)

        def row(label, runs):
            walls = sorted(r[0] for r in runs)
            own = [r[1] for r in runs]
            cpus = sorted(r[3] for r in runs)
            spread = f"({walls[0]:.2f}–{walls[-1]:.2f})" if len(walls) > 1 else ""
            cpu_spread = f"({cpus[0]:.2f}–{cpus[-1]:.2f})" if len(cpus) > 1 else ""
            print(f"  {label:<46} {statistics.median(walls):5.2f} s {spread:<12} {statistics.median(own):5.2f} s   "
                  f"{statistics.median(cpus):5.2f} s {cpu_spread}")

        print("300 inspections / 1,000 entities               whole command, median (range)   docgen's own   "
              "CPU, whole command")
        row("cold build", [cold])
        row("no-op build (5 runs)", noop)
        row("edit reaching the entity's documents (5 runs)", own_edits)
        row("edit reaching the plan tables too (5 runs)", table_edits)
        for label, values in latencies.items():
            if values:
                print(f"  {'save-to-document in watch mode, ' + label:<46} {statistics.median(values):5.2f} s "
                      f"({min(values):.2f}–{max(values):.2f})")
        print(f"  (python start-up alone on this machine: {interpreter:.2f} s)")
        print(f"  last no-op output: {noop[-1][2]}")
        print(f"  last table edit output: {table_edits[-1][2]}")
        print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")


RESULTS = ("发现问题已责令改正", "发现问题待后续处理")  # both valid for a record with follow-ups


def toggle(target: pathlib.Path) -> None:
    text = target.read_text(encoding="utf-8")
    now = next(r for r in RESULTS if f"- {r}\n" in text)  # a department's results list
    other = RESULTS[1 - RESULTS.index(now)]
    target.write_text(text.replace(f"- {now}\n", f"- {other}\n", 1), encoding="utf-8")


def timed_python() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"])
    return time.perf_counter() - started


def watch_latency(root: pathlib.Path, target: pathlib.Path, record_doc: pathlib.Path,
                  public: pathlib.Path, env: dict | None = None, repeat: int = 5) -> dict[str, list[float]]:
    """Save-to-document latency in watch mode. Each change is a valid edit (an invalid record keeps its
    last documents, and the wait would only end at the cap), made once the watcher has finished its
    previous rebuild; the watcher's report of each rebuild is checked, so that a rebuild that failed or
    changed nothing stops the benchmark with the watcher's own words instead of timing out."""
    proc = subprocess.Popen(DOCGEN + ["watch"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"})
    ready = threading.Event()
    reports: list[str] = []  # the watcher's "… → …" line for each rebuild
    lines: list[str] = []

    def read():
        for line in proc.stdout:
            lines.append(line.rstrip())
            if "正在监视" in line:
                ready.set()
            elif " → " in line:
                reports.append(line.rstrip())

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(600):  # (a county's roster: the first build checks it whole when nothing is cached)
        proc.terminate()
        raise SystemExit("docgen watch did not start:\n" + "\n".join(lines[-20:]))
    latencies: dict[str, list[float]] = {"entity's documents": [], "plan tables": [],
                                         "whole rebuild (watcher's own figure)": []}

    def measure(doc: pathlib.Path, change) -> float:
        time.sleep(0.3)  # past the watcher's quiet period, so that each change is one rebuild
        seen = len(reports)
        before = sha(doc)
        started = time.perf_counter()
        change()
        elapsed = None
        while time.perf_counter() - started < 30:
            done = len(reports) > seen  # a rebuild writes its documents before it reports
            try:
                if sha(doc) != before:
                    elapsed = time.perf_counter() - started
            except OSError:
                pass
            if done or elapsed is not None:
                break
            time.sleep(0.005)
        while len(reports) <= seen and time.perf_counter() - started < 30:
            time.sleep(0.005)  # the rebuild's end, before the next change
        if elapsed is None:
            proc.terminate()
            raise SystemExit(f"{doc.name} was not rewritten; the watcher said:\n" + "\n".join(lines[-10:]))
        own = re.search(r"（([0-9.]+) 秒", reports[-1]) if len(reports) > seen else None
        if own:  # the whole rebuild, print sets included, as the watcher timed it
            latencies["whole rebuild (watcher's own figure)"].append(float(own.group(1)))
        return elapsed

    def handling(n):
        def change():
            text = target.read_text(encoding="utf-8")
            target.write_text(re.sub(r"handling: 无[^\n]*", f"handling: 无（监视第{n}次）", text, count=1),
                              encoding="utf-8")
        return change

    try:
        for n in range(repeat):
            latencies["entity's documents"].append(measure(record_doc, handling(n)))
            latencies["plan tables"].append(measure(public, lambda: toggle(target)))
    finally:
        proc.terminate()
        proc.wait()
    return latencies


if __name__ == "__main__":
    main()
