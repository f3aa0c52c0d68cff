"""Calibrating the safeguarding line (used by `eval/fit_decline_model.py`, which says what is fitted on what).

The line fires when similarity + evidence_weight x evidence reaches the threshold (`bot.safeguarding`), for a
question closer to a described situation than to the nearest routine request by the routine margin; or when
the question names abuse, coercion or risk outright (the keyword signal). `safeguarding_threshold` picks the
evidence weight, threshold and routine margin with the best F-beta on the rows it is given.
"""

from __future__ import annotations

import numpy as np

# F-beta for the safeguarding threshold: recall weighs beta² = 9 times precision, because the target is the line
# on every safeguarding scenario. Beta was 2 until session 4 (beta 3 then, with similarity alone, fired on 57 of
# 139 other dev questions); with the evidence weight and routine margin searched too, beta 2's refit gave up a dev
# safeguarding question (15 -> 14 of 17) to save six spare lines, and beta 3 fires on 18 of 139.
SAFEGUARDING_BETA = 3.0
# Evidence weights tried (0 = similarity alone). 4 was in the grid until session 10: with the query adapter the
# fit chose 4 at threshold 0.792 (recall the same as 2 at 0.575, 9 fewer spare lines of 181), and then a story
# on an index that gives no evidence (a small one, or one all about safeguarding) needs similarity 0.79 alone:
# 12 of the 30 written stories with their evidence set to 0 against 16 at weight 2, and the pipeline test's
# story on the fixture corpus (0.71) lost its line. The largest weight is capped so that similarity still counts.
SAFEGUARDING_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
SAFEGUARDING_MARGIN = 0.02
# How much closer to a situation than to the nearest routine request a story must be. A small grid from 0 up:
# cosines of one question to two descriptions differ by a few hundredths when both fit. Never below 0 (nor no
# check at all, as the grid allowed until session 4): a question nearer a routine request than every situation
# is not a story, and with the written stories added the fit had chosen -0.05, which gave a plain proxy request
# the line.
ROUTINE_MARGINS = (0.0, 0.01, 0.02, 0.04)
# A sentence states a protective step when its cosine to one of the described steps reaches this: read off
# the shipped corpus, where sentences giving a step score 0.6 and more and unrelated sentences of the same
# passages mostly under 0.5 (`--show-steps` prints them).
STEP_MIN_SIMILARITY = 0.6


def safeguarding_score(rows: list[dict], evidence_weight: float) -> np.ndarray:
    """What bot.safeguarding compares with its threshold."""
    return np.array([r["safeguarding"] + evidence_weight * max(0.0, r["evidence"]) for r in rows])


def safeguarding_fired(rows: list[dict], weight: float, threshold: float, margin: float | None) -> np.ndarray:
    """What bot.safeguarding.Safeguarding.detect decides for each row."""
    keyword = np.array([bool(r["keyword"]) for r in rows])
    gate = np.array([not r["clinical"] and (margin is None or r["safeguarding"] - r["routine"] >= margin)
                     for r in rows])
    return keyword | ((safeguarding_score(rows, weight) >= threshold) & gate)


def safeguarding_threshold(rows: list[dict]) -> tuple[float, float, float | None]:
    """(evidence weight, threshold, routine margin) with the best F-beta (SAFEGUARDING_BETA) on dev, the keyword
    signal counting as well; ties go to the lower weight, then no margin, then the lower threshold."""
    positive = np.array([r["item"].get("category") == "safeguarding" for r in rows])
    best, best_f = (0.0, 1.0, None), -1.0
    b2 = SAFEGUARDING_BETA ** 2
    for weight in SAFEGUARDING_WEIGHTS:
        score = safeguarding_score(rows, weight)
        for margin in ROUTINE_MARGINS:
            for t in sorted(set(score[positive].tolist())):
                fired = safeguarding_fired(rows, weight, t, margin)
                tp, fp, fn = (fired & positive).sum(), (fired & ~positive).sum(), (~fired & positive).sum()
                f = (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0
                if f > best_f + 1e-9:
                    best, best_f = (weight, t - SAFEGUARDING_MARGIN / 2, margin), f
    return float(best[0]), float(best[1]), best[2]


def safeguarding_report(train: list[dict], stories: list[dict], held_out: list[dict], weight: float, threshold: float,
                        margin: float | None) -> str:
    """How often the calibrated line fires on safeguarding questions and on the others, per set of rows."""
    lines = []
    for name, rows in (("dev", [r for r in train if r["item"].get("split") == "dev"]),
                       ("training (answerable)", [r for r in train if r["item"].get("split") != "dev"
                                                  and not r["item"].get("expect_refusal")]),
                       ("written stories", stories),
                       ("validation (quoted)", held_out)):
        if not rows:
            continue
        fired = safeguarding_fired(rows, weight, threshold, margin).tolist()
        positive = [r["item"].get("category") == "safeguarding" for r in rows]
        lines.append(f"safeguarding {name}: evidence weight {weight}, threshold {threshold:.3f}, routine margin "
                     f"{margin}; safeguarding questions flagged {sum(f and p for f, p in zip(fired, positive))}/"
                     f"{sum(positive)}, other questions flagged "
                     f"{sum(f and not p for f, p in zip(fired, positive))}/{len(rows) - sum(positive)}")
    return "\n".join(lines)
