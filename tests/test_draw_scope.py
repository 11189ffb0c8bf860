"""Issue 16: the draw reads what it depends on (`draw.scope`, `draw.roster`) and draws exactly as
the whole archive's check does: the same draw record, the same errors at the same places."""

import os
import shutil
import time

import pytest
from hypothesis import given, settings, strategies as st

from conftest import check, edit
from docgen import snapshot
from docgen.draw.roster import fast_mapping
from docgen.draw.run import context_for, draw_data, run_draw
from docgen.draw.algorithm import make_draw
from docgen.draw.scope import check_for_draw
from docgen.records.archive import Archive
from docgen.records.loader import parse_bytes
from docgen.records.problems import DocgenError

PLAN = "qa-2023-30"
SEED = "2023-10-31 527"


def fresh(archive):
    shutil.rmtree(archive / "records/inspections")
    (archive / f"records/draws/{PLAN}-draw-1.yaml").unlink()
    # the roster is kept only when no entity file changed in the 50 ms before it was listed (a
    # change within the clock's tick could go unseen: `snapshot.RACY_NS`); the copy was made just now
    time.sleep(2 * snapshot.RACY_NS / 1e9)
    return archive


def scoped(root):
    return check_for_draw(Archive(str(root / "records")))


def record_of(checked, seed=SEED):
    """The draw record a draw would write (its data), and the lines it shows."""
    ctx = context_for(checked, PLAN)
    draw = make_draw(ctx.inputs, seed, ctx.names)
    return draw_data(f"{PLAN}-draw-1", PLAN, draw, None), run_draw(checked, PLAN, seed, dry_run=True)


def outcome(checked):
    try:
        return record_of(checked)
    except DocgenError as exc:
        return str(exc)


def test_same_draw_record_cold_cached_and_after_edits(archive):
    fresh(archive)
    whole = record_of(check(archive))
    assert record_of(scoped(archive)) == whole  # from what the whole check remembered (`RecordCache`)
    shutil.rmtree(archive / ".docgen", ignore_errors=True)
    assert record_of(scoped(archive)) == whole  # cold: every entity file read
    assert (archive / ".docgen/draw").is_dir()
    assert record_of(scoped(archive)) == whole  # from the roster's cache
    os.utime(archive / "records/entities/org-003.yaml", ns=(1, 1))  # touched, same bytes
    assert record_of(scoped(archive)) == whole
    # an edit the draw sees: the cached entry of that file must not be used
    target = archive / "records/entities/org-005.yaml"
    edit(target, "credit_class: A", "credit_class: D")
    os.utime(target, ns=(1, 1))  # even with a stamp the cache might have seen
    changed = record_of(check(archive))
    assert changed[0]["digests"]["entities"] != whole[0]["digests"]["entities"]
    assert record_of(scoped(archive)) == changed
    # an edit the draw does not see changes nothing
    edit(target, "legal_rep: 彭雪", "legal_rep: 彭雪雪")
    assert record_of(scoped(archive)) == changed


def test_files_the_fast_parse_refuses_read_the_same(archive):
    """Double quotes, comments after values, CRLF line ends, a nested list: the positioned loader reads them."""
    fresh(archive)
    folder = archive / "records/entities"
    edit(folder / "org-001.yaml", "status: 存续", 'status: "存续"  # 仍在经营')
    text = (folder / "org-002.yaml").read_text(encoding="utf-8")
    (folder / "org-002.yaml").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    edit(folder / "org-004.yaml", "credit_class: ", "credit_class:   ")
    assert record_of(scoped(archive)) == record_of(check(archive))
    assert record_of(scoped(archive)) == record_of(check(archive))


