"""Names and addresses read from weaker cues, only in a message that is flagged already.

A message holding a person's number, date of birth, address or name is warned about and redacted whatever else it
holds, so there a word taken for a name by mistake costs one word of the question, while a name missed is echoed
back. Beside those anchors these cues count too:

- a relative's or partner's name right after the relation: "his wife Li Na", "her son, Tom";
- a nickname or alias beside a name found: "Bex (Rebecca Thwaite)", "Dave Hutchinson (david on the system)",
  "known as Bex", "aka Bex", "goes by Bex";
- a family called by its surname in the plural: "(the Dunmores)";
- a capitalised pair whose second word is a listed surname, though the first is an ordinary word: "Will Summers";
- initials: "pt initials K.M."; and, beside a person's number or date of birth, initials before a word in any
  case ("a.k. bhatt 03-04-1982");
- beside a person's number or date of birth, a listed given name in any case ("re the proxy for jamie", "(ruth
  o'brien-kelly)") and the word after it when that is no function or common word;
- the house and street before a postcode on its line: "9 Kingsway, Bradford BD2 4QR", "'The Old Forge', Low Street,
  Kirkby Malzeard HG4 3RP".

Measured on `eval/pii-held-out-4-questions.jsonl` (written for this, its leaks read before the rules) and checked
against every control and evaluation question for false alarms (`eval/identifier_detector.py`).
"""

from __future__ import annotations

import bisect
import re

from bot.identifiers.name_lists import (bare, function_words, is_common, is_listed, is_listed_given,
                                        is_listed_surname)
from bot.identifiers.names import ORGANISATION_WORDS, RECORD_TERMS, WORD_RE
from bot.identifiers.types import Finding
from bot.specifics import MONTH_PATTERN

_CAP_WORD = r"[A-Z][A-Za-z'\-]*"
_ANY_WORD = r"[A-Za-z][A-Za-z'\-]*"
RELATIONS = (r"(?i:wife|husband|partner|son|daughter|mum|mom|mother|dad|father|brother|sister|grandson|"
              r"granddaughter|grandma|grandad|grandpa|nan|nana|gran|carer|boyfriend|girlfriend|fianc[ée]e?|ex|stepdad|"
              r"stepmum|stepson|stepdaughter|niece|nephew|aunt|auntie|uncle|cousin|child|baby|twin)")
_RELATION_RE = re.compile(rf"(?<![A-Za-z]){RELATIONS}(?:'s)? *[,:(\-]? *['\"‘“]?({_CAP_WORD}(?: +{_CAP_WORD})?)")
# beside a person's number or date of birth, in any case and after "is": "mum is sunita desai"
_RELATION_ANY_CASE_RE = re.compile(rf"(?<![A-Za-z]){RELATIONS}(?: +(?i:is|was)| *,)? +({_ANY_WORD}(?: +{_ANY_WORD})?)")
# a name so called: "her name was Eirlys", "patient called Nkechi", "first name Folake", "aka Bex", "née Holloway"
ALIAS_CUES = (rf"(?<![A-Za-z])(?i:known +as|aka|a\.k\.a\.?|goes +by|prefers|calls +(?:him|her)self|n[ée]e|formerly"
               rf"|(?:his|her|their|pt'?s|patient'?s|{RELATIONS}'s) +name(?: +(?:is|was)|'s)? *:?"
               rf"|(?:patient|pt|lady|man|woman|gentleman|girl|boy|child|baby|son|daughter) +(?:called|named)"
               rf"|(?:is|was) +(?:called|named)|first +name|forename|given +name)")
_ALIAS_RE = re.compile(rf"{ALIAS_CUES} +['\"‘“]?({_CAP_WORD})")
_ALIAS_ANY_CASE_RE = re.compile(rf"{ALIAS_CUES} +['\"‘“]?({_ANY_WORD})")  # beside a person's number: "goes by fadumo"
# a name right before "'s" and a relation, or the relation in brackets: "Nusrat Begum's husband", "Okoro's mum",
# a signature's "Dafydd Pritchard (son)" (counts in any message)
FAMILY = (r"(?i:wife|husband|son|daughter|mum|mom|mother|dad|father|brother|sister|grandson|granddaughter|grandma|"
           r"grandad|nan|gran|boyfriend|girlfriend|stepdad|stepmum|niece|nephew|aunt|auntie|uncle|cousin)")
