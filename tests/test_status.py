"""Issue 6: working days, deadlines and `docgen status`."""

import datetime as dt
import json

import openpyxl
import yaml
import pytest

from conftest import check, edit, inspection_files, line_of, problems_for, run_docgen
from docgen.workdays import Calendar, NoCalendar

D = dt.date


@pytest.mark.parametrize("start, days, due", [
    (D(2023, 9, 28), 3, D(2023, 10, 9)),    # Mid-Autumn + National Day 2023, with Sat 10-7 and Sun 10-8 worked
    (D(2024, 2, 8), 3, D(2024, 2, 19)),     # Spring Festival 2024: 2-10…2-17 off, Sun 2-18 worked
    (D(2025, 1, 24), 3, D(2025, 2, 5)),     # Spring Festival 2025: Sun 1-26 worked, 1-28…2-4 off
    (D(2024, 9, 27), 20, D(2024, 10, 30)),  # disclosure over National Day 2024
])
def test_working_days_across_holidays(start, days, due):
    assert Calendar().add_workdays(start, days) == due


def first_unknown_year() -> int:
    """The first year chinesecalendar has no data for (it grows with each release)."""
    import chinese_calendar

    year = 2024
    while True:
        try:
            chinese_calendar.is_workday(D(year, 1, 1))
        except NotImplementedError:
            return year
        year += 1


def test_year_without_data_is_an_error_not_a_guess():
    year = first_unknown_year()
    with pytest.raises(NoCalendar) as caught:
        Calendar().add_workdays(D(year - 1, 12, 30), 3)
    assert f"没有 {year} 年的工作日历" in str(caught.value)
    assert f"records/calendar/{year}.yaml" in str(caught.value)


def latest_completed(root):
    import yaml
    for path in inspection_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts = list((data.get("departments") or {}).values())
        if parts and parts[0].get("completed"):
            # the joint dates and the first department's own (every department's, when they agree)
            own = {k: parts[0][k] for k in ("completed", "entered", "disclosed") if k in parts[0]}
            if parts[0].get("approval"):
                own["approval"] = parts[0]["approval"]["date"]
            return path, {**data, "dates": {**data.get("dates", {}), **own}}
    raise AssertionError


def test_deadline_in_unknown_year_reported_and_override_honoured(archive):
    year = first_unknown_year()
    last, nxt = f"{year - 1}-12-30", f"{year}-01-10"
    path, data = latest_completed(archive)
    dates = data["dates"]
    text = path.read_text(encoding="utf-8")
    for key, value in dates.items():  # every department's dates (and approvals) with them
        text = text.replace(f"'{value}'", f"'{last}'")
    text = text.replace(f"date: '{data['signature']['date']}'", f"date: '{last}'") if data.get("signature") else text
    for action in data.get("follow_ups") or []:
        for key in ("deadline", "closed"):
            if action.get(key):
                text = text.replace(f"{key}: '{action[key]}'", f"{key}: '{nxt}'")
    path.write_text(text, encoding="utf-8")
    checked = check(archive)
    # (the last known year's end may still lie ahead of the clock: those dates are also said to be in the future)
    problems = [p for p in checked.errors if p.path.endswith(path.name) and "晚于今天" not in p.message]
    assert problems and all(f"没有 {year} 年的工作日历" in p.message for p in problems)
    assert problems[0].line == line_of(path, "completed:")
    calendar = archive / "records/calendar"
    calendar.mkdir()
    (calendar / f"{year}.yaml").write_text(f"year: {year}\ncomplete: true\nholidays:\n- '{year}-01-01'\n",
                                           encoding="utf-8")
    assert not [p for p in check(archive).errors if p.path.endswith(path.name) and "晚于今天" not in p.message]