@pytest.mark.parametrize("change", [
    ("credit_class: A", "credit_class: E"),                  # schema
    ("credit_class: A", "credit_class: [A"),                 # YAML
    ("credit_code: 521302832C7KCFA6AC", "credit_code: 521302832C7KCFA6AB"),  # check digit (a rule)
    ("id: org-005", "id: org-055"),                          # id against file name (a rule)
    ("credit_code: 521302832C7KCFA6AC", "credit_code: 52130283GA93QXBGYA\nstatus: 注销"),  # repeated key
])
def test_an_error_in_a_roster_entity_stops_the_draw_at_its_place(archive, change):
    fresh(archive)
    target = archive / "records/entities/org-005.yaml"
    edit(target, *change)
    whole = outcome(check(archive))
    assert isinstance(whole, str) and "org-005.yaml:" in whole
    for _ in range(2):  # cold, then with the roster's cache
        assert outcome(scoped(archive)) == whole
    line = whole.split("org-005.yaml:")[1].split(":")[0]
    assert int(line) > 1  # at the field, not at the top of the file


def test_a_credit_code_used_twice_stops_the_draw(archive):
    fresh(archive)
    code = (archive / "records/entities/org-001.yaml").read_text(encoding="utf-8").split("credit_code: ")[1].split("\n")[0]
    edit(archive / "records/entities/org-005.yaml", "credit_code: 521302832C7KCFA6AC", f"credit_code: {code}")
    whole = outcome(check(archive))
    assert "重复" in whole
    assert outcome(scoped(archive)) == whole
    assert outcome(scoped(archive)) == whole


def test_errors_elsewhere_do_not_stop_the_draw_as_before(archive):
    """An inspection record of another plan with an error stopped no draw, and stops none now."""
    fresh(archive)
    other = archive / "records/inspections/other-plan/org-001.yaml"
    other.parent.mkdir(parents=True)
    other.write_text("plan: other-plan\nentity: [\n", encoding="utf-8")
    whole = outcome(check(archive))
    assert not isinstance(whole, str)
    assert outcome(scoped(archive)) == whole


def test_the_example_archive_draw_still_verifies_from_the_scoped_read(archive):
    """The digests the scoped read gives are those of the example's stored draw record."""
    import yaml

    stored = yaml.safe_load((archive / f"records/draws/{PLAN}-draw-1.yaml").read_text(encoding="utf-8"))
    for _ in range(2):
        assert context_for(scoped(archive), PLAN).inputs.digests() == stored["digests"]


def test_an_entity_with_errors_remembered_by_validate_still_stops_the_draw(archive):
    fresh(archive)
    edit(archive / "records/entities/org-005.yaml", "credit_class: A", "credit_class: E")
    whole = outcome(check(archive))  # writes the record cache, the entity's problems with it
    assert "org-005.yaml:" in whole
    assert outcome(scoped(archive)) == whole


def test_a_doctored_roster_cache_is_not_believed(archive):
    fresh(archive)
    whole = record_of(check(archive))
    record_of(scoped(archive))
    for shard in (archive / ".docgen/draw").glob("*.json"):
        shard.write_bytes(shard.read_bytes().replace("\"A\"".encode(), "\"D\"".encode()))
    assert record_of(scoped(archive)) == whole


LINES = st.lists(st.sampled_from([
    "id: org-1", "name: 名称", "name: 'it''s'", "name: ''", "a: 017", "a: 0x1F", "a: 1e3", "a: .5", "a: yes",
    "a: True", "a: ~", "a: null", "a:", "a:  ", "contact:", "  name: x", "  phone: '138'", "  b:", "   c: 1",
    "# note", "  # note", "", "a: x # c", "a: -1", "a: foo:bar", "a: 12:30", "a: 'x", "a: b: c", "- x",
    "a: [1]", "a: {b: 1}", "a: &x 1", "a: *x", "<<: 1", "a: !!str 1", "a: 'x'  ", "a: |", "  text", "b: 2",
]), max_size=8)


@settings(max_examples=400, deadline=None)
@given(LINES)
def test_fast_parse_reads_what_the_loader_reads_or_declines(lines):
    text = "\n".join(lines) + "\n"
    fast = fast_mapping(text)
    if fast is None:
        return
    doc, problems = parse_bytes(text.encode("utf-8"), "x.yaml")
    assert not problems and doc is not None
    assert repr(fast) == repr(doc.data)


