"""Issue 15, one verdict: docgen, check-jsonschema (the editor reads YAML the same way) and ajv
agree on docgen's schemas and records; `docgen fmt` rewrites what they would misread."""

import os
import shutil
import subprocess

import pytest

from conftest import EXAMPLE, ROOT, line_of, run_docgen
from docgen.records.archive import Archive
from docgen.records.schema import Schemas

SCHEMAS = ROOT / "schemas"

ENTITY = """\
# yaml-language-server: $schema=../../schemas/entity.schema.json
# 一条检查对象记录
id: org-900
name: 迁安市示例培训学校
credit_code: 91130283MA0DEM5N6T   # 校验位见下
type: 校外培训机构
address: 河北省迁安市示例路1号
legal_rep: 张三
contact:
  name: 李四
  phone: '0315-7665600'
credit_class: B
licence:
  number: 教民1130283600099号
  valid_until: 2026-12-31
status: 存续
"""


def variant(old: str, new: str) -> str:
    assert old in ENTITY
    return ENTITY.replace(old, new)


# (name, record text, does docgen (and so check-jsonschema) accept it?)
CASES = [
    ("as written", ENTITY, True),
    ("unquoted mobile number", variant("phone: '0315-7665600'", "phone: 13800000000"), False),
    ("quoted mobile number", variant("phone: '0315-7665600'", "phone: '13800000000'"), True),
    ("unquoted landline with area code", variant("phone: '0315-7665600'", "phone: 0315-7665600"), True),
    ("unquoted all-digit credit code", variant("91130283MA0DEM5N6T", "911302830000000000"), False),
    ("credit code YAML 1.2 reads as a float", variant("91130283MA0DEM5N6T", "9113028300000000E8"), False),
    ("name that is a number", variant("name: 迁安市示例培训学校", "name: 001"), False),
    ("name yes: text in YAML 1.2", variant("name: 迁安市示例培训学校", "name: yes"), True),
    ("unquoted true where text is wanted", variant("legal_rep: 张三", "legal_rep: true"), False),
    ("impossible date", variant("valid_until: 2026-12-31", "valid_until: 2026-02-30"), False),
    ("unknown field", ENTITY + "remark: 无\n", False),
    ("empty phone", variant("phone: '0315-7665600'", "phone:"), False),
]


def check_jsonschema_errors(schema_file, record_file) -> list:
    """check-jsonschema, used as a library: its YAML loading, its format checks, its regexes."""
    from check_jsonschema.formats import FormatOptions
    from check_jsonschema.instance_loader import InstanceLoader
    from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
    from check_jsonschema.schema_loader import SchemaLoader

    regex = RegexImplementation(RegexVariantName.default)
    options = FormatOptions(regex_impl=regex)
    loader = SchemaLoader(str(schema_file))
    [(name, data)] = list(InstanceLoader([open(record_file, "rb")], default_filetype="yaml").iter_files())
    if isinstance(data, Exception):
        return [data]
    return list(loader.get_validator(name, data, options, regex, False).iter_errors(data))


def docgen_problems(records_dir) -> dict:
    """docgen's verdict per file from YAML and schema checking (cross-record rules are its own)."""
    archive = Archive(str(records_dir))
    schemas = Schemas(archive.schemas_dir)
    _, problems, _ = archive.load(schemas.check)
    found: dict = {}
    for problem in problems:
        if problem.is_error:
            found.setdefault(os.path.abspath(problem.path), []).append(problem)
    return found


def test_example_archive_same_verdict():
    verdict = docgen_problems(EXAMPLE)
    archive = Archive(str(EXAMPLE))
    files = archive.walk()[0]
    assert len(files) > 50
    for kind, path in files:
        errors = check_jsonschema_errors(SCHEMAS / f"{kind}.schema.json", path)
        assert not errors, (path, [e.message for e in errors])
        assert os.path.abspath(path) not in verdict, verdict.get(os.path.abspath(path))


@pytest.mark.parametrize("name, text, accepted", CASES, ids=[c[0] for c in CASES])
def test_records_docgen_rejects_check_jsonschema_rejects(tmp_path, name, text, accepted):
    path = tmp_path / "records/entities/org-900.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    ours = docgen_problems(tmp_path / "records").get(str(path), [])
    theirs = check_jsonschema_errors(SCHEMAS / "entity.schema.json", path)
    assert (not ours) == (not theirs) == accepted, ([str(p) for p in ours], [e.message for e in theirs])


