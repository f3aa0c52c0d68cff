#!/usr/bin/env python3
"""Fit a unit scorer over bot/unit_scorer.py's features on the question bank's dev split and measure it honestly.

    export PYTHONPATH=$PWD && .venv/bin/python eval/fit_unit_scorer.py --passages 8 16 [--pairwise] [--seed N]
    export PYTHONPATH=$PWD && .venv/bin/python eval/fit_unit_scorer.py --write    # and eval/unit_scorer.json

The figures it printed, and why the fitted scorer is not what the bot answers with: eval/unit_scorer.md.

Needs a built index (gpbot ingest knowledge). Uses the `dev` split ONLY; validation is never read here.
1. Every answerable dev question (history items answered as thread follow-ups, as `gpbot ask --jsonl` does)
   is prepared and retrieved exactly as the pipeline does; every candidate unit of the passages read gets the
   features of `bot.unit_scorer.unit_features`.
2. Label (`labels`): a unit is evidence when a line of it would cite one of the question's `sources` (URLs
   compared by last path segment, as score.py does) AND it holds one of the question's `must_contain` strings
   or its stored vector is close to the question's `expected` answer (cosine >= EXPECTED_MIN).
3. Cross-validation grouped by question (FOLDS folds): a logistic regression (scikit-learn, standardised) is
   fitted on 4/5 of the questions (--pairwise: on within-question pairs, then Platt-scaled); choose()'s cutoffs are re-chosen on those same training questions (grid
   CUTOFFS); the held-out 1/5 are answered by the whole pipeline with that scorer and counted as score.py
   counts them. Summed over folds, beside today's hand weights on the same questions.
4. --write: the scorer fitted on all dev questions, and the cutoffs chosen on all of them, go to
   eval/unit_scorer.json (coefficients and standardisation; scored with numpy at run time).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.citations import CitationBook  # noqa: E402
from bot.cli import jsonl_record  # noqa: E402
from bot.evaluation import normalised as norm, url_tail  # noqa: E402  (score.py's rules)
from bot.settings import Settings  # noqa: E402
from bot.unit_scorer import UNIT_FEATURES  # noqa: E402
from cv_common import BANK, FOLDS, SCORED, SEED, folds, score_row  # noqa: E402

MODEL_PATH = Path(__file__).with_name("unit_scorer.json")  # --write only; the bot does not read it
C = 1.0  # inverse regularisation strength (standardised features, thousands of units: mild)
PAIRS_PER_QUESTION = 200  # (evidence, other) unit pairs sampled per question for the pairwise fit
EXPECTED_MIN = 0.6  # cosine to the expected answer at which a cited-right unit counts as evidence too
# choose()'s cutoffs on the scorer's scale (a probability): relative cutoff, other-document cutoff, novel weight
CUTOFFS = {"answer_relative_cutoff": (0.0, 0.05, 0.1, 0.2, 0.3),
           "answer_other_document_cutoff": (0.0, 0.1, 0.25, 0.4, 0.6),
           "answer_novel_weight": (0.0,)}



class UnitScorer:
    """p(evidence) = sigmoid(coef . (x - mean) / scale + intercept), over UNIT_FEATURES."""

    def __init__(self, data: dict):
        if tuple(data.get("features", ())) != UNIT_FEATURES:
            raise ValueError("unit scorer was fitted on other features: re-run eval/fit_unit_scorer.py")
        self.data = data
        self.mean = np.asarray(data["mean"], dtype=float)
        self.scale = np.asarray(data["scale"], dtype=float)
        self.coef = np.asarray(data["coef"], dtype=float)
        self.intercept = float(data["intercept"])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))





class Harness:
    """The real assistant with retrieval, question vectors and unit features memoised (they do not depend on
    the scorer), so a question is answered again cheaply under another scorer or cutoffs."""

    def __init__(self, passages: int):
        from bot.pipeline import build_assistant

        self.assistant = build_assistant(Settings())
        self.assistant.warm_up()
        self.base = self.assistant.extractive.tuning
        self.passages = passages
        self.max_passages = passages
        embedder = self.assistant.index.embedder
        embed_query, retrieve = embedder.embed_query, self.assistant.retriever.retrieve
        candidates = self.assistant.extractive.candidates
        vectors, retrievals, rows = {}, {}, {}

        def cached_embed(text):
            if text not in vectors:
                vectors[text] = embed_query(text)
            return vectors[text]

        def cached_retrieve(query, *, k=6, mode="hybrid", query_vector=None):
            key = (query.retrieval_text, query.expanded, mode)
            if key not in retrievals:
                retrievals[key] = retrieve(query, k=self.max_passages, mode=mode, query_vector=query_vector)
            found = retrievals[key]
            return replace(found, query=query, results=found.results[: self.passages])

        def cached_candidates(query, results):
            key = (query.retrieval_text, tuple(r.chunk.chunk_id for r in results[: self.passages]))
            if key not in rows:
                rows[key] = candidates(query, results)
            units, x = rows[key]
            return [copy.copy(u) for u in units], x

        embedder.embed_query = cached_embed
        self.assistant.retriever.retrieve = cached_retrieve
        self.assistant.extractive.candidates = cached_candidates

    def configure(self, scorer: UnitScorer | None, passages: int, **cutoffs) -> None:
        self.passages = passages
        self.assistant.extractive.scorer = scorer.probabilities if scorer is not None else None
        self.assistant.extractive.tuning = self.base.model_copy(update={"answer_passages": passages, **cutoffs})

    def answer(self, item: dict):
        return self.assistant.answer(item["question"], history=item.get("history") or [])

    def units(self, item: dict):
        """(units, features, results) of one question, as the answerer sees them."""
        assistant = self.assistant
        _, query = assistant.prepare(item["question"], item.get("history") or [])
        query.vector = assistant.index.embedder.embed_query(query.retrieval_text)
        retrieval = assistant.retriever.retrieve(query, k=self.passages, query_vector=query.vector)
        units, x = assistant.extractive.candidates(query, retrieval.results)
        return units, x, retrieval.results


def outcome(item: dict, answer) -> dict:
    """One question counted as ../shared/eval/score.py counts it (`cv_common.score_row`); `declined`: a question
    not meant to be declined was (those expecting an identifier warning included)."""
    row = dict(zip(SCORED, score_row(item, jsonl_record(item.get("id"), answer))))
    refused = answer.kind.value in ("not_covered", "out_of_scope")
    return {**{k: bool(row[k]) for k in ("must", "cite_n", "cite", "uncited", "too_long")},
            "declined": refused and not item.get("expect_refusal")}


def total(outcomes: list[dict]) -> dict:
    return {k: sum(o[k] for o in outcomes) for k in ("must", "cite", "cite_n", "uncited", "too_long", "declined")}


def labels(harness: Harness, item: dict, units, results, expected_vector) -> np.ndarray:
    """LABEL: evidence = cites one of the question's sources AND (holds a must-contain string OR is close to
    the expected answer). The citation condition keeps a sentence that happens to share a word with the answer
    on another page out; the expected-answer condition lets in the sentence that states the answer in other
    words than the must-contain strings."""
    wanted = {url_tail(u) for u in item["sources"]}
    musts = [norm(s) for s in item["must_contain"]]
    stored = harness.assistant.index.unit_vectors([r.chunk.chunk_id for r in results])
    from bot.units import unit_key

    out = []
    for unit in units:
        chunk = results[unit.chunk_rank].chunk
        book = CitationBook(harness.base.answer_max_sources_per_line)
        for line in unit.text.splitlines():
            book.number_line(chunk, line)
        cites = bool(wanted & {url_tail(c.url) for c in book.citations})
        holds = any(m in norm(unit.text) for m in musts)
        vector = stored.get(chunk.chunk_id, {}).get(unit_key(unit.text))
        close = vector is not None and float(vector @ expected_vector) >= EXPECTED_MIN
        out.append(cites and (holds or close))
    return np.array(out, dtype=bool)


def training_data(harness: Harness, items: list[dict]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    embedder = harness.assistant.index.embedder
    expected = embedder.embed([i["expected"] for i in items])
    data = {}
    for item, vector in zip(items, expected):
        units, x, results = harness.units(item)
        if len(units):
            data[item["id"]] = (x, labels(harness, item, units, results, vector))
    return data


def fit(data: dict, ids: list[str], pairwise: bool = False) -> UnitScorer:
    """Pointwise: logistic regression of the label on the standardised features. Pairwise: the weights from a
    logistic regression on within-question differences (an evidence unit minus another unit of the same
    question, each question weighing the same), then its scale and intercept fitted pointwise (Platt), so the
    shipped form, sigmoid(coef . z + intercept), is the same."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.vstack([data[i][0] for i in ids if i in data])
    y = np.concatenate([data[i][1] for i in ids if i in data])
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    z = (x - scaler.mean_) / scale
    model = LogisticRegression(C=C, max_iter=2000).fit(z, y)
    coef, intercept = model.coef_[0], float(model.intercept_[0])
    if pairwise:
        rng = np.random.default_rng(SEED)
        diffs, weights = [], []
        for i in ids:
            if i not in data:
                continue
            zi, yi = (data[i][0] - scaler.mean_) / scale, data[i][1]
            pairs = [(a, b) for a in np.flatnonzero(yi) for b in np.flatnonzero(~yi)]
            if len(pairs) > PAIRS_PER_QUESTION:
                pairs = [pairs[j] for j in rng.choice(len(pairs), PAIRS_PER_QUESTION, replace=False)]
            diffs += [zi[a] - zi[b] for a, b in pairs]
            weights += [1.0 / max(1, len(pairs))] * len(pairs)
        d, w = np.array(diffs), np.array(weights)
        ranker = LogisticRegression(C=C, max_iter=2000, fit_intercept=False).fit(
            np.vstack([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))], sample_weight=np.r_[w, w])
        platt = LogisticRegression(max_iter=2000).fit((z @ ranker.coef_[0])[:, None], y)
        coef, intercept = ranker.coef_[0] * platt.coef_[0, 0], float(platt.intercept_[0])
    return UnitScorer({"features": list(UNIT_FEATURES), "mean": scaler.mean_.round(6).tolist(),
                       "scale": scale.round(6).tolist(), "coef": coef.round(6).tolist(),
                       "intercept": round(intercept, 6)})


