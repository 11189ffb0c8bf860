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
