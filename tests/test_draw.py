"""Issue 5: the double random draw."""

import collections
import shutil

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import EXAMPLE, check, edit, inspection_files, line_of, run_docgen
from docgen.draw.algorithm import DrawImpossible, Inputs, class_quota, make_draw
from docgen.draw.run import run_draw, verify
from docgen.records.problems import DocgenError

PLAN = "qa-2023-30"


def make_inputs(per_class=(20, 12, 6, 3), departments=(("d1", 6), ("d2", 4)), conflicts=None, ratios=None,
                groups=None, per_department=2):
    conflicts = conflicts or {}
    plan = {"id": "p", "ratios": ratios or {"A": 5, "B": 10, "C": 20, "D": 50}, "ratio_floor": 3,
            "scope": {"entity_types": ["机构"]}, "lead_department": departments[0][0],
            "departments": [{"department": d} for d, _ in departments], "inspectors_per_department": per_department}
    if groups:
        plan["groups"] = groups
    entities = []
    for c, count in zip("ABCD", per_class):
        for i in range(count):
            entities.append({"id": f"e{c}{i:04d}", "credit_code": f"91{c}{i:015d}", "credit_class": c,
                             "type": "机构", "status": "存续"})
    deps = {d: {"id": d, "inspectors": [{"id": f"{d}-{i}", "conflicts": conflicts.get(f"{d}-{i}", [])}
                                        for i in range(n)],
                "vehicles": [{"plate": f"{d}-car"}]} for d, n in departments}
    return Inputs.from_records(plan, entities, deps)


def test_same_seed_same_draw_other_seed_other_draw():
    inputs = make_inputs()
    first, again = make_draw(inputs, "2023-10-31 527"), make_draw(inputs, "2023-10-31 527")
    assert first == again
    other = make_draw(inputs, "2023-10-31 528")
    assert other.entities != first.entities


def test_counts_per_class_exact():
    inputs = make_inputs(per_class=(20, 12, 6, 0))
    draw = make_draw(inputs, "s")
    # A: ceil(20×5%)=1; B: ceil(12×10%)=2; C: ceil(6×20%)=2; D: no entities
    assert draw.drawn == {"A": 1, "B": 2, "C": 2, "D": 0}
    assert draw.population == {"A": 20, "B": 12, "C": 6, "D": 0}
    classes = collections.Counter(e[1] for e in draw.entities)
    assert classes == {"A": 1, "B": 2, "C": 2}
    assert len(set(draw.entities)) == len(draw.entities)


def test_quota_rules():
    assert class_quota(0, 50, 3) == 0
    assert class_quota(5, 3, 3) == 1            # a class with entities yields at least one
    assert class_quota(100, 1, 3) == 3          # never below the floor
    assert class_quota(100, None, 3) == 3       # floor by default
    assert class_quota(101, 3, 3) == 4          # rounds up
    assert class_quota(10, 100, 3) == 10
    assert class_quota(3, 2.5, 2.5) == 1


@settings(max_examples=60, deadline=None)
@given(seed=st.text(min_size=1, max_size=20),
       conflicted=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 19)), max_size=25))
def test_conflicts_never_violated(seed, conflicted):
    conflicts = collections.defaultdict(list)
    for person, entity in conflicted:
        conflicts[f"d1-{person}"].append(f"eA{entity:04d}")
    inputs = make_inputs(per_class=(20, 0, 0, 0), ratios={"A": 50}, departments=(("d1", 6), ("d2", 4)),
                         conflicts=conflicts)
    try:
        draw = make_draw(inputs, seed)
    except DrawImpossible:
        # only when some drawn entity has fewer than 2 unconflicted inspectors in d1
        assert any(sum(f"eA{e:04d}" not in conflicts[f"d1-{p}"] for p in range(6)) < 2 for e in range(20))
        return
    for entity, assignment in draw.assignments.items():
        for dep, team in assignment["inspectors"].items():
            assert len(team) == 2 and len(set(team)) == 2
            for person in team:
                assert entity not in conflicts.get(person, [])


