#!/usr/bin/env python3
"""Fit the reranker of bot/fitted_reranker.py on the question bank's dev split and measure it honestly.

    export PYTHONPATH=$PWD && .venv/bin/python eval/fit_reranker.py [--seeds 7 1 2] [--measure with without] \
        [--train-on with] [--scores mapped hand] [--write]

The figures it printed, and why the fitted reranker is not the default: eval/reranker_trials.md.
Needs a built index (gpbot ingest knowledge). Uses the `dev` split ONLY; validation is never read here.
1. Every dev question is answered by the real assistant with today's hand reranker (`FeatureReranker`), with and
   without the section-question search (an index of documents ingested from elsewhere has no section
   questions); the candidate pool the retriever hands the reranker (before `collapse`) is recorded, and every
   candidate gets the features of `bot.fitted_reranker.candidate_features`. The pool does not depend on the
   reranker.
2. Label (`relevance`): a candidate is relevant when its text holds ALL the question's must-contain strings AND
   one of the sources it records (per line, else the document's) is one of the question's `sources` by URL tail
   (score.py's rule). The source condition keeps out a passage on another page that shares a common
   must-contain word ("week", "harm"); when no candidate of a question passes it, the question's candidates
   that hold all the strings count instead (the question still says which passages hold its answer).
3. Pairwise logistic regression (scikit-learn, standardised features, no intercept) on within-question
   differences relevant minus other, each question weighing the same, on the pools of --train-on (default: with
   section questions; both was tried and did worse). C (inverse regularisation) is chosen inside the training
   folds by an inner grouped 4-fold CV on top-1 of the pool (grid CS). --scores mapped (shipped): the fitted
   score is handed on, on the hand reranker's scale (slope: least squares of the hand score on the fitted one
   within each training pool); hand: only the order changes, the hand scores are handed on.
4. Outer 5-fold CV grouped by question (eval/cv_common.py's fold assignment, rerank_cv.py's): fit on 4/5, and
   the held-out 1/5 are ranked (top-1/top-3 of the final passages: a passage holds every must-contain string)
   and answered end to end (under each --measure condition), counted as score.py counts them
   (`cv_common.score_row`). Beside today's hand reranker in the same run. The decline model is the shipped one throughout (fitted on the hand reranker's scores).
5. --write: fitted on all dev questions (C chosen by CV on all of them) to bot/reranker_model.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.cli import jsonl_record  # noqa: E402
from bot.evaluation import normalised as norm, url_tail  # noqa: E402  (score.py's rules)
from bot.fitted_reranker import (MODEL_PATH, RERANK_FEATURES, FittedReranker, LinearRanking,  # noqa: E402
                                 candidate_features, hand_without_fusion)
from bot.retrieval import collapse  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cv_common import SCORED, SEED, dev_questions, folds, score_row  # noqa: E402

CS = (0.01, 0.1, 1.0, 10.0)  # inverse regularisation strengths tried inside the folds
INNER_FOLDS = 4
CONDITIONS = ("with", "without")  # retrieval with / without the section-question search


class Recorder:
    """Wraps a reranker and keeps the last pool it was handed (query, query vector, candidates, vectors)."""

    def __init__(self, inner):
        self.inner, self.last = inner, None

    @property
    def question_margin(self) -> float:
        return self.inner.question_margin

    def rerank(self, query, query_vector, candidates, vectors):
        self.last = (query, query_vector, list(candidates), vectors)
        return self.inner.rerank(query, query_vector, candidates, vectors)


def relevance(item: dict, candidates) -> np.ndarray:
    musts = [norm(s) for s in item.get("must_contain") or []]
    wanted = {url_tail(u) for u in item.get("sources") or []}
    holds = np.array([bool(musts) and all(m in norm(c.chunk.text) for m in musts) for c in candidates])
    cited = np.array([bool(wanted & {url_tail(u) for u in recorded_sources(c.chunk)}) for c in candidates])
    return holds & cited if (holds & cited).any() else holds


def recorded_sources(chunk) -> set[str]:
    return {u for _, urls in chunk.line_sources for u in urls} or set(chunk.source_urls)


def fit(pools: dict, keys: list, c: float, mapped: bool = False) -> LinearRanking:
    """`pools`: (condition, question id) -> pool; `keys`: the pools to fit on. Each pool weighs its "w" (default 1)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([pools[k]["x"] for k in keys])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    diffs, weights = [], []
    for k in keys:
        z, y = (pools[k]["x"] - mean) / scale, pools[k]["y"]
        pairs = [(a, b) for a in np.flatnonzero(y) for b in np.flatnonzero(~y)]
        diffs += [z[a] - z[b] for a, b in pairs]
        weights += [pools[k].get("w", 1.0) / len(pairs)] * len(pairs)
    d, w = np.array(diffs), np.array(weights)
    model = LogisticRegression(C=c, max_iter=5000, fit_intercept=False).fit(
        np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
    coef = model.coef_[0]
    if not mapped:
        return LinearRanking(mean, scale, coef)
    # the hand score per unit of the fitted one, within each question's pool (both centred on the pool's mean)
    learned = [((pools[k]["x"] - mean) / scale) @ coef for k in keys]
    learned = np.concatenate([s - s.mean() for s in learned])
    hand = np.concatenate([pools[k]["hand"] - pools[k]["hand"].mean() for k in keys])
    return LinearRanking(mean, scale, coef, float(learned @ hand / (learned @ learned)))


def pool_top1(pools: dict, keys: list, model: LinearRanking) -> int:
    return sum(bool(pools[k]["y"][int(np.argmax(model.scores(pools[k]["x"], pools[k]["hand"])))]) for k in keys)


def choose_c(pools: dict, keys: list, seed: int) -> float:
    """C with the most held-out pool top-1 over an inner 4-fold CV of the training pools grouped by question."""
    ids = sorted({k[1] for k in keys})
    order = np.random.default_rng(seed + 1000).permutation(len(ids))
    inner = [{ids[j] for j in order[f::INNER_FOLDS]} for f in range(INNER_FOLDS)]
    hits = {c: sum(pool_top1(pools, [k for k in keys if k[1] in fold],
                             fit(pools, [k for k in keys if k[1] not in fold], c)) for fold in inner) for c in CS}
    return max(CS, key=lambda c: (hits[c], -abs(np.log10(c))))  # ties: the one nearest 1


def final_hits(item: dict, ranked, vectors, tuning) -> tuple[bool, bool]:
    """Top-1 and top-3 of the final passages (after collapse): one holds every must-contain string."""
    results = collapse(ranked, vectors, per_doc=tuning.retrieval_per_document,
                       near_duplicate=tuning.retrieval_near_duplicate)[: tuning.retrieval_context_passages]
    musts = [norm(s) for s in item["must_contain"]]
    holds = [all(m in norm(r.chunk.text) for m in musts) for r in results]
    return any(holds[:1]), any(holds[:3])


def counts(item: dict, answer) -> np.ndarray:
    """The answer counted as score.py counts it (columns `cv_common.SCORED`)."""
    return score_row(item, jsonl_record(item["id"], answer))


class DevBench:
    """The real assistant (today's hand reranker) answering the dev split, recording the pool the retriever hands
    its reranker: `pools` (condition, question id) -> {x: features, hand: hand scores, y: relevance, pool}, and
    `hand_counts` condition -> question id -> counts, for both CONDITIONS. Shared by eval/fit_reranker_sq.py."""

    def __init__(self):
        from bot.pipeline import build_assistant

        self.items = dev_questions()  # dev ONLY
        self.answerable = [q for q in self.items if q.get("must_contain") and not q.get("expect_refusal")]
        self.by_id = {q["id"]: q for q in self.items}
        settings = Settings()  # the baseline is the hand reranker whatever RERANKER says in the environment
        settings.retrieval.reranker = "features"
        # the fitted reranker was fitted, and is compared, against the hand reranker without the query adapter: the
        # section-question pools of fit_reranker_sq.py would otherwise be ranked by an adapter trained on those very
        # questions (`bot.index.query_adapter`); so these benches leave its term out
        settings.retrieval.rerank_adapter_weight = 0.0
        self.assistant = assistant = build_assistant(settings)
        assistant.warm_up()
        self.tuning = assistant.settings.retrieval
        embedder = assistant.index.embedder
        embed, self.memo = embedder.embed_query, {}  # query vectors by text (fit_reranker_sq.py fills it in batches)
        memo = self.memo
        embedder.embed_query = lambda text: memo[text] if text in memo else memo.setdefault(text, embed(text))
        self.hand = assistant.retriever.reranker  # the baseline: the default hand reranker
        # the hand score the model reads (and FittedReranker serves): without the fusion bonus
        self.hand_score = hand_without_fusion(self.tuning, assistant.index.idf)
        self.hand_counts, self.pools = {}, {}
        for condition in CONDITIONS:  # the pools with and without the section-question search
            self.assistant.retriever.use_questions = condition == "with"
            self.hand_counts[condition], found = self.answer_all(self.hand, record=True)
            self.pools.update({(condition, i): pool for i, pool in found.items()})

    def pool(self, recorded, labels: np.ndarray) -> dict:
        """One recorded pool (query, query vector, candidates, vectors) as the fit reads it."""
        query, qv, candidates, vectors = recorded
        by_id = {c.chunk.chunk_id: c.score for c in self.hand_score.rerank(query, qv, candidates, vectors)}
        return {"x": candidate_features(query, qv, candidates, vectors, self.assistant.index.idf),
                "hand": np.array([by_id[c.chunk.chunk_id] for c in candidates]), "y": labels, "pool": recorded}

    def answer(self, item: dict) -> np.ndarray:
        return counts(item, self.assistant.answer(item["question"], history=item.get("history") or []))

    def answer_all(self, reranker, items: list[dict] | None = None, record: bool = False) -> tuple[dict, dict]:
        """`items` (default: every dev question) answered under `reranker`: outcomes by id, and (`record`) each
        answerable one's pool."""
        recorder = Recorder(reranker)
        self.assistant.retriever.reranker = recorder
        outcomes, pools = {}, {}
        for item in items if items is not None else self.items:
            outcomes[item["id"]] = self.answer(item)
            if record and item in self.answerable and recorder.last is not None:
                pools[item["id"]] = self.pool(recorder.last, relevance(item, recorder.last[2]))
            recorder.last = None
        self.assistant.retriever.reranker = self.hand
        return outcomes, pools

    def use(self, condition: str) -> None:
        self.assistant.retriever.use_questions = condition == "with"

    def ranking(self, item: dict, reranker, condition: str) -> tuple[bool, bool]:
        """Top-1 / top-3 of the final passages when `reranker` orders the question's recorded pool."""
        query, qv, candidates, vectors = self.pools[(condition, item["id"])]["pool"]
        return final_hits(item, reranker.rerank(query, qv, candidates, vectors), vectors, self.tuning)

    def hand_ranks(self, condition: str) -> dict:
        return {q["id"]: self.ranking(q, self.hand, condition) for q in self.answerable
                if (condition, q["id"]) in self.pools}

    def reranker(self, model: LinearRanking, hand_without_questions: bool = True) -> FittedReranker:
        return FittedReranker(self.tuning, idf=self.assistant.index.idf, model=model,
                              hand_without_questions=hand_without_questions)


def trainable_keys(pools: dict, keys) -> list:
    """The pools a pairwise fit can learn from: some candidate relevant and some not."""
    return [k for k in keys if pools[k]["y"].any() and not pools[k]["y"].all()]


def write_model(model: LinearRanking, c: float, fitted_on: str, label: str) -> None:
    MODEL_PATH.write_text(json.dumps({
        "features": list(RERANK_FEATURES), "mean": model.mean.round(6).tolist(),
        "scale": model.scale.round(6).tolist(), "coef": model.coef.round(6).tolist(),
        "slope": round(model.slope, 6), "hand": round(model.hand, 6), "C": c, "fitted_on": fitted_on, "label": label},
        indent=1)
        + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} (C={c}, slope {model.slope:.3f}): "
          + ", ".join(f"{n} {w:+.2f}" for n, w in zip(RERANK_FEATURES, model.coef)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[SEED], help="fold assignments (rerank_cv.py's)")
    ap.add_argument("--write", action="store_true", help="fit on all dev questions and write the model")
    ap.add_argument("--train-on", nargs="+", choices=CONDITIONS, default=["with"],
                    help="fit on the pools found with and/or without the section-question search")
    ap.add_argument("--measure", nargs="+", choices=CONDITIONS, default=list(CONDITIONS),
                    help="answer the held-out questions with and/or without it (an index of documents ingested "
                         "from elsewhere has no section questions)")
    ap.add_argument("--scores", nargs="+", choices=("mapped", "hand"), default=["mapped"],
                    help="the scores handed on: the fitted score on the hand scale (shipped) or the hand scores")
    args = ap.parse_args()
    bench = DevBench()
    pools, items = bench.pools, bench.items
    trainable = trainable_keys(pools, [k for k in pools if k[0] in args.train_on])
    print(f"{len(trainable)} training pools ({', '.join(args.train_on)} section questions) of "
          f"{len({k[1] for k in trainable})} answerable dev questions; "
          f"{sum(int(pools[k]['y'].sum()) for k in trainable)} relevant of {sum(len(pools[k]['y']) for k in trainable)}")

    for seed, condition, mapped in itertools.product(args.seeds, args.measure, args.scores):
        bench.use(condition)
        hand_rank = bench.hand_ranks(condition)
        held, fitted_rank, chosen = {}, {}, []
        for fold_ids in folds([q["id"] for q in items], seed):
            test = set(fold_ids)
            train = [k for k in trainable if k[1] not in test]
            c = choose_c(pools, train, seed)
            chosen.append(c)
            reranker = bench.reranker(fit(pools, train, c, mapped == "mapped"))
            held.update(bench.answer_all(reranker, [bench.by_id[i] for i in fold_ids])[0])
            fitted_rank.update({i: bench.ranking(bench.by_id[i], reranker, condition) for i in fold_ids if i in hand_rank})
        scores = "its own score on the hand scale" if mapped == "mapped" else "the hand reranker's scores"
        report(f"seed {seed}, {condition} section questions, fitted order with {scores}, C per fold {chosen}", items,
               bench.hand_counts[condition], held, hand_rank, fitted_rank)

    if args.write:
        c = choose_c(pools, trainable, SEED)
        write_model(fit(pools, trainable, c, mapped=True), c,
                    f"{len(trainable)} candidate pools of {len({k[1] for k in trainable})} dev questions of the "
                    f"question bank, {' and '.join(args.train_on)} section questions (eval/fit_reranker.py)",
                    "relevant: holds every must-contain string and records one of the question's sources")
    return 0


def report(label, items, hand_counts, held, hand_rank, fitted_rank) -> None:
    must_n = sum(bool(q.get("must_contain")) for q in items)
    refuse_n = sum(bool(q.get("expect_refusal")) for q in items)
    print(f"\n{label}\n{'dev, held-out, summed over folds':34} top-1  top-3  must     cite     declines wrong uncited long")
    for name, table, rank in (("hand reranker (today)", hand_counts, hand_rank), ("fitted reranker (CV)", held, fitted_rank)):
        t = sum(table.values())
        top1, top3 = (sum(r[k] for r in rank.values()) for k in (0, 1))
        t = dict(zip(SCORED, t))
        print(f"{name:34} {top1:3}/{len(rank)} {top3:3}/{len(rank)} {t['must']:3}/{must_n} {t['cite']:3}/{t['cite_n']:<3}  "
              f"{t['declines']:3}/{refuse_n:<3} {t['wrong_declines']:5} {t['uncited']:7} {t['too_long']:4}")
    changed = [i for i in held if held[i][0] != hand_counts[i][0]]
    print("  must-contain changed: " + ", ".join(f"{i} {'+' if held[i][0] else '-'}" for i in changed))


if __name__ == "__main__":
    sys.exit(main())
