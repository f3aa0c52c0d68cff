#!/usr/bin/env python3
"""Query-side retrieval methods for chatty staff messages (issue 10, item 3), measured by 5-fold cross-validation
on the question bank's dev split, grouped by question.

    export PYTHONPATH=$PWD && .venv/bin/python eval/query_side_cv.py [--seeds 7 1 2 3 4] [--families parts ...] \
        [--questions OTHER.jsonl ...]

Needs a built index (gpbot ingest knowledge). Uses the `dev` split ONLY. Every method is applied here, around the
real assistant (`bot.pipeline.build_assistant`), without changing the product; a method that wins is then moved
into bot/query.py (query preparation moved there in session 10). Families (each a small grid; the first row of every family is today's retrieval):
  parts     the message split into sentences/clauses (`parts_of`), each embedded (one batch); the retrieval
            vector is the whole-message vector plus W times the parts' mean weighted by softmax(closeness / T),
            closeness = a part's best cosine to any passage or section question (chatter is far from the corpus,
            so it weighs little: a data-derived test, no word list).
  qparts    the section-question similarity of a chunk is the max over the whole message and its parts (a part
            counting MARGIN less): staff-worded corpus questions are short, like one part of a long message.
  rocchio   pseudo-relevance feedback: the vector moved BETA towards the mean of its K nearest section questions.
  fillq     every candidate in the fused pool gets its section questions' similarity (read from the index for
            the candidates the question search did not reach: keyword-only hits, passages below its top 30), so
            the reranker compares like with like.
  parts_lex the parts vector jointly with the reranker's lexical (or dense) weight re-chosen: those weights were
            tuned for the whole-message vector.
  glossary  the dense side also reads the glossary expansions (knowledge/glossary.yaml) the keyword side gets:
            the vector is the whole message's plus W times that of the message with its expansions appended
            (`PreparedQuery.expanded`; W=99: the expanded message alone).
  bm25w     the keyword side weights each query term by min(1, (passage share / staff-question share) ** ALPHA):
            words the corpus's staff-worded questions use far more often than its passages do (chatter) count
            less. Shares from the index (passages) and its section questions; no word list.
For each setting: retrieval (the first passage holding every must-contain string: top-1 / top-3 of the answerable
questions) and end to end (must-contain, citation precision, declines of must-decline questions, wrong declines,
counted as ../shared/eval/score.py counts them). Held out: on 4/5 of the questions the family's setting with the
most must-contain (then citations, declines, fewest wrong declines, then today's) is chosen and the other 1/5
counted under it. The decline model is not refitted per setting (it would be after shipping one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.cli import jsonl_record  # noqa: E402
from bot.evaluation import normalised as norm  # noqa: E402  (score.py's rules)
from bot.index import analyze  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cv_common import FOLDS, dev_questions, held_out, score_row  # noqa: E402  (eval/ is on the path)

# A part ends at sentence punctuation, a spaced dash or a line break; one with fewer analysed terms joins the next.
_BREAK = re.compile(r"(?<=[.?!;:])\s+|\s+[–—-]+\s+|\n+")
PART_MIN_TERMS = 2

GRIDS = {
    "parts": [{}] + [{"T": t, "W": w} for t in (0.05, 0.1) for w in (0.5, 1.0)],
    "qparts": [{}] + [{"MARGIN": m} for m in (0.0, 0.06, 0.1)],
    "rocchio": [{}] + [{"K": k, "BETA": b} for k in (1, 3) for b in (0.15, 0.3)],
    "bm25w": [{}] + [{"ALPHA": a} for a in (0.5, 1.0)],
    "fillq": [{}, {"FILL": 1}],
    "parts_lex": [{}] + [{"T": 0.1, "W": w, "rerank_lexical_weight": x} for w in (0.0, 0.5) for x in (0.3, 0.6)]
                 + [{"T": 0.1, "W": 0.5, "rerank_dense_weight": 1.3}],
    "glossary": [{}] + [{"W": w} for w in (0.5, 1.0, 99.0)],
}


def parts_of(text: str) -> list[str]:
    raw = [p.strip(" ,;:-–—") for p in _BREAK.split(text) if p.strip(" ,;:-–—")]
    out: list[str] = []
    carry = ""
    for piece in raw:
        piece = f"{carry} {piece}".strip()
        if len(analyze(piece)) < PART_MIN_TERMS:
            carry = piece
            continue
        out.append(piece)
        carry = ""
    if carry:
        out[-1:] = [f"{out[-1]} {carry}" if out else carry]
    return out


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x)).astype(np.float32)


class Methods:
    """The assistant with its retriever wrapped so one setting of one family applies to every question."""

    def __init__(self):
        from bot.pipeline import build_assistant

        self.assistant = build_assistant(Settings())
        self.assistant.warm_up()
        index = self.assistant.index
        self.store, self.embedder = index.store, index.embedder
        self._retrieve = self.assistant.retriever.retrieve
        self._question_search = index.question_search
        self._keyword_search = index.keyword_search
        self.assistant.retriever.retrieve = self.retrieve
        index.question_search = self.question_search
        index.keyword_search = self.keyword_search
        self.family, self.params, self.parts = "", {}, None
        reranker = self.assistant.retriever.reranker
        self._rerank = reranker.rerank
        reranker.rerank = self.rerank
        self.term_weight = self._chatter_weights(index)

    @staticmethod
    def _chatter_weights(index) -> dict[str, float]:
        """term -> passage share / staff-question share (only terms the section questions use)."""
        got = index.store.questions.get(include=["documents"])
        questions = [set(analyze(q)) for q in got["documents"]]
        chunks = max(1, index.count())
        counts: dict[str, int] = {}
        for terms in questions:
            for t in terms:
                counts[t] = counts.get(t, 0) + 1
        return {t: (index.document_frequency(t) / chunks + 1e-3) / (n / len(questions) + 1e-3)
                for t, n in counts.items()}

    def use(self, family: str, params: dict) -> None:
        self.family, self.params = family, params
        reranker = self.assistant.retriever.reranker
        reranker.tuning = self.assistant.settings.retrieval.model_copy(
            update={k: v for k, v in params.items() if k.startswith("rerank_")})

    def closeness(self, vectors: np.ndarray) -> np.ndarray:
        rows = [list(map(float, v)) for v in vectors]
        passages = self.store.chunks.query(query_embeddings=rows, n_results=1, include=["distances"])["distances"]
        questions = self.store.questions.query(query_embeddings=rows, n_results=1, include=["distances"])["distances"]
        return np.array([max(1 - p[0], 1 - q[0]) for p, q in zip(passages, questions)])

    def retrieve(self, query, *, k=6, mode="hybrid", query_vector=None):
        p, vector = self.params, query_vector
        self.parts = None
        if p and self.family in ("parts", "qparts", "parts_lex"):
            parts = parts_of(query.retrieval_text)
            if len(parts) > 1:
                self.parts = self.embedder.embed(parts)
        if p and self.family in ("parts", "parts_lex") and self.parts is not None:
            closeness = self.closeness(self.parts)
            share = np.exp((closeness - closeness.max()) / p["T"])
            vector = unit(query_vector + p["W"] * (share / share.sum()) @ self.parts)
        if p and self.family == "rocchio":
            got = self.store.questions.query(query_embeddings=[list(map(float, query_vector))], n_results=p["K"],
                                             include=["embeddings"])
            vector = unit(query_vector + p["BETA"] * np.asarray(got["embeddings"][0]).mean(0))
        if p and self.family == "glossary" and query.expanded != query.retrieval_text:
            vector = unit(query_vector + p["W"] * self.embedder.embed_query(query.expanded))
        return self._retrieve(query, k=k, mode=mode, query_vector=vector)

    def rerank(self, query, query_vector, candidates, vectors):
        if self.params and self.family == "fillq":
            missing = [c.chunk.chunk_id for c in candidates if c.question is None]
            if missing:
                got = self.store.questions.get(where={"chunk_id": {"$in": missing}}, include=["embeddings", "metadatas"])
                best: dict[str, float] = {}
                for meta, vector in zip(got["metadatas"], got["embeddings"]):
                    similarity = float(np.asarray(vector) @ query_vector)
                    best[meta["chunk_id"]] = max(best.get(meta["chunk_id"], -1.0), similarity)
                candidates = [c.model_copy(update={"question": best[c.chunk.chunk_id]})
                              if c.chunk.chunk_id in best else c for c in candidates]
        return self._rerank(query, query_vector, candidates, vectors)

    def question_search(self, query_vector, k):
        best = self._question_search(query_vector, k)
        if self.params and self.family == "qparts" and self.parts is not None:
            for part in self.parts:
                for chunk_id, similarity in self._question_search(part, k).items():
                    best[chunk_id] = max(best.get(chunk_id, -1.0), similarity - self.params["MARGIN"])
        return best

    def keyword_search(self, text, k):
        if not (self.params and self.family == "bm25w"):
            return self._keyword_search(text, k)
        derived = self.assistant.index.derived()
        bm25 = derived.keyword._retriever
        terms = [t for t in analyze(text) if t in bm25.vocab_dict]
        if not terms:
            return []
        scores = sum(min(1.0, self.term_weight.get(t, 1.0)) ** self.params["ALPHA"] * bm25.get_scores([t])
                     for t in terms)
        top = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        ids = derived.keyword.ids
        chunks = {c.chunk_id: c for c in self.assistant.index.get_chunks([ids[i] for i in top])}
        from bot.types import ScoredChunk
        return [ScoredChunk(chunk=chunks[ids[i]], score=float(scores[i]), keyword=float(scores[i]))
                for i in top if ids[i] in chunks]

    def measure(self, item: dict) -> np.ndarray:
        """[must-contain, cites a source, must-decline declined, answerable declined, top-1, top-3]."""
        a = self.assistant
        history = item.get("history") or []
        rank = 99
        if item.get("must_contain") and not item.get("expect_refusal"):
            _, query = a.prepare(item["question"], history)
            query.vector = a.index.embedder.embed_query(query.retrieval_text)
            results = a.retriever.retrieve(query, k=a.settings.retrieval.retrieval_context_passages,
                                         query_vector=query.vector).results
            rank = next((i for i, r in enumerate(results, 1)
                         if all(norm(s) in norm(r.chunk.text) for s in item["must_contain"])), 99)
        answer = a.answer(item["question"], history=history)
        return np.r_[score_row(item, jsonl_record(item["id"], answer))[:4], rank == 1, rank <= 3].astype(int)


def describe(t) -> str:
    return (f"top-1 {t[4]}, top-3 {t[5]}, must {t[0]}, cite {t[1]}, declines {t[2]}, wrong declines {t[3]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=list(GRIDS), choices=list(GRIDS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--questions", type=Path, nargs="+",
                        help="other question files (every line; not the bank) to check the same settings on")
    args = parser.parse_args()
    if args.questions:
        items = [json.loads(l) for f in args.questions for l in f.read_text().splitlines() if l.strip()]
    else:
        items = dev_questions()
    ids = [q["id"] for q in items]
    methods = Methods()
    for family in args.families:
        table = []
        for params in GRIDS[family]:
            methods.use(family, params)
            rows = {q["id"]: methods.measure(q) for q in items}
            table.append(rows)
            label = " ".join(f"{k}={v}" for k, v in params.items()) or "today"
            print(f"{family} {label}: {describe(sum(rows.values()))}", flush=True)
        runs = [sum(table[best][i] for best, test in held_out(table, ids, seed, FOLDS) for i in test)
                for seed in args.seeds]
        for seed, t in zip(args.seeds, runs):
            print(f"{family} held out (seed {seed}): {describe(t)}")
        if len(runs) > 1:
            print(f"{family} held out, mean of {len(runs)} seeds: " + describe([f"{x:.1f}" for x in np.mean(runs, 0)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