def test_work_spread_evenly():
    inputs = make_inputs(per_class=(40, 30, 20, 10), ratios={"A": 30, "B": 30, "C": 30, "D": 30},
                         departments=(("d1", 9), ("d2", 7), ("d3", 4)))
    draw = make_draw(inputs, "balance")
    assert len(draw.groups) == 2  # d3 has 4 inspectors: two groups of two
    for dep, size in (("d1", 9), ("d2", 7), ("d3", 4)):
        load = collections.Counter(pid for g in draw.groups for pid in g["inspectors"][dep])
        counts = [load.get(f"{dep}-{i}", 0) for i in range(size)]
        assert max(counts) - min(counts) <= 1
    sizes = [len(g["entities"]) for g in draw.groups]
    assert max(sizes) - min(sizes) <= 1
    assert [g["vehicle"] for g in draw.groups] == ["d1-car", "d2-car"]


def test_every_entity_equally_likely_chi_square():
    inputs = make_inputs(per_class=(20, 0, 0, 0), ratios={"A": 25})  # 5 of 20 per draw
    counts = collections.Counter()
    runs = 2000
    for n in range(runs):
        counts.update(make_draw(inputs, f"seed-{n}").entities)
    expected = runs * 5 / 20
    chi2 = sum((counts[f"eA{i:04d}"] - expected) ** 2 / expected for i in range(20))
    assert chi2 < 43.82, chi2  # chi-square, 19 degrees of freedom, p = 0.001


def test_impossible_draws():
    with pytest.raises(DrawImpossible, match="只有 1 名"):
        make_draw(make_inputs(departments=(("d1", 6), ("d2", 1))), "s")
    with pytest.raises(DrawImpossible, match="没有任何检查对象"):
        make_draw(make_inputs(per_class=(0, 0, 0, 0)), "s")
    with pytest.raises(DrawImpossible, match="5 个检查组"):
        make_draw(make_inputs(groups=5), "s")


# -- on the archive ------------------------------------------------------------------------------

def test_example_archive_draw_verifies(archive):
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "核对通过" in result.stdout
    draw = yaml.safe_load((archive / f"records/draws/{PLAN}-draw-1.yaml").read_text(encoding="utf-8"))
    assert draw["seed"] and draw["algorithm"] == "docgen-draw-1"
    assert sorted(draw["entities"]) == sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["entity"]
                                              for p in inspection_files(archive))


def tampered(archive) -> list[str]:
    ok, findings = verify(check(archive), PLAN)
    assert not ok
    return findings


def test_verify_names_a_swapped_entity(archive):
    path = inspection_files(archive)[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    drawn = {yaml.safe_load(p.read_text(encoding="utf-8"))["entity"] for p in inspection_files(archive)}
    other = next(f"org-{n:03d}" for n in range(1, 45) if f"org-{n:03d}" not in drawn)
    edit(path, f"entity: {data['entity']}", f"entity: {other}")
    findings = "\n".join(tampered(archive))
    assert other in findings and "不在抽取结果中" in findings
    assert data["entity"] in findings and "没有抽查记录" in findings


def test_verify_names_added_and_removed(archive):
    paths = inspection_files(archive)
    removed = yaml.safe_load(paths[1].read_text(encoding="utf-8"))["entity"]
    paths[1].unlink()
    findings = "\n".join(tampered(archive))
    assert removed in findings and "没有抽查记录" in findings


def test_verify_names_changed_inspectors(archive):
    path = inspection_files(archive)[2]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    person = data["inspectors"]["gaj"][0]
    unused = next(f"gaj-{n:02d}" for n in range(1, 8) if f"gaj-{n:02d}" not in data["inspectors"]["gaj"])
    edit(path, f"- {person}", f"- {unused}")
    findings = "\n".join(tampered(archive))
    assert path.name in findings and "部门 gaj 的检查人员" in findings
    # at the field, in the clerk's words (no Python list), and counted once
    have = "、".join(unused if p == person else p for p in data["inspectors"]["gaj"])
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text == "  gaj:")
    assert f"{path.name}:{line + 1}:3: " in findings and f"检查人员为 {have}，抽取结果为 " in findings and "[" not in findings
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 1 and "核对未通过：发现 1 处不一致。" in result.stdout