def test_unquoted_number_reported_with_the_fix(tmp_path):
    path = tmp_path / "records/entities/org-900.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(variant("phone: '0315-7665600'", "phone: 13800000000"), encoding="utf-8")
    result = run_docgen("validate", cwd=tmp_path)
    assert result.returncode == 1
    line = line_of(path, "phone: 13800000000")
    assert (f"records/entities/org-900.yaml:{line}:10: 「联系电话」应为文本，而不加引号的 13800000000 会被读作整数："
            f"请加引号：'13800000000'（或运行 docgen fmt 自动加上）") in result.stdout


MESSY = """\
# yaml-language-server: $schema=../../schemas/entity.schema.json
# 从旧表格整理而来
id: org-900
credit_code: 911302830000000000 # 全数字，需核对
name: yes
type: 校外培训机构
legal_rep: 9:30
address: 河北省迁安市示例路1号
contact: {name: 李四, phone: 13800000000}
credit_class: B
licence:
  valid_until: 2026-12-31   # 日期保持原样
  number: 001
status: 存续
"""


def test_fmt_quotes_misread_values_keeping_comments_and_order(tmp_path):
    path = tmp_path / "records/entities/org-900.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(MESSY, encoding="utf-8")
    check = run_docgen("fmt", "--check", cwd=tmp_path)
    assert check.returncode == 1 and "需要整理：records/entities/org-900.yaml" in check.stdout
    assert path.read_text(encoding="utf-8") == MESSY  # --check changes nothing
    done = run_docgen("fmt", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已整理：records/entities/org-900.yaml" in done.stdout
    expected = (MESSY.replace("credit_code: 911302830000000000 #", "credit_code: '911302830000000000' #")
                .replace("name: yes", "name: 'yes'")  # text to YAML 1.2, yes/no to YAML 1.1 readers
                .replace("legal_rep: 9:30", "legal_rep: '9:30'")  # 570 to YAML 1.1 readers
                .replace("phone: 13800000000}", "phone: '13800000000'}")
                .replace("number: 001", "number: '001'"))
    assert path.read_text(encoding="utf-8") == expected  # every other byte, comments and order kept
    again = run_docgen("fmt", "--check", cwd=tmp_path)
    assert again.returncode == 0 and "0 个需要整理" in again.stdout  # idempotent
    # what fmt wrote, every tool reads as text
    records = docgen_problems(tmp_path / "records").get(str(path), [])
    assert not [p for p in records if "应为文本" in p.message]
    theirs = check_jsonschema_errors(SCHEMAS / "entity.schema.json", path)
    assert not [e for e in theirs if e.validator == "type"]


def test_fmt_leaves_numbers_where_numbers_are_wanted_and_bad_yaml_alone(archive):
    plan = archive / "records/plans/qa-2023-30.yaml"
    before = plan.read_text(encoding="utf-8")
    assert "inspectors_per_department: 2" in before
    broken = archive / "records/entities/org-001.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "bad: [\n", encoding="utf-8")
    result = run_docgen("fmt", str(archive / "records/plans"), str(broken), cwd=archive)
    assert plan.read_text(encoding="utf-8") == before
    # said where validate says it (the unclosed bracket's line), and left as it is
    lines = broken.read_text(encoding="utf-8").count("\n")
    assert result.returncode == 1 and f"records/entities/org-001.yaml:{lines + 1}:1:" in result.stdout
    assert "未整理" in result.stdout


NODE_PACKAGES = ("ajv@8", "ajv-formats@3", "yaml@2")
# The command README.md (快速开始) and .ci/run give for these packages; tests never download them.
NPM_INSTALL = "npm install --prefix .ci/node " + " ".join(NODE_PACKAGES)


def node_modules_missing() -> str | None:
    """Why the Node.js checks cannot run here (a skip reason naming the fix), or None."""
    if not shutil.which("node"):
        return f"没有 Node.js：ajv 严格模式和编辑器 YAML 库的对照检查未运行（装好 Node.js 后运行 {NPM_INSTALL}，见 README“快速开始”）"
    if not node_modules_dir():
        return f"没有 {'、'.join(NODE_PACKAGES)}：ajv 严格模式和编辑器 YAML 库的对照检查未运行（运行 {NPM_INSTALL}，见 README“快速开始”）"
    return None


def node_modules_dir() -> str | None:
    """node_modules holding NODE_PACKAGES: $DOCGEN_NODE_MODULES, or .ci/node/node_modules."""
    names = [package.rsplit("@", 1)[0] for package in NODE_PACKAGES]
    for candidate in (os.environ.get("DOCGEN_NODE_MODULES"), str(ROOT / ".ci/node/node_modules")):
        if candidate and all(os.path.isdir(os.path.join(candidate, name)) for name in names):
            return candidate
    return None


@pytest.fixture(scope="module")
def node_modules():
    """The node_modules README.md tells how to install; without it (or Node.js) the test is skipped
    with the command that installs it: a test run never downloads anything."""
    why = node_modules_missing()
    if why:
        pytest.skip(why)
    return node_modules_dir()


def test_readme_and_ci_install_the_node_packages_alike():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert NPM_INSTALL in readme
    assert all(package in ci for package in NODE_PACKAGES) and "--prefix .ci/node" in ci
    # the README's test command is the one .ci/run runs
    command = "pip install -q '.[test]' && pytest -q"
    assert command in readme and command in ci


def test_schemas_pass_ajv_strict_mode(node_modules, tmp_path):
    modules = node_modules
    env = {**os.environ, "NODE_PATH": modules}
    script = str(ROOT / "scripts/ajv_strict.js")
    result = subprocess.run(["node", script, str(SCHEMAS)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [p.name for p in SCHEMAS.glob("*.schema.json")]
    assert sorted(result.stdout.split()) == sorted(["ok"] * len(names) + names)
    # the check has teeth: an unknown keyword (what x-kind was) is refused
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    entity = tmp_path / "schemas/entity.schema.json"
    entity.write_text(entity.read_text(encoding="utf-8").replace('"title"', '"x-kind": "entity", "title"', 1),
                      encoding="utf-8")
    refused = subprocess.run(["node", script, str(tmp_path / "schemas")], capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and 'refused entity.schema.json: strict mode: unknown keyword: "x-kind"' \
        in refused.stdout


# Plain values the YAML library of the editor's language server (yaml, YAML 1.2 core schema) reads
# as text while docgen reads them as ruamel.yaml and check-jsonschema do, as numbers: docgen is the
# stricter one there, and `docgen fmt` quotes them, after which all of them read text.
EDITOR_READS_TEXT = {"1_000", "0b101", "-0x1F", "-0o7"}
PLAIN_VALUES = ["001", "017", "0o17", "0x1F", "1e5", "+1", ".5", "1.", "yes", "on", "off", "True", "FALSE",
                "tRue", "~", "null", "2023-10-30", "0315-7665600", "13800000000", "9113028300000000E8", ".inf",
                ".NaN", "9:30", "+.5", "1.5e3", "09", "0.", "-.inf", "91130283MA0DEM5N6T", "org-001", "存续",
                *sorted(EDITOR_READS_TEXT)]


def test_docgen_reads_plain_values_as_the_editor_does(node_modules):
    import json

    from docgen.records.fmt import misread
    from docgen.records.loader import parse_yaml

    script = ("const YAML = require('yaml'); const out = {};"
              "for (const v of JSON.parse(process.argv[1])) { const d = YAML.parse('k: ' + v + '\\n').k;"
              " out[v] = d === null ? 'null' : typeof d; } console.log(JSON.stringify(out));")
    result = subprocess.run(["node", "-e", script, json.dumps(PLAIN_VALUES)], capture_output=True, text=True,
                            env={**os.environ, "NODE_PATH": node_modules})
    assert result.returncode == 0, result.stderr
    editor = json.loads(result.stdout)
    names = {str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    for value in PLAIN_VALUES:
        ours = names[type(parse_yaml(f"k: {value}\n", "x.yaml")[0].data["k"])]
        if value in EDITOR_READS_TEXT:
            assert (editor[value], ours) == ("string", "number") and misread(value), value
        else:
            assert ours == editor[value], (value, ours, editor[value])
            if ours in ("number", "boolean"):
                assert misread(value), value  # fmt quotes it where text is wanted
