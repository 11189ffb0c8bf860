"""Issue 15: working beside the provincial platform — task list import, draw --verify, results export."""

import csv
import io
import shutil

import openpyxl
import pytest
import yaml

from conftest import inspection_files, run_docgen

PLAN = "qa-2023-30"
DRAWN = ("plan", "entity", "draw", "group", "leader", "inspectors", "vehicle")


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def platform_archive(archive):
    """The example archive as if the platform had drawn qa-2023-30: no draw record, no inspections.
    Returns the archive and the removed inspections (what the platform's draw and the clerks' entries were)."""
    originals = {load(p)["entity"]: load(p) for p in inspection_files(archive)}
    shutil.rmtree(archive / "records/inspections" / PLAN)
    (archive / "records/draws/qa-2023-30-draw-1.yaml").unlink()
    return archive, originals


def rosters(root):
    departments = {d["id"]: d for d in (load(p) for p in (root / "records/departments").glob("*.yaml"))}
    entities = {e["id"]: e for e in (load(p) for p in (root / "records/entities").glob("*.yaml"))}
    people = {p["id"]: p for d in departments.values() for p in d["inspectors"]}
    return departments, entities, people


def task_number(n):
    return f"HB2023-1100{n:02d}"


def write_task_list(path, originals, root, extra_rows=()):
    """The platform's export: a title row, then one row per entity × department."""
    departments, entities, people = rosters(root)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["河北省双随机执法监管平台 检查任务清单"])
    ws.merge_cells("A1:H1")
    ws.append(["任务编号", "统一社会信用代码", "主体名称", "检查实施机关", "执法人员", "执法证号", "组别", "组长"])
    for n, (entity_id, data) in enumerate(sorted(originals.items()), 1):
        for dep_id, ids in data["inspectors"].items():
            ws.append([task_number(n), entities[entity_id]["credit_code"], entities[entity_id]["name"],
                       departments[dep_id]["name"], "、".join(people[i]["name"] for i in ids),
                       "，".join(people[i]["badge"] for i in ids), f"第{data['group']}组", people[data["leader"]]["name"]])
    for row in extra_rows:
        ws.append(row)
    wb.save(path)