def test_override_adds_a_local_holiday(archive):
    calendar = archive / "records/calendar"
    calendar.mkdir()
    (calendar / "2023.yaml").write_text("year: 2023\nholidays:\n- '2023-11-09'\n", encoding="utf-8")
    from docgen.workdays import Calendar as C
    cal = C.from_records(check(archive).index.calendars.values())
    assert cal.add_workdays(D(2023, 11, 8), 1) == D(2023, 11, 10)


def test_a_calendar_date_of_another_year_is_said(archive):
    """Days are looked up in their own year's calendar: 2022-12-30 written in 2023.yaml would change
    nothing, in silence."""
    calendar = archive / "records/calendar"
    calendar.mkdir()
    path = calendar / "2023.yaml"
    path.write_text("year: 2023\nholidays:\n- '2023-11-09'\n- '2022-12-30'\nworkdays:\n- '2024-01-06'\n", encoding="utf-8")
    found = [p for p in problems_for(check(archive), path) if "不会起作用" in p.message]
    assert [(p.line, p.is_error) for p in found] == [(4, False), (6, False)]  # a warning: it holds nothing back
    assert "2022-12-30" in found[0].message and "2024-01-06" in found[1].message
    assert "请写在 2022 年的日历（calendar/2022.yaml）中" in found[0].message


def test_late_step_is_error_open_step_is_warning(archive):
    path, data = latest_completed(archive)
    if data["dates"].get("entered"):  # the first department's entry (and its approval and disclosure)
        edit(path, f"entered: '{data['dates']['entered']}'", "entered: '2023-12-29'")
        if data["dates"].get("approval"):
            edit(path, f"date: '{data['dates']['approval']}'", "date: '2023-12-29'")
        if data["dates"].get("disclosed"):
            edit(path, f"disclosed: '{data['dates']['disclosed']}'", "disclosed: '2023-12-29'")
    checked = check(archive)
    late = [p for p in checked.errors if p.path.endswith(path.name) and "录入抽查结果」逾期" in p.message]
    assert late and late[0].line == line_of(path, "entered:")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    fine = run_docgen("validate", "--as-of", "2023-11-24", cwd=archive.parent / archive.name)
    assert "逾期" in fine.stdout


def test_a_step_done_late_is_an_error_that_does_not_hold_the_documents(archive):
    """Lateness is a fact of the record, not a mistake in it: validate reports it as an error, yet the
    record's documents and its plan's tables are still made (else only a false date would give them)."""
    import docx

    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    edit(path, "    entered: '2023-11-13'\n", "    entered: '2023-11-20'\n")  # jyj's: due 2023-11-14
    edit(path, "      date: '2023-11-13'\n", "      date: '2023-11-20'\n")  # approved after entry
    edit(path, "      handling: 无\n", "      handling: 无（迟录）\n")
    late = [p for p in check(archive).errors if p.path.endswith("org-031.yaml")]
    assert len(late) == 1 and "「录入抽查结果」逾期" in late[0].message and "实际 2023-11-20 才完成" in late[0].message
    result = run_docgen("build", cwd=archive)
    assert result.returncode == 1 and "录入抽查结果」逾期" in result.stdout  # said, and the documents made
    assert "未更新" not in result.stdout and "未生成" not in result.stdout
    name = yaml.safe_load((archive / "records/entities/org-031.yaml").read_text(encoding="utf-8"))["name"]
    form = docx.Document(str(archive / f"output/qa-2023-30/04_实地核查记录表_{name}.docx"))
    assert "无（迟录）" in "".join(c.text for t in form.tables for r in t.rows for c in r.cells)
    public = openpyxl.load_workbook(archive / "output/qa-2023-30/07_公示表.xlsx").active
    assert any(name in str(c.value) for r in public.iter_rows() for c in r)
    # any other error still holds them
    edit(path, "      handling: 无（迟录）\n", "      handling: 无（再改）\n")
    edit(path, "plan: qa-2023-30\n", "plan: qa-2023-30\nextra_field: 1\n")
    held = run_docgen("build", cwd=archive)
    assert "org-031.yaml 有错误" in held.stdout
    assert "无（再改）" not in "".join(c.text for t in docx.Document(str(
        archive / f"output/qa-2023-30/04_实地核查记录表_{name}.docx")).tables for r in t.rows for c in r.cells)


