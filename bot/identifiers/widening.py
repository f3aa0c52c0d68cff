"""Names found, widened by the words beside them once a message is flagged: the capitalised word right before or
after a name ("Dafydd [Pritchard]"), a particle and the word after it ("Siobhán [Ní Bhriain]"), the given name before a
quoted nickname and the surname after one ("Alasdair 'Sandy' MacLeod", "ahmed (mo) khan"), the words before a bracket that opens on a name or gives another name
("ZHANG Wei-Ling (goes by Vivian)"). Split from `flagged`, whose word tests (`can_be_name`, `is_title`) it uses.
"""

from __future__ import annotations

import bisect
import re

from bot.identifiers.flagged import ALIAS_CUES, can_be_name, is_title
from bot.identifiers.name_lists import NAME_ONLY_PARTICLES, WORD_PARTICLES, function_words
from bot.identifiers.types import Finding

# a particle inside a name: "Ciarán Ó Dubhghaill", "Siobhán Ní Bhriain", "Rhys ap Gwilym", "Anna van der Berg"
_PARTICLE = r"(?:O|Ni|Nic|Mac|Ui|ap|ab|ibn|bin|binti|van|von|der|den|de|da|di|del|della|al|el|la|le)"
_PARTICLE_AFTER_RE = re.compile(rf" +{_PARTICLE}(?: +{_PARTICLE})? +[A-Z][A-Za-z'\-]+")
_LOWER_PARTICLE = "|".join(NAME_ONLY_PARTICLES + WORD_PARTICLES)
_PARTICLE_AFTER_ANY_CASE_RE = re.compile(rf" +(?:{_LOWER_PARTICLE})(?: +(?:{_LOWER_PARTICLE}))? +[A-Za-z][A-Za-z'\-]+")
# two words before a comma and the name found, as in a list of patients
_LISTED_BEFORE_RE = re.compile(r"(?<![\w'\-])([A-Za-z][A-Za-z'\-]{1,}) +([A-Za-z][A-Za-z'\-]{1,}) *, *$")
_LIST_GOES_ON_RE = re.compile(r" *(?:,|and\b|&)")
# a nickname in quotes or brackets (or only its closing mark, the rest found) and the surname after it
_NICKNAME_TAIL_RE = re.compile(r"(?: +['‘\"“(][A-Za-z][A-Za-z\-]*)?['’\"”)] +([A-Za-z][A-Za-z\-]{1,})(?![A-Za-z'\-])")
_BEFORE_BRACKET_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Za-z][A-Za-z'\-]+)(?: +([A-Za-z][A-Za-z'\-]+))? *\( *(?:{ALIAS_CUES} +['\"‘“]?)?$")


def widened(norm: str, people: list[Finding], *, personal: bool = False) -> list[Finding]:
    """Each name found (in brackets below) with: the capitalised word right before or after it when no common or
    function word ("Dafydd [Pritchard]", "Alasdair '[Sandy MacLeod]"); a particle and the word after it ("Siobhán
    [Ní] Bhriain"); the words before a bracket it opens ("ZHANG Wei-Ling (goes by [Vivian])"). `personal` (beside a
    person's number or date of birth): the word before, and a lower-case particle's, in any case too ("pham [van duc]",
    "[rhiannon] ap gwilym")."""
    stop = function_words()
    out = []
    starts = [p.start for p in people]  # `people` is merged: sorted and not overlapping

    def found(a: int, b: int) -> bool:  # a word inside another name already found is not a widening
        i = bisect.bisect_right(starts, a) - 1
        return i >= 0 and b <= people[i].end

    for f in people:
        start, end = f.start, f.end
        before = re.search(r"(?<![A-Za-z'\-])([A-Z][A-Za-z'\-]+) ['\"‘“]?$" if not personal else r"(?<![A-Za-z'\-])("
                           r"[A-Za-z][A-Za-z'\-]{2,}) ['\"‘“]?$", norm[max(0, f.start - 40):f.start])
        if before and can_be_name(before.group(1), stop) and not before.group(1).isupper() and not is_title(before.group(1)) \
                and not re.match(r"(?i)i['’]", before.group(1)) \
                and not found(f.start - len(before.group(0)), f.start - 1):
            start = f.start - len(before.group(0))
        particle = _PARTICLE_AFTER_ANY_CASE_RE if personal else _PARTICLE_AFTER_RE
        after = particle.match(norm, f.end) or re.match(r" ([A-Z][a-z'\-]+(?:-[A-Z][a-z'\-]+)?)(?![A-Za-z'\-])", norm[f.end:])
        if after and not found(f.end + 1, f.end + after.end() - after.start()) and (
                after.re is particle or (can_be_name(after.group(1), stop) and not is_title(after.group(1)))):
            end = f.end + (after.end() - after.start() if after.re is particle else len(after.group(0)))
        bracket = _BEFORE_BRACKET_RE.search(norm[max(0, f.start - 60):f.start])  # "kasia nowakowska-lis ([katarzyna]…"
        if bracket and all(w is None or (can_be_name(w, stop) and not is_title(w)) for w in bracket.groups()):
            at = max(0, f.start - 60)
            out.append(Finding("name", at + bracket.start(1), at + bracket.end(bracket.lastindex)))
        # a pair of names in any case before it in a list that goes on: "ealasaid nicleoid, [Kwabena Asante] and …"
        listed = _LISTED_BEFORE_RE.search(norm[max(0, f.start - 60):f.start])
        if listed and _LIST_GOES_ON_RE.match(norm, f.end) and all(can_be_name(w, stop) and not is_title(w)
                                                                for w in listed.groups()):
            at = max(0, f.start - 60)
            out.append(Finding("name", at + listed.start(1), at + listed.end(2)))
        # the surname after a nickname in quotes or brackets: "ahmed [(mo) khan]", "alasdair 'sandy[' macleod]"
        tail = _NICKNAME_TAIL_RE.match(norm, end)
        if tail and can_be_name(tail.group(1), stop) and (personal or tail.group(1)[0].isupper()) \
                and not found(tail.start(1), tail.end(1)):
            end = tail.end()
        if (start, end) != (f.start, f.end):
            out.append(Finding("name", start, end))
    return out
