"""Personal names: titled ("Mrs Smith", "dr a. patel"), a given name followed by a surname-like word
("Amy Dummy", "john smith"), runs of names of any country's lists (three words may hold one no list has: "Gurpreet
Kaur Sandhu"), names right next to another identifier (a pair, a given name or an initial and a surname alone before
a person's number or date of birth, a banner's "ANAND, Rohit"), and every later repeat of a name word found
("... smith's daughter"), in any case.

Given names, surnames and function words come from `name_lists` (Faker's person providers, the derived world list,
bm25s's English stop words and the words that follow a title or a given name in staff messages without being names).
"""

from __future__ import annotations

import re

from bot.identifiers.name_lists import (bare, is_common, is_listed, is_listed_given, name_lists, world_lists_for,
                                        world_names)
from bot.identifiers.numbers import is_mobile
from bot.identifiers.types import Finding

WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
_TITLE_RE = re.compile(r"(?<![A-Za-z])(mrs|mr|ms|mx|dr|miss|master|mstr|prof)\b(\.?)", re.IGNORECASE)
_VERB_TITLES = {"miss", "master"}  # also ordinary words: in lower case only before a listed name
_PERSON_TITLES = {"mr", "mrs", "ms", "mx"}  # only ever before a name: any word after them is one

def _is_cap(word: str) -> bool:
    return word[0].isupper()


def _words(norm: str) -> list[re.Match]:
    return list(WORD_RE.finditer(norm))


def _gap_ok(norm: str, end: int, start: int) -> bool:
    """Only spaces (at most three) or an initial's dot between two words of one name."""
    gap = norm[end:start]
    return 0 < len(gap) <= 3 and gap.strip(" .") == ""


def _lower_surname_after_title(title: str, token: str, first: str) -> bool:
    """"mrs priya raghunathan", "mr dermot kavanagh": after a person title and a lower-case first name, a second
    lower-case word that is not a common English word ("mrs smith wants", "mr jones rang back") is the surname."""
    return title.lower() in _PERSON_TITLES and first.islower() and token.islower() and len(token) > 2 \
        and not is_common(token)


def titled_names(norm: str) -> list[Finding]:
    given, surnames, stop = name_lists()
    words = _words(norm)
    starts = {w.start(): i for i, w in enumerate(words)}
    out: list[Finding] = []
    for t in _TITLE_RE.finditer(norm):
        i = starts.get(t.start())
        if i is None or i + 1 >= len(words):
            continue
        title, prev_end = t.group(1), t.end()
        end = None
        taken = 0
        for k in range(i + 1, min(i + 4, len(words))):
            w = words[k]
            token = w.group()
            initial = len(token) == 1 and token.isupper()
            listed_cap = _is_cap(token) and bare(token) in surnames  # "Dr May", not "dr may be"
            if not _gap_ok(norm, prev_end, w.start()) or (bare(token) in stop and not initial and not listed_cap):
                break
            listed = is_given_name(token, given) or bare(token) in surnames
            if title.islower() and title.lower() in _VERB_TITLES and not listed:
                break
            if token.islower() and not listed and title.lower() not in _PERSON_TITLES:
                break  # "a dr appointment", "the prof said": a lower-case unlisted word after dr/prof
            if taken and not (_is_cap(token) or listed or _lower_surname_after_title(title, token, words[i + 1].group())):
                break
            if len(token) == 1:
                if not initial:
                    break
                # an initial ("Mrs A Smith", "dr j. patel") only when a name word follows
                nxt = words[k + 1] if k + 1 < len(words) else None
                if nxt is None or bare(nxt.group()) in stop or not _gap_ok(norm, w.end(), nxt.start()) \
                        or not (_is_cap(nxt.group()) or bare(nxt.group()) in given or bare(nxt.group()) in surnames):
                    break
            end, prev_end, taken = w.end(), w.end(), taken + 1
        if end is not None:
            out.append(Finding("name", t.start(), end))
    return out