def test_a_late_step_is_known_by_its_kind_not_its_wording(archive):
    """A follow-up closed late whose issue quotes 「…」 is still only late: the record's documents are
    made; a confirmation made late neither stops draw --verify nor the export of results."""
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    edit(path, "- issue: 疏散通道堆放杂物，灭火器压力不足\n", "- issue: 疏散通道堆放杂物，「安全出口」标志缺失\n")
    edit(path, "  closed: '2023-11-13'\n", "  closed: '2023-11-20'\n")
    edit(archive / "records/plans/qa-2023-30.yaml", "  xfjy: '2023-11-02'\n", "  xfjy: '2023-11-06'\n")
    checked = check(archive)
    late = [p for p in checked.errors if p.path.endswith(("org-002.yaml", "qa-2023-30.yaml"))]
    assert len(late) == 2 and {p.severity for p in late} == {"late"} and not any(p.holds_documents for p in late)
    assert checked.is_valid(next(r for r in checked.records if r.path.endswith("org-002.yaml")))
    verified = run_docgen("draw", "qa-2023-30", "--verify", cwd=archive)
    assert "修正后才能抽取" not in verified.stdout + verified.stderr and verified.returncode in (0, 1)
    exported = run_docgen("export", "results", "qa-2023-30", cwd=archive)
    assert exported.returncode == 0, exported.stdout + exported.stderr


def test_example_validates_with_warnings_only(archive):
    result = run_docgen("validate", "--as-of", "2024-06-01", cwd=archive)
    assert result.returncode == 0, result.stdout
    assert "警告：「录入抽查结果」已逾期" in result.stdout
    assert "警告：「后续处置" in result.stdout


def test_status_text_shows_each_state(archive):
    result = run_docgen("status", "--as-of", "2023-11-24", cwd=archive)
    assert result.returncode == 1  # something is overdue
    out = result.stdout
    assert "统计日期：2023-11-24" in out
    assert "[逾期]" in out and "records/inspections/qa-2023-30/" in out
    assert "按时 21，逾期 3" in out       # entered on time vs. late, each department's own result
    # org-031's follow-up was closed on 2023-11-28: open on the 24th (status counts the day as it stood)
    assert "已完结 1，未完结 2" in out
    assert "运用信用风险分类抽查占比" in out and "100%（目标 ≥ 85%，达标）" in out
    assert "名录库抽查覆盖率" in out
    again = run_docgen("status", "--as-of", "2023-11-24", cwd=archive)
    assert again.stdout == out


