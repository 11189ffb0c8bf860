"""Issue 14: 一单两库一指引 and the current inspection rules — each department's item list, inspectors'
legal standing (qualification, 执法证 validity), assisting specialists, a yearly cap across plans,
and what a 告知书 must state."""

import re
import shutil
import zipfile

import pytest
import yaml
from openpyxl import Workbook

from conftest import build_example, check, edit, inspection_files, line_of, problems_for, run_docgen
from docgen.draw.algorithm import DrawImpossible, Inputs, make_draw
from docgen.documents.textconv import textconv

PLAN = "qa-2023-30"
SEED = "2023-10-31 福彩3D 第2023290期 开奖号码 527"


def errors(checked, path, text):
    return [p for p in problems_for(checked, path) if p.is_error and text in p.message]


def warnings(checked, path, text):
    return [p for p in problems_for(checked, path) if not p.is_error and text in p.message]


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def inspection_of(archive, inspector):
    """The first inspection record (by name) whose team holds `inspector`."""
    for path in inspection_files(archive):
        if any(inspector in ids for ids in load(path)["inspectors"].values()):
            return path
    raise AssertionError(inspector)


def undrawn(archive, plan=PLAN):
    """The archive before its draw: no inspection or draw record of the plan."""
    shutil.rmtree(archive / "records" / "inspections" / plan)
    for path in (archive / "records" / "draws").glob(f"{plan}-draw-*.yaml"):
        path.unlink()


def drawn_inspectors(draw):
    return {pid for group in draw["groups"] for ids in group["inspectors"].values() for pid in ids} | \
        {s["by"] for s in draw.get("substitutions") or []}


# -- the item lists ------------------------------------------------------------------------------

def test_plan_item_missing_from_the_list(archive):
    plan = archive / "records/plans/qa-2023-30.yaml"
    edit(plan, "  - gaj-sx-1\n", "  - gaj-sx-9\n")
    checked = check(archive)
    [problem] = errors(checked, plan, "抽查事项“gaj-sx-9”不在部门“gaj”的抽查事项清单")
    assert (problem.line, problem.column) == (line_of(plan, "- gaj-sx-9"), 5)
    assert "gaj-sx-1" in problem.message  # what the list holds
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    assert f"records/plans/qa-2023-30.yaml:{problem.line}:5: 抽查事项“gaj-sx-9”" in result.stdout


def test_department_without_a_list_is_sent_to_migrate(archive):
    (archive / "records/items/xfjy.yaml").unlink()
    plan = archive / "records/plans/qa-2023-30.yaml"
    checked = check(archive)
    [problem] = errors(checked, plan, "部门“xfjy”还没有抽查事项清单")
    assert "docgen migrate" in problem.message


def test_documents_take_items_and_legal_basis_from_the_list(archive):
    edit(archive / "records/items/xfjy.yaml", "name: 履行法定消防安全职责情况", "name: 消防安全职责履行情况")
    edit(archive / "records/items/xfjy.yaml", "basis: 《中华人民共和国消防法》第十六条",
         "basis: 《中华人民共和国消防法》第十六条、第十七条")
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    letter = textconv(str(next(out.glob("02_告知书_*.docx"))))
    assert "3．迁安市消防救援大队：消防安全职责履行情况。检查依据：《中华人民共和国消防法》第十六条、第十七条。" in letter
    assert "1．迁安市教育局：从业人员资质、教材使用情况、监管平台购销课情况。检查依据：《中华人民共和国教师法》第十条；" in letter
    # an inspection nobody has filled in yet lists the items from the list on its 04
    blank = next(p for p in inspection_files(archive) if "departments" not in load(p))
    name = load(archive / "records/entities" / blank.name)["name"]
    record = textconv(str(out / f"04_实地核查记录表_{name}.docx"))
    assert "迁安市消防救援大队 | 消防安全职责履行情况 |" in record


# -- inspectors: qualification and 执法证 -------------------------------------------------------------

