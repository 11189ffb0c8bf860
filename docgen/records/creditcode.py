"""统一社会信用代码 check digit, GB 32100-2015."""

from __future__ import annotations

import operator

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {c: n for n, c in enumerate(ALPHABET)}
_CHARS = frozenset(ALPHABET)


def check_char(first17: str) -> str:
    """The 18th character for the first 17 characters of a code."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when `code` has 18 characters from the alphabet and a correct check digit (asked of
    every entity of a county's roster when it is first read: kept to a few steps in C)."""
    if len(code) != 18 or not _CHARS.issuperset(code):
        return False
    total = sum(map(operator.mul, map(VALUE.__getitem__, code[:17]), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31] == code[17]


def complete(first17: str) -> str:
    """A full code from its first 17 characters (used to make example data)."""
    return first17 + check_char(first17)