def test_task_import_build_export_verify(platform_archive, tmp_path):
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    # two rows the import cannot match: an unknown credit code, and a badge of another department
    spare = sorted(e for e in entities if e not in originals)[0]
    tasks = tmp_path / "任务清单.xlsx"
    write_task_list(tasks, originals, root, extra_rows=[
        ["HB2023-110099", "91130283MA0000000X", "不存在的公司", "迁安市教育局", "胡明", "1302830100001", "第1组", "胡明"],
        ["HB2023-110098", entities[spare]["credit_code"], entities[spare]["name"], "迁安市教育局", "韩立新",
         "1302830200003", "第1组", "韩立新"],
    ])
    first_extra = 2 + sum(len(d["inspectors"]) for d in originals.values()) + 1
    result = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"未导入：第 {first_extra} 行：统一社会信用代码“91130283MA0000000X”“不存在的公司”在检查对象名录库中找不到" in result.stdout
    assert f"未导入：第 {first_extra + 1} 行：执法证号“1302830200003”不在“迁安市教育局”的执法人员名录库中" in result.stdout
    assert not (root / f"records/inspections/{PLAN}/{spare}.yaml").exists()
    written = {p.stem: p for p in inspection_files(root)}
    assert set(written) == set(originals)
    for n, entity_id in enumerate(sorted(originals), 1):
        data = load(written[entity_id])
        assert data["draw"] == "platform" and data["task_number"] == task_number(n)
        for key in ("plan", "entity", "group", "leader", "inspectors"):
            assert data[key] == originals[entity_id][key], (entity_id, key)
        assert list(data["inspectors"]) == ["jyj", "gaj", "xfjy"]  # the plan's order
        assert "平台任务编号" in written[entity_id].read_text(encoding="utf-8")

    # the clerks enter their results in the records docgen wrote
    for entity_id, path in written.items():
        entered = {k: v for k, v in originals[entity_id].items() if k not in DRAWN}
        if entered:
            path.write_text(path.read_text(encoding="utf-8") + yaml.safe_dump(entered, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    before = {p: p.read_bytes() for p in written.values()}
    again = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert again.stdout.count("已存在，未覆盖") == len(originals)
    assert {p: p.read_bytes() for p in written.values()} == before  # never overwritten

    assert run_docgen("validate", "--as-of", "2023-12-31", cwd=root).returncode == 0
    build = run_docgen("build", cwd=root)
    assert build.returncode == 0, build.stdout + build.stderr
    groups = openpyxl.load_workbook(root / "output" / PLAN / "06_人员分组及车辆安排情况表.xlsx").active
    shown = "\n".join(str(c.value) for row in groups.iter_rows() for c in row if c.value)
    assert all(entities[e]["name"] in shown and people[d["leader"]]["name"] in shown for e, d in originals.items())
    for entity_id in originals:
        assert (root / "output" / PLAN / f"04_实地核查记录表_{entities[entity_id]['name']}.docx").exists()

    verify = run_docgen("draw", PLAN, "--verify", cwd=root)
    assert verify.returncode == 0, verify.stdout
    assert "省级监管平台" in verify.stdout and f"平台任务编号 {task_number(1)}" in verify.stdout

    export = run_docgen("export", "results", PLAN, cwd=root)
    assert export.returncode == 0, export.stdout + export.stderr
    out = root / "output" / PLAN / f"检查结果导出-{PLAN}.xlsx"
    sheet = openpyxl.load_workbook(out).active
    rows = [[c.value or "" for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["任务编号", "统一社会信用代码", "企业名称", "检查实施机关", "检查完成日期", "检查结果", "后续处置",
                       "检查人员", "执法证号"]
    expected = []
    numbers = {e: task_number(n) for n, e in enumerate(sorted(originals), 1)}
    for entity_id, data in sorted(originals.items(), key=lambda kv: (kv[1]["group"], kv[0])):
        for dep_id in ("jyj", "gaj", "xfjy"):
            part = (data.get("departments") or {}).get(dep_id, {})  # the department's own result
            result = "、".join(part.get("results") or [])
            # a follow-up naming no department: the only department's, else nobody's (as in 03)
            alone = next(iter(data.get("departments") or {})) if len(data.get("departments") or {}) == 1 else None
            mine = [f for f in data.get("follow_ups") or [] if (f.get("department") or alone) == dep_id]
            follow = "；".join(f"{f['measure']}：{f['issue']}" for f in mine) or ("无需后续处置" if result else "")
            team = data["inspectors"][dep_id]
            expected.append([numbers[entity_id], entities[entity_id]["credit_code"], entities[entity_id]["name"],
                             departments[dep_id]["name"], part.get("completed", ""),
                             result, follow, "、".join(people[i]["name"] for i in team),
                             "、".join(people[i]["badge"] for i in team)])
    assert rows[1:] == expected
    assert any(r[5] == "发现问题已责令改正" and r[6].startswith("责令改正：") for r in rows[1:])
    phones = {p["phone"] for p in people.values() if p.get("phone")}
    phones |= {e["contact"]["phone"] for e in entities.values() if e.get("contact")}
    assert not any(phone in cell for phone in phones for row in rows for cell in row)

    # byte-reproducible, whatever the time; one department; CSV in UTF-8 with a BOM
    again = run_docgen("export", "results", PLAN, "--out", "again.xlsx", cwd=root, env={"TZ": "Asia/Shanghai"})
    assert again.returncode == 0 and (root / "again.xlsx").read_bytes() == out.read_bytes()
    single = run_docgen("export", "results", PLAN, "--department", "迁安市公安局", "--format", "csv", cwd=root)
    assert single.returncode == 0, single.stdout + single.stderr
    blob = (root / "output" / PLAN / f"检查结果导出-{PLAN}-gaj.csv").read_bytes()
    assert blob.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(blob.decode("utf-8-sig"), newline="")))
    assert table[0] == rows[0] and table[1:] == [r for r in expected if r[3] == "迁安市公安局"]
    run_docgen("export", "results", PLAN, "--department", "gaj", "--format", "csv", "--out", "b.csv", cwd=root)
    assert (root / "b.csv").read_bytes() == blob


def test_task_reimport_names_records_the_task_list_now_contradicts(platform_archive, tmp_path):
    """A task list imported again after the platform changed a task (another inspector, another group):
    the records are still never overwritten, but each one that differs is named with how, and the exit
    code says so (it said "已存在，未覆盖" for all, exit 0)."""
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    tasks = tmp_path / "任务清单.xlsx"
    write_task_list(tasks, originals, root)
    assert run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root).returncode == 0
    written = {p.stem: p for p in inspection_files(root)}
    before = {p: p.read_bytes() for p in written.values()}
    same = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert same.returncode == 0 and "不一致" not in same.stdout, same.stdout

    first = sorted(originals)[0]
    data = originals[first]
    jyj = sorted(p["id"] for p in departments["jyj"]["inspectors"])
    other = next(i for i in jyj if i not in data["inspectors"]["jyj"] and i != data["leader"]
                 and first not in (people[i].get("conflicts") or []))
    replaced = data["inspectors"]["jyj"][-1] if data["inspectors"]["jyj"][-1] != data["leader"] else data["inspectors"]["jyj"][0]
    changed = {**originals, first: {**data, "group": data["group"] + 1,
                                    "inspectors": {**data["inspectors"], "jyj": [other if i == replaced else i
                                                                                 for i in data["inspectors"]["jyj"]]}}}
    write_task_list(tasks, changed, root)
    again = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert again.returncode == 1, again.stdout + again.stderr
    lines = [line for line in again.stdout.splitlines() if line.startswith("不一致：")]
    assert len(lines) == 1 and entities[first]["name"] in lines[0], again.stdout
    assert f"组别：记录为{data['group']}，任务清单为第 {data['group'] + 1} 组" in lines[0]
    assert f"{departments['jyj']['name']}的检查人员：" in lines[0] and people[other]["name"] in lines[0]
    assert "（其中 1 份与任务清单不一致）" in again.stdout
    assert {p: p.read_bytes() for p in written.values()} == before  # still never overwritten

    # the task list now gives one of the entity's rows another task number: said, not passed over
    wb = openpyxl.load_workbook(tasks)
    sheet = wb.active
    row = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == entities[first]["credit_code"])
    row[0].value = "HB2023-999999"
    wb.save(tasks)
    numbers = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert numbers.returncode == 1 and "任务编号不一致" in numbers.stdout and "不一致：" in numbers.stdout, numbers.stdout
    assert {p: p.read_bytes() for p in written.values()} == before