def test_unqualified_inspector_is_an_error_and_never_drawn(archive):
    roster = archive / "records/departments/gaj.yaml"
    path = inspection_of(archive, "gaj-02")
    text = roster.read_text(encoding="utf-8")
    start = text.index("- id: gaj-02")
    roster.write_text(text[:start] + text[start:].replace("  - 治安管理\n", "  - 户籍管理\n", 1), encoding="utf-8")
    checked = check(archive)
    [problem] = errors(checked, path, "不具备本部门所选抽查事项要求的资格“治安管理”")
    assert "gaj-02" in problem.message and problem.line == line_of(path, "- gaj-02")

    undrawn(archive)
    result = run_docgen("draw", PLAN, "--seed", SEED, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    draw = load(archive / f"records/draws/{PLAN}-draw-1.yaml")
    assert "gaj-02" not in drawn_inspectors(draw)
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0


def test_expired_certificate_is_an_error_and_left_out_of_the_draw(archive):
    roster = archive / "records/departments/jyj.yaml"
    path = inspection_of(archive, "jyj-06")
    text = roster.read_text(encoding="utf-8")
    start = text.index("- id: jyj-06")
    old = text[start:].split("badge_valid_until: ", 1)[1].split("\n", 1)[0]
    roster.write_text(text[:start] + text[start:].replace(f"badge_valid_until: {old}",
                                                          "badge_valid_until: '2023-11-03'", 1), encoding="utf-8")
    checked = check(archive)
    [problem] = errors(checked, path, "的执法证有效期至 2023-11-03")
    assert "jyj-06" in problem.message and "不能检查" in problem.message
    assert problem.line == line_of(path, "- jyj-06")

    undrawn(archive)
    result = run_docgen("draw", PLAN, "--seed", SEED, cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "执法证到期，未参加抽取：迁安市教育局 jyj-06（执法证有效期至 2023-11-03" in result.stdout
    draw = load(archive / f"records/draws/{PLAN}-draw-1.yaml")
    assert draw["expired"] == [{"department": "jyj", "inspector": "jyj-06", "valid_until": "2023-11-03"}]
    assert "jyj-06" not in drawn_inspectors(draw)
    verified = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # the record of who was left out is checked like the rest of the draw
    draw_path = archive / f"records/draws/{PLAN}-draw-1.yaml"
    edit(draw_path, "valid_until: '2023-11-03'", "valid_until: '2023-11-02'")
    tampered = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert tampered.returncode != 0 and "「expired」" in tampered.stdout


def test_certificate_valid_on_the_visit_day_is_enough(archive):
    """The 执法证 is checked on the visit day once there is one, on the plan's end before."""
    roster = archive / "records/departments/jyj.yaml"
    path = inspection_of(archive, "jyj-06")
    visit = load(path)["dates"]["visit"]
    text = roster.read_text(encoding="utf-8")
    start = text.index("- id: jyj-06")
    old = text[start:].split("badge_valid_until: ", 1)[1].split("\n", 1)[0]
    roster.write_text(text[:start] + text[start:].replace(f"badge_valid_until: {old}",
                                                          f"badge_valid_until: '{visit}'", 1), encoding="utf-8")
    assert not errors(check(archive), path, "执法证有效期")


def make_inputs(valid_until=None, lacking=(), cap=None, earlier=None, per_class=(12, 8, 4, 2)):
    plan = {"id": "p", "ratios": {"A": 20, "B": 20, "C": 30, "D": 50}, "ratio_floor": 3,
            "scope": {"entity_types": ["机构"]}, "lead_department": "d1", "period": {"start": "2025-03-01",
                                                                                     "end": "2025-03-31"},
            "departments": [{"department": "d1"}, {"department": "d2"}], "inspectors_per_department": 2}
    if cap is not None:
        plan["yearly_cap"] = cap
    entities = [{"id": f"e{c}{i:03d}", "credit_code": f"91{c}{i:015d}", "credit_class": c, "type": "机构",
                 "status": "存续"} for c, count in zip("ABCD", per_class) for i in range(count)]
    deps = {}
    for d in ("d1", "d2"):
        people = []
        for i in range(6):
            pid = f"{d}-{i}"
            person = {"id": pid, "qualifications": [] if pid in lacking else ["资格"]}
            if valid_until and pid in valid_until:
                person["badge_valid_until"] = valid_until[pid]
            people.append(person)
        deps[d] = {"id": d, "inspectors": people, "vehicles": [{"plate": f"{d}-car"}]}
    return Inputs.from_records(plan, entities, deps, {"d1": ["资格"], "d2": ["资格"]}, earlier)


def test_draw_rules_on_the_pure_algorithm():
    plain = make_inputs()
    # certificates valid to the plan's end, or not recorded, change nothing: same digests, same draw
    same = make_inputs(valid_until={"d1-0": "2025-03-31", "d2-3": "2030-01-01"})
    assert same.digests() == plain.digests() and make_draw(same, "s") == make_draw(plain, "s")
    assert "inspections" not in plain.digests()
    for seed in ("a", "b", "c", "d"):
        draw = make_draw(make_inputs(valid_until={"d1-0": "2025-03-30", "d1-1": "2025-01-01"},
                                     lacking=("d2-2",)), seed)
        used = {p for g in draw.groups for ids in g["inspectors"].values() for p in ids}
        assert not used & {"d1-0", "d1-1", "d2-2"}
        assert draw.expired == [{"department": "d1", "inspector": "d1-0", "valid_until": "2025-03-30"},
                                {"department": "d1", "inspector": "d1-1", "valid_until": "2025-01-01"}]
    with pytest.raises(DrawImpossible, match="执法证在计划结束前有效"):
        make_draw(make_inputs(valid_until={f"d2-{i}": "2025-02-01" for i in range(5)}), "s")


def test_yearly_cap_on_the_pure_algorithm():
    inspected = {"eA000": ["p0"], "eA001": ["p0", "p00"], "eD001": ["p0"]}
    capped = make_inputs(cap=1, earlier=inspected)
    draw = make_draw(capped, "s")
    assert draw.capped == ["eA000", "eA001", "eD001"]
    assert not set(draw.entities) & set(draw.capped)
    assert draw.population == {"A": 10, "B": 8, "C": 4, "D": 1}
    assert make_draw(make_inputs(cap=2, earlier=inspected), "s").capped == ["eA001"]
    assert "inspections" in capped.digests()
    with pytest.raises(DrawImpossible, match="都已达到上限"):
        make_draw(make_inputs(cap=1, per_class=(1, 0, 0, 0), earlier={"eA000": ["p0"]}), "s")


# -- the yearly cap and repeat inspections across plans ---------------------------------------------

def second_plan(archive, cap=None, start="2023-12-01", end="2023-12-20", plan_id="qa-2023-31"):
    text = (archive / "records/plans/qa-2023-30.yaml").read_text(encoding="utf-8")
    text = text.replace("id: qa-2023-30", f"id: {plan_id}").replace("〔2023〕30号", "〔2023〕31号")
    text = text.replace("  start: '2023-11-01'\n  end: '2023-11-30'", f"  start: '{start}'\n  end: '{end}'")
    text = text.replace("confirmations:\n  gaj: '2023-11-01'\n  xfjy: '2023-11-02'\n", "")
    text = text.replace("draw_date: '2023-10-31'\n", "")
    if cap:
        text = text.replace("inspectors_per_department: 2\n", f"inspectors_per_department: 2\nyearly_cap: {cap}\n")
    # every entity of the roster in scope, so that the first plan's ten are among those capped
    text = text.replace("ratios:\n  A: 10\n  B: 15\n  C: 30\n  D: 50", "ratios:\n  A: 50\n  B: 50\n  C: 50\n  D: 50")
    path = archive / f"records/plans/{plan_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_entities_at_the_yearly_cap_are_left_out_and_listed(archive):
    second_plan(archive, cap=1)
    first = [load(p)["entity"] for p in inspection_files(archive)]
    roster = {e: load(archive / f"records/entities/{e}.yaml") for e in first}
    in_scope = sorted((e for e in first if roster[e]["type"] == "校外培训机构" and roster[e]["status"] == "存续"),
                      key=lambda e: (roster[e]["credit_code"], e))
    result = run_docgen("draw", "qa-2023-31", "--seed", "2023-11-30 527", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"本年度检查次数已达上限（1 次），未参加抽取的检查对象 {len(in_scope)} 个" in result.stdout
    assert roster[in_scope[0]]["name"] in result.stdout
    draw = load(archive / "records/draws/qa-2023-31-draw-1.yaml")
    assert draw["capped"] == in_scope
    assert not set(draw["entities"]) & set(first)
    assert "inspections" in draw["digests"]
    verified = run_docgen("draw", "qa-2023-31", "--verify", cwd=archive)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # a plan that starts later does not change either draw: both still verify
    second_plan(archive, cap=1, start="2023-12-21", end="2023-12-29", plan_id="qa-2023-32")
    assert run_docgen("draw", "qa-2023-32", "--seed", "x", cwd=archive).returncode == 0
    for plan in (PLAN, "qa-2023-31", "qa-2023-32"):
        again = run_docgen("draw", plan, "--verify", cwd=archive)
        assert again.returncode == 0, (plan, again.stdout + again.stderr)
    # the first plan's inspections are what the cap counted: removing one is named by --verify
    inspection_files(archive)[0].unlink()
    changed = run_docgen("draw", "qa-2023-31", "--verify", cwd=archive)
    assert changed.returncode != 0 and "本年度此前各计划的抽查记录" in changed.stdout


def test_repeat_inspection_in_the_same_year_is_warned(archive):
    second_plan(archive, cap=1)
    source = inspection_files(archive)[0]
    entity = load(source)["entity"]
    folder = archive / "records/inspections/qa-2023-31"
    folder.mkdir()
    text = source.read_text(encoding="utf-8").replace("plan: qa-2023-30", "plan: qa-2023-31")
    text = text.replace(f"draw: {PLAN}-draw-1\n", "")
    (folder / source.name).write_text(text, encoding="utf-8")
    checked = check(archive)
    [warning] = warnings(checked, folder / source.name, f"检查对象“{entity}”在 2023 年已被计划 qa-2023-30 抽查")
    assert "第 2 次" in warning.message and "超过本计划规定的每年最多 1 次" in warning.message
    assert warning.line == line_of(folder / source.name, "entity:")
    assert not warnings(checked, source, "已被计划")  # the first inspection of the year is not a repeat
    result = run_docgen("validate", cwd=archive)
    assert "警告：检查对象" in result.stdout and "第 2 次检查" in result.stdout


# -- 协助人员 and the 告知书 ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_example(tmp_path_factory, "rules") / "output" / PLAN


def group_entities(group):
    from conftest import EXAMPLE

    names = {}
    for path in sorted((EXAMPLE / "inspections" / PLAN).glob("*.yaml")):
        data = load(path)
        names[load(EXAMPLE / "entities" / f"{data['entity']}.yaml")["name"]] = data["group"]
    return sorted(n for n, g in names.items() if g == group), sorted(n for n, g in names.items() if g != group)


def test_notice_states_the_four_required_elements(built):
    for path in built.glob("02_告知书_*.docx"):
        text = textconv(str(path))
        # 1. the task's source: the plan and its number
        assert "本次检查的任务来源：《关于开展迁安市2023年度跨部门“双随机、一公开”联合抽查的通知》（迁双随机办〔2023〕30号）。" in text
        # 2. the frequency
        assert "检查频次：本次抽查按信用风险分类确定抽查比例（不低于3%），同一年度内对同一检查对象的跨部门联合抽查原则上不超过1次。" in text
        # 3. the right to apply for recusal
        assert "可能影响公正检查的，你单位有权申请其回避。" in text
        # 4. the remedies
        assert "六十日内依法向迁安市人民政府申请行政复议" in text and "六个月内依法向迁安市人民法院提起行政诉讼" in text


def test_notice_frequency_and_remedies_follow_the_plan(archive):
    plan = archive / "records/plans/qa-2023-30.yaml"
    text = plan.read_text(encoding="utf-8")
    start = text.index("  frequency: ")
    text = text[:start] + text[text.index("\n", start) + 1:]
    text = text.replace("  reconsideration: 迁安市人民政府\n", "").replace("  court: 迁安市人民法院\n", "")
    text = text.replace("inspectors_per_department: 2\n", "inspectors_per_department: 2\nyearly_cap: 2\n")
    plan.write_text(text, encoding="utf-8")
    assert run_docgen("build", cwd=archive).returncode == 0
    letter = textconv(str(next((archive / "output" / PLAN).glob("02_告知书_*.docx"))))
    assert "检查频次：同一年度内对同一检查对象的检查（各抽查计划合计）不超过2次。" in letter
    assert "六十日内依法申请行政复议，或者自知道该行政行为之日起六个月内依法提起行政诉讼。" in letter


def test_a_notice_not_yet_served_is_left_undated(built):
    """Without the day it was served, the 告知书's date is left for the clerk to write in: the plan's
    issue date (2023-10-30) came before the draw (2023-10-31) that chose the entity."""
    undated = textconv(str(built / "02_告知书_迁安市凌云艺术培训学校（示例）.docx"))  # org-048: no dates
    assert "\u3000\u3000年\u3000\u3000月\u3000\u3000日" in undated and "2023年10月30日" not in undated
    served = textconv(str(built / "02_告知书_迁安市天天向上语言培训学校（示例）.docx"))  # org-033: served 11-22
    assert "2023年11月22日" in served


def test_the_notice_announces_the_visit_day_agreed_on_the_call(built):
    """org-033's call fixed 27 November before its 告知书 was served: the letter says so instead of
    the plan's period and "具体时间另行电话告知"; org-048 (no call, no visit) keeps the period."""
    agreed = textconv(str(built / "02_告知书_迁安市天天向上语言培训学校（示例）.docx"))
    assert "检查组定于2023年11月27日到你单位进行检查。" in agreed and "另行电话告知" not in agreed
    open_day = textconv(str(built / "02_告知书_迁安市凌云艺术培训学校（示例）.docx"))
    assert "期间到你单位进行检查，具体时间另行电话告知。" in open_day
    # the 人员分组及车辆安排 table, made before the visits, shows the day agreed beside the entity
    table = textconv(str(built / "06_人员分组及车辆安排情况表.xlsx"))
    assert any("2023年11月27日 | 迁安市天天向上语言培训学校（示例）" in line for line in table.splitlines())


def test_a_served_notice_keeps_what_it_said_when_the_visit_is_recorded(archive):
    """org-021's letter was served on 2 November with no day agreed: it said the plan's period and
    "具体时间另行电话告知", and recording the visit on the 8th later does not rewrite it as if it had
    named that day; a letter served at the door on the visit day names it."""
    path = archive / "records/inspections" / PLAN / "org-021.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  notice_served: '2023-11-02'\n  visit: '2023-11-08'\n" in text
    edit(path, "  outcome: 已告知，约定11月8日上午现场检查\n  agreed_visit: '2023-11-08'\n", "  outcome: 已告知\n")
    assert run_docgen("build", cwd=archive).returncode == 0
    name = yaml.safe_load((archive / "records/entities/org-021.yaml").read_text(encoding="utf-8"))["name"]
    letter = archive / "output" / PLAN / f"02_告知书_{name}.docx"
    said = textconv(str(letter))
    assert "期间到你单位进行检查，具体时间另行电话告知。" in said and "2023年11月8日" not in said
    edit(path, "  notice_served: '2023-11-02'", "  notice_served: '2023-11-08'")
    assert run_docgen("build", cwd=archive).returncode == 0
    assert "检查组定于2023年11月8日到你单位进行检查。" in textconv(str(letter))


def test_agreed_visit_day_wins_over_the_visit_and_is_checked(archive):
    """The letter served says the day agreed, even when the visit then took place on another day;
    an edit of the agreed day re-renders the letter; a day before the call, before the letter was
    served or after the plan's period is a warning at the field."""
    assert run_docgen("build", cwd=archive).returncode == 0
    letter = archive / "output" / PLAN / "02_告知书_迁安市育才体育培训学校（示例）.docx"
    assert "检查组定于2023年11月7日到你单位进行检查" in textconv(str(letter))
    path = archive / "records/inspections" / PLAN / "org-002.yaml"
    edit(path, "  outcome: 已告知，约定11月7日上午现场检查\n  agreed_visit: '2023-11-07'\n",
         "  outcome: 已告知，约定11月6日上午现场检查\n  agreed_visit: '2023-11-06'\n")
    assert run_docgen("build", cwd=archive).returncode == 0
    assert "检查组定于2023年11月6日到你单位进行检查" in textconv(str(letter))
    assert not [p for p in problems_for(check(archive), path) if "约定检查日期" in p.message]
    for day, said in (("2023-10-31", "早于电话告知的日期 2023-11-01"), ("2023-12-05", "晚于抽查计划的检查期限 2023-11-30")):
        edit(path, "agreed_visit: '2023-11-06'" if day == "2023-10-31" else "agreed_visit: '2023-10-31'",
             f"agreed_visit: '{day}'")
        found = warnings(check(archive), path, "约定检查日期")
        assert [p.line for p in found] == [line_of(path, "agreed_visit:")] and said in found[0].message
    edit(path, "agreed_visit: '2023-12-05'", "agreed_visit: '2023-11-02'")
    edit(path, "  notice_served: '2023-11-01'", "  notice_served: '2023-11-03'")
    found = warnings(check(archive), path, "约定检查日期")
    assert len(found) == 1 and "早于「告知书送达日期」2023-11-03" in found[0].message


def test_an_inspection_out_of_its_place_is_an_error(archive):
    """Set aside in a subfolder, named for another entity, or in another plan's folder: still read,
    printed and counted, so each is an error at the field that says where it belongs."""
    folder = archive / "records/inspections" / PLAN
    (folder / "备份").mkdir()
    (folder / "org-033.yaml").rename(folder / "备份" / "org-033.yaml")
    (folder / "org-002.yaml").rename(folder / "org-099.yaml")
    other = archive / "records/inspections/qa-2023-31"
    other.mkdir()
    (folder / "org-031.yaml").rename(other / "org-031.yaml")
    checked = check(archive)
    aside = errors(checked, folder / "备份" / "org-033.yaml", "不用的记录请删除，或移出 records/")
    assert [(p.line, p.column) for p in aside] == [(line_of(folder / "备份" / "org-033.yaml", "plan:"), 7)]
    assert errors(checked, folder / "org-099.yaml", "文件名却是“org-099”：应为 org-002.yaml")
    assert errors(checked, other / "org-031.yaml", "却放在文件夹“qa-2023-31”中：应放在 records/inspections/qa-2023-30/ 中")
    assert not [p for p in checked.problems if "文件名却是" in p.message or "却放在" in p.message or "不用的记录" in p.message
                if not p.path.endswith(("org-033.yaml", "org-099.yaml", "org-031.yaml"))]


@pytest.mark.parametrize("aside", ["old", "备份"])
def test_a_copy_set_aside_is_the_duplicate_whatever_its_folder_is_called(archive, aside):
    """The same entity's record copied into a subfolder: the duplicate error is on the copy (out of
    its place), never on the record where it belongs, which keeps its documents; and `draw --verify`
    does not pass while an altered copy is there."""
    folder = archive / "records/inspections" / PLAN
    (folder / aside).mkdir()
    copy = folder / aside / "org-007.yaml"
    copy.write_text((folder / "org-007.yaml").read_text(encoding="utf-8").replace("- gaj-03", "- gaj-01"),
                    encoding="utf-8")
    checked = check(archive)
    assert not problems_for(checked, folder / "org-007.yaml") or not any(
        "重复" in p.message for p in problems_for(checked, folder / "org-007.yaml"))
    assert errors(checked, copy, "抽查记录重复")
    built = run_docgen("build", cwd=archive)
    assert "qa-2023-30/org-007.yaml 有错误" not in built.stdout.replace("\\", "/")
    verified = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert verified.returncode == 1 and "的又一份抽查记录" in verified.stdout and f"{aside}/org-007.yaml" in \
        verified.stdout.replace("\\", "/")


def test_record_form_keeps_the_rows_a_department_has_not_written(archive):
    """One item written by 教育局 and only a result by 公安局: the 实地核查记录表 still has a row for
    every item of every department's list, the written one filled, the others blank for the pen."""
    path = archive / "records/inspections" / PLAN / "org-033.yaml"
    path.write_text(path.read_text(encoding="utf-8") + (
        "departments:\n  jyj:\n    items:\n    - item: 从业人员资质\n      finding: 未发现问题\n      handling: 无\n"
        "  gaj:\n    results:\n    - 未发现问题\n"), encoding="utf-8")
    assert run_docgen("build", cwd=archive).returncode == 0
    form = textconv(str(archive / "output" / PLAN / "04_实地核查记录表_迁安市天天向上语言培训学校（示例）.docx"))
    rows = [line for line in form.splitlines() if line.startswith("│ 迁安市") and line.count("|") == 3]
    assert rows == ["│ 迁安市教育局 | 从业人员资质 | 未发现问题 | 无", "│ 迁安市教育局 | 教材使用情况 |  | ",
                    "│ 迁安市教育局 | 监管平台购销课情况 |  | ", "│ 迁安市公安局 | 单位内部治安保卫情况 |  | ",
                    "│ 迁安市消防救援大队 | 履行法定消防安全职责情况 |  | "]


def test_assisting_specialist_in_02_04_and_06_of_their_group_only(built):
    mine, others = group_entities(1)
    assert mine and others
    helper = "冯振华（迁安市消防设施检测中心，消防设施检测）"
    for name in mine:
        assert f"协助人员：{helper}。" in textconv(str(built / f"02_告知书_{name}.docx"))
        assert f"；协助人员：{helper} / 签名：" in textconv(str(built / f"04_实地核查记录表_{name}.docx"))
    for name in others:
        assert "冯振华" not in textconv(str(built / f"02_告知书_{name}.docx"))
        assert "协助人员" not in textconv(str(built / f"04_实地核查记录表_{name}.docx"))
    from openpyxl import load_workbook

    ws = load_workbook(built / "06_人员分组及车辆安排情况表.xlsx").active
    rows, group = [], None
    for row in ws.iter_rows(min_row=6, max_col=5):
        values = [c.value for c in row]
        group = values[0] or group  # the group's cells are merged down its rows
        rows.append([group] + values[1:])
    [row] = [r for r in rows if r[3] == "冯振华"]
    assert row[0] == "第1组" and row[2] == "迁安市消防设施检测中心，消防设施检测" and row[4] == "协助人员"
    # not counted as an inspector: group 1 still has two per department
    assert sum(1 for r in rows if r[0] == "第1组" and r[4] not in (None, "", "协助人员")) == 6


# -- carrying archives over, and rosters ------------------------------------------------------------

def test_migrate_moves_plan_items_into_the_lists(archive):
    shutil.rmtree(archive / "records/items")
    plan = archive / "records/plans/qa-2023-30.yaml"
    names = {"jyj-sx-1": "从业人员资质", "jyj-sx-2": "教材使用情况", "jyj-sx-3": "监管平台购销课情况",
             "gaj-sx-1": "单位内部治安保卫情况", "xfjy-sx-1": "履行法定消防安全职责情况"}
    for item_id, name in names.items():
        edit(plan, f"  - {item_id}\n", f"  - {name}\n")
    edit(plan, "- department: gaj\n", "# 公安局只查内部治安保卫\n- department: gaj\n")
    assert errors(check(archive), plan, "还没有抽查事项清单")
    dry = run_docgen("migrate", "--dry-run", cwd=archive)
    assert dry.returncode == 0 and "+  - gaj-sx-1" in dry.stdout and not (archive / "records/items").exists()
    result = run_docgen("migrate", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "新建部门“jyj”的抽查事项清单（3 项）" in result.stdout
    assert "# 公安局只查内部治安保卫\n- department: gaj\n" in plan.read_text(encoding="utf-8")
    assert [d["items"] for d in load(plan)["departments"]] == [["jyj-sx-1", "jyj-sx-2", "jyj-sx-3"], ["gaj-sx-1"],
                                                                ["xfjy-sx-1"]]
    assert [i["name"] for i in load(archive / "records/items/jyj.yaml")["items"]] == list(names.values())[:3]
    assert run_docgen("validate", cwd=archive).returncode == 0
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0
    assert "没有需要转换" in run_docgen("migrate", cwd=archive).stdout


def test_roster_import_reads_the_certificate_validity(archive, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "执法证号", "手机号码", "执法门类", "执法证有效期"])
    ws.append(["胡明", "1302830100001", "13253436175", "校外培训监管", "2028年6月30日"])
    ws.append(["新来的（示例）", "13000000009998", "13700000001", "校外培训监管", "2029/1/31"])
    ws.append(["又一位（示例）", "13000000009997", "13700000002", "校外培训监管", "长期"])
    roster = tmp_path / "执法人员.xlsx"
    wb.save(roster)
    result = run_docgen("import", "departments", str(roster), "--department", "jyj", "--update", cwd=archive)
    assert "执法人员胡明（jyj-01）执法证有效期至：" in result.stdout and "“2028-06-30”" in result.stdout
    assert "第 4 行：执法证有效期“长期”不是日期" in result.stdout
    people = {p["name"]: p for p in load(archive / "records/departments/jyj.yaml")["inspectors"]}
    assert people["胡明"]["badge_valid_until"] == "2028-06-30"
    assert people["新来的（示例）"]["badge_valid_until"] == "2029-01-31"
    assert "badge_valid_until" not in people["又一位（示例）"]


def test_init_archive_has_an_item_list(tmp_path):
    target = tmp_path / "office"
    assert run_docgen("init", str(target), cwd=tmp_path).returncode == 0
    items = load(target / "records/items/example-dept.yaml")
    assert {i["id"] for i in items["items"]} == set(load(target / "records/plans/example-plan.yaml")
                                                     ["departments"][0]["items"])
    assert run_docgen("validate", cwd=target).returncode == 0
    assert run_docgen("build", cwd=target).returncode == 0
    with zipfile.ZipFile(next((target / "output/example-plan").glob("02_告知书_*.docx"))) as z:
        assert "有权申请其回避" in z.read("word/document.xml").decode("utf-8")


def test_scheme_section_from_the_lists(archive):
    """An office may have 01's 抽查内容 written from the departments' lists instead of by hand."""
    plan = archive / "records/plans/qa-2023-30.yaml"
    text = plan.read_text(encoding="utf-8")
    start, end = text.index("  - heading: 抽查内容\n"), text.index("  - heading: 组织实施\n")
    plan.write_text(text[:start] + "  - heading: 抽查内容\n    from_list: true\n" + text[end:], encoding="utf-8")
    edit(archive / "records/items/gaj.yaml", "name: 单位内部治安保卫情况", "name: 内部治安保卫制度落实情况")
    assert run_docgen("build", cwd=archive).returncode == 0
    scheme = textconv(str(archive / "output" / PLAN / "01_实施方案.docx"))
    assert "四、抽查内容\n（一）迁安市教育局\n对各机构从业人员资质、教材使用情况、监管平台购销课情况进行监督抽查。\n" \
           "从业人员资质（重点检查事项）：检查依据：《中华人民共和国教师法》第十条，检查方式：书面检查、实地检查，" \
           "抽查比例或频次：按信用风险分类确定抽查比例，不低于3%。" in scheme
    assert "（二）迁安市公安局" in scheme and "内部治安保卫制度落实情况（一般检查事项）：检查依据：《企业事业单位内部治安保卫条例》" in scheme
    assert "（三）迁安市消防救援大队" in scheme


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice 未安装")
def test_assistant_of_a_group_the_plan_does_not_have_is_an_error(archive):
    plan = archive / "records/plans/qa-2023-30.yaml"
    edit(plan, "- group: 1\n  name: 冯振华", "- group: 9\n  name: 冯振华")
    checked = check(archive)
    [problem] = errors(checked, plan, "没有第9组")
    assert (problem.line, problem.column) == (line_of(plan, "- group: 9"), 10)
    assert "第1组" in problem.message
    # before the draw there are no groups to check against
    undrawn(archive)
    assert not errors(check(archive), plan, "没有第9组")


def test_onsite_record_with_an_assistant_still_fits_one_page(built, tmp_path):
    from pypdf import PdfReader

    from pdf_layout import to_pdf

    mine, _ = group_entities(1)
    pdfs = to_pdf([built / f"04_实地核查记录表_{name}.docx" for name in mine], tmp_path)
    assert [len(PdfReader(str(p)).pages) for p in pdfs] == [1] * len(mine)


def test_archive_schemas_older_than_the_item_lists(archive):
    """An archive whose own schemas/ copy predates item lists checks them with docgen's shipped schema."""
    from conftest import ROOT

    shutil.copytree(ROOT / "schemas", archive / "schemas")
    (archive / "schemas/items.schema.json").unlink()
    result = run_docgen("validate", "--as-of", "2023-11-20", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    edit(archive / "records/items/gaj.yaml", "level: 一般", "level: 普通")
    broken = run_docgen("validate", cwd=archive)
    assert broken.returncode == 1 and "records/items/gaj.yaml:" in broken.stdout and "普通" in broken.stdout


@pytest.mark.parametrize("time", ["2023-02-30 09:30", "2023-11-01 99:99", "2023-11-01 24:00"])
def test_an_impossible_phone_notice_time_is_an_error(archive, time):
    path = inspection_files(archive)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^  time: .*$", f"  time: {time}", text, count=1), encoding="utf-8")
    assert f"  time: {time}" in path.read_text(encoding="utf-8")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and "不是真实存在的日期和时刻" in result.stdout


def test_a_text_longer_than_an_excel_cell_is_an_error(archive):
    path = inspection_files(archive)[0]
    text = path.read_text(encoding="utf-8")
    long_text = "很长的处理情况" * 5000  # 35,000 characters
    path.write_text(re.sub(r"(?m)^(\s*handling: ).*$", lambda m: m.group(1) + long_text, text, count=1),
                    encoding="utf-8")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and "文字过长（35000 个字符）" in result.stdout
    line = next(n for n, l in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if long_text in l)
    assert f"{path.name}:{line}:" in result.stdout


def test_the_inspectors_signing_date_is_the_one_their_signatures_give(archive):
    """04's 检查人员签名 date is what the signatures say, never the completion date standing in for it,
    and blank when nobody has signed yet."""
    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    edit(path, "    - inspector: jyj-06\n      date: '2023-11-09'\n    - inspector: jyj-07\n      date: '2023-11-09'\n",
         "    - inspector: jyj-06\n      date: '2023-11-10'\n    - inspector: jyj-07\n      date: '2023-11-10'\n")
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    form = textconv(str(next(out.glob("04_实地核查记录表_*聚贤*.docx"))))
    assert "日期：2023年11月9日、2023年11月10日" in form, form  # each day once, in order
    unsigned = textconv(str(out / "04_实地核查记录表_迁安市凌云艺术培训学校（示例）.docx"))  # org-048: not visited
    assert " / 签名： / 日期：\n" in unsigned, unsigned


def test_the_notice_announces_the_listed_methods_not_those_written_in_after_the_visit(archive):
    """The 告知书 is served before the visit: its 检查方式 are those the 抽查事项清单 gives for the items
    the plan chose, and the methods an inspection records afterwards never change a letter already sent."""
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    name = "迁安市育才体育培训学校（示例）"  # org-002
    letter = out / f"02_告知书_{name}.docx"
    before = letter.read_bytes()
    assert "检查方式：书面检查、实地检查、网络监测。" in textconv(str(letter))
    path = archive / f"records/inspections/{PLAN}/org-002.yaml"
    edit(path, "methods:\n- 实地检查\n- 书面检查\n", "methods:\n- 实地检查\n")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0 and letter.read_bytes() == before
    assert "☑实地检查" in textconv(str(out / f"04_实地核查记录表_{name}.docx"))  # the record form says what was done


def test_an_inspection_not_in_the_draw_is_warned_at_once(archive):
    """A record added by hand to a drawn plan is not random: validate says so, not only `draw --verify`."""
    source = archive / f"records/inspections/{PLAN}/org-002.yaml"
    added = source.with_name("org-001.yaml")  # org-001 was not drawn (the stored draw record)
    added.write_text(source.read_text(encoding="utf-8").replace("entity: org-002", "entity: org-001", 1),
                     encoding="utf-8")
    message = "不在本计划最新的抽取结果"
    found = warnings(check(archive), added, message)
    assert len(found) == 1 and found[0].line == line_of(added, "entity: org-001")
    assert "qa-2023-30-draw-1.yaml" in found[0].message
    assert not any(warnings(check(archive), path, message) for path in inspection_files(archive) if path != added)
    assert "不在抽取结果中" in run_docgen("draw", PLAN, "--verify", cwd=archive).stdout  # the same finding
    # drawn by the provincial platform: no draw record here to compare with
    edit(added, "draw: qa-2023-30-draw-1", "draw: platform")
    assert not warnings(check(archive), added, message)
    edit(added, "draw: platform", "draw: qa-2023-30-draw-1")
    # a draw still in progress (or a draw record with errors) is not taken as the plan's result
    edit(archive / f"records/draws/{PLAN}-draw-1.yaml", f"id: {PLAN}-draw-1", f"id: {PLAN}-draw-1\nstatus: in-progress")
    assert not warnings(check(archive), added, message)


def test_a_drawn_entity_without_its_inspection_record_is_said(archive):
    """A drawn entity's record deleted (or moved out): validate and the pre-commit hook said nothing,
    the status only showed a class short. A warning at the entity in the draw record; none while the
    record is there, or when it is there but cannot be read (its own error says so)."""
    draw = archive / "records/draws/qa-2023-30-draw-1.yaml"
    assert not [p for p in problems_for(check(archive), draw) if "没有抽查记录" in p.message]
    record = archive / "records/inspections" / PLAN / "org-048.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("plan: ", "plan: [", 1), encoding="utf-8")  # cannot be read
    assert not [p for p in problems_for(check(archive), draw) if "没有抽查记录" in p.message]
    aside = record.with_name("阳光.yaml")  # renamed, its plan left blank or mistyped: there, only misnamed
    for broken in ("plan: \n", "plan: qa-2023-3\n"):
        aside.write_text(text.replace("plan: qa-2023-30\n", broken, 1), encoding="utf-8")
        record.unlink(missing_ok=True)
        assert not [p for p in problems_for(check(archive), draw) if "没有抽查记录" in p.message], broken
    aside.unlink()
    found = [p for p in problems_for(check(archive), draw) if "没有抽查记录" in p.message]
    assert len(found) == 1 and not found[0].is_error and "（org-048）在 records/inspections/qa-2023-30/ 中" in found[0].message
    lines = draw.read_text(encoding="utf-8").splitlines()
    assert lines[found[0].line - 1].strip() == "- org-048"


def test_an_entity_that_could_not_be_found_owes_no_notice(archive):
    """Every department found org-048 unreachable at its registered address: no call could be made and
    no 告知书 served, so those steps are not overdue (the warning could only be cleared by inventing a
    date); a department that did find it keeps them owed."""
    path = archive / "records/inspections" / PLAN / "org-048.yaml"
    parts = "".join(f"  {dep}:\n    results:\n    - 通过登记的住所（经营场所）无法联系\n    completed: '2023-11-20'\n"
                    for dep in ("jyj", "gaj", "xfjy"))
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("dates:\n  visit: '2023-11-20'\ndepartments:\n" + parts)
    notices = [p for p in problems_for(check(archive), path) if "电话告知" in p.message or "送达告知书" in p.message]
    assert not notices, notices
    # nor a signature, a refusal or a method of inspection: nobody was there to sign, nothing was inspected
    assert not [p for p in problems_for(check(archive), path) if p.is_error], problems_for(check(archive), path)
    edit(path, "  xfjy:\n    results:\n    - 通过登记的住所（经营场所）无法联系", "  xfjy:\n    results:\n    - 未发现问题")
    notices = [p for p in problems_for(check(archive), path) if "「送达告知书」已逾期" in p.message]
    assert len(notices) == 1, notices


def test_a_notice_served_after_the_visit_is_said_once(archive):
    """The 告知书 served after the visit: the dates out of order, said at the visit — not again as the
    serving step done late (two errors for one fact)."""
    path = archive / "records/inspections" / PLAN / "org-021.yaml"
    edit(path, "  notice_served: '2023-11-02'", "  notice_served: '2023-11-09'")
    found = [p for p in problems_for(check(archive), path)
             if ("告知书送达" in p.message or "送达告知书" in p.message) and "约定检查日期" not in p.message]
    assert len(found) == 1 and "早于「告知书送达日期」2023-11-09" in found[0].message, [str(p) for p in found]


def test_a_step_before_the_plan_was_issued_is_an_error_a_visit_before_its_period_a_warning(archive):
    """Every date of an inspection typed a year early passed validate and printed in 07 as on time."""
    target = archive / "records/inspections/qa-2023-30/org-002.yaml"
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("phone_notice: '2023-11-01'", "phone_notice: '2022-11-01'"), encoding="utf-8")
    found = problems_for(check(archive), target)
    early = [p for p in found if "早于抽查计划的成文日期 2023-10-30" in p.message]
    assert len(early) == 1 and early[0].severity == "error"
    assert early[0].line == line_of(target, "phone_notice: '2022-11-01'")

    other = archive / "records/inspections/qa-2023-30/org-007.yaml"  # visited 2023-11-06, period from 11-01
    edit(other, "visit: '2023-11-06'", "visit: '2023-10-31'")
    edit(other, "phone_notice: '2023-11-01'", "phone_notice: '2023-10-30'")
    edit(other, "notice_served: '2023-11-01'", "notice_served: '2023-10-30'")
    found = problems_for(check(archive), other)
    before = [p for p in found if "早于抽查计划的检查期限开始日期 2023-11-01" in p.message]
    assert len(before) == 1 and before[0].severity == "warning"
    assert not [p for p in found if "成文日期" in p.message]


def test_a_plate_no_department_lists_is_a_warning_at_its_line(archive):
    """冀B-J0102 for 冀B·J0102 passed validate; 06 printed 冀B·J0102、冀B-J0102 beside one driver."""
    target = archive / "records/inspections/qa-2023-30/org-002.yaml"
    edit(target, "vehicle: 冀B·J0102", "vehicle: 冀B-J0102")
    found = [p for p in problems_for(check(archive), target) if "冀B-J0102" in p.message]
    assert len(found) == 1 and found[0].severity == "warning" and found[0].line == line_of(target, "vehicle:")
    jyj = archive / "records/departments/jyj.yaml"
    edit(jyj, "- plate: 冀B·J0102\n", "- plate: 冀B-J0102\n  driver: 租车司机\n- plate: 冀B·J0102\n")
    assert not [p for p in problems_for(check(archive), target) if "冀B-J0102" in p.message]
    # a department file with an error: its vehicles are not known, and no plate is blamed for it
    gaj = archive / "records/departments/gaj.yaml"
    text = gaj.read_text(encoding="utf-8")
    gaj.write_text(text.replace("badge_valid_until: '", "badge_valid_until: '2035-06-31' # '", 1), encoding="utf-8")
    assert not [p for p in check(archive).problems if "不在任何部门登记的车辆" in p.message]
