"""`docgen migrate`: archives of the old shape (one result for all departments) are rewritten into
each department's own part, with every value carried over and the clerk's text kept."""

import pathlib
import re
import shutil

import pytest
import yaml

from conftest import check, line_of, problems_for, run_docgen

PLAN = "qa-2023-30"
OLD = pathlib.Path(__file__).parent / "data" / "old_example" / PLAN  # the example before issue 13


def old_archive(archive):
    folder = archive / "records" / "inspections" / PLAN
    shutil.rmtree(folder)
    shutil.copytree(OLD, folder)
    return folder


def test_old_shape_validate_says_to_migrate(archive):
    folder = old_archive(archive)
    path = folder / "org-031.yaml"
    checked = check(archive)
    messages = {(p.line, p.message) for p in problems_for(checked, path) if p.is_error}
    assert any(line == line_of(path, "items:") and "docgen migrate" in m for line, m in messages), messages
    result = run_docgen("validate", cwd=archive)
    assert result.returncode == 1 and "请运行 docgen migrate" in result.stdout


def test_dry_run_shows_a_diff_and_writes_nothing(archive):
    folder = old_archive(archive)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_docgen("migrate", "--dry-run", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"--- a/records/inspections/{PLAN}/org-031.yaml" in result.stdout
    assert "-result: 发现问题已责令改正" in result.stdout and "+departments:" in result.stdout
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_migrate_carries_every_value_over_and_builds(archive):
    folder = old_archive(archive)
    path = folder / "org-031.yaml"
    text = path.read_text(encoding="utf-8")
    # a clerk's comments and an unknown-to-migrate field stay as written
    text = text.replace("methods:\n", "# 现场由两组同时检查\nmethods:\n").replace("items:\n", "items:\n# 以下按部门填写\n")
    path.write_text(text, encoding="utf-8")
    old = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in folder.iterdir()}
    result = run_docgen("migrate", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "请补填经办领导的审核批准" in result.stdout
    after = path.read_text(encoding="utf-8")
    assert "# 现场由两组同时检查\nmethods:" in after and "# 以下按部门填写" in after
    assert after.startswith(text[: text.index("dates:")])  # the head (comments, drawn fields) untouched
    for name, before in old.items():
        new = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
        assert "result" not in new and "items" not in new
        for key in set(before) - {"result", "items", "dates"}:
            assert new[key] == before[key], (name, key)
        dates = before.get("dates") or {}
        assert new.get("dates", {}) == {k: v for k, v in dates.items() if k not in ("completed", "entered", "disclosed")}
        parts = new.get("departments") or {}
        for dep, part in parts.items():
            for key in ("completed", "entered", "disclosed"):
                assert part.get(key) == dates.get(key), (name, dep, key)
            own = [{k: v for k, v in i.items() if k != "department"} for i in before.get("items") or []
                   if i["department"] == dep]
            assert part.get("items", []) == own, (name, dep)
            if before.get("result"):
                clean = all(i["finding"] == "未发现问题" for i in own)
                expected = "未发现问题" if clean and before["result"].startswith("发现问题") else before["result"]
                assert part["results"] == [expected], (name, dep)
        # nothing lost: every old item is in some department's part, the joint result in one at least
        assert sum(len(p.get("items", [])) for p in parts.values()) == len(before.get("items") or [])
        if before.get("result"):
            assert any(before["result"] in p["results"] for p in parts.values()), name
    juxian = yaml.safe_load(path.read_text(encoding="utf-8"))["departments"]
    assert {d: p["results"] for d, p in juxian.items()} == {"jyj": ["未发现问题"], "gaj": ["发现问题已责令改正"],
                                                           "xfjy": ["未发现问题"]}
    validate = run_docgen("validate", "--as-of", "2023-11-24", cwd=archive)
    assert validate.returncode == 0, validate.stdout
    assert "没有经办领导的审核批准" in validate.stdout  # a warning until the approvals are written
    build = run_docgen("build", cwd=archive)
    assert build.returncode == 0, build.stdout + build.stderr
    assert run_docgen("draw", PLAN, "--verify", cwd=archive).returncode == 0
    again = run_docgen("migrate", cwd=archive)
    assert "没有需要转换的旧格式记录" in again.stdout


def test_flow_style_is_refused_not_mangled(archive):
    folder = old_archive(archive)
    path = folder / "org-002.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("result: 发现问题已责令改正", "result: 发现问题已责令改正\nextra: {result: x}"),
                    encoding="utf-8")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    flow = folder / "org-007.yaml"
    flow_data = yaml.safe_load(flow.read_text(encoding="utf-8"))
    flow.write_text(yaml.safe_dump(flow_data, allow_unicode=True, default_flow_style=True), encoding="utf-8")
    before = flow.read_bytes()
    result = run_docgen("migrate", cwd=archive)
    assert result.returncode == 1 and "org-007.yaml：无法转换" in result.stderr
    assert flow.read_bytes() == before
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["extra"] == data["extra"]


