"""Issue 13: each department's own result (谁检查、谁录入、谁公示), the platforms' result vocabulary,
approval, the cooperating departments' confirmation, and an annual plan's status."""

import json

import docx
import openpyxl
import yaml

from conftest import check, edit, inspection_files, line_of, problems_for, run_docgen

PLAN = "qa-2023-30"
JUXIAN = "org-031"  # 迁安市聚贤科技培训学校（示例）: only 公安局 found a problem


def path_of(root, entity=JUXIAN):
    return root / f"records/inspections/{PLAN}/{entity}.yaml"


def public_rows(root):
    sheet = openpyxl.load_workbook(root / "output" / PLAN / "07_公示表.xlsx").active
    return [r for r in sheet.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]


def test_public_table_has_one_row_per_department_with_its_own_result(archive):
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [r for r in public_rows(archive) if r[1] == "迁安市聚贤科技培训学校（示例）"]
    assert sorted((r[3], r[6]) for r in rows) == [("迁安市公安局", "发现问题已责令改正"),
                                                  ("迁安市教育局", "未发现问题"), ("迁安市消防救援大队", "未发现问题")]
    assert all("、" not in r[3] for r in public_rows(archive))  # a single 检查实施机关 per row
    assert {r[5] for r in rows} == {"2023年11月9日"}  # each department's own 检查完成日期
    sheet = openpyxl.load_workbook(archive / "output" / PLAN / "07_公示表.xlsx").active
    assert "迁双随机办〔2023〕30号" in sheet["A3"].value and "联合抽查的通知" in sheet["A3"].value
    record = docx.Document(str(next((archive / "output" / PLAN).glob("04_实地核查记录表_迁安市聚贤*.docx"))))
    text = "\n".join(c.text for row in record.tables[0].rows for c in row.cells)
    assert "迁安市公安局：发现问题已责令改正" in text and "迁安市教育局：未发现问题" in text
    signed = yaml.safe_load(path_of(archive).read_text(encoding="utf-8"))["departments"]["gaj"]["signatures"]
    people = {p["id"]: p["name"] for d in ("jyj", "gaj", "xfjy") for p in
              yaml.safe_load((archive / f"records/departments/{d}.yaml").read_text(encoding="utf-8"))["inspectors"]}
    assert all(people[s["inspector"]] in text.split("签名：", 1)[1] for s in signed)


def test_several_results_in_one_record_and_department_filled_in(archive):
    path = path_of(archive)
    edit(path, "    - 发现问题已责令改正\n", "    - 发现问题已责令改正\n    - 未按规定公示应当公示的信息\n"
                                          "    - 违反〔部门〕相关规定\n")
    dep = archive / "records/departments/gaj.yaml"
    edit(dep, "name: 迁安市公安局\n", "name: 迁安市公安局\nsector: 公安\n")
    assert not [p for p in problems_for(check(archive), path) if p.is_error]
    assert run_docgen("build", cwd=archive).returncode == 0
    [row] = [r for r in public_rows(archive) if r[1] == "迁安市聚贤科技培训学校（示例）" and r[3] == "迁安市公安局"]
    assert row[6] == "发现问题已责令改正、未按规定公示应当公示的信息、违反公安部门相关规定"
    export = run_docgen("export", "results", PLAN, "--department", "gaj", "--format", "csv", "--out", "r.csv",
                        cwd=archive)
    assert export.returncode == 0, export.stdout + export.stderr
    assert "违反公安部门相关规定" in (archive / "r.csv").read_text(encoding="utf-8-sig")


def test_contradictory_results_rejected_at_their_line(archive):
    path = path_of(archive)
    edit(path, "    - 发现问题已责令改正\n", "    - 发现问题已责令改正\n    - 未发现问题\n")
    [problem] = [p for p in problems_for(check(archive), path) if "相互矛盾" in p.message]
    assert problem.is_error
    assert (problem.line, problem.column) == (line_of(path, "- 发现问题已责令改正") + 1, 7)


