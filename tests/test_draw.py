"""Issue 5: the double random draw."""

import collections
import shutil

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from conftest import check, edit, inspection_files, run_docgen
from docgen.draw import DrawImpossible, Inputs, class_quota, make_draw
from docgen.drawing import run_draw, verify
from docgen.problems import DocgenError

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


def test_verify_names_roster_changed_after_draw(archive):
    edit(archive / "records/entities/org-001.yaml", "credit_class: A", "credit_class: B")
    findings = "\n".join(tampered(archive))
    assert "检查对象名录库（entities）在抽取后有变动" in findings
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
