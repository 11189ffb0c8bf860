"""One shape for everything wrong with the records, from YAML syntax to cross-record rules."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """A problem a clerk can act on: where it is and what was expected."""

    path: str
    line: int
    column: int
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        prefix = "警告：" if self.severity == WARNING else ""
        return f"{self.path}:{self.line}:{self.column}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class DocgenError(Exception):
    """An error whose message (in Chinese) is shown to the clerk as it is, without a traceback."""