def test_no_problem_with_a_finding_rejected_at_the_finding(archive):
    path = path_of(archive)
    edit(path, "    - 发现问题已责令改正\n", "    - 未发现问题\n")
    problems = [p for p in problems_for(check(archive), path) if p.is_error]
    assert any("未建立值班巡查记录" in p.message and p.line == line_of(path, "finding: 未建立值班巡查记录")
               for p in problems), [str(p) for p in problems]


def test_alone_result_cannot_be_combined(archive):
    path = path_of(archive)
    edit(path, "    - 发现问题已责令改正\n", "    - 发现问题已责令改正\n    - 检查对象已注销\n")
    problem = next(p for p in problems_for(check(archive), path) if "未能实际检查" in p.message)
    assert problem.line == line_of(path, "- 检查对象已注销")


def test_unapproved_result_kept_out_of_07_and_listed_by_status(archive):
    path = path_of(archive)
    text = path.read_text(encoding="utf-8")
    start = text.index("    approval:\n      reviewer: 王志刚")  # 公安局's approval
    end = text.index("\n", text.index("date:", start)) + 1
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    checked = check(archive)
    warning = next(p for p in problems_for(checked, path) if "没有经办领导的审核批准" in p.message)
    assert not warning.is_error
    assert run_docgen("build", cwd=archive).returncode == 0
    juxian = [r for r in public_rows(archive) if r[1] == "迁安市聚贤科技培训学校（示例）"]
    assert sorted(r[3] for r in juxian) == ["迁安市教育局", "迁安市消防救援大队"]
    status = run_docgen("status", PLAN, "--as-of", "2023-11-24", cwd=archive)
    assert "待审核批准的抽查结果" in status.stdout
    assert f"records/inspections/{PLAN}/{JUXIAN}.yaml：迁安市聚贤科技培训学校（示例）（迁安市公安局）" in status.stdout
    data = json.loads(run_docgen("status", PLAN, "--as-of", "2023-11-24", "--format", "json", cwd=archive).stdout)
    assert any(JUXIAN in entry and "公安局" in entry for entry in data["plans"][0]["awaiting_approval"])


def test_disclosure_before_approval_is_out_of_order(archive):
    path = path_of(archive)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    approved = data["departments"]["gaj"]["approval"]["date"]
    edit(path, f"      reviewer: 王志刚\n      date: '{approved}'", "      reviewer: 王志刚\n      date: '2023-12-20'")
    problem = next(p for p in problems_for(check(archive), path) if "早于「批准日期」" in p.message)
    assert problem.is_error


def test_confirmation_late_is_error_pending_past_due_is_warning(archive):
    plan = archive / f"records/plans/{PLAN}.yaml"
    edit(plan, "  gaj: '2023-11-01'", "  gaj: '2023-11-06'")
    checked = check(archive)
    late = next(p for p in problems_for(checked, plan) if "确认被检查对象名单" in p.message)
    assert late.is_error and "逾期" in late.message and late.line == line_of(plan, "gaj: '2023-11-06'")
    edit(plan, "  gaj: '2023-11-06'\n", "")
    pending = next(p for p in problems_for(check(archive), plan) if "确认被检查对象名单" in p.message)
    assert not pending.is_error and "迁安市公安局" in pending.message
    assert pending.line == line_of(plan, "draw_date:")
    status = run_docgen("status", PLAN, "--as-of", "2023-11-24", cwd=archive)
    assert "迁安市公安局        未确认（已逾期）（期限 2023-11-02）" in status.stdout
    assert "迁安市消防救援大队  按时确认（期限 2023-11-02，2023-11-02 确认）" in status.stdout


def test_confirmation_before_the_draw_is_said(archive):
    """The cooperating departments confirm the drawn list: a day before the draw is a slip of the pen
    (or a confirmation of an earlier draw, before a redraw) — a warning, holding back no document."""
    plan = archive / f"records/plans/{PLAN}.yaml"
    edit(plan, "  gaj: '2023-11-01'", "  gaj: '2023-10-20'")
    found = [p for p in problems_for(check(archive), plan) if "早于「抽取日期」2023-10-31" in p.message]
    assert len(found) == 1 and not found[0].is_error and found[0].line == line_of(plan, "gaj: '2023-10-20'")


