"""An office's archive: `docgen init`, `docgen new` and `docgen git-setup`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from docgen.cache import read_regular
from docgen.records.tree import FOLDER_OF, KIND_FOLDERS, packaged_dir, refuse_outside
from docgen.office.examples import EXAMPLES
from docgen.records.problems import DocgenError
from docgen.records.skeleton import render
from docgen.gitprogram import required_git
from docgen.writer import write_new
from docgen.records.yamlout import record_path, schema_line

GITATTRIBUTES = "# docgen：git diff 显示 Word / Excel 文书里的文字变化（配合 docgen git-setup）\n*.docx diff=docgen\n*.xlsx diff=docgen\n"
GITIGNORE = ("# docgen 的缓存\n.docgen/\n# PDF 是打印件（每次转换的字节不同），不纳入版本管理\n*.pdf\n"
             "# Word / WPS / Excel / LibreOffice 打开文件时留下的锁文件和临时文件（不是文书，不能提交）\n"
             "~$*\n.~lock.*#\n.~*\n*.tmp\n"
             "# docgen 被中断时留下的临时文件（下次运行时自动清除）\n.docgen-*.tmp\n.docgen-manifest.pending\n")
PRE_COMMIT = """# pre-commit 框架：每次提交前校验暂存区中的记录（pip install pre-commit && pre-commit install）。
# 先在本机运行一次 docgen git-setup：它把 docgen 所在的 Python 记为 git 命令“git docgen”，
# 因此图形界面的 git 客户端找不到 docgen 命令时，钩子照样能运行。
# always_run：只删除记录的提交也要校验（删掉的记录可能仍被别的记录引用）。
# 本机没有运行过 docgen git-setup（如刚 git clone 的档案）或之后重装了 docgen 时，钩子说明怎么办。
repos:
  - repo: local
    hooks:
      - id: docgen-validate
        name: docgen validate --staged
        entry: >-
          sh -c 'if ! git config alias.docgen >/dev/null; then
          echo "本机还没有为这个档案运行过 docgen git-setup（没有 git docgen 命令）：请在档案目录中运行一次 docgen git-setup，然后再提交" >&2;
          exit 1; fi; git docgen validate --staged; status=$?; if [ $status -eq 127 ]; then
          echo "git docgen 指向的 Python 已不存在（docgen 重装或换了位置）：请在档案目录中重新运行一次 docgen git-setup，然后再提交" >&2;
          fi; exit $status'
        language: system
        pass_filenames: false
        always_run: true
"""
CLERK_README = """# “双随机、一公开”抽查档案

本目录由 `docgen init` 建立。记录在 `records/`，生成的文书在 `output/`。

## 日常操作

1. 修改或新增记录：`docgen new entity 主体编号`、`docgen new inspection 计划编号/主体编号` 等会生成带说明的空白记录。
2. 校验：`docgen validate`，按“文件:行:列: 说明”逐条改正（电话、编号等文本请加引号，`docgen fmt` 可自动加上）。
3. 生成文书：`docgen build`（或 `docgen watch`，保存后自动生成）。
4. 查看进度和考核指标：`docgen status`。
5. 提交：`git add -A && git commit -m "说明"`。

## 一单两库一指引

- 抽查事项清单：每个部门一个 `records/items/部门编号.yaml`（`docgen new items 部门编号`），写明事项编号、名称、
  一般/重点、检查依据、检查方式、比例或频次、所需资格；计划的 `departments[].items` 按事项编号选取。
- 执法人员名录库：`records/departments/`，每人写 `badge_valid_until`（执法证有效期至）。证件在计划结束前到期的人员
  不被抽取；换证后更新日期。
- 检查对象名录库：`records/entities/`。计划写了 `yearly_cap` 时，本年度已达检查次数上限的对象不被抽取。

## 随机抽取

事先公布随机种子（例如“某日福彩3D开奖号码”），然后 `docgen draw 计划编号 --seed "种子"`；
任何人可用 `docgen draw 计划编号 --verify` 复核。

## 查看文书的改动

运行一次 `docgen git-setup` 后，`git diff`、`git log -p` 会显示 Word / Excel 文书中文字的变化，
`git diff --word-diff` 按单个汉字标出改动，中文文件名原样显示。

