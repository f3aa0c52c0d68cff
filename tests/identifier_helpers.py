"""Shared helpers of the identifier tests (tests/test_identifiers*.py): valid test NHS numbers and small checks."""

from __future__ import annotations

import re

from bot.identifiers import find_identifiers, redact

VALID = ["9991860916", "9993909963", "9990308241"]
HELP_LINES = ["0808 2000 247", "0114 349 1666"]


def flip_last(n: str) -> str:
    return n[:9] + str((int(n[9]) + 1) % 10)


def with_check_digit(nine: str) -> str | None:
    total = sum(int(c) * w for c, w in zip(nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return None if check == 10 else nine + str(check)


def kinds_in(text: str, **kw) -> list[str]:
    return [f.kind for f in find_identifiers(text, **kw)]


def digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def assert_gone(original: str, redacted: str, secret: str) -> None:
    """`secret` (text or digits) appears in the redacted text in no spacing at all."""
    assert secret in original or digits(secret) in digits(original)
    if re.fullmatch(r"[\d\s/\-.]+", secret):
        assert digits(secret) not in digits(redacted)
    else:
        assert secret.lower() not in redacted.lower()


def assert_redacted_away(text: str, gone: list[str]) -> None:
    """Each of `gone` is absent from `text` once redacted, in any letter case."""
    redacted = redact(text).text
    for value in gone:
        assert value.lower() not in redacted.lower(), (value, redacted)
