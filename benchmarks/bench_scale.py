"""Benchmark docgen at a county's scale (issue 16): synthetic archives of 1k to 100k entities.

For each size, whole commands are timed (Python start-up included), in one run: cold build (empty
`.docgen/`, empty user cache, no output), no-op build, one-record edits (one reaching only the
entity's own documents, one reaching the plan tables too; and the same edits saved while `docgen
watch` runs, from the save to the document's new bytes), `validate` with and without the
archive's `.docgen/`, `draw --dry-run` over the whole roster with and without it (and once more, from
the draw's own roster cache), and the peak
resident memory of each command (the child's own rusage, as /usr/bin/time reports it).

Run:  python benchmarks/bench_scale.py                     # 1k/300, 10k/3000, 100k/3000
      python benchmarks/bench_scale.py --size 1000x300     # one quick size (repeatable)
      python benchmarks/bench_scale.py --repeat 3 --dir /var/tmp
Archives are written under --dir (default: /dev/shm when there is one, else the temporary folder):
creating 100,000 small files on this machine's disk takes a minute, which is the disk's cost, not
docgen's; reading them back comes from the page cache either way.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from synthetic import DRAW_PLAN, PLAN, make_archive  # noqa: E402

DOCGEN = [sys.executable, "-m", "docgen"]
RESULTS = ("发现问题已责令改正", "发现问题待后续处理")  # both valid for a record with follow-ups


def run(args, cwd: pathlib.Path, env: dict, expect=(0,)) -> tuple[float, float, float, str, float]:
    """(wall seconds, docgen's own seconds or nan, peak RSS in MiB, last line of output, CPU seconds).

    CPU time (user + system) is shown beside the wall time: on a machine shared with other work,
    a command waits for a core much longer than it computes."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(DOCGEN + args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode not in expect:
        raise SystemExit(f"docgen {' '.join(args)} exited {proc.returncode}:\n{text[-3000:]}")
    reported = re.search(r"([0-9.]+) 秒）", text)
    rss = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    lines = text.strip().splitlines()
    return (wall, float(reported.group(1)) if reported else float("nan"), rss, lines[-1] if lines else "",
            usage.ru_utime + usage.ru_stime)


def edit_own(target: pathlib.Path, n: int) -> None:
    """A finding's handling: printed on the entity's own record form only."""
    text = target.read_text(encoding="utf-8")
    text = re.sub(r"handling: 无[^\n]*", f"handling: 无（第{n}次）", text, count=1)
    target.write_text(text, encoding="utf-8")


def edit_table(target: pathlib.Path) -> None:
    """A department's result: also printed in the 公示表 and counted in the statistics."""
    text = target.read_text(encoding="utf-8")
    now = next(r for r in RESULTS if f"- {r}\n" in text)  # a department's results list
    target.write_text(text.replace(f"- {now}\n", f"- {RESULTS[1 - RESULTS.index(now)]}\n", 1),
                      encoding="utf-8")


def measure(base: pathlib.Path, entities: int, inspections: int, repeat: int) -> dict[str, list[tuple]]:
    root = base / f"archive-{entities}x{inspections}"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    started = time.perf_counter()
    make_archive(root, entities=entities, inspections=inspections, draw_plan=True)
    made = time.perf_counter() - started
    time.sleep(0.1)  # files written in the 50 ms before a run keep it from being remembered (see `add`)
    # compiled modules are kept (PYTHONDONTWRITEBYTECODE would recompile docgen on every command)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["DOCGEN_CACHE_DIR"] = str(root / "user-cache")
    cache = root / ".docgen"
    results: dict[str, list[tuple]] = {}

    def add(label, args, before=None, expect=(0,)):
        if before:
            before()
            # as a clerk saves and then types the command: a run that lists a file modified in the
            # 50 ms before is not remembered for replay (`snapshot.RACY_NS`), which would make the
            # next cached `validate` a full check
            time.sleep(0.1)
        results.setdefault(label, []).append(run(args, root, env, expect))

    draw = ["draw", DRAW_PLAN, "--dry-run", "--seed", "2023-10-31 527"]
    add("cold build", ["build"])
    for _ in range(repeat):
        add("no-op build", ["build"])
    target = root / "records" / "inspections" / PLAN / "b-00007.yaml"
    for n in range(repeat):
        add("one edit: entity's documents", ["build"], lambda n=n: edit_own(target, n))
        add("one edit: plan tables too", ["build"], lambda: edit_table(target))
    # the same edits saved while `docgen watch` runs (a resident process: what it holds is not read
    # again), timed from the save to the document's new bytes
    from bench_incremental import watch_latency

    out = root / "output" / PLAN
    record_doc = out / "04_实地核查记录表_基准测试第7号培训学校（示例）.docx"
    for label, values in watch_latency(root, target, record_doc, out / "07_公示表.xlsx", env, repeat).items():
        results[f"watch: {label}"] = [(v, float("nan"), float("nan"), "", float("nan")) for v in values]
    for _ in range(repeat):
        add("validate, cached", ["validate"])
    for _ in range(repeat):
        add("draw --dry-run, cached", draw)  # the first: from validate's record cache, then the draw's own
    for _ in range(repeat):
        add("draw --dry-run, again", draw)  # from the draw's own roster cache (`.docgen/draw/`)
    for _ in range(repeat):
        add("validate, no .docgen/", ["validate"], lambda: shutil.rmtree(cache, ignore_errors=True))
    for _ in range(repeat):
        add("draw --dry-run, no .docgen/", draw, lambda: shutil.rmtree(cache, ignore_errors=True))
    results["(writing the synthetic archive)"] = [(made, float("nan"), float("nan"), "", float("nan"))]
    shutil.rmtree(root, ignore_errors=True)
    return results


def report(entities: int, inspections: int, results: dict[str, list[tuple]]) -> None:
    print(f"\n{entities:,} entities / {inspections:,} inspections"
          f"{'':<14}whole command: median (min–max)   docgen's own   CPU (median)   peak RSS")
    for label, runs in results.items():
        walls = sorted(r[0] for r in runs)
        own = [r[1] for r in runs if r[1] == r[1]]
        rss = [r[2] for r in runs if r[2] == r[2]]
        spread = f"({walls[0]:.2f}–{walls[-1]:.2f})" if len(walls) > 1 else ""
        own_text = f"{statistics.median(own):6.2f} s" if own else " " * 8
        rss_text = f"{max(rss):6.0f} MiB" if rss else ""
        cpu = [r[4] for r in runs if r[4] == r[4]]
        cpu_text = f"{statistics.median(cpu):6.2f} s" if cpu else " " * 8
        print(f"  {label:<34} {statistics.median(walls):7.2f} s {spread:<14} {own_text}     {cpu_text}     {rss_text}")
    print(f"  last output: {results['no-op build'][-1][3]}")


def size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)(k?)x(\d+)", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError("size is ENTITIESxINSPECTIONS, e.g. 1000x300 or 100kx3000")
    return int(match.group(1)) * (1000 if match.group(2) else 1), int(match.group(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=size, action="append", help="ENTITIESxINSPECTIONS (repeatable)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each warm measurement (default 3)")
    parser.add_argument("--dir", type=pathlib.Path, help="where to write the archives")
    args = parser.parse_args()
    sizes = args.size or [(1000, 300), (10_000, 3000), (100_000, 3000)]
    base_dir = args.dir or (pathlib.Path("/dev/shm") if os.path.isdir("/dev/shm") else None)
    with tempfile.TemporaryDirectory(dir=base_dir, prefix="docgen-bench-") as tmp:
        for entities, inspections in sizes:
            report(entities, inspections, measure(pathlib.Path(tmp), entities, inspections, args.repeat))
    print(f"\nmachine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
