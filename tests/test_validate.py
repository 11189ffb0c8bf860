"""Issue 2: records, schemas and validation."""

import time

import pytest
import yaml

from conftest import check, edit, inspection_files, line_of, problems_for, run_docgen
from docgen.records import creditcode
from docgen.records.loader import parse_yaml


def find(checked, path, text):
    found = [p for p in problems_for(checked, path) if text in p.message]
    assert found, f"no problem with {text!r} for {path}: {[str(p) for p in checked.problems]}"
    return found[0]


def completed_inspection(root):
    for path in inspection_files(root):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        parts = list((data.get("departments") or {}).values())
        if data.get("signature") and parts and parts[0].get("completed"):
            return path, {**data, "dates": {**data.get("dates", {}), **parts[0]}}  # the first department's dates
    raise AssertionError("example has no signed inspection")


def test_example_archive_is_valid(archive):
    result = run_docgen("validate", "--as-of", "2023-11-20", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "检查通过" in result.stdout
    later = run_docgen("validate", cwd=archive)  # open steps now long overdue: warnings, still exit 0
    assert later.returncode == 0 and "0 个错误" in later.stdout


def test_example_covers_every_state(archive):
    from docgen.records.model import inspection_state

    checked = check(archive)
    states = {inspection_state(r.data) for r in checked.index.inspections}
    assert {"待检查", "已告知", "已检查", "已录入", "已公示"} <= states
    data = [r.data for r in checked.index.inspections]
    assert any(d.get("refusal") for d in data)
    statuses = {f["status"] for d in data for f in d.get("follow_ups") or []}
    assert {"已完结", "处置中"} <= statuses
    assert {e.data["credit_class"] for e in checked.index.entities.values()} == {"A", "B", "C", "D"}
    assert len(checked.index.entities) >= 40


def test_schema_missing_field_names_title(archive):
    path = archive / "records/entities/org-001.yaml"
    line = line_of(path, "legal_rep:")
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(l for n, l in enumerate(text, 1) if n != line) + "\n", encoding="utf-8")
    problem = find(check(archive), path, "缺少必填字段「法定代表人」（legal_rep）")
    assert problem.line == line_of(path, "id:")


def test_schema_enum_type_and_unknown_field(archive):
    path = archive / "records/entities/org-002.yaml"
    edit(path, "credit_class: A", "credit_class: E")
    edit(path, "type: 校外培训机构", "type: 校外培训机构\nadress: 某地")
    checked = check(archive)
    enum = find(checked, path, "「信用风险分类」的值“E”不在可选范围内，应为：A、B、C、D")
    assert (enum.line, enum.column) == (line_of(path, "credit_class:"), len("credit_class: ") + 1)
    unknown = find(checked, path, "未知字段「adress」，是否想写「address」")
    assert (unknown.line, unknown.column) == (line_of(path, "adress:"), 1)


def test_schema_type_and_date_format(archive):
    path = archive / "records/plans/qa-2023-30.yaml"
    edit(path, "issue_date: '2023-10-30'", "issue_date: '2023-02-30'")
    edit(path, "inspectors_per_department: 2", "inspectors_per_department: 两")
    checked = check(archive)
    date = find(checked, path, "「成文日期」的值“2023-02-30”格式不正确")
    assert date.line == line_of(path, "issue_date:")
    typ = find(checked, path, "「每组每部门人数」应为整数，而这里是文本")
    assert typ.line == line_of(path, "inspectors_per_department:")


def test_phone_number_kept_as_text(archive):
    """Quoted, a phone number is text with its leading zero. Unquoted, YAML (and so the editor and
    check-jsonschema) reads a number: issue 15 makes docgen say so, with the fix, instead of
    silently reading it as text as it did before."""
    path = archive / "records/entities/org-003.yaml"
    text = path.read_text(encoding="utf-8")
    import re
    path.write_text(re.sub(r"phone: '\d+'", "phone: '03157665600'", text), encoding="utf-8")
    checked = check(archive)
    assert not problems_for(checked, path)
    assert checked.index.entities["org-003"].data["contact"]["phone"] == "03157665600"
    path.write_text(re.sub(r"phone: '\d+'", "phone: 03157665600", text), encoding="utf-8")
    [problem] = problems_for(check(archive), path)
    assert (problem.line, problem.column) == (line_of(path, "phone: 03157665600"), 10)
    assert "请加引号：'03157665600'" in problem.message and "docgen fmt" in problem.message