def test_lead_department_does_not_confirm(archive):
    plan = archive / f"records/plans/{PLAN}.yaml"
    edit(plan, "  gaj: '2023-11-01'", "  gaj: '2023-11-01'\n  jyj: '2023-11-01'")
    problem = next(p for p in problems_for(check(archive), plan) if "牵头部门" in p.message)
    assert problem.line == line_of(plan, "  jyj: '2023-11-01'")


def test_annual_plan_status_reports_the_years_targets(archive):
    result = run_docgen("status", "qx-2024-6", "--as-of", "2024-06-01", cwd=archive)
    out = result.stdout
    assert "应抽" not in out and "不足" not in out
    assert "年度方案 qx-2024-6" in out and "2024 年的联合抽查计划：无" in out
    assert "名录库抽查覆盖率" in out and "目标 ≥ 3%" in out and "目标 ≥ 85%" in out
    assert "结果按时录入率" in out and "结果按时公示率" in out and "后续处置" in out
    # a joint plan of 2024 is covered, per department
    plan = archive / f"records/plans/{PLAN}.yaml"
    text = plan.read_text(encoding="utf-8").replace("'2023-", "'2024-")  # its dates, not its id
    plan.write_text(text, encoding="utf-8")
    for path in inspection_files(archive):  # (an inspection dated before its plan is an error, left out)
        text = path.read_text(encoding="utf-8").replace("'2023-", "'2024-").replace("time: 2023-", "time: 2024-")
        path.write_text(text, encoding="utf-8")
    data = json.loads(run_docgen("status", "qx-2024-6", "--as-of", "2024-12-31", "--format", "json", cwd=archive).stdout)
    [annual] = data["annual"]
    assert annual["covers"] == [PLAN] and annual["inspections"] == 10
    assert [d["name"] for d in annual["departments"]] == ["迁安市教育局", "迁安市公安局", "迁安市消防救援大队"]
    assert annual["coverage"] is not None and annual["follow_ups_total"] == 3


def test_old_shape_record_asks_for_migrate(archive):
    path = path_of(archive)
    edit(path, "plan: qa-2023-30\n", "plan: qa-2023-30\nresult: 未发现问题\n")
    problem = next(p for p in problems_for(check(archive), path) if "docgen migrate" in p.message)
    assert problem.is_error and (problem.line, problem.column) == (line_of(path, "result: 未发现问题"), 1)


def test_a_department_that_writes_no_result_after_the_visit_is_overdue(archive):
    """After the joint visit every department of the team owes its own result within the entry time
    (seed: 自完成联合抽查工作后3个工作日内录入): one that wrote nothing (its part left out) is not met
    by omission — overdue at its line in the team, and counted so by the status."""
    path = path_of(archive, "org-002")
    text = path.read_text(encoding="utf-8")
    start = text.index("  xfjy:\n    items:")
    end = len(text)
    for at in range(text.index("\n", start) + 1, len(text)):
        if text[at - 1] == "\n" and not text.startswith("    ", at):
            end = at
            break
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    before = json.loads(run_docgen("status", PLAN, "--as-of", "2023-11-30", "--format", "json", cwd=archive).stdout)
    found = [p for p in problems_for(check(archive), path) if "「录入抽查结果」已逾期（迁安市消防救援大队）" in p.message]
    assert [p.line for p in found] == [line_of(path, "  xfjy:") + 1] and not found[0].is_error, found  # its team
    assert "尚未完成" in found[0].message and "2023-11-10" in found[0].message  # 3 working days after 11-07
    plan = before["plans"][0]
    steps = [i for i in plan["items"] if i["path"].endswith("org-002.yaml")]
    assert any("录入抽查结果" in i["step"] and "消防" in i["step"] for i in steps), steps


def test_a_department_the_plan_does_not_name_gets_no_deadlines(archive):
    """A mistyped department key is an error; its entry and disclosure are not also overdue warnings."""
    path = path_of(archive, "org-002")
    edit(path, "departments:\n", "departments:\n  xyz:\n    results:\n    - 未发现问题\n")
    found = [p.message for p in problems_for(check(archive), path) if "xyz" in p.message]
    assert found and not any("逾期" in m for m in found), found