# A clinical system's patient banner, pasted: "SMITH, Jane (Mrs)", "Kowalczyk, Anna Maria (Miss)"
_BANNER_RE = re.compile(
    r"(?<![A-Za-z'\-])([A-Z][A-Za-z'\-]+), +([A-Z][A-Za-z'\-]+(?: +[A-Z][A-Za-z'\-]+)?) *\((?i:mrs|mr|ms|mx|miss|dr|master|prof)\.?\)"
)
# "Okonkwo, Miss Chiamaka": a surname, a comma, then the title and the given name
_TITLE_INSIDE_RE = re.compile(
    r"(?<![A-Za-z'\-])([A-Z][A-Za-z'\-]+), +(?i:mrs|mr|ms|mx|miss|dr|master|prof)\.? +[A-Z][A-Za-z'\-]+(?![A-Za-z])"
)
# "SMITH, Jane" or "Smith, Jane": a surname in capitals or a listed one, a comma, a listed given name
_SURNAME_FIRST_RE = re.compile(r"(?<![A-Za-z'\-])([A-Z][A-Za-z'\-]+), +([A-Z][a-z'\-]+)(?![A-Za-z])")


_LIST_GOES_ON = re.compile(r" *(?:,|and\b|or\b|&) *[A-Z]")  # "London, Kent, Essex", "Post, Link and Comment"


def surname_first_names(norm: str) -> list[Finding]:
    """Names written surname first, as clinical systems print them: with the title after them in brackets, or a
    surname in capitals (or a listed one) before a listed given name ("SMITH, Jane", "Smith, Jane"), or before a
    given name of another country's list when no list of capitalised words goes on ("Jackson, Tyrone", not
    "London, Kent, Essex")."""
    given, surnames, stop = name_lists()
    out = [Finding("name", m.start(), m.end()) for pattern in (_BANNER_RE, _TITLE_INSIDE_RE)
           for m in pattern.finditer(norm) if bare(m.group(1)) not in stop]
    for m in _SURNAME_FIRST_RE.finditer(norm):
        surname, first = m.group(1), m.group(2)
        listed = is_given_name(first, given)
        if bare(surname) in stop or not (listed or (is_listed_given(first) and not _LIST_GOES_ON.match(norm, m.end()))):
            continue
        if (surname.isupper() and len(surname) > 1) or bare(surname) in surnames:
            out.append(Finding("name", m.start(), m.end()))
    return out


def is_given_name(word: str, given: frozenset) -> bool:
    """A listed given name, or a hyphenated one with a listed part ("kerry-ann")."""
    w = word.lower()
    return w in given or ("-" in w and any(part in given for part in w.split("-")))


def _surname_like(word: str, first: str, given: frozenset, surnames: frozenset, stop: frozenset) -> bool:
    lower = bare(word)
    if lower in stop:  # "Ruth May", "HARRY MAY": a listed surname in capitals after a capitalised given name
        return lower in surnames and word[0].isupper() and first[0].isupper()
    if len(lower) < 2:
        return False
    if lower in surnames:
        return True
    # an unlisted surname: capitalised after a capitalised given name ("Amy Dummy")
    return _is_cap(first) and _is_cap(word) and not word.isupper() or (first.isupper() and word.isupper())


# Pairs of name words that are the name of a thing in general practice: the paper record's "Lloyd George" envelope
RECORD_TERMS = frozenset({("lloyd", "george"), ("lloyd", "georges")})


def _world_pair(first: str, second: str) -> bool:
    """A given name another country's list holds before a listed surname (or a double-barrelled one with a listed
    part, "Zainab Oyelaran-Hughes"), both capitalised or both in lower case ("Tyrone Jackson", "lukasz jankowski"):
    names staff type that Faker's en_GB lists lack. The lists hold no common English word (`common_words`: "made
    long", "odd weeks" stay); `_world_pair_at` also leaves a pair inside a run of capitalised words. The derived world
    list counts for capitalised words only ("imms rota" is shorthand), a surname after "al-" too ("al-Shammari")."""
    _given, surnames, stop = name_lists()
    if (bare(first), bare(second)) in RECORD_TERMS:
        return False
    surname = re.sub(r"^(?:al|el|ul|bin|ben|de|da|di|van|von)-(?=[A-Z])", "", second)
    capitalised = first[0].isupper() and not first.isupper() and surname[0].isupper() and not surname.isupper()
    lower = first.islower() and second.islower() and not is_common(second) and not is_common(first)
    world_given, world_surnames = world_lists_for(first)
    return (capitalised or lower) and bare(first) in world_given and bare(second) not in stop \
        and any(part in world_surnames or part in surnames for part in (bare(second), *bare(second).split("-")[:2]))