def test_yaml_syntax_error_position(archive):
    path = archive / "records/entities/org-004.yaml"
    edit(path, "type: 校外培训机构", "type: 校外培训机构\n  bad: indent: here")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    line = line_of(path, "bad: indent")
    assert f"records/entities/org-004.yaml:{line}:" in result.stdout


def test_id_must_match_file_and_not_escape(archive):
    path = archive / "records/entities/org-005.yaml"
    edit(path, "id: org-005", "id: ../../etc/passwd")
    checked = check(archive)
    problem = find(checked, path, "「主体编号」的值“../../etc/passwd”格式不正确")
    assert problem.line == line_of(path, "id:")


def test_duplicate_id_and_credit_code(archive):
    src = archive / "records/entities/org-006.yaml"
    copy = archive / "records/entities/org-006-copy.yaml"
    copy.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    checked = check(archive)
    find(checked, copy, "与文件名“org-006-copy”不一致")
    duplicate = find(checked, src, "编号“org-006”重复")
    assert "org-006-copy.yaml" in duplicate.message and duplicate.line == line_of(src, "id:")
    assert "重复" in find(checked, src, "统一社会信用代码").message


def test_credit_code_check_digit(archive):
    path = archive / "records/entities/org-007.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    code = data["credit_code"]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    edit(path, code, wrong)
    problem = find(check(archive), path, "校验位不正确")
    assert f"第 18 位应为“{code[17]}”" in problem.message
    assert problem.line == line_of(path, "credit_code:")


def test_credit_code_algorithm_known_values():
    # published example codes with correct check digits
    assert creditcode.is_valid("91350100M000100Y43")
    assert creditcode.is_valid("91110000600037341L")
    assert not creditcode.is_valid("91110000600037341M")
    assert not creditcode.is_valid("9111000060003734")


