#!/usr/bin/env python3
"""Fit the decline model and calibrate the safeguarding threshold; write bot/decline_model.json.

Re-run after anything that moves retrieval or answer scores (one command, needs a built index):

    export PYTHONPATH=$PWD && .venv/bin/gpbot ingest knowledge --json >/dev/null && \\
        .venv/bin/python eval/fit_decline_model.py   # the bank in the shared folder beside the checkout

What it does, on the question bank's `dev` split only (validation is answered and printed only with
--quote-validation, never used):
1. Answers every dev question and every question of TRAINING_FILES (written for this in our own words, split
   "train": `eval/out-of-scope-questions.jsonl`, questions to decline — clinical, other practice admin,
   unrelated, and near-misses about records or the NHS App that the corpus does not cover —,
   `eval/near-miss-questions.jsonl` to `-6.jsonl`, more such near-misses, and `eval/answerable-train-questions.jsonl`,
   answerable ones written from corpus sections the bank covers less) in hybrid mode, recording the features of
   `bot.decline_model.decision_features` and the question's similarity to the safeguarding situations.
2. `answerable`: logistic regression (scikit-learn, standardised features, balanced classes), positives the
   answerable questions, negatives the questions that must be declined except the written near-misses (it
   decides on documents ingested from elsewhere, for which near-misses of the shipped corpus mean nothing;
   since session 8, with PLAIN_BUDGET as its budget). Threshold: a normal distribution fitted to the log-odds of
   the answerable questions' 5-fold cross-validated probabilities; the threshold is its budget's quantile
   (MAX_WRONG_DECLINES, half the issue's 2% target, a margin for unseen questions). A fitted tail
   instead of the empirical one: with ~140 answerable questions, 1% is the single lowest one, and in nested
   cross-validation (threshold chosen on inner folds, wrong declines counted on outer folds, 3 seeds) the
   empirical choice declined 1.3–3 answerable questions of 143 where the fitted tail declined 0. The
   regularisation C is the one of C_GRID that declines the most must-decline questions at that threshold.
   The figure to judge a change by is the nested cross-validation printed at the end (`eval/decline_cv.py`:
   C and threshold chosen on inner folds only, declines counted on the outer folds, per kind of question).
   `answerable_with_questions`: the same regression and threshold rule with SECTION_QUESTION (the cosine to
   the nearest section question) and DECLINE_VOTE (the share of must-decline examples among the labelled
   questions nearest it, each written question's own file of examples left out: `decline_cv.decline_votes`) and
   ADAPTER_LIFT (how far the query adapter moves the question's nearest passage cosine) added, fitted on the
   questions whose best passage has section questions (all of them on the shipped corpus); the bot uses it for
   such a question (`bot.decline_model`).
3. `in_scope`: positives every records-access question (answerable, or a near-miss the corpus does not
   cover), negatives the rest; threshold 0.5 (balanced classes: even odds). It only words a decline, so it
   weighs what the question is about (IN_SCOPE_FEATURES), not how well the passages answer it: a question the
   corpus does not cover is still on topic, and on a small corpus every question's coverage is low.
4. `safeguarding`: the line fires when similarity + evidence_weight × evidence reaches `threshold`
   (`bot.safeguarding`: similarity of the question to the described situations; evidence, how close the
   passages it retrieved are to them). The weight and the threshold are the pair with the best F-beta (beta 3:
   a missed protective step costs more than a spare line) on dev, the answerable training questions and the
   stories of SAFEGUARDING_FILE; positives the safeguarding-category questions, the keyword signal counted in.
   The same search picks the routine margin: how much closer to a situation than to the nearest routine request
   (knowledge/safeguarding-situations.yaml) a question must be to count as a story. `eval/safeguarding_calibration.py`
   holds the constants (weights, margins, STEP_MIN_SIMILARITY for which sentences state a protective step) and
   the search.
5. `decline_examples`: the must-decline training questions as examples, then those of MARGIN_ONLY_FILES, and
   the margin by which a question must be nearer one of them than anything it can be answered from to be
   declined (`bot.decline_model` DECLINE_EXAMPLE; `eval/decline_cv.py` `decline_examples`: how it is chosen).
scikit-learn is a dev dependency (the bot scores the JSON with numpy). The fitting helpers are in
`eval/decline_cv.py`, which also compares feature sets on a --features-cache file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.decline_features import (ADAPTER_LIFT, DECLINE_EXAMPLE, DECLINE_VOTE, EXAMPLE_REFERENCE,  # noqa: E402
                                  FEATURES, FEATURES_WITH_SECTION_QUESTION, SECTION_QUESTION, answerable_reference,
                                  decline_vote)
from bot.decline_model import MODEL_PATH, OFF_TOPIC, Decision, DeclineModel  # noqa: E402
from eval.safeguarding_calibration import (STEP_MIN_SIMILARITY, safeguarding_report,  # noqa: E402
                                           safeguarding_threshold)
from eval.decline_cv import (MAX_WRONG_DECLINES, add_decline_votes, as_dict, choose_model,  # noqa: E402
                              decline_examples, describe, example_center, fit_logistic, kind_of, nested_cv,
                              plain_decline_examples, plain_subject, threshold_for, widen, with_section_question,
                              wording)

NEAR_MISS_FILES = tuple(ROOT / "eval" / f"near-miss-questions{n}.jsonl" for n in ("", "-2", "-3", "-4", "-5", "-6"))
# question files written for training (split "train"), never bank ones: must-decline (expect_refusal) and answerable
TRAINING_FILES = (ROOT / "eval" / "out-of-scope-questions.jsonl", *NEAR_MISS_FILES,
                  ROOT / "eval" / "answerable-train-questions.jsonl")
# must-decline questions written after the regressions were settled: margin-rule examples only (no vote, no
# regression: refitting with them declined answerable questions, session 12 in eval/reranker_trials.md)
MARGIN_ONLY_FILES = (ROOT / "eval" / "near-miss-questions-7.jsonl", ROOT / "eval" / "near-miss-questions-8.jsonl")
# stories of patients at risk, written for calibrating the safeguarding line only (as answerable training
# questions they made the decline model decline fewer must-decline questions in nested CV: 92.7 -> 82.3 of 195)
SAFEGUARDING_FILE = ROOT / "eval" / "safeguarding-train-questions.jsonl"

# the features that say what a question is about (the topic), for `in_scope`; the rest get coefficient 0. Only
# directions in the embedding space and the clinical signal: the share of known terms grows with the corpus's
# vocabulary and the passages' scores with its coverage, so on a small corpus they called on-topic questions it
# lacks "out of scope". On the shipped corpus, 5-fold cross-validated, these three word 94.8% of the must-decline
# questions right against 95.7% for all features.
IN_SCOPE_FEATURES = ("centroid", "clinical", "off_topic")
# The wrong-decline budget of `answerable` (without SECTION_QUESTION): half that of `answerable_with_questions`.
# At 1% it declined 1.7 of 185 answerable questions in nested CV (1 and 2 of 127 on the plain and long-page copies
# of the corpus); at 0.5%, 0.7 (and none on either copy). Session 8.
PLAIN_BUDGET = MAX_WRONG_DECLINES / 2


class _AnswerEverything:
    """While fitting, the model being fitted must not decide: record features, answer everything. Its `data`
    hands the assistant's safeguarding detector the shipped calibration (what it read before being given one)."""

    def __init__(self):
        shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8")) if MODEL_PATH.is_file() else {}
        self.data = {"safeguarding": shipped.get("safeguarding", {})}

    voting_examples = None
    example_center = None  # set before collecting: EXAMPLE_REFERENCE is read centred on it

    def decide(self, features, story: bool = False):
        return Decision(True, "answered", 1.0, 1.0)

    def example_vectors(self, embedder):
        return None  # the examples are chosen here: no question is judged by them while fitting

    centred_examples = example_vectors

    def center_for(self, embedder):
        return self.example_center

    def subject_centroid(self, embedder):
        return None  # nor by the subject they were written against


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def written_near_miss(item: dict) -> bool:
    """A must-decline question written for training as a near-miss of the shipped corpus (not a bank question)."""
    return item.get("split") == "train" and item.get("kind_of_question") == "near-miss"