def test_status_as_of_counts_only_what_had_happened_by_then(archive):
    """A step done, a result approved, a follow-up closed or a visit made after the as-of date had not
    happened on that day: an earlier date's status never counts later events as done."""
    later = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                  cwd=archive).stdout)["plans"][0]
    assert later["follow_ups_closed"] == 2 and later["disclosed_pending"] == 0
    early = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-11-10", "--format", "json",
                                  cwd=archive).stdout)
    plan = early["plans"][0]
    assert plan["follow_ups_closed"] == 0 and plan["follow_ups_open"] == 3
    # a result completed after the day has no entry or disclosure step yet: every step counted came of a
    # part completed by then
    fifteenth = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-11-15", "--format", "json",
                                      cwd=archive).stdout)["plans"][0]
    completed = sum(1 for p in inspection_files(archive) for part in (yaml.safe_load(p.read_text(encoding="utf-8"))
                    .get("departments") or {}).values() if str(part.get("completed") or "9999") <= "2023-11-15")
    for step in ("entered", "disclosed"):
        assert sum(fifteenth[f"{step}_{kind}"] for kind in ("on_time", "late", "pending")) == completed
    # org-031's follow-up came of its visit on 11-09: not there yet on the 8th
    eighth = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-11-08", "--format", "json",
                                   cwd=archive).stdout)["plans"][0]
    assert eighth["follow_ups_total"] == 2 and eighth["follow_ups_open"] == 2
    # nothing had been disclosed by 10 November: every disclosure still to come, none counted on time
    assert plan["disclosed_on_time"] == 0 and plan["disclosed_late"] == 0 and plan["disclosure_rate"] is None
    assert plan["entered_on_time"] < later["entered_on_time"]
    # visits after the day are not yet in the year's coverage
    assert early["year"]["inspected"] < json.loads(run_docgen(
        "status", "--as-of", "2023-12-31", "--format", "json", cwd=archive).stdout)["year"]["inspected"]
    # a result approved after the day was awaiting approval on it (jyj's part: entered 11-13, approved 11-20)
    path = archive / "records" / "inspections" / "qa-2023-30" / "org-031.yaml"
    text = path.read_text(encoding="utf-8")
    assert "      reviewer: 李建国\n      date: '2023-11-13'\n" in text
    path.write_text(text.replace("      reviewer: 李建国\n      date: '2023-11-13'\n",
                                 "      reviewer: 李建国\n      date: '2023-11-20'\n", 1), encoding="utf-8")
    waiting = [json.loads(run_docgen("status", "qa-2023-30", "--as-of", day, "--format", "json",
                                     cwd=archive).stdout)["plans"][0]["awaiting_approval"] for day in
               ("2023-11-15", "2023-11-20")]
    assert [sum("org-031.yaml" in entry for entry in w) for w in waiting] == [1, 0]


def test_an_entity_not_visited_by_the_plans_end_is_overdue(archive):
    """The plan's period (时间安排) is a deadline too: a drawn entity still not visited once it is over
    is overdue; a visit after it is warned, never an error that would hold its documents back."""
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-01", "--format", "json",
                                 cwd=archive).stdout)
    late = [i for i in data["plans"][0]["items"] if i["step"] == "实地检查"]
    assert {i["path"].rsplit("/", 1)[-1] for i in late} == {"org-033.yaml", "org-048.yaml"}
    assert all(i["state"] == "逾期" and i["due"] == "2023-11-30" for i in late)
    before = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-11-28", "--format", "json",
                                   cwd=archive).stdout)["plans"][0]["items"]
    assert {i["state"] for i in before if i["step"] == "实地检查"} == {"即将到期"}
    path = archive / "records/inspections/qa-2023-30/org-033.yaml"
    edit(path, "  notice_served: '2023-11-22'\n", "  notice_served: '2023-11-22'\n  visit: '2023-12-04'\n")
    from docgen.records.archive import Archive
    from docgen.records.check import check_archive

    problems = [p for p in check_archive(Archive(str(archive / "records")), today=dt.date(2024, 1, 10)).problems
                if p.path.endswith("org-033.yaml") and "实地检查" in p.message]
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "应在 2023-11-30 前完成，实际 2023-12-04 才完成" in problems[0].message
    assert problems[0].line == line_of(path, "  visit: '2023-12-04'")


def test_annual_plan_status_notes_only_its_own_year(archive):
    """An annual plan's status names the overdue steps of its year's joint plans, and counts them: it
    never lists another year's overdue steps and then says 没有逾期未办的事项."""
    result = run_docgen("status", "qx-2024-6", "--as-of", "2024-01-10", cwd=archive)
    assert "已逾期" not in result.stdout and "qa-2023-30/" not in result.stdout  # the 2023 plan's, not 2024's
    assert "没有逾期未办的事项" in result.stdout and result.returncode == 0
    both = run_docgen("status", "qa-2023-30", "--as-of", "2024-01-10", cwd=archive)
    overdue = both.stdout.count("已逾期")
    assert overdue and both.returncode == 1 and f"有 {both.stdout.count('[逾期]')} 项逾期" in both.stdout


