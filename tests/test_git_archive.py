"""Issue 15: an archive's git never breaks, and its pre-commit hook always guards.

Real archives made with `docgen init`, real git, and the real pre-commit framework (offline:
the archive's hook is a local one that runs docgen through the `git docgen` alias)."""

import os
import subprocess
import sys

import pytest

from conftest import run_docgen

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C.UTF-8"}


def git(*args, cwd, check=True, env=None):
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, env={**os.environ, **GIT_ENV, **(env or {})})
    if check:
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result


def text_of(result) -> str:
    return result.stdout.decode("utf-8", "replace")


@pytest.fixture
def office(tmp_path):
    """An archive as a clerk makes it: init, git init, git-setup, a first build and commit."""
    root = tmp_path / "档案"
    assert run_docgen("init", str(root), cwd=tmp_path).returncode == 0
    git("init", "-q", cwd=root)
    setup = run_docgen("git-setup", cwd=root)
    assert setup.returncode == 0, setup.stderr
    assert run_docgen("build", cwd=root).returncode == 0
    git("add", "-A", cwd=root)
    git("commit", "-qm", "建立档案", cwd=root)
    return root


def test_git_setup_configures_review(office):
    def config(key):
        return text_of(git("config", "--get", key, cwd=office)).strip()

    assert config("core.quotepath") == "false"
    assert config("diff.docgen.cachetextconv") == "true"
    assert config("diff.docgen.textconv").endswith("-m docgen textconv --for-git")
    assert sys.executable in config("diff.docgen.textconv")
    assert config("diff.docgen.wordregex") == config("diff.wordregex") != ""
    assert config("alias.docgen").startswith("!") and sys.executable in config("alias.docgen")
    ignore = (office / ".gitignore").read_text(encoding="utf-8")
    assert "~$*" in ignore and ".~lock.*#" in ignore
    for name in ("output/example-plan/~$00_通知.docx", ".~lock.00_通知.docx#", "records/x.tmp"):
        assert git("check-ignore", "-q", name, cwd=office, check=False).returncode == 0, name
    assert git("check-ignore", "-q", "records/entities/example-org.yaml", cwd=office, check=False).returncode == 1


def test_code_in_the_archive_never_runs(office, tmp_path):
    """An archive from elsewhere may hold a `docgen` package of its own: git runs the textconv and
    the `git docgen` alias from the archive's top folder, and only the installed docgen may run."""
    marker = tmp_path / "ran"
    (office / "docgen").mkdir()
    (office / "docgen" / "__init__.py").write_text("", encoding="utf-8")
    (office / "docgen" / "__main__.py").write_text(f"open({str(marker)!r}, 'a').write('ran')\n", encoding="utf-8")
    entity = next((office / "records" / "entities").glob("*.yaml"))
    entity.write_text(entity.read_text(encoding="utf-8").replace("name: ", "name: 改", 1), encoding="utf-8")
    assert run_docgen("build", cwd=office).returncode == 0
    changed = git("diff", "--name-only", cwd=office).stdout.decode()
    assert ".docx" in changed
    diff = text_of(git("diff", cwd=office))
    assert "改" in diff  # the document's text, by the installed docgen's textconv
    assert git("docgen", "validate", cwd=office).returncode == 0
    assert not marker.exists()


