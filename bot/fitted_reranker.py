"""The fitted reranker (opt-in, RERANKER=fitted): orders the retriever's candidate pool by a learned linear model.

Owns `RERANK_FEATURES`, `candidate_features` (one row of numbers per candidate of one question) and
`FittedReranker` (the `bot.retrieval.Reranker` protocol). The shipped weights are fitted in two stages by
`eval/fit_reranker_sq.py --write-stacked` (our section questions, then dev; pairwise logistic regression,
scikit-learn, a dev dependency; `eval/fit_reranker.py --write` fits on dev alone and overwrites them) and shipped
in `bot/reranker_model.json`; here
they are applied with numpy only. Every feature is a share, a cosine, a reciprocal rank within the pool or a
flag, so none grows with the number of documents indexed; section questions (knowledge/questions.yaml) enter only
as features that are 0 (with `question_absent` 1) for a passage that has none, so documents ingested from
elsewhere are ranked by the rest.

The model orders the pool; the scores it hands on (`score`, `dense`, `passage_score`, `passage_dense`) stay on
the hand reranker's scale (`bot.retrieval.FeatureReranker`), so the decline model and the answerer read the scale
they were fitted and tuned on: `dense` and the `passage_*` values are the hand reranker's, and `score` (read by the
answerer as the gap to the best passage) starts at the pool's best hand score and falls by the fitted score's
gaps times the model's `slope`. A pool in which no section question was matched (an index of documents ingested
from elsewhere) is ordered by the hand reranker: the model ranked such pools worse. Not the default (setting
RERANKER): eval/reranker_trials.md has the measurements. It was fitted before the query adapter (session 10) and
has no feature for it: the adapter reaches its order only through the hand scores of a pool without section-question
matches, and its `slope` was fitted on hand scores without the adapter's term (refit before making it the default).
The per-passage evidence (shares, cosines, system match) is `bot.passage_match`'s, shared with the hand
reranker. Imports `bot.retrieval`, `bot.passage_match` and `bot.settings`; it must not import the
answerers, the pipeline or the Slack layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from bot.passage_match import PassageMatch, passage_matches
from bot.retrieval import FeatureReranker
from bot.settings import RetrievalSettings
from bot.types import ScoredChunk

MODEL_PATH = Path(__file__).with_name("reranker_model.json")

RERANK_FEATURES = (
    "passage_cosine",  # cosine of the question to the passage's own text
    "passage_cosine_gap",  # that minus the best passage cosine in the pool
    "question",  # cosine to the nearest of the passage's section questions (0: none found)
    "question_gap",  # that minus the best such cosine in the pool (0: none found)
    "question_absent",  # 1 when no section question of the passage was found (always, on an index without them)
    "lexical",  # share of the question's own terms the passage (text, title, headings) holds
    "lexical_idf",  # the same weighted by the index's idf
    "expansion",  # share of the question's glossary expansions the passage holds (0: none)
    "title",  # share of the question's own terms in the passage's title and headings
    "heading_mismatch",  # idf-weighted share of the title and heading terms the question does not hold
    "system_match",  # the passage is about the clinical system the question names
    "other_system",  # the passage is about another clinical system than the one the question names
    "keyword_rr",  # 1 / the passage's rank in the pool by BM25 score (0: the keyword search did not find it)
    "dense_rr",  # 1 / its rank in the pool by cosine to passage or section question (0: not found densely)
    "lead",  # the passage is its document's first
)


def _reciprocal_ranks(values: list[float | None]) -> list[float]:
    order = sorted((i for i, v in enumerate(values) if v is not None), key=lambda i: values[i], reverse=True)
    out = [0.0] * len(values)
    for rank, i in enumerate(order, start=1):
        out[i] = 1.0 / rank
    return out


def candidate_features(query, query_vector: np.ndarray, candidates: list[ScoredChunk],
                       vectors: dict[str, np.ndarray], idf: Callable[[str], float] | None = None,
                       matches: list[PassageMatch] | None = None) -> np.ndarray:
    """The feature rows (columns: RERANK_FEATURES) of one question's candidate pool, in the pool's order.
    `matches`: the candidates' `passage_matches`, when the caller has worked them out already."""
    if matches is None:
        matches = passage_matches(query, query_vector, candidates, vectors, idf)
    cosines = [m.cosine for m in matches]
    questions = [c.question for c in candidates]
    best_cosine = max(cosines, default=0.0)
    best_question = max((q for q in questions if q is not None), default=0.0)
    keyword_rr = _reciprocal_ranks([c.keyword for c in candidates])
    dense_rr = _reciprocal_ranks([
        max(c.dense if c.dense is not None else -1.0, c.question if c.question is not None else -1.0)
        if c.dense is not None or c.question is not None else None for c in candidates])
    rows = []
    for i, (cand, m) in enumerate(zip(candidates, matches)):
        question = questions[i]
        rows.append([
            m.cosine, m.cosine - best_cosine,
            question if question is not None else 0.0,
            question - best_question if question is not None else 0.0,
            float(question is None),
            m.lexical, m.lexical_idf, m.expansion, m.title, m.heading_mismatch,
            float(m.system_match), float(m.other_system),
            keyword_rr[i], dense_rr[i],
            float(cand.chunk.chunk_index == 0),
        ])
    return np.asarray(rows, dtype=float).reshape(len(rows), len(RERANK_FEATURES))