def test_verify_names_roster_changed_after_draw(archive):
    edit(archive / "records/entities/org-001.yaml", "credit_class: A", "credit_class: B")
    findings = "\n".join(tampered(archive))
    assert "检查对象名录库（entities）在抽取后有变动" in findings
    assert "日常维护也会使摘要不同" in findings and "git worktree add" in findings  # the way to check the draw itself
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)  # the advice is not counted as a difference
    assert result.returncode == 1 and "核对未通过：发现 1 处不一致。" in result.stdout
    edit(archive / "records/entities/org-001.yaml", "credit_class: B", "credit_class: A")
    edit(archive / "records/departments/xfjy.yaml", "- id: xfjy-01\n", "- id: xfjy-01\n  active: false\n")
    findings = "\n".join(tampered(archive))
    assert "departments/xfjy" in findings
    # a phone number is not part of the draw: changing it keeps the draw valid
    edit(archive / "records/departments/xfjy.yaml", "- id: xfjy-01\n  active: false\n", "- id: xfjy-01\n")
    text = (archive / "records/entities/org-001.yaml").read_text(encoding="utf-8")
    (archive / "records/entities/org-001.yaml").write_text(text.replace("phone: '", "phone: '0315", 1), encoding="utf-8")
    assert verify(check(archive), PLAN)[0]


def test_verify_names_edited_draw_record(archive):
    path = archive / f"records/draws/{PLAN}-draw-1.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    a, b = data["entities"][0], data["entities"][1]
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"- {a}\n", "- SWAP\n", 1).replace(f"- {b}\n", f"- {a}\n", 1).replace("- SWAP\n", f"- {b}\n", 1)
    path.write_text(text, encoding="utf-8")
    assert any("重新计算的结果不一致" in f for f in tampered(archive))


def test_draw_never_overwrites_and_redraw_keeps_old_record(archive):
    before = {p: p.read_bytes() for p in inspection_files(archive)}
    result = run_docgen("draw", PLAN, "--seed", "another", cwd=archive)
    assert result.returncode == 2 and "--redraw" in result.stderr
    redo = run_docgen("draw", PLAN, "--seed", "another", "--redraw", cwd=archive)
    assert redo.returncode == 2 and "不会覆盖或删除" in redo.stderr  # clerks have filled these in
    assert {p: p.read_bytes() for p in inspection_files(archive)} == before
    assert not (archive / f"records/draws/{PLAN}-draw-2.yaml").exists()


def test_fresh_draw_then_redraw(archive):
    shutil.rmtree(archive / "records/inspections")
    (archive / f"records/draws/{PLAN}-draw-1.yaml").unlink()
    first = run_docgen("draw", PLAN, "--seed", "公开种子 1", cwd=archive)
    assert first.returncode == 0, first.stderr
    written = {p.name: p.read_bytes() for p in inspection_files(archive)}
    assert written and not check(archive).errors
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0
    again = run_docgen("draw", PLAN, "--seed", "公开种子 2", "--redraw", cwd=archive)
    assert again.returncode == 0, again.stderr
    assert (archive / f"records/draws/{PLAN}-draw-1.yaml").exists()
    second = yaml.safe_load((archive / f"records/draws/{PLAN}-draw-2.yaml").read_text(encoding="utf-8"))
    assert second["replaces"] == f"{PLAN}-draw-1"
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0
    assert not check(archive).errors


def test_impossible_draw_writes_nothing(archive):
    shutil.rmtree(archive / "records/inspections")
    (archive / f"records/draws/{PLAN}-draw-1.yaml").unlink()
    dep = archive / "records/departments/gaj.yaml"
    text = dep.read_text(encoding="utf-8")
    for n in range(2, 8):  # gaj-08 is inactive already
        text = text.replace(f"- id: gaj-{n:02d}\n", f"- id: gaj-{n:02d}\n  active: false\n")
    dep.write_text(text, encoding="utf-8")
    with pytest.raises(DocgenError, match="无法抽取"):
        run_draw(check(archive), PLAN, "s")
    assert not (archive / "records/inspections").exists()
    assert not list((archive / "records/draws").glob("*.yaml"))


# -- issue 11: never over a clerk's file; all or nothing ------------------------------------------