## 提交前自动校验

`docgen git-setup` 之后，`pip install pre-commit && pre-commit install`：每次提交前校验暂存区中即将提交的记录
（只删除记录的提交也校验）。不用 pre-commit 时：
`printf '#!/bin/sh\\nexec git docgen validate --staged\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit`。

## 名录库导入

`docgen import entities 名录库.xlsx`；执法人员名录：`docgen import departments 执法人员.xlsx --department 部门编号`。
文件可以是 .xlsx、.xls 或 .csv（UTF-8 或 GBK），按中文表头识别；表头有歧义时用 `--column 字段=表头` 指定，
名录在其他工作表时用 `--sheet 工作表名`，表中没有“主体类型”列时用 `--type`。已有记录加 `--update` 才更新。

## 与省级监管平台配合

由平台抽取时不用 `docgen draw`：`docgen import task 任务清单.xlsx --plan 计划编号` 把平台导出的任务清单写成
抽查记录（按统一社会信用代码和执法证号对应，已有的记录不覆盖）；照常填写结果、`docgen build`；
`docgen export results 计划编号 [--department 部门] [--format csv]` 按部门导出平台录入所需的结果（不含电话）。

## 自定义

`templates/` 中的模板可用 Word、WPS、Excel 修改样式；`schemas/` 中可扩充抽查结果、处置措施等可选值。
工作日历：国家尚未公布或本地调整的年份，在 `records/calendar/年份.yaml` 中填写 year、holidays、workdays（和 complete: true）。
"""


def _copy_tree(source: str, target: str, created: list[str], skipped: list[str]) -> None:
    for name in sorted(os.listdir(source)):
        if name.startswith(("__", ".")) or not name.endswith((".json", ".docx", ".xlsx")):
            continue
        destination = os.path.join(target, name)
        os.makedirs(target, exist_ok=True)
        with open(os.path.join(source, name), "rb") as handle:
            _write_new(destination, handle.read(), created, skipped)


def _write_new(path: str, content: str | bytes, created: list[str], skipped: list[str]) -> None:
    """Write a file of a new archive, never over one that is there (or appears meanwhile): skipped."""
    try:
        write_new(path, content.encode("utf-8") if isinstance(content, str) else content)
    except FileExistsError:
        skipped.append(path)
        return
    created.append(path)


def schema_of(kind: str, schemas_dir: str) -> dict:
    from docgen.records.schema import Schemas

    return Schemas(schemas_dir).inlined[kind]


def record_file_text(kind: str, data: dict, path: str, records_dir: str, schemas_dir: str, note: str,
                     shown: dict | None = None) -> str:
    head = schema_line(kind, path, records_dir) + "".join(f"# {line}\n" for line in note.splitlines())
    return head + render(schema_of(kind, schemas_dir), data, shown=shown)


def _inherited(records_dir: str, schemas_dir: str, plan_id: str) -> dict:
    """What an inspection of `plan_id` takes from its plan when left out: `credit_driven` as the
    plan says it (or the plan schema's default), shown on its commented-out line."""
    from docgen.records.loader import read_yaml_file

    value = schema_of("plan", schemas_dir).get("properties", {}).get("credit_driven", {}).get("default", True)
    plan_file = record_path(records_dir, "plan", plan_id)
    if os.path.isfile(plan_file):
        doc = read_yaml_file(plan_file, plan_file)[0]
        if doc is not None and isinstance(doc.data, dict) and isinstance(doc.data.get("credit_driven"), bool):
            value = doc.data["credit_driven"]
    return {"credit_driven": value} if isinstance(value, bool) else {}


def init(target: str, force: bool = False) -> tuple[list[str], list[str]]:
    """Create a new archive in `target`; never overwrites a file. Returns (created, skipped)."""
    if not target.strip():  # `docgen init ""`: would be the current folder, past the guard below
        raise DocgenError("请指定要建立档案的目录，如 docgen init 我的档案")
    if os.path.exists(target) and not os.path.isdir(target):
        raise DocgenError(f"{target} 已存在且不是目录")
    if os.path.isdir(target) and os.listdir(target) and not force:
        raise DocgenError(f"目录 {target} 不是空的。如确要在其中建立档案，请加 --force（已有的文件不会被覆盖）")
    around = os.path.dirname(os.path.abspath(target))
    while not force:  # an archive inside another's records/ or output/ is read there as a stray folder
        if os.path.isdir(os.path.join(around, "records", "plans")):
            raise DocgenError(f"{target} 在档案 {around} 之中：新档案请建在其他文件夹，不要建在已有档案的文件夹里"
                              "（如确要建在这里，请加 --force）")
        if os.path.dirname(around) == around:  # the drive's top folder, checked too
            break
        around = os.path.dirname(around)
    created: list[str] = []
    skipped: list[str] = []
    records = os.path.join(target, "records")
    for folder in KIND_FOLDERS:
        os.makedirs(os.path.join(records, folder), exist_ok=True)
    _copy_tree(packaged_dir("schemas"), os.path.join(target, "schemas"), created, skipped)
    _copy_tree(packaged_dir("templates"), os.path.join(target, "templates"), created, skipped)
    schemas_dir = os.path.join(target, "schemas")
    note = "示例记录（虚构）：照此格式填写，或删除后用 docgen new 新建。每个字段上方的注释是它的说明。"
    for kind, data in EXAMPLES.items():
        shown = None
        if kind == "inspection":
            path = record_path(records, kind, data["plan"], data["entity"])
            shown = _inherited(records, schemas_dir, data["plan"])  # (the example plan is written before it)
        else:
            path = record_path(records, kind, data["id"])
        _write_new(path, record_file_text(kind, data, path, records, schemas_dir, note, shown), created, skipped)
    for name, text in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE),
                       (".pre-commit-config.yaml", PRE_COMMIT), ("README.md", CLERK_README)):
        _write_new(os.path.join(target, name), text, created, skipped)
    return created, skipped


