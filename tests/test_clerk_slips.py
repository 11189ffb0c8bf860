"""A clerk's slips a review found docgen taking quietly or blaming on the wrong line: a date typed in
the future, an id mistyped in an inspection, a date written without dashes, a 执法证号 or credit code
given twice, a department roster with an error; and figures that counted a result published without
its approval."""

import yaml

from conftest import check, edit, inspection_files, line_of, problems_for, run_docgen

PLAN = "qa-2023-30"


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def with_part(archive, *keys):
    """The first inspection (by name) with a department part holding every key, and that department."""
    for path in inspection_files(archive):
        for dep_id, part in (load(path).get("departments") or {}).items():
            if all(k in part for k in keys):
                return path, dep_id, part
    raise AssertionError(keys)


def test_a_done_date_after_today_is_an_error_on_its_line(archive):
    path, dep_id, part = with_part(archive, "entered")
    entered = part["entered"]
    text = path.read_text(encoding="utf-8")
    at = text.index(f"  {dep_id}:\n")
    path.write_text(text[:at] + text[at:].replace(f"entered: '{entered}'", "entered: '2099-11-10'", 1), encoding="utf-8")
    checked = check(archive)
    [problem] = [p for p in problems_for(checked, path) if "晚于今天" in p.message]
    assert problem.is_error and "「结果录入日期」2099-11-10 晚于今天" in problem.message
    assert problem.line == line_of(path, "entered: '2099-11-10'")
    # and validate --as-of an earlier day says the same (the clock's day, not the as-of day, is the bound)
    result = run_docgen("validate", "--as-of", "2023-11-01", cwd=archive)
    assert "「结果录入日期」2099-11-10 晚于今天" in result.stdout and result.returncode == 1
    # the example's own dates (all past) give nothing of the kind; a visit may be planned ahead
    edit(path, "entered: '2099-11-10'", f"entered: '{entered}'")
    assert not [p for p in check(archive).problems if "晚于今天" in p.message]