def fresh(archive):
    """The example archive without the plan's draw: what `docgen draw` starts from."""
    shutil.rmtree(archive / "records/inspections")
    (archive / f"records/draws/{PLAN}-draw-1.yaml").unlink()
    return archive


def snapshot(archive) -> dict:
    """Every file under records/ with its bytes (the state a draw changes)."""
    return {p.relative_to(archive).as_posix(): p.read_bytes()
            for p in sorted((archive / "records").rglob("*")) if p.is_file()}


def drawn_entities(archive, seed="公开种子 1") -> list[str]:
    return make_draw(Inputs.from_records(
        yaml.safe_load((archive / f"records/plans/{PLAN}.yaml").read_text(encoding="utf-8")),
        [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (archive / "records/entities").glob("*.yaml")],
        {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (archive / "records/departments").glob("*.yaml")}),
        seed).entities


@pytest.mark.parametrize("content", ["plan: [unclosed\nentity: x\n", f"plan: {PLAN}x\nentity: ENTITY\nresult: 未发现问题\n",
                                     "", "just text\n"])
def test_any_file_where_draw_would_write_blocks_the_whole_draw(archive, content):
    fresh(archive)
    entity = drawn_entities(archive)[3]
    target = archive / f"records/inspections/{PLAN}/{entity}.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(content.replace("ENTITY", entity), encoding="utf-8")
    before = snapshot(archive)
    result = run_docgen("draw", PLAN, "--seed", "公开种子 1", cwd=archive)
    assert result.returncode == 2
    assert "不会覆盖或删除" in result.stderr and f"records/inspections/{PLAN}/{entity}.yaml" in result.stderr
    assert "未写入任何文件" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(archive) == before  # all or nothing: not even the other entities' records


def test_a_record_of_the_plan_that_cannot_be_read_blocks_the_draw(archive):
    fresh(archive)
    drawn = set(drawn_entities(archive))
    other = next(f"org-{n:03d}" for n in range(1, 45) if f"org-{n:03d}" not in drawn)
    stray = archive / f"records/inspections/{PLAN}/{other}.yaml"
    stray.parent.mkdir(parents=True)
    stray.write_text(f"plan: {PLAN}\nentity: {other}\ngroup: 一\n", encoding="utf-8")  # schema error
    result = run_docgen("draw", PLAN, "--seed", "公开种子 1", cwd=archive)
    assert result.returncode == 2 and stray.name in result.stderr
    assert not (archive / f"records/draws/{PLAN}-draw-1.yaml").exists()


def test_redraw_keeps_a_filled_record_and_replaces_nothing(archive):
    fresh(archive)
    assert run_docgen("draw", PLAN, "--seed", "s1", cwd=archive).returncode == 0
    path = inspection_files(archive)[0]
    path.write_text(path.read_text(encoding="utf-8") + "note: 已电话联系\n", encoding="utf-8")
    before = snapshot(archive)
    redo = run_docgen("draw", PLAN, "--seed", "s2", "--redraw", cwd=archive)
    assert redo.returncode == 2 and path.name in redo.stderr
    assert snapshot(archive) == before


def test_draw_on_an_invalid_plan_shows_its_errors(archive):
    plan = archive / f"records/plans/{PLAN}.yaml"
    edit(plan, "type: 联合抽查", "type: 联合检查")
    result = run_docgen("draw", PLAN, "--seed", "s", cwd=archive)
    assert result.returncode == 2
    assert "找不到" not in result.stderr
    line = line_of(plan, "type: 联合检查")
    assert f"records/plans/{PLAN}.yaml:{line}:7:" in result.stderr, result.stderr
    plan.write_text("id: [\n", encoding="utf-8")  # does not even parse
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 2 and f"records/plans/{PLAN}.yaml:2:1:" in result.stderr and "找不到" not in result.stderr


def test_a_roster_record_with_errors_stops_the_draw(archive):
    fresh(archive)
    edit(archive / "records/entities/org-005.yaml", "credit_class: ", "credit_class: E")
    result = run_docgen("draw", PLAN, "--seed", "s", cwd=archive)
    assert result.returncode == 2 and "records/entities/org-005.yaml:" in result.stderr
    assert not list((archive / "records/draws").glob("*.yaml"))


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