def new_record(records_dir: str, schemas_dir: str, kind: str, rid: str | None) -> str:
    """Write a blank, commented record of `kind`; refuses to overwrite. Returns its path."""
    if kind not in FOLDER_OF or kind == "draw":
        choices = "、".join(k for k in FOLDER_OF if k != "draw")
        raise DocgenError(f"不认识的记录类型“{kind}”，可用：{choices}")
    import re

    from docgen.records.schema import ID_PATTERN

    pattern = re.compile(ID_PATTERN)
    if kind == "inspection":
        plan, _, entity = (rid or "").partition("/")
        if not (pattern.match(plan) and pattern.match(entity)):
            raise DocgenError("抽查记录的编号应写成“计划编号/主体编号”，如 qa-2023-30/org-001")
        path = record_path(records_dir, kind, plan, entity)
        data = {"plan": plan, "entity": entity}
    elif kind == "calendar":
        if not (rid or "").isdigit() or len(rid) != 4:
            raise DocgenError("工作日历的编号是年份，如 docgen new calendar 2027")
        path = record_path(records_dir, kind, rid)
        data = {"year": int(rid)}
    else:
        if not rid or not pattern.match(rid):
            raise DocgenError("请给出编号：只能包含字母、数字、“-”和“_”，并以字母或数字开头，如 org-049")
        path = record_path(records_dir, kind, rid)
        data = {"id": rid}
    if os.path.lexists(path):
        raise DocgenError(f"{os.path.relpath(path)} 已存在，docgen 不会覆盖它")
    clash = _same_but_case(path, records_dir)
    if clash:  # the same file on Windows and macOS: `validate` would then call both an error
        raise DocgenError(f"已有 {os.path.relpath(clash[0])}：“{clash[1]}”与它是同一个（编号、文件名和文件夹名不区分"
                          "大小写，.yaml 与 .yml 也相同），docgen 不会再建一个")
    refuse_outside(path, records_dir)
    note = "由 docgen new 生成：请填写各字段（注释是字段说明），不用的可选字段可以删除。"
    shown = _inherited(records_dir, schemas_dir, data["plan"]) if kind == "inspection" else None
    text = record_file_text(kind, data, path, records_dir, schemas_dir, note, shown)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:  # atomic, and never over a file that appeared meanwhile
        write_new(path, text.encode("utf-8"))
    except FileExistsError:
        raise DocgenError(f"{os.path.relpath(path)} 已存在，docgen 不会覆盖它") from None
    return path


