"""What is staged for commit, as an archive to check: `docgen validate --staged`.

A pre-commit hook must judge the commit, not the working tree: a record fixed on disk but
not added, or deleted but still referenced in what is staged, would otherwise pass. The
index's records and schemas are copied to a temporary folder (git checkout-index), checked
there, and every problem is reported under the archive's real path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import tempfile

from docgen.records.archive import Archive, display
from docgen.records.problems import DocgenError, Problem


def _git(args: list[str], cwd: str, stdin: bytes | None = None) -> bytes:
    from docgen.gitprogram import required_git

    git = required_git(cwd, "--staged")
    try:
        # GIT_INDEX_FILE, set by git for `git commit -a` or `git commit FILE`, is inherited on purpose
        return subprocess.run([git, *args], cwd=cwd, input=stdin, capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise DocgenError("找不到 git 命令，--staged 需要 git") from None
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip()
        raise DocgenError(f"git {args[0]} 失败：{detail}") from None


_NOT_FOUND = re.compile(r"不存在（应在 (records/[^ ）]+?\.yaml) 中定义）")


@contextlib.contextmanager
def staged_archive(records_dir: str):
    """Yield (archive made of the index's records and schemas, function mapping its problems
    back to the real paths); the temporary copy is removed afterwards."""
    here = os.getcwd()
    try:
        top = _git(["rev-parse", "--show-toplevel"], here).decode("utf-8").strip()
    except DocgenError:
        raise DocgenError("--staged 只能在 git 仓库中使用（当前目录不在 git 仓库中）") from None
    root = os.path.dirname(os.path.abspath(records_dir))
    rel_root = os.path.relpath(os.path.realpath(root), os.path.realpath(top))
    if rel_root == os.pardir or rel_root.startswith(os.pardir + os.sep):
        raise DocgenError(f"记录目录 {records_dir} 不在当前 git 仓库中")
    rel_records = os.path.normpath(os.path.join(rel_root, os.path.basename(os.path.abspath(records_dir))))
    rel_schemas = os.path.normpath(os.path.join(rel_root, "schemas"))
    listed = _git(["ls-files", "-z", "--stage", "--", rel_records, rel_schemas], top)
    paths = list(dict.fromkeys(entry.split(b"\t", 1)[1] for entry in listed.split(b"\0")
                               if entry and not entry.startswith(b"160000 ")))  # a submodule: no content
    temp = tempfile.mkdtemp(prefix="docgen-staged-")
    try:
        if paths:
            _git(["checkout-index", "-z", "--stdin", f"--prefix={temp}{os.sep}"], top, b"\0".join(paths) + b"\0")
        copy_records = os.path.join(temp, rel_records)
        os.makedirs(copy_records, exist_ok=True)  # nothing staged under records/: an empty archive

        def real(problem: Problem) -> Problem:
            path = problem.path
            if os.path.abspath(path).startswith(temp + os.sep):
                path = display(os.path.join(top, os.path.abspath(path)[len(temp) + 1:]))
            message = problem.message.replace(temp + os.sep, "")
            named = _NOT_FOUND.search(message)  # a record the commit needs is in the folder, not yet added
            if named and os.path.isfile(os.path.join(root, *named.group(1).split("/"))):
                message += f"；工作目录中有 {named.group(1)}，但它还没有加入这次提交（请 git add 它）"
            return dataclasses.replace(problem, path=path, message=message)

        try:
            yield Archive(copy_records), real
        except DocgenError as exc:  # e.g. a staged schema file that cannot be read
            raise DocgenError(str(exc).replace(temp + os.sep, "")) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
