"""Issue 16: a check that takes an unchanged, quiet entity roster as kept (`records.kept_roster`)
finds what a full check finds — problem for problem, the same count of records, the same status
figures — and is taken only when no entity file changed since a full check found nothing in any.
(The incremental = clean build guards, `test_random_edits` first, build through it too.)"""

import datetime as dt
import os
import pathlib
import sys
import time

import pytest

from docgen import snapshot, status
from docgen.draw import table
from docgen.records import kept_roster
from docgen.records.archive import Archive
from docgen.records.check import check_archive

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "benchmarks"))

from synthetic import PLAN, inspection_text, make_archive  # noqa: E402

TODAY = dt.date(2023, 12, 20)


def settled():
    """Past the instant in which a file just written may change again unseen (`snapshot.RACY_NS`)."""
    time.sleep(snapshot.RACY_NS / 1e9 * 2)


@pytest.fixture
def records(tmp_path):
    return make_archive(tmp_path, entities=120, inspections=12)


def checked_both(records: pathlib.Path):
    """(a check allowed the kept roster, a full check without any cache)."""
    settled()
    kept = check_archive(Archive(str(records)), today=TODAY, kept_roster=True)
    full = check_archive(Archive(str(records)), today=TODAY, use_cache=False)
    return kept, full


def same(kept, full) -> None:
    assert kept.problems == full.problems
    assert kept.record_count == full.record_count
    assert status.compute(kept, TODAY).to_json() == status.compute(full, TODAY).to_json()
    assert kept.index.roster_digest() == full.index.roster_digest()
    assert {p: [r.path for r in rs] for p, rs in kept.index.by_plan.items()} == \
        {p: [r.path for r in rs] for p, rs in full.index.by_plan.items()}


def uses_kept(checked) -> bool:
    return isinstance(checked.index.entities, kept_roster.KeptEntities)


def inspection(records: pathlib.Path, n: int) -> pathlib.Path:
    return records / "inspections" / PLAN / f"b-{n:05d}.yaml"


def test_an_edit_elsewhere_takes_the_roster_as_kept_and_finds_the_same(records):
    first, full = checked_both(records)
    assert not uses_kept(first)  # nothing kept yet: read whole, and noted
    same(first, full)
    target = inspection(records, 3)
    target.write_text(target.read_text(encoding="utf-8").replace("handling: 无", "handling: 无（补记）", 1),
                      encoding="utf-8")
    kept, full = checked_both(records)
    assert uses_kept(kept)
    same(kept, full)
    # only the entities an inspection names were read whole
    assert set(kept.index.entities.made) == {f"b-{n:05d}" for n in range(12)}
    # an inspection naming an entity not named before: that one is read too; one naming no
    # entity of the roster is reported as by a full check
    n = 57
    text = inspection_text(n % 12).replace(f"entity: b-{n % 12:05d}\n", f"entity: b-{n:05d}\n", 1)
    (records / "inspections" / PLAN / f"b-{n:05d}.yaml").write_text(text, encoding="utf-8")
    (records / "inspections" / PLAN / "b-99999.yaml").write_text(
        text.replace(f"entity: b-{n:05d}\n", "entity: b-99999\n", 1), encoding="utf-8")
    kept, full = checked_both(records)
    assert uses_kept(kept) and "b-00057" in kept.index.entities.made
    assert any("b-99999" in p.message and "不存在" in p.message for p in kept.problems)
    same(kept, full)