def _world_pair_at(norm: str, words: list[re.Match], i: int) -> bool:
    """`_world_pair` for words i and i+1, standing alone: not after a capitalised word or an article ("London
    North West University…", "The Stone Ward") nor before a capitalised word ("Justice Green Paper")."""
    if not (_world_pair(words[i].group(), words[i + 1].group()) and _gap_ok(norm, words[i].end(), words[i + 1].start())):
        return False
    before = words[i - 1] if i and _gap_ok(norm, words[i - 1].end(), words[i].start()) else None
    after = words[i + 2] if i + 2 < len(words) and _gap_ok(norm, words[i + 1].end(), words[i + 2].start()) else None
    return not (before and (before.group()[0].isupper() or before.group().lower() in ("the", "a", "an"))) \
        and not (after and after.group()[0].isupper())


_PARTICLES = frozenset("ap ab van von der den de del della da dos das di du des le la bin binti al el ben "
                       "o ni nic ui O Ni Nic Ui".split()).__contains__  # Irish "Ó", "Ní" as the detector reads them
_PLACE_WORDS = frozenset("north south east west central greater upper lower new old royal saint st city county".split())
# Words that make a run of capitalised words an organisation's name ("Clinica de Madrid", "… Practice")
ORGANISATION_WORDS = frozenset("clinica clinic centro centre center instituto hospital hospitais casa santa medical "
                                "surgery practice health healthcare partnership group pharmacy".split())


def _world_run(norm: str, words: list[re.Match], i: int) -> int:
    """The end (exclusive word index) of a run of three or four capitalised name words from i, each a listed given
    name or surname (any country's), opening with a given name and closing with a surname ("Mariana Gonçalves
    Ferreira"), or of two or more around particles ("Dafydd ap Rhys", "Willem van der Merwe", "Ana Maria da Silva
    Santos"); i when there is none. Never a place ("North West London") or an organisation ("Clinica de Madrid"),
    nor part of a longer run of capitalised words ("Mac de Souza Practice"), a title before it apart."""
    world_given, world_surnames = world_names()
    given, surnames, stop = name_lists()
    j, names_seen, last_name, unlisted = i, 0, i, 0
    while j < len(words) and names_seen < 4 and (j == i or _gap_ok(norm, words[j - 1].end(), words[j].start())):
        w = words[j].group()
        if _PARTICLES(w) and j > i:
            j += 1
            continue
        lower = bare(w)
        listed = is_listed(w)
        before_particle = j + 1 < len(words) and _PARTICLES(words[j + 1].group())  # "Dafydd ap …"
        after_particle = j > i and _PARTICLES(words[j - 1].group())  # "… van der Merwe"
        # one word no list holds, in a run of three ("Gurpreet Kaur Sandhu", "Tran Thi Hoa"), checked below
        spare = not listed and not unlisted and len(lower) > 2 and not is_common(w)
        if not (w[0].isupper() and not w.isupper() and lower not in stop
                and (listed or spare or ((after_particle or (j == i and before_particle)) and not is_common(w)))):
            break
        unlisted += spare and not (after_particle or (j == i and before_particle))
        names_seen, j, last_name = names_seen + 1, j + 1, j + 1
    j = last_name  # a run ends on a name, never on a particle
    run = [bare(words[k].group()) for k in range(i, j)]
    after = words[j] if j < len(words) and _gap_ok(norm, words[j - 1].end(), words[j].start()) else None
    before = words[i - 1] if i and _gap_ok(norm, words[i - 1].end(), words[i].start()) else None
    if j <= i or any(w in _PLACE_WORDS or w in ORGANISATION_WORDS for w in run) \
            or (after is not None and after.group()[0].isupper()) \
            or (before is not None and before.group()[0].isupper() and not _TITLE_RE.fullmatch(before.group())):
        return i  # inside a longer run of capitalised words ("Hospital Santa Maria de Belem"), unless after a title
    particle = any(_PARTICLES(w) for w in run)
    if unlisted:  # three words, the other two listed names of any country; never "Lloyd George Envelope"
        three = names_seen == 3 and len(run) == 3 and not particle
        return j if three and not RECORD_TERMS & set(zip(run, run[1:])) else i
    person = (run[0] in world_given or run[0] in given or particle) and (run[-1] in world_surnames
                                                                         or run[-1] in surnames or particle)
    return j if person and (names_seen >= 3 or (particle and names_seen >= 2)) else i


