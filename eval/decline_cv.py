"""Fitting and cross-validating the decline model's `answerable` regression (scikit-learn, a dev dependency).

Used by `eval/fit_decline_model.py`; run on its own to compare feature sets on a features cache it wrote:

    .venv/bin/python eval/fit_decline_model.py --features-cache /tmp/features.json --out /tmp/model.json
    .venv/bin/python eval/decline_cv.py /tmp/features.json [--drop known_terms,off_topic] [--with-section-question]

The threshold rule (`threshold_for`) and the regularisation choice (`choose_model`) are what the fit script
ships. (Since session 8 the fit script's `answerable` leaves out the written near-misses and takes half the budget;
run on its own, this script cross-validates every row at MAX_WRONG_DECLINES, so its figures for `answerable` differ
from the fit script's.) `nested_cv` is the honest figure for both together: for each outer fold (5-fold, stratified, SEEDS
shuffles) the C and the threshold are chosen by `choose_model` on the other four folds alone (its own inner
5-fold cross-validation), the model is fitted there and judged on the held-out fold. It reports must-decline
questions declined (by kind of question) and answerable questions declined, summed over the outer folds and
averaged over the seeds. The plain 5-fold figure the fit script also prints chooses the threshold on the very
probabilities it is judged on, so it flatters.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

MAX_WRONG_DECLINES = 0.01  # half the 2% target: a margin for unseen questions. A 2% tail was tried
# (2026-12-06): nested CV 98.3/195 declined at 0.3/185 answerable, but on normal log-odds (the test's synthetic
# data) estimation noise lets a 2% tail decline 4 of 100, twice its budget, so the margin stays.
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # inverse regularisation strengths tried; cross-validation picks one
SEEDS = (0, 1, 2)  # outer-fold shuffles of the nested cross-validation


def make_model(c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=2000))


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float = 1.0):
    return make_model(c).fit(x, y)


def cross_validated(x: np.ndarray, y: np.ndarray, c: float, seed: int = 0) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    return cross_val_predict(make_model(c), x, y, cv=cv, method="predict_proba")[:, 1]


def normal_quantile(values: np.ndarray, q: float) -> float:
    """The q quantile of a normal distribution fitted to `values` (mean and standard deviation): a fitted tail,
    steadier than the one or two most extreme values."""
    from scipy.stats import norm

    values = np.asarray(values, dtype=float)
    return float(values.mean() + norm.ppf(q) * values.std())


def threshold_for(p: np.ndarray, y: np.ndarray, budget: float = MAX_WRONG_DECLINES) -> float:
    """Decline below it: the `budget` quantile of a normal distribution fitted to the answerable questions'
    log-odds (`normal_quantile`)."""
    q = np.clip(p[y == 1], 1e-6, 1 - 1e-6)
    z = normal_quantile(np.log(q / (1 - q)), budget)
    return float(1 / (1 + np.exp(-z)))


# The must-decline examples' own wrong-decline budget (bot.decline_model DECLINE_EXAMPLE): half the regressions',
# so that both together stay at 1.5%, inside the 2%. On the shipped data (667 examples) 0.5% gives a margin
# of 0.161 and declines none of 185 answerable questions held out (5-fold); 547 gave 0.158. With 407: 0.149, and 1% gave
# 0.131 (the floor below) and declined 1.0 of them; with the first 302: 0.173 against 0.138 and 0.3.
EXAMPLE_BUDGET = MAX_WRONG_DECLINES / 2
# How far above the largest margin of any answerable question the examples' margin stays at least: a question's
# cosines move by about 0.001 between runs (ONNX threading) and through float16 storage; ten times that.
EXAMPLE_MARGIN_GAP = 0.01


def example_margin(answerable_margins: np.ndarray, budget: float = EXAMPLE_BUDGET) -> float:
    """The margin by which a question must be nearer a must-decline example to be declined: the (1 - budget)
    quantile of a normal fitted to the answerable questions' margins (`normal_quantile`, as in `threshold_for`),
    but never within EXAMPLE_MARGIN_GAP of the largest of them (a few hundred questions' tail can fall below it)."""
    return max(normal_quantile(answerable_margins, 1 - budget), float(np.max(answerable_margins)) + EXAMPLE_MARGIN_GAP)


def choose_model(x: np.ndarray, y: np.ndarray, verbose: bool = True,
                 budget: float = MAX_WRONG_DECLINES) -> tuple[float, float, np.ndarray]:
    """(C, threshold, cross-validated probabilities): the C under which the most must-decline questions are
    declined at the wrong-decline budget, judged on 5-fold cross-validated probabilities."""
    best = None
    for c in C_GRID:
        p = cross_validated(x, y, c)
        t = threshold_for(p, y, budget)
        declined = int((p[y == 0] < t).sum())
        if verbose:
            print(f"   C={c}: cross-validated must-decline declined {declined}/{int((y == 0).sum())}", file=sys.stderr)
        if best is None or declined > best[0]:
            best = (declined, c, t, p)
    return best[1], best[2], best[3]


def nested_cv(x: np.ndarray, y: np.ndarray, kinds: list[str], budget: float = MAX_WRONG_DECLINES) -> dict:
    """Outer-fold declines with C and threshold chosen on the inner folds only (see the module docstring):
    {"answerable": (declined, of), "must_decline": (declined, of), "by_kind": {kind: (declined, of)}},
    counts averaged over SEEDS."""
    from sklearn.model_selection import StratifiedKFold

    wrong, right, by_kind = 0, 0, Counter()
    for seed in SEEDS:
        outer = StratifiedKFold(n_splits=5, shuffle=True, random_state=100 + seed)
        for train, test in outer.split(x, y):
            c, t, _ = choose_model(x[train], y[train], verbose=False, budget=budget)
            p = fit_logistic(x[train], y[train], c).predict_proba(x[test])[:, 1]
            declined = p < t
            wrong += int((declined & (y[test] == 1)).sum())
            right += int((declined & (y[test] == 0)).sum())
            by_kind.update(kinds[i] for i, d in zip(test, declined) if d and y[i] == 0)
    n = len(SEEDS)
    totals = Counter(k for k, label in zip(kinds, y) if label == 0)
    return {"answerable": (wrong / n, int((y == 1).sum())), "must_decline": (right / n, int((y == 0).sum())),
            "by_kind": {k: (by_kind[k] / n, totals[k]) for k in sorted(totals)}}


def example_rows(rows: list[dict]) -> np.ndarray:
    """Which rows are must-decline examples: the must-decline questions written for training (never bank ones)."""
    return np.array([r["item"].get("split") == "train" and bool(r["item"].get("expect_refusal")) for r in rows])


def example_center(index, example_texts: list[str]) -> np.ndarray:
    """The mean of the section questions' and the must-decline examples' vectors (`bot.decline_features`)."""
    examples = np.asarray(index.embedder.embed(example_texts), dtype=np.float32)
    questions = np.asarray(index.questions.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    return np.vstack([questions.reshape(-1, examples.shape[1]), examples]).mean(axis=0)


def decline_examples(rows: list[dict], embedder, answered: np.ndarray, reference: np.ndarray,
                     budget: float = EXAMPLE_BUDGET, vectors: np.ndarray | None = None,
                     margin_only: tuple[list[str], np.ndarray] = ([], np.zeros((0, 0))),
                     center: np.ndarray | None = None) -> tuple[dict, str]:
    """The must-decline examples and their margin (see `bot.decline_model.DECLINE_EXAMPLE`) and a report.
    `center`: cosines are centred on it (CENTRED_EXAMPLE; pass `reference` already centred), and it is stored too.
    `vectors`: the rows' vectors in `rows` order, when the caller has them already (else they are embedded).
    `margin_only`: texts and vectors of more examples that are not rows (no regression saw them): they count in
    every margin, every fold, and are stored after the rows' examples, which alone vote (the file's `voting`).

    Examples: the must-decline training questions (never bank ones), as the bot prepares them. A question's
    margin is its cosine to the nearest example minus its `reference` (one per row:
    `bot.decline_model.answerable_reference`, the nearer of the closest section question and the closest
    passage); the margin shipped is `example_margin` of the answerable questions' margins (none of them is an
    example). The report judges the rule 5-fold (examples and margin from four folds, the fifth judged), 3
    shuffles, on the rows given (those with a section question); `answered` (one per row): whether the
    cross-validated regression answers it, so the rule's own gain shows. A few examples have a near twin
    (cosine > 0.85) that can fall in another fold, so the must-decline figure may flatter a little."""
    from sklearn.model_selection import StratifiedKFold

    from bot.decline_model import encode_vectors
    from bot.decline_features import centred

    is_example = example_rows(rows)
    if not is_example.any():
        raise SystemExit("no must-decline training question among the rows: no decline examples to fit "
                         "(pass the out-of-scope and near-miss files with --training)")
    if vectors is None:
        vectors = np.asarray(embedder.embed([r["retrieval_text"] for r in rows]))
    y = np.array([0 if r["item"].get("expect_refusal") else 1 for r in rows])
    reference = np.asarray(reference, dtype=float)
    extra_texts, extra = margin_only
    extra = extra.reshape(len(extra_texts), vectors.shape[1])
    raw_vectors, raw_extra = vectors, extra
    if center is not None:  # every cosine below is a centred one
        vectors, extra = centred(vectors, center), centred(extra, center) if len(extra) else extra
    margins = (vectors @ np.vstack([vectors[is_example], extra]).T).max(axis=1) - reference
    margin = example_margin(margins[y == 1], budget)
    kinds = [kind_of(r["item"]) for r in rows]
    declined, wrong, gained, by_kind = 0, 0, 0, Counter()
    for seed in SEEDS:
        for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=200 + seed).split(vectors, y):
            fold_examples = np.vstack([vectors[[i for i in train if is_example[i]]], extra])
            fold_margins = (vectors @ fold_examples.T).max(axis=1) - reference
            cut = example_margin(fold_margins[train][y[train] == 1], budget)
            for i in test[fold_margins[test] > cut]:
                wrong += int(y[i])
                declined += int(not y[i])
                gained += int(not y[i] and answered[i])
                by_kind.update([kinds[i]] if not y[i] else [])
    n = len(SEEDS)
    report = (f"decline examples{' (centred cosines)' if center is not None else ''}: {int(is_example.sum())} + "
              f"{len(extra_texts)} margin-only, margin {margin:.3f} "
              f"(answerable margins: mean "
              f"{margins[y == 1].mean():.3f}, largest {margins[y == 1].max():.3f}); 5-fold, {n} shuffles, mean: "
              f"must-decline declined by the examples {declined / n:.1f}/{int((y == 0).sum())} ("
              + ", ".join(f"{k} {c / n:.1f}" for k, c in sorted(by_kind.items()))
              + f"; {gained / n:.1f} of them answered by the regression), "
              f"answerable {wrong / n:.1f}/{int((y == 1).sum())}")
    # the bot uses the stored vectors only under the embedder that made them (its fingerprint)
    data = {"texts": [r["retrieval_text"] for r, e in zip(rows, is_example) if e] + list(extra_texts),
            "voting": int(is_example.sum()), "margin": round(margin, 6),
            "budget": budget, "vectors": encode_vectors(np.vstack([raw_vectors[is_example], raw_extra])),
            "fingerprint": getattr(embedder, "fingerprint", "")}
    if center is not None:
        data["center"] = [round(float(v), 6) for v in center]
    return data, report


def plain_decline_examples(rows: list[dict], embedder, answered: np.ndarray, vectors: np.ndarray,
                           margin_only: tuple[list[str], np.ndarray]) -> tuple[float, str]:
    """The examples' margin where the best passage has no section questions (`plain_margin`): every row weighed
    against its closest passage alone (`top_dense`), by `decline_examples`; the margin and its report."""
    from bot.decline_features import FEATURES

    data, report = decline_examples(rows, embedder, answered, [r["x"][FEATURES.index("top_dense")] for r in rows],
                                    vectors=vectors, margin_only=margin_only)
    return data["margin"], f"without section_question (against the closest passage): {report}"


def wording(train: list[dict], y_scope: np.ndarray, topic: list[int], c: float) -> str:
    """How the cross-validated in-scope model words the declines of the must-decline training and dev
    questions, per kind: how many it calls "not covered" (the right word for a near-miss only)."""
    from collections import Counter

    p = cross_validated(np.array([r["x"] for r in train])[:, topic], y_scope, c)
    must = [(kind_of(r["item"]), p_i >= 0.5) for r, p_i in zip(train, p) if r["item"].get("expect_refusal")]
    said, total = Counter(k for k, covered in must if covered), Counter(k for k, _ in must)
    return "in_scope (cross-validated) words \"not covered\": " + ", ".join(
        f"{k} {said[k]}/{total[k]}" for k in sorted(total)) + " (right for near-misses only)"


def plain_subject(index, percentile: float = 5.0) -> dict:
    """PLAIN_SUBJECT's reference (`bot.decline_model`): the centroid of the index's passages (the corpus the examples
    were written against), the cosine to it that all but `percentile`% of those passages reach, and the embedder."""
    from bot.corpus_subject import sample_vectors, unit_mean

    vectors = sample_vectors(index, 100_000)
    centroid = unit_mean(vectors)
    return {"centroid": [round(float(v), 6) for v in centroid],
            "min": round(float(np.percentile(vectors @ centroid, percentile)), 6),
            "fingerprint": getattr(index.embedder, "fingerprint", "")}


def as_dict(model, threshold: float) -> dict:
    scaler, logistic = model[0], model[1]
    return {"mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
            "coef": logistic.coef_[0].round(6).tolist(), "intercept": round(float(logistic.intercept_[0]), 6),
            "threshold": round(float(threshold), 6)}


def widen(model: dict, columns: list[int], width: int) -> dict:
    """A model fitted on some columns as one over all features: coefficient 0 (mean 0, scale 1) elsewhere."""
    out = {**model, "mean": [0.0] * width, "scale": [1.0] * width, "coef": [0.0] * width}
    for i, column in enumerate(columns):
        for key in ("mean", "scale", "coef"):
            out[key][column] = model[key][i]
    return out


def with_section_question(rows: list[dict]) -> list[dict]:
    """The collected rows that have the section-question feature, with it appended to their feature row, then the
    decline vote and the adapter lift where the row has them (the order of
    `bot.decline_model.FEATURES_WITH_SECTION_QUESTION`); rows without the section-question feature are left out."""
    from bot.decline_features import ADAPTER_LIFT, DECLINE_VOTE

    return [{**r, "x": r["x"] + [r["section_question"]] + ([r[DECLINE_VOTE]] if DECLINE_VOTE in r else [])
             + ([r[ADAPTER_LIFT]] if r.get(ADAPTER_LIFT) is not None else [])}
            for r in rows if r.get("section_question") is not None]


def batch_of(item: dict) -> str:
    """Who wrote a question: a training question's batch is the file it came from (`source_file`, set by the fit
    script: one writer's file holds several kinds of question, and twins across them), every bank question is in
    the batch of its split."""
    return (item.get("source_file") or item["id"]) if item.get("split") == "train" else f"bank {item.get('split', '')}"


def add_decline_votes(rows: list[dict], index, references: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Sets each row's DECLINE_VOTE (`decline_votes`); returns the rows' vectors and the index's section-question
    vectors, for the caller to reuse."""
    from bot.decline_features import DECLINE_VOTE

    vectors = np.asarray(index.embedder.embed([r["retrieval_text"] for r in rows]))
    questions = np.asarray(index.questions.get(include=["embeddings"])["embeddings"], dtype=np.float32)
    for row, vote in zip(rows, decline_votes(rows, vectors, questions, references)):
        row[DECLINE_VOTE] = float(vote)
    return vectors, questions


def decline_votes(rows: list[dict], vectors: np.ndarray, question_vectors: np.ndarray,
                  references: list[float]) -> np.ndarray:
    """Each row's DECLINE_VOTE (`bot.decline_model.decline_vote`; `references`: each row's answerable reference)
    as the bot would read it, except that the examples of the row's own batch (`batch_of`) are left out: a
    near-miss's batch-mates ask about the same topics in the same voice, so counting them would judge a written
    near-miss by its twins, and the fitted weight would trust the vote more than it deserves on a new writer's
    questions. Bank questions are in no example's batch."""
    from bot.decline_features import decline_vote

    batches = [batch_of(r["item"]) for r in rows]
    is_example = example_rows(rows)
    example_batches = np.array(batches)[is_example]
    question_cosines, example_cosines = vectors @ question_vectors.T, vectors @ vectors[is_example].T
    return np.array([decline_vote(question_cosines[i], example_cosines[i][example_batches != batches[i]],
                                  references[i]) for i in range(len(rows))])


def kind_of(item: dict) -> str:
    """The kind of a must-decline question, for the per-kind figures (bank questions have none)."""
    return item.get("kind_of_question") or f"bank {item.get('split', '')}".strip()


def describe(result: dict) -> str:
    (w, nw), (r, nr) = result["answerable"], result["must_decline"]
    kinds = ", ".join(f"{k} {d:.1f}/{n}" for k, (d, n) in result["by_kind"].items())
    return (f"nested CV ({len(SEEDS)} seeds, mean): must-decline declined {r:.1f}/{nr} ({kinds}); "
            f"answerable declined {w:.1f}/{nw}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("features_cache", type=Path, help="written by fit_decline_model.py --features-cache")
    ap.add_argument("--drop", default="", help="comma-separated features to leave out")
    ap.add_argument("--budget", type=float, default=MAX_WRONG_DECLINES, help="wrong-decline tail to aim at")
    ap.add_argument("--with-section-question", action="store_true",
                    help="add the section_question feature (answerable_with_questions); rows without it are left out")
    args = ap.parse_args()
    cached = json.loads(args.features_cache.read_text(encoding="utf-8"))
    names = cached.get("features")
    rows = cached["train"]
    if args.with_section_question:
        if not cached.get("features_with_section_question"):
            ap.error("this cache has no section_question: write it again with fit_decline_model.py --features-cache")
        from bot.decline_features import DECLINE_VOTE

        names = cached["features_with_section_question"]
        if DECLINE_VOTE not in rows[0]:  # the fit script computes the decline vote after the cache is written
            print(f"the cache has no {DECLINE_VOTE} (the fit script computes it): left out here", file=sys.stderr)
            names = [n for n in names if n != DECLINE_VOTE]
        rows = with_section_question(rows)
    drop = {d for d in args.drop.split(",") if d}
    if names and drop - set(names):
        ap.error(f"no such feature: {', '.join(sorted(drop - set(names)))} (the cache has: {', '.join(names)})")
    keep = [i for i, name in enumerate(names) if name not in drop] if names else list(range(len(rows[0]["x"])))
    x = np.array([[r["x"][i] for i in keep] for r in rows])
    y = np.array([0 if r["item"].get("expect_refusal") else 1 for r in rows])
    print(describe(nested_cv(x, y, [kind_of(r["item"]) for r in rows], args.budget)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
