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

import re

from bot.identifiers.name_lists import bare, function_words, is_common, is_listed, name_lists, world_names
from bot.identifiers.names import WORD_RE
from bot.identifiers.types import Finding

_CAP_WORD = r"[A-Z][A-Za-z'\-]*"
_RELATION_RE = re.compile(
    r"(?<![A-Za-z])(?i:wife|husband|partner|son|daughter|mum|mom|mother|dad|father|brother|sister|grandson|"
    r"granddaughter|grandma|grandad|grandpa|nan|nana|gran|carer|boyfriend|girlfriend|fianc[ée]e?|ex|stepdad|stepmum|"
    r"stepson|stepdaughter|niece|nephew|aunt|auntie|uncle|cousin|child|baby|twin)(?:'s)? *,? +"
    rf"({_CAP_WORD}(?: +{_CAP_WORD})?)")
_ALIAS_RE = re.compile(rf"(?<![A-Za-z])(?i:known +as|aka|a\.k\.a\.?|goes +by|prefers|calls +(?:him|her)self|n[ée]e|formerly)"
                       rf" +({_CAP_WORD})")
_FAMILY_PLURAL_RE = re.compile(r"(?<![A-Za-z])(?i:the) +([A-Z][a-z'\-]+s)(?![A-Za-z])")
_PAIR_RE = re.compile(rf"(?<![A-Za-z'\-])([A-Z][a-z'\-]+) +([A-Z][a-z'\-]+)(?![A-Za-z'\-])(?! +[A-Z])")
_INITIALS_CUE_RE = re.compile(r"(?<![A-Za-z])(?i:initials?) *[:=\-]? *((?:[A-Za-z]\. *){1,3}[A-Za-z]?\.?|[A-Z]{2,3})(?![A-Za-z])")
_INITIALS_WORD_RE = re.compile(r"(?<![A-Za-z.])((?:[A-Za-z]\. *){1,3})([A-Za-z][A-Za-z'\-]+)")
_NOT_INITIALS = frozenset({"e.g.", "i.e.", "n.b.", "p.s.", "a.m.", "p.m.", "e.g", "i.e"})
# the segments of an address before a postcode on its line, each one to four words ("9 Kingsway", "'The Old Forge'")
_SEGMENT = r"(?<![A-Za-z0-9'\-])(?:\d{1,4}[A-Za-z]? +)?['\"‘“]?[A-Z][A-Za-z'\-]*(?: +[A-Z][A-Za-z'\-]*){0,3}['\"’”]?"
_BEFORE_POSTCODE_RE = re.compile(rf"((?:{_SEGMENT} *, *){{0,3}}{_SEGMENT}),? *$")


def _name(word: str, stop: frozenset) -> bool:
    """A word that can be a name here: not a function word, not a common English word, at least two letters."""
    lower = bare(word)
    return len(lower) >= 2 and lower not in stop and not is_common(word)


def _given(lower: str) -> bool:
    return lower in name_lists()[0] or lower in world_names()[0]


def names_when_flagged(norm: str, people: list[Finding], *, personal: bool) -> list[Finding]:
    """The names the cues above find in a flagged message (`people`: the names found already; `personal`: the
    message holds a person's number or date of birth, which lets the any-case rules run)."""
    stop = function_words()
    out: list[Finding] = []
    for m in _RELATION_RE.finditer(norm):
        words = [w for w in WORD_RE.finditer(norm, m.start(1), m.end(1))]
        keep = []
        for w in words:  # "his wife Li Na who…": the capitalised words up to a function or common one
            if not _name(w.group(), stop) and not (keep and len(bare(w.group())) >= 2 and is_listed(bare(w.group()))):
                break
            keep.append(w)
        if keep:
            out.append(Finding("name", keep[0].start(), keep[-1].end()))
    for m in _ALIAS_RE.finditer(norm):
        if _name(m.group(1), stop):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _FAMILY_PLURAL_RE.finditer(norm):  # "the Dunmores", never "the Partners" or "the Notes"
        if _name(m.group(1), stop) and _name(m.group(1)[:-1], stop):
            out.append(Finding("name", m.start(1), m.end(1)))
    for m in _PAIR_RE.finditer(norm):  # "Will Summers": a listed surname after any capitalised word
        first, second = bare(m.group(1)), bare(m.group(2))
        if second not in stop and (second in name_lists()[1] or second in world_names()[1]) \
                and (_given(first) or is_common(m.group(1))):  # "Will" is a function word and a given name
            out.append(Finding("name", m.start(), m.end()))
    out += _aliases_beside(norm, people, stop)
    for m in _INITIALS_CUE_RE.finditer(norm):
        out.append(Finding("name", m.start(1), m.end(1)))
    if personal:
        out += _any_case(norm, stop)
    return out


def _aliases_beside(norm: str, people: list[Finding], stop: frozenset) -> list[Finding]:
    """A word right before "(" that opens on a name found ("Bex (Rebecca Thwaite)"), and the first word inside
    brackets right after one ("Dave Hutchinson (david on the system)")."""
    out = []
    for f in people:
        before = re.search(r"([A-Za-z][A-Za-z'\-]+) *\( *$", norm[max(0, f.start - 40):f.start])
        if before and _name(before.group(1), stop):
            start = max(0, f.start - 40) + before.start(1)
            out.append(Finding("name", start, start + len(before.group(1))))
        after = re.match(r" *\( *([A-Za-z][A-Za-z'\-]+)", norm[f.end:f.end + 40])
        if after and _name(after.group(1), stop) and not _ALIAS_RE.match(norm, f.end + after.start(1)):
            out.append(Finding("name", f.end + after.start(1), f.end + after.end(1)))
    return out


def _any_case(norm: str, stop: frozenset) -> list[Finding]:
    """Beside a person's number or date of birth: initials and the word after them, and a listed given name in any
    case with the word after it unless that is a function or common word."""
    out = []
    for m in _INITIALS_WORD_RE.finditer(norm):
        if m.group(1).replace(" ", "").lower() not in _NOT_INITIALS and len(bare(m.group(2))) >= 3 \
                and _name(m.group(2), stop):
            out.append(Finding("name", m.start(), m.end()))
    words = list(WORD_RE.finditer(norm))
    for i, w in enumerate(words):
        lower = bare(w.group())
        if len(lower) < 3 or lower in stop or is_common(w.group()) or not _given(lower):
            continue
        end = w.end()
        nxt = words[i + 1] if i + 1 < len(words) else None
        if nxt and norm[w.end():nxt.start()].strip() == "" and _name(nxt.group(), stop) and len(bare(nxt.group())) >= 3:
            end = nxt.end()
        out.append(Finding("name", w.start(), end))
    return out


def addresses_before_postcodes(norm: str, postcodes: list[Finding], found: list[Finding]) -> list[Finding]:
    """The comma-separated capitalised segments right before a postcode on its line, after anything `found` already:
    the house, street and town."""
    out = []
    for p in postcodes:
        lo = max([norm.rfind("\n", 0, p.start) + 1, p.start - 120, *(f.end for f in found if f.end <= p.start)])
        m = _BEFORE_POSTCODE_RE.search(norm[lo:p.start])
        if m is None or all(bare(w) in function_words() for w in m.group(1).replace(",", " ").split()):
            continue
        out.append(Finding("address", lo + m.start(1), lo + m.end(1)))
    return out
