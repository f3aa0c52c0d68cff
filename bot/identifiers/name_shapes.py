"""Names told by the shape of the sentence around them, in any message (no other identifier needed): a pair of names
that rings, says or wants something ("Ifrah Warsame came in…", "fao duty GP - Ioana Munteanu-Ciobanu says…"), whose
relative or results are spoken of ("pham quoc trung's results", "delroy gayle's daughter"), a relative named after
the relation ("her husband gareth keeps phoning"), a subject line ("re: Hozan Berwari"), or someone saying who they
are ("I'm Blessing Owusu-Bonsu"). Each word must be uncommon (no common or function word, no organisation's word),
and the weaker shapes need a word from the name lists too. Weaker cues that count once a message is flagged anyway
are in `flagged`.
"""

from __future__ import annotations

import re

from bot.identifiers.flagged import CONTACT_VERB, FAMILY, RELATIONS, is_title
from bot.identifiers.name_lists import bare, function_words, is_common, is_listed, is_listed_given
from bot.identifiers.names import ORGANISATION_WORDS
from bot.identifiers.types import Finding

_CAPITAL = r"[A-Z][A-Za-z'\-]+"
_WORD = r"[A-Za-z][A-Za-z\-]+"
# a capitalised pair before a contact verb: "Rukhsana Chaudhry wants…", "Ifrah Warsame came in…"
_PAIR_DOES_RE = re.compile(rf"(?<![\w'\-])({_CAPITAL}) +({_CAPITAL})(?=,? +{CONTACT_VERB}\b)")
# two or three words in any case before "'s" and a relative or a record: "delroy gayle's daughter", "pham quoc trung's
# results"
_OWNER_RE = re.compile(rf"(?<![\w'\-])((?:{_WORD} +){{1,2}}{_WORD})['’]s +(?:{FAMILY}|(?i:results?|notes|records?|"
                       r"letters?|appointments?|account|app|proxy|details|medication|meds)\b)")
# a relation and a listed given name in any case: "her husband gareth", "their son kai"
_RELATIVE_RE = re.compile(rf"(?<![A-Za-z])(?i:her|his|their|the|pt'?s|patient'?s) +{RELATIONS} +({_WORD})(?![\w'\-])")
# a subject line naming someone: "re: Hozan Berwari", "FAO: Amira Haddad"
_SUBJECT_RE = re.compile(rf"(?:^|\n) *(?i:re|fao|ref|subject) *[:\-] *({_CAPITAL}) +({_CAPITAL})(?![\w'\-])")
# someone saying who they are: "I'm Blessing Owusu-Bonsu", "my name is Tariq Javed"
_SELF_NAMED_RE = re.compile(rf"(?<![A-Za-z])(?i:i'?m|i +am|my +name +is|my +name's) +({_CAPITAL}) +({_CAPITAL})(?![\w'\-])")


def names_by_shape(norm: str) -> list[Finding]:
    stop = function_words()

    def uncommon(word: str) -> bool:
        w = bare(word)
        return (len(w) >= 2 and w not in stop and not is_common(word) and w not in ORGANISATION_WORDS
                and not word.isupper() and not is_title(word))

    def listed(words) -> bool:
        return any(is_listed(bare(part)) for w in words for part in w.split("-") if part)

    out: list[Finding] = []
    for m in _PAIR_DOES_RE.finditer(norm):
        at_start = norm[:m.start()].strip(" -–:,") == "" or norm[max(0, m.start() - 2):m.start()].strip(" ") in ("", "-", "–")
        if all(uncommon(w) for w in m.groups()) and (listed(m.groups()) or at_start):
            out.append(Finding("name", m.start(1), m.end(2)))
    for m in _OWNER_RE.finditer(norm):
        words = m.group(1).split()
        if all(uncommon(w) for w in words) and listed(words):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _RELATIVE_RE.finditer(norm):
        if uncommon(m.group(1)) and is_listed_given(bare(m.group(1))):
            out.append(Finding("name", m.start(1), m.end(1)))
    for pattern in (_SUBJECT_RE, _SELF_NAMED_RE):
        for m in pattern.finditer(norm):
            first, second = m.groups()
            if uncommon(second) and (uncommon(first) or pattern is _SELF_NAMED_RE) and bare(first) not in stop:
                out.append(Finding("name", m.start(1), m.end(2)))
    return out