def test_git_setup_never_writes_through_a_linked_gitattributes(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("clerk's own\n", encoding="utf-8")
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", cwd=repo)
    (repo / ".gitattributes").symlink_to(outside)
    result = run_docgen("git-setup", cwd=repo)
    assert result.returncode != 0 and "符号链接" in result.stderr and "Traceback" not in result.stderr
    assert outside.read_text(encoding="utf-8") == "clerk's own\n"


def test_lock_file_never_breaks_diff_or_log(office):
    lock = office / "output/example-plan/~$00_通知.docx"
    lock.write_bytes(b"\x07WPS lock owner\x00\x00not a zip")
    git("add", "-f", str(lock.relative_to(office)), cwd=office)  # ignored: only a forced add takes it
    entity = office / "records/entities/example-org.yaml"
    entity.write_text(entity.read_text(encoding="utf-8").replace("address: ××市××路1号", "address: ××市燕山大街100号"),
                      encoding="utf-8")
    assert run_docgen("build", cwd=office).returncode == 0
    git("add", "-A", cwd=office)
    git("commit", "-qm", "改住所", cwd=office)

    diff = git("diff", "HEAD~1", "HEAD", cwd=office)
    shown = text_of(diff)
    document = shown[shown.index("diff --git a/output/example-plan/04_实地核查记录表"):]
    document = document[:document.index("diff --git", 10)]
    assert "+" in document and "燕山大街100号" in document and "××市××路1号" in document  # old and new text
    assert "Binary files" not in shown
    assert "docgen 无法显示此文件的文字" in shown  # the lock file: one line, not an abort
    assert "git-blob" not in shown  # the note names no temporary copy git made of the lock file
    assert "diff --git a/output/example-plan/~$00_通知.docx" in shown  # core.quotePath false: no octal escapes
    assert "\\351" not in shown

    log = git("log", "-p", cwd=office)
    assert "燕山大街100号" in text_of(log) and "docgen 无法显示此文件的文字" in text_of(log)
    again = git("log", "-p", cwd=office)  # from git's textconv cache now: the same text
    assert again.stdout == log.stdout
    assert git("show-ref", cwd=office).stdout.count(b"refs/notes/textconv/docgen") == 1

    # --word-diff: only the changed characters are marked, not the whole Chinese line
    words = text_of(git("diff", "--word-diff=plain", "HEAD~1", "HEAD", "--", "records", cwd=office))
    assert "address: ××市[-××路1-]{+燕山大街100+}号" in words, words
    assert "[-address: ××市××路1号-]" not in words

    # the manifest's diff is made of short lines
    manifest = text_of(git("diff", "HEAD~1", "HEAD", "--", "output/.docgen-manifest.json", cwd=office))
    assert manifest and max(len(line) for line in manifest.splitlines()) < 200


def test_textconv_for_git_notes_unreadable_files(tmp_path):
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"PK\x03\x04 damaged")
    plain = run_docgen("textconv", str(broken), cwd=tmp_path)
    assert plain.returncode != 0  # asked by a person: an error
    for path in (broken, tmp_path / "~$x.xlsx", tmp_path / "notes.txt"):
        if not path.exists():
            path.write_bytes(b"\x00\x01")
        result = run_docgen("textconv", "--for-git", str(path), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("（docgen 无法显示此文件的文字：") and result.stdout.count("\n") == 1
        assert str(path) not in result.stdout and "此文件" in result.stdout[len("（docgen 无法显示此文件的文字："):]


def _delete_referenced_entity(office):
    git("rm", "-q", "records/entities/example-org.yaml", cwd=office)


def test_validate_staged_checks_the_index_not_the_working_tree(office):
    git("rm", "-q", "--cached", "records/entities/example-org.yaml", cwd=office)  # still on disk, deletion staged
    assert run_docgen("validate", cwd=office).returncode == 0
    staged = run_docgen("validate", "--staged", cwd=office)
    assert staged.returncode == 1
    assert "records/inspections/example-plan/example-org.yaml:" in staged.stdout  # the real path
    assert "检查对象“example-org”不存在" in staged.stdout and "docgen-staged" not in staged.stdout
    # the file is in the folder, only not in the commit: said so, not "define it"
    assert "工作目录中有 records/entities/example-org.yaml，但它还没有加入这次提交（请 git add 它）" in staged.stdout
    # and the other way round: a broken file on disk that is not staged does not block the commit
    git("reset", "-q", "HEAD", "--", "records/entities/example-org.yaml", cwd=office)
    plan = office / "records/plans/example-plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8") + "unknown_field: 1\n", encoding="utf-8")
    assert run_docgen("validate", cwd=office).returncode == 1
    assert run_docgen("validate", "--staged", cwd=office).returncode == 0


def test_a_step_done_late_does_not_block_the_commit(archive):
    """The hook lets a truthful late date in (it is a fact; blocking it would ask for a false date),
    says so, and still refuses any other error."""
    git("init", "-q", cwd=archive)
    path = archive / "records/inspections/qa-2023-30/org-031.yaml"
    text = path.read_text(encoding="utf-8")
    late = text.replace("    entered: '2023-11-13'\n", "    entered: '2023-11-20'\n", 1) \
        .replace("      date: '2023-11-13'\n", "      date: '2023-11-20'\n", 1)
    path.write_text(late, encoding="utf-8")
    git("add", "-A", cwd=archive)
    assert run_docgen("validate", cwd=archive).returncode == 1
    staged = run_docgen("validate", "--staged", cwd=archive)
    assert staged.returncode == 0 and "「录入抽查结果」逾期" in staged.stdout and "不阻止提交" in staged.stdout
    path.write_text(late.replace("plan: qa-2023-30\n", "plan: qa-2023-30\nextra_field: 1\n", 1), encoding="utf-8")
    git("add", "-A", cwd=archive)
    refused = run_docgen("validate", "--staged", cwd=archive)
    assert refused.returncode == 1 and "不阻止提交" not in refused.stdout


