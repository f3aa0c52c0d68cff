"""NHS numbers (Modulus 11, validated by python-stdnum), hospital and record numbers, UK phone numbers, email
addresses, postcodes.

Patterns run on the normalised text (`text.normalise`): every space is " ", every dash "-". Digit groups
may be split by up to three separators (" ", ".", "-", "/"), which covers line breaks, tabs, two spaces,
dots and " - ". Every regex is linear: repeats are bounded and each pattern is anchored by a look-behind or a word
boundary.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from stdnum import verhoeff
from stdnum.gb import nhs as stdnum_nhs

from bot.identifiers.text import digits
from bot.identifiers.types import Finding

_SEP = r"[ .\-/]{0,3}"

# Ten digits in any grouping (3-3-4, 3-7, 5-5...), never inside a longer digit run.
# A look-ahead, so candidates may overlap ("03/07/1958 999 526 0182": the year does not hide the number).
_TEN_DIGITS_RE = re.compile(rf"(?<!\d)(?<!\d[/.\-])(?=(\d(?:{_SEP}\d){{9}})(?!\d|[.\-/]\d))")

# An explicit cue right before a number: "NHS no", "NHS number", "NHS #", "nhs:", "NHS No.:" ...
_NHS_CUE_RE = re.compile(
    r"\bnhs *(?:(?:no|num|nbr|number|n°)\b\.?|#)? *(?:is|[:#=\-])? *$",
    re.IGNORECASE,
)


def is_valid_nhs_number(number: str) -> bool:
    """True when `number` is ten digits (spaces or dashes allowed) with a valid Modulus 11 check digit."""
    d = re.sub(r"[\s\-]", "", number or "")
    if len(d) != 10 or not d.isascii() or not d.isdigit():
        return False
    return bool(stdnum_nhs.is_valid(d))


# A reference of another kind named right before a number ("ref", "ticket no."): then only a valid check digit or
# an NHS cue makes it an NHS number
_OTHER_REFERENCE_RE = re.compile(
    r"\b(?:ref|reference|ticket|case|incident|job|order|invoice|call|log|page|pageid|id|code|snomed|concept"
    r"|smartcard|card|serial|uuid|account|acct|error|version)\b\.?"
    r"(?: *(?:no|number|#)\b\.?)? *(?:is|was)? *[:#=\-]? *$",
    re.IGNORECASE,
)

# How near another identifier (a name, a date of birth) a ten-digit number with a wrong check digit must stand to
# count: about one short line ("pt Daniel Fakename 999 888 7776 dob 03/03/1960"). Set by hand, like the names' 80.
NEAR_ANOTHER_CHARS = 40


def nhs_numbers(norm: str, public: set[str], beside: Iterable[Finding] = (), raw: str = "") -> list[Finding]:
    """Ten-digit numbers that are NHS numbers: a valid check digit; or, since staff mistype them and an invented
    number is still typed as one, a cue right before it ("NHS no"); another identifier within NEAR_ANOTHER_CHARS
    (`beside`: the names, dates of birth and contact details found); or the NHS's own 3-3-4 grouping with the same
    space, dash or dot between the groups in `raw` (the text before normalising: tabs and line breaks are a table's),
    unless another kind of reference is named right before it ("ref 482 910 3756"). Never a leading 0, nor what
    follows +44 or 0044: a phone number's, as is a public help line's."""
    beside = sorted((f.start, f.end) for f in beside)
    longest = max((e - s for s, e in beside), default=0)
    found = []
    for m in _TEN_DIGITS_RE.finditer(norm):
        d = digits(m.group(1))
        groups = [len(g) for g in re.findall(r"\d+", m.group(1))]
        if d in public or "0" + d in public or ("/" in m.group(1) and groups != [3, 3, 4]):
            continue  # slashes: only in the 3-3-4 grouping (never a date's)
        if (groups[0] == 3 and groups != [3, 3, 4] and d.startswith("111") and _BARE_NHS_RE.search(norm, 0, m.start())
                and not _near(beside, longest, m.start(1), m.end(1))):
            continue  # "NHS 111 - 0300 …": the service's name, then another number (3-3-4, or beside a name or a date
            # of birth, it is still taken for a patient's NHS number)
        if is_valid_nhs_number(d) or _NHS_CUE_RE.search(norm, max(0, m.start() - 30), m.start()):
            found.append(Finding("nhs_number", m.start(1), m.end(1)))
        elif not d.startswith("0") and not _PHONE_PREFIX_RE.search(norm, max(0, m.start() - 8), m.start()) and (
                _near(beside, longest, m.start(1), m.end(1))
                or ((_grouped_334(raw[m.start(1):m.end(1)] if raw else m.group(1)) or _run_alone(norm, m.start(1), d))
                    and not _OTHER_REFERENCE_RE.search(norm, max(0, m.start() - 30), m.start()))):
            found.append(Finding("nhs_number", m.start(1), m.end(1)))
    return found


# The first digits of NHS numbers as issued: England and Wales 400 000 000-499 999 999 and 600 000 000-
# 799 999 999, and the 999 test range staff paste from training material. A lone run of ten digits starting otherwise
# (a timestamp "1712345678", "1234567890", an error code) is not taken for a mistyped one.
_ISSUED_FIRST_DIGITS = "4679"


# Nine or eleven digits right after an NHS cue: a number typed a digit short or long ("nhs 999628194")
_NEAR_TEN_RE = re.compile(r"(?<!\d)(\d(?:[ .\-]{0,2}\d){8}|\d(?:[ .\-]{0,2}\d){10})(?![\d])")


# "nhs" right before a number with no "no"/"number" between: "NHS 111", "NHS: 111" for the service's name; for a
# number a digit short or long, only the bare word with nothing after it ("nhs 100 200 300", not "nhs: 555…")
_BARE_NHS_RE = re.compile(r"\bnhs *[:\-]? *$", re.IGNORECASE)
_ONLY_NHS_RE = re.compile(r"\bnhs *$", re.IGNORECASE)


def _cued(norm: str, start: int, d: str) -> bool:
    """For a number a digit short or long: an NHS cue right before the digits `d` starting at `start`, "NHS no",
    "nhs:" and the like before any such number, a bare "nhs" only before one that starts as an issued number does
    ("NHS 111 111 111" and "nhs 100 200 300" are no patient's)."""
    cue = _NHS_CUE_RE.search(norm, max(0, start - 30), start)
    return bool(cue) and (not _ONLY_NHS_RE.search(cue.group()) or d[0] in _ISSUED_FIRST_DIGITS)


def cued_near_misses(norm: str) -> list[Finding]:
    """A number of nine or eleven digits right after "NHS no" and the like: an NHS number mistyped by a digit."""
    return [Finding("nhs_number", m.start(1), m.end(1)) for m in _NEAR_TEN_RE.finditer(norm)
            if _cued(norm, m.start(), digits(m.group(1)))]


def _run_alone(norm: str, start: int, d: str) -> bool:
    """Ten digits typed together as a word of their own ("check 9991234567 for me"), starting as an issued NHS number
    does: what staff paste an NHS number as, even mistyped. Not inside a link or another code ("pageId=4342022162",
    "pages/4342546435/", "AB1234567890"), nor a SNOMED CT concept identifier (a Verhoeff check digit after partition
    00 or 10: "1156257007")."""
    end = start + 10
    if norm[start:end] != d or d[0] not in _ISSUED_FIRST_DIGITS:
        return False  # grouped (the 3-3-4 rule decides), or not an issued number's first digit
    if (start and (norm[start - 1].isalpha() or norm[start - 1] in "=/?&#:_@")) or \
            (end < len(norm) and (norm[end].isalpha() or norm[end] in "/_@")):
        return False
    return not (d[-3:-1] in ("00", "10") and verhoeff.is_valid(d))


# A hospital or clinical-system record number, always after its name ("hospital no", "hosp. no.", "MRN",
# "EMIS number", "EMIS pt no.", "S1 ref"): letters and digits with at least five digits, so "unit 4", "patient ID
# 2024 update" or a year stay.
_RECORD_NUMBER_RE = re.compile(
    r"\b(?:(?:hospital|hosp\b\.?|unit|case[ \-]?note|medical[ \-]record|patient|pt)"
    r" *(?:number\b|no\b\.?|num\b\.?|nbr\b\.?|#|id\b)"
    r"|(?:emis|systmone|s1|tpp|vision)(?: +(?:pt|patient))?"
    r" *(?:number\b|no\b\.?|num\b\.?|nbr\b\.?|#|id\b|(?P<ref>ref\b\.?))"
    r"|mrn(?![a-z])|crn(?![a-z])|pas +(?:number\b|no\b\.?|id\b))"
    r"(?: +(?:on|in|from) +(?:the|his|her|their|that) +[A-Za-z]+)? *(?:is|was|[:#=\-])? *"  # "… on the letter is"
    r"(?P<number>(?=(?:[A-Za-z\-/ ]{0,4}\d){5})(?!(?:19|20)\d\d[/\-]\d\d(?!\d))"
    r"(?:[A-Za-z]{1,4}[ \-/]?)?\d[\d \-/]{3,14}\d[A-Za-z]?)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def is_mobile(f: Finding, norm: str) -> bool:
    """A mobile number (a supplier's desk has a landline or a help line; a mobile is someone's)."""
    return f.kind == "phone" and national_phone_digits(f.text_in(norm)).startswith("07")


def record_numbers(norm: str, beside: Iterable[Finding] = (), births: Iterable[Finding] = ()) -> list[Finding]:
    """Hospital and clinical-system record numbers named as such ("hosp no RXH1234567", "MRN: 00123456"); a phone
    number after such a name ("TPP number: 0113 …") is left to `phones`, which keeps the guidance's help lines, a
    year or a financial year ("CRN 2023/24") is not one, and a system's "ref" counts only `beside` a name or a date
    of birth, and a number in capitals and digits with no name before it only beside a date of birth (`births`:
    "RXF0145221 | OKONJO, Chiamaka | 22.08.1990"; a colleague's ticket, "Dr Evans' ticket INC7654321", is none)."""
    spans = sorted((f.start, f.end) for f in beside)
    longest = max((e - s for s, e in spans), default=0)
    found = []
    for m in _RECORD_NUMBER_RE.finditer(norm):
        if _is_uk_phone(national_phone_digits(m.group("number"))):  # a phone number's: `phones` decides
            continue
        # "S1 ref" is also how a supplier's support call is numbered: a patient's only beside a name or birth date
        if m.group("ref") and not _near(spans, longest, m.start("number"), m.end("number")):
            continue
        found.append(Finding("record_number", m.start("number"), m.end("number")))
    birth_spans = sorted((f.start, f.end) for f in births)
    birth_longest = max((e - s for s, e in birth_spans), default=0)
    for m in _CODED_NUMBER_RE.finditer(norm):  # a system's own number pasted beside a date of birth
        if _near(birth_spans, birth_longest, m.start(), m.end()) and not any(f.start <= m.start() < f.end for f in found):
            found.append(Finding("record_number", m.start(), m.end()))
    return found


# Capital letters and six or more digits, as hospital and system numbers print (a practice's ODS code has five
# digits): counted only beside a date of birth
_CODED_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,4}\d{6,10}(?![A-Za-z0-9])")


_PHONE_PREFIX_RE = re.compile(r"(?:\+ ?44|\b0044|\b44)[ .\-]{0,3}(?:\(0\)[ .\-]{0,3})?$")
_GROUPED_334_RE = re.compile(r"\d{3}([ \u00a0\u2007\u2009\u202f]{1,2}|[.\-])\d{3}\1\d{4}")


def _grouped_334(span: str) -> bool:
    """Three, three and four digits with the same space (any width, one or two; never a tab or line break), dash or
    dot between them ("999 888 7776")."""
    return bool(_GROUPED_334_RE.fullmatch(span))


def _near(spans: list[tuple[int, int]], longest: int, start: int, end: int) -> bool:
    """Whether any of `spans` ((start, end), sorted; the longest `longest` characters) lies within
    NEAR_ANOTHER_CHARS of start..end: a bisection, so a message of thousands of names stays fast."""
    for i in range(bisect.bisect_left(spans, (start - NEAR_ANOTHER_CHARS - longest, -1)), len(spans)):
        s_start, s_end = spans[i]
        if s_start > end + NEAR_ANOTHER_CHARS:
            return False
        if s_end >= start - NEAR_ANOTHER_CHARS:
            return True
    return False


# --------------------------------------------------------------------------------------------------
# Phones

_PHONE_RE = re.compile(
    r"(?<![\d+])(?:"
    r"(?:\+ ?44|\b0044)[ .\-]{0,3}(?:\(0\)[ .\-]{0,3})?\d(?:[ .\-()]{0,3}\d){8,9}"  # +44 / 0044 forms
    r"|\(?0\d(?:[ .\-()]{0,3}\d){8,9}"  # national forms, 10 or 11 digits
    r")(?!\d)"
)


def national_phone_digits(s: str) -> str:
    """Digits of a UK phone number in national form (+44 20 ... -> 020...)."""
    d = digits(s)
    if d.startswith("0044"):
        d = d[4:]
    elif d.startswith("44") and len(d) >= 11:
        d = d[2:]
    else:
        return d
    return d if d.startswith("0") else "0" + d


def _is_uk_phone(national: str) -> bool:
    if not national.startswith("0"):
        return False
    # 10 or 11 digits after a 0 and a non-zero digit: people also type numbers a digit short
    return len(national) in (10, 11) and national[1] != "0"


def phone_numbers(text: str) -> set[str]:
    """The UK phone numbers a text quotes, as national-form digits (for a `public_numbers` allow-list)."""
    from bot.identifiers.text import normalise

    found = set()
    for match in _PHONE_RE.finditer(normalise(text)):
        national = national_phone_digits(match.group(0))
        if _is_uk_phone(national):
            found.add(national)
    return found


# Non-geographic ranges (Ofcom's numbering plan): 03 UK-wide numbers of public bodies and charities, 080 freephone,
# 084/087 service and 09 premium numbers, eleven digits (freephone also ten). Help lines and suppliers' desks use them
# and print them grouped ("0300 311 22 33", "0808 2000 247", the EMIS desk's 0345 …); a patient's own number is a
# landline (01, 02) or a mobile (07). Such a number still counts when typed run together (an NHS number with a 0 in
# front, "09434765919"), when the message says it is someone's ("her number is 0333 …", "mob 0330 …"), or after a
# health-number cue ("nhs 0943 476 5919", a Northern Irish "H&C" number).
_ORGANISATION_RANGES = ("03", "08", "09")
_SOMEONES_NUMBER_RE = re.compile(
    r"(?i:(?:\b(?:her|his|their|my|your|pt'?s|patient'?s|mum'?s|dad'?s|home|own|personal)\b[^\n\d]{0,12}"
    r"(?:number|no\b|mobile|mob\b|phone|tel\b|landline)|\b(?:mob|mobile|cell|call +back +on|ring +(?:her|him) +on)\b)"
    r"[^\n\d]{0,12}|\b(?:h ?& ?c|chi)(?: *(?:no\b\.?|num(?:ber)?|#))? *[:#\-]? *)$")  # and `_NHS_CUE_RE`


def _organisations_number(norm: str, m: re.Match, national: str) -> bool:
    """Whether the phone-like number `m` is an organisation's (above), not a person's."""
    ranged = national.startswith(_ORGANISATION_RANGES) and (len(national) == 11 or national.startswith("080"))
    grouped = any(not c.isdigit() and c != "+" for c in m.group().strip())
    before = max(0, m.start() - 30)
    return ranged and grouped and not (_SOMEONES_NUMBER_RE.search(norm, before, m.start())
                                       or _NHS_CUE_RE.search(norm, before, m.start()))


def phones(norm: str, public: set[str]) -> list[Finding]:
    """A patient's phone numbers: UK landlines and mobiles, and numbers in the organisations' ranges said to be
    someone's; not the help lines' and suppliers' numbers."""
    found = []
    for m in _PHONE_RE.finditer(norm):
        national = national_phone_digits(m.group())
        if _is_uk_phone(national) and not _organisations_number(norm, m, national) and national not in public \
                and digits(m.group()) not in public:
            found.append(Finding("phone", m.start(), m.end()))
    return found


def public_digit_set(public_numbers: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in public_numbers or ():
        d = digits(str(p))
        if d:
            out.add(d)
            out.add(national_phone_digits(str(p)))
    return out


# --------------------------------------------------------------------------------------------------
# Email, postcode

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64} ?(?:@|\(at\)|\[at\]) ?[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62})"
    r"(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
    r"|GIR(?= {0,3}0AA)"
    r")(?: {0,3}|-)\d[ABD-HJLNP-UW-Z]{2}(?![A-Za-z0-9])",
    re.IGNORECASE,
)