def interrupted(archive, monkeypatch, after: int, seed="公开种子 1", redraw=False):
    """Run a draw in this process that dies after `after` files were created."""
    from docgen import writer
    from docgen.draw import run as drawing

    calls = {"n": 0}
    real = writer.write_new

    def dying(path, data, **kw):
        if calls["n"] == after:
            raise Killed()
        calls["n"] += 1
        real(path, data, **kw)

    monkeypatch.setattr(drawing, "write_new", dying)
    with pytest.raises(Killed):
        run_draw(check(archive), PLAN, seed, redraw=redraw)
    monkeypatch.setattr(drawing, "write_new", real)


def clean_draw(tmp_path, seeds=("公开种子 1",)) -> dict:
    """What uninterrupted draws give, in an archive of their own."""
    other = tmp_path / "clean"
    shutil.copytree(EXAMPLE, other / "records")
    fresh(other)
    for n, seed in enumerate(seeds):
        args = ("--redraw",) if n else ()
        assert run_docgen("draw", PLAN, "--seed", seed, *args, cwd=other).returncode == 0
    return snapshot(other)


def test_interrupted_draw_is_reported_then_resumed(archive, tmp_path, monkeypatch):
    fresh(archive)
    interrupted(archive, monkeypatch, after=4)  # the draw record and three inspection records
    assert len(inspection_files(archive)) == 3
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    draw_path = archive / f"records/draws/{PLAN}-draw-1.yaml"
    line = line_of(draw_path, "status: in-progress")
    assert f"records/draws/{PLAN}-draw-1.yaml:{line}:9: 抽取未完成" in result.stdout, result.stdout
    assert f"docgen draw {PLAN} --resume" in result.stdout and "--rollback" in result.stdout
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 1
    built = run_docgen("build", cwd=archive)  # the plan's tables wait for the whole draw
    assert built.returncode == 1 and f"{PLAN}-draw-1.yaml 有错误，计划 {PLAN} 的汇总表未更新" in built.stdout, built.stdout
    assert not (archive / f"output/{PLAN}/06_人员分组及车辆安排情况表.xlsx").exists()
    other = run_docgen("draw", PLAN, "--seed", "另一个种子", cwd=archive)
    assert other.returncode == 2 and "抽取未完成" in other.stderr
    done = run_docgen("draw", PLAN, "--resume", cwd=archive)
    assert done.returncode == 0, done.stderr
    assert snapshot(archive) == clean_draw(tmp_path)
    assert run_docgen("validate", cwd=archive).returncode == 0
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0


def test_the_same_draw_again_finishes_the_interrupted_one(archive, tmp_path, monkeypatch):
    fresh(archive)
    interrupted(archive, monkeypatch, after=7)
    again = run_docgen("draw", PLAN, "--seed", "公开种子 1", cwd=archive)
    assert again.returncode == 0 and "继续完成" in again.stdout, again.stderr
    assert snapshot(archive) == clean_draw(tmp_path)


def test_interrupted_draw_rolled_back(archive, monkeypatch):
    fresh(archive)
    before = snapshot(archive)
    interrupted(archive, monkeypatch, after=5)
    done = run_docgen("draw", PLAN, "--rollback", cwd=archive)
    assert done.returncode == 0, done.stderr
    assert snapshot(archive) == before
    assert run_docgen("draw", PLAN, "--resume", cwd=archive).returncode == 2  # nothing left to resume


def test_interrupted_redraw_rolled_back_restores_the_replaced_records(archive, tmp_path, monkeypatch):
    fresh(archive)
    assert run_docgen("draw", PLAN, "--seed", "s1", cwd=archive).returncode == 0
    before = snapshot(archive)
    interrupted(archive, monkeypatch, after=3, seed="s2", redraw=True)
    assert run_docgen("validate", cwd=archive).returncode == 1
    assert run_docgen("draw", PLAN, "--rollback", cwd=archive).returncode == 0
    assert snapshot(archive) == before
    interrupted(archive, monkeypatch, after=6, seed="s2", redraw=True)
    assert run_docgen("draw", PLAN, "--resume", cwd=archive).returncode == 0
    assert snapshot(archive) == clean_draw(tmp_path, ("s1", "s2"))


