"""Names told by the shape of the sentence around them, in any message (no other identifier needed): a pair of names
that rings, says or wants something ("Ifrah Warsame came in…", "Bogdan Ionescu says…"), whose relative, results or
worker are spoken of ("pham quoc trung's results", "delroy gayle's daughter"), a relative named after the relation
("her husband gareth keeps phoning", "her dad Chidi Okonkwo"), a subject line ("re: Hozan Berwari"), or someone
saying who they are ("I'm Blessing Owusu-Bonsu"). Each word must be able to be a name (`flagged.can_be_name`: no common, function,
role's or organisation's word), and every shape but a person's own verb at the start of a line ("Ifrah Warsame came
in…") needs words from the name lists: places and products say and want things too ("Surrey Heartlands said"). Weaker
cues that count once a message is flagged anyway are in `flagged`.
"""

from __future__ import annotations

import re

from bot.identifiers.flagged import CONTACT_VERB, FAMILY, RELATIONS, name_word
from bot.identifiers.name_lists import (bare, function_words, is_common, is_listed, is_listed_given, is_listed_surname,
                                        name_lists)
from bot.identifiers.names import RECORD_TERMS
from bot.identifiers.types import Finding

_CAPITAL = r"[A-Z][A-Za-z'\-]+"
_SURNAME = r"(?:[a-z]{1,3}-)?[A-Z][A-Za-z'\-]+"  # "Warsame", "al-Shammari"
_WORD = r"[A-Za-z][A-Za-z\-]+"
# a capitalised pair before a contact verb: "Ifrah Warsame came in…", "Bogdan Ionescu says…"; a verb only a person does
# ("came", "rang") at the start of a line, any of them after a listed given name and a surname
_PAIR_DOES_RE = re.compile(rf"(?<![\w'\-])({_CAPITAL}) +({_SURNAME})(?=,? +({CONTACT_VERB})\b)")
_PERSON_VERBS = frozenset("rang rings ringing phoned called calling came comes emailed texted messaged".split())
# two or three words in any case before "'s" and a relative or a record: "delroy gayle's daughter", "pham quoc trung's
# results"
_OWNER_RE = re.compile(rf"(?<![\w'\-])((?:{_WORD} +){{1,2}}{_WORD})['’]s +(?:{FAMILY}|(?i:results?|notes|records?|"
                       r"letters?|appointments?|account|(?:nhs +)?app|proxy|details|medication|meds|bloods|referral|"
                       r"consultations?|scans?|prescriptions?|partner|carer)\b|(?P<helper>(?i:(?:social|support|key) +worker|"
                       r"keyworker|advocate|solicitor|interpreter|care +coordinator|cpn|idva)\b))")
# a relation and a given name: "her husband gareth" (in lower case, from the British list), "her husband Dave"; never
# before a word that starts a phrase ("the partner made the decision", "her mum fed back")
_RELATIVE_RE = re.compile(rf"(?<![A-Za-z])(?i:her|his|their|the|pt'?s|patient'?s) +{RELATIONS} +({_WORD})(?![\w'\-])"
                          r"(?! +(?i:the|a|an|it|back|up|off|on|out|for|to|that|this|him|her|them)\b)")
# a relation and a full name, capitalised: "her dad Chidi Okonkwo", "their son (Tomasz Wrobel)"
_RELATIVE_PAIR_RE = re.compile(rf"(?<![A-Za-z])(?i:her|his|their|pt'?s|patient'?s) +{RELATIONS} *[(,:]? *({_CAPITAL}) +"
                               rf"({_CAPITAL})(?![\w'\-])")
# a subject line naming someone: "re: Hozan Berwari", "FAO: Amira Haddad"
_SUBJECT_RE = re.compile(rf"(?:^|\n) *(?i:re|fao|attn|ref|subject) *[:\-]? *({_CAPITAL}) +({_CAPITAL})(?![\w'\-])")
# a person spoken with or about, capitalised: "spoke to Hamish MacTaggart", "a query regarding Jae-won Hwang", "had Min-jun
# Nguyen on the phone"; not before a third capitalised word ("regarding Kent Medway ICB") nor a body's or a condition's
# noun ("spoke with Sandy Lane surgery", "question about Stevens Johnson syndrome")
_SPOKEN_WITH_RE = re.compile(rf"(?<![A-Za-z])(?:(?i:spoke|speaking|spoken|talked|talking|chatted|chatting) +(?i:to|with)"
                             r"|(?i:regarding|(?:query|question|enquiry|email|message|letter) +(?:about|re|from))"
                             rf"|(?i:had|got)(?= +(?:{_WORD} +){{2}}(?i:on +the +phone)\b))"
                             rf" +({_CAPITAL}) +({_CAPITAL})(?![\w'\-])(?! +[A-Z])"
                             r"(?! +(?i:practice|surgery|medical|health|centre|clinic|hospital|hospice|trust|pcn|icb|lmc|team"
                             r"|group|road|street|support|syndrome|disease|palsy|score|scale|criteria)\b)")