@dataclass
class LinearRanking:
    """A ranking score fitted on standardised features: coef . (x - mean) / scale (no intercept: only the order
    within one question's pool matters), plus `hand` times the hand reranker's score. `slope`: hand-reranker score
    per unit of this score (least squares within each training question's pool), or None to hand on the hand
    reranker's scores unchanged."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    slope: float | None = None
    hand: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> "LinearRanking":
        if tuple(data.get("features", ())) != RERANK_FEATURES:
            raise ValueError("reranker model was fitted on other features: re-run "
                             "eval/fit_reranker_sq.py --write-stacked")
        slope = data.get("slope")
        return cls(np.asarray(data["mean"], dtype=float), np.asarray(data["scale"], dtype=float),
                   np.asarray(data["coef"], dtype=float), float(slope) if slope is not None else None,
                   float(data.get("hand", 0.0)))

    def scores(self, x: np.ndarray, hand: np.ndarray | None = None) -> np.ndarray:
        """`hand`: the hand reranker's scores of the same rows (needed when the model weighs them)."""
        learned = ((x - self.mean) / self.scale) @ self.coef
        return learned + self.hand * hand if self.hand else learned


def hand_without_fusion(tuning: RetrievalSettings, idf) -> FeatureReranker:
    """The hand reranker as the model was fitted on it: without RERANK_FUSION_WEIGHT's bonus (added after the
    model), so the model's inputs and the scores it hands on keep their scale. Fit scripts use it too."""
    return FeatureReranker(tuning.model_copy(update={"rerank_fusion_weight": 0.0}), idf=idf)


@dataclass
class FittedReranker:
    """Scores the pool as the hand reranker does, then orders it by the fitted model (`bot/reranker_model.json`,
    or `model` given) when any candidate matched a section question (else the hand order stands, unless
    `hand_without_questions` is off: eval/fit_reranker_sq.py measures a model on such pools).
    `question_margin` is the hand reranker's (the retriever's dense side reads it)."""

    tuning: RetrievalSettings = field(default_factory=RetrievalSettings.model_construct)
    idf: Callable[[str], float] | None = None
    model: LinearRanking | None = None
    hand_without_questions: bool = True

    def __post_init__(self):
        if self.model is None:
            self.model = LinearRanking.from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
        self.hand = FeatureReranker(self.tuning, idf=self.idf)
        self.unfused = hand_without_fusion(self.tuning, self.idf)

    @property
    def question_margin(self) -> float:
        return self.hand.question_margin

    def rerank(self, query, query_vector, candidates, vectors):
        if not candidates:
            return []
        matches = passage_matches(query, query_vector, candidates, vectors, self.idf)  # once, for both orders
        if self.hand_without_questions and all(c.question is None for c in candidates):
            # no section question matched (an index of documents ingested from elsewhere has none): the model,
            # fitted where they exist, ranked such pools worse than the hand sum (eval/reranker_trials.md)
            return self.hand.rerank(query, query_vector, candidates, vectors, matches)
        scored = {c.chunk.chunk_id: c for c in self.unfused.rerank(query, query_vector, candidates, vectors, matches)}
        learned = self.model.scores(candidate_features(query, query_vector, candidates, vectors, matches=matches),
                                    np.array([scored[c.chunk.chunk_id].score for c in candidates]))
        order = sorted(range(len(candidates)), key=lambda i: learned[i], reverse=True)
        out = [scored[candidates[i].chunk.chunk_id] for i in order]
        if self.model.slope is not None:
            # the order's own score on the hand reranker's scale: the first passage keeps the pool's best hand score
            # (what the confidence shown reads), the others fall behind it by the fitted score's gaps
            top = max(c.score for c in out)
            out = [c.model_copy(update={"score": float(top + self.model.slope * (learned[i] - learned[order[0]]))})
                   for c, i in zip(out, order)]
        return out
