"""Hybrid retrieval of a prepared question (`bot.query`): keyword (BM25) + dense (Chroma, with the section
questions as extra vectors), fused, reranked.

Knows nothing about Slack. Talks to the index only through `bot.index.Index`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable, Literal, Protocol, Sequence

import numpy as np

from bot.index import Index
from bot.passage_match import PassageMatch, passage_matches
from bot.query import PreparedQuery
from bot.settings import RetrievalSettings, default_of
from bot.types import Chunk, ScoredChunk

Mode = Literal["bm25", "dense", "hybrid"]

# ------------------------------------------------------------------------------------------
# Fusion and reranking
# ------------------------------------------------------------------------------------------
def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = default_of("retrieval_rrf_k"), weights: Sequence[float] | None = None) -> dict[str, float]:
    """RRF: sum over rankings of weight / (k + rank). Ranks start at 1."""
    fused: dict[str, float] = {}
    weights = weights or [1.0] * len(rankings)
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


class Reranker(Protocol):
    """Re-scores a bounded candidate pool. A cross-encoder would slot in here; none installs offline
    from PyPI with bundled weights (see README), so the default uses bi-encoder and lexical features."""

    def rerank(self, query: PreparedQuery, query_vector: np.ndarray, candidates: list[ScoredChunk], vectors: dict[str, np.ndarray]) -> list[ScoredChunk]: ...


@dataclass
class FeatureReranker:
    """Score = cosine(query, chunk) + lexical coverage of the query's terms + system match - the share of the
    passage's title and headings the question does not name (`heading_mismatch`) - how far the adapted question
    vector's cosine falls below the pool's best (when the index has a query adapter), read from each candidate's
    `PassageMatch` (bot/passage_match.py), + a little for its place in the fused order the candidates come in.

    Weights: settings RERANK_* (bot/settings/answering.py), each saying how it was chosen. `idf`: the index's
    inverse document frequency of an analysed term (None: every term weighs the same)."""

    tuning: RetrievalSettings = field(default_factory=RetrievalSettings.model_construct)
    idf: Callable[[str], float] | None = None

    @property
    def question_margin(self) -> float:
        return self.tuning.rerank_question_margin

    def rerank(self, query, query_vector, candidates, vectors, matches: list[PassageMatch] | None = None):
        """`matches`: the candidates' `passage_matches`, when the caller has worked them out already."""
        t = self.tuning
        if matches is None:
            matches = passage_matches(query, query_vector, candidates, vectors, self.idf)
        out = []
        adapted = [m.adapted_cosine for m in matches if m.adapted_cosine is not None]
        # a candidate without a stored vector (an ingest under way) counts as the pool's farthest
        best_adapted, worst_adapted = max(adapted, default=0.0), min(adapted, default=0.0)
        # the candidates come in the fused keyword-and-dense order: a small bonus for a place near its top
        for place, (cand, m) in enumerate(zip(candidates, matches)):
            cosine = m.cosine
            if cand.question is not None:  # a section question worded like this one stands for the chunk
                cosine = max(cosine, cand.question - self.question_margin)
            lexical = (1 - t.rerank_expansion_share) * m.lexical + t.rerank_expansion_share * m.expansion
            title = m.title + t.rerank_title_expansion_weight * m.expansion_head
            score = t.rerank_dense_weight * cosine + t.rerank_lexical_weight * lexical + t.rerank_title_weight * title
            if t.rerank_heading_mismatch_weight:
                score -= t.rerank_heading_mismatch_weight * m.heading_mismatch
            if m.system_match:
                score += t.rerank_system_bonus
            elif m.other_system:
                score -= t.rerank_other_system_penalty
            if adapted:  # how far below the pool's best the adapted question vector puts it
                score -= t.rerank_adapter_weight * (best_adapted - (m.adapted_cosine if m.adapted_cosine is not None
                                                                    else worst_adapted))
            own = score - t.rerank_dense_weight * (cosine - m.cosine)  # the passage's own text, no question match
            score += t.rerank_fusion_weight / (1 + place)
            out.append(cand.model_copy(update={"score": score, "dense": cosine, "passage_dense": m.cosine,
                                               "passage_score": own}))
        out.sort(key=lambda c: c.score, reverse=True)
        return out


