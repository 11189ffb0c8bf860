"""Issue 16: the roster the draw keeps (`draw.table`) and reads on two cores (`docgen.split`) draws
exactly as the whole archive's check does — first after `validate`, again, cold, after an edit,
a deletion or an addition — and a kept roster is taken whole only for the very files it was made of."""

import os
import shutil
import time

import pytest
from hypothesis import given, settings, strategies as st

from conftest import check, edit, run_docgen
from docgen import snapshot, split
from docgen.draw import roster, table
from docgen.draw.scope import check_for_draw
from docgen.records.archive import Archive
from test_draw_scope import PLAN, SEED, fresh, outcome, record_of, scoped


def settled():
    """Past the instant in which a file just written may change again unseen (`snapshot.RACY_NS`):
    a roster is kept only from stamps older than that."""
    time.sleep(snapshot.RACY_NS / 1e9 * 2)


@pytest.fixture
def reads(monkeypatch):
    """The entity files the draw reads in full (a list of their names)."""
    seen = []
    plain = roster._read_plain

    def counted(path):
        seen.append(os.path.basename(path))
        return plain(path)

    monkeypatch.setattr(roster, "_read_plain", counted)
    return seen


def kept(root):
    return table.load(str(root), str(root / "records"), roster_key(root))


def roster_key(root):
    from docgen.cache import RecordCache
    from docgen.records.schema import Schemas

    archive = Archive(str(root / "records"))
    return RecordCache.key_for(Schemas(archive.schemas_dir, os.path.join(archive.root, ".docgen")))


def test_first_draw_after_validate_and_the_next_read_no_entity_file(archive, reads):
    fresh(archive)
    settled()
    whole = record_of(check(archive))  # `validate` keeps the roster for the draw
    assert kept(archive) is not None and kept(archive).clean
    entities = len(list((archive / "records/entities").glob("*.yaml")))
    assert kept(archive).count == entities
    del reads[:]
    assert record_of(scoped(archive)) == whole
    assert record_of(scoped(archive)) == whole
    assert reads == []


def test_cold_then_kept_then_edited_deleted_added(archive, reads):
    fresh(archive)
    shutil.rmtree(archive / ".docgen", ignore_errors=True)
    settled()
    whole = record_of(check(archive))
    shutil.rmtree(archive / ".docgen")
    assert record_of(scoped(archive)) == whole  # cold: every entity file read
    entities = len(list((archive / "records/entities").glob("*.yaml")))
    assert len(reads) == entities
    del reads[:]
    assert record_of(scoped(archive)) == whole  # kept: none
    assert reads == []

    folder = archive / "records/entities"
    edit(folder / "org-005.yaml", "credit_class: A", "credit_class: D")
    settled()
    changed = record_of(check_without_cache(archive))
    assert changed[0]["digests"]["entities"] != whole[0]["digests"]["entities"]
    del reads[:]
    assert record_of(scoped(archive)) == changed
    assert reads == ["org-005.yaml"]  # only the edited file

    (folder / "org-003.yaml").unlink()
    settled()
    gone = record_of(check_without_cache(archive))
    assert gone[0]["digests"]["entities"] != changed[0]["digests"]["entities"]
    del reads[:]
    assert record_of(scoped(archive)) == gone
    assert reads == []  # the others are as kept

    text = (folder / "org-004.yaml").read_text(encoding="utf-8")
    code = text.split("credit_code: ")[1].split("\n")[0]
    new_code = complete_code("9" + code[1:17])
    (folder / "org-099.yaml").write_text(text.replace("id: org-004", "id: org-099").replace(code, new_code),
                                         encoding="utf-8")
    settled()
    added = record_of(check_without_cache(archive))
    assert added[0]["digests"]["entities"] != gone[0]["digests"]["entities"]
    del reads[:]
    assert record_of(scoped(archive)) == added
    assert reads == ["org-099.yaml"]
    assert record_of(scoped(archive)) == added


def complete_code(first17):
    from docgen.records.creditcode import complete

    return complete(first17)


def check_without_cache(root):
    from docgen.records.check import check_archive

    return check_archive(Archive(str(root / "records")), use_cache=False)


def test_an_error_after_the_roster_was_kept_stops_the_draw_as_validate_says(archive):
    fresh(archive)
    settled()
    record_of(check(archive))
    record_of(scoped(archive))
    edit(archive / "records/entities/org-005.yaml", "credit_class: A", "credit_class: E")
    whole = outcome(check_without_cache(archive))
    assert isinstance(whole, str) and "org-005.yaml:" in whole
    assert outcome(scoped(archive)) == whole
    settled()
    assert outcome(scoped(archive)) == whole
    assert not kept(archive).clean  # kept, but not to be taken whole


@pytest.mark.parametrize("name", [table.STORE, table.FILES])
def test_a_doctored_kept_roster_is_not_believed(archive, name, reads):
    fresh(archive)
    settled()
    whole = record_of(check(archive))
    target = archive / ".docgen/draw" / name
    target.write_bytes(target.read_bytes().replace(b'"A"', b'"D"').replace(b'"a', b'"b'))
    assert record_of(scoped(archive)) == whole


