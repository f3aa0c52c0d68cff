"""Query preparation: a message made ready to search. The glossary's shorthand spelt out and its expansions
added (knowledge/glossary.yaml), the thread's previous question joined to a short follow-up, the clinical systems it
names noticed, identifier placeholders dropped from what is searched.

Knows nothing about Slack, the index or ranking; `bot.retrieval` searches with what it prepares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from bot import guard
from bot.settings import RetrievalSettings, default_of

_SPACES = re.compile(r"\s+")


SYSTEM_PATTERNS = {
    "emis": re.compile(r"\b(emis(?:\s*web)?|emas)\b", re.I),
    "systmone": re.compile(r"\b(systm\s*one|s1|tpp|systmonline)\b", re.I),
}


def detect_systems(text: str) -> list[str]:
    return [name for name, pattern in SYSTEM_PATTERNS.items() if pattern.search(text)]


def switch_system(earlier: str, follow_up: str) -> str:
    """The earlier question of a thread as its follow-up asks it again: a follow-up that names a clinical system
    the earlier question did not ("and on s1?" after an EMIS question) asks the same of that system, so the earlier
    question's other systems give way to it (else both are searched, and the first wins)."""
    named = {name: found for name, pattern in SYSTEM_PATTERNS.items() if (found := pattern.search(follow_up))}
    if not named or set(named) <= set(detect_systems(earlier)):
        return earlier
    said = next(iter(named.values())).group(0)
    for name, pattern in SYSTEM_PATTERNS.items():
        if name not in named:
            earlier = pattern.sub(said, earlier)
    return earlier


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]+$")  # "SAR", "GP2GP", "S1"


class Glossary:
    """Acronyms and synonyms from knowledge/glossary.yaml: term -> expansions appended to a query; and its
    `shorthand:` mapping, staff shorthand -> the word the guidance writes, spelt out in the question before it
    is searched ("pt" is "patient": the dense side reads the word, and a passage never holds the shorthand)."""

    def __init__(self, entries: dict[str, list[str]] | None = None, shorthand: dict[str, str] | None = None):
        self.entries = {str(k): [str(v) for v in vs] for k, vs in (entries or {}).items() if vs}
        self.shorthand = {str(k).lower(): str(v) for k, v in (shorthand or {}).items() if str(k).strip() and v}
        self._shorthand = (re.compile(r"(?<![\w'])(" + "|".join(re.escape(k) for k in sorted(self.shorthand, key=len, reverse=True))
                                      + r")(?!\w|'\w)", re.I) if self.shorthand else None)
        # an acronym is matched in the plural too ("SARs", "ICBs"; never "SARS", a virus)
        self._patterns = [
            (term, re.compile(r"(?<![\w])" + re.escape(term).replace(r"\ ", r"[\s\-]+")
                              + (r"(?-i:s)?" if _ACRONYM.match(term) else "") + r"(?![\w])", re.I))
            for term in sorted(self.entries, key=len, reverse=True)
        ]

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        if not path.exists():
            return cls({})
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of term -> list of expansions")
        entries = {}
        shorthand = data.pop("shorthand", None) or {}
        if not isinstance(shorthand, dict):
            raise ValueError(f"{path}: 'shorthand' must map each shorthand to the word it stands for")
        for term, expansions in data.items():
            if isinstance(expansions, str):
                expansions = [expansions]
            if isinstance(expansions, list):
                entries[str(term)] = [str(e) for e in expansions]
        return cls(entries, shorthand)

    def spell_out(self, text: str) -> str:
        """`text` with each shorthand replaced by the word it stands for."""
        if self._shorthand is None:
            return text
        return self._shorthand.sub(lambda m: self.shorthand[m.group(1).lower()], text)

    def matches(self, text: str) -> list[str]:
        return [term for term, pattern in self._patterns if pattern.search(text)]

    def expand(self, text: str) -> str:
        extra: list[str] = []
        for term in self.matches(text):
            for expansion in self.entries[term]:
                if expansion.lower() not in text.lower() and expansion not in extra:
                    extra.append(expansion)
        return f"{text} {' '.join(extra)}".strip() if extra else text