_BEFORE_RELATION_RE = re.compile(rf"(?<![A-Za-z'\-])({_CAP_WORD}(?: +{_CAP_WORD})?)(?:'s +{FAMILY}\b(?!'?s? +(?i:team|service|"
                                 rf"services|lead|meeting|clinic|apps?|group|unit|worker|policy|line|charity)\b)"
                                 rf"| *\( *(?:{FAMILY}|(?i:pt|patient)) *\))")
# any case: a name right before "'s" and a relation in a flagged message ("maisie's mum")
_POSSESSIVE_FAMILY_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Za-z][A-Za-z'\-]+)'s +{FAMILY}\b(?!'?s? +(?i:team|service|"
                                   rf"services|lead|meeting|clinic|apps?|group|unit|worker|policy|line|charity)\b)")
# a relation with a name in brackets ("her husband (huw price)"), and a patient's name right after "pt"/"patient" in
# capitals ("pt Senthilkumar Rajendran wants…"): in any message
_RELATION_BRACKET_RE = re.compile(rf"(?<![A-Za-z]){RELATIONS} *\( *({_ANY_WORD})(?: +({_ANY_WORD}))? *\)")
_PATIENT_CAPITALS_RE = re.compile(rf"(?<![A-Za-z])(?i:pt|patient)\b(?: *[:\-])? +({_CAP_WORD})(?: +({_CAP_WORD}))?")
# a name said by or of whoever it is: "its abdi", "this is Marta", "my name is …", "patient is …", "it's for …"
_SELF_RE = re.compile(r"(?<![A-Za-z])(?i:it'?s|this +is|i'?m|my +name +is|(?:patient|pt) +is"
                      r"|(?:call|phone +call|message|msg|email|e-mail|text|letter|voicemail) +from|spoke +(?:to|with)"
                      r")(?i: +for)? +([A-Za-z][A-Za-z'\-]+)(?: +([A-Za-z][A-Za-z'\-]+))?")
# ... and "she's" before a listed given name, or before a word and a surname: "says she's sunita baptiste-lloyd" (not
# "she's Gillick competent")
_SHE_IS_RE = re.compile(r"(?<![A-Za-z])(?i:she|he)['’]?s +([A-Za-z][A-Za-z'\-]+)(?: +([A-Za-z][A-Za-z'\-]+))?")
# a name with a nickname or another name in brackets: "gosia (małgorzata) kamińska", "abdi (abdiwali hersi)"
_BRACKETED_RE = re.compile(r"(?<![A-Za-z'\-])([A-Za-z][A-Za-z'\-]+) *\( *([A-Za-z][A-Za-z'\-]+(?: +[A-Za-z][A-Za-z'\-]+)?)"
                           r" *\)(?: +([A-Za-z][A-Za-z'\-]+))?")
# a run of capitalised words none of them ordinary: "Faadumo Cilmi Hirsi"
_CAPITAL_RUN_RE = re.compile(r"(?<![A-Za-z'\-])[A-Z][a-z'\-]+(?: +[A-Z][a-z'\-]+)+(?![A-Za-z'\-])")
# what a run of capitalised words naming a role or a body ends in ("Caldicott Guardian", "Redmoor Health")
_ROLE_WORDS = frozenset("""guardian officer lead manager director nurse doctor partner registrar pharmacist practitioner
    administrator receptionist coordinator clinician consultant surgeon midwife visitor worker team service services
    board trust council network alliance federation committee foundation charity""".split()) | ORGANISATION_WORDS
# a pair before a contact verb or an age: "kemi adeyemi-clarke rang", "(lucja wróbel, 71y)"
CONTACT_VERB = r"(?i:rang|rings|ringing|phoned|called|calling|came|comes|emailed|texted|messaged|says|said|keeps|wants|asked|asking)"
_PAIR_BEFORE_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Za-z][A-Za-z'\-]+) +([A-Za-z][A-Za-z'\-]+)(?=,? +{CONTACT_VERB}\b"
                             r"|, *\d{1,3} *(?i:y|yo|yrs?|years?)\b)")