def merit(t: dict) -> tuple:
    """What a choice of cutoffs is judged by: must-contain plus citation precision hits, never an uncited or
    too-long answer."""
    return (-(t["uncited"] + t["too_long"]), t["must"] + t["cite"])


def choose_cutoffs(harness: Harness, scorer: UnitScorer, passages: int, items: list[dict]) -> dict:
    best, best_merit = None, None
    for values in itertools.product(*CUTOFFS.values()):
        cutoffs = dict(zip(CUTOFFS, values))
        harness.configure(scorer, passages, **cutoffs)
        m = merit(total([outcome(i, harness.answer(i)) for i in items]))
        if best_merit is None or m > best_merit:
            best, best_merit = cutoffs, m
    return best


def folds_of(items: list[dict], seed: int = SEED) -> list[list[dict]]:
    """The questions dealt into folds as every CV script deals them (`cv_common.folds`)."""
    return [[items[j] for j in fold] for fold in folds(range(len(items)), seed, FOLDS)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bank", type=Path, default=BANK)
    ap.add_argument("--passages", type=int, nargs="+", default=[8], help="ANSWER_PASSAGES values to compare")
    ap.add_argument("--write", action="store_true", help="write eval/unit_scorer.json (all dev questions)")
    ap.add_argument("--pairwise", action="store_true", help="fit the weights on within-question pairs")
    ap.add_argument("--seed", type=int, default=SEED, help="how the questions are dealt into folds")
    ap.add_argument("--fixed-cutoffs", action="store_true", help="keep today's cutoffs (no grid inside CV)")
    args = ap.parse_args()
    bank = [json.loads(line) for line in args.bank.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [q for q in bank if q.get("split") == "dev"]  # dev ONLY
    trainable = [q for q in items if q.get("must_contain") and q.get("sources") and q.get("expected")
                 and not q.get("expect_refusal")]
    harness = Harness(max(args.passages))
    folds = folds_of(items, args.seed)
    fold_of = {q["id"]: f for f, fold in enumerate(folds) for q in fold}

    harness.configure(None, 8)
    today = [outcome(i, harness.answer(i)) for i in items]
    rows = [("hand weights, today's cutoffs, 8 passages", total(today), None)]
    for passages in args.passages:
        harness.configure(None, passages)
        if passages != 8:
            rows.append((f"hand weights, today's cutoffs, {passages} passages",
                         total([outcome(i, harness.answer(i)) for i in items]), None))
        data = training_data(harness, trainable)
        positives = sum(int(y.sum()) for _, y in data.values())
        print(f"passages {passages}: {sum(len(y) for _, y in data.values())} units of {len(data)} questions, "
              f"{positives} evidence; questions with none: {sum(not y.any() for _, y in data.values())}")
        held_out, chosen = [], []
        for f, fold in enumerate(folds):
            train_ids = [q["id"] for q in trainable if fold_of[q["id"]] != f]
            scorer = fit(data, train_ids, args.pairwise)
            cutoffs = ({} if args.fixed_cutoffs else
                       choose_cutoffs(harness, scorer, passages, [q for q in items if fold_of[q["id"]] != f]))
            chosen.append(cutoffs)
            harness.configure(scorer, passages, **cutoffs)
            held_out += [outcome(i, harness.answer(i)) for i in fold]
        rows.append((f"learned, CV, {passages} passages", total(held_out), chosen))
        if args.write and passages == args.passages[0]:
            scorer = fit(data, [q["id"] for q in trainable], args.pairwise)
            cutoffs = {} if args.fixed_cutoffs else choose_cutoffs(harness, scorer, passages, items)
            MODEL_PATH.write_text(json.dumps({**scorer.data, "label": LABEL_NOTE, "passages": passages,
                                              "cutoffs": cutoffs}, indent=1) + "\n", encoding="utf-8")
            print(f"wrote {MODEL_PATH} (cutoffs chosen on all dev questions: {cutoffs})")
            print("coefficients: " + ", ".join(f"{n} {c:+.2f}" for n, c in zip(UNIT_FEATURES, scorer.coef)))
    print(f"\n{'dev, held-out answers summed over ' + str(FOLDS) + ' folds':48} must  cite      uncited long declined")
    for name, t, chosen in rows:
        print(f"{name:48} {t['must']:3}/{sum(bool(q.get('must_contain')) for q in items)} "
              f"{t['cite']:3}/{t['cite_n']:<3}  {t['uncited']:7} {t['too_long']:4} {t['declined']:8}")
        if chosen:
            print("    cutoffs per fold: " + "; ".join(" ".join(f"{v}" for v in c.values()) for c in chosen))
    return 0


LABEL_NOTE = (f"evidence: cites one of the question's sources and holds a must-contain string or has cosine >= "
              f"{EXPECTED_MIN} to the expected answer")

if __name__ == "__main__":
    sys.exit(main())
