"""Defensive redaction for everything the review store writes.

The answering core redacts identifiers before a question reaches us; this runs `bot.guard.redact` again
(when that module exists) and then a small NHS-number check of its own, so no valid NHS number
(10 digits, spaced or not, Modulus 11 check digit) is ever written to the database even if the
guard changes or is missing.
"""

from __future__ import annotations

import importlib
import logging
import re

log = logging.getLogger(__name__)

NHS_PLACEHOLDER = "[NHS number removed]"
_NHS_CANDIDATE = re.compile(r"(?<![\d])(\d{3})[ \-.]?(\d{3})[ \-.]?(\d{4})(?![\d])")
_GUARD_MISSING = object()
_guard_redact = None


def nhs_number_valid(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def redact_nhs_numbers(text: str) -> str:
    def repl(match: re.Match) -> str:
        digits = "".join(match.groups())
        return NHS_PLACEHOLDER if nhs_number_valid(digits) else match.group(0)

    return _NHS_CANDIDATE.sub(repl, text)


def _load_guard():
    global _guard_redact
    if _guard_redact is None:
        try:
            guard = importlib.import_module("bot.guard")  # owned by the answering core; may not exist yet
        except ModuleNotFoundError as exc:
            if exc.name != "bot.guard":
                log.warning("bot.guard failed to import (%s); using the review store's own NHS-number check", exc)
            _guard_redact = _GUARD_MISSING
        except Exception as exc:  # a broken guard must not stop answers being recorded
            log.warning("bot.guard failed to import (%s); using the review store's own NHS-number check", exc)
            _guard_redact = _GUARD_MISSING
        else:
            _guard_redact = getattr(guard, "redact", None) or _GUARD_MISSING
    return None if _guard_redact is _GUARD_MISSING else _guard_redact


def redact(text: str | None) -> str | None:
    """`bot.guard.redact` if available (whatever shape it returns), then our own NHS-number check."""
    if text is None:
        return None
    out = text
    fn = _load_guard()
    if fn is not None:
        try:
            result = fn(text)
        except Exception as exc:  # never let a guard failure leak the raw text: our check still runs
            log.warning("bot.guard.redact failed: %s", type(exc).__name__)
            result = text
        if isinstance(result, str):
            out = result
        elif isinstance(result, tuple) and result and isinstance(result[0], str):
            out = result[0]
        else:
            for attr in ("text", "redacted", "redacted_text"):
                value = getattr(result, attr, None)
                if isinstance(value, str):
                    out = value
                    break
    return redact_nhs_numbers(out)