def test_a_planned_visit_and_a_follow_up_deadline_may_lie_ahead(archive):
    path = next(p for p in inspection_files(archive) if "deadline:" in p.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    deadline = load(path)["follow_ups"][0]["deadline"]
    path.write_text(text.replace(f"deadline: '{deadline}'", "deadline: '2099-01-05'", 1), encoding="utf-8")
    assert not [p for p in problems_for(check(archive), path) if "晚于今天" in p.message]


def test_a_confirmation_after_today_is_an_error(archive):
    plan = archive / f"records/plans/{PLAN}.yaml"
    data = load(plan)
    dep, when = next(iter(data["confirmations"].items()))
    edit(plan, f"{dep}: '{when}'", f"{dep}: '2099-10-31'")
    [problem] = [p for p in problems_for(check(archive), plan) if "晚于今天" in p.message]
    assert problem.is_error and problem.line == line_of(plan, "2099-10-31")


def test_a_department_roster_with_an_error_gives_no_leader_errors_elsewhere(archive):
    roster = archive / "records/departments/jyj.yaml"
    phone = load(roster)["inspectors"][0]["phone"]
    edit(roster, f"phone: '{phone}'", f"phone: {phone}")
    checked = check(archive)
    assert [p for p in checked.errors if p.path.endswith("jyj.yaml")]
    assert not [p for p in checked.errors if "组长" in p.message], [str(p) for p in checked.errors]


def test_a_qualification_is_named_once(archive):
    roster = archive / "records/departments/jyj.yaml"
    text = roster.read_text(encoding="utf-8")
    at = text.index("- id: jyj-03")
    end = text.index("\n- id:", at + 1) if "\n- id:" in text[at + 1:] else len(text)
    roster.write_text(text[:at] + text[at:end].replace("- 校外培训监管", "- 校外培训监督") + text[end:], encoding="utf-8")
    found = [p for p in check(archive).errors if "不具备本部门所选抽查事项要求的资格" in p.message]
    assert found and all("“校外培训监管”，" in p.message for p in found), [p.message for p in found]


def test_a_date_without_dashes_is_told_how_to_write_it(archive):
    path = inspection_files(archive)[0]
    visit = load(path)["dates"]["visit"]
    edit(path, f"visit: '{visit}'", f"visit: {visit.replace('-', '')}")
    [problem] = [p for p in problems_for(check(archive), path) if "检查日期" in p.message and p.is_error]
    assert f"应写成 YYYY-MM-DD，如 '{visit}'" in problem.message and "docgen fmt" not in problem.message


def test_a_mistyped_entity_or_plan_id_is_pointed_at_the_file_name(archive):
    path = next(p for p in inspection_files(archive) if p.stem == "org-040")
    edit(path, "entity: org-040", "entity: org-04")
    messages = [p.message for p in problems_for(check(archive), path)]
    assert any("检查对象“org-04”不存在" in m and "是否应为 entity: org-040？" in m for m in messages), messages
    assert not any("应为 org-04.yaml" in m for m in messages)  # (renaming the file would follow the typo)
    edit(path, "entity: org-04", "entity: org-040")
    edit(path, f"plan: {PLAN}", "plan: qa-2023-3O")
    messages = [p.message for p in problems_for(check(archive), path)]
    assert any("抽查计划“qa-2023-3O”不存在" in m and f"是否应为 plan: {PLAN}？" in m for m in messages), messages
    assert not any("records/inspections/qa-2023-3O/" in m for m in messages)


def test_a_badge_given_twice_is_an_error(archive):
    roster = archive / "records/departments/jyj.yaml"
    people = load(roster)["inspectors"]
    edit(roster, f"badge: '{people[2]['badge']}'", f"badge: '{people[1]['badge']}'")
    found = [p for p in check(archive).errors if "执法证号" in p.message and "重复" in p.message]
    lines = [n for n, line in enumerate(roster.read_text(encoding="utf-8").splitlines(), 1)
             if f"badge: '{people[1]['badge']}'" in line]
    assert sorted(p.line for p in found) == lines and all(p.path.endswith("jyj.yaml") for p in found)
    assert people[1]["id"] in found[0].message or people[1]["id"] in found[1].message


def test_a_credit_code_given_twice_is_said_in_both_files(archive):
    one, two = archive / "records/entities/org-001.yaml", archive / "records/entities/org-002.yaml"
    code = load(two)["credit_code"]
    text = one.read_text(encoding="utf-8")
    one.write_text(text.replace(str(load(one)["credit_code"]), code, 1), encoding="utf-8")
    checked = check(archive)
    said = {p.path.rsplit("/", 1)[-1] for p in checked.errors if "统一社会信用代码" in p.message and "重复" in p.message}
    assert said == {"org-001.yaml", "org-002.yaml"}


def test_a_result_published_without_approval_is_not_counted_as_published(archive):
    """07 leaves such a result out until it is approved; the 公示 rates (status, 08) counted it as published."""
    path, dep_id, part = with_part(archive, "approval", "completed")
    text = path.read_text(encoding="utf-8")
    at = text.index(f"  {dep_id}:\n")
    approval = f"    approval:\n      reviewer: {part['approval']['reviewer']}\n      date: '{part['approval']['date']}'\n"
    body = text[at:].replace(approval, "", 1)
    if "disclosed" not in part:
        body = body.replace(f"    completed: '{part['completed']}'\n",
                            f"    completed: '{part['completed']}'\n    disclosed: '{part['approval']['date']}'\n", 1)
    path.write_text(text[:at] + body, encoding="utf-8")
    checked = check(archive)
    from docgen.records.deadlines import all_deadlines
    steps = [d for d in all_deadlines(checked.index)[0]
             if d.path.endswith(path.name) and d.department == dep_id and d.step == "公示抽查结果"]
    assert len(steps) == 1 and steps[0].done is None
    status = yaml.safe_load(run_docgen("status", PLAN, "--format", "json", cwd=archive).stdout)
    row = next(d for d in status["plans"][0]["departments"] if d["department"] == dep_id)
    assert row["disclosed_on_time"] + row["disclosed_late"] + row["disclosed_pending"] >= 1
    assert any("没有经办领导的审核批准" in p.message for p in problems_for(checked, path))


def test_status_says_steps_done_late_apart_from_open_ones(archive):
    path, dep_id, part = with_part(archive, "entered", "approval")
    text = path.read_text(encoding="utf-8")
    at = text.index(f"  {dep_id}:\n")
    late = "2023-12-29"
    body = text[at:].replace(f"entered: '{part['entered']}'", f"entered: '{late}'", 1)
    body = body.replace(f"date: '{part['approval']['date']}'", f"date: '{late}'", 1)
    if part.get("disclosed"):
        body = body.replace(f"disclosed: '{part['disclosed']}'", f"disclosed: '{late}'", 1)
    path.write_text(text[:at] + body, encoding="utf-8")
    result = run_docgen("status", PLAN, cwd=archive)
    last = result.stdout.strip().splitlines()[-1]
    assert "逾期后才办结" in last and "见上" in last, last
    assert "实际 2023-12-29 才完成" in result.stdout


def test_export_gives_a_follow_up_without_department_to_nobody_when_several_took_part(archive):
    """As in the 03 台账 (validate warns): a department that found nothing was exported with the measure."""
    path = next(p for p in inspection_files(archive)
                if len(load(p).get("departments") or {}) > 1 and load(p).get("follow_ups"))
    data = load(path)
    action = data["follow_ups"][0]
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("follow_ups:", 1)
    path.write_text(head + "follow_ups:" + tail.replace(f"\n  department: {action['department']}\n", "\n", 1), encoding="utf-8")
    assert load(path)["follow_ups"][0].get("department") is None
    result = run_docgen("export", "results", PLAN, "--format", "csv", "--out", "r.csv", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    entity = load(archive / f"records/entities/{data['entity']}.yaml")["name"]
    mine = [r for r in (archive / "r.csv").read_text(encoding="utf-8-sig").splitlines() if entity in r]
    assert len(mine) == len(data["departments"])
    assert not any(f"{action['measure']}：{action['issue']}" in r for r in mine), mine


def test_a_field_typed_at_the_margin_inside_a_block_is_named_with_the_line_that_complains(archive):
    """YAML takes the field at the margin as an outer one and finds fault with the next line, which is
    right as written: the message names the line above as the likelier slip."""
    path, dep_id, part = with_part(archive, "entered", "approval")
    text = path.read_text(encoding="utf-8")
    at = text.index(f"  {dep_id}:\n")
    path.write_text(text[:at] + text[at:].replace(f"    entered: '{part['entered']}'", f"entered: '{part['entered']}'", 1),
                    encoding="utf-8")
    [problem] = [p for p in problems_for(check(archive), path) if p.is_error]
    slipped = line_of(path, f"entered: '{part['entered']}'")
    assert problem.line == slipped + 1 and f"也可能是上一行（第 {slipped} 行）缩进少了" in problem.message


def test_a_draw_record_with_an_error_holds_back_only_the_statistics(archive):
    """08 counts the plan's population and classes from its latest draw record: with that record broken
    it fell back to an older draw (or today's roster) without a word."""
    assert run_docgen("build", cwd=archive).returncode == 0
    out = archive / "output" / PLAN
    statistics = (out / "08_抽查情况统计表.xlsx").read_bytes()
    draw = archive / f"records/draws/{PLAN}-draw-1.yaml"
    edit(draw, "\nseed:", "\nbogus: 1\nseed:")
    path = inspection_files(archive)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("handling: 无", "handling: 无（已核实）", 1), encoding="utf-8")
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1
    assert f"提示：抽取记录 {PLAN}-draw-1 有错误，计划 {PLAN} 的抽查情况统计表（08）未更新" in result.stdout, result.stdout
    assert (out / "08_抽查情况统计表.xlsx").read_bytes() == statistics
    assert "写入" in result.stdout.splitlines()[-1]  # the other documents were made
