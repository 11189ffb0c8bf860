import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from docgen.records.archive import Archive
from docgen.records.check import check_archive

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "records"


@pytest.fixture(autouse=True, scope="session")
def _user_cache(tmp_path_factory):
    """Compiled validators and templates go to a cache of this test session, not the user's own."""
    before = os.environ.get("DOCGEN_CACHE_DIR")
    os.environ["DOCGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    if before is None:
        del os.environ["DOCGEN_CACHE_DIR"]
    else:
        os.environ["DOCGEN_CACHE_DIR"] = before


@pytest.fixture
def archive(tmp_path) -> pathlib.Path:
    """A copy of the example archive's records (templates and schemas come from the package)."""
    shutil.copytree(EXAMPLE, tmp_path / "records")
    return tmp_path


def build_example(tmp_path_factory, name: str) -> pathlib.Path:
    """A fresh copy of the example archive, built once with the command a clerk runs; returns its root."""
    root = tmp_path_factory.mktemp(name)
    shutil.copytree(EXAMPLE, root / "records")
    result = run_docgen("build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def run_docgen(*args, cwd, env=None, input=None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-P", "-m", "docgen", *args], cwd=cwd, capture_output=True, text=True,
                          env=full_env, input=input, timeout=600)


def check(root: pathlib.Path):
    return check_archive(Archive(str(root / "records")))


def edit(path: pathlib.Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: pathlib.Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def problems_for(checked, path: pathlib.Path):
    return [p for p in checked.problems if os.path.abspath(p.path) == str(path.resolve())]


def inspection_files(root: pathlib.Path, plan="qa-2023-30"):
    return sorted((root / "records" / "inspections" / plan).glob("*.yaml"))


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


def build_killed_before_manifest(monkeypatch, archive: pathlib.Path, *args, **kwargs) -> None:
    """`build.build` of `archive` (its records, into output/) killed just as it writes its manifest:
    documents (and PDFs) written, the journal left, the manifest not."""
    from docgen.documents import build as build_module
    from docgen.records.archive import Archive

    real = build_module.write_atomic

    def dying(path, data, **kw):
        if os.path.basename(path) == build_module.MANIFEST:
            raise Killed()
        real(path, data, **kw)

    monkeypatch.setattr(build_module, "write_atomic", dying)
    try:
        build_module.build(Archive(str(archive / "records")), str(archive / "output"), *args, **kwargs)
    except Killed:
        pass
    else:
        raise AssertionError("the build was not killed")
    finally:
        monkeypatch.setattr(build_module, "write_atomic", real)