def test_task_import_refuses_unreadable_header_and_conflicts(platform_archive, tmp_path):
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    entity_id, data = sorted(originals.items())[0]
    code = entities[entity_id]["credit_code"]
    jyj = data["inspectors"]["jyj"]
    path = tmp_path / "tasks.csv"
    lines = ["任务编号,统一社会信用代码,检查部门,检查人员,执法证号",
             f"T-1,{code},迁安市教育局,{people[jyj[0]]['name']},{people[jyj[0]]['badge']}",
             f"T-2,{code},jyj,{people[jyj[1]]['name']},{people[jyj[1]]['badge']}",
             f"T-3,{code},迁安市教育局,张三、李四,{people[jyj[0]]['badge']}"]
    path.write_bytes("\n".join(lines).encode("gbk"))
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 1
    assert "未导入：第 4 行：检查人员有 2 人，执法证号有 1 个，无法一一对应" in result.stdout
    assert not inspection_files(root)
    path.write_bytes("\n".join(lines[:3]).encode("gbk"))
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 1 and "任务编号不一致（第 2 行为“T-1”、第 3 行为“T-2”）" in result.stdout
    assert not inspection_files(root)
    # a name that does not match the badge is refused, never "corrected"
    path.write_bytes(f"任务编号,统一社会信用代码,检查部门,检查人员,执法证号\nT-1,{code},jyj,王五,{people[jyj[0]]['badge']}\n"
                     .encode("utf-8"))
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert f"第 2 行：执法证号“{people[jyj[0]]['badge']}”在名录库中是{people[jyj[0]]['name']}，表中写的是王五" in result.stdout
    # two columns that both read as the department: an error naming them
    path.write_bytes(f"任务编号,统一社会信用代码,检查部门,检查实施机关,执法证号\nT-1,{code},jyj,jyj,1\n".encode("utf-8"))
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 2
    assert "“检查部门”（C 列）、“检查实施机关”（D 列）都对应“检查实施机关”" in result.stderr
    assert "Traceback" not in result.stderr and not inspection_files(root)


def test_verify_on_a_docgen_draw_is_unchanged(archive):
    result = run_docgen("draw", PLAN, "--verify", cwd=archive)
    assert result.returncode == 0 and "核对通过" in result.stdout and "省级监管平台" not in result.stdout