# -- a draw reads its own plan's inspections, not a county's earlier plans' ---------------------
NEW = "qa-2023-31"


def second_plan(archive, extra: str = ""):
    """A second joint plan beside the example's, whose filled inspections stay."""
    text = (archive / f"records/plans/{PLAN}.yaml").read_text(encoding="utf-8")
    assert f"id: {PLAN}\n" in text
    (archive / f"records/plans/{NEW}.yaml").write_text(text.replace(f"id: {PLAN}\n", f"id: {NEW}\n{extra}", 1),
                                                      encoding="utf-8")
    time.sleep(2 * snapshot.RACY_NS / 1e9)


def drawn(checked, plan=NEW):
    try:
        return run_draw(checked, plan, SEED, dry_run=True)
    except DocgenError as exc:
        return str(exc)


def inspections_read(checked):
    return sorted(r.path.replace(os.sep, "/").split("records/inspections/")[1] for r in checked.records
                  if r.kind == "inspection")


def test_a_draw_leaves_out_other_plans_inspection_folders(archive):
    second_plan(archive)
    whole = drawn(check(archive))
    assert isinstance(whole, list) and "（试算，未写入任何文件）" in whole
    for _ in range(3):  # with the record cache validate wrote, cold, and from the draw's own caches
        checked = check_for_draw(Archive(str(archive / "records")), plan_id=NEW)
        assert inspections_read(checked) == []
        assert drawn(checked) == whole
        assert inspections_read(scoped(archive))  # without a plan: every inspection, as before
        shutil.rmtree(archive / ".docgen", ignore_errors=True) if _ == 0 else None
    # the folder's entries in the record cache were neither read nor forgotten
    check(archive)
    check_for_draw(Archive(str(archive / "records")), plan_id=NEW)
    from docgen.cache import RecordCache
    from docgen.records.schema import Schemas

    arch = Archive(str(archive / "records"))
    cache = RecordCache.open(arch, Schemas(arch.schemas_dir, str(archive / ".docgen")))
    folder = os.path.join(arch.records_dir, "inspections", PLAN)
    assert len(cache.shards.get(folder, {})) == len(os.listdir(folder)) > 0


@pytest.mark.parametrize("how", [
    f"plan: {NEW}",                        # a record of the drawn plan, put in another plan's folder
    'plan: "qa-2023-\\x331"',              # the same, its id spelled with an escape
])
def test_a_record_of_the_drawn_plan_in_another_folder_is_still_read(archive, how):
    second_plan(archive)
    target = archive / f"records/inspections/{PLAN}/org-002.yaml"
    edit(target, f"plan: {PLAN}", how)
    whole = drawn(check(archive))
    assert isinstance(whole, str)  # the record stops the draw (its group is not the plan's assistants')
    checked = check_for_draw(Archive(str(archive / "records")), plan_id=NEW)
    assert f"{PLAN}/org-002.yaml" in inspections_read(checked)
    assert drawn(checked) == whole


def test_a_yearly_cap_reads_the_years_earlier_inspections(archive):
    second_plan(archive, "yearly_cap: 1\n")
    checked = check_for_draw(Archive(str(archive / "records")), plan_id=NEW)
    assert len(inspections_read(checked)) == len(os.listdir(archive / f"records/inspections/{PLAN}"))
    whole = drawn(check(archive))
    assert drawn(checked) == whole
    assert any("本年度检查次数已达上限" in line for line in whole)


def test_a_plan_file_that_cannot_be_read_reads_everything(archive):
    second_plan(archive)
    (archive / "records/plans/broken.yaml").write_text("id: [\n", encoding="utf-8")
    checked = check_for_draw(Archive(str(archive / "records")), plan_id=NEW)
    assert len(inspections_read(checked)) == len(os.listdir(archive / f"records/inspections/{PLAN}"))
    assert drawn(checked) == drawn(check(archive))
