"""The commands the READMEs (the repository's and the one `docgen init` writes into an archive) tell a
clerk to type exist, with the options they name: a renamed command or option leaves no stale line."""

import re

import click
import pytest

from conftest import ROOT
from docgen.cli import cli
from docgen.office.setup import CLERK_README

# a command as typed: in `code`, at the start of a line of a code block, or after && or ;
COMMAND = re.compile(r"(?:(?<=`)|(?<=&& )|(?<=; )|^ *)docgen((?: [a-z][a-z-]*)+)([^`\n|，。；）]*)", re.M)


def commands(text: str):
    """(command path, options) of every `docgen …` written in `text`."""
    for match in COMMAND.finditer(text):
        words = match.group(1).split()
        command, path = cli, []
        for word in words:
            if not isinstance(command, click.Group) or word not in command.commands:
                break
            command, path = command.commands[word], path + [word]
        rest = " ".join(words[len(path):]) + match.group(2)
        yield " ".join(path), command, re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest)


@pytest.mark.parametrize("name, text", [("README.md", (ROOT / "README.md").read_text(encoding="utf-8")),
                                        ("archive README.md", CLERK_README)])
def test_readme_commands_and_options_exist(name, text):
    seen = set()
    for path, command, options in commands(text):
        assert path, f"{name}: docgen 后面不是已有的命令"
        accepted = {opt for param in command.params for opt in param.opts + param.secondary_opts}
        for option in options:
            assert option in accepted, f"{name}: docgen {path} 没有选项 {option}"
        seen.add(path)
    # what working beside the platform and the roster formats need is told in both
    assert {"import task", "export results", "import entities", "import departments", "git-setup", "fmt"} <= seen


def test_readme_tells_import_formats_and_platform_workflow():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    platform = text[text.index("## 与省级监管平台配合"):text.index("## 导入格式")]
    for step in ("docgen import task", "录入结果", "docgen export results", "docgen draw qa-2023-30 --verify"):
        assert step in platform, step
    formats = text[text.index("## 导入格式"):text.index("## 办公室的档案")]
    for told in (".xls", ".csv", "GBK", "BOM", "--sheet", "--column", "--type", "两行表头", "全角", "--update"):
        assert told in formats, told
    # the git section points to the formats instead of repeating an older, .xlsx-only account
    git_section = text[text.index("## 办公室的档案"):text.index("## 修改模板")]
    assert "import entities" not in git_section
    for told in (".xls", ".csv", "import task", "export results"):
        assert told in CLERK_README, told


def test_column_examples_in_help_name_each_commands_own_fields():
    """`docgen import task --help` once suggested --column 联系电话=…, a field a task list does not have."""
    from docgen.cli import COLUMN_EXAMPLES
    from docgen.office.platform import TASK_COLUMNS
    from docgen.office.roster import ENTITY_COLUMNS, INSPECTOR_COLUMNS
    from docgen.office.tables import HeaderMap

    fields = {"entities": ENTITY_COLUMNS, "departments": INSPECTOR_COLUMNS, "task": TASK_COLUMNS}
    for name, example in COLUMN_EXAMPLES.items():
        command = cli.commands["import"].commands[name]
        assert f"--column {example}" in command.get_help(click.Context(command, info_name=name))
        header = example.split("=", 1)[1]
        assert HeaderMap(fields[name]).field_of(header) is None  # a header the aliases do not know
        assert HeaderMap(fields[name], (example,)).field_of(header) is not None
