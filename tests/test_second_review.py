"""What a second review (an office head's year in git, a draw checked from a clone, an archive from
elsewhere) found: names that are not UTF-8, file names quoted inside messages, an inspector swapped by
hand, a calendar copied from last year, an item written under another name, a link at a document's
path, a template's range() and a document that unpacks to gigabytes."""

import os
import shutil
import zipfile

import pytest
import yaml

from conftest import check, inspection_files, problems_for, run_docgen

PLAN = "qa-2023-30"
GBK = "备份".encode("gbk")  # b'\xb1\xb8\xb7\xdd': a name from a zip made on Chinese Windows, unpacked here


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname == "Darwin", reason="names are bytes on Linux only")
def test_a_record_file_or_folder_named_in_gbk_is_refused_and_the_rest_checked(archive):
    entities = os.fsencode(archive / "records/entities")
    shutil.copy(archive / "records/entities/org-008.yaml", os.path.join(entities, GBK + b".yaml"))
    folder = os.path.join(os.fsencode(archive / "records/inspections" / PLAN), GBK)
    os.mkdir(folder)
    shutil.copy(inspection_files(archive)[0], os.path.join(folder, b"org-001.yaml"))
    for command in (["validate"], ["build"], ["status"]):
        result = run_docgen(*command, cwd=archive)
        said = result.stdout + result.stderr
        assert result.returncode == 1 and "内部错误" not in said, (command, said)
    result = run_docgen("validate", cwd=archive)
    lines = [line for line in result.stdout.splitlines() if "不是 UTF-8 编码" in line]
    assert len(lines) == 2, result.stdout
    assert any(line.startswith("records/entities/\\xb1\\xb8\\xb7\\xdd.yaml:") and "文件名称" in line for line in lines)
    assert any(f"records/inspections/{PLAN}/\\xb1\\xb8\\xb7\\xdd" in line and "文件夹名称" in line and "其中的记录没有读取" in line
               for line in lines)
    # the others are checked as ever, and their documents made (the plan tables wait: the file refused
    # may be any inspected entity's)
    assert "检查了" in result.stdout.splitlines()[-1]
    assert (archive / "output" / PLAN / "00_通知.docx").exists()


def test_a_file_name_inside_a_message_cannot_drive_the_terminal(archive):
    odd = "x\n检查了 67 条记录：0 个错误，0 个警告。\n\x1b[31mred"
    shutil.copy(archive / "records/entities/org-001.yaml", archive / "records/entities" / f"{odd}.yaml")
    for _ in range(2):  # the full run, then the replay of it
        result = run_docgen("validate", cwd=archive)
        assert "\x1b" not in result.stdout + result.stderr
        assert not any(line.startswith("检查了 67 条记录：0 个错误") for line in result.stdout.splitlines())
        assert "x\\u000a检查了 67 条记录" in result.stdout


def test_an_inspector_swapped_by_hand_is_said_by_validate(archive):
    path = inspection_files(archive)[0]
    data = load(path)
    roster = load(archive / "records/departments/jyj.yaml")["inspectors"]
    team = data["inspectors"]["jyj"]
    swapped = next(p["id"] for p in roster if p["id"] not in team)
    out = team[-1] if team[-1] != data["leader"] else team[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"- {out}\n", f"- {swapped}\n", 1), encoding="utf-8")
    assert load(path)["inspectors"]["jyj"] != team
    found = [p for p in problems_for(check(archive), path) if "与本计划最新的抽取结果" in p.message]
    assert len(found) == 1 and not found[0].is_error and "迁安市教育局的检查人员" in found[0].message, found
    # an untouched archive says nothing of the kind
    path.write_text(text, encoding="utf-8")
    assert not [p for p in check(archive).problems if "与本计划最新的抽取结果" in p.message]


def test_a_calendar_copied_from_another_year(archive):
    calendar = archive / "records/calendar"
    calendar.mkdir()
    (calendar / "2023.yaml").write_text("year: 2022\nholidays:\n- '2023-11-09'\n", encoding="utf-8")
    [problem] = [p for p in check(archive).problems if p.path.endswith("2023.yaml")]
    assert problem.is_error and "「年份」2022 与文件名“2023”不一致" in problem.message
    (calendar / "2023.yaml").write_text("year: 2023\nholidays:\n- '2023-11-09'\nworkdays:\n- '2023-11-09'\n",
                                        encoding="utf-8")
    [problem] = [p for p in check(archive).problems if p.path.endswith("2023.yaml")]
    assert problem.is_error and "同时写在「放假日期」和「调休上班日」中" in problem.message and problem.line == 5