def topic_of(chunk: Chunk) -> tuple[str, ...]:
    """What the per-document cap counts a passage against: its document, or, for a passage under a sub-heading
    (title > section > sub-section), the document's section it sits in. A long page that covers several topics,
    each with sections of its own (as a guidance hub publishes them), is then capped per topic, while a focused
    document with one level of sections is capped as a whole."""
    path = chunk.heading_path
    return (chunk.doc_id, path[1]) if len(path) >= 3 else (chunk.doc_id,)


def collapse(candidates: list[ScoredChunk], vectors: dict[str, np.ndarray], *,
             per_doc: int = default_of("retrieval_per_document"),
             near_duplicate: float = default_of("retrieval_near_duplicate")) -> list[ScoredChunk]:
    """Drop near-duplicate chunks (cosine ≥ threshold) and keep at most `per_doc` chunks per document topic
    (`topic_of`), and at most twice that per document: a page whose sections all have sub-sections is still
    one page, and must not fill the context on its own."""
    kept: list[ScoredChunk] = []
    per_doc_count: dict[tuple[str, ...], int] = {}
    for cand in candidates:
        doc = topic_of(cand.chunk)
        if per_doc_count.get(doc, 0) >= per_doc or per_doc_count.get((cand.chunk.doc_id, None), 0) >= 2 * per_doc:
            continue
        vector = vectors.get(cand.chunk.chunk_id)
        if vector is not None and any(
            (other := vectors.get(k.chunk.chunk_id)) is not None and float(vector @ other) >= near_duplicate for k in kept
        ):
            continue
        kept.append(cand)
        per_doc_count[doc] = per_doc_count.get(doc, 0) + 1
        page = (cand.chunk.doc_id, None)
        per_doc_count[page] = per_doc_count.get(page, 0) + 1
    return kept


# ------------------------------------------------------------------------------------------
# The retriever
# ------------------------------------------------------------------------------------------
@dataclass
class Retrieval:
    query: PreparedQuery
    query_vector: np.ndarray | None
    results: list[ScoredChunk]  # final context, best first
    candidates: int
    timings_ms: dict[str, float] = field(default_factory=dict)
    # the cosine of the question to the nearest section question in the index (knowledge/questions.yaml); None
    # when the index holds none or they were not searched
    nearest_question_cosine: float | None = None
    # the raw and the adapted question vector's cosine to their nearest passage (None: no dense search, no adapter)
    nearest_passage_cosine: float | None = None
    nearest_adapted_cosine: float | None = None
    top_vector: np.ndarray | None = None  # the best result's stored vector (read for reranking already)

    @property
    def adapter_lift(self) -> float:
        """How far the query adapter moves the nearest passage's cosine (0 without an adapter): a decline feature."""
        if self.nearest_passage_cosine is None or self.nearest_adapted_cosine is None:
            return 0.0
        return self.nearest_adapted_cosine - self.nearest_passage_cosine

    @property
    def top_score(self) -> float:
        return max((r.score for r in self.results), default=0.0)


