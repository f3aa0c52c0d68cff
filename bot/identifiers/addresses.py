"""Street addresses: a house number and a street ("14 Acacia Avenue", "flat 2, 10 church rd", "3a Mill Lane").

A postcode is found on its own (`numbers.postcodes`); a street with its house number identifies a home as well,
and staff type it without one. The street must end in a word that names a street. In capitals ("Park Close",
"Mill Lane", "Acacia Ave") any of them counts; in lower case only those that are not also ordinary words ("road",
"avenue", "lane"...), so "2 practices close early" or "40 requests ave per day" stay prose, and never a "road map".
The words between the number and the street word must not be function words ("10 of the road", though "2 The
Crescent" is an address) nor what a number counts ("14 days", "2 weeks"); the number must not be a page's, a
version's or a step's ("version 2 release road map").
"""

from __future__ import annotations

import re

from bot.identifiers.name_lists import function_words, is_common
from bot.identifiers.types import Finding

# Street words that are never ordinary English in lower case, and those that are (only capitalised).
_STREET_WORDS = "road|rd|street|avenue|lane|crescent|cres|gardens|gdns|terrace|mews|grove|boulevard|parade|meadows|wharf"
_CAPITAL_STREET_WORDS = (
    "St|Ave|Close|Drive|Way|Court|Place|Hill|Walk|Row|Square|Park|View|Rise|Green|Vale|Croft|Gate|Meadow|Orchard"
    "|Fields|Quay|Yard|Chase|Dale|Wynd|Mount|Heights|Approach"
)

# Welsh streets put the street word first: "9 Heol y Felin", "2 Ffordd yr Eglwys", "12 Stryd Fawr", "4 Lon Isaf"
_WELSH_RE = re.compile(r"(?<![\w/\-])\d{1,4}[A-Za-z]?,? +(?i:heol|ffordd|stryd|lon|rhodfa|cilgant|teras)"
                       r"(?: +[A-Za-z][A-Za-z'\-]*){1,3}")
# A house number and one to three capitalised words right after a name and a comma: the street needs no street
# word there ("Mr Wojciech Kowalczyk, 27 Kingsway", "Anna Nowak, 5 The Crescent")
_AFTER_NAME_RE = re.compile(r"(?: *,)? *(\d{1,4}[A-Za-z]?,? +[A-Z][A-Za-z'\-]*(?: +[A-Z][A-Za-z'\-]*){0,2})")

def _address_re(street_words: str) -> re.Pattern:
    return re.compile(
        r"(?<![\w/\-])(?<![\w.]\.)(?:"
        r"(?i:flat|apartment|apt|studio)\.? *\d{1,4}[A-Za-z]?,? +(?:\d{1,4}[A-Za-z]?,? +)?"  # "Flat 2, 10 ..." / "Flat 5, ..."
        r"|(?i:no\.? *)?\d{1,4}[A-Za-z]?(?:-\d{1,4})?,? +"  # "14", "3a", "14-16", "No.14"
        r")"
        r"((?:[A-Za-z][A-Za-z'\-]* +){1,3})"
        rf"({street_words})\b\.?(?! *(?i:map|maps)\b)"
    )


# what follows a street written in lower case: the end, punctuation, a postcode or a capitalised town
_STREET_ENDS_RE = re.compile(r" *(?:$|[,.;:!?)\-–\n]| +[A-Z]| *[A-Za-z]{1,2}\d)")
_ADDRESS_RE = _address_re(rf"(?i:{_STREET_WORDS})|{_CAPITAL_STREET_WORDS}")
# in a message flagged already, the capitalised street words in lower case too: "flat 2b 88 brunswick st"
_ANY_CASE_ADDRESS_RE = _address_re(rf"(?i:{_STREET_WORDS}|{_CAPITAL_STREET_WORDS})")
# A number that is not a house number: "page 3", "version 2", "top 3", "step 4 ..."
_NOT_A_HOUSE = re.compile(
    r"\b(?:page|pages|version|v|release|top|section|step|steps|chapter|figure|table|point|points|option|options|"
    r"priority|phase|stage|level|year|years|week|weeks|day|days|no\.? *of)\.? *$", re.IGNORECASE)

# What a number counts that is never a street's first word ("14 days", "3 GP practices")
_COUNTED_NOUNS = frozenset(
    """
    day days week weeks month months year years hour hours minute minutes min mins working calendar
    patient patients practice practices gp gps code codes entry entries page pages step steps item items
    time times per percent people persons staff members letters results
    """.split()
)


def street_addresses(norm: str, *, flagged: bool = False) -> list[Finding]:
    """House numbers with their street, and a flat number before them; `flagged` (the message holds an identifier
    already): a street word in lower case that is also an ordinary word ("st", "close", "way") too."""
    stop = function_words()
    out = []
    for m in (_ANY_CASE_ADDRESS_RE if flagged else _ADDRESS_RE).finditer(norm):
        words = m.group(1).split()
        if flagged and not _ADDRESS_RE.match(norm, m.start()) and (  # a street word in lower case ("88 brunswick st"):
                words[-1].lower().endswith("s") or not _STREET_ENDS_RE.match(norm, m.end())):  # not "2 sons close by"
            continue
        if words[0].lower() == "the" and len(words) == 1:  # "2 The Crescent", "The Green"
            words = []
        if any(w.lower() in stop or w.lower() in _COUNTED_NOUNS for w in words) \
                or _NOT_A_HOUSE.search(norm, max(0, m.start() - 20), m.start()):
            continue
        out.append(Finding("address", m.start(), m.end()))
    for m in _WELSH_RE.finditer(norm):  # the street's words end before an English word ("… Eglwys last year")
        words = list(re.finditer(r"\S+", m.group()))
        keep = next((i for i in range(2, len(words)) if words[i].group().lower() not in ("y", "yr", "'r")
                     and (words[i].group().lower() in stop or is_common(words[i].group()))), len(words))
        if keep > 2:
            out.append(Finding("address", m.start(), m.start() + words[keep - 1].end()))
    return out


def after_names(norm: str, people: list[Finding]) -> list[Finding]:
    """A house number and its street right after a name found (`people`) and a comma, with or without a street word."""
    stop = function_words()
    out = []
    for f in people:
        m = _AFTER_NAME_RE.match(norm, f.end)
        if m and not any(w.lower() in stop or w.lower() in _COUNTED_NOUNS for w in m.group(1).split()[1:2]):
            out.append(Finding("address", m.start(1), m.end(1)))
    return out
