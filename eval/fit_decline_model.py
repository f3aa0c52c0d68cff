#!/usr/bin/env python3
"""Fit the decline model and calibrate the safeguarding threshold; write bot/decline_model.json.

Re-run after anything that moves retrieval or answer scores (one command, needs a built index):

    export PYTHONPATH=$PWD && .venv/bin/gpbot ingest knowledge --json >/dev/null && \\
        .venv/bin/python eval/fit_decline_model.py --bank ../shared/eval/question-bank.jsonl

What it does, on the question bank's `dev` split only (validation figures are printed, never used):
1. Answers every dev question and every question of `eval/out-of-scope-questions.jsonl` (training
   negatives written for this, split "train") in hybrid mode, recording the features of
   `bot.decline_model.decision_features` and the question's similarity to the safeguarding situations.
2. `answerable`: logistic regression (scikit-learn, standardised features, balanced classes), positives the
   answerable dev questions, negatives the questions that must be declined. Threshold: from 5-fold
   cross-validated probabilities on dev, the highest threshold at which at most MAX_WRONG_DECLINES of the
   answerable dev questions would be declined (half the issue's 2% target, a margin for unseen questions).
3. `in_scope`: the same features, positives every records-access question (answerable, or a near-miss the
   corpus does not cover), negatives the rest; threshold 0.5. It only words a decline.
4. `safeguarding.threshold`: the lowest similarity among dev safeguarding-category questions, less
   SAFEGUARDING_MARGIN, so every dev safeguarding question gets the line (a spare line costs little; a missing
   one can cost a patient). `step_min_similarity` (which sentences state a protective step) is fixed at
   STEP_MIN_SIMILARITY, see below.
scikit-learn is a dev dependency: the bot scores the JSON with numpy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.decline_model import FEATURES, MODEL_PATH, Decision, DeclineModel  # noqa: E402

MAX_WRONG_DECLINES = 0.01
SAFEGUARDING_MARGIN = 0.02
# A sentence states a protective step when its cosine to one of the described steps reaches this: read off
# the shipped corpus, where sentences giving a step score 0.6 and more and unrelated sentences of the same
# passages mostly under 0.5 (`--show-steps` prints them).
STEP_MIN_SIMILARITY = 0.6


class _AnswerEverything:
    """While fitting, the model being fitted must not decide: record features, answer everything."""

    def decide(self, features):
        return Decision(True, "answered", 1.0, 1.0)


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def collect(assistant, items: list[dict]) -> list[dict]:
    rows = []
    for item in items:
        trace: dict = {}
        assistant.answer(item["question"], history=item.get("history") or [], mode="hybrid", trace=trace)
        if "features" not in trace:  # verified answer or empty question: the model is not consulted
            continue
        rows.append({"item": item, "x": [trace["features"][f] for f in FEATURES],
                     "safeguarding": trace["safeguarding_similarity"]})
    return rows


def fit_logistic(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)).fit(x, y)


def as_dict(model, threshold: float) -> dict:
    scaler, logistic = model[0], model[1]
    return {"mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
            "coef": logistic.coef_[0].round(6).tolist(), "intercept": round(float(logistic.intercept_[0]), 6),
            "threshold": round(float(threshold), 6)}


def choose_threshold(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000))
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    positives = np.sort(p[y == 1])
    allowed = int(MAX_WRONG_DECLINES * len(positives))
    # decline below the threshold: `allowed` answerable questions fall under it, the next one does not
    upper = positives[allowed]
    lower = positives[allowed - 1] if allowed else max([q for q in p[y == 0] if q < upper], default=upper / 2)
    return (upper + lower) / 2, p


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bank", type=Path, default=Path("../shared/eval/question-bank.jsonl"))
    ap.add_argument("--negatives", type=Path, default=ROOT / "eval" / "out-of-scope-questions.jsonl")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--show-steps", action="store_true", help="print the sentences that state a protective step")
    args = ap.parse_args()

    from bot.pipeline import Assistant
    from bot.startup import settings_or_exit

    bank = load_jsonl(args.bank)
    dev = [q for q in bank if q.get("split") == "dev"]
    validation = [q for q in bank if q.get("split") == "validation"]
    negatives = load_jsonl(args.negatives)
    settings = settings_or_exit()
    assistant = Assistant(settings, decline_model=_AnswerEverything())
    assistant.safeguarding.step_min_similarity = STEP_MIN_SIMILARITY
    assistant.warm_up()
    print(f"answering {len(dev)} dev + {len(negatives)} training negatives (+ {len(validation)} validation, "
          "quoted only)…", file=sys.stderr)
    train = collect(assistant, dev + negatives)
    held_out = collect(assistant, validation)

    x = np.array([r["x"] for r in train])
    y = np.array([0 if r["item"].get("expect_refusal") else 1 for r in train])
    y_scope = np.array([1 if (not r["item"].get("expect_refusal") or r["item"].get("expected_kind") == "not_covered")
                        else 0 for r in train])
    threshold, cv_p = choose_threshold(x, y)
    answerable = fit_logistic(x, y)
    in_scope = fit_logistic(x, y_scope)

    sg_dev = [r["safeguarding"] for r in train if r["item"].get("split") == "dev"
              and r["item"].get("category") == "safeguarding" and not r["item"].get("expect_refusal")]
    sg_other = [r["safeguarding"] for r in train if r["item"].get("split") == "dev"
                and r["item"].get("category") != "safeguarding"]
    sg_threshold = min(sg_dev) - SAFEGUARDING_MARGIN

    data = {
        "features": list(FEATURES),
        "answerable": as_dict(answerable, threshold),
        "in_scope": as_dict(in_scope, 0.5),
        "safeguarding": {"threshold": round(sg_threshold, 6), "step_min_similarity": STEP_MIN_SIMILARITY},
        "fitted_on": {"dev_questions": int(sum(r["item"].get("split") == "dev" for r in train)),
                      "training_negatives": int(sum(r["item"].get("split") == "train" for r in train)),
                      "command": "python eval/fit_decline_model.py --bank ../shared/eval/question-bank.jsonl"},
    }
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    model = DeclineModel(data)
    cv_declined = cv_p < threshold
    print(f"answerable: threshold {threshold:.3f}; cross-validated on dev+train: answerable declined "
          f"{int((cv_declined & (y == 1)).sum())}/{int((y == 1).sum())}, must-decline declined "
          f"{int((cv_declined & (y == 0)).sum())}/{int((y == 0).sum())}")
    for name, rows in (("dev (fitted on)", [r for r in train if r["item"].get("split") == "dev"]),
                       ("validation (quoted)", held_out)):
        decided = [(r, model.decide(dict(zip(FEATURES, r["x"])))) for r in rows]
        declined = [r for r, d in decided if not d.answer]
        must = [r for r, _ in decided if r["item"].get("expect_refusal")]
        right = sum(bool(r["item"].get("expect_refusal")) for r in declined)
        print(f"{name}: decline precision {right}/{len(declined)}, recall "
              f"{sum(not d.answer for r, d in decided if r['item'].get('expect_refusal'))}/{len(must)}, "
              f"answerable declined {len(declined) - right}/{len(rows) - len(must)}")
        for r, d in decided:
            if d.answer == bool(r["item"].get("expect_refusal")) and name.startswith("dev"):
                print(f"   {r['item']['id']}: p={d.p_answerable:.3f} {'answered' if d.answer else 'declined'}")
    sg_val = [r["safeguarding"] for r in held_out if r["item"].get("category") == "safeguarding"
              and not r["item"].get("expect_refusal")]
    print(f"safeguarding: threshold {sg_threshold:.3f}; dev safeguarding {sum(s >= sg_threshold for s in sg_dev)}/"
          f"{len(sg_dev)}, other dev questions flagged {sum(s >= sg_threshold for s in sg_other)}/{len(sg_other)}; "
          f"validation safeguarding {sum(s >= sg_threshold for s in sg_val)}/{len(sg_val)} (quoted)")
    if args.show_steps:
        for step in assistant.safeguarding.step_sentences():
            print(f"  step: {step.text[:140]}  ({step.chunk.doc_id})")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
