"""Dates of birth in the forms people type: 22/11/1975, 22.11.75, 1975-11-22, 22 Nov 1975, 22nd of November
'75, November 22, 1975, eight run-together digits (22111975), and dates in words ("the fifth of May
nineteen ninety").

A date is a date of birth when a cue is right before it ("DOB", "born", "date of birth", "b."), when
the message holds another identifier of a person, or when its form is one guidance never uses: a
year in words, eight run-together digits, or a year before 2000 (the guidance on online access dates
from the 2000s on; a full date before that is somebody's birthday). Guidance dates ("from 31 October
2023", "01/04/2023") are left alone.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.identifiers.types import Finding
from bot.specifics import MONTH_PATTERN

GUIDANCE_ERA_STARTS = 2000  # full dates before this year are birth dates (no guidance date in knowledge/ is older)
SENTINEL_YEAR = 1900  # "01-Jan-1900" is the clinical systems' "from the start" date, not a birthday

_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORD_UNITS = "first second third fourth fifth sixth seventh eighth ninth".split()
_ORD_TEENS = "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()

_H = r"[ \-]"  # between number words
_UNIT = "|".join(_UNITS)
_DAY_WORD = (
    rf"(?:(?:twenty|thirty){_H}?(?:{'|'.join(_ORD_UNITS)})|twentieth|thirtieth|{'|'.join(_ORD_TEENS)}"
    rf"|{'|'.join(_ORD_UNITS)}|(?:twenty|thirty){_H}?(?:{_UNIT})|{'|'.join(_TEENS)}|{_UNIT})"
)
_TWO_DIGIT_WORD = rf"(?:(?:{'|'.join(_TENS)})(?:{_H}?(?:{_UNIT}))?|{'|'.join(_TEENS)}|(?:oh|o){_H}(?:{_UNIT}))"
_YEAR_WORD = (
    rf"(?:(?:nineteen|twenty){_H}(?:hundred|{_TWO_DIGIT_WORD})"
    rf"|two{_H}thousand(?:{_H}(?:and{_H})?(?:{_TWO_DIGIT_WORD}|{_UNIT}))?)"
)
_YEAR_NUM = r"(?:\d{4}|'?\d{2})"
_DAY_NUM = r"\d{1,2}(?:st|nd|rd|th)?"
_OF = r"(?: {1,3}of)?"

_NUM_DATE_RE = re.compile(r"(?<![\d/])(?<![\d/\-]-)(?<!\d\.)(\d{1,2}) ?([/.\-]) ?(\d{1,2}) ?\2 ?(\d{4}|\d{2})(?!\d|[/.\-]\d)")
_SPACED_DATE_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{1,2}) (\d{1,2}) (\d{4})(?!\d|[/.\-]\d)")
_ISO_DATE_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{4})([/.\-])(\d{1,2})\2(\d{1,2})(?!\d|[/.\-]\d)")
_EIGHT_DIGITS_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{2})(\d{2})(\d{4})(?![\d]|[/.\-]\d)")
_ISO_EIGHT_DIGITS_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{4})(\d{2})(\d{2})(?![\d]|[/.\-]\d)")  # "dob 19850714", only cued
# a month in roman numerals, as some clinicians write it: "2/xi/1958", "14.iii.61"
_ROMAN_MONTHS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii")
_ROMAN_DATE_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{1,2}) ?([/.\-]) ?((?i:x{0,1}i{1,3}|i?v|vi{1,3}|i?x|xi{1,2})) ?\2 ?(\d{4}|\d{2})(?!\d)")
_SIX_DIGITS_RE = re.compile(r"(?<![\d/\-])(?<!\d\.)(\d{2})(\d{2})(\d{2})(?![\d]|[/.\-]\d)")  # "dob 120673", only cued
_TEXT_DATE_RE = re.compile(
    rf"(?<![\dA-Za-z])(?:(?:the {{1,3}})?(?P<d1>{_DAY_NUM}|{_DAY_WORD}){_OF}[ \-]{{0,3}}{MONTH_PATTERN}(?![A-Za-z])\.?,?[ \-]{{0,3}}"
    rf"(?P<y1>{_YEAR_NUM}|{_YEAR_WORD})"
    rf"|{MONTH_PATTERN}\b\.?[ \-]{{1,3}}(?:the {{1,3}})?(?P<d2>{_DAY_NUM}|{_DAY_WORD}),? {{1,3}}(?P<y2>\d{{4}}|{_YEAR_WORD}))"
    rf"(?![\dA-Za-z])",
    re.IGNORECASE,
)
_DOB_CUE_RE = re.compile(
    r"(?:\bd\.? ?o\.? ?b\b\.?|\bdate +of +birth|\bbirth ?(?:date|day)|\bb-?day|\bborn|(?<![A-Za-z])b\.)"
    r" *(?:[:\-=]|is|was|on|of)? *(?:on +)?(?:the +)?$",
    re.IGNORECASE,
)


# A month and a year alone ("born april 82", "DOB: Apr-1982", "dob 11/84"): a date of birth only right after a
# person's birth cue ("dob", "date of birth", "born"; not "born in", said of a cohort: "children born in April 2012")
_MONTH_YEAR_RE = re.compile(rf"(?<![\dA-Za-z])(?:{MONTH_PATTERN}\b\.?,?[ \-]{{1,3}}(?:\d{{4}}|'?\d{{2}})"
                            r"|(?<![/.\-])(?:0?[1-9]|1[0-2])[/.\-](?:\d{4}|\d{2}))(?![\dA-Za-z]|[/.\-]\d)", re.IGNORECASE)
# A patient's coming birthday: "she turns 16 on 21/10", "[NHS number] turns 16 on 21/10/2025", "he turns 11 on the 3rd of
# March": said of "she", "he" or a patient, or in a message that holds another identifier; never a rule's example
# ("if a child turns 16 on 1st September") nor a practice's or a product's age ("Docman turns 10 on 14/09")
_BIRTHDAY_RE = re.compile(rf"\bturn(?:s|ing) +\d{{1,3}} +on +(?:the +)?(?P<date>(?P<d>\d{{1,2}})(?:[/.\-](?P<m>\d{{1,2}})"
                          rf"(?:[/.\-]\d{{2,4}})?|(?:st|nd|rd|th)? +(?:of +)?{MONTH_PATTERN}\b\.?(?: +\d{{4}})?))(?![/.\-]?\d)",
                          re.IGNORECASE)
_BIRTHDAY_SUBJECT_RE = re.compile(r"(?<![A-Za-z])(?i:she|he|pt|patient|(?:our|the) +(?:pt|patient))(?:'s| +is| +will)? *$")
_MONTH_YEAR_CUE_RE = re.compile(r"(?:\bd\.? ?o\.? ?b\b\.?|\bdate +of +birth|\bborn) *(?:[:\-=]|is|was)? *$", re.IGNORECASE)


_GUIDANCE_PREP_RE = re.compile(
    r"\b(?:since|from|on|by|until|till|before|after|in|dated|updated|published|effective|deadline|of)\b"
    r"[ ,:]*(?:the +)?$", re.IGNORECASE)


def _plausible(day: int, month: int, year: int | None = None) -> bool:
    if year is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            return False
        return True
    return 1 <= day <= 31 and 1 <= month <= 12


def _full_year(y: str) -> int:
    y = y.lstrip("'")
    n = int(y)
    if len(y) == 2:
        return 1900 + n if n > dt.date.today().year % 100 else 2000 + n
    return n


def dates_of_birth(norm: str, *, other_identifier: bool) -> list[Finding]:
    found: list[Finding] = []

    def cued(m: re.Match) -> bool:  # a cue ("DOB", "born") right before it
        return _DOB_CUE_RE.search(norm, max(0, m.start() - 30), m.start()) is not None

    def add(m: re.Match, strong: bool, year: int | None) -> None:
        old = year is not None and SENTINEL_YEAR < year < GUIDANCE_ERA_STARTS
        if cued(m) or strong or old or other_identifier:
            found.append(Finding("date_of_birth", m.start(), m.end()))

    for m in _NUM_DATE_RE.finditer(norm):
        a, b, y = int(m.group(1)), int(m.group(3)), _full_year(m.group(4))
        if _plausible(a, b, y) or _plausible(b, a, y):
            add(m, False, y)
    for m in _SPACED_DATE_RE.finditer(norm):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if (_plausible(a, b, y) or _plausible(b, a, y)) and 1900 <= y <= dt.date.today().year:
            add(m, False, y)
    for m in _ISO_DATE_RE.finditer(norm):
        y, a, b = int(m.group(1)), int(m.group(3)), int(m.group(4))
        if _plausible(b, a, y):
            add(m, False, y)
    for m in _EIGHT_DIGITS_RE.finditer(norm):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1900 <= y <= dt.date.today().year and (_plausible(d, mo, y) or _plausible(mo, d, y)):
            add(m, True, y)
    for m in _ISO_EIGHT_DIGITS_RE.finditer(norm):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if 1900 <= y <= dt.date.today().year and _plausible(d, mo, y) and cued(m):
            add(m, True, y)
    for m in _ROMAN_DATE_RE.finditer(norm):
        roman = m.group(3).lower()
        year = _full_year(m.group(4))
        if roman in _ROMAN_MONTHS and year <= dt.date.today().year and _plausible(int(m.group(1)), _ROMAN_MONTHS.index(roman) + 1, year):
            add(m, False, year)
    for m in _SIX_DIGITS_RE.finditer(norm):
        d, mo, y = int(m.group(1)), int(m.group(2)), _full_year(m.group(3))
        if _plausible(d, mo, y) and cued(m):
            add(m, True, y)
    for m in _TEXT_DATE_RE.finditer(norm):
        year = m.group("y1") or m.group("y2") or ""
        day = m.group("d1") or m.group("d2") or ""
        in_words = not year.lstrip("'").isdigit()
        numeric_year = _full_year(year) if year.lstrip("'").isdigit() else None
        if day[:1].isdigit() and not 1 <= int(re.match(r"\d+", day).group()) <= 31:
            continue
        # a written date is a birth date when cued, in words, old, or beside another identifier of a person
        # unless a preposition makes it a guidance date ("9991860916 since 31 October 2023")
        beside_person = other_identifier and not _GUIDANCE_PREP_RE.search(norm, max(0, m.start() - 20), m.start())
        if cued(m) or in_words or beside_person or (numeric_year is not None and SENTINEL_YEAR < numeric_year < GUIDANCE_ERA_STARTS):
            found.append(Finding("date_of_birth", m.start(), m.end()))
    for m in _BIRTHDAY_RE.finditer(norm):  # a patient's birthday, its year or not: "she turns 16 on 21/10"
        day, month = int(m.group("d")), int(m.group("m")) if m.group("m") else 1
        said_of_her = _BIRTHDAY_SUBJECT_RE.search(norm, max(0, m.start() - 20), m.start()) is not None
        if 1 <= day <= 31 and 1 <= month <= 12 and (said_of_her or other_identifier):
            found.append(Finding("date_of_birth", m.start("date"), m.end("date")))
    for m in _MONTH_YEAR_RE.finditer(norm):
        if _MONTH_YEAR_CUE_RE.search(norm, max(0, m.start() - 30), m.start()) is not None:
            found.append(Finding("date_of_birth", m.start(), m.end()))
    return found