def test_task_list_one_row_per_inspector(platform_archive, tmp_path):
    """Rows of one entity × one inspector, departments by id, the leader by badge, no group column."""
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    entity_id, data = sorted(originals.items())[0]
    leader = people[data["inspectors"]["gaj"][1]]
    lines = ["任务编号,统一社会信用代码,检查部门,执法证号,组长"]
    for dep_id, ids in data["inspectors"].items():
        lines += [f"T-9,{entities[entity_id]['credit_code']},{dep_id},{people[i]['badge']}," for i in ids]
    lines[1] += leader["badge"]
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    record = load(root / f"records/inspections/{PLAN}/{entity_id}.yaml")
    assert record == {"plan": PLAN, "entity": entity_id, "draw": "platform", "task_number": "T-9",
                      "leader": leader["id"], "inspectors": data["inspectors"]}


def test_task_list_xls_with_numbers_and_full_width_is_written_quoted(platform_archive, tmp_path):
    """An .xls task list as a platform exports it: task numbers stored as numbers, full-width codes and
    badges, groups in Chinese numerals. What docgen writes is text where the schema wants text
    (quoted), so docgen, the editor and check-jsonschema read it alike and `docgen fmt` has nothing to do."""
    import xlwt

    root, originals = platform_archive
    departments, entities, people = rosters(root)
    full = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("任务")
    sheet.write_merge(0, 0, 0, 6, "检查任务清单")
    for c, title in enumerate(["任务编号", "*统一社会信用代码", "企业名称", "检查实施机关", "检查人员", "执法证号", "组别"]):
        sheet.write(1, c, title)
    r = 2
    chosen = sorted(originals.items())[:2]
    for n, (entity_id, data) in enumerate(chosen, 1):
        for dep_id, ids in data["inspectors"].items():
            row = [float(20231100000 + n), entities[entity_id]["credit_code"].translate(full), entities[entity_id]["name"],
                   departments[dep_id]["name"], "、".join(people[i]["name"] for i in ids),
                   "、".join(people[i]["badge"].translate(full) for i in ids), "第" + "一二三"[data["group"] - 1] + "组"]
            for c, value in enumerate(row):
                sheet.write(r, c, value)
            r += 1
    path = tmp_path / "任务清单.xls"
    book.save(str(path))
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    for n, (entity_id, data) in enumerate(chosen, 1):
        written = root / f"records/inspections/{PLAN}/{entity_id}.yaml"
        assert f"task_number: '{20231100000 + n}'\n" in written.read_text(encoding="utf-8")
        record = load(written)
        assert record["group"] == data["group"] and record["inspectors"] == data["inspectors"]
    fmt = run_docgen("fmt", "--check", cwd=root)
    assert fmt.returncode == 0 and "0 个需要整理" in fmt.stdout, fmt.stdout
    checked = run_docgen("validate", "--as-of", "2023-11-01", cwd=root)
    assert checked.returncode == 0, checked.stdout


def test_export_keeps_an_excel_escape_typed_by_a_clerk_as_text(archive):
    import zipfile

    path = archive / "records" / "entities" / "org-002.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nname: ", "\nname: 甲_x0041_乙", 1), encoding="utf-8")
    result = run_docgen("export", "results", "qa-2023-30", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    exported = next((archive / "output" / "qa-2023-30").glob("检查结果导出-*.xlsx"))
    import html

    with zipfile.ZipFile(exported) as z:
        sheet = html.unescape("".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/") and "sheet" in n
                                      or n == "xl/sharedStrings.xml"))
    assert "甲_x005F_x0041_乙" in sheet  # Excel shows 甲_x0041_乙, as typed