def test_reference_to_missing_plan_entity_and_inspector(archive):
    path = inspection_files(archive)[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = data["inspectors"]["jyj"][0]
    edit(path, f"entity: {data['entity']}", "entity: org-999")
    edit(path, f"- {first}", "- nobody-01")
    checked = check(archive)
    assert find(checked, path, "检查对象“org-999”不存在").line == line_of(path, "entity:")
    assert find(checked, path, "执法人员“nobody-01”在执法人员名录库中不存在").line == line_of(path, "nobody-01")
    other = inspection_files(archive)[1]
    edit(other, "plan: qa-2023-30", "plan: no-such-plan")
    assert find(check(archive), other, "抽查计划“no-such-plan”不存在").line == line_of(other, "plan:")


def test_dates_out_of_order(archive):
    path, data = completed_inspection(archive)
    entered = data["dates"]["entered"]
    edit(path, f"entered: '{entered}'", "entered: '2023-10-01'")
    problem = find(check(archive), path, "「结果录入日期」2023-10-01 早于「检查完成日期」")
    assert problem.line == line_of(path, "entered:")


def test_entity_outside_plan_scope(archive):
    path = inspection_files(archive)[0]
    entity = yaml.safe_load(path.read_text(encoding="utf-8"))["entity"]
    edit(archive / f"records/entities/{entity}.yaml", "type: 校外培训机构", "type: 幼儿园")
    problem = find(check(archive), path, "不在计划的抽查范围")
    assert problem.line == line_of(path, "entity:")


def test_group_needs_two_inspectors_per_department(archive):
    path = inspection_files(archive)[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    second = data["inspectors"]["gaj"][1]
    text = path.read_text(encoding="utf-8").replace(f"  - {second}\n", "", 1)
    path.write_text(text, encoding="utf-8")
    problem = find(check(archive), path, "只有 1 名检查人员，每组每部门至少需要 2 名")
    assert problem.line == line_of(path, "gaj:") + 1


def test_completed_needs_signature_or_refusal(archive):
    path, data = completed_inspection(archive)
    text = path.read_text(encoding="utf-8")
    start = text.index("signature:")
    end = text.index("\n", text.index("date:", start))
    path.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    problem = find(check(archive), path, "应填写法定代表人签字确认（signature），或如实记录拒签情况（refusal）")
    assert problem.line == line_of(path, "completed:")


def test_a_signature_before_the_visit_is_an_error(archive):
    """The record form is signed at the visit or after it: a signature dated before is a slip."""
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    edit(path, "  signer: 唐磊\n  date: '2023-11-07'\n", "  signer: 唐磊\n  date: '2023-11-01'\n")
    edit(path, "    - inspector: jyj-04\n      date: '2023-11-07'\n", "    - inspector: jyj-04\n      date: '2023-11-06'\n")
    checked = check(archive)
    problem = find(checked, path, "「签字日期」2023-11-01 早于「检查日期」2023-11-07")
    assert problem.is_error and problem.line == line_of(path, "  date: '2023-11-01'")
    problem = find(checked, path, "检查人员的「签名日期」2023-11-06 早于「检查日期」2023-11-07")
    assert problem.is_error and problem.line == line_of(path, "      date: '2023-11-06'")


def test_conflict_of_interest(archive):
    path = inspection_files(archive)[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    person = data["inspectors"]["jyj"][0]
    dep = archive / "records/departments/jyj.yaml"
    edit(dep, f"- id: {person}\n", f"- id: {person}\n  conflicts:\n  - {data['entity']}\n")
    problem = find(check(archive), path, "须回避检查对象")
    assert problem.line == line_of(path, f"- {person}")


def test_conflict_written_as_the_credit_code_still_binds(archive):
    """A recusal naming the entity by its 统一社会信用代码: the inspection is still refused, and the
    department's record is told to name the entity's id."""
    path = inspection_files(archive)[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    person = data["inspectors"]["jyj"][0]
    code = yaml.safe_load((archive / f"records/entities/{data['entity']}.yaml").read_text(encoding="utf-8"))["credit_code"]
    dep = archive / "records/departments/jyj.yaml"
    edit(dep, f"- id: {person}\n", f"- id: {person}\n  conflicts:\n  - '{code}'\n")
    checked = check(archive)
    problem = find(checked, path, "须回避检查对象")
    assert problem.line == line_of(path, f"- {person}") and problem.is_error
    assert find(checked, dep, "不是统一社会信用代码").severity == "warning"


def test_all_problems_in_one_run_and_exit_codes(archive):
    edit(archive / "records/entities/org-001.yaml", "credit_class: A", "credit_class: Z")
    edit(archive / "records/entities/org-002.yaml", "status: 存续", "status: 活着")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    assert "org-001.yaml" in result.stdout and "org-002.yaml" in result.stdout
    assert "2 个错误" in result.stdout
    usage = run_docgen("validate", "--no-such-option", cwd=archive)
    assert usage.returncode == 2
    assert "没有这个选项" in usage.stderr
    missing = run_docgen("validate", "--records", "nowhere", cwd=archive)
    assert missing.returncode == 2 and "找不到记录目录" in missing.stderr and "Traceback" not in missing.stderr


def test_alias_bomb_refused_quickly(tmp_path):
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    started = time.perf_counter()
    doc, problems = parse_yaml(bomb, "bomb.yaml")
    assert time.perf_counter() - started < 1
    assert doc is None and "锚点和别名" in problems[0].message


def test_huge_record_refused_quickly(archive):
    path = archive / "records/entities/huge.yaml"
    with open(path, "w") as handle:
        handle.write("id: huge\nname: '")
        handle.write("x" * 50_000_000)
        handle.write("'\n")
    started = time.perf_counter()
    result = run_docgen("validate", cwd=archive)
    assert time.perf_counter() - started < 10
    assert "records/entities/huge.yaml:1:1: 文件过大" in result.stdout
    assert result.returncode == 1


def test_unsafe_tags_and_odd_files(archive):
    (archive / "records/entities/evil.yaml").write_text("id: !!python/object/apply:os.system ['echo hi']\n")
    (archive / "records/entities/list.yaml").write_text("- a\n- b\n")
    (archive / "records/entities/binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    (archive / "records/entities/empty.yaml").write_text("")
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "evil.yaml:1:5: 不支持的 YAML 标签" in result.stdout
    assert "list.yaml:1:1: 记录应由“字段: 值”组成" in result.stdout
    assert "binary.yaml:1:1: 文件不是 UTF-8 编码" in result.stdout
    assert "empty.yaml:1:1: 文件是空的" in result.stdout


def test_duplicate_key_reported(archive):
    path = archive / "records/entities/org-008.yaml"
    edit(path, "status: 存续", "status: 存续\nstatus: 注销")
    problem = find(check(archive), path, "字段「status」重复出现")
    assert problem.line == line_of(path, "status: 注销")


def test_every_schema_field_has_chinese_title_and_description():
    import json
    import pathlib

    def walk(node, where):
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                assert sub.get("title") and sub.get("description"), f"{where}.{key}"
                assert any("\u4e00" <= ch <= "\u9fff" for ch in sub["title"]), f"{where}.{key}"
            for key, value in node.items():
                if key != "if":  # a condition on a field, not a field
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    for path in (pathlib.Path(__file__).parent.parent / "schemas").glob("*.schema.json"):
        walk(json.loads(path.read_text(encoding="utf-8")), path.name)


import functools  # noqa: E402


@functools.lru_cache(maxsize=1)
def _agreement_cases():
    import pathlib
    from docgen.records.schema import Schemas
    root = pathlib.Path(__file__).parent.parent
    schemas = Schemas(str(root / "schemas"))
    samples = {}
    for kind, folder in (("entity", "entities"), ("inspection", "inspections"), ("plan", "plans"),
                         ("department", "departments"), ("draw", "draws")):
        path = sorted((root / "records" / folder).rglob("*.yaml"))[0]
        samples[kind] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return schemas, samples


from hypothesis import given, settings, strategies as st  # noqa: E402

_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) |
                       st.sampled_from(["", "A", "E", "2023-02-30", "2023-10-30", "未发现问题", "org-001",
                                        "../x", "0315-7665600", "91130283MA0XXXXX12", "存续"]) | st.text(max_size=5),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                           st.sampled_from(["name", "phone", "x", "date", "signer", "item", "department"]),
                           inner, max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["entity", "inspection", "plan", "department", "draw"]), data=st.data())
def test_fast_and_full_validators_agree(kind, data):
    """The fast first pass must never call a record valid that jsonschema would reject, nor the reverse."""
    import copy
    schemas, samples = _agreement_cases()
    record = copy.deepcopy(samples[kind])
    key = data.draw(st.sampled_from(sorted(record) + ["unknown_field"]))
    if data.draw(st.booleans()):
        record[key] = data.draw(_VALUES)
    else:
        record.pop(key, None)
    checker = schemas.validators[kind]
    fast = checker.is_valid(record)
    full = not list(checker.iter_errors(record))
    assert fast == full, (key, record.get(key))


def test_reference_to_missing_or_foreign_department(archive):
    plan = archive / "records/plans/qa-2023-30.yaml"
    edit(plan, "- department: gaj", "- department: no-such-dept")
    checked = check(archive)
    problem = find(checked, plan, "部门“no-such-dept”不存在")
    assert problem.line == line_of(plan, "no-such-dept")
    edit(plan, "- department: no-such-dept", "- department: gaj")
    path = inspection_files(archive)[0]
    edit(path, "inspectors:\n", "inspectors:\n  other-dept:\n  - jyj-01\n")
    problem = find(check(archive), path, "部门“other-dept”没有参与本计划")
    assert (problem.line, problem.column) == (line_of(path, "other-dept:"), 3)


def test_an_inspection_naming_a_missing_draw_record_is_warned(archive):
    """The draw record deleted (or misnamed): the inspections that came of it can no longer be verified."""
    (archive / "records/draws/qa-2023-30-draw-1.yaml").unlink()
    checked = check(archive)
    path = inspection_files(archive)[0]
    problem = find(checked, path, "抽取记录“qa-2023-30-draw-1”不存在")
    assert problem.severity == "warning" and problem.line == line_of(path, "draw: qa-2023-30-draw-1")


def test_a_phone_notice_dated_but_not_recorded_is_warned(archive):
    """A phone notice with a date and no record of the call (no row in 05), or a call logged on
    another day than its date: both warned where they are written."""
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    edit(path, "  time: 2023-11-01 09:30\n", "  time: 2023-11-02 09:30\n")
    problem = find(check(archive), path, "「告知时间」2023-11-02 09:30 与「电话告知日期」2023-11-01 不是同一天")
    assert problem.severity == "warning" and problem.line == line_of(path, "  time: 2023-11-02 09:30")
    text = path.read_text(encoding="utf-8")
    start = text.index("\nphone_notice:\n") + 1
    end = start + len("phone_notice:\n")
    while text[end:end + 2] == "  ":
        end = text.index("\n", end) + 1
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    problem = find(check(archive), path, "没有电话告知的记录")
    assert problem.severity == "warning" and problem.line == line_of(path, "  phone_notice: '2023-11-01'")


@pytest.mark.parametrize("old, new, expected", [
    ("contact:\n  name: 曹伟\n", "contact:\n\u3000name: 曹伟\n", "行首有全角空格（U+3000）"),  # a syntax error
    ("  phone: '13118615433'\n", "  phone: '13118615433'\n\u3000memo: 1\n", "行首有全角空格（U+3000）"),  # an odd key
    ("legal_rep: 宋晓燕\n", "legal_rep: '宋晓燕'多余\n", "引号结束后又写了文字"),
    # a paragraph of a block of text opens with 　　 (the text's own), the error is on the next line
    ("legal_rep: 宋晓燕\n", "legal_rep: 宋晓燕\nnote: |\n  \u3000\u3000与企业信用风险分类结果相结合。\nname2: '甲' 乙\n",
     "引号结束后又写了文字"),
])
def test_full_width_indentation_and_text_after_a_quote_are_named(archive, old, new, expected):
    edit(archive / "records/entities/org-001.yaml", old, new)
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and expected in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_date_written_with_slashes_is_said_once(archive):
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    edit(path, "  visit: '2023-11-07'", "  visit: '2023/11/07'")
    said = [p for p in problems_for(check(archive), path) if "2023/11/07" in p.message]
    assert len(said) == 1 and "应为真实存在的日期，写成 YYYY-MM-DD" in said[0].message


def test_an_empty_choice_is_said_once_and_a_broken_link_in_chinese(archive):
    """`status:` left empty: one message (its type), not a second one offering the value “None”; a
    link to a missing file: the reason in Chinese, not the system's English text."""
    import os

    edit(archive / "records/entities/org-001.yaml", "status: 存续", "status:")
    link = archive / "records/entities/org-002.yaml"
    link.unlink()
    os.symlink("missing.yaml", link)
    result = run_docgen("validate", cwd=archive)
    said = [line for line in result.stdout.splitlines() if "org-001.yaml:" in line]
    assert len(said) == 1 and "空值" in said[0] and "None" not in result.stdout
    broken = next(line for line in result.stdout.splitlines() if "entities/org-002.yaml:1:1:" in line)
    assert "找不到文件或文件夹" in broken and "No such file" not in broken


@pytest.mark.parametrize("target, old, new, at", [
    ("inspections/qa-2023-30/org-002.yaml", "opinion: 认可检查结果，立即整改", "opinion: '认可检查结果，立即整改",
     "opinion: '"),
    ("entities/org-007.yaml", "address: 河北省", "address: '河北省", "address: '"),
])
def test_a_single_quote_left_open_is_named_where_it_opens(archive, target, old, new, at):
    """A value's closing quote forgotten: YAML reads on to the next quote lines below and stumbles
    there. The clerk is sent to the quote that opened it, not told of an indentation at the far line."""
    path = archive / "records" / target
    edit(path, old, new)
    found = [p for p in problems_for(check(archive), path) if p.is_error]
    assert len(found) == 1 and "引号没有闭合" in found[0].message and "缩进" not in found[0].message
    assert (found[0].line, found[0].column) == (line_of(path, at), path.read_text(encoding="utf-8").splitlines()[
        line_of(path, at) - 1].index("'") + 1)


def test_text_after_space_hash_is_a_comment_and_said_so(archive):
    """`意见: 立即整改 #3号楼另行整改`: YAML reads “ #3号楼…” as a comment, so it would be printed nowhere.
    A warning at the “#”; a comment written as such (“# 说明”) and “3#楼” are left alone."""
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    text = path.read_text(encoding="utf-8")
    opinion = next(line for line in text.splitlines() if line.startswith("opinion: "))
    edit(path, opinion, "opinion: 认可检查结果，立即整改 #3号楼另行整改")
    found = [p for p in problems_for(check(archive), path) if "注释" in p.message]
    row = line_of(path, "opinion: ")
    assert len(found) == 1 and not found[0].is_error
    assert (found[0].line, found[0].column) == (row, path.read_text(encoding="utf-8").splitlines()[row - 1].index("#") + 1)
    edit(path, "立即整改 #3号楼另行整改", "立即整改3#楼另行整改  # 经办人说明")
    assert not [p for p in problems_for(check(archive), path) if "注释" in p.message]


def test_a_file_with_old_mac_line_ends_is_said_once(archive):
    """Every line ending in a lone CR: one message naming the line ends, not one per line all at line 1."""
    path = archive / "records/entities/org-037.yaml"
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    found = [p for p in problems_for(check(archive), path) if p.is_error]
    assert len(found) == 1 and "旧式 Mac" in found[0].message and found[0].line == 1


def test_fmt_says_a_yaml_error_where_validate_does(archive):
    path = archive / "records/entities/org-007.yaml"
    edit(path, "address: 河北省", "address: '河北省")
    result = run_docgen("fmt", cwd=archive)
    said = next(line for line in result.stdout.splitlines() + result.stderr.splitlines() if "org-007.yaml:" in line)
    expected = next(str(p) for p in problems_for(check(archive), path) if p.is_error)
    assert said.split(": ", 1)[0].replace("\\", "/").endswith(expected.split(": ", 1)[0].replace("\\", "/").split("records/", 1)[1])
    assert "引号没有闭合" in said and "未整理" in said


@pytest.mark.parametrize("value, said", [("", "应为文本，而这里是空值"), (" ['2023-11-07']", "应为文本，而这里是列表")])
def test_a_date_of_the_wrong_type_is_said_once(archive, value, said):
    """By its type only: not again as a date “None” or “['2023-11-07']” in the wrong format."""
    path = archive / "records/inspections/qa-2023-30/org-002.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  visit: '2023-11-07'", f"  visit:{value}", 1), encoding="utf-8")
    found = [p for p in check(archive).problems if p.path.endswith("org-002.yaml") and p.line == 23]
    assert [p.message for p in found] == [f"「检查日期」{said}"]


