"""Issue 16: after each of many random edits (add, change, delete, rename records), the incremental
build's output folder equals a clean build's, manifest and bytes.

Builds run in-process, as `docgen watch` runs them (one record cache kept between builds). The
clean build renders every document into an empty folder; every tenth one also checks every record
again without the archive's `.docgen/` (a clean check is the slow part at 10,000 entities).
Default size: 1,000 entities, 30 inspections, 40 edits. The issue's full size, 200 edits on a
10,000-entity archive: DOCGEN_SCALE_TEST=1.
"""

import hashlib
import os
import pathlib
import random
import re
import shutil
import sys

from docgen import snapshot
from docgen.records.archive import Archive
from docgen.documents.build import MANIFEST, build
from docgen.records.check import check_archive

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))

from synthetic import PLAN, entity_text, inspection_text, make_archive  # noqa: E402

FULL = bool(os.environ.get("DOCGEN_SCALE_TEST"))
ENTITIES, INSPECTIONS, EDITS = (10_000, 30, 200) if FULL else (1_000, 30, 40)


def contents(out: pathlib.Path) -> dict[str, str]:
    """Every file of an output folder by SHA-256, the manifest included."""
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


class Edits:
    """Random edits that keep the archive valid, so that every output exists in both builds."""

    def __init__(self, records: pathlib.Path, seed: int):
        self.random = random.Random(seed)
        self.entities = records / "entities"
        self.inspections = records / "inspections" / PLAN
        self.next_number = 90_000

    def inspected(self) -> set[str]:
        return {p.stem for p in self.inspections.glob("*.yaml")}

    def free_entity(self) -> str:
        taken = self.inspected()
        names = sorted(p.stem for p in self.entities.glob("*.yaml") if p.stem not in taken)
        return self.random.choice(names)

    def apply(self) -> str:
        kind = self.random.choice(["add entity", "change entity", "delete entity", "rename entity",
                                   "add inspection", "change inspection", "delete inspection", "rename inspection"])
        inspected = sorted(self.inspected())
        if kind == "add entity":
            n = self.next_number = self.next_number + 1
            (self.entities / f"b-{n:05d}.yaml").write_text(entity_text(n), encoding="utf-8")
        elif kind == "change entity":
            path = self.entities / f"{self.random.choice(inspected + [self.free_entity()])}.yaml"
            text = path.read_text(encoding="utf-8")
            field = self.random.choice(["legal_rep: ", "address: ", "name: "])
            path.write_text(text.replace(field, f"{field}改{self.random.randint(0, 99)}", 1), encoding="utf-8")
        elif kind == "delete entity":
            (self.entities / f"{self.free_entity()}.yaml").unlink()
        elif kind == "rename entity":
            old = self.free_entity()
            n = self.next_number = self.next_number + 1
            text = (self.entities / f"{old}.yaml").read_text(encoding="utf-8")
            (self.entities / f"b-{n:05d}.yaml").write_text(text.replace(f"id: {old}\n", f"id: b-{n:05d}\n", 1),
                                                          encoding="utf-8")
            (self.entities / f"{old}.yaml").unlink()
        elif kind == "add inspection" or (kind in ("delete inspection", "rename inspection") and len(inspected) < 5):
            entity = self.free_entity()
            self._write_inspection(entity)
        elif kind == "change inspection":
            path = self.inspections / f"{self.random.choice(inspected)}.yaml"
            text = path.read_text(encoding="utf-8")
            if self.random.random() < 0.5:  # reaches the entity's record form only
                text = re.sub(r"handling: 无[^\n]*", f"handling: 无{self.random.randint(0, 99)}", text, count=1)
            else:  # reaches the plan tables too
                a, b = "发现问题已责令改正", "发现问题待后续处理"
                text = text.replace(a, b, 1) if f"- {a}" in text else text.replace(b, a, 1)
            path.write_text(text, encoding="utf-8")
        elif kind == "delete inspection":
            (self.inspections / f"{self.random.choice(inspected)}.yaml").unlink()
        else:  # rename: the inspection is moved to another entity
            old = self.random.choice(inspected)
            new = self.free_entity()
            text = (self.inspections / f"{old}.yaml").read_text(encoding="utf-8")
            (self.inspections / f"{new}.yaml").write_text(text.replace(f"entity: {old}\n", f"entity: {new}\n", 1),
                                                         encoding="utf-8")
            (self.inspections / f"{old}.yaml").unlink()
        return kind

    def _write_inspection(self, entity: str) -> None:
        n = int(entity.split("-")[1])
        text = inspection_text(n % 1000).replace(f"entity: b-{n % 1000:05d}\n", f"entity: {entity}\n", 1)
        (self.inspections / f"{entity}.yaml").write_text(text, encoding="utf-8")


def test_random_edits_incremental_equals_clean(tmp_path, monkeypatch):
    # every build is remembered for a replay (`docgen.snapshot`), even right after an edit: a replay
    # that should not have been would show as a difference from the clean build
    monkeypatch.setattr(snapshot, "RACY_NS", 0)
    replays = []
    real_replay = snapshot.replay_build

    def counted(*args):
        found = real_replay(*args)
        replays.append(found is not None)
        return found

    monkeypatch.setattr(snapshot, "replay_build", counted)
    records = make_archive(tmp_path, entities=ENTITIES, inspections=INSPECTIONS)
    archive = Archive(str(records))
    out = tmp_path / "output"
    cache = check_archive(archive, save_cache=False).cache  # kept between builds, as `docgen watch` does
    first = build(archive, str(out), cache=cache)
    assert not first.has_errors, first.problems[:3]
    edits = Edits(records, seed=16)
    before, changed = contents(out), 0
    for step in range(EDITS):
        kind = edits.apply()
        # as `docgen watch` builds (its record cache kept) and, every other step, as `docgen build` does
        report = build(archive, str(out), cache=cache) if step % 2 else build(archive, str(out))
        assert not report.has_errors, (step, kind, report.problems[:3])
        again = build(archive, str(out))  # nothing changed since: written nothing, replayed or not
        assert not again.written and not again.removed and again.problems == report.problems, (step, kind)
        clean = tmp_path / f"clean-{step}"
        checked = check_archive(archive, use_cache=step % 10 != 9, save_cache=False)
        clean_report = build(archive, str(clean), checked=checked)
        assert not clean_report.has_errors
        after = contents(out)
        assert after == contents(clean), (step, kind)
        assert (out / MANIFEST).read_bytes() == (clean / MANIFEST).read_bytes()
        changed += after != before
        before = after
        shutil.rmtree(clean)  # keep the temporary folder small
    assert changed > EDITS // 4  # the edits reached documents: the comparison was not of idle builds
    assert sum(replays) >= EDITS  # the builds with nothing changed were replays, the others were not
