#!/usr/bin/env python3
"""Tuning values (any setting: RERANK_*, ANSWER_*, ...) re-chosen by cross-validation on the question bank's dev
split, grouped by question.

    export PYTHONPATH=$PWD && .venv/bin/python eval/rerank_cv.py [--grid NAME=v1,v2 ...] [--alone] \
        [--folds 5] [--seeds 7 ...]

Each setting in the grid (the product of the values given per setting, or with --alone each value of each setting
with the others at the grid's first values; settings not named stay at their defaults) answers every dev question
once through `gpbot ask --jsonl` (settings from the environment, as ../shared/eval/score.py runs it) and each
question is counted as score.py counts it: its must-contain strings in the answer, a citation of one of its
sources, a decline. Then FOLDS folds by question: on 4/5 of the questions the setting with the most must-contain
(then citations, then declines of must-decline questions, then fewest wrong declines, then the grid's first
setting) is chosen and the held-out 1/5 are counted under it; the sums over folds are what a re-tuning would give
on questions it was not tuned on (the in-sample best is printed too, labelled so). With several --seeds the
folds are drawn again for each and the mean is printed too: one fold assignment moves the figure by 1-2
questions. A grid chosen after looking at in-sample figures makes even the held-out figure optimistic. Uses the
`dev` split ONLY.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

# run as a script: eval/ is on the path
from cv_common import (FOLDS, SEED, ask_jsonl, dev_questions, held_out, label_of, merit,
                       parsed_grid, score_row)


def outcomes(items: list[dict], env: dict[str, str]) -> dict[str, np.ndarray]:
    """Per question: [must-contain met, cites a source (answered, has sources), should-decline declined,
    answerable declined] as score.py counts them."""
    answers = ask_jsonl(items, env)
    return {q["id"]: score_row(q, answers[q["id"]])[:4] for q in items}


def cross_validate(table: list, defaults: list[bool], ids: list[str], n_folds: int, seed: int,
                   verbose: bool) -> np.ndarray:
    """Held-out totals summed over the folds: each fold counted under the setting chosen on the other folds."""
    held = np.zeros(4, dtype=int)
    for f, (best, test) in enumerate(held_out([rows for _, rows in table], ids, seed, n_folds, defaults)):
        got = sum(table[best][1][i] for i in test)
        held += got
        if verbose:
            ref = sum(table[0][1][i] for i in test)
            print(f"fold {f} (seed {seed}): chose {table[best][0]}; held-out must {got[0]} (first setting {ref[0]})")
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", default=["RERANK_HEADING_MISMATCH_WEIGHT=0,0.05,0.1,0.15,0.2,0.3"])
    parser.add_argument("--alone", action="store_true",
                        help="vary one setting at a time from the grid's first values instead of the product")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED],
                        help="fold assignments to average over (the folds of the first are printed)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/rerank_cv_cache.json"),
                        help="outcomes per setting, reused while the index and code are unchanged")
    args, settings = parsed_grid(parser)
    items = dev_questions()
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    table = []
    for env in settings:
        label = label_of(env)
        if label not in cache:
            cache[label] = {k: v.tolist() for k, v in outcomes(items, env).items()}
            args.cache.write_text(json.dumps(cache))
        rows = {k: np.array(v) for k, v in cache[label].items()}
        table.append((label, rows))
        t = sum(rows.values())
        print(f"{label}: must {t[0]}, cite {t[1]}, declines {t[2]}, wrong declines {t[3]}", flush=True)
    defaults = [all(float(v) == float(settings[0][k]) for k, v in env.items()) for env in settings]  # the grid's first
    ids = [q["id"] for q in items]
    base = sum(table[0][1].values())
    runs = [cross_validate(table, defaults, ids, args.folds, seed, verbose=n == 0) for n, seed in enumerate(args.seeds)]
    for seed, held in zip(args.seeds, runs):
        print(f"CV seed {seed} (held-out, summed over {args.folds} folds): must {held[0]}, cite {held[1]}, "
              f"declines {held[2]}, wrong declines {held[3]}; first setting: must {base[0]}, cite {base[1]}, "
              f"declines {base[2]}, wrong declines {base[3]}")
    if len(runs) > 1:
        mean = np.mean(runs, axis=0)
        print(f"CV mean over {len(runs)} seeds: must {mean[0]:.1f}, cite {mean[1]:.1f}, declines {mean[2]:.1f}, "
              f"wrong declines {mean[3]:.1f}")
    best = max(range(len(table)), key=lambda j: merit(sum(table[j][1].values()), defaults[j]))
    print(f"in-sample best (not a held-out figure): {table[best][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