@pytest.mark.parametrize("old, new, said", [
    ("refusal: 法定代表人", "refusal: {限期}法定代表人", "以“{”开头的值会被当作字段表：整个值请用引号括起来，如 refusal: '{限期}法定代表人"),
    ("refusal: 法定代表人", "refusal: [附件]法定代表人", "以“[”开头的值会被当作列表：整个值请用引号括起来"),
    ("refusal: 法定代表人", "refusal：法定代表人", "这一行的冒号是全角的“：”：字段名后应写半角冒号加一个空格“: ”，如 refusal: 法定代表人"),
    ("      handling: 责令改正", "      handling: {无}", "以“{”或“[”开头的值会被读作字段表或列表，请用引号把整个值括起来"),
    ("methods:\n- 实地检查\n- 书面检查", "methods: [实地检查，书面检查]", "这是用全角逗号或顿号连在一起的几项"),
    ("  phone_notice: '2023-11-02'\n", "  phone_notice：'2023-11-02'\n", "冒号是全角的“：”"),  # a mapping's first field
])
def test_what_a_clerk_mistyped_is_named(archive, old, new, said):
    _mistyped(archive, old, new, said)


@pytest.mark.parametrize("new, line, said", [
    # after a value YAML cannot make a date of (the hint re-read the mended text as values, not its syntax)
    ("dates:\n  phone_notice: 2023-09-31\n  notice_served：'2023-11-02'\n  visit: '2023-11-09'\n", "notice_served：",
     "这一行的冒号是全角的“：”：字段名后应写半角冒号加一个空格“: ”，如 notice_served: '2023-11-02'"),
    # a mapping's only field: the mapping reads as a text
    ("dates:\n  visit：'2023-11-09'\n", "visit：",
     "「日期」应为若干“字段: 值”，而这里是文本：这一行的冒号是全角的“：”：字段名后应写半角冒号加一个空格“: ”，如 visit: '2023-11-09'"),
    # every line of the mapping so: read as one text, its first field named as written
    ("dates:\n  phone_notice：2023-11-02\n  notice_served：2023-11-02\n  visit：2023-11-09\n", "phone_notice：",
     "如 phone_notice: 2023-11-02"),
])
def test_a_full_width_colon_is_named_where_yaml_reads_past_it(archive, new, line, said):
    """缺少冒号 where the clerk typed a colon (a full-width one), and 「日期」…而这里是文本 with no word of why."""
    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    edit(path, "dates:\n  phone_notice: '2023-11-02'\n  notice_served: '2023-11-02'\n  visit: '2023-11-09'\n", new)
    found = [p for p in problems_for(check(archive), path) if p.message.endswith(said)]
    assert len(found) == 1 and found[0].line == line_of(path, line), [str(p) for p in problems_for(check(archive), path)]