# a partial postcode told as such, down to its sector: "postcode BS7 9…" (a district alone, "our postcode is BS7",
# holds tens of thousands of people: not an identifier)
_TOLD_POSTCODE_RE = re.compile(
    r"(?<![A-Za-z])(?i:post ?code)(?: +(?i:is|was|starts|begins)(?: +(?i:with))?|(?: *[:\-]))? +"
    r"((?:[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)) {1,3}\d)(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def _postcode_case_ok(s: str) -> bool:
    """All upper or all lower case ("B1 2nd floor" is prose, "B1 2ND" / "b1 2nd" may be postcodes)."""
    letters = [c for c in s if c.isalpha()]
    return all(c.isupper() for c in letters) or all(c.islower() for c in letters)


# an NHS organisation's mailbox ("recordsaccess.brookfield@…nhs.uk", "…@nhs.net"): a practice's or a member of
# staff's, not a patient's contact details
_NHS_MAIL_RE = re.compile(r"(?:@|\.)nhs\.(?:uk|net)$", re.IGNORECASE)


def emails(norm: str) -> list[Finding]:
    return [Finding("email", m.start(), m.end()) for m in _EMAIL_RE.finditer(norm) if not _NHS_MAIL_RE.search(m.group())]


def nhs_mailboxes(norm: str) -> list[tuple[int, int]]:
    """The spans of NHS mailboxes, which `emails` leaves out: nothing inside one is a patient's name."""
    return [(m.start(), m.end()) for m in _EMAIL_RE.finditer(norm) if _NHS_MAIL_RE.search(m.group())]


_DOTTED_BEFORE_RE = re.compile(r"(?:\w[.@])$")  # a postcode-shaped piece of a dotted name or an email address
_DOTTED_AFTER_RE = re.compile(r"@|\.\w")


def postcodes(norm: str) -> list[Finding]:
    """Postcodes, never a piece of an email address or a dotted name ("requests.y02xx@…"); a full stop ending the
    sentence after one is no such piece. A partial one ("BS7 9") only when said to be a postcode."""
    full = [Finding("postcode", m.start(), m.end()) for m in _POSTCODE_RE.finditer(norm)
            if _postcode_case_ok(m.group()) and not _DOTTED_BEFORE_RE.search(norm, max(0, m.start() - 2), m.start())
            and not _DOTTED_AFTER_RE.match(norm, m.end())]
    told = [Finding("postcode", m.start(1), m.end(1)) for m in _TOLD_POSTCODE_RE.finditer(norm)
            if _postcode_case_ok(m.group(1)) and not any(f.start <= m.start(1) < f.end for f in full)]
    return full + told

