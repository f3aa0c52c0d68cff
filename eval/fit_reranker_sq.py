#!/usr/bin/env python3
"""Fit the reranker of bot/fitted_reranker.py on the corpus's own section questions and judge it on ALL of dev.

    export PYTHONPATH=$PWD && .venv/bin/python eval/fit_reranker_sq.py [--train-on with without both] \
        [--measure with without] [--scores mapped hand] [--with-dev without --dev-weight 5] \
        [--stacked [lead ...] [--stack-hand]] [--seeds 7 1 2 3 4] [--write without]

The figures it printed: eval/reranker_trials.md. Needs a built index (gpbot ingest knowledge). The question
bank's `dev` split is only answered and scored here (validation is never read); nothing is fitted on it except
with --with-dev / --stacked, where it is cross-validated as eval/fit_reranker.py does.
1. Training pools: every section question of the index (knowledge/questions.yaml, stored with the chunks that
   hold its section) is put to the real retriever as a staff question, and the pool handed to the reranker is
   recorded, under two conditions: `with` the section-question search, the question's OWN stored vectors left
   out (they match it with cosine 1 and would leak the label; its sibling questions of the same section stay in,
   as a real staff question meets them too), and `without` it (the pool an index of documents ingested from
   elsewhere gives). Label: the candidate is a chunk of the question's own section (the question is among the
   chunk's `questions`, which ingest fills from the section's heading, headings merged into the chunk and, for a
   chunk under the title alone, the lead paragraph).
2. Fit (eval/fit_reranker.py's pairwise logistic regression, each question weighing the same) on the pools of
   --train-on; C chosen by an inner 4-fold CV on pool top-1 grouped by DOCUMENT (sibling questions and the
   sections of one document never sit on both sides).
3. Judged on every dev question (a true held-out set: nothing was fitted on it): top-1 / top-3 of the final
   passages and end-to-end answers counted as score.py counts, beside the hand reranker in the same run, with
   and/or (--measure) without the section-question search (without it, the model orders the pool too, where the
   shipped `FittedReranker` would keep the hand order).
4. --with-dev: the section-question pools plus the dev pools of the training folds (eval/fit_reranker.py's
   outer 5-fold CV grouped by question, per --seeds); a dev pool weighs --dev-weight section-question pools.
5. --stacked: a two-stage model (`stacked`): stage 1 fitted on the section-question pools without the search,
   stage 2 (its score, the section-question features, any features named, with --stack-hand the hand score) on
   the dev training folds of the same outer CV. The best variant measured; still under the rule for a default.
6. --write CONDITION: fit on all section-question pools of that condition (C by the inner CV) and write
   bot/reranker_model.json. --write-stacked: the two-stage model, stage 2 fitted on ALL dev pools (with the
   section-question search, mapped scores), written there (what `RERANKER=fitted` ships since session 5).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from bot.fitted_reranker import RERANK_FEATURES, LinearRanking  # noqa: E402
from bot.index.store import as_floats  # noqa: E402
from cv_common import SEED, folds  # noqa: E402
from fit_reranker import CONDITIONS, DevBench, Recorder, choose_c, fit, pool_top1, report, trainable_keys, \
    write_model  # noqa: E402

QUESTION_FEATURES = ("question", "question_gap", "question_absent")


class LeftOut:
    """`Index.question_search` with the stored vectors of one question text (`left_out`) skipped: the k nearest
    of the OTHER section questions, chunk id -> best cosine (the store's rule)."""

    def __init__(self, collection):
        self.collection, self.left_out = collection, None
        texts = collection.get(include=["documents"])["documents"]
        self.total = len(texts)
        self.extra = max((texts.count(t) for t in set(texts)), default=0)  # records one text can have

    def __call__(self, query_vector: np.ndarray, k: int) -> dict[str, float]:
        got = self.collection.query(query_embeddings=[as_floats(query_vector)],
                                    n_results=min(k + self.extra, self.total),
                                    include=["documents", "metadatas", "distances"])
        best: dict[str, float] = {}
        kept = 0
        for text, meta, distance in zip(got["documents"][0], got["metadatas"][0], got["distances"][0]):
            if text == self.left_out:
                continue
            if kept == k:
                break
            kept += 1
            best[meta["chunk_id"]] = max(best.get(meta["chunk_id"], -1.0), 1.0 - float(distance))
        return best


def section_questions(index) -> dict[str, str]:
    """Every section question of the index -> its document id."""
    return {q: c.doc_id for c in index.all_chunks() for q in c.questions}


def question_pools(bench: DevBench, conditions) -> dict:
    """(condition, document id, question) -> pool, for every section question of the index (step 1)."""
    assistant = bench.assistant
    questions = section_questions(assistant.index)
    prepared = {q: assistant.prepare(q)[1] for q in questions}
    texts = [p.retrieval_text for p in prepared.values() if p.retrieval_text not in bench.memo]
    for text, vector in zip(texts, assistant.index.embedder.embed(texts)):
        bench.memo[text] = vector
    leave_out = LeftOut(assistant.index.store.questions)
    recorder = Recorder(bench.hand)
    assistant.retriever.reranker = recorder
    pools = {}
    try:
        assistant.index.question_search = leave_out
        for condition in conditions:
            bench.use(condition)
            started = time.perf_counter()
            for q, query in prepared.items():
                leave_out.left_out = q
                assistant.retriever.retrieve(query, k=bench.tuning.retrieval_context_passages, mode="hybrid")
                labels = np.array([q in c.chunk.questions for c in recorder.last[2]])
                pools[(condition, questions[q], q)] = bench.pool(recorder.last, labels)
            print(f"{len(prepared)} section-question pools {condition} the section-question search "
                  f"({time.perf_counter() - started:.0f} s)")
    finally:
        del assistant.index.question_search  # the instance attribute: the class's method again
        assistant.retriever.reranker = bench.hand
    return pools


def describe(pools: dict, keys: list, label: str) -> None:
    """How hard the pools are, and how much the section-question features alone decide."""
    found = sum(bool(pools[k]["y"].any()) for k in keys)
    hand_top1 = sum(bool(pools[k]["y"][int(np.argmax(pools[k]["hand"]))]) for k in keys)
    q = RERANK_FEATURES.index("question")
    by_question = sum(bool(pools[k]["y"][int(np.argmax(pools[k]["x"][:, q]))]) for k in keys
                      if pools[k]["x"][:, q].max() > 0)
    print(f"{label}: {len(keys)} pools, own section in the pool {found}, first by the hand reranker {hand_top1}, "
          f"first by the nearest sibling question alone {by_question}")


def fitted(pools: dict, keys: list, seed: int = SEED, mapped: bool = True):
    """The model fitted on `keys` with C chosen by the inner CV (grouped by k[1]: document or dev question)."""
    c = choose_c(pools, keys, seed)
    return c, fit(pools, keys, c, mapped=mapped)


def question_weight(pools: dict, keys: list, c: float, model, label: str) -> None:
    """How much the section-question features decide: their share of the standardised weights, and the in-sample
    pool top-1 with them and with a model fitted without them."""
    print(f"{label}: C {c}, slope {model.slope}; standardised weights: "
          + ", ".join(f"{n} {w:+.2f}" for n, w in zip(RERANK_FEATURES, model.coef)))
    drop = [RERANK_FEATURES.index(n) for n in QUESTION_FEATURES]
    reduced = {k: dict(pools[k], x=np.delete(pools[k]["x"], drop, axis=1)) for k in keys}
    print(f"  share of |weight| on the section-question features {sum(abs(model.coef[drop])) / sum(abs(model.coef)):.2f}; "
          f"in-sample pool top-1 {pool_top1(pools, keys, model)}, fitted without them {pool_top1(reduced, keys, fit(reduced, keys, c))}")


def judge_on_dev(bench: DevBench, model, label: str, condition: str = "with") -> None:
    """Step 3: every dev question answered with (or without) the section-question search under `model`, beside
    the hand reranker (without it, the model orders the pool too: `FittedReranker` would keep the hand order)."""
    bench.use(condition)
    reranker = bench.reranker(model, hand_without_questions=condition == "with")
    held = bench.answer_all(reranker)[0]
    fitted_rank = {q["id"]: bench.ranking(q, reranker, condition) for q in bench.answerable
                   if (condition, q["id"]) in bench.pools}
    report(f"{label}: ALL dev, section-question search {'on' if condition == 'with' else 'off'}", bench.items,
           bench.hand_counts[condition], held, bench.hand_ranks(condition), fitted_rank)


def dev_training_keys(bench: DevBench) -> list:
    """The dev pools a model can learn from: found with the section-question search, with a relevant candidate."""
    return trainable_keys(bench.pools, [k for k in bench.pools if k[0] == "with"])


def cross_validate(bench: DevBench, seeds, fit_fold, label: str) -> None:
    """Dev's outer 5-fold CV (eval/fit_reranker.py's folds per seed): `fit_fold(dev training keys, seed)` -> (C, model)
    fitted without the held-out fold, which is then ranked and answered with the section-question search."""
    dev_keys = dev_training_keys(bench)
    bench.use("with")
    hand_rank = bench.hand_ranks("with")
    for seed in seeds:
        held, fitted_rank, chosen = {}, {}, []
        for fold_ids in folds([q["id"] for q in bench.items], seed):
            test = set(fold_ids)
            c, model = fit_fold([k for k in dev_keys if k[1] not in test], seed)
            chosen.append(c)
            reranker = bench.reranker(model)
            held.update(bench.answer_all(reranker, [bench.by_id[i] for i in fold_ids])[0])
            fitted_rank.update({i: bench.ranking(bench.by_id[i], reranker, "with") for i in fold_ids if i in hand_rank})
        report(f"seed {seed}: {label}, C per fold {chosen}", bench.items, bench.hand_counts["with"], held, hand_rank,
               fitted_rank)


def with_dev(bench: DevBench, sq: dict, sq_keys: list, seeds, dev_weight: float, mapped: bool) -> None:
    """Step 4: section-question pools + the dev pools of the training folds, the held-out dev fold judged."""
    pools = dict(sq)
    pools.update({k: dict(v, w=dev_weight) for k, v in bench.pools.items()})
    cross_validate(bench, seeds, lambda dev_train, seed: fitted(pools, sq_keys + dev_train, seed, mapped=mapped),
                   f"{len(sq_keys)} section-question pools + dev training folds (dev weight {dev_weight}, "
                   f"{'mapped' if mapped else 'hand'} scores)")


def stacked(base: LinearRanking, pools: dict, keys: list, seed: int, second: tuple[str, ...] = QUESTION_FEATURES,
            with_hand: bool = False, mapped: bool = True) -> tuple[float, LinearRanking]:
    """Stage 2 over a `base` model fitted without the section-question search: the base score (and, `with_hand`,
    the hand reranker's score) and the `second` features (the section-question ones) weighed by a pairwise fit on
    `keys` (4-5 weights, so ~110 dev pools can fit them), folded back into one `LinearRanking` over RERANK_FEATURES
    standardised by the base's mean and scale."""
    cols = [RERANK_FEATURES.index(n) for n in second]
    lead = 2 if with_hand else 1  # stage columns before the `second` features
    stage = {k: dict(pools[k], x=np.column_stack([base.scores(pools[k]["x"])] + [pools[k]["hand"]] * with_hand
                                                 + [pools[k]["x"][:, cols]])) for k in keys}
    c, top = fitted(stage, keys, seed, mapped=mapped)
    # b * (v - m) / s = (b * scale / s) * (x - mean) / scale + a constant (which no order or score gap sees), for
    # v the base score ((x - mean) / scale @ base.coef, scale 1) and for each section-question feature
    coef = top.coef[0] / top.scale[0] * base.coef
    coef[cols] += top.coef[lead:] * base.scale[cols] / top.scale[lead:]
    hand = float(top.coef[1] / top.scale[1]) if with_hand else 0.0
    return c, LinearRanking(base.mean, base.scale, coef, top.slope, hand)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-on", nargs="*", choices=CONDITIONS + ("both",), default=list(CONDITIONS),
                    help="fit (one model per entry) on the section-question pools found with (own vectors left "
                         "out) or without the section-question search, or both together")
    ap.add_argument("--measure", nargs="+", choices=CONDITIONS, default=["with"],
                    help="judge the --train-on models on dev with and/or without the section-question search")
    ap.add_argument("--with-dev", nargs="*", choices=CONDITIONS + ("both",),
                    help="also cross-validate these section-question pools + dev pools")
    ap.add_argument("--stacked", nargs="*", choices=RERANK_FEATURES,
                    help="also cross-validate the two-stage model (`stacked`), stage 2 weighing the section-question "
                         "features and these")
    ap.add_argument("--stack-hand", action="store_true", help="stage 2 also weighs the hand reranker's score")
    ap.add_argument("--seeds", type=int, nargs="+", default=[SEED], help="fold assignments for the dev CV")
    ap.add_argument("--dev-weight", type=float, default=1.0, help="a dev pool's weight against a section question's")
    ap.add_argument("--scores", nargs="+", choices=("mapped", "hand"), default=["mapped"],
                    help="the scores handed on: the fitted score on the hand scale or the hand scores")
    written = ap.add_mutually_exclusive_group()
    written.add_argument("--write", choices=CONDITIONS + ("both",), help="write the model fitted on these pools")
    written.add_argument("--write-stacked", action="store_true",
                         help="write the two-stage model (mapped scores, no hand score), stage 2 fitted on all dev "
                              "pools: the shipped opt-in model. Add `--train-on` with no values to skip the rest")
    args = ap.parse_args()
    if args.write_stacked and (args.stack_hand or args.scores != ["mapped"]):
        ap.error("--write-stacked writes the mapped model without the hand score: drop --stack-hand / --scores")
    bench = DevBench()
    sq = question_pools(bench, CONDITIONS)
    keys = {c: [k for k in sq if k[0] == c] for c in CONDITIONS}
    keys["both"] = keys["with"] + keys["without"]
    for condition in CONDITIONS:
        describe(sq, keys[condition], f"section questions, {condition} the section-question search")
        describe(bench.pools, [k for k in bench.pools if k[0] == condition],
                 f"dev questions (relevant: holds the must-contain strings), {condition} it")
    for train_on, scores in itertools.product(args.train_on, args.scores):
        train = trainable_keys(sq, keys[train_on])
        c, model = fitted(sq, train, mapped=scores == "mapped")
        question_weight(sq, train, c, model, f"fitted on {len(train)} section-question pools ({train_on})")
        for condition in args.measure:
            judge_on_dev(bench, model, f"fitted on section-question pools ({train_on}), C {c}, {scores} scores",
                         condition)
    for condition, scores in itertools.product(args.with_dev or (), args.scores):
        with_dev(bench, sq, trainable_keys(sq, keys[condition]), args.seeds, args.dev_weight, scores == "mapped")
    if args.stacked is not None or args.write_stacked:  # stage 1, fitted once for both
        stage_one = trainable_keys(sq, keys["without"])
        base_c, base = fitted(sq, stage_one)
    for scores in args.scores if args.stacked is not None else ():
        second = QUESTION_FEATURES + tuple(args.stacked)
        cross_validate(bench, args.seeds, lambda dev_train, seed: stacked(
            base, bench.pools, dev_train, seed, second, args.stack_hand, scores == "mapped"),
                       f"stage 1 fitted on section-question pools without the search, stage 2 ("
                       f"{'hand score, ' * args.stack_hand}{', '.join(second)}) on the dev training folds, {scores} scores")
    if args.write_stacked:
        dev_keys = dev_training_keys(bench)
        c, model = stacked(base, bench.pools, dev_keys, SEED)
        write_model(model, c, f"two stages: {len(stage_one)} section-question pools "
                              f"(knowledge/questions.yaml, without the section-question search; C {base_c}), then the "
                              f"stage-1 score and the section-question features on {len(dev_keys)} dev pools of the "
                              "question bank (eval/fit_reranker_sq.py --write-stacked)",
                    "stage 1: a chunk of the question's own section; stage 2: holds every must-contain string and "
                    "records one of the question's sources")
    if args.write:
        train = trainable_keys(sq, keys[args.write])
        c, model = fitted(sq, train)
        write_model(model, c, f"{len(train)} candidate pools of the corpus's section questions "
                              f"(knowledge/questions.yaml, {args.write} the section-question search, own vectors "
                              "left out; eval/fit_reranker_sq.py)", "relevant: a chunk of the question's own section")
    return 0


if __name__ == "__main__":
    sys.exit(main())