def test_status_json_and_due_soon(archive):
    result = run_docgen("status", "qa-2023-30", "--as-of", "2023-11-21", "--format", "json", cwd=archive)
    data = json.loads(result.stdout)
    plan = data["plans"][0]
    assert data["as_of"] == "2023-11-21"
    classes = {c["credit_class"]: c for c in plan["classes"]}
    assert classes["A"]["population"] == 16 and classes["A"]["required"] == classes["A"]["drawn"] == 2
    states = {i["state"] for i in plan["items"]}
    assert "即将到期" in states
    assert all(i["path"].startswith("records/") for i in plan["items"])
    assert plan["follow_ups_open"] == 2 and plan["follow_ups_closed"] == 1  # org-031's closed on 11-28
    assert data["year"]["roster"] == 47
    bad = run_docgen("status", "--as-of", "yesterday", cwd=archive)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_statistics_workbook(archive):
    assert run_docgen("build", "--plan", "qa-2023-30", "--as-of", "2023-11-24", cwd=archive).returncode == 0
    wb = openpyxl.load_workbook(archive / "output/qa-2023-30/08_抽查情况统计表.xlsx")
    classes = wb["分类抽查情况"]
    rows = [r for r in classes.iter_rows(min_row=5, values_only=True) if r[0] in ("A", "B", "C", "D")]
    assert [r[0] for r in rows] == ["A", "B", "C", "D"] and rows[0][1] == 16
    targets = {r[0]: r for r in wb["工作指标"].iter_rows(min_row=5, values_only=True) if r[0]}
    assert targets["抽查结果按时录入率"][2] == "87.5%"
    assert targets["运用信用风险分类抽查占比"][3] == "达标"
    assert any("统计截至：2023年11月24日" == r[0] for r in wb["工作指标"].iter_rows(values_only=True))
    assert wb["工作指标"].page_setup.orientation == "landscape"


def test_status_says_when_records_with_errors_are_left_out(archive):
    path = inspection_files(archive)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("group: ", "group: [", 1), encoding="utf-8")
    result = run_docgen("status", "qa-2023-30", "--as-of", "2024-01-10", cwd=archive)
    assert "记录中有 1 个错误" in result.stdout and "Traceback" not in result.stderr


def test_errors_that_hold_records_out_of_the_counts_are_never_an_all_clear(archive):
    """The plan's own file with an error: no plan is counted, so "没有逾期未办的事项" with exit 0 would be a false
    all-clear. The status says the errors, lists them in JSON, and exits 1."""
    import json

    edit(archive / "records/plans/qa-2023-30.yaml", "- heading: 工作程序", "- headin: 工作程序")
    text = run_docgen("status", "--as-of", "2023-12-01", cwd=archive)
    assert text.returncode == 1 and "注意：记录中有" in text.stdout and "包括计划本身" in text.stdout
    data = run_docgen("status", "--as-of", "2023-12-01", "--format", "json", cwd=archive)
    assert data.returncode == 1
    listed = json.loads(data.stdout)["record_errors"]
    assert listed and all("records/plans/qa-2023-30.yaml:" in line.replace("\\", "/") for line in listed)