def _same_but_case(path: str, records_dir: str) -> tuple[str, str] | None:
    """(what is there, the name asked for) when a file or folder on the way from `records_dir` to
    `path` has a name that differs from the one asked for only in case (or, for the record file
    itself, in its .yaml / .yml ending: the same record)."""
    from docgen.records.tree import is_record_file, stem_of

    folder = os.path.abspath(records_dir)
    parts = os.path.relpath(os.path.abspath(path), folder).split(os.sep)
    for name in parts:
        try:
            listed = os.listdir(folder)
        except OSError:
            return None  # not there yet: nothing in it to clash with
        last = name == parts[-1]
        same = [n for n in listed if n != name and (n.casefold() == name.casefold() or last and is_record_file(n)
                                                    and stem_of(n).casefold() == stem_of(name).casefold())]
        if same:
            return os.path.join(folder, same[0]), name
        if name not in listed:
            return None
        folder = os.path.join(folder, name)
    return None


# A "word" for `git diff --word-diff`: a run of ASCII letters and digits (a date or phone number
# with its separators stays whole), or else one character. The second branch matches a UTF-8
# lead byte and its continuation bytes, so each Chinese character is a word whatever the
# locale git runs in (a byte-wise C locale or a UTF-8 one); the raw bytes are intended.
WORD_REGEX = b"[A-Za-z0-9_]+([-.:/@][A-Za-z0-9_]+)*|[^[:space:]\x80-\xbf][\x80-\xbf]*"


def _git_config(top: str, key: str, value: str | bytes) -> None:
    subprocess.run([os.fsencode(required_git(top, "docgen git-setup")), b"config", key.encode(), value if isinstance(value, bytes) else value.encode("utf-8")],
                   cwd=top, check=True, capture_output=True)


def git_setup(folder: str = ".") -> list[str]:
    """Set this repository up for reviewing an archive: document text in diffs (cached, never
    failing on a lock file), Chinese paths unescaped, one Chinese character per word in
    `--word-diff`, and `git docgen` naming this docgen for hooks run where it is not on PATH."""
    try:
        top = subprocess.run([required_git(folder, "docgen git-setup"), "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True,
                             check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise DocgenError("当前目录不在 git 仓库中（先运行 git init）") from None
    attributes = os.path.join(top, ".gitattributes")
    if os.path.islink(attributes) or os.path.exists(attributes) and not os.path.isfile(attributes):
        raise DocgenError(f"{attributes} 是符号链接或不是普通文件，docgen 不会写入它；请改为普通文件后再运行 docgen git-setup")
    # -P: git runs these from the repository's top folder, where `python -m` would first look for a
    # `docgen` package in the archive itself (code from another office); only the installed one runs
    python = json.dumps(sys.executable) + " -P"
    command = f"{python} -m docgen textconv --for-git"
    _git_config(top, "diff.docgen.textconv", command)
    _git_config(top, "diff.docgen.cachetextconv", "true")
    _git_config(top, "diff.docgen.wordRegex", WORD_REGEX)
    _git_config(top, "diff.wordRegex", WORD_REGEX)
    _git_config(top, "core.quotePath", "false")
    _git_config(top, "alias.docgen", f"!{python} -m docgen")
    done = [f"已设置 git config diff.docgen.textconv = {command}（结果缓存，打不开的文件只显示一行说明）",
            "已设置 core.quotePath = false（中文文件名不再显示为八进制转义）",
            "已设置 diff.wordRegex（git diff --word-diff 按单个汉字比较）",
            f"已设置 git 命令 git docgen = {python} -m docgen（提交前钩子用它，不依赖 PATH）"]
    existing = read_regular(attributes).decode("utf-8", "replace") if os.path.exists(attributes) else ""
    missing = [line for line in ("*.docx diff=docgen", "*.xlsx diff=docgen") if line not in existing]
    if missing:
        with open(attributes, "a", encoding="utf-8") as handle:
            handle.write(("" if not existing or existing.endswith("\n") else "\n") + "\n".join(missing) + "\n")
        done.append(f"已在 {attributes} 中加入：{'、'.join(missing)}")
    return done
