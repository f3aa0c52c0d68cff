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

from bot.identifiers.name_lists import function_words
from bot.identifiers.types import Finding

# Street words that are never ordinary English in lower case, and those that are (only capitalised).
_STREET_WORDS = "road|rd|street|avenue|lane|crescent|cres|gardens|gdns|terrace|mews|grove|boulevard|parade|meadows|wharf"
_CAPITAL_STREET_WORDS = (
    "St|Ave|Close|Drive|Way|Court|Place|Hill|Walk|Row|Square|Park|View|Rise|Green|Vale|Croft|Gate|Meadow|Orchard"
    "|Fields|Quay|Yard|Chase|Dale|Wynd|Mount|Heights|Approach"
)

_ADDRESS_RE = re.compile(
    r"(?<![\w/\-])(?<![\w.]\.)(?:"
    r"(?i:flat|apartment|apt|studio)\.? *\d{1,4}[A-Za-z]?,? +(?:\d{1,4}[A-Za-z]?,? +)?"  # "Flat 2, 10 ..." / "Flat 5, ..."
    r"|(?i:no\.? *)?\d{1,4}[A-Za-z]?(?:-\d{1,4})?,? +"  # "14", "3a", "14-16", "No.14"
    r")"
    r"((?:[A-Za-z][A-Za-z'\-]* +){1,3})"
    rf"((?i:{_STREET_WORDS})|{_CAPITAL_STREET_WORDS})\b\.?(?! *(?i:map|maps)\b)"
)
# A number that is not a house number: "page 3", "version 2", "top 3", "step 4 ..."
_NOT_A_HOUSE = re.compile(
    r"\b(?:page|pages|version|v|release|top|section|step|steps|chapter|figure|table|point|points|option|options|"
    r"priority|phase|stage|level|year|years|week|weeks|day|days|no\.? *of)\.? *$", re.IGNORECASE)

# What a number counts that is never a street's first word ("14 days", "3 GP practices")
_COUNTED_NOUNS = frozenset(
    """
    day days week weeks month months year years hour hours minute minutes min mins working calendar
    patient patients practice practices gp gps code codes entry entries page pages step steps item items
    time times per percent
    """.split()
)


def street_addresses(norm: str) -> list[Finding]:
    """House numbers with their street, and a flat number before them."""
    stop = function_words()
    out = []
    for m in _ADDRESS_RE.finditer(norm):
        words = m.group(1).split()
        if words[0].lower() == "the" and len(words) == 1:  # "2 The Crescent", "The Green"
            words = []
        if any(w.lower() in stop or w.lower() in _COUNTED_NOUNS for w in words) \
                or _NOT_A_HOUSE.search(norm, max(0, m.start() - 20), m.start()):
            continue
        out.append(Finding("address", m.start(), m.end()))
    return out