def test_a_record_with_a_rule_error_is_in_no_count(archive):
    """Results that contradict each other (未发现问题 with 检查对象已注销) are an error found by a rule, not
    the schema: that inspection is left out of the counts as the README says and as the build leaves it
    out of the 公示表 and statistics — its overdue steps included. A plan with such an error is not
    counted either, and asked for by name it says why."""
    import json

    args = ("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json")
    whole = json.loads(run_docgen(*args, cwd=archive).stdout)
    before = whole["plans"][0]
    assert any("org-040.yaml" in line for line in whole["problems"])  # its entry is overdue
    path = archive / "records/inspections/qa-2023-30/org-040.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  jyj:\n")
    at = text.index("    results:\n", start)
    end = text.index("\n", text.index("    - ", at)) + 1
    path.write_text(text[:at] + "    results:\n    - 未发现问题\n    - 检查对象已注销\n" + text[end:], encoding="utf-8")
    assert any(p.is_error and p.path.endswith("org-040.yaml") for p in check(archive).problems)
    result = run_docgen(*args, cwd=archive)
    after = json.loads(result.stdout)
    assert result.returncode == 1 and any("org-040.yaml" in line for line in after["record_errors"])
    assert after["plans"][0]["inspections"] == before["inspections"] - 1
    assert not any("org-040.yaml" in line for line in after["problems"]) and after["overdue"] < whole["overdue"]
    edit(archive / "records/plans/qa-2023-30.yaml", "  end: '2023-11-30'", "  end: '2023-10-01'")  # before its start
    named = run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", cwd=archive)
    assert named.returncode == 2 and "抽查计划“qa-2023-30”或其参与部门、抽查事项清单的记录有错误，修正后才能查看进度" \
        in named.stderr and "records/plans/qa-2023-30.yaml:112:" in named.stderr.replace("\\", "/")
    every = run_docgen("status", "--as-of", "2023-12-31", cwd=archive)
    assert every.returncode == 1 and "计划 qa-2023-30：" not in every.stdout and "包括计划本身" in every.stdout


def test_a_plan_whose_department_has_an_error_is_not_counted(archive):
    """A department record with an error: the build makes none of the plan's documents, and the
    status does not count the plan either; asked for by name, it shows that department's error."""
    path = archive / "records/departments/gaj.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- plate: 冀B·G0202\n", encoding="utf-8")  # no driver
    errors = [p for p in check(archive).problems if p.is_error]
    assert errors and all(p.path.endswith("gaj.yaml") for p in errors)  # (not its inspectors in every inspection)
    named = run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", cwd=archive)
    assert named.returncode == 2 and "records/departments/gaj.yaml:" in named.stderr.replace("\\", "/")
    every = run_docgen("status", "--as-of", "2023-12-31", cwd=archive)
    assert every.returncode == 1 and "计划 qa-2023-30：" not in every.stdout
    assert "注意：计划 qa-2023-30 的记录（或其参与部门、抽查事项清单）有错误，未列出，也未计入统计。" in every.stdout
    assert "没有逾期未办的事项。" not in every.stdout.replace("计入统计的记录中没有逾期未办的事项。", "")
    data = json.loads(run_docgen("status", "--as-of", "2023-12-31", "--format", "json", cwd=archive).stdout)
    assert data["plans_left_out"] == ["qa-2023-30"]


def test_an_inspection_whose_entity_has_an_error_of_its_shape_is_not_counted(archive):
    """An entity record the schema refuses is not in the index: its inspection is left out (as the build
    leaves it out), not counted as whole."""
    args = ("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json")
    before = json.loads(run_docgen(*args, cwd=archive).stdout)["plans"][0]["inspections"]
    edit(archive / "records/entities/org-033.yaml", "credit_class: C", "credit_class: Z")
    after = json.loads(run_docgen(*args, cwd=archive).stdout)["plans"][0]["inspections"]
    assert after == before - 1


def test_the_statistics_sheet_says_no_data_rather_than_met(archive):
    """As of the day before any visit nothing is entered or disclosed yet: the 08 sheet said 达标 for
    the on-time rates (nothing late), the status 尚无数据; both now say 尚无数据 for a rate of nothing."""
    assert run_docgen("build", "--plan", "qa-2023-30", "--as-of", "2023-11-01", cwd=archive).returncode == 0
    wb = openpyxl.load_workbook(archive / "output/qa-2023-30/08_抽查情况统计表.xlsx")
    targets = {r[0]: r for r in wb["工作指标"].iter_rows(min_row=5, values_only=True) if r[0]}
    for name in ("抽查结果按时录入率", "抽查结果按时公示率"):
        assert targets[name][2] == "—" and targets[name][3] == "尚无数据", targets[name]
    assert all(r[3] == "尚无数据" for n, r in targets.items() if n.endswith("：结果按时公示率")), targets
    assert targets["后续处置完结率"][2:4] == ("—", "尚无数据"), targets["后续处置完结率"]  # no follow-up yet


