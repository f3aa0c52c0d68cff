"""The specifics a text carries — dates, numbers, codes and quoted on-screen labels — and the month names
every reader of dates uses.

- `MONTH_NAMES`, `MONTH_PATTERN` (a month's name or its usual abbreviation, as a regular-expression fragment)
  and `month_number`: the one list of months (citations format dates with it, claims and ingest read dates
  with it, identifier detection finds dates of birth with it).
- `specifics(text)`: what an answer's sentence must share with the passage it cites (`bot.claims`), and what
  makes a sentence that repeats its neighbours' words still worth keeping (`bot.repeats`).

Standard library only: it must not import anything else from `bot` (`bot.identifiers`, which may import
nothing of the answering core, imports it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
# a month's name or abbreviation (compile with re.IGNORECASE; follow it with \b or more letters as needed)
MONTH_PATTERN = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
                 r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_MONTH_NUMBERS = {name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}


def month_number(name: str) -> int | None:
    """1-12 for a month's name or abbreviation ("Sept.", "november"); None for anything else."""
    return _MONTH_NUMBERS.get(name.strip().rstrip(".")[:3].lower())


CITATION = re.compile(r"\[(\d+)\]")
QUOTED = re.compile(r"\"([^\"\n]{2,120})\"|“([^”\n]{2,120})”|‘([^’\n]{2,120})’|`([^`\n]{1,120})`")
_MONTH = f"({MONTH_PATTERN})"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\.?\s+(\d{{4}})\b", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")  # UK order: day/month/year
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?(?![\w])")
_CODE = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,}\b")  # letters and digits: 2FA, GP2GP


@dataclass(frozen=True)
class Specifics:
    dates: frozenset[tuple[int, ...]]  # (year, month) or (year, month, day)
    numbers: frozenset[str]
    codes: frozenset[str]  # tokens mixing letters and digits, lower-cased
    labels: frozenset[str]  # quoted text, normalised

    def facts(self) -> frozenset[str]:
        """The numbers, codes and dates, a date as each of its leading parts ("2023", "2023-11", "2023-11-01"):
        a text that gives "November 2023" adds nothing to one that gives "1 November 2023"."""
        dates = {"-".join(f"{p:02d}" for p in d[:n]) for d in self.dates for n in range(1, len(d) + 1)}
        return frozenset(dates | self.numbers | self.codes)


def normal_label(text: str) -> str:
    """Quoted text as it is compared: lower case, punctuation as spaces, single spaces."""
    return " ".join(re.sub(r"[^\w\s/&+-]", " ", text.lower()).split())


def _numbers(text: str) -> set[str]:
    """The numbers written in `text`, without ordinal or plural endings and thousands commas ("1,000s" -> "1000")."""
    return {re.sub(r"(st|nd|rd|th|s)$", "", n).replace(",", "") for n in _NUMBER.findall(text)}


def bare_numbers(text: str) -> set[str]:
    """Every number in `text`, those inside dates included ("2023" in "1 November 2023"); no citation marks."""
    return _numbers(CITATION.sub(" ", text))


@lru_cache(maxsize=4096)
def specifics(text: str) -> Specifics:
    """The dates, numbers (outside dates), codes and quoted labels `text` carries; citation marks are none.
    Cached (the last 4,096 texts, in memory only): call it on redacted text only, as every caller does (questions
    reach it after bot.guard; passages and answers hold no patient details)."""
    text = CITATION.sub(" ", text)
    dates: set[tuple[int, ...]] = set()

    def take(match: re.Match, value: tuple[int, ...]) -> str:
        if 1 <= value[1] <= 12:
            dates.add(value)
        return " " * (match.end() - match.start())

    def named(match: re.Match, month: int, year: int, day: int | None = None) -> str:
        return take(match, (int(match.group(year)), month_number(match.group(month)))
                    + ((int(match.group(day)),) if day else ()))

    text = _DAY_MONTH_YEAR.sub(lambda m: named(m, 2, 3, 1), text)
    text = _MONTH_DAY_YEAR.sub(lambda m: named(m, 1, 3, 2), text)
    text = _MONTH_YEAR.sub(lambda m: named(m, 1, 2), text)
    text = _ISO_DATE.sub(lambda m: take(m, tuple(int(g) for g in m.groups() if g)), text)
    text = _SLASH_DATE.sub(lambda m: take(m, (int(m.group(3)), int(m.group(2)), int(m.group(1)))), text)
    labels = {normal_label(next(g for g in m.groups() if g)) for m in QUOTED.finditer(text)}
    numbers = _numbers(text)
    codes = {c.lower() for c in _CODE.findall(text) if not re.fullmatch(r"\d+(st|nd|rd|th|s)", c)}
    return Specifics(frozenset(dates), frozenset(numbers), frozenset(codes), frozenset(l for l in labels if l))
