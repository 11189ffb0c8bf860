"""Issue 7: the office's archive — init, textconv and git diffs, editor support, roster import."""

import shutil
import subprocess

import openpyxl
import pytest
import yaml

from conftest import EXAMPLE, edit, run_docgen
from docgen.records import creditcode

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(*args, cwd):
    import os
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV}).stdout


def test_init_then_build(tmp_path):
    target = tmp_path / "office"
    result = run_docgen("init", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for path in ("records/plans/example-plan.yaml", "records/departments/example-dept.yaml",
                 "records/entities/example-org.yaml", "records/inspections/example-plan/example-org.yaml",
                 "templates/02_告知书.docx", "schemas/entity.schema.json", ".gitattributes", "README.md"):
        assert (target / path).exists(), path
    assert "*.docx diff=docgen" in (target / ".gitattributes").read_text(encoding="utf-8")
    entity = (target / "records/entities/example-org.yaml").read_text(encoding="utf-8")
    assert entity.startswith("# yaml-language-server: $schema=../../schemas/entity.schema.json\n")
    assert "# 统一社会信用代码：18 位统一社会信用代码" in entity
    assert run_docgen("validate", cwd=target).returncode == 0
    built = run_docgen("build", cwd=target)
    assert built.returncode == 0, built.stdout
    docs = sorted(p.name for p in (target / "output/example-plan").glob("*.docx"))
    assert len([n for n in docs if n.startswith(("00_通知", "01_", "02_", "04_"))]) == 4
    assert "00_全套文书（打印）.docx" in docs and "09_第1组_随身文书.docx" in docs and len(docs) == 6  # print sets
    # the archive's own templates are used: restyle one and the output follows
    import docx
    template = docx.Document(str(target / "templates/00_通知.docx"))
    template.add_paragraph("本办自定义的落款说明")
    template.save(str(target / "templates/00_通知.docx"))
    run_docgen("build", cwd=target)
    assert "本办自定义的落款说明" in run_docgen("textconv", "output/example-plan/00_通知.docx", cwd=target).stdout


def test_init_refuses_non_empty_and_never_overwrites(tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    refused = run_docgen("init", str(target), cwd=tmp_path)
    assert refused.returncode == 2 and "不是空的" in refused.stderr
    (target / "README.md").write_text("我的说明")
    forced = run_docgen("init", str(target), "--force", cwd=tmp_path)
    assert forced.returncode == 0 and "已存在，未覆盖" in forced.stdout
    assert (target / "README.md").read_text() == "我的说明" and (target / "notes.txt").read_text() == "mine"


@pytest.fixture(scope="module")
def example_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("tc")
    shutil.copytree(EXAMPLE, root / "records")
    assert run_docgen("build", cwd=root).returncode == 0
    return root


@pytest.mark.parametrize("pattern, expected", [
    ("00_通知.docx", ["迁双随机办〔2023〕30号", "附件：1."]),
    ("01_实施方案.docx", ["一、抽查时间", "（一）加强组织领导。"]),
    ("02_告知书_*.docx", ["统一社会信用代码：", "┌ 表格", "│ 部门 | 姓名 | 执法证号"]),
    ("03_随机抽查后续处置工作台账.xlsx", ["== 工作表：", "序号 | 企业名称 | 统一社会信用代码", "已完结"]),
    ("04_实地核查记录表_*.docx", ["检查部门 | 检查事项 | 发现问题情况 | 处置情况", "□实地检查"]),
    ("05_电话告知记录表.xlsx", ["告知时间", "郭玲玲"]),
    ("06_人员分组及车辆安排情况表.xlsx", ["第1组", "冀B·J0101"]),
    ("07_公示表.xlsx", ["抽查结果", "未发现问题"]),
    ("08_抽查情况统计表.xlsx", ["== 工作表：分类抽查情况 ==", "== 工作表：工作指标 =="]),
])
def test_textconv_every_kind(example_build, pattern, expected):
    path = sorted((example_build / "output/qa-2023-30").glob(pattern))[0]
    first = run_docgen("textconv", str(path), cwd=example_build)
    assert first.returncode == 0
    for text in expected:
        assert text in first.stdout, (text, first.stdout[:500])
    assert run_docgen("textconv", str(path), cwd=example_build).stdout == first.stdout


def test_git_diff_shows_edited_value(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "records")
    git("init", "-q", cwd=tmp_path)
    setup = run_docgen("git-setup", cwd=tmp_path)
    assert setup.returncode == 0, setup.stderr
    assert "*.xlsx diff=docgen" in (tmp_path / ".gitattributes").read_text(encoding="utf-8")
    assert run_docgen("build", cwd=tmp_path).returncode == 0
    git("add", "-A", cwd=tmp_path)
    git("commit", "-qm", "first", cwd=tmp_path)
    entity = tmp_path / "records/entities/org-002.yaml"
    text = entity.read_text(encoding="utf-8")
    old_address = yaml.safe_load(text)["address"]
    entity.write_text(text.replace(old_address, "河北省迁安市新址路88号"), encoding="utf-8")
    assert run_docgen("build", cwd=tmp_path).returncode == 0
    diff = git("diff", "--", "output", cwd=tmp_path)
    assert "+" in diff and "河北省迁安市新址路88号" in diff and old_address in diff
    assert "Binary files" not in diff


def test_new_writes_commented_skeleton_and_refuses_overwrite(archive):
    result = run_docgen("new", "entity", "org-100", cwd=archive)
    assert result.returncode == 0, result.stderr
    path = archive / "records/entities/org-100.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# 企业名称：主体名称（以营业执照或办学许可证为准）（必填）\nname: ''" in text
    assert "id: org-100" in text
    check = run_docgen("validate", cwd=archive)
    assert "records/entities/org-100.yaml" in check.stdout and "「企业名称」不能为空" in check.stdout
    again = run_docgen("new", "entity", "org-100", cwd=archive)
    assert again.returncode == 2 and "已存在" in again.stderr
    assert path.read_text(encoding="utf-8") == text
    assert run_docgen("new", "inspection", "qa-2023-30/org-100", cwd=archive).returncode == 0
    assert run_docgen("new", "entity", "../escape", cwd=archive).returncode == 2
    # an id differing only in case is the same file on Windows and macOS: refused, nothing written
    upper = run_docgen("new", "entity", "ORG-100", cwd=archive)
    assert upper.returncode == 2 and "已有 records/entities/org-100.yaml" in upper.stderr and "“ORG-100.yaml”" in upper.stderr
    folder = run_docgen("new", "inspection", "QA-2023-30/org-101", cwd=archive)
    assert folder.returncode == 2 and "已有 records/inspections/qa-2023-30" in folder.stderr
    assert sorted(p.name for p in (archive / "records/entities").glob("*-100.yaml")) == ["org-100.yaml"]
    assert not (archive / "records/inspections/QA-2023-30").exists()
    (archive / "records/entities/org-100.yaml").rename(archive / "records/entities/org-100.yml")
    other_end = run_docgen("new", "entity", "org-100", cwd=archive)
    assert other_end.returncode == 2 and "已有 records/entities/org-100.yml" in other_end.stderr


def make_roster(path, rows, headers):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某监管平台导出"])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)


def test_import_entities_shuffled_blank_duplicate_bad_code(archive, tmp_path):
    good1 = creditcode.complete("91130283MA1000001")
    good2 = creditcode.complete("52130283MJ2000002")
    bad = good1[:17] + ("0" if good1[17] != "0" else "1")
    headers = ["信用风险分类", "住所", "企业名称", "联系电话", "统一社会信用代码", "法定代表人", "主体类型"]
    rows = [
        ["B类", "迁安市甲路1号", "导入测试甲培训学校", "0315-1234567", good1, "甲某", "校外培训机构"],
        [None, None, None, None, None, None, None],
        ["C", "迁安市乙路2号", "导入测试乙培训学校", "13900000000", good2, "乙某", "校外培训机构"],
        ["A", "迁安市丙路3号", "导入测试丙培训学校", "13900000001", bad, "丙某", "校外培训机构"],
        ["A", "迁安市甲路1号", "导入测试甲培训学校（重复）", "0315-1234567", good1, "甲某", "校外培训机构"],
    ]
    roster = tmp_path / "名录库.xlsx"
    make_roster(roster, rows, headers)
    result = run_docgen("import", "entities", str(roster), cwd=archive)
    assert result.returncode == 1  # some rows were not imported
    assert "第 6 行：统一社会信用代码" in result.stdout and "校验位不正确" in result.stdout
    assert "第 7 行：统一社会信用代码" in result.stdout and "与第 3 行重复" in result.stdout
    created = archive / f"records/entities/{good1}.yaml"
    data = yaml.safe_load(created.read_text(encoding="utf-8"))
    assert data["name"] == "导入测试甲培训学校" and data["credit_class"] == "B"
    assert data["contact"]["phone"] == "0315-1234567" and data["status"] == "存续"
    assert (archive / f"records/entities/{good2}.yaml").exists()
    assert created.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0
    # existing records change only with --update, and the report names the change
    rows[0][1] = "迁安市甲路100号"
    make_roster(roster, rows[:1], headers)
    kept = run_docgen("import", "entities", str(roster), cwd=archive)
    assert "未修改（加 --update 更新）" in kept.stdout
    assert yaml.safe_load(created.read_text(encoding="utf-8"))["address"] == "迁安市甲路1号"
    updated = run_docgen("import", "entities", str(roster), "--update", cwd=archive)
    assert updated.returncode == 0 and "住所：“迁安市甲路1号” → “迁安市甲路100号”" in updated.stdout
    assert yaml.safe_load(created.read_text(encoding="utf-8"))["address"] == "迁安市甲路100号"


def test_import_inspectors(archive, tmp_path):
    roster = tmp_path / "执法人员.xlsx"
    make_roster(roster, [["13000000009999", "新来的（示例）", "13700000000", "校外培训监管"],
                         [None, None, None, None],
                         ["1302830100001", "重复证号", "13700000001", ""]],
                ["执法证号", "姓名", "手机号码", "执法门类"])
    result = run_docgen("import", "departments", str(roster), "--department", "jyj", cwd=archive)
    assert result.returncode == 0, result.stdout
    data = yaml.safe_load((archive / "records/departments/jyj.yaml").read_text(encoding="utf-8"))
    added = [p for p in data["inspectors"] if p["badge"] == "13000000009999"]
    assert added and added[0]["id"] == "jyj-09" and added[0]["qualifications"] == ["校外培训监管"]
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0


def test_import_inspectors_keeps_the_department_file_as_written(archive, tmp_path):
    """New people are added below the last inspector, an --update changes a value where it is
    written: the clerk's comments, the other keys and their order stay byte for byte."""
    path = archive / "records/departments/jyj.yaml"
    edit(path, "- id: jyj-02\n", "# 郭晓燕 2024 年调入\n- id: jyj-02\n")
    path.write_text(path.read_text(encoding="utf-8") + "# 每年一月核对名录\n", encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    roster = tmp_path / "执法人员.xlsx"
    make_roster(roster, [["13000000009999", "新来的 & <甲>", "13700000000", "校外培训监管"]],
                ["执法证号", "姓名", "手机号码", "执法门类"])
    result = run_docgen("import", "departments", str(roster), "--department", "jyj", cwd=archive)
    assert result.returncode == 0 and "新增执法人员新来的 & <甲>（jyj-09" in result.stdout, result.stdout
    after = path.read_text(encoding="utf-8")
    cut = before.index("vehicles:\n")
    added = ("- id: jyj-09\n  name: 新来的 & <甲>\n  badge: '13000000009999'\n  phone: '13700000000'\n"
             "  qualifications:\n  - 校外培训监管\n")
    assert after == before[:cut] + added + before[cut:]
    assert run_docgen("validate", "--as-of", "2023-11-20", cwd=archive).returncode == 0
    again = run_docgen("import", "departments", str(roster), "--department", "jyj", cwd=archive)
    assert again.returncode == 0 and path.read_text(encoding="utf-8") == after  # nothing new: untouched
    make_roster(roster, [["13000000009999", "新来的 & <甲>", "13700000001", "校外培训监管"]],
                ["执法证号", "姓名", "手机号码", "执法门类"])
    assert run_docgen("import", "departments", str(roster), "--department", "jyj", "--update", cwd=archive).returncode == 0
    assert path.read_text(encoding="utf-8") == after.replace("'13700000000'", "'13700000001'")


def test_import_update_changes_an_entity_in_place(archive, tmp_path):
    """--update writes the new address and phone where the old ones were and adds a field the record
    lacked below its last one; the clerk's comments stay. A flow-style record is written anew."""
    path = archive / "records" / "entities" / "org-002.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    commented = text.replace("address:", "# 2023 年搬迁\naddress:", 1) + "# 核对：2023-11\n"
    path.write_text(commented, encoding="utf-8")
    headers = ["统一社会信用代码", "企业名称", "法定代表人", "住所", "主体类型", "信用风险分类", "联系电话", "登记状态"]
    rows = [[data["credit_code"], data["name"], data["legal_rep"], "迁安市新路{1}号 & <东>", data["type"],
             data["credit_class"], "13273165299", data.get("status", "存续")]]
    roster = tmp_path / "名录库.xlsx"
    make_roster(roster, rows, headers)
    result = run_docgen("import", "entities", str(roster), "--update", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    after = path.read_text(encoding="utf-8")
    assert after == commented.replace(f"address: {data['address']}", "address: 迁安市新路{1}号 & <东>").replace(
        f"phone: '{data['contact']['phone']}'", "phone: '13273165299'"), after
    assert yaml.safe_load(after)["address"] == "迁安市新路{1}号 & <东>"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, default_flow_style=True, width=1000), encoding="utf-8")
    assert run_docgen("import", "entities", str(roster), "--update", cwd=archive).returncode == 0
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["address"] == "迁安市新路{1}号 & <东>"


def test_import_update_leaves_what_the_table_does_not_say(archive, tmp_path):
    """A roster without 登记状态 or 联系人 columns, and a licence column without validity: --update
    changes only what the table holds (a deregistered entity does not become 存续 again)."""
    path = archive / "records" / "entities" / "org-002.yaml"
    edit(path, "status: 存续", "status: 注销")
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    headers = ["统一社会信用代码", "企业名称", "法定代表人", "住所", "主体类型", "信用风险分类", "许可证号", "联系电话"]
    rows = [[before["credit_code"], before["name"], before["legal_rep"], before["address"], before["type"],
             before["credit_class"], before["licence"]["number"], "13273165211"]]
    roster = tmp_path / "名录库.xlsx"
    make_roster(roster, rows, headers)
    result = run_docgen("import", "entities", str(roster), "--update", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert after["status"] == "注销" and after["licence"] == before["licence"]
    assert after["contact"] == {"name": before["contact"]["name"], "phone": "13273165211"}
    assert "登记状态" not in result.stdout and "联系人" not in result.stdout
    rows[0][6] = "教民1130283600999号"  # another licence: its validity is not the old one's
    make_roster(roster, rows, headers)
    assert run_docgen("import", "entities", str(roster), "--update", cwd=archive).returncode == 0
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["licence"] == {"number": "教民1130283600999号"}


def test_init_without_a_folder_name_is_refused(tmp_path):
    result = run_docgen("init", "", cwd=tmp_path)
    assert result.returncode == 2 and "请指定" in result.stderr and not list(tmp_path.iterdir())


def test_fmt_keeps_a_records_permissions(archive):
    path = archive / "records" / "entities" / "org-002.yaml"
    edit(path, "phone: '13273165211'", "phone: 13273165211")  # a number to YAML: fmt quotes it
    path.chmod(0o600)
    result = run_docgen("fmt", cwd=archive)
    assert result.returncode == 0 and "org-002.yaml" in result.stdout, result.stdout + result.stderr
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("args, said", [(["build", "--out", "records/plans/qa-2023-30.yaml"], "是一个文件，不是文件夹"),
                                        (["import", "entities", "records"], "是一个文件夹，不是文件"),
                                        (["import", "entities", "nothere.csv"], "文件 'nothere.csv' 不存在"),
                                        (["textconv", "--for-git", "nothere.docx"], "找不到文件")])
def test_click_and_system_messages_are_chinese(archive, args, said):
    result = run_docgen(*args, cwd=archive)
    assert said in result.stdout + result.stderr, result.stdout + result.stderr
    assert "is a" not in result.stderr and "Error" not in result.stderr and "Traceback" not in result.stderr


def test_a_new_plan_shows_what_leaving_credit_driven_out_means(tmp_path):
    """The skeleton's commented-out value is the one a plan gets without it (true: docgen draws by the
    credit risk classes), not an empty false that reads as the default."""
    assert run_docgen("init", str(tmp_path / "o"), cwd=tmp_path).returncode == 0
    text = (tmp_path / "o/records/plans/example-plan.yaml").read_text(encoding="utf-8")
    assert "# credit_driven: true\n" in text and "不写时为 true" in text


def test_a_new_inspection_shows_its_plans_credit_driven(tmp_path):
    """An inspection left without credit_driven takes its plan's: the commented-out line says that value,
    not a bare false that reads as "not by the credit risk classes"."""
    assert run_docgen("init", str(tmp_path / "o"), cwd=tmp_path).returncode == 0
    root = tmp_path / "o"
    example = (root / "records/inspections/example-plan/example-org.yaml").read_text(encoding="utf-8")
    assert "# credit_driven: true\n" in example
    edit(root / "records/plans/example-plan.yaml", "# credit_driven: true", "credit_driven: false")
    assert run_docgen("new", "inspection", "example-plan/org-x", cwd=root).returncode == 0
    made = (root / "records/inspections/example-plan/org-x.yaml").read_text(encoding="utf-8")
    assert "# credit_driven: false\n" in made
    assert run_docgen("new", "inspection", "no-such-plan/org-x", cwd=root).returncode == 0  # the plan's default
    assert "# credit_driven: true\n" in (root / "records/inspections/no-such-plan/org-x.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("args", [["export", "results", "qa-2023-30", "--out", "x.csv"],
                                  ["build", "--plan", "qa-2023-30"], ["status", "qa-2023-30"],
                                  ["draw", "qa-2023-30", "--seed", "1", "--dry-run"]])
def test_a_plan_with_errors_is_not_called_missing(archive, args):
    """A plan whose file has an error drops out of the index: every command naming it says why, at
    the place, not "找不到抽查计划" (which sent a clerk looking for a file that is there)."""
    edit(archive / "records/plans/qa-2023-30.yaml", "  email: qasssj@126.com", "  email: .nan")
    result = run_docgen(*args, cwd=archive)
    assert result.returncode == 2, result.stderr
    assert "抽查计划“qa-2023-30”的记录有错误" in result.stderr and "找不到" not in result.stderr
    assert "records/plans/qa-2023-30.yaml:22:10:" in result.stderr.replace("\\", "/")


@pytest.mark.parametrize("broken", ["note: [\n", "name: 又一个名称\n"])  # not YAML; a key written twice
def test_import_stops_at_a_record_it_cannot_read(archive, tmp_path, broken):
    """An entity file with a YAML error may hold the record a row names: importing would make a second
    one beside it (and a duplicate credit code once the first is mended), or rewrite it dropping what
    it cannot represent (the second key, the comments), so nothing is written."""
    path = archive / "records/entities/org-002.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(path.read_text(encoding="utf-8") + broken, encoding="utf-8")
    written = path.read_bytes()
    roster = tmp_path / "名录库.xlsx"
    make_roster(roster, [[data["credit_code"], data["name"], data["legal_rep"], "新地址", data["type"], "A"]],
                ["统一社会信用代码", "企业名称", "法定代表人", "住所", "主体类型", "信用风险分类"])
    before = sorted(p.name for p in (archive / "records/entities").iterdir())
    result = run_docgen("import", "entities", str(roster), "--update", cwd=archive)
    assert result.returncode == 2 and "records/entities/org-002.yaml 读不出来" in result.stderr
    assert sorted(p.name for p in (archive / "records/entities").iterdir()) == before
    assert path.read_bytes() == written


def test_a_change_report_names_the_fields_of_a_part_the_record_lacked(archive, tmp_path):
    path = archive / "records/entities/org-002.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("contact:\n")
    end = text.index("credit_class:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    roster = tmp_path / "名录库.xlsx"
    make_roster(roster, [[data["credit_code"], data["name"], data["legal_rep"], data["address"], data["type"],
                          data["credit_class"], "13273165211", "曹伟"]],
                ["统一社会信用代码", "企业名称", "法定代表人", "住所", "主体类型", "信用风险分类", "联系电话", "联系人"])
    result = run_docgen("import", "entities", str(roster), cwd=archive)
    assert "联系人：“” → “曹伟”" in result.stdout and "联系电话：“” → “13273165211”" in result.stdout, result.stdout
    assert "{" not in result.stdout


def test_commands_run_in_a_subfolder_say_where_the_archive_is(archive, tmp_path):
    """`new` and `import` run inside records/ or output/ made a second records/ there that no other
    command reads (and the next build at the top refused a folder named records in records/)."""
    roster = tmp_path / "more.csv"
    roster.write_text("名称,统一社会信用代码,主体类型\n新的学校,91130283MA0000000X,校外培训机构\n", encoding="utf-8-sig")
    for folder, command in ((archive / "records", ("new", "entity", "org-100")),
                            (archive / "records" / "plans", ("new", "entity", "org-100")),
                            (archive / "records", ("import", "entities", str(roster), "--type", "校外培训机构")),
                            (archive / "records", ("validate",))):
        result = run_docgen(*command, cwd=folder)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "当前文件夹不是档案的顶层文件夹" in result.stderr and "请先进入该文件夹" in result.stderr
    assert not (archive / "records/records").exists() and not (archive / "records/plans/records").exists()
    assert run_docgen("new", "entity", "org-100", cwd=archive).returncode == 0


def test_a_draw_says_that_inits_examples_take_part(tmp_path):
    """The example entity and department `docgen init` made are drawn like real ones in the office's
    own plan: the draw says so (not for the example plan itself)."""
    root = tmp_path / "county"
    assert run_docgen("init", str(root), cwd=tmp_path).returncode == 0
    text = (root / "records/plans/example-plan.yaml").read_text(encoding="utf-8")
    (root / "records/plans/p2.yaml").write_text(text.replace("id: example-plan", "id: p2", 1), encoding="utf-8")
    shutil.rmtree(root / "records/inspections/example-plan")
    result = run_docgen("draw", "p2", "--seed", "s", "--dry-run", cwd=root)
    assert "records/entities/example-org.yaml" in result.stdout and "是 docgen init 建立的示例记录" in result.stdout
    assert "records/departments/example-dept.yaml" in result.stdout
    entity = root / "records/entities/example-org.yaml"
    entity.write_text(entity.read_text(encoding="utf-8").replace("status: 存续", "status: 注销"), encoding="utf-8")
    out_of_scope = run_docgen("draw", "p2", "--seed", "s", "--dry-run", cwd=root)
    assert "records/entities/example-org.yaml" not in out_of_scope.stdout  # not drawn: not said
    (root / "records/plans/p2.yaml").unlink()
    mine = run_docgen("draw", "example-plan", "--seed", "s", "--dry-run", cwd=root)
    assert "示例记录" not in mine.stdout


def test_fmt_watch_and_init_in_a_subfolder_say_where_the_archive_is(archive):
    """fmt and watch run inside records/ said only 找不到…; init there made an archive inside the archive,
    which validate then called a stray folder of records/."""
    for command in (("fmt",), ("watch",), ("init", "新档案")):
        result = run_docgen(*command, cwd=archive / "records")
        assert result.returncode == 2, result.stdout + result.stderr
        assert str(archive.name) in result.stderr or "档案" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert not (archive / "records" / "新档案").exists()
    assert "请先进入该文件夹" in run_docgen("fmt", cwd=archive / "records").stderr
    assert run_docgen("init", "新档案", "--force", cwd=archive / "output" if (archive / "output").exists()
                      else archive / "records").returncode == 0  # asked for


def test_import_inspectors_reads_a_padded_name_as_one_and_keeps_a_row_whose_date_is_wrong(archive, tmp_path):
    """王　五 (a two-character name padded to three, as platforms print them) was imported as “王 五”;
    an expiry date that is no date (2031-02-30) left that item out but the summary said the row was not
    imported, while it was."""
    roster = tmp_path / "执法人员.xlsx"
    make_roster(roster, [["13000000009998", "王\u3000五", "13700000000", "2031-02-30"],
                         ["13000000009997", "Li Ming", "13700000001", "2031-02-28"]],
                ["执法证号", "姓名", "手机号码", "执法证有效期"])
    result = run_docgen("import", "departments", str(roster), "--department", "jyj", cwd=archive)
    said = result.stdout + result.stderr
    assert result.returncode == 0 and "0 行未导入" in said and "2031-02-30" in said, said
    data = yaml.safe_load((archive / "records/departments/jyj.yaml").read_text(encoding="utf-8"))
    people = {p["badge"]: p for p in data["inspectors"]}
    assert people["13000000009998"]["name"] == "王五" and "badge_valid_until" not in people["13000000009998"]
    assert people["13000000009997"]["name"] == "Li Ming"
    from docgen.office.roster import person_name
    assert [person_name(n) for n in ("王 五", "张三 李四", "Иван Петров")] == ["王五", "张三 李四", "Иван Петров"]
