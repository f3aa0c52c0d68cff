"""When an answer line says again what the answer already says: most of its words are in a kept line, and it
carries no code, number or date the kept lines lack (`bot.specifics`). The one test of repetition, used between
the answerer's units (`bot.answer`), between list items, and for a line added after the answer is written
(`bot.pipeline`'s safeguarding line).

Imports the index's analyser, `bot.specifics` and `bot.units`; it must not import the answerers, the pipeline,
retrieval or the Slack layer.
"""

from __future__ import annotations

import re
from typing import Callable

from bot.index import analyze
from bot.settings import default_of
from bot.specifics import MONTH_NAMES, specifics
from bot.units import LIST_ITEM

# A source's name and one date in brackets closing a line, "(Surrey and Sussex LMCs, 15 January 2025)", "(v1.5, 26
# June 2023)", "(RCGP statement update, 2 November 2022; Pulse)": when the guidance was said, not what it says, so a
# sentence repeating a kept one is not new for its date. Never a bracket of dates or one saying "from …".
_DATE = r"(?:updated\s+)?(?:\d{1,2}\s+)?(?:" + "|".join(MONTH_NAMES) + r")\s+\d{4}"
_ATTRIBUTION = re.compile(r"\s*\((?:[^()\d,;]+,\s*(?:v\d+(?:\.\d+)*,\s*)?|v\d+(?:\.\d+)*,\s*)" + _DATE
                          + r"(?:;[^()\d]*)?\)(?=\s*[.;:]?\s*$)")


def facts_of(text: str) -> frozenset[str]:
    """The numbers, codes and dates a text carries (`bot.specifics`): a sentence carrying one its neighbours
    lack is never redundant. A list item's own number ("2.") is none of them, nor the date of a closing
    attribution (`_ATTRIBUTION`). Quoted labels are not compared here (only `bot.claims` checks them): counting
    them would change which sentences an answer keeps."""
    return specifics("\n".join(_ATTRIBUTION.sub("", LIST_ITEM.sub("", line)) for line in text.splitlines())).facts()


def repeats_answer(line: str, answer_text: str, same: float = default_of("answer_repeat_overlap")) -> bool:
    """Whether an answer already says `line` (the test the answerer uses between its own lines: most of the
    words again and no code, number or date the answer lacks); for a line added after the answer is written."""
    kept = [k for k in re.split(r"(?:\[\d+\])+|\n", answer_text) if k.strip()]  # one sentence or item each
    return says_again(line, kept, same)


def says_again(text: str, kept: list[str], same: float, compare: Callable[[str, str], float] | None = None) -> bool:
    """Most of `text`'s words are in one of the `kept` texts, and it carries no code, number or date they lack.
    `compare`: how the words are compared (default `overlap`; `own_share` when only `text`'s own words count)."""
    compare = compare or overlap
    return (any(compare(text, k) > same for k in kept)
            and facts_of(text) <= set().union(*(facts_of(k) for k in kept)))


def says_in_full(fuller: str, text: str) -> bool:
    """`fuller` holds every word of `text` and every code, number or date it carries: a line that adds to `text`
    without leaving anything of it out, so `text` beside it says nothing more (the answerer's test before dropping a
    line it has already chosen, stricter than `says_again`'s "most of the words", which is for lines not yet taken)."""
    return own_share(text, fuller) >= 1.0 and facts_of(text) <= facts_of(fuller)


def same_text(a: str, b: str) -> bool:
    return " ".join(analyze(a)) == " ".join(analyze(b))


def own_share(a: str, b: str) -> float:
    """The share of `a`'s own words that `b` holds (a long sentence is not "said" by a short line inside it)."""
    sa = set(analyze(a))
    return len(sa & set(analyze(b))) / max(1, len(sa))


def overlap(a: str, b: str) -> float:
    """The share of the shorter text's words that the other holds."""
    sa, sb = set(analyze(a)), set(analyze(b))
    return len(sa & sb) / max(1, min(len(sa), len(sb)))