def test_an_on_time_rate_is_met_by_nothing_late_not_by_its_rounding():
    """1,999 of 2,000 entries on time rounds to 100.0%: one late entry is still 未达标."""
    from docgen.status import percent, verdict

    rate = percent(1999, 2000)
    assert rate == 100.0 and verdict(rate, lambda v: 1 == 0) == "未达标" and verdict(None, lambda v: True) == "尚无数据"


def test_a_department_that_owes_results_has_its_own_row(archive):
    """A team department that wrote no part anywhere still owes its results: it has a row in the
    status and the 08 sheet, and the plan's totals are the sum of the rows."""
    import json
    import re

    for path in inspection_files(archive):
        text = path.read_text(encoding="utf-8")
        if "\n  gaj:\n    items:" in text:
            start = text.index("\n  gaj:\n    items:") + 1
            end = re.compile(r"^(?!    )", re.M).search(text, text.index("\n", start) + 1)
            path.write_text(text[:start] + text[end.start() if end else len(text):], encoding="utf-8")
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json", cwd=archive).stdout)
    plan = data["plans"][0]
    rows = {row["name"]: row for row in plan["departments"]}
    assert "迁安市公安局" in rows and rows["迁安市公安局"]["results"] == 0 and rows["迁安市公安局"]["entered_late"] > 0
    assert list(rows) == ["迁安市教育局", "迁安市公安局", "迁安市消防救援大队"]  # the plan's order, not the records'
    assert sum(r["entered_late"] for r in rows.values()) == plan["entered_late"]
    assert sum(r["entered_on_time"] for r in rows.values()) == plan["entered_on_time"]


