"""The `docgen` command's start: a `build` or `validate` in which nothing changed is answered here.

Replaying a run over an unchanged archive (`docgen.snapshot`) costs what stat'ing its files costs;
importing click, the record model and the renderers would cost more than that at a county's
scale. So this module reads the command line itself for the plain forms of those two commands,
with nothing but the standard library's lightest parts, and prints what the last run printed.
Anything else — another command, an option it does not know, a changed archive — goes to
`docgen.cli`, with the stamps taken here handed over (`snapshot.hand_over`): a full run does not
take them twice.
"""

from __future__ import annotations

import os
import sys
import time

# the options each command's replay understands, with click's defaults (docgen.cli); --plan repeats
_OPTIONS = {"validate": {"--records": "records", "--as-of": None},
            "build": {"--records": "records", "--out": "output", "--as-of": None, "--plan": None}}


def main() -> None:
    """Entry point (console script and `python -m docgen`)."""
    started = time.perf_counter()
    one_shot_collector()
    try:
        code = replayed(sys.argv[1:], started)
        if code is None:
            from docgen.cli import main as full  # (an interrupt while importing: said as any other)

            full()
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        leave(130)
    leave(code)


ONE_SHOT_THRESHOLD = 20_000  # objects made between two young collections in a one-shot command
_DEFAULT_THRESHOLD = None


def one_shot_collector(on: bool = True) -> None:
    """Young collections far less often (`on`), or as Python's default again (a watcher's long run).

    A run that ends after one command makes hundreds of thousands of long-lived objects (a county's
    inspections and their planned documents) and little cyclic garbage: at Python's default of a
    young collection every 700 objects, collecting took 0.08 s of an edit's rebuild, scanning the
    same survivors again and again. Every 20,000 it takes half as much; what a cycle holds is
    still freed, a little later."""
    import gc

    global _DEFAULT_THRESHOLD
    if _DEFAULT_THRESHOLD is None:
        _DEFAULT_THRESHOLD = gc.get_threshold()
    if on:
        gc.set_threshold(ONE_SHOT_THRESHOLD, *_DEFAULT_THRESHOLD[1:])
    else:
        gc.set_threshold(*_DEFAULT_THRESHOLD)


def leave(code: int):
    """Exit without tearing the interpreter down. Freeing a build's records object by object
    took longer than rendering a document; the operating system frees a process's memory at
    once. Everything docgen writes is complete (written atomically, files closed) by now."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (docgen status | head): nothing left to say
            pass
    os._exit(code)


def summary_of(problems, total: int) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return f"全部 {total} 条记录检查通过。"
    return f"检查了 {total} 条记录：{errors} 个错误，{warnings} 个警告。"


def note_line(note: str) -> str:
    """A build's note as printed (a file name in it shown, not obeyed, as in a problem)."""
    from docgen.records.textcheck import escaped

    note = escaped(note)
    return note if note.startswith("警告：") else f"提示：{note}"


def unchanged_line(count: int, seconds: float) -> str:
    return f"没有变化，未写入任何文件（{count} 份文书均为最新，{seconds:.2f} 秒）。"


def _options(args: list[str]) -> tuple[str, dict] | None:
    """(command, option values) when `args` is a plain `build` or `validate`, else None (click decides)."""
    if not args or args[0] not in _OPTIONS:
        return None
    command, values = args[0], dict(_OPTIONS[args[0]])
    plans: list[str] = []
    rest = iter(args[1:])
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name not in values:
            return None
        if not equals:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
        if name == "--plan":
            plans.append(value)
        else:
            values[name] = value
    values["--plan"] = plans
    return command, values


class _Shown(tuple):
    """A replayed problem as `docgen.records.problems.Problem` prints it (that module's dataclass
    import costs more than the rest of a replay's imports)."""

    def __str__(self) -> str:
        from docgen.records.textcheck import escaped  # (regular expressions only: a light import)

        path, line, column, message, severity = self
        return f"{escaped(path)}:{line}:{column}: {'警告：' if severity == 'warning' else ''}{escaped(message)}"

    @property
    def is_error(self) -> bool:
        return self[4] in ("error", "late")  # (`problems.ERROR`, `problems.LATE`)


def _shown(*fields) -> _Shown:
    return _Shown(fields)


class _Where:
    """The archive's folders as `docgen.records.archive.Archive` names them, without importing it."""

    def __init__(self, records_dir: str):
        from docgen.records.tree import own_or_packaged

        self.records_dir = os.path.abspath(records_dir)
        self.root = os.path.dirname(self.records_dir)
        self.schemas_dir = own_or_packaged(self.root, "schemas")
        self.templates_dir = own_or_packaged(self.root, "templates")


def replayed(args: list[str], started: float) -> int | None:
    """Print the last run again and return its exit code, when `args` asks for a run that would
    print the same; None when the command is left to `docgen.cli`."""
    import datetime as dt

    parsed = _options(args)
    if parsed is None:
        return None
    command, values = parsed
    records_dir, as_of = values["--records"], values["--as-of"]
    if not os.path.isdir(records_dir):
        return None  # click and the full run say what is wrong
    try:
        if command == "validate":
            as_of = dt.date.today() if as_of is None else dt.date.fromisoformat(as_of)
        else:
            as_of = dt.date.fromisoformat(as_of) if as_of else None  # as `docgen.cli.build` passes it
    except ValueError:
        return None
    out_dir = values.get("--out")
    if out_dir is not None and (not out_dir or os.path.exists(out_dir) and not os.path.isdir(out_dir)):
        return None
    try:
        where = _Where(records_dir)
    except Exception:  # an incomplete installation: said in the clerk's words by the full run
        return None
    try:
        return _replay(command, values, where, as_of, started)
    except Exception:  # whatever went wrong, the full run meets it again and says it in the clerk's words
        return None


def _replay(command: str, values: dict, where: _Where, as_of, started: float) -> int | None:
    import datetime as dt

    from docgen import snapshot

    if command == "validate":
        today = as_of
        found = snapshot.replay_check(where, today, _shown)
        if found is None:
            snapshot.hand_over(where.inputs)
            return None
        problems, count = found
        lines = [*map(str, problems), summary_of(problems, count)]
    else:
        options = snapshot.build_options(values["--plan"] or None, as_of)
        out_dir = os.path.abspath(values["--out"])
        found = snapshot.replay_build(where, dt.date.today(), where.templates_dir, out_dir, options, _shown)
        if found is None:
            snapshot.hand_over(where.inputs)
            return None
        problems, notes, count = found
        lines = [*map(str, problems), *map(note_line, notes), unchanged_line(count, time.perf_counter() - started)]
    text = "".join(line + "\n" for line in lines)
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return None  # let the full run meet the terminal as it always has
    try:
        sys.stdout.write(text)
    except (OSError, ValueError):
        pass
    return 1 if any(p.is_error for p in problems) else 0