def test_a_kept_roster_of_other_stamps_is_not_taken_whole(archive, reads):
    """A roster kept for other files (here: a copy of the archive, whose files have other stamps)
    serves only as rows to compare each file's bytes with."""
    fresh(archive)
    settled()
    record_of(check(archive))
    copy = archive.parent / "copy"
    shutil.copytree(archive, copy)
    edit(copy / "records/entities/org-002.yaml", "credit_class: A", "credit_class: C")
    whole = record_of(check_without_cache(copy))
    del reads[:]
    assert record_of(scoped(copy)) == whole
    assert len(reads) == len(list((copy / "records/entities").glob("*.yaml")))  # each compared by its bytes


def test_cold_read_on_two_cores_draws_the_same(archive, monkeypatch):
    fresh(archive)
    whole = record_of(check_without_cache(archive))
    monkeypatch.setattr(split, "MIN_ITEMS", 1)
    monkeypatch.setattr(split, "CHUNK", 2)
    shutil.rmtree(archive / ".docgen", ignore_errors=True)
    assert record_of(scoped(archive)) == whole
    edit(archive / "records/entities/org-005.yaml", "credit_class: A", "credit_class: E")  # an error, read here
    expected = outcome(check_without_cache(archive))
    shutil.rmtree(archive / ".docgen", ignore_errors=True)
    assert outcome(scoped(archive)) == expected


def test_work_shared_with_a_helper_comes_back_whole_and_in_order(monkeypatch):
    monkeypatch.setattr(split, "MIN_ITEMS", 1)
    monkeypatch.setattr(split, "CHUNK", 7)
    parent = os.getpid()
    def work(a, b):
        time.sleep(0.002)  # long enough for both to take some
        return [(i, os.getpid()) for i in range(a, b)]

    shared = split.Shared(1000, work)
    shared.start()
    time.sleep(0.2)  # what this process does meanwhile
    done = [item for chunk in shared.results() for item in chunk]
    assert [i for i, _pid in done] == list(range(1000))
    if split.can_fork():
        assert {pid for _i, pid in done} - {parent}  # the helper did some

    def failing_there(a, b):  # the helper fails: the chunks it took are worked here
        if os.getpid() != parent:
            raise RuntimeError("helper")
        return list(range(a, b))

    shared = split.Shared(1000, failing_there)
    shared.start()
    assert [i for chunk in shared.results() for i in chunk] == list(range(1000))


def test_real_draw_after_validate_writes_what_a_draw_without_caches_writes(archive, tmp_path):
    fresh(archive)
    other = tmp_path / "other"
    shutil.copytree(archive / "records", other / "records")
    settled()
    assert run_docgen("validate", cwd=archive).returncode == 0
    assert (archive / ".docgen/draw" / table.STORE).is_file()
    first = run_docgen("draw", PLAN, "--seed", SEED, cwd=archive)
    assert first.returncode == 0, first.stderr
    second = run_docgen("draw", PLAN, "--seed", SEED, cwd=other, env={"DOCGEN_CACHE_DIR": ""})
    assert second.returncode == 0, second.stderr
    assert not (other / ".docgen/draw").exists()
    written = sorted(p.relative_to(archive) for p in (archive / "records").rglob("*.yaml"))
    assert written == sorted(p.relative_to(other) for p in (other / "records").rglob("*.yaml"))
    for path in written:
        assert (archive / path).read_bytes() == (other / path).read_bytes(), path
    assert first.stdout == second.stdout
    verified = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_entities_of_a_kept_roster_are_records_when_asked(archive):
    fresh(archive)
    settled()
    check(archive)
    checked = check_for_draw(Archive(str(archive / "records")))
    entities = checked.index.entities
    assert isinstance(entities, table.Entities)
    whole = check(archive).index.entities
    assert set(entities) == set(whole) and len(entities) == len(whole)
    record = entities["org-005"]
    assert record.abspath == whole["org-005"].abspath and record.sha == whole["org-005"].sha
    assert record.data == {k: v for k, v in whole["org-005"].data.items() if k in table.FIELDS}
    assert "org-999" not in entities


VALUES = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",))), st.integers(), st.none(),
                   st.booleans(), st.floats(allow_nan=False), st.sampled_from(["A", "存续", 'a"b\\c', "\x00\n\u2028"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[VALUES] * len(table.FIELDS)), max_size=30), st.integers(1, 7))
def test_the_digest_made_from_columns_is_the_canonical_one(rows, step):
    from docgen.draw.algorithm import canonical, sha256

    columns = [list(column) for column in zip(*rows)] if rows else [[] for _ in table.FIELDS]
    kept_table = table.Table("/r", [str(i) for i in range(len(rows))], columns, [[] for _ in table.FIELDS], {}, True)
    assert kept_table.projection_digest(step) == sha256(canonical(kept_table.projected()))
