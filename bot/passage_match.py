"""How one candidate passage meets the question: the cosines (of the question's vector, and of its vector moved by
the query adapter when the index has one), the lexical, heading and clinical-system evidence both
rerankers read (`bot.retrieval.FeatureReranker` sums it with hand weights, `bot.fitted_reranker` turns it into
model features), worked out once per candidate so the formulas live in one place and each passage's text is
analysed once per question.

Owns `PassageMatch`, `passage_matches` and `heading_mismatch`. Imports `bot.index` (the analyser) and
`bot.types`; it must not import `bot.retrieval` (which imports it), the answerers, the pipeline or the Slack layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from bot.index import analyze
from bot.types import ScoredChunk

if TYPE_CHECKING:
    from bot.query import PreparedQuery


@dataclass(frozen=True)
class PassageMatch:
    """One candidate against the question. Shares are of the question's own terms (its retrieval text, `core`)
    or of its glossary expansions, held by the passage's text and/or by its title and headings (`head`)."""

    cosine: float  # the question's vector to the passage's own text
    adapted_cosine: float | None  # the question's adapted vector to it (None: the index has no query adapter)
    lexical: float  # share of the core terms in text, title and headings
    lexical_idf: float  # the same, weighted by the index's idf
    expansion: float  # share of the expansions in text, title and headings (0: no expansions)
    expansion_head: float  # share of the expansions in title and headings (0: no expansions)
    title: float  # share of the core terms in title and headings
    heading_mismatch: float  # `heading_mismatch` of title and headings against core terms and expansions
    system_match: bool  # about the clinical system the question names
    other_system: bool  # about another clinical system than the one the question names (not "any")


def passage_matches(query: PreparedQuery, query_vector: np.ndarray, candidates: list[ScoredChunk],
                    vectors: dict[str, np.ndarray], idf: Callable[[str], float] | None = None) -> list[PassageMatch]:
    """One `PassageMatch` per candidate, in the pool's order. `vectors`: chunk id -> the passage's unit vector (a
    candidate without one keeps its dense score as cosine); `idf`: the index's inverse document frequency of an
    analysed term (None: every term weighs the same)."""
    weight = idf or (lambda term: 1.0)
    terms, core = set(analyze(query.expanded)), set(analyze(query.retrieval_text))
    expansion, core_weight, named = terms - core, sum(weight(t) for t in core) or 1.0, set(query.systems)
    adapted = query.adapted_vector
    out = []
    for cand in candidates:
        chunk, vector = cand.chunk, vectors.get(cand.chunk.chunk_id)
        body, head = set(analyze(chunk.text)), set(analyze(" ".join([chunk.title, *chunk.heading_path])))
        held, systems = core & (body | head), set(chunk.clinical_systems)
        match = bool(named) and bool(systems & named)
        out.append(PassageMatch(
            cosine=float(vector @ query_vector) if vector is not None else (cand.dense or 0.0),
            adapted_cosine=float(vector @ adapted) if vector is not None and adapted is not None else None,
            lexical=len(held) / max(1, len(core)),
            lexical_idf=sum(weight(t) for t in held) / core_weight,
            expansion=len(expansion & (body | head)) / len(expansion) if expansion else 0.0,
            expansion_head=len(expansion & head) / len(expansion) if expansion else 0.0,
            title=len(core & head) / max(1, len(core)),
            heading_mismatch=heading_mismatch(head, terms, weight),
            system_match=match,
            other_system=bool(named) and not match and bool(systems) and "any" not in systems))
    return out


def heading_mismatch(head: set[str], question: set[str], idf: Callable[[str], float]) -> float:
    """The idf-weighted share of a passage's title and heading terms that the question (with its glossary
    expansions) does not hold: a page on another subject names that subject in its title. 0 when the passage has
    no heading terms; a share, so it does not grow with the corpus."""
    total = sum(idf(t) for t in head)
    return sum(idf(t) for t in head - question) / total if total > 0 else 0.0
