"""The git program docgen runs (the pre-commit check, git-setup, what git holds of a stale document): by
its absolute path from PATH, leaving out any folder of the archive and relative entries. Windows looks
for a bare "git" in the current folder — the archive's top folder, where an archive from elsewhere could
carry its own git.exe — before PATH."""

from __future__ import annotations

import os

from docgen.records.tree import leads_outside


def git_program(archive_root: str) -> str | None:
    """git's absolute path, or None when PATH holds none outside `archive_root`."""
    names = ["git.exe"] if os.name == "nt" else ["git"]
    for folder in os.get_exec_path():
        # (relative entries would be the current folder's; a folder of the archive may be another office's)
        if not folder or not os.path.isabs(folder) or not leads_outside(folder, archive_root):
            continue
        for name in names:
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return None


def required_git(archive_root: str, needed_by: str) -> str:
    """`git_program`, or the clerk's error naming the command that needs it."""
    git = git_program(archive_root)
    if git is None:
        from docgen.records.problems import DocgenError

        raise DocgenError(f"找不到 git 命令，{needed_by} 需要 git")
    return git
