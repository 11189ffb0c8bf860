"""Issue 16: validate at a county's scale keeps no positions in memory, and says the same with its
record cache, without it, and without any cache at all (positions are found again when asked)."""

import shutil

from conftest import check, edit, line_of, problems_for, run_docgen
from docgen.records.loader import NOWHERE


def _spoil(root):
    """Problems of every origin, each at its own place: a schema type error and a check digit in plain
    entity files (read without positions), a duplicate id (a cross-record rule), dates out of order
    in an inspection (a nested file), and the example's overdue warnings."""
    entities = root / "records/entities"
    phone = entities / "org-003.yaml"
    text = phone.read_text(encoding="utf-8")
    import re

    phone.write_text(re.sub(r"phone: '(\d+)'", r"phone: \1", text), encoding="utf-8")
    digit = entities / "org-007.yaml"
    code = next(line.split(": ", 1)[1] for line in digit.read_text(encoding="utf-8").splitlines()
                if line.startswith("credit_code:"))
    edit(digit, code, code[:17] + ("0" if code[17] != "0" else "1"))
    copy = entities / "org-006-copy.yaml"
    copy.write_text((entities / "org-006.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    inspection = sorted((root / "records/inspections/qa-2023-30").glob("*.yaml"))[0]
    text = inspection.read_text(encoding="utf-8")
    visit = re.search(r"visit: '([0-9-]+)'", text).group(1)
    edit(inspection, f"visit: '{visit}'", "visit: '2023-01-02'")
    return phone, digit, copy, inspection


def _validate(root, env=None) -> str:
    shutil.rmtree(root / ".docgen" / "runs", ignore_errors=True)  # no replay: a run of its own
    result = run_docgen("validate", "--as-of", "2023-11-20", cwd=root, env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stdout + result.stderr
    return result.stdout


def test_validate_says_the_same_with_and_without_its_cache(archive):
    phone, digit, copy, inspection = _spoil(archive)
    fresh = _validate(archive)
    assert (archive / ".docgen" / "records").is_dir()
    cached = _validate(archive)
    shutil.rmtree(archive / ".docgen")
    without_key = _validate(archive, {"DOCGEN_CACHE_DIR": ""})  # no key: no cache read or written
    assert not (archive / ".docgen").exists()
    again = _validate(archive)
    assert fresh == cached == without_key == again
    lines = fresh.splitlines()
    where = {
        phone: (line_of(phone, "phone: "), 10, "请加引号"),
        digit: (line_of(digit, "credit_code:"), 14, "校验位不正确"),
        copy: (line_of(copy, "id:"), 5, "不一致"),
        inspection: (line_of(inspection, "visit: '2023-01-02'"), None, "早于"),
    }
    for path, (line, column, text) in where.items():
        shown = f"records/{path.relative_to(archive / 'records').as_posix()}:{line}:"
        found = [entry for entry in lines if entry.startswith(shown) and text in entry]
        assert found, (shown, text, fresh)
        if column is not None:
            assert found[0].startswith(f"{shown}{column}: "), found[0]
    assert "警告" in fresh  # the example's overdue steps, positioned by the deadline rules


def test_loaded_records_keep_no_positions_yet_find_them(archive):
    _phone, digit, copy, _inspection = _spoil(archive)
    for run in ("parsed", "from the cache"):
        checked = check(archive)
        reported = {p.path for p in checked.problems}  # a rule asked these for positions: found again
        quiet = [r for r in checked.records if r.path not in reported]
        assert len(quiet) > len(checked.records) - 20 and all(
            r.doc.marks is NOWHERE and r.doc.key_marks is NOWHERE and r.doc.raw is NOWHERE for r in quiet), run
        record = next(r for r in checked.records if r.abspath == str(digit))
        assert record.problem(("credit_code",), "x").line == line_of(digit, "credit_code:"), run
        assert record.problem(("contact", "phone"), "x").line == line_of(digit, "phone:"), run
        [duplicate] = [p for p in problems_for(checked, copy) if "不一致" in p.message]
        assert duplicate.line == line_of(copy, "id:"), run
