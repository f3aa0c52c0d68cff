"""The unit scorer: how likely an answer unit (sentence, bullet, whole list) of the retrieved passages is
evidence for the answer, from features of the unit, its passage and the question.

Owns `UNIT_FEATURES` and `unit_features` (one row of numbers per unit). The extractive answerer weighs the
rows by hand (`bot.answer`); `eval/fit_unit_scorer.py` fits a logistic regression on the same rows and
measures it (`eval/unit_scorer.md`: it did not beat the hand weights, so the bot does not ship one). Every feature is a share, a cosine, a rank or a
flag of one question's own candidates, so none grows with the number of documents indexed.
Imports `bot.units`, `bot.types` and the index's `analyze`; it must not import the answerers, the pipeline,
retrieval or the Slack layer.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from bot.index import analyze
from bot.settings import default_of
from bot.specifics import specifics
from bot.types import ScoredChunk
from bot.units import CROSS_REFERENCE, Unit, split_units, unit_key

UNIT_FEATURES = (
    "cover",  # idf-weighted share of the question's terms the unit holds (a list: its best item)
    "list_cover",  # the same for the whole unit (a list: all its items together)
    "cover_gap",  # cover minus the best cover among the question's candidate units
    "expansion",  # idf-weighted share (of the question's weight) of its glossary expansions the unit holds
    "semantic",  # cosine of the unit (vector stored at ingest) to the question; without a vector: ANSWER_NO_VECTOR_SHARE of its list-adjusted cover
    "semantic_gap",  # semantic minus the best semantic among the candidates
    "heading_cover",  # share of the question's terms in the passage's heading path
    "rank_prior",  # 1 / (1 + the passage's retrieval rank)
    "doc_prior",  # 1 / (1 + the rank of the passage's document among the documents retrieved)
    "score_gap",  # the passage's retrieval score minus the best passage's
    "passage_dense",  # cosine of the question to the passage's own text
    "section_question",  # how far above ANSWER_QUESTION_FLOOR the cosine to the nearest of its section's questions is (0: none)
    "position",  # the unit's place in its passage / 10
    "document_lead",  # the first sentence of a document
    "is_list",  # a whole numbered list, or a lead-in with its bullets
    "bullet",  # one bulleted item
    "lead_in",  # a sentence ending in ':' (says little without what follows)
    "cross_reference",  # a pointer elsewhere ("see the … document")
    "length",  # log of the unit's characters
    "numbers",  # share of the question's numbers, codes and dates (bot.specifics) the unit holds; 0 when it names none
)

def _cover(terms: set[str], wanted: set[str], idf: Callable[[str], float], weight: float) -> float:
    return sum(idf(t) for t in wanted & terms) / weight


def unit_features(query, results: Sequence[ScoredChunk], idf: Callable[[str], float],
                  stored: dict | None = None, *, list_rest_share: float = default_of("answer_list_rest_share"),
                  no_vector_share: float = default_of("answer_no_vector_share"),
                  question_floor: float = default_of("answer_question_floor")) -> tuple[list[Unit], np.ndarray]:
    """The answer units of `results` (in order) and their feature rows (columns: UNIT_FEATURES).
    `query` a PreparedQuery (its `vector` may be None); `stored`: chunk id -> {unit key -> vector}.
    Sets each unit's `covers` (the question's terms it holds, each with its share of the question's weight)."""
    core = set(analyze(query.retrieval_text))
    expansion = set(analyze(query.expanded)) - core
    weight = sum(idf(t) for t in core) or 1.0
    numbers = specifics(query.retrieval_text).facts()
    vector = getattr(query, "vector", None)
    stored = stored or {}
    top = max((r.score for r in results), default=0.0)
    doc_rank: dict[str, int] = {}
    units: list[Unit] = []
    rows: list[list[float]] = []
    for rank, result in enumerate(results):
        chunk = result.chunk
        doc_rank.setdefault(chunk.doc_id, len(doc_rank))
        heading_cover = _cover(set(analyze(" ".join(chunk.heading_path))), core, idf, weight)
        dense = result.passage_dense if result.passage_dense is not None else (result.dense or 0.0)
        question = max(0.0, result.question - question_floor) if result.question is not None else 0.0
        vectors = stored.get(chunk.chunk_id, {})
        for unit in split_units(chunk, rank):
            pieces = unit.text.splitlines() if unit.is_list else [unit.text]
            piece_terms = [set(analyze(p)) for p in pieces]
            all_terms = set().union(*piece_terms)
            cover = max(_cover(t, core, idf, weight) for t in piece_terms)
            list_cover = _cover(all_terms, core, idf, weight)
            unit.covers = {t: idf(t) / weight for t in core & all_terms}
            unit_vector = vectors.get(unit_key(unit.text))
            semantic = (float(unit_vector @ vector) if unit_vector is not None and vector is not None
                        else no_vector_share * (cover + list_rest_share * (list_cover - cover)))
            rows.append([
                cover, list_cover, 0.0,
                max(_cover(t, expansion, idf, weight) for t in piece_terms),
                semantic, 0.0, heading_cover, 1.0 / (rank + 1), 1.0 / (doc_rank[chunk.doc_id] + 1),
                result.score - top, dense, question, unit.position / 10,
                float(unit.lead), float(unit.is_list), float(unit.bullet), float(unit.text.rstrip().endswith(":")),
                float(bool(CROSS_REFERENCE.search(unit.text))), math.log(1 + len(unit.text)),
                len(numbers & specifics(unit.text).facts()) / len(numbers) if numbers else 0.0,
            ])
            units.append(unit)
    return units, with_gaps(np.asarray(rows, dtype=float).reshape(len(rows), len(UNIT_FEATURES)))


def with_gaps(x: np.ndarray) -> np.ndarray:
    """`x` (feature rows) with its gap columns set: each unit's cover and semantic score less the best unit's."""
    if len(x):
        for gap, of in (("cover_gap", "cover"), ("semantic_gap", "semantic")):
            column = x[:, UNIT_FEATURES.index(of)]
            x[:, UNIT_FEATURES.index(gap)] = column - column.max()
    return x