def given_name_pairs(norm: str) -> list[Finding]:
    given, surnames, stop = name_lists()
    words = _words(norm)
    out: list[Finding] = []
    i = 0
    while i < len(words) - 1:
        first = words[i].group()
        # (an unlisted word before a listed surname is not enough: "North West", "Great Hall")
        run = _world_run(norm, words, i)
        if run > i + 1:
            out.append(Finding("name", words[i].start(), words[run - 1].end()))
            i = run
            continue
        if not is_given_name(first, given) or (i and (bare(words[i - 1].group()), bare(first)) in RECORD_TERMS):
            if _world_pair_at(norm, words, i):
                out.append(Finding("name", words[i].start(), words[i + 1].end()))
                i += 2
            else:
                i += 1
            continue
        j = i + 1
        while j < len(words) and j - i <= 3 and _gap_ok(norm, words[j - 1].end(), words[j].start()) \
                and _surname_like(words[j].group(), first, given, surnames, stop):
            j += 1
        if j > i + 1:
            out.append(Finding("name", words[i].start(), words[j - 1].end()))
            i = j
        else:
            i += 1
    return out


_CAP = r"[A-Z][A-Za-z'\-]+"
_PUNCT = r" *(?:[,;:()\[\]/|\-<>\"'][ ]*){0,3}"
_GAP = (
    # an age may stand between: "- 83 yo -", "48 y"
    rf"{_PUNCT}(?:\d{{1,3}} *(?i:y\.?o\.?|yrs?|years?(?: +old)?|y)\b\.?{_PUNCT})?"
    r"(?:(?i:nhs(?: *(?:no\b\.?|number|num|#))?|dob|d\.o\.b\.?|date +of +birth|born|b\.|tel\.?"
    r"|phone|mob(?:ile)?|e-?mail|postcode|address|(?:rang|rung|called|phoned|texted)(?: +(?:us +)?(?:from|on))?"
    r"|(?:emis|s1|tpp|systmone|hospital|hosp\.?)(?: +(?:pt|patient))? *(?:no\b\.?|number|id|ref)) *[:#.\-]? *)?"
)
_NAME_BEFORE_RE = re.compile(rf"((?:{_CAP} +){{1,2}}{_CAP}){_GAP}$")
_NAME_AFTER_RE = re.compile(rf"{_GAP}((?:{_CAP} +){{1,2}}{_CAP})")
_ANY = r"[A-Za-z][A-Za-z'\-]+"
_PAIR_BEFORE_RE = re.compile(rf"({_ANY})(?: *, *| +)({_ANY}){_GAP}$")  # "zhang wei", "khan, imran"
# one word alone: "aisling born …", "J. Okafor (dob …"
_ONE_BEFORE_RE = re.compile(rf"(?<![A-Za-z'\-])((?:[A-Z]\. *)?{_ANY}){_GAP}$")
_PAIR_AFTER_RE = re.compile(rf"{_GAP}({_ANY}) +({_ANY})")


# What an unlisted pair of words must stand right before to be taken for a name: a number, a date of birth or a home
# address that is a person's (a phone or an email is also a supplier's: "docman helpdesk 0113 …", "pcn nhsmail a@b")
PERSONAL_ANCHORS = frozenset({"nhs_number", "date_of_birth", "record_number", "address"})


def _unlisted_pair(first: str, second: str) -> bool:
    """Two words in the same case, neither a common English word, right before an NHS or record number or a date of
    birth: a name the lists lack ("zhang wei (dob …)"). (After one, a name is taken only with a listed given name: a
    request follows there, "… – needs interpreter".)"""
    same_case = (first.islower() and second.islower()) or (first[0].isupper() and second[0].isupper())
    return same_case and min(len(first), len(second)) > 2 and not is_common(first) and not is_common(second) \
        and not {bare(first), bare(second)} & ORGANISATION_WORDS