def test_an_entity_edit_or_a_finding_in_the_roster_reads_it_whole(records):
    checked_both(records)
    entity = records / "entities" / "b-00100.yaml"
    text = entity.read_text(encoding="utf-8")
    code = next(line.split(": ")[1] for line in text.splitlines() if line.startswith("credit_code: "))
    wrong = code[:17] + ("0" if code[17] != "0" else "1")  # a wrong check digit: a finding in the roster
    entity.write_text(text.replace(code, wrong, 1), encoding="utf-8")
    kept, full = checked_both(records)
    assert not uses_kept(kept)  # an entity file changed
    same(kept, full)
    assert any(p.path.endswith("b-00100.yaml") for p in full.problems)
    target = inspection(records, 5)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert not uses_kept(kept)  # the roster is unchanged, but not quiet: its finding is found again
    same(kept, full)
    entity.write_text(text, encoding="utf-8")
    checked_both(records)  # quiet again, noted
    target.write_text(target.read_text(encoding="utf-8") + "# 又补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert uses_kept(kept)
    same(kept, full)


def test_an_entity_changed_while_read_makes_a_full_check(records, monkeypatch):
    checked_both(records)
    target = inspection(records, 1)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")

    def changed(self, rids, remembered=None):
        raise kept_roster.Stale(rids[0])

    monkeypatch.setattr(kept_roster.KeptEntities, "read", changed)
    kept, full = checked_both(records)
    assert not uses_kept(kept)
    same(kept, full)


def test_a_note_not_signed_here_is_not_believed(records):
    checked_both(records)
    note = pathlib.Path(table.store_path(str(records.parent), kept_roster.NOTE))
    assert note.exists()
    text = note.read_text(encoding="utf-8")
    assert '"quiet":true' in text.replace(" ", "")
    start = text.index('"roster":"') + len('"roster":"')
    forged = text[:start] + ("0" if text[start] != "0" else "1") + text[start + 1:]  # as written elsewhere
    note.write_text(forged, encoding="utf-8")
    target = inspection(records, 2)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert not uses_kept(kept)
    same(kept, full)


def test_validate_counts_the_whole_roster(records):
    from conftest import run_docgen

    root = records.parent
    first = run_docgen("validate", cwd=root)
    settled()
    target = inspection(records, 4)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    settled()
    again = run_docgen("validate", cwd=root)
    total = len(list(records.rglob("*.yaml")))
    assert f"检查了 {total} 条记录" in first.stdout
    assert f"检查了 {total} 条记录" in again.stdout


def test_the_named_entities_data_is_taken_only_for_the_bytes_noted(records):
    from docgen.cache import read_json, write_json

    checked_both(records)
    named = table.store_path(str(records.parent), kept_roster.NAMED)
    kept_files = read_json(named)["files"]
    assert sorted(kept_files) == [f"entities/b-{n:05d}.yaml" for n in range(12)]
    # an entry for other bytes (a file edited back and forth, say) is not taken: the file is read
    value = read_json(named)
    value["files"]["entities/b-00003.yaml"] = ["0" * 64, {**kept_files["entities/b-00003.yaml"][1], "name": "别的名称"}]
    write_json(named, value)
    target = inspection(records, 6)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert uses_kept(kept)
    same(kept, full)
    assert kept.index.entities["b-00003"].data == full.index.entities["b-00003"].data
    assert read_json(named)["files"] == kept_files  # and what it read is kept again


def test_the_rules_remembered_per_inspection_follow_what_they_read(records):
    """`rules.remembered_problems`: an inspection's own rules are taken as found before only while its plan,
    its entity, the departments and the item lists are as they were."""
    from conftest import edit

    def cached_equals_full():
        settled()
        cached = check_archive(Archive(str(records)), today=TODAY, kept_roster=True)
        full = check_archive(Archive(str(records)), today=TODAY, use_cache=False)
        assert cached.problems == full.problems
        return cached.problems

    quiet = cached_equals_full()
    assert cached_equals_full() == quiet  # remembered, the same
    edit(records / "departments" / "xfjy.yaml", "badge_valid_until: '2035-06-30'", "badge_valid_until: '2001-06-30'")
    expired = cached_equals_full()
    assert any("执法证有效期至 2001-06-30" in p.message for p in expired)
    edit(records / "departments" / "xfjy.yaml", "badge_valid_until: '2001-06-30'", "badge_valid_until: '2035-06-30'")
    assert cached_equals_full() == quiet
    edit(records / "plans" / f"{PLAN}.yaml", "  - 校外培训机构\n", "  - 其他机构\n")
    assert any("不在计划的抽查范围" in p.message for p in cached_equals_full())
    edit(records / "plans" / f"{PLAN}.yaml", "  - 其他机构\n", "  - 校外培训机构\n")
    assert cached_equals_full() == quiet
    # deadlines: a result not entered is overdue, until the plan gives more working days or the
    # office's calendar makes the weeks since holidays
    import re

    target = inspection(records, 5)
    text = target.read_text(encoding="utf-8")
    target.write_text(re.sub(r"    entered: '[^']*'\n    approval:\n      reviewer: 王五\n      date: '[^']*'\n"
                             r"    disclosed: '[^']*'\n", "", text, count=1), encoding="utf-8")
    overdue = cached_equals_full()
    assert any("「录入抽查结果」已逾期" in p.message and p.path.endswith("b-00005.yaml") for p in overdue)
    edit(records / "plans" / f"{PLAN}.yaml", "  results_entry: 3\n", "  results_entry: 40\n")
    assert not any("「录入抽查结果」已逾期" in p.message and p.path.endswith("b-00005.yaml") for p in cached_equals_full())
    edit(records / "plans" / f"{PLAN}.yaml", "  results_entry: 40\n", "  results_entry: 3\n")
    assert cached_equals_full() == overdue
    (records / "calendar").mkdir(exist_ok=True)
    days = [dt.date(2023, 11, 1) + dt.timedelta(days=n) for n in range(61)]
    (records / "calendar" / "2023.yaml").write_text(
        "year: 2023\nholidays:\n" + "".join(f"- '{d.isoformat()}'\n" for d in days), encoding="utf-8")
    assert not any("「录入抽查结果」已逾期" in p.message and p.path.endswith("b-00005.yaml") for p in cached_equals_full())
    (records / "calendar" / "2023.yaml").unlink()
    assert cached_equals_full() == overdue
    # and the department's name they print, and the day they are judged on
    departments = {"gaj": "迁安市公安局", "jyj": "迁安市教育局", "xfjy": "迁安市消防救援大队"}
    late = next(p.message for p in overdue if "「录入抽查结果」已逾期" in p.message and p.path.endswith("b-00005.yaml"))
    dep, name = next((d, n) for d, n in departments.items() if f"（{n}）" in late)
    edit(records / "departments" / f"{dep}.yaml", f"name: {name}\n", f"name: {name}（更名）\n")
    assert any(f"已逾期（{name}（更名））" in p.message and p.path.endswith("b-00005.yaml") for p in cached_equals_full())
    edit(records / "departments" / f"{dep}.yaml", f"name: {name}（更名）\n", f"name: {name}\n")
    assert cached_equals_full() == overdue
    settled()
    early = dt.date(2023, 11, 1)  # before the visit: nothing is due yet
    cached = check_archive(Archive(str(records)), today=early, kept_roster=True)
    assert cached.problems == check_archive(Archive(str(records)), today=early, use_cache=False).problems
    assert not any("已逾期" in p.message for p in cached.problems)
    assert cached_equals_full() == overdue
    target.write_text(text, encoding="utf-8")
    assert cached_equals_full() == quiet
    entity = records / "entities" / "b-00004.yaml"
    edit(entity, "type: 校外培训机构", "type: 其他机构")
    assert [p for p in cached_equals_full() if "不在计划的抽查范围" in p.message][0].path.endswith("b-00004.yaml")


def test_entities_in_sub_folders_are_found_at_their_own_paths(records):
    # the note lists only paths other than entities/<id>.yaml; those must be found there
    sub = records / "entities" / "街道"
    sub.mkdir()
    for n in (0, 7, 100):  # two an inspection names, one it does not
        (records / "entities" / f"b-{n:05d}.yaml").rename(sub / f"b-{n:05d}.yaml")
    checked_both(records)
    target = inspection(records, 6)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert uses_kept(kept)
    same(kept, full)
    roster = kept.index.entities
    assert roster.other_paths == {roster.rows[f"b-{n:05d}"]: f"entities/街道/b-{n:05d}.yaml" for n in (0, 7, 100)}
    assert roster["b-00100"].path.endswith(os.path.join("街道", "b-00100.yaml"))
    assert roster["b-00100"].data == full.index.entities["b-00100"].data
    assert roster["b-00007"].data == full.index.entities["b-00007"].data


@pytest.mark.parametrize("row", ["007", "+7", "٧", "9" * 5000, "-1", "120"])
def test_a_note_with_a_row_not_as_written_is_not_taken(records, row):
    # signed by this user's docgen, but not as `note` writes a row: the roster is read whole
    from docgen.cache import read_json, write_json

    checked_both(records)
    note = table.store_path(str(records.parent), kept_roster.NOTE)
    value = read_json(note)
    assert value["quiet"] is True and value["paths"] == {}
    value["paths"] = {row: "entities/b-00007.yaml"}
    write_json(note, value)
    target = inspection(records, 2)
    target.write_text(target.read_text(encoding="utf-8") + "# 补记\n", encoding="utf-8")
    kept, full = checked_both(records)
    assert not uses_kept(kept)
    same(kept, full)