@dataclass
class PreparedQuery:
    raw: str  # what the user sent (may hold identifiers: never log or store it)
    text: str  # markup stripped, identifiers redacted: what we answer and record
    retrieval_text: str  # text + the thread's earlier question for follow-ups
    expanded: str  # retrieval_text + glossary expansions (keyword side)
    systems: list[str]
    glossary_terms: list[str]
    vector: np.ndarray | None = None  # the embedded retrieval_text, once the pipeline has computed it
    # that vector moved by the index's query adapter (`bot.index.query_adapter`), set by the retriever; None: the
    # index has no adapter (too few section questions and verified answers), and the reranker reads the raw cosines only
    adapted_vector: np.ndarray | None = None
    # a thread follow-up searched with the previous question: the message's own words (else ""), and their vector
    # once the pipeline has embedded them; the answer's sentences are judged on both (ANSWER_FOLLOW_UP_OWN_SHARE)
    own_text: str = ""
    own_expanded: str = ""
    own_vector: np.ndarray | None = None


def embed(query: PreparedQuery, embedder, *, own_words: bool = True) -> np.ndarray:
    """Embed what `query` searches (its `vector`, returned) and, for a thread follow-up, the message's own words too
    (`own_vector`, when `own_words`). `embedder`: anything with `embed_query(text)`."""
    query.vector = embedder.embed_query(query.retrieval_text)
    if query.own_text and own_words:
        query.own_vector = embedder.embed_query(query.own_text)
    return query.vector


_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|same for|what if|does that|is that|and if|but|ok and|so)\b|\b(that|those|them|it|this|they)\b",
    re.I,
)


# A message that opens like this carries on the one before it at any length ("ok and when the GP has been through
# it all and is happy for him to see it?"): conjunctions and "what about" openers, optionally after "ok"/"right".
_CONTINUES = re.compile(
    r"^(?:(?:ok|okay|right|thanks)[,.!]?\s+)?(and|also|what about|how about|same (for|question)|what if|but what|then what)\b",
    re.I,
)


def is_follow_up(text: str, max_words: int = default_of("query_follow_up_max_words")) -> bool:
    """A short question that leans on the previous one ("and for under-16s?")."""
    words = text.split()
    return len(words) <= max_words and bool(_FOLLOW_UP.search(text))


# A word that points back at something said before ("can we do it at the desk?", "been through them all"); not
# "that" or "this", which as often begin a clause ("a practice that never switched on")
BACK_REFERENCE = re.compile(r"(?<!\b[Ii]s )\b(?:it(?! is\b|'s\b)|those|these|them)\b")  # lower case: not "IT"; not "is it", "it is"


def continues_thread(text: str, tuning: RetrievalSettings) -> bool:
    """In a thread: does this message lean on the previous question? A follow-up (above), any message of at most
    QUERY_THREAD_MAX_WORDS words, one of at most QUERY_THREAD_BACK_REFERENCE_MAX_WORDS that points back, or one of
    any length that opens by carrying on ("and…", "ok and…", "what about…")."""
    words = len(text.split())
    return (is_follow_up(text, tuning.query_follow_up_max_words) or words <= tuning.query_thread_max_words
            or (words <= tuning.query_thread_back_reference_max_words and bool(BACK_REFERENCE.search(text)))
            or bool(_CONTINUES.match(text)))


_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in guard.PLACEHOLDERS.values()))


def prepare_query(text_redacted: str, glossary: Glossary, history: Sequence[str] = (),
                  tuning: RetrievalSettings | None = None) -> PreparedQuery:
    """`text_redacted` is plain text (a chat surface removes its own markup first) that has been through the
    identifier guard; its placeholders carry no meaning for retrieval, so they are dropped from what is
    searched (the recorded question keeps them). `tuning`: the follow-up word limits (default: the defaults)."""
    tuning = tuning or RetrievalSettings.model_construct()
    clean = _SPACES.sub(" ", text_redacted).strip()
    searchable = glossary.spell_out(_SPACES.sub(" ", _PLACEHOLDER.sub(" ", clean)).strip(" ,;:-"))
    retrieval_text, own_text = searchable, ""
    # in a thread, a short message leans on the one before it even without "that"/"it"
    if history and continues_thread(searchable, tuning):
        earlier = glossary.spell_out(_SPACES.sub(" ", _PLACEHOLDER.sub(" ", history[-1])).strip())
        retrieval_text, own_text = f"{switch_system(earlier, searchable)} {searchable}", searchable
    return PreparedQuery(
        raw=text_redacted,
        text=clean,
        retrieval_text=retrieval_text,
        expanded=glossary.expand(retrieval_text),
        systems=detect_systems(retrieval_text),
        glossary_terms=glossary.matches(retrieval_text),
        own_text=own_text,
        own_expanded=glossary.expand(own_text) if own_text else "",
    )