@pytest.mark.parametrize("change", ["- department:\n", "- department: [jyj, gaj]\n", "- departmnet: jyj\n",
                                    "result: [发现问题已责令改正, 未按规定公示应当公示的信息]\n", "items: 5\n"])
def test_what_cannot_be_carried_over_is_refused_not_lost(archive, change):
    folder = old_archive(archive)
    path = folder / "org-031.yaml"
    text = path.read_text(encoding="utf-8")
    if change.startswith("- "):
        text = text.replace("- department: jyj\n", change, 1)
    elif change.startswith("result"):
        text = re.sub(r"(?m)^result: .*\n", change, text, count=1)
    else:
        text = re.sub(r"(?ms)^items:\n(?:[ -].*?\n)+", change, text, count=1)
    assert change in text
    path.write_text(text, encoding="utf-8")
    result = run_docgen("migrate", cwd=archive)
    assert "Traceback" not in result.stderr and "内部错误" not in result.stdout + result.stderr
    assert "org-031.yaml" in result.stdout + result.stderr and "不会丢弃" in result.stdout + result.stderr
    assert path.read_text(encoding="utf-8") == text  # left as the clerk wrote it


def test_migrate_never_opens_a_fifo_or_a_link_out_of_the_archive(archive, tmp_path_factory):
    import os
    import subprocess
    import sys

    os.mkfifo(archive / "records" / "plans" / "evil.yaml")
    secret = tmp_path_factory.mktemp("elsewhere") / "secret.yaml"
    secret.write_text("id: secret\ndepartments:\n- department: jyj\n  items: [OUTSIDE-SECRET]\n", encoding="utf-8")
    (archive / "records" / "plans" / "secret.yaml").symlink_to(secret)
    result = subprocess.run([sys.executable, "-P", "-m", "docgen", "migrate", "--dry-run"], cwd=archive,
                            capture_output=True, text=True, timeout=60)
    said = result.stdout + result.stderr
    assert "OUTSIDE-SECRET" not in said and "Traceback" not in said and "evil.yaml" in said


def test_migrate_keeps_comments_after_values_and_writes_no_anchors(archive):
    """Unquoted dates (text to docgen, YAML 1.2) used twice are written as values, never as the
    `&id001` / `*id001` docgen refuses; a comment after a moved value is kept, with its line."""
    folder = old_archive(archive)
    path = folder / "org-002.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  completed: '2023-11-07'", "  completed: 2023-11-07  # 现场当天完成")
    text = text.replace("  entered: '2023-11-09'", "  entered: 2023-11-09")
    text = text.replace("  finding: 二楼疏散通道堆放杂物，1具灭火器压力不足",
                        "  finding: 二楼疏散通道堆放杂物，1具灭火器压力不足  # 见照片3")
    text = text.replace("result: 发现问题已责令改正", "result: 发现问题已责令改正  # 消防发现")
    path.write_text(text, encoding="utf-8")
    result = run_docgen("migrate", cwd=archive)
    assert result.returncode == 0, result.stdout + result.stderr
    after = path.read_text(encoding="utf-8")
    assert "&id" not in after and "*id" not in after
    for comment in ("# 现场当天完成", "# 见照片3", "# 消防发现"):
        assert comment in after, after
    assert "# 原记录：completed: 2023-11-07  # 现场当天完成" in after
    assert not [p for p in problems_for(check(archive), path) if p.is_error]


def test_an_item_without_a_finding_does_not_make_a_problem_disappear(archive):
    """The joint result says a problem was found; an item whose finding is not written says nothing:
    the department keeps the joint result (only items that all say 未发现问题 turn it into 未发现问题)."""
    folder = old_archive(archive)
    path = folder / "org-031.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\n  finding: [^\n]*", "", text), encoding="utf-8")
    assert run_docgen("migrate", cwd=archive).returncode == 0
    parts = yaml.safe_load(path.read_text(encoding="utf-8"))["departments"]
    assert parts and all(part["results"] == ["发现问题已责令改正"] for part in parts.values()), parts


def test_a_file_with_crlf_line_ends_keeps_them(archive):
    folder = old_archive(archive)
    path = folder / "org-002.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run_docgen("migrate", cwd=archive).returncode == 0
    after = path.read_bytes()
    assert b"departments:" in after and after.count(b"\n") == after.count(b"\r\n")