def test_a_record_written_with_full_width_colons_throughout_is_told_so(archive):
    """A whole file of 字段：值 reads as one text: it was told 记录应由“字段: 值”组成, with no word of the colon."""
    path = archive / "records/entities/org-049.yaml"
    path.write_text("id：org-049\nname：迁安市新开培训学校\ncredit_code：52130283G8A6QH66NX\n", encoding="utf-8")
    found = problems_for(check(archive), path)
    assert [(p.line, p.message) for p in found] == [
        (1, "记录应由“字段: 值”组成，而不是单个值或列表：这一行的冒号是全角的“：”：字段名后应写半角冒号加一个空格“: ”，"
            "如 id: org-049")]


@pytest.mark.parametrize("old, new, not_said", [
    ("refusal: 法定代表人", "refusal: 法定代表人\n补充说明：当场整改", "全角"),  # a value wrapped onto a line with ：
    ("  measure: 责令改正", "  measure: 责令改正、抄告相关部门", "连在一起的几项"),  # one value, not a list
    ("refusal: 法定代表人", "remarks:\n- A类：未公示年报\n- note: 已整改: 是\nrefusal: 法定代表人", "全角"),  # text with ：
])
def test_a_hint_is_not_given_where_it_would_mislead(archive, old, new, not_said):
    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    if old not in path.read_text(encoding="utf-8"):
        path = archive / "records/inspections/qa-2023-30/org-021.yaml"
    edit(path, old, new)
    messages = [p.message for p in problems_for(check(archive), path) if p.is_error]
    assert messages and not any(not_said in m for m in messages), messages


def _mistyped(archive, old, new, said):
    """A value opening with { or [, a full-width colon after a field, a list joined with full-width
    commas: each said as what it is (they read as 缩进不一致, or a type with no hint)."""
    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    edit(path, old, new)
    found = [p for p in problems_for(check(archive), path) if said in p.message]
    assert len(found) == 1 and found[0].line == line_of(path, new.split("\n")[0].strip()), \
        [str(p) for p in problems_for(check(archive), path)]


def test_the_count_of_records_is_the_same_with_the_cache_and_without(archive):
    """With the cache, entities a rule reads whole (a drawn entity whose record was deleted) were taken
    off the count of records read: 65 of 66."""
    import re
    import shutil as sh

    assert run_docgen("validate", cwd=archive).returncode in (0, 1)
    (archive / "records/inspections/qa-2023-30/org-048.yaml").unlink()
    cached = re.search(r"检查了 (\d+) 条记录", run_docgen("validate", cwd=archive).stdout).group(1)
    sh.rmtree(archive / ".docgen")
    fresh = re.search(r"检查了 (\d+) 条记录", run_docgen("validate", cwd=archive).stdout).group(1)
    assert cached == fresh
