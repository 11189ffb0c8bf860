"""Benchmark `docgen draw` (issue 5): a draw over a 100,000-entity roster.

The draw itself (projection and digests of the inputs, stratified selection, groups and
回避) is timed; reading 100,000 YAML files from disk is not part of it.

Run: python benchmarks/bench_draw.py
"""

from __future__ import annotations

import statistics
import time

from docgen.draw.algorithm import Inputs, make_draw


def roster(size: int) -> tuple[dict, list[dict], dict]:
    plan = {"id": "bench", "ratios": {"A": 3, "B": 5, "C": 10, "D": 20}, "ratio_floor": 3,
            "scope": {"entity_types": ["校外培训机构"]}, "lead_department": "jyj",
            "departments": [{"department": d} for d in ("jyj", "gaj", "xfjy")], "inspectors_per_department": 2}
    entities = [{"id": f"e{n:06d}", "credit_code": f"91130283{n:010d}", "credit_class": "ABCD"[n % 4],
                 "type": "校外培训机构", "status": "存续"} for n in range(size)]
    departments = {d: {"id": d, "inspectors": [{"id": f"{d}-{i:03d}", "conflicts": [f"e{(i * 7919) % size:06d}"]}
                                               for i in range(60)],
                       "vehicles": [{"plate": f"{d}-{i}"} for i in range(5)]} for d in ("jyj", "gaj", "xfjy")}
    return plan, entities, departments


def main() -> None:
    plan, entities, departments = roster(100_000)
    runs = []
    for n in range(5):
        started = time.perf_counter()
        inputs = Inputs.from_records(plan, entities, departments)
        draw = make_draw(inputs, f"2023-10-31 527 #{n}")
        runs.append(time.perf_counter() - started)
    print(f"draw over 100,000 entities: median {statistics.median(runs):.2f} s, max {max(runs):.2f} s "
          f"(drew {len(draw.entities)} entities into {len(draw.groups)} groups)")


if __name__ == "__main__":
    main()
