"""Redaction for everything the review store writes, whatever the caller already did.

`bot.identifiers.redact` removes every identifier it knows; a second, deliberately simple NHS-number pass
(10 digits in the usual groupings with a valid Modulus 11 check digit) runs after it as defence in depth,
so no valid NHS number is written to the database even if the detector's patterns change. Help-line numbers
the guidance quotes (`public_numbers`) are kept. NUL characters, which PostgreSQL rejects in text, are
replaced too.
"""

from __future__ import annotations

import re
from typing import Iterable

from bot import identifiers

NHS_PLACEHOLDER = "[NHS number removed]"
_NHS_CANDIDATE = re.compile(r"(?<![\d])(\d{3})[ \-.]?(\d{3})[ \-.]?(\d{4})(?![\d])")


def redact_nhs_numbers(text: str) -> str:
    def replace(match: re.Match) -> str:
        return NHS_PLACEHOLDER if identifiers.is_valid_nhs_number("".join(match.groups())) else match.group(0)

    return _NHS_CANDIDATE.sub(replace, text)


def redact(text: str | None, public_numbers: Iterable[str] = ()) -> str | None:
    """`text` with every identifier removed. `public_numbers` are the help-line numbers the guidance
    quotes (national-form digits, `Index.public_numbers`): kept, so the bot's own answers survive intact."""
    if text is None:
        return None
    return redact_nhs_numbers(identifiers.redact(text.replace("\x00", " "), public_numbers=public_numbers).text)