def test_resume_and_rollback_never_touch_an_edited_file(archive, monkeypatch):
    fresh(archive)
    interrupted(archive, monkeypatch, after=3)
    edited = inspection_files(archive)[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "note: 已填写\n", encoding="utf-8")
    kept = edited.read_bytes()
    back = run_docgen("draw", PLAN, "--rollback", cwd=archive)
    assert back.returncode == 2 and edited.name in back.stderr
    assert edited.read_bytes() == kept
    assert (archive / f"records/draws/{PLAN}-draw-1.yaml").exists()  # still reported as unfinished
    assert "抽取未完成" in run_docgen("validate", cwd=archive).stdout


def test_a_doctored_journal_cannot_delete_a_clerks_record(archive, monkeypatch):
    """`writes` names the hash of a filled record: rollback deletes only what the draw record itself makes."""
    fresh(archive)
    interrupted(archive, monkeypatch, after=2)
    written = inspection_files(archive)[0]
    written.write_text(written.read_text(encoding="utf-8") + "note: 已填写\n", encoding="utf-8")
    import hashlib

    draw_path = archive / f"records/draws/{PLAN}-draw-1.yaml"
    text = draw_path.read_text(encoding="utf-8")
    journal = yaml.safe_load(text)
    old_sha = journal["writes"][written.stem]
    draw_path.write_text(text.replace(old_sha, hashlib.sha256(written.read_bytes()).hexdigest()), encoding="utf-8")
    kept = written.read_bytes()
    assert run_docgen("draw", PLAN, "--rollback", cwd=archive).returncode == 2
    assert written.read_bytes() == kept
    assert run_docgen("draw", PLAN, "--resume", cwd=archive).returncode == 2
    assert written.read_bytes() == kept


def test_old_draw_records_stay_valid_and_keep_their_bytes(archive):
    """The example's draw record (written before draws were journalled) validates and verifies."""
    path = archive / f"records/draws/{PLAN}-draw-1.yaml"
    before = path.read_bytes()
    checked = check(archive)
    assert not [p for p in checked.problems if p.path.endswith(path.name)]
    assert verify(checked, PLAN)[0]
    assert path.read_bytes() == before


def test_a_recusal_written_as_a_credit_code_stops_the_draw(archive):
    """A clerk who writes the entity's 统一社会信用代码 as a recusal: the draw never ignores it (it
    would send that inspector), it stops and names the id to write instead."""
    shutil.rmtree(archive / "records" / "inspections" / PLAN)
    shutil.rmtree(archive / "records" / "draws")
    codes = [yaml.safe_load(p.read_text(encoding="utf-8"))["credit_code"]
             for p in sorted((archive / "records" / "entities").glob("*.yaml"))]
    edit(archive / "records/departments/jyj.yaml", "- id: jyj-01\n",
         "- id: jyj-01\n  conflicts:\n" + "".join(f"  - '{c}'\n" for c in codes))
    warned = run_docgen("validate", cwd=archive)
    assert "不是统一社会信用代码" in warned.stdout
    result = run_docgen("draw", PLAN, "--seed", "2023-10-31 527", cwd=archive)
    assert result.returncode != 0 and "jyj-01 的回避对象写的是统一社会信用代码" in result.stderr
    assert "请改为“org-" in result.stderr
    assert not list((archive / "records").glob("inspections/*/*.yaml"))


@settings(max_examples=60, deadline=None)
@given(seed=st.text(min_size=1, max_size=10),
       conflicted=st.lists(st.tuples(st.sampled_from(["d1", "d2"]), st.integers(0, 5), st.integers(0, 19)),
                           max_size=20))