def _personal(f: Finding, norm: str) -> bool:
    """A person's number or date of birth, a home address, or a mobile number (`numbers.is_mobile`)."""
    return f.kind in PERSONAL_ANCHORS or is_mobile(f, norm)


def adjacent_names(norm: str, anchors: list[Finding]) -> list[Finding]:
    """Capitalised First Last pairs right next to another identifier ("Amy Dummy, 9993909963")."""
    _given, _surnames, stop = name_lists()
    out: list[Finding] = []
    for f in anchors:
        lo, personal = max(0, f.start - 80), _personal(f, norm)
        for m, from_end in ((_NAME_BEFORE_RE.search(norm, lo, f.start), True),
                            (_NAME_AFTER_RE.match(norm, f.end, min(len(norm), f.end + 80)), False)):
            if not m:
                continue
            words = [(lo2.start(), lo2.end(), lo2.group()) for lo2 in re.finditer(_CAP, m.group(1))]
            words = [(m.start(1) + a, m.start(1) + b, w) for a, b, w in words]
            keep: list[tuple[int, int, str]] = []
            for w in (reversed(words) if from_end else words):  # the run of non-function words by the gap
                if bare(w[2]) in stop:
                    break
                keep.append(w)
            if len(keep) >= 2:
                keep.sort()
                out.append(Finding("name", keep[0][0], keep[-1][1]))
        # any case: a listed given name and a word beside the identifier ("kerry-ann doyle 9991590838")
        for m, before in ((_PAIR_BEFORE_RE.search(norm, lo, f.start), True),
                          (_PAIR_AFTER_RE.match(norm, f.end, min(len(norm), f.end + 80)), False)):
            if m and bare(m.group(2)) not in stop and bare(m.group(1)) not in stop and (
                    is_given_name(m.group(1), _given)
                    or (before and personal and _unlisted_pair(m.group(1), m.group(2)))):
                out.append(Finding("name", m.start(1), m.end(2)))
        if personal:  # and a banner's surname in capitals, "Mr ANAND, Rohit (Rohit) 48 y 23-Feb-1975"
            out += _one_before(norm, lo, f.start, stop) + [
                Finding("name", m.start(), m.end()) for m in _SURNAME_FIRST_RE.finditer(norm, lo, f.start)
                if m.group(1).isupper() and bare(m.group(1)) not in stop and bare(m.group(2)) not in stop
                and not is_common(m.group(2))]
    return out


def _one_before(norm: str, lo: int, start: int, stop: frozenset) -> list[Finding]:
    """One word right before a person's number or date of birth: a given name of any list, in any case ("aisling
    born …"), or a capitalised word after an initial ("J. Okafor (dob …"); never a common word."""
    m = _ONE_BEFORE_RE.search(norm, lo, start)
    if m is None:
        return []
    initial = re.match(r"[A-Z]\. *", m.group(1))
    word = m.group(1)[initial.end():] if initial else m.group(1)
    if bare(word) in stop or is_common(word) or len(word) < 3:
        return []
    named = word[0].isupper() if initial else is_listed_given(word)
    return [Finding("name", m.start(1), m.end(1))] if named else []


def name_words(span: str) -> list[str]:
    """The words of a name found, lower case, without titles or function words ("Dr Smith's" -> ["smith"])."""
    _given, _surnames, stop = name_lists()
    words = (bare(w.group()) for w in WORD_RE.finditer(span))
    return [w for w in words if len(w) >= 2 and w not in stop and not _TITLE_RE.fullmatch(w)]


def repeats(norm: str, names: list[Finding]) -> list[Finding]:
    """Every other occurrence, in any case, of a word of a name already found."""
    _given, _surnames, stop = name_lists()
    tokens = {w for f in names for w in name_words(f.text_in(norm))}
    if not tokens:
        return []
    return [Finding("name", w.start(), w.end()) for w in WORD_RE.finditer(norm) if bare(w.group()) in tokens]