def _bare_path_env():
    """A GUI git client's environment: git on PATH, docgen not."""
    folders = [d for d in os.environ.get("PATH", "").split(os.pathsep)
               if d and not os.path.exists(os.path.join(d, "docgen"))]
    return {"PATH": os.pathsep.join(folders)}


def test_pre_commit_framework_blocks_delete_only_commit(office, tmp_path):
    pytest.importorskip("pre_commit")
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=office, capture_output=True,
                               text=True, env={**os.environ, **GIT_ENV, **env})
    assert installed.returncode == 0, installed.stderr
    env.update(_bare_path_env())
    assert subprocess.run(["sh", "-c", "command -v docgen"], env={**os.environ, **env},
                          capture_output=True).returncode != 0
    _delete_referenced_entity(office)
    blocked = git("commit", "-m", "删除主体", cwd=office, check=False, env=env)
    output = text_of(blocked) + blocked.stderr.decode("utf-8", "replace")
    assert blocked.returncode != 0, output
    assert "records/inspections/example-plan/example-org.yaml:" in output and "不存在" in output
    assert "not found" not in output
    assert text_of(git("log", "--format=%s", cwd=office)).split() == ["建立档案"]
    # with the reference removed too, the same hook lets the commit through
    git("rm", "-q", "-r", "records/inspections/example-plan", cwd=office)
    passed = git("commit", "-m", "删除主体及其抽查记录", cwd=office, check=False, env=env)
    assert passed.returncode == 0, text_of(passed) + passed.stderr.decode("utf-8", "replace")


def test_pre_commit_hook_says_what_to_do_where_git_setup_never_ran(office, tmp_path):
    """A colleague's clone has no `git docgen` until git-setup runs there; a reinstall leaves it
    pointing at a Python that is gone. Either way the hook blocks the commit and says so in Chinese."""
    pytest.importorskip("pre_commit")
    clone = tmp_path / "副本"
    git("clone", "-q", str(office), str(clone), cwd=tmp_path)
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=clone, capture_output=True,
                               text=True, env={**os.environ, **GIT_ENV, **env})
    assert installed.returncode == 0, installed.stderr
    env.update(_bare_path_env())
    entity = clone / "records/entities/example-org.yaml"
    entity.write_text(entity.read_text(encoding="utf-8") + "# 备注\n", encoding="utf-8")
    git("add", "-A", cwd=clone)

    def commit():
        result = git("commit", "-m", "改备注", cwd=clone, check=False, env=env)
        return result.returncode, text_of(result) + result.stderr.decode("utf-8", "replace")

    code, output = commit()
    assert code != 0 and "请在档案目录中运行一次 docgen git-setup" in output, output
    assert "is not a git command" not in output
    git("config", "alias.docgen", "!/nonexistent/python -m docgen", cwd=clone)
    code, output = commit()
    assert code != 0 and "git docgen 指向的 Python 已不存在" in output, output
    assert run_docgen("git-setup", cwd=clone).returncode == 0
    code, output = commit()
    assert code == 0, output


def test_readme_plain_hook_blocks_delete_only_commit(office):
    from conftest import ROOT

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if l.startswith("printf ") and ".git/hooks/pre-commit" in l)
    subprocess.run(["sh", "-c", line], cwd=office, check=True)
    _delete_referenced_entity(office)
    blocked = git("commit", "-m", "删除主体", cwd=office, check=False, env=_bare_path_env())
    assert blocked.returncode != 0
    assert "检查对象“example-org”不存在" in text_of(blocked) + blocked.stderr.decode("utf-8", "replace")


def test_docgen_repository_hook_manifest():
    """The hook other archives use from docgen's repository: valid for pre-commit, installs docgen
    itself (language: python), runs on every commit and checks what is staged."""
    pytest.importorskip("pre_commit")
    from pre_commit.clientlib import load_manifest

    from conftest import ROOT

    [hook] = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "docgen-validate" and hook["language"] == "python"
    assert hook["always_run"] is True and hook["pass_filenames"] is False
    assert hook["entry"] == "docgen validate --staged"


def test_a_git_program_the_archive_carries_never_runs(office, tmp_path):
    """Windows runs a bare "git" from the current folder (the archive's top) before PATH: docgen runs git by
    its absolute path from PATH, leaving out the archive's folders (here put first in PATH, as Windows
    would look there first), for the pre-commit check and git-setup."""
    marker = tmp_path / "ran"
    fake = office / "git"
    fake.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    env = {"PATH": f"{office}{os.pathsep}{os.environ['PATH']}"}
    staged = run_docgen("validate", "--staged", cwd=office, env=env)
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert run_docgen("git-setup", cwd=office, env=env).returncode == 0
    assert not marker.exists()
