"""The order an answer's chosen units are read in, and how they are joined: the best unit opens (a yes-or-no
question's best sentence, the best-ranked passage's own best unit), the rest follow passage by passage; a sentence
that leans on the one before it is read after it; sentences run as a paragraph, bullets and steps on lines of their
own. Used by the extractive answerer (`bot.answer`), which chooses the units.

Imports `bot.units` and `bot.repeats` only; it must not import the answerers, the pipeline, retrieval or Slack.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from bot.repeats import says_again, says_in_full
from bot.units import SENTENCE_BREAK, Unit


# A question asked for a yes or no: its last question opens with an auxiliary verb ("do we have to…", "can reception…",
# "is it ok…"), after a greeting or "ok, so" perhaps. Not a request put to someone ("can you tell me how…", "does anyone
# know…", "do you have a checklist…") nor "is there…"/"are there…": those ask for a thing, which a list may well be.
_YES_NO = re.compile(r"^(?:(?:ok|okay|so|and|but|also|quick q\w*|(?:hi|hello|hey|morning)(?:\s+\w+)?)\W+)*"
                     r"(?:do|does|did|can|could|is|are|was|were|should|shall|must|will|would|have|has|had|may|might)\b"
                     r"(?!\s+(?:there|you|anyone|anybody|someone|somebody|u)\b)", re.I)


def asks_yes_no(question: str) -> bool:
    """Whether the (last) question asks for a yes or no (`_YES_NO`)."""
    sentences = [s for s in SENTENCE_BREAK.split(question.strip()) if s.strip()]
    asked = [s for s in sentences if s.rstrip().endswith("?")] or sentences
    return bool(asked) and bool(_YES_NO.match(asked[-1].strip()))


def reading_order(chosen: list[Unit], sentence_share: float | None = None, top_share: float = 1.0) -> list[Unit]:
    """The best unit opens the answer (no off-topic opening sentence), or the best of the best-ranked passage quoted
    when it scores at least `top_share` of that; unless the sentence just before it in its paragraph was chosen too
    (then that one leads into it; not before a sentence standing in for another, `Unit.read_as`); the rest follow
    passage by passage (in the order of each passage's best unit), each in its reading place there (`reading_place`).
    `sentence_share` (a yes-or-no question): a list that scored best gives the opening to the best sentence scoring
    at least that share of it."""
    best = max(chosen, key=lambda u: u.score)
    sentences = [u for u in chosen if not u.is_list]
    if sentence_share is not None and best.is_list and sentences:
        plain = max(sentences, key=lambda u: u.score)
        best = plain if plain.score >= sentence_share * best.score else best
    opener = next((u for u in chosen if u.chunk_rank == best.chunk_rank and u.paragraph == best.paragraph
                   and u.position == best.position - 1 and not u.is_list and best.read_as is None), best)
    passage_order: dict[int, int] = {}
    for unit in sorted(chosen, key=lambda u: u.score, reverse=True):
        passage_order.setdefault(reading_place(unit)[0], len(passage_order))
    rest = sorted((u for u in chosen if u is not opener),
                  key=lambda u: (passage_order[reading_place(u)[0]], reading_place(u)[1]))
    ordered = [opener, *rest]
    first = min(reading_place(c)[0] for c in chosen)  # its best unit (a yes-or-no question's: best sentence) may open
    top = max((u for u in chosen if reading_place(u)[0] == first and not (sentence_share is not None and u.is_list)),
              key=lambda u: u.score, default=opener)
    if top is not opener and top.score >= top_share * max(u.score for u in chosen):
        ordered = [top, *(u for u in ordered if u is not top)]
    return ordered


def reading_place(unit: Unit) -> tuple[int, int]:
    """Where a unit is read: its passage's rank and its place there, or those of the sentence it says in full."""
    return unit.read_as if unit.read_as is not None else (unit.chunk_rank, unit.position)


# A sentence that leans on the one before it: "It does not remove the information…", "This includes…", "These apps…",
# "However, …". Not "It is important to…", "It may be that…" (an "it" standing for nothing), nor "This guidance…"
# (the page itself, which the citation names).
_COPULA = r"(?:\s+(?:is|was|remains|seems|appears)|\s+(?:may|might|can|could|will|would|should) be)"
_ADVERBS = r"(?:\s+(?:also|still|not|therefore|now|often|usually|generally|very|always|equally|particularly))*"
_EXTRAPOSED = (r"\s+(?:important|possible|impossible|necessary|essential|likely|unlikely|advisable|recommended|best|"
               r"good|worth|helpful|useful|vital|crucial|unclear|clear|sensible|reasonable|appropriate|difficult|easy|"
               r"expected|hoped|noted|understood|thought|believed|that|the case)\b")
LEANS_BACK = re.compile(
    r"^(?:(?:This|These|That|Those)\b(?!\s+(?:guidance|guide|page|document|toolkit|letter|webinar|article|website)\b)"
    r"|(?:Such|They|Their|Its|Both|However|Also|In addition|Furthermore|Moreover|Otherwise|Instead|Therefore|Thus|"
    r"As a result|For this reason|The same)\b"
    rf"|It\b(?!{_COPULA}{_ADVERBS}{_EXTRAPOSED}|['’]s\b)|It['’]s\b(?!{_ADVERBS}{_EXTRAPOSED}))")


def with_what_they_lean_on(ordered: list[Unit], units: Sequence[Unit], same: float) -> list[Unit]:
    """The answer's units in reading order, with the sentence before each sentence that leans on it (`LEANS_BACK`,
    in the same paragraph) read right before it: brought in when the answer lacks it (not when it is a lead-in or
    the answer says it already), moved there when the answer has it elsewhere, as `reading_order` lets the
    sentence before the opening one lead into it. Lists and bullets stand as they are."""
    place = {(u.chunk_rank, u.paragraph, u.position): u for u in units if not u.is_list and not u.bullet}
    out = list(ordered)
    for unit in ordered:
        before = place.get((unit.chunk_rank, unit.paragraph, unit.position - 1))
        if (unit.is_list or unit.bullet or before is None or before.text == unit.text
                or not LEANS_BACK.match(unit.text)):
            continue
        # the sentence itself, or a fuller one standing in for it (`Unit.read_as`: it says the sentence in full)
        held = next((u for u in out if (u.chunk_rank == unit.chunk_rank and u.text == before.text)
                     or (u.read_as is not None and says_in_full(u.text, before.text))), None)
        if held is None:
            if before.text.rstrip().endswith(":") or says_again(before.text, [u.text for u in out], same):
                continue
            held = replace(before, score=unit.score)
        elif _place_of(held, out) + 1 == _place_of(unit, out):
            continue
        else:
            out.pop(_place_of(held, out))
        out.insert(_place_of(unit, out), held)
    return out


def _place_of(unit: Unit, units: list[Unit]) -> int:
    return next(i for i, u in enumerate(units) if u is unit)


def join_units(lines: list[str], units: list[Unit]) -> str:
    """Sentences run together as a paragraph; bullets and steps each start a new line."""
    out = ""
    previous: Unit | None = None
    for line, unit in zip(lines, units):
        if unit.is_list:
            out += ("\n\n" if out else "") + line
        elif unit.bullet:
            out += ("\n" if previous is not None and previous.bullet else "\n\n" if out else "") + f"- {line}"
        else:
            separator = " " if previous is not None and not previous.is_list and not previous.bullet else "\n\n"
            out += (separator if out else "") + line
        previous = unit
    return out.strip()