def test_a_finished_draw_keeps_its_figures_whatever_the_roster_became(archive):
    """The 08 of a plan drawn in October is reported as drawn: an entity added to the roster in November
    (B 16 → 17, 应抽 3 → 4) and another reclassified (B → D) made it 实抽 不足 after the fact. The figures
    are the draw record's; a plan without one (its entities from the platform) counts the roster."""
    entities = archive / "records" / "entities"
    text = (entities / "org-002.yaml").read_text(encoding="utf-8")
    assert "credit_class: A" in text
    new = text.replace("id: org-002", "id: org-900").replace("52130283G8A6QH66NX", "52130283MA0000900X") \
        .replace("credit_class: A", "credit_class: B").replace("育才体育", "新开张")
    from docgen.records import creditcode
    code = creditcode.complete("52130283MA0000900")
    (entities / "org-900.yaml").write_text(new.replace("52130283MA0000900X", code), encoding="utf-8")
    drawn_b = next(p for p in inspection_files(archive, "qa-2023-30")
                   if "credit_class: B" in (entities / f"{yaml.safe_load(p.read_text('utf-8'))['entity']}.yaml")
                   .read_text("utf-8"))
    entity = entities / f"{yaml.safe_load(drawn_b.read_text('utf-8'))['entity']}.yaml"
    edit(entity, "credit_class: B", "credit_class: D")

    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                 cwd=archive).stdout)
    classes = {c["credit_class"]: c for c in data["plans"][0]["classes"]}
    assert [(classes[c]["population"], classes[c]["required"], classes[c]["drawn"]) for c in "ABCD"] == \
        [(16, 2, 2), (16, 3, 3), (10, 3, 3), (3, 2, 2)]  # as records/draws/qa-2023-30-draw-1.yaml says
    assert all(classes[c]["met"] for c in "ABCD")
    assert run_docgen("build", "--plan", "qa-2023-30", cwd=archive).returncode == 0
    sheet = openpyxl.load_workbook(archive / "output/qa-2023-30/08_抽查情况统计表.xlsx")["分类抽查情况"]
    rows = [r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0] == "B"]
    assert rows[0][1:4] == (16, 3, 3) and rows[0][-1] == "达标"

    # the entity drawn as B, now D: its inspection gone, B (the class it was drawn in) has one fewer
    drawn_b.unlink()
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                 cwd=archive).stdout)
    classes = {c["credit_class"]: c for c in data["plans"][0]["classes"]}
    assert (classes["B"]["drawn"], classes["B"]["met"], classes["D"]["drawn"]) == (2, False, 2)
    # an entity whose own record has an error is in no count: its inspection is not 实抽
    a_entity = next(p for p in inspection_files(archive, "qa-2023-30")
                    if (entities / f"{yaml.safe_load(p.read_text('utf-8'))['entity']}.yaml").read_text("utf-8")
                    .count("credit_class: A"))
    a_entity = entities / f"{yaml.safe_load(a_entity.read_text('utf-8'))['entity']}.yaml"
    text = a_entity.read_text(encoding="utf-8")
    a_entity.write_text(text.replace(text.split("address: ")[1].split("\n")[0], "''", 1), encoding="utf-8")
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                 cwd=archive).stdout)
    classes = {c["credit_class"]: c for c in data["plans"][0]["classes"]}
    assert classes["A"]["drawn"] == 1
    a_entity.write_text(text, encoding="utf-8")
    # 实抽 is still what was inspected: a drawn entity whose inspection record is gone is not counted
    gone = next(p for p in inspection_files(archive, "qa-2023-30")
                if (entities / f"{yaml.safe_load(p.read_text('utf-8'))['entity']}.yaml").read_text("utf-8")
                .count("credit_class: C"))
    gone.unlink()
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                 cwd=archive).stdout)
    classes = {c["credit_class"]: c for c in data["plans"][0]["classes"]}
    assert (classes["C"]["population"], classes["C"]["drawn"], classes["C"]["met"]) == (10, 2, False)
    from docgen.status import drawn_by_class
    assert drawn_by_class({"drawn": {"A": 1, "B": 1}, "entities": ["a", "b", "c"]}, {"a", "b"}) is None  # 2 ≠ 3

    (archive / "records" / "draws" / "qa-2023-30-draw-1.yaml").unlink()  # as if drawn on the platform
    for path in inspection_files(archive, "qa-2023-30"):
        edit(path, "draw: qa-2023-30-draw-1\n", "")
    data = json.loads(run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", "--format", "json",
                                 cwd=archive).stdout)
    classes = {c["credit_class"]: c for c in data["plans"][0]["classes"]}
    assert classes["B"]["population"] == 16 and classes["D"]["population"] == 4  # 16 + 1 − 1, 3 + 1
    assert [classes[c]["drawn"] for c in "ABCD"] == [2, 2, 2, 2]  # the records left, by their class today


def test_a_long_department_name_does_not_run_into_its_figures(archive):
    """滦南县市场监督管理局 (10 characters, 20 columns) printed as “…管理局结果 2 项”."""
    edit(archive / "records/departments/gaj.yaml", "name: 迁安市公安局\n", "name: 迁安市公安局治安管理支队\n")
    result = run_docgen("status", "qa-2023-30", "--as-of", "2023-12-31", cwd=archive)
    rows = [line for line in result.stdout.splitlines() if "结果 " in line and "项；录入" in line]
    assert len(rows) == 3 and any("迁安市公安局治安管理支队  结果" in line for line in rows), result.stdout
    from docgen.records.model import display_width
    assert len({display_width(line.split("结果 ")[0]) for line in rows}) == 1  # one column for the figures