def test_records_made_from_the_draw_record_match_the_draw(seed, conflicted):
    """The draw record alone rebuilds every assignment (what --resume, --rollback and --redraw rely on),
    also when the lead department is not listed first and a leader must step aside."""
    from docgen.draw.run import draw_data
    from docgen.records.draws import assignments_of

    conflicts = collections.defaultdict(list)
    for dep, person, entity in conflicted:
        conflicts[f"{dep}-{person}"].append(f"eA{entity:04d}")
    inputs = make_inputs(per_class=(20, 0, 0, 0), ratios={"A": 50}, departments=(("d1", 6), ("d2", 6)),
                         conflicts=conflicts)
    inputs.plan["lead_department"] = "d2"
    try:
        draw = make_draw(inputs, seed)
    except DrawImpossible:
        return
    rebuilt = assignments_of(draw_data("p-draw-1", "p", draw, None))
    assert rebuilt == {e: {**a, "vehicle": a["vehicle"]} for e, a in draw.assignments.items()}


def test_verify_names_a_changed_vehicle_and_draw_id(archive):
    path = inspection_files(archive)[2]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(path, f"vehicle: {data['vehicle']}", "vehicle: 冀B·X9999")
    edit(path, f"draw: {data['draw']}", "draw: qa-2023-30-draw-9")
    findings = "\n".join(tampered(archive))
    assert path.name in findings and "车辆为 冀B·X9999" in findings and "抽取记录编号为 qa-2023-30-draw-9" in findings


@pytest.mark.parametrize("broken", [
    lambda text: text.replace("seed: ", "seed: [", 1),          # cannot be read at all
    lambda text: text.replace("algorithm: ", "algorithm: 5\nextra: ", 1),  # read, but not a valid draw record
    lambda text: text.replace(f"id: {PLAN}-draw-2\n", "", 1),  # no id: its number is in its name
])
def test_verify_never_checks_an_older_draw_when_the_newest_has_errors(archive, broken):
    """A later draw record (a redraw) with an error: the inspections may be that draw's, so checking
    the older valid one instead and saying 核对通过 would vouch for the wrong draw."""
    first = archive / f"records/draws/{PLAN}-draw-1.yaml"
    text = first.read_text(encoding="utf-8").replace(f"id: {PLAN}-draw-1", f"id: {PLAN}-draw-2")
    (archive / f"records/draws/{PLAN}-draw-2.yaml").write_text(broken(text), encoding="utf-8")
    ok, findings = verify(check(archive), PLAN)
    assert not ok and f"{PLAN}-draw-2.yaml 有错误，无法核对" in findings[0]
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 1 and "核对未通过" in result.stdout and "draw-2.yaml 有错误" in result.stdout
    (archive / f"records/draws/{PLAN}-draw-2.yaml").unlink()  # an older draw with errors does not matter
    assert verify(check(archive), PLAN)[0]


def test_a_seed_with_an_invisible_character_is_refused_before_anything_is_written(archive):
    shutil.rmtree(archive / "records" / "inspections" / "qa-2023-30")
    shutil.rmtree(archive / "records" / "draws")
    result = run_docgen("draw", "qa-2023-30", "--seed", "2023-10-31 527\r", cwd=archive)
    assert result.returncode == 2 and "U+000D" in result.stderr
    assert not (archive / "records" / "draws").exists() or not list((archive / "records" / "draws").iterdir())


def test_verify_says_when_this_version_cannot_recompute_a_draw(archive, monkeypatch):
    """A draw an older docgen made that this one refuses (a recusal by credit code): a finding, never an
    internal error."""
    from docgen.draw import run

    def refuse(*args, **kwargs):
        raise DrawImpossible("部门“迁安市教育局”的执法人员 jyj-03 的回避对象写的是统一社会信用代码")

    monkeypatch.setattr(run, "make_draw", refuse)
    ok, findings = verify(check(archive), PLAN)
    assert not ok and any("无法用本版 docgen 复算" in f and "jyj-03" in f for f in findings)


def test_verify_held_back_by_a_roster_error_says_verify(archive):
    """A new, still blank department file holds the verification back: the message says what waits (核对),
    not 抽取, which the clerk did not ask for."""
    assert run_docgen("new", "department", "sjj", cwd=archive).returncode == 0
    result = run_docgen("draw", "qa-2023-30", "--verify", cwd=archive)
    assert result.returncode == 2 and "修正后才能核对" in result.stderr and "抽取：" not in result.stderr
    assert "sjj.yaml:" in result.stderr