# beside a person's number or date of birth, one capitalised word before a contact verb: "Zarghona came in with…"
_ONE_BEFORE_VERB_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Z][a-z'\-]+) +(?={CONTACT_VERB}\b)")
# a listed given name and a listed surname together in lower case ("spoke to mohammed farah"), where the capitalised
# rules do not look (they know "Rose Lane" for a place), in any message; or a surname a list holds after any uncommon
# word when what follows is said of a person, a contact verb or "'s" and a relation ("delroy mckenzie came in",
# "rahima begum's husband"). The pairs overlap: "to rahima", then "rahima begum".
PERSON_AFTER_RE = re.compile(rf"(?:'s +{FAMILY}\b|,? +{CONTACT_VERB}\b)")
# a name with a nickname in brackets or quotes between its parts: "Margaret (Peggy) Hollingworth", "Alasdair 'Sandy' MacLeod"
_NICKNAME_BETWEEN_RE = re.compile(r"(?<![A-Za-z'\-])([A-Z][a-z'\-]+) +(?:\(([A-Z][a-z'\-]+)\)|['‘\"“]([A-Z][a-z\-]+)['’\"”])"
                                  r" +([A-Z][A-Za-z'\-]+)(?![A-Za-z'\-])")
# a message opening on a name written surname first, as a banner prints it: "mcallister, fiona - wants…"
_SURNAME_FIRST_OPENING_RE = re.compile(r"^\s*([A-Za-z][A-Za-z'\-]+), +([A-Za-z][A-Za-z'\-]+) *(?=[-–:]|\n)")
# two words on a line of their own (or between slashes), the second a surname a list holds: "/ morag mcintyre /"
_PAIR_ALONE_RE = re.compile(r"(?:^|[\n/|]) *([A-Za-z][a-z'\-]+) +([A-Za-z][a-z\-]+) *(?=[\n/|]|$)")
_LOWER_PAIR_RE = re.compile(r"(?<![A-Za-z'\-])(?=([a-z][a-z'\-]+) +([a-z][a-z\-]+)(?:(?='s\b)|(?![A-Za-z'\-])))")
# a flat and its building: "flat 22 Cotterell Tower", "Flat 12 Beckett House" (counts in any message)
_FLAT_RE = re.compile(r"(?<![A-Za-z])(?i:flat|apartment|apt)\.? *\d{1,4}[A-Za-z]?,? +(?:[A-Z][A-Za-z'\-]+ +){1,2}"
                      r"(?:Tower|House|Court|Lodge|Point|Heights|Mansions|Buildings|Block|Hall|View|Apartments|Place"
                      r"|Gardens|Walk|Row|Mews|Square|Wharf|Quay|Chambers)\b")
# a year of birth: "born 1953", "b. 1962", "yob 1970", an age and the year in brackets ("67yo (1957)")
_BIRTH_YEAR_RE = re.compile(r"(?:(?<![A-Za-z])(?i:born|b\.|yob|year +of +birth) *:? *"
                            r"|\b\d{1,3} *(?i:yo|y/o|yrs?|years?(?: +old)?|y)\b,? *\( *(?:b\.? *)?)((?:19|20)\d\d)\b")
_FAMILY_PLURAL_RE = re.compile(r"(?<![A-Za-z])(?i:the) +([A-Z][a-z'\-]+s)(?![A-Za-z])")
_PAIR_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Z][a-z'\-]+) +([A-Z][a-z'\-]+)(?![A-Za-z'\-])(?! +[A-Z])")
_INITIALS_CUE_RE = re.compile(r"(?<![A-Za-z])(?i:initials) *[:=\-]? *((?:[A-Za-z]\. *){1,3}[A-Za-z]?\.?|[A-Z]{2,3})(?![A-Za-z])")
_INITIALS_WORD_RE = re.compile(r"(?<![A-Za-z.])((?:[A-Za-z]\. *){1,3})([A-Za-z][A-Za-z'\-]+)")
_NOT_INITIALS = frozenset({"e.g.", "i.e.", "n.b.", "p.s.", "a.m.", "p.m.", "e.g", "i.e"})
# the segments of an address before a postcode on its line, each one to four words ("9 Kingsway", "'The Old Forge'")
_SEGMENT = r"(?<![A-Za-z0-9'\-])(?:\d{1,4}[A-Za-z]? +)?['\"‘“]?[A-Z][A-Za-z'\-]*(?: +[A-Z][A-Za-z'\-]*){0,3}['\"’”]?"
_BEFORE_POSTCODE_RE = re.compile(rf"((?:{_SEGMENT} *, *){{0,3}}{_SEGMENT}),? *$")


def can_be_name(word: str, stop: frozenset) -> bool:
    """A word that can be a name here: not a function word, a common English word or a role's or a body's word
    ("guardian", "trust"), at least two letters."""
    lower = bare(word)
    return len(lower) >= 2 and lower not in stop and lower not in _ROLE_WORDS and not is_common(word) \
        and not _NOT_A_NAME_RE.fullmatch(lower)


# a relation, the patient, or a month (in the lists of given names: "April", "June") is never a name here
_NOT_A_NAME_RE = re.compile(rf"{RELATIONS}(?:'?s)?|pt'?s?|patient'?s?|{MONTH_PATTERN}", re.I)


def is_title(word: str) -> bool:
    return bare(word) in {"mr", "mrs", "ms", "mx", "dr", "miss", "master", "prof", "sir", "dame", "rev"}


def names_when_flagged(norm: str, people: list[Finding], *, personal: bool) -> list[Finding]:
    """The names the cues above find in a flagged message (`people`: the names found already; `personal`: the
    message holds a person's number or date of birth, which lets the any-case rules run)."""
    stop = function_words()
    out: list[Finding] = []
    for m in _RELATION_RE.finditer(norm):
        words = [w for w in WORD_RE.finditer(norm, m.start(1), m.end(1))]
        keep = []
        for w in words:  # "his wife Li Na who…": the capitalised words up to a function or common one
            if not can_be_name(w.group(), stop) and not (keep and len(bare(w.group())) >= 2 and is_listed(w.group())):
                break
            keep.append(w)
        if keep:
            out.append(Finding("name", keep[0].start(), keep[-1].end()))
    for m in (_ALIAS_ANY_CASE_RE if personal else _ALIAS_RE).finditer(norm):
        if can_be_name(m.group(1), stop) and len(bare(m.group(1))) >= 2:
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _FAMILY_PLURAL_RE.finditer(norm):  # "the Dunmores", never "the Partners" or "the Notes"
        if can_be_name(m.group(1), stop) and can_be_name(m.group(1)[:-1], stop):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _PAIR_RE.finditer(norm):  # "Will Summers": a listed surname after any capitalised word
        first, second = bare(m.group(1)), bare(m.group(2))
        if second not in stop and not is_title(first) and is_listed_surname(second) \
                and (is_listed_given(first) or is_common(m.group(1))):  # "Will" is a function word and a given name
            out.append(Finding("name", m.start(), m.end()))
    out += _aliases_beside(norm, people, stop)
    for m in _INITIALS_CUE_RE.finditer(norm):
        out.append(Finding("name", m.start(1), m.end(1)))
    out += _told_names(norm, stop, personal)
    for m in _POSSESSIVE_FAMILY_RE.finditer(norm):  # "maisie's mum"
        if can_be_name(m.group(1), stop) and len(bare(m.group(1))) >= 3 and not m.group(1).isupper():
            out.append(Finding("name", m.start(1), m.end(1)))
    if personal:
        out += [Finding("name", m.start(1), m.end(1)) for m in _ONE_BEFORE_VERB_RE.finditer(norm)
                if can_be_name(m.group(1), stop) and len(m.group(1)) >= 3]
        out += _any_case(norm, stop)
    for m in _RELATION_ANY_CASE_RE.finditer(norm):  # "their son piotr", "wife hodan farah"; beside a number, any pair
        words = list(WORD_RE.finditer(norm, m.start(1), m.end(1)))
        pair = len(words) == 2 and all(can_be_name(w.group(), stop) and len(w.group()) > 2 for w in words) \
            and (personal or is_listed_surname(words[1].group()))
        first = words[0].group()
        if (is_listed_given(first) or pair) and can_be_name(first, stop) and len(first) > 2:
            end = words[-1].end() if len(words) > 1 and can_be_name(words[-1].group(), stop) else words[0].end()
            out.append(Finding("name", words[0].start(), end))
    return out


def _told_names(norm: str, stop: frozenset, personal: bool) -> list[Finding]:
    """Names said as such ("its abdi", "she's sunita baptiste-lloyd"), with a name in brackets ("gosia (małgorzata)
    kamińska"), in a run of capitalised words none of them ordinary, or a pair before a contact verb or an age."""
    def plain(word: str | None, shaped: bool = False) -> bool:  # an uncommon word, not an acronym; in lower case
        # a listed name, or any beside a person's number or date of birth, or where the shape says name (`shaped`:
        # brackets around a second name, a pair before "rang" or an age)
        return word is not None and can_be_name(word, stop) and len(bare(word)) >= 3 and not word.isupper() \
            and (word[0].isupper() or personal or shaped or is_listed(word))

    out = []
    for m in _SELF_RE.finditer(norm):
        if plain(m.group(1)):
            out.append(Finding("name", m.start(1), m.end(2) if plain(m.group(2)) else m.end(1)))
    for m in _SHE_IS_RE.finditer(norm):
        parts = bare(m.group(2) or "").split("-")  # a surname, double-barrelled perhaps: one part listed, none common
        if plain(m.group(1)) and (is_listed_given(m.group(1)) or (plain(m.group(2)) and any(
                is_listed_surname(p) for p in parts) and not any(is_common(p) for p in parts))):
            out.append(Finding("name", m.start(1), m.end(2) if plain(m.group(2)) else m.end(1)))
    for m in _BRACKETED_RE.finditer(norm):  # each part its own finding: the brackets stay in the question
        inner = m.group(2).split()
        if plain(m.group(1), True) and all(plain(w, True) for w in inner):
            out += [Finding("name", m.start(g), m.end(g)) for g in (1, 2, 3) if g < 3 or plain(m.group(3), True)]
    for m in _CAPITAL_RUN_RE.finditer(norm):
        if all(_plain_capital(w, stop) for w in m.group().split()):  # each word capitalised: `plain` less titles
            out.append(Finding("name", m.start(), m.end()))
    for m in _PAIR_BEFORE_RE.finditer(norm):
        if plain(m.group(1), True) and plain(m.group(2), True):
            out.append(Finding("name", m.start(1), m.end(2)))
    return out


def flat_addresses(norm: str) -> list[Finding]:
    """A flat number and its building's name ("flat 22 Cotterell Tower"): an address whatever the building's word."""
    return [Finding("address", m.start(), m.end()) for m in _FLAT_RE.finditer(norm)]


def names_by_strong_cues(norm: str, raw: str | None = None) -> list[Finding]:
    """Cues strong enough for any message: a name right before "'s" and a relation ("Nusrat Begum's husband") or
    before a relation in brackets ("Dafydd Pritchard (son)"), and the others above said to count in any message.
    `raw`: the message as sent, whose line breaks (spaces in `norm`) set a name on a line of its own apart."""
    stop = function_words()
    lined = norm if raw is None else "".join("\n" if r in "\n\r" else c for r, c in zip(raw, norm))
    out = []
    for m in _BEFORE_RELATION_RE.finditer(norm):
        words = [w for w in WORD_RE.finditer(norm, m.start(1), m.end(1))]
        while words and not can_be_name(words[0].group(), stop):
            words.pop(0)
        if words and all(can_be_name(w.group(), stop) for w in words):
            last = words[-1].group()
            out.append(Finding("name", words[0].start(), words[-1].end() - (2 if last.endswith("'s") else 0)))
    for m in _RELATION_BRACKET_RE.finditer(norm):  # a capitalised word there is a name only if a list has it
        first, second = m.group(1), m.group(2)  # ("their partner (Accurx)", "mum (Jehovah's Witness)" are not)
        if can_be_name(first, stop) and len(bare(first)) >= 2 and not first.isupper() and not is_title(first) \
                and (first.islower() or is_listed_given(first)):
            named = second is not None and bare(second) not in stop and not _NOT_A_NAME_RE.fullmatch(bare(second))
            out.append(Finding("name", m.start(1), m.end(2) if named else m.end(1)))
    for m in _PATIENT_CAPITALS_RE.finditer(norm):  # two such words, or one a list knows ("patient Consent" is neither)
        first, second = m.group(1), m.group(2)
        if second is not None and (bare(first), bare(second)) in RECORD_TERMS:  # "pt Lloyd George envelope"
            continue
        if _plain_capital(first, stop) and second is not None and _plain_capital(second, stop):
            out.append(Finding("name", m.start(1), m.end(2)))
        elif _plain_capital(first, stop) and is_listed(first):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _NICKNAME_BETWEEN_RE.finditer(norm):  # "Margaret (Peggy) Hollingworth", "Alasdair 'Sandy' MacLeod"
        groups = [g for g in (1, 2, 3, 4) if m.group(g)]
        if all(_plain_capital(m.group(g), stop) for g in groups):
            out += [Finding("name", m.start(g), m.end(g)) for g in groups]
    for m in _SURNAME_FIRST_OPENING_RE.finditer(lined):
        if is_listed_given(m.group(2)) and can_be_name(m.group(1), stop) and can_be_name(m.group(2), stop) \
                and len(m.group(1)) >= 3:
            out.append(Finding("name", m.start(1), m.end(2)))
    for m in _PAIR_ALONE_RE.finditer(lined):
        if is_listed_surname(m.group(2)) and all(can_be_name(m.group(g), stop) and len(m.group(g)) >= 3
                                                       for g in (1, 2)):
            out.append(Finding("name", m.start(1), m.end(2)))
    for m in _LOWER_PAIR_RE.finditer(norm):
        first, second = bare(m.group(1)), bare(m.group(2))
        told = is_listed_given(first) or PERSON_AFTER_RE.match(norm, m.end(2)) is not None  # "fadumo hassan wants…"
        if told and is_listed_surname(second) and len(first) >= 3 and len(second) >= 3 \
                and (first, second) not in RECORD_TERMS and can_be_name(m.group(1), stop) and can_be_name(m.group(2), stop):
            out.append(Finding("name", m.start(1), m.end(2)))
    return out


def name_word(word: str, stop: frozenset) -> bool:
    """A word that can only be a name here: `can_be_name`, and no acronym or title."""
    return can_be_name(word, stop) and not word.isupper() and not is_title(word)


def _plain_capital(word: str, stop: frozenset) -> bool:
    """A capitalised word that can only be a name here, of three letters or more."""
    return name_word(word, stop) and len(bare(word)) >= 3


def birth_years(norm: str) -> list[Finding]:
    """A year of birth: after "born", "b.", "yob", or in brackets after an age."""
    return [Finding("date_of_birth", m.start(1), m.end(1)) for m in _BIRTH_YEAR_RE.finditer(norm)]


def _aliases_beside(norm: str, people: list[Finding], stop: frozenset) -> list[Finding]:
    """A word right before "(" that opens on a name found ("Bex (Rebecca Thwaite)"), and the first word inside
    brackets right after one ("Dave Hutchinson (david on the system)")."""
    out = []
    for f in people:
        before = re.search(r"([A-Za-z][A-Za-z'\-]+) *\( *$", norm[max(0, f.start - 40):f.start])
        if before and can_be_name(before.group(1), stop):
            start = max(0, f.start - 40) + before.start(1)
            out.append(Finding("name", start, start + len(before.group(1))))
        after = re.match(r" *\( *([A-Za-z][A-Za-z'\-]+)", norm[f.end:f.end + 40])
        if after and can_be_name(after.group(1), stop) and not _ALIAS_RE.match(norm, f.end + after.start(1)):
            out.append(Finding("name", f.end + after.start(1), f.end + after.end(1)))
    return out


def _any_case(norm: str, stop: frozenset) -> list[Finding]:
    """Beside a person's number or date of birth: initials and the word after them, and a listed given name in any
    case with the word after it unless that is a function or common word."""
    out = []
    for m in _INITIALS_WORD_RE.finditer(norm):
        if m.group(1).replace(" ", "").lower() not in _NOT_INITIALS and len(bare(m.group(2))) >= 3 \
                and can_be_name(m.group(2), stop):
            out.append(Finding("name", m.start(), m.end()))
    words = list(WORD_RE.finditer(norm))
    for i, w in enumerate(words):
        lower = bare(w.group())
        if len(lower) < 3 or w.group().isupper() or not can_be_name(w.group(), stop) or not is_listed_given(lower):
            continue  # never an acronym ("SAR") or a month ("April")
        end = w.end()
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt and norm[w.end():nxt.start()].strip() == "" and can_be_name(nxt.group(), stop) and len(bare(nxt.group())) >= 3:
            end = nxt.end()
        out.append(Finding("name", w.start(), end))
    return out


def addresses_before_postcodes(norm: str, postcodes: list[Finding], found: list[Finding]) -> list[Finding]:
    """The comma-separated capitalised segments right before a postcode on its line, after anything `found` already:
    the house, street and town."""
    out = []
    ends = sorted(f.end for f in found)
    for p in postcodes:
        i = bisect.bisect_right(ends, p.start) - 1
        lo = max(norm.rfind("\n", 0, p.start) + 1, p.start - 120, ends[i] if i >= 0 else 0)
        m = _BEFORE_POSTCODE_RE.search(norm[lo:p.start])
        if m is None or all(bare(w) in function_words() for w in m.group(1).replace(",", " ").split()):
            continue
        out.append(Finding("address", lo + m.start(1), lo + m.end(1)))
    return out