class Retriever:
    def __init__(self, index: Index, *, reranker: Reranker | None = None, use_questions: bool = True,
                 tuning: RetrievalSettings | None = None):
        """`tuning`: pool, fusion and collapse values (default: the settings' defaults)."""
        tuning = tuning or RetrievalSettings.model_construct()
        self.index = index
        self.use_questions = use_questions
        if reranker is None and tuning.reranker == "fitted":
            from bot.fitted_reranker import FittedReranker  # it builds on FeatureReranker, defined above

            reranker = FittedReranker(tuning, idf=index.idf)
        self.reranker = reranker or FeatureReranker(tuning, idf=index.idf)
        self.pool = tuning.retrieval_pool
        self.rrf_k = tuning.retrieval_rrf_k
        self.per_doc = tuning.retrieval_per_document
        self.near_duplicate = tuning.retrieval_near_duplicate

    def retrieve(self, query: PreparedQuery, *, k: int = 6, mode: Mode = "hybrid", query_vector: np.ndarray | None = None) -> Retrieval:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        if query_vector is None and mode != "bm25":
            query_vector = self.index.embedder.embed_query(query.retrieval_text)
        timings["embed"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        dense = self.index.dense_search(query_vector, self.pool) if mode != "bm25" else []
        nearest_passage = max((h.dense for h in dense if h.dense is not None), default=None)
        nearest_question_cosine = None
        if mode != "bm25" and self.use_questions:
            dense, nearest_question_cosine = self._with_question_hits(dense, query_vector)
        timings["dense"] = (time.perf_counter() - t1) * 1000
        t2 = time.perf_counter()
        keyword = self.index.keyword_search(query.expanded, self.pool) if mode != "dense" else []
        timings["keyword"] = (time.perf_counter() - t2) * 1000

        t3 = time.perf_counter()
        by_id: dict[str, ScoredChunk] = {}
        for hit in [*dense, *keyword]:
            seen = by_id.get(hit.chunk.chunk_id)
            if seen is None:
                by_id[hit.chunk.chunk_id] = hit
            else:
                by_id[hit.chunk.chunk_id] = seen.model_copy(
                    update={"dense": seen.dense if seen.dense is not None else hit.dense,
                            "keyword": seen.keyword if seen.keyword is not None else hit.keyword,
                            "question": seen.question if seen.question is not None else hit.question}
                )
        fused = reciprocal_rank_fusion(
            [[h.chunk.chunk_id for h in dense], [h.chunk.chunk_id for h in keyword]], k=self.rrf_k
        )
        pool_ids = sorted(fused, key=fused.get, reverse=True)[: self.pool]
        candidates = [by_id[i].model_copy(update={"score": fused[i]}) for i in pool_ids]

        # The reranker's score is the evidence measure in every mode; only hybrid mode also orders by it.
        vectors = self.index.vectors(pool_ids)
        if query_vector is None:  # bm25 mode: no dense side, so the reranker needs the query vector
            query_vector = self.index.embedder.embed_query(query.retrieval_text)
        # the question moved by the query adapter (learned from the section questions and verified answers; none when
        # section questions are not used)
        query = replace(query, adapted_vector=self.index.adapted_query(query_vector) if self.use_questions else None)
        nearest_adapted = (next((h.dense for h in self.index.dense_search(query.adapted_vector, 1)), None)
                           if query.adapted_vector is not None else None)
        reranked = self.reranker.rerank(query, query_vector, candidates, vectors)
        if mode == "hybrid":
            ranked = reranked
        else:
            order = {c.chunk.chunk_id: i for i, c in enumerate(
                sorted(candidates, key=lambda c: max(c.dense or 0.0, c.question or 0.0), reverse=True)
                if mode == "dense" else candidates)}
            ranked = sorted(reranked, key=lambda c: order[c.chunk.chunk_id])
        results = collapse(ranked, vectors, per_doc=self.per_doc, near_duplicate=self.near_duplicate)[:k]
        timings["rerank"] = (time.perf_counter() - t3) * 1000
        return Retrieval(query=query, query_vector=query_vector, results=results, candidates=len(candidates),
                         timings_ms=timings, nearest_question_cosine=nearest_question_cosine,
                         nearest_passage_cosine=nearest_passage, nearest_adapted_cosine=nearest_adapted,
                         top_vector=vectors.get(results[0].chunk.chunk_id) if results else None)

    def _with_question_hits(self, dense: list[ScoredChunk],
                            query_vector: np.ndarray) -> tuple[list[ScoredChunk], float | None]:
        """Multi-vector dense retrieval: a chunk is as close as its text or the nearest of its section's
        questions; the dense ranking orders by the closer of the two. Also the nearest question's cosine (None:
        the index holds no section questions)."""
        questions = self.index.question_search(query_vector, self.pool)
        if not questions:
            return dense, None
        margin = getattr(self.reranker, "question_margin", 0.0)
        out = {h.chunk.chunk_id: h for h in dense}
        for chunk_id, similarity in questions.items():
            if chunk_id in out:
                out[chunk_id] = out[chunk_id].model_copy(update={"question": similarity})
        missing = [i for i in questions if i not in out]
        for chunk in self.index.get_chunks(missing):
            out[chunk.chunk_id] = ScoredChunk(chunk=chunk, score=0.0, question=questions[chunk.chunk_id])

        def closeness(hit: ScoredChunk) -> float:
            return max(hit.dense if hit.dense is not None else -1.0,
                       hit.question - margin if hit.question is not None else -1.0)

        ranked = sorted(out.values(), key=closeness, reverse=True)[: self.pool]
        return [h.model_copy(update={"score": closeness(h)}) for h in ranked], max(questions.values())