def test_an_item_written_under_another_name_is_said(archive):
    path = next(p for p in inspection_files(archive)
                if any(part.get("items") for part in (load(p).get("departments") or {}).values()))
    dep_id, part = next((d, p) for d, p in load(path)["departments"].items() if p.get("items"))
    name = part["items"][0]["item"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"item: {name}\n", f"item: {name}（补充）\n", 1), encoding="utf-8")
    [problem] = [p for p in problems_for(check(archive), path) if "不是本计划从本部门抽查事项清单中选取的事项" in p.message]
    assert f"“{name}（补充）”" in problem.message and name in problem.message.split("（补充）”", 1)[1]


def test_a_link_at_a_documents_path_is_said_to_be_one(archive):
    out = archive / "output" / PLAN
    out.mkdir(parents=True)
    (out / "01_实施方案.docx").symlink_to(archive / "records/plans/qa-2023-30.yaml")
    for force in ([], ["--force"]):
        result = run_docgen("build", *force, cwd=archive)
        assert "01_实施方案.docx 不是普通文件（可能是链接或文件夹），docgen 从不替换它，--force 也不会" in result.stdout, \
            result.stdout
        assert "01_实施方案.docx 在上次生成后被修改过" not in result.stdout


def test_a_templates_range_beyond_the_sandboxs_limit_is_said_in_chinese(archive):
    from docgen.documents.templating import failure

    error = failure("02_告知书.docx", OverflowError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."))
    assert "range() 或数值过大" in str(error) and "Range too big" not in str(error)


def test_textconv_refuses_a_part_that_unpacks_too_large(tmp_path, monkeypatch):
    from docgen.documents import textconv

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document/>" + b" " * 4096)
    monkeypatch.setattr(textconv, "MAX_PART", 1024)
    said = textconv.textconv_for_git(str(path))
    assert "解压后超过" in said and "没有读取" in said


def test_an_annual_plan_as_of_a_day_before_its_joint_plans_were_issued(archive):
    """--as-of an earlier day counted the records of plans issued later (a credit share of 100 %, achieved)."""
    annual = archive / "records/plans/qx-2024-6.yaml"
    (archive / "records/plans/qx-2023-6.yaml").write_text(annual.read_text(encoding="utf-8").replace("2024", "2023"),
                                                          encoding="utf-8")
    before = run_docgen("status", "qx-2023-6", "--as-of", "2023-10-01", "--format", "json", cwd=archive)
    [year] = yaml.safe_load(before.stdout)["annual"]
    assert year["covers"] == [] and year["inspections"] == 0 and year["credit_share"] is None, year
    after = run_docgen("status", "qx-2023-6", "--as-of", "2023-12-31", "--format", "json", cwd=archive)
    [year] = yaml.safe_load(after.stdout)["annual"]
    assert year["covers"] == [PLAN] and year["inspections"] > 0


def test_a_result_without_its_items_is_said(archive):
    """04 printed the department's result above blank rows for every item of its list, to be signed as it was."""
    path = next(p for p in inspection_files(archive)
                if any(part.get("items") and part.get("results") == ["未发现问题"]
                       for part in (load(p).get("departments") or {}).values()))
    data = load(path)
    dep_id = next(d for d, part in data["departments"].items() if part.get("items") and part.get("results") == ["未发现问题"])
    del data["departments"][dep_id]["items"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = [p for p in problems_for(check(archive), path) if "没有逐项填写检查事项" in p.message]
    assert len(found) == 1 and not found[0].is_error
    # an entity that could not be found has no items to write: nothing is said of it
    data["departments"][dep_id]["results"] = ["通过登记的住所（经营场所）无法联系"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert not [p for p in problems_for(check(archive), path) if "没有逐项填写检查事项" in p.message]


# -- the re-check of the fixes above -------------------------------------------------------------

def test_08_is_dated_by_what_was_done_not_by_a_planned_visit(archive):
    """A visit may now be written ahead (the 告知书 names it); 08 took the records' latest date, the planned
    visit's, and counted that visit as made."""
    assert run_docgen("build", cwd=archive).returncode == 0
    import openpyxl

    def dated():
        sheet = openpyxl.load_workbook(archive / "output" / PLAN / "08_抽查情况统计表.xlsx").active
        return next(str(c.value) for row in sheet.iter_rows() for c in row if c.value and "统计截至" in str(c.value))

    before = dated()
    path = archive / f"records/inspections/{PLAN}/org-048.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "dates:\n  visit: '2023-12-20'\n", encoding="utf-8")
    run_docgen("build", cwd=archive)
    assert dated() == before and "2023年12月20日" not in before


def test_a_deadline_beyond_the_calendar_for_a_part_not_completed_holds_nothing_back(archive):
    """A visit planned for late December, its results' deadline in a year chinesecalendar does not know yet:
    the 告知书 must be served before that visit, and was held back by the error."""
    from test_status import first_unknown_year

    year = first_unknown_year()
    path = archive / f"records/inspections/{PLAN}/org-048.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"dates:\n  visit: '{year - 1}-12-30'\n", encoding="utf-8")
    found = [p for p in problems_for(check(archive), path) if "工作日历" in p.message]
    assert found and not any(p.is_error for p in found), [str(p) for p in found]


def test_the_watchers_line_shows_a_changed_files_name_not_obeys_it(tmp_path):
    from docgen.watch import describe

    line = describe({str(tmp_path / "records/entities/x\x1b]0;TITLE\x07.yaml")}, str(tmp_path))
    assert "\x1b" not in line and "\x07" not in line and "x\\u001b]0;TITLE\\u0007.yaml" in line


def test_the_margin_hint_where_yaml_read_on_into_the_next_line(archive):
    path = archive / f"records/inspections/{PLAN}/org-021.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  reached: 徐磊\n", "reached: 徐磊\n", 1), encoding="utf-8")
    [problem] = [p for p in problems_for(check(archive), path) if p.is_error]
    assert "也可能是上一行（第 27 行）缩进少了" in problem.message, problem.message


def test_a_refused_inspection_writes_no_items_and_is_not_told_to(archive):
    path, dep_id, part = next((p, d, part) for p in inspection_files(archive)
                              for d, part in (load(p).get("departments") or {}).items() if part.get("items"))
    data = load(path)
    del data["departments"][dep_id]["items"]
    data["departments"][dep_id]["results"] = ["不配合检查情节严重"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert not [p for p in problems_for(check(archive), path) if "没有逐项填写检查事项" in p.message]


def test_verify_does_not_pass_over_a_plans_record_it_cannot_read(archive):
    folder = archive / f"records/inspections/{PLAN}"
    (folder / "org-999.yaml").write_text("plan: [\n", encoding="utf-8")
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 1 and "org-999.yaml 无法读取或有错误，其中的抽查记录没有核对" in result.stdout, result.stdout


def test_a_badge_given_twice_is_said_in_both_files(archive):
    one, two = archive / "records/departments/jyj.yaml", archive / "records/departments/gaj.yaml"
    badge = load(two)["inspectors"][3]["badge"]
    mine = load(one)["inspectors"][3]["badge"]
    text = one.read_text(encoding="utf-8")
    one.write_text(text.replace(f"badge: '{mine}'", f"badge: '{badge}'", 1), encoding="utf-8")
    said = {p.path.rsplit("/", 1)[-1] for p in check(archive).errors if "执法证号" in p.message and "重复" in p.message}
    assert said == {"jyj.yaml", "gaj.yaml"}


def test_an_entity_id_typed_as_another_existing_entitys_is_offered_both_ways(archive):
    """`entity: org-003` in org-002.yaml, both entities existing: renaming the file would follow the typo."""
    path = next(p for p in inspection_files(archive) if p.stem == "org-021")
    other = next(p.stem for p in (archive / "records/entities").glob("*.yaml") if p.stem != "org-021")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("entity: org-021", f"entity: {other}", 1), encoding="utf-8")
    messages = [p.message for p in problems_for(check(archive), path) if "文件名却是" in p.message]
    assert messages and f"应为 {other}.yaml；若是把编号写错了，应为 entity: org-021" in messages[0], messages