# a given name with a hyphen, as Korean and some French names are written: "Jae-won", "Min-jun", "Jean-luc"
_HYPHENED_GIVEN_RE = re.compile(r"[A-Z][a-z]+-[a-z]+")
# a surname by its shape: "MacLeish", "McAllister", "NicDhomhnaill", "O'Hare", "Fitzwilliam"
_SURNAME_SHAPE_RE = re.compile(r"(?:Ma?c|Nic|O'|Fitz)[A-Z][a-z]+")
# someone saying who they are: "I'm Blessing Owusu-Bonsu", "my name is Tariq Javed"
_SELF_NAMED_RE = re.compile(rf"(?<![A-Za-z])(?i:i'?m|i +am|my +name +is|my +name's) +({_CAPITAL}) +({_CAPITAL})(?![\w'\-])")


def names_by_shape(norm: str) -> list[Finding]:
    stop = function_words()
    british_given, british_surnames = name_lists()[:2]

    def name_like(word: str) -> bool:
        return name_word(word, stop)

    def listed(words) -> bool:
        return any(is_listed(part) for w in words for part in w.split("-") if part)

    def not_a_term(first: str, second: str) -> bool:  # "Lloyd George"
        return (bare(first), bare(second)) not in RECORD_TERMS

    def surname(word: str) -> bool:  # listed, or a surname by its shape ("MacLeish")
        return is_listed_surname(word) or bool(_SURNAME_SHAPE_RE.fullmatch(word))

    out: list[Finding] = []
    for m in _PAIR_DOES_RE.finditer(norm):
        first, second, verb = m.groups()
        at_line_start = norm[norm.rfind("\n", 0, m.start()) + 1:m.start()].strip() == ""
        parts = second.split("-")  # a listed given name and a surname, listed or double-barrelled ("Munteanu-Ciobanu")
        told = ((verb.lower() in _PERSON_VERBS and at_line_start) or (is_listed_given(first) and (
            any(surname(p) for p in parts) or (len(parts) == 2 and all(p[:1].isupper() for p in parts))))
            # surname first ("Zhao Yuting asked"), never a British name ("Pope Francis said")
            or (is_listed_surname(first) and is_listed_given(second)
                and bare(first) not in british_given and bare(first) not in british_surnames))
        if name_like(first) and name_like(second) and not_a_term(first, second) and told:
            out.append(Finding("name", m.start(1), m.end(2)))
    for m in _OWNER_RE.finditer(norm):
        words = m.group(1).split()
        # "Kyriakos Papadopoulos's referral"; a helper's only after a listed given name ("St Mungo's key worker",
        # "Slater Gordon's solicitor" are organisations')
        capitalised = all(w[0].isupper() for w in words)
        told = is_listed_given(words[0]) if m.group("helper") else listed(words) or capitalised
        if all(name_like(w) for w in words) and told and not_a_term(*words[:2]):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _RELATIVE_RE.finditer(norm):
        word = m.group(1)
        if name_like(word) and (bare(word) in british_given or (word[0].isupper() and is_listed_given(word))):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _RELATIVE_PAIR_RE.finditer(norm):  # a listed word in it: "her son Tavistock Portman clinic" is none
        first, second = m.groups()
        if name_like(first) and name_like(second) and not_a_term(first, second) \
                and (is_listed_given(first) or is_listed_surname(second)):
            out.append(Finding("name", m.start(1), m.end(2)))
    # a listed or shaped surname after a listed given name or one with a hyphen ("regarding Milton Keynes", "regarding Fort
    # William" are places); in lower case none ("spoke to tom earlier", "spoke to john radcliffe" (a hospital))
    for m in _SPOKEN_WITH_RE.finditer(norm):
        first, second = m.groups()
        if name_like(first) and name_like(second) and not_a_term(first, second) and not is_common(second) \
                and surname(second) and (is_listed_given(first) or _HYPHENED_GIVEN_RE.fullmatch(first)):
            out.append(Finding("name", m.start(1), m.end(2)))
    for pattern in (_SUBJECT_RE, _SELF_NAMED_RE):
        for m in pattern.finditer(norm):
            first, second = m.groups()
            if name_like(second) and (name_like(first) or pattern is _SELF_NAMED_RE) and bare(first) not in stop \
                    and not_a_term(first, second) and listed((first, second)):
                out.append(Finding("name", m.start(1), m.end(2)))
    return out
