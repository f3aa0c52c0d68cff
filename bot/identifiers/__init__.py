"""Patient identifiers: the one detector and the one redaction every path in and out goes through.

Staff sometimes paste patient details into Slack. `find_identifiers` spots NHS numbers, dates of
birth, postcodes, phone numbers, email addresses and names; `redact` replaces every one of them with
a placeholder such as "[NHS number]" so the question can still be answered without the identifiers
ever being stored, logged, embedded or forwarded.

It runs on the RAW message (before Slack markup is removed) and normalises first (`text.normalise`:
every Unicode space, line break and tab, every dash, other scripts' digits; one character for one, so
offsets stay valid), then looks for each kind (`numbers`, `dates`, `names`).

`Finding` never carries the matched text: it holds only the kind and the offsets, so logging a finding
cannot leak an identifier. Use `Finding.text_in(source)` when the text is really needed.
"""

from __future__ import annotations

from typing import Iterable

from bot.identifiers import dates, names, numbers
from bot.identifiers.numbers import is_valid_nhs_number, phone_numbers
from bot.identifiers.text import normalise
from bot.identifiers.types import KINDS, PLACEHOLDERS, Finding, Redaction, merge

__all__ = [
    "KINDS",
    "PLACEHOLDERS",
    "Finding",
    "Redaction",
    "find_identifiers",
    "is_valid_nhs_number",
    "phone_numbers",
    "redact",
]


def find_identifiers(text: str, *, public_numbers: Iterable[str] = ()) -> list[Finding]:
    """Every patient identifier in `text`, sorted by position, overlapping ones merged.

    `public_numbers` are numbers quoted by the guidance (help lines...): compared on digits only,
    they never count as identifiers.
    """
    if not text:
        return []
    norm = normalise(text)
    public = numbers.public_digit_set(public_numbers)

    nhs = numbers.nhs_numbers(norm, public)
    found = nhs + numbers.phones(norm, public) + numbers.emails(norm) + numbers.postcodes(norm)
    people = names.titled_names(norm) + names.given_name_pairs(norm)
    found += people
    found += dates.dates_of_birth(norm, other_identifier=bool(nhs or people))
    if found:  # untitled capitalised pairs next to any identifier found so far
        people += names.adjacent_names(norm, [f for f in merge(found) if f.kind != "name"])
    found += people
    found += names.repeats(norm, merge(people))
    return merge(found)


def redact(text: str, *, public_numbers: Iterable[str] = ()) -> Redaction:
    """`text` with every identifier replaced by its placeholder, and the findings (original offsets)."""
    text = text or ""
    findings = find_identifiers(text, public_numbers=public_numbers)
    out = text
    for f in reversed(findings):  # from the end, so earlier offsets stay right
        out = out[: f.start] + PLACEHOLDERS[f.kind] + out[f.end :]
    return Redaction(text=out, findings=tuple(findings))