def retrieval_text(assistant, item: dict) -> str:
    """The text the bot searches and embeds for a question (redacted, shorthand spelt out, thread prepended)."""
    return assistant.prepare(item["question"], item.get("history") or [])[1].retrieval_text


def collect(assistant, items: list[dict]) -> list[dict]:
    rows = []
    for item in items:
        trace: dict = {}
        assistant.answer(item["question"], history=item.get("history") or [], mode="hybrid", trace=trace)
        if "features" not in trace:  # verified answer or empty question: the model is not consulted
            continue
        rows.append({"item": item, "x": [trace["features"][f] for f in FEATURES],
                     "retrieval_text": retrieval_text(assistant, item),
                     "section_question": trace["features"].get(SECTION_QUESTION),
                     EXAMPLE_REFERENCE: trace["features"].get(EXAMPLE_REFERENCE),
                     ADAPTER_LIFT: trace["features"].get(ADAPTER_LIFT),
                     "safeguarding": trace["safeguarding_similarity"], "routine": trace["safeguarding_routine"],
                     "evidence": trace["safeguarding_evidence"], "keyword": trace["safeguarding_keyword"],
                     "clinical": trace["clinical"]})
    return rows


def features_of(row: dict) -> dict[str, float]:
    """A collected row as `decision_features` gave it: SECTION_QUESTION only when retrieval reported one."""
    features = dict(zip(FEATURES, row["x"]))
    if row.get("section_question") is not None:
        features[SECTION_QUESTION] = row["section_question"]
    for name in (DECLINE_EXAMPLE, DECLINE_VOTE, ADAPTER_LIFT):
        if row.get(name) is not None:
            features[name] = row[name]
    return features


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bank", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "eval" / "question-bank.jsonl")
    ap.add_argument("--training", type=Path, nargs="+", default=list(TRAINING_FILES),
                    help="question files written for training (split \"train\"): must-decline ones and answerable ones")
    ap.add_argument("--quote-validation", action="store_true",
                    help="also answer the validation split and print its figures (quoted, never used to fit)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--features-cache", type=Path, default=None,
                    help="save the collected features here, or reuse them when the file exists (faster re-fits "
                         "while only the fitting changes; delete it after any retrieval change)")
    ap.add_argument("--show-steps", action="store_true", help="print the sentences that state a protective step")
    args = ap.parse_args()

    from bot.pipeline import Assistant
    from bot.startup import settings_or_exit

    bank = load_jsonl(args.bank)
    dev = [q for q in bank if q.get("split") == "dev"]
    validation = [q for q in bank if q.get("split") == "validation"]
    training = [item for path in args.training for item in load_jsonl(path)]
    validation = validation if args.quote_validation else []
    settings = settings_or_exit()
    assistant = Assistant(settings, decline_model=_AnswerEverything())
    assistant.safeguarding.step_min_similarity = STEP_MIN_SIMILARITY
    assistant.warm_up()
    # the centre of the examples' rule: the mean of the section questions' and the must-decline examples' vectors
    margin_only_texts = [retrieval_text(assistant, q) for path in MARGIN_ONLY_FILES for q in load_jsonl(path)
                         if q.get("expect_refusal")]
    center = example_center(assistant.index, [retrieval_text(assistant, q) for q in training
                                              if q.get("expect_refusal")] + margin_only_texts)
    assistant.decline_model.example_center = center
    print(f"answering {len(dev)} dev + {len(training)} training questions (+ {len(validation)} validation, "
          "quoted only)…", file=sys.stderr)
    if args.features_cache and args.features_cache.is_file():
        cached = json.loads(args.features_cache.read_text(encoding="utf-8"))
        if cached.get("features_with_section_question") != list(FEATURES_WITH_SECTION_QUESTION):
            sys.exit(f"{args.features_cache} was written by a fit script with other features: delete it")
        train, held_out = cached["train"], cached["held_out"]
        if any(r.get("section_question") is not None and r.get(EXAMPLE_REFERENCE) is None for r in train):
            sys.exit(f"{args.features_cache} has no {EXAMPLE_REFERENCE}: delete it")
        for row in train + held_out:  # caches written before the decline examples lack the prepared text
            if "retrieval_text" not in row:
                row["retrieval_text"] = retrieval_text(assistant, row["item"])
        stories = cached["stories"] if "stories" in cached else collect(assistant, load_jsonl(SAFEGUARDING_FILE))
    else:
        train = collect(assistant, dev + training)
        held_out = collect(assistant, validation)
        stories = collect(assistant, load_jsonl(SAFEGUARDING_FILE))
        if args.features_cache:
            args.features_cache.write_text(json.dumps({
                "features": list(FEATURES), "features_with_section_question": list(FEATURES_WITH_SECTION_QUESTION),
                "train": train, "held_out": held_out, "stories": stories}), encoding="utf-8")

    source_file = {item["id"]: path.name for path in args.training for item in load_jsonl(path)}
    for row in train:  # who wrote it, for the decline vote (`decline_cv.batch_of`)
        row["item"]["source_file"] = source_file.get(row["item"]["id"])
    x = np.array([r["x"] for r in train])
    y = np.array([0 if r["item"].get("expect_refusal") else 1 for r in train])
    y_scope = np.array([1 if (not r["item"].get("expect_refusal") or r["item"].get("expected_kind") == "not_covered")
                        else 0 for r in train])
    # the regression without SECTION_QUESTION decides on documents ingested from elsewhere, whose subject is not
    # the shipped corpus's: near-misses written against the shipped corpus say nothing about what such an index
    # covers, so it learns from the other must-decline questions only (clinical, other practice work, unrelated),
    # at half the wrong-decline budget (PLAIN_BUDGET)
    plain = np.array([not written_near_miss(r["item"]) for r in train])
    x_plain, y_plain = x[plain], y[plain]
    c, threshold, cv_p = choose_model(x_plain, y_plain, budget=PLAIN_BUDGET)
    answerable = fit_logistic(x_plain, y_plain, c)
    # the regression with SECTION_QUESTION, on the questions whose best passage has section questions (all of
    # them on the shipped corpus); the bot needs it, so a run where none had one stops here
    has_question = np.array([r.get("section_question") is not None for r in train])
    if not has_question.any():
        sys.exit(f"no question's best passage had section questions, so no {SECTION_QUESTION} to fit: is "
                 "QUESTION_VECTORS off, or the index built without knowledge/questions.yaml?")
    if not has_question.all():
        print(f"   {int((~has_question).sum())} of {len(train)} questions had no {SECTION_QUESTION}: left out of "
              "answerable_with_questions", file=sys.stderr)
    # the decline vote of every such question, its own writer's examples left out (`add_decline_votes`)
    sq_rows = [r for r in train if r.get("section_question") is not None]
    references = [answerable_reference(features_of(r)) for r in sq_rows]
    row_vectors, questions = add_decline_votes(sq_rows, assistant.index, references)
    with_questions = with_section_question(train)
    x_sq = np.array([r["x"] for r in with_questions])
    y_sq = y[has_question]
    c_sq, threshold_sq, cv_p_sq = choose_model(x_sq, y_sq)
    topic = [FEATURES.index(f) for f in IN_SCOPE_FEATURES]
    # in_scope learns from every row (near-misses are its positives), with the C chosen on every row
    c_all = choose_model(x, y, verbose=False)[0]
    in_scope = fit_logistic(x[:, topic], y_scope, c_all)
    margin_only = (margin_only_texts, np.asarray(assistant.index.embedder.embed(margin_only_texts)))
    examples, examples_report = decline_examples(  # with_questions: sq_rows, in order, their features widened
        with_questions, assistant.index.embedder, cv_p_sq >= threshold_sq,
        [r[EXAMPLE_REFERENCE] for r in sq_rows], vectors=row_vectors, margin_only=margin_only, center=center)
    # the same rule for documents from elsewhere (no section questions): every row, against its closest passage
    embedded = dict(zip((r["retrieval_text"] for r in with_questions), row_vectors))
    missing = [r["retrieval_text"] for r in train if r["retrieval_text"] not in embedded]
    embedded.update(zip(missing, assistant.index.embedder.embed(missing)))
    plain_p = answerable.predict_proba(x)[:, 1]
    plain_p[plain] = cv_p  # cross-validated where `answerable` was fitted on the row
    examples["plain_margin"], plain_examples_report = plain_decline_examples(
        train, assistant.index.embedder, plain_p >= threshold, np.stack([embedded[r["retrieval_text"]] for r in train]),
        margin_only)
    examples["plain_subject"] = plain_subject(assistant.index)  # which plain pages the examples speak for

    # the line is calibrated on the dev questions, the answerable training ones and 30 written stories of patients
    # at risk (SAFEGUARDING_FILE): 17 dev stories alone could not tell apart settings that score the same on them
    calibration = [r for r in train if r["item"].get("split") == "dev" or not r["item"].get("expect_refusal")] + stories
    sg_weight, sg_threshold, sg_margin = safeguarding_threshold(calibration)

    data = {
        "features": list(FEATURES),
        "off_topic": list(OFF_TOPIC),
        "answerable": {**as_dict(answerable, threshold), "C": c},
        "question_features": list(FEATURES_WITH_SECTION_QUESTION),
        "answerable_with_questions": {**as_dict(fit_logistic(x_sq, y_sq, c_sq), threshold_sq), "C": c_sq},
        "in_scope": widen(as_dict(in_scope, 0.5), topic, len(FEATURES)),
        "decline_examples": examples,
        "safeguarding": {"threshold": round(sg_threshold, 6), "evidence_weight": sg_weight, "routine_margin": sg_margin,
                         "step_min_similarity": STEP_MIN_SIMILARITY},
        "fitted_on": {"dev_questions": int(sum(r["item"].get("split") == "dev" for r in train)),
                      "training_negatives": int(sum(r["item"].get("split") == "train" and y_i == 0
                                                    for r, y_i in zip(train, y))),
                      "training_answerable": int(sum(r["item"].get("split") == "train" and y_i == 1
                                                     for r, y_i in zip(train, y))),
                      "margin_only_examples": len(margin_only_texts), "command": "python eval/fit_decline_model.py"},
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    model = DeclineModel(data)
    # the bank questions' nearest example, as the bot reads it (none of them is an example); a question
    # `decline_examples` embedded already is not embedded again
    vectors = model.example_vectors(assistant.index.embedder)
    for row in train + held_out:
        if row["item"].get("split") != "train":
            text = row["retrieval_text"]
            vector = embedded[text] if text in embedded else assistant.index.embedder.embed_query(text)
            row[DECLINE_EXAMPLE] = float((vectors @ vector).max())
            if row.get("section_question") is not None:  # the voting examples count, as in the bot
                row[DECLINE_VOTE] = decline_vote(questions @ vector, vectors[:model.voting_examples] @ vector,
                                                 answerable_reference(features_of(row)))
    positives, negatives_p = np.sort(cv_p[y_plain == 1]), cv_p[y_plain == 0]
    for budget in (PLAIN_BUDGET, 0.01, 0.02, 0.03, 0.05):
        t = threshold_for(cv_p, y_plain, budget)
        print(f"   trade-off (cross-validated, without {SECTION_QUESTION}): a {budget:.1%} tail declines {int((positives < t).sum())} answerable and "
              f"{int((negatives_p < t).sum())}/{len(negatives_p)} must-decline")
    cv_declined = cv_p < threshold
    print(f"answerable (without {SECTION_QUESTION}): threshold {threshold:.3f}; cross-validated on dev+train: answerable declined "
          f"{int((cv_declined & (y_plain == 1)).sum())}/{int((y_plain == 1).sum())}, must-decline declined "
          f"{int((cv_declined & (y_plain == 0)).sum())}/{int((y_plain == 0).sum())} (written near-misses left out)")
    print(f"answerable (without {SECTION_QUESTION}): " + describe(nested_cv(
        x_plain, y_plain, [kind_of(r["item"]) for r, kept in zip(train, plain) if kept], PLAIN_BUDGET)))
    print(f"answerable_with_questions (C={c_sq}, threshold {threshold_sq:.3f}, {len(x_sq)} questions): "
          + describe(nested_cv(x_sq, y_sq, [kind_of(r["item"]) for r in with_questions])))
    print(wording(train, y_scope, topic, c_all))
    print(examples_report)
    print(plain_examples_report)
    for name, rows in (("dev (fitted on)", [r for r in train if r["item"].get("split") == "dev"]),
                       ("validation (quoted)", held_out)):
        if not rows:
            continue
        decided = [(r, model.decide(features_of(r))) for r in rows]
        declined = [r for r, d in decided if not d.answer]
        must = [r for r, _ in decided if r["item"].get("expect_refusal")]
        right = sum(bool(r["item"].get("expect_refusal")) for r in declined)
        print(f"{name}: decline precision {right}/{len(declined)}, recall "
              f"{sum(not d.answer for r, d in decided if r['item'].get('expect_refusal'))}/{len(must)}, "
              f"answerable declined {len(declined) - right}/{len(rows) - len(must)}")
        for r, d in decided:
            if d.answer == bool(r["item"].get("expect_refusal")) and name.startswith("dev"):
                print(f"   {r['item']['id']}: p={d.p_answerable:.3f} {'answered' if d.answer else 'declined'}")
    print(safeguarding_report(train, stories, held_out, sg_weight, sg_threshold, sg_margin))
    if args.show_steps:
        for step in assistant.safeguarding.step_sentences():
            print(f"  step: {step.text[:140]}  ({step.chunk.doc_id})")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