def test_export_to_a_csv_name_writes_csv(archive, tmp_path):
    """`--out 结果.csv` without --format: CSV, not an Excel workbook under a .csv name; a format that
    contradicts the name is refused before anything is written."""
    out = tmp_path / "结果.csv"
    result = run_docgen("export", "results", "qa-2023-30", "--out", str(out), cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    data = out.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8")) and not data.startswith(b"PK")
    assert "统一社会信用代码" in data.decode("utf-8-sig").splitlines()[0]
    clash = run_docgen("export", "results", "qa-2023-30", "--format", "xlsx", "--out", str(tmp_path / "b.csv"),
                       cwd=archive)
    assert clash.returncode == 2 and "扩展名" in clash.stderr and not (tmp_path / "b.csv").exists()
    old = run_docgen("export", "results", "qa-2023-30", "--out", str(tmp_path / "c.xls"), cwd=archive)
    assert old.returncode == 2 and ".xlsx 或 .csv" in old.stderr and not (tmp_path / "c.xls").exists()
    assert "items" in run_docgen("new", "--help", cwd=archive).stdout


def test_task_import_says_at_once_what_the_rosters_refuse(platform_archive, tmp_path):
    """The platform assigned an inspector whose 执法证 has expired here: the record is written as the
    platform's draw, and the import names the error at once (exit 1), not a later validate."""
    root, originals = platform_archive
    entity_id, data = sorted(originals.items())[0]
    person = data["inspectors"]["jyj"][0]
    dep = root / "records/departments/jyj.yaml"
    text = dep.read_text(encoding="utf-8")
    at = text.index("  badge_valid_until: '", text.index(f"- id: {person}\n"))
    end = text.index("\n", at) + 1
    dep.write_text(text[:at] + "  badge_valid_until: '2020-01-01'\n" + text[end:], encoding="utf-8")
    tasks = tmp_path / "任务清单.xlsx"
    write_task_list(tasks, originals, root)
    result = run_docgen("import", "task", str(tasks), "--plan", PLAN, cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{entity_id}.yaml:" in result.stdout and "执法证有效期至 2020-01-01" in result.stdout
    assert "导入的抽查记录有" in result.stdout and "未导入" not in result.stdout
    assert (root / f"records/inspections/{PLAN}/{entity_id}.yaml").exists()


@pytest.mark.parametrize("change", [
    ("address: ", "address: .nan  # "),          # a schema error: the entity drops out of the index
    ("credit_class: ", "credit_class: [\n# "),     # a YAML error: the file cannot be read at all
])
def test_export_refuses_with_the_entity_files_errors(archive, change):
    """An inspected entity whose record has errors: the export lists them (it was an internal error)."""
    target = archive / "records/entities/org-021.yaml"
    text = target.read_text(encoding="utf-8")
    assert change[0] in text
    target.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    result = run_docgen("export", "results", PLAN, "--out", "x.csv", cwd=archive)
    assert result.returncode == 2, result.stderr
    assert "内部错误" not in result.stderr and "org-021.yaml:" in result.stderr
    assert not (archive / "x.csv").exists()


@pytest.mark.parametrize("target, change", [
    ("departments/gaj.yaml", ("name: ", "name: [1]  # ")),     # a schema error: the department drops out of the index
    ("items/xfjy.yaml", ("updated: ", "updated: 20231020  # ")),  # the 抽查事项清单 the plan takes items from
])
def test_export_refuses_what_the_build_holds_back(archive, target, change):
    """A department or 抽查事项清单 of the plan with an error holds every document of the plan back
    (build, status): the export is refused too, naming it (it printed 违反〔有关部门〕相关规定)."""
    path = archive / "records" / target
    text = path.read_text(encoding="utf-8")
    assert change[0] in text
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    result = run_docgen("export", "results", PLAN, "--out", "x.csv", cwd=archive)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "内部错误" not in result.stderr and f"{target}:" in result.stderr, result.stderr
    assert not (archive / "x.csv").exists()
    status = run_docgen("status", PLAN, cwd=archive)
    assert status.returncode != 0 and f"{target}:" in status.stdout + status.stderr


def test_export_replaces_only_its_own_untouched_export(archive):
    """`--out` naming a record, or a file docgen did not export there (or one edited since), is refused:
    nothing a clerk wrote is replaced unless asked (`--force`); docgen's own last export is replaced."""
    plan_file = archive / f"records/plans/{PLAN}.yaml"
    before = plan_file.read_bytes()
    refused = run_docgen("export", "results", PLAN, "--out", f"records/plans/{PLAN}.yaml", cwd=archive)
    assert refused.returncode == 2 and "记录目录" in refused.stderr and plan_file.read_bytes() == before
    for _ in range(2):  # the default file, exported again: docgen's own, replaced
        assert run_docgen("export", "results", PLAN, cwd=archive).returncode == 0
    mine = archive / "结果.csv"
    mine.write_text("经办人自己的表\n", encoding="utf-8")
    kept = run_docgen("export", "results", PLAN, "--out", "结果.csv", cwd=archive)
    assert kept.returncode == 2 and "不会替换" in kept.stderr and "--force" in kept.stderr
    assert mine.read_text(encoding="utf-8") == "经办人自己的表\n"
    assert run_docgen("export", "results", PLAN, "--out", "结果.csv", "--force", cwd=archive).returncode == 0
    assert mine.read_bytes().startswith("\ufeff".encode("utf-8"))
    assert run_docgen("export", "results", PLAN, "--out", "结果.csv", cwd=archive).returncode == 0  # now its own
    with open(mine, "a", encoding="utf-8") as handle:  # annotated after the export
        handle.write("备注\n")
    assert run_docgen("export", "results", PLAN, "--out", "结果.csv", cwd=archive).returncode == 2


def test_task_list_names_padded_with_a_full_width_space(platform_archive, tmp_path):
    """Platforms pad a two-character name to three with a full-width space (王　五): one name, not two."""
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    entity_id, data = sorted(originals.items())[0]
    lines = ["任务编号,统一社会信用代码,检查实施机关,检查人员,执法证号"]
    for dep_id, ids in data["inspectors"].items():
        names = "、".join(people[i]["name"][0] + "\u3000" + people[i]["name"][1:] for i in ids)
        lines.append(f"T-9,{entities[entity_id]['credit_code']},{dep_id},{names},{'、'.join(people[i]['badge'] for i in ids)}")
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 0 and "无法一一对应" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert load(root / f"records/inspections/{PLAN}/{entity_id}.yaml")["inspectors"] == data["inspectors"]


def test_task_list_names_padded_and_parted_by_line_breaks_or_slashes(platform_archive, tmp_path):
    """Line breaks in a cell read as spaces, mixed with the padding of 胡　明; a full-width ／ between
    names as between badges: each still names the badges' people in order."""
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    entity_id, data = sorted(originals.items())[0]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["任务编号", "统一社会信用代码", "检查实施机关", "检查人员", "执法证号"])
    joins = ["\n", "／", " "]
    for n, (dep_id, ids) in enumerate(data["inspectors"].items()):
        padded = [people[i]["name"][0] + "\u3000" + people[i]["name"][1:] if len(people[i]["name"]) == 2
                  else people[i]["name"] for i in ids]
        ws.append(["T-9", entities[entity_id]["credit_code"], dep_id, joins[n % 3].join(padded),
                   joins[n % 3].join(people[i]["badge"] for i in ids)])
    path = tmp_path / "tasks.xlsx"
    wb.save(path)
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert result.returncode == 0 and "无法一一对应" not in result.stdout + result.stderr, result.stdout + result.stderr
    assert load(root / f"records/inspections/{PLAN}/{entity_id}.yaml")["inspectors"] == data["inspectors"]


def test_task_list_row_whose_name_is_another_entitys_is_refused(platform_archive, tmp_path):
    """A row with one school's credit code and another's name became an inspection of the code's school,
    silently; an inspector's name that differs from the badge's is refused, and so now is this."""
    root, originals = platform_archive
    departments, entities, people = rosters(root)
    (first, data), (second, _) = sorted(originals.items())[:2]
    lines = ["任务编号,统一社会信用代码,企业名称,检查实施机关,检查人员,执法证号"]
    for dep_id, ids in data["inspectors"].items():
        lines.append(f"T-9,{entities[first]['credit_code']},{entities[second]['name']},{dep_id},"
                     f"{'、'.join(people[i]['name'] for i in ids)},{'、'.join(people[i]['badge'] for i in ids)}")
    path = tmp_path / "tasks.csv"
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    said = result.stdout + result.stderr
    assert f"在名录库中是“{entities[first]['name']}”，表中写的是“{entities[second]['name']}”" in said, said
    assert not (root / f"records/inspections/{PLAN}/{first}.yaml").exists()
    # the same name written with half-width brackets and a space is the same name
    path.write_text("\n".join(lines).replace(entities[second]["name"],
                                            entities[first]["name"].replace("（", " (").replace("）", ")")),
                    encoding="utf-8-sig")
    result = run_docgen("import", "task", str(path), "--plan", PLAN, cwd=root)
    assert (root / f"records/inspections/{PLAN}/{first}.yaml").exists(), result.stdout + result.stderr
