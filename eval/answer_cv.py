#!/usr/bin/env python3
"""How answer units are chosen (ANSWER_* settings), re-chosen by 5-fold cross-validation on the question bank's
dev split grouped by question, with the answers' length reported beside score.py's counts.

    export PYTHONPATH=$PWD && .venv/bin/python eval/answer_cv.py --grid ANSWER_PASSAGE_WINDOW=0,0.1 ... \
        [--alone] [--seeds 7 1 2 3 4] [--show ID ...]

The same method as eval/rerank_cv.py (each setting answers every dev question once through `gpbot ask --jsonl`;
on 4/5 of the questions the setting with the most must-contain, then citations, then declines, then fewest
wrong declines, then the grid's first setting is chosen and the held-out 1/5 counted under it), plus the median
length of the answered questions' text, in-sample per setting and held out. --show prints the answers of the
named questions under every setting (read answers, not only scores). Uses the `dev` split ONLY. The figures it
printed and what was kept: eval/answer_trials.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

# run as a script: eval/ is on the path
from cv_common import (FOLDS, SEED, ask_jsonl, dev_questions, held_out, label_of,
                       parsed_grid, score_row)


def counted(q: dict, a: dict) -> np.ndarray:
    """[must-contain met, cites a source, should-decline declined, answerable declined, answered length]."""
    return np.r_[score_row(q, a)[:4], len(a.get("text", "")) if a.get("kind") == "answered" else -1]


def summary(rows: list[np.ndarray]) -> str:
    t = np.sum([r[:4] for r in rows], axis=0)
    lengths = [r[4] for r in rows if r[4] >= 0]
    return (f"must {t[0]}, cite {t[1]}, declines {t[2]}, wrong declines {t[3]}, "
            f"median length {statistics.median(lengths):.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", nargs="+", required=True)
    parser.add_argument("--alone", action="store_true", help="vary one setting at a time from the first values")
    parser.add_argument("--folds", type=int, default=FOLDS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED])
    parser.add_argument("--show", nargs="*", default=[], help="question ids whose answers to print per setting")
    parser.add_argument("--save", type=Path, help="write every setting's answers here (JSON)")
    parser.add_argument("--also", type=Path, nargs="*", default=[],
                        help="our own written question files to tune on beside dev (eval/fresh*-questions.jsonl; "
                             "never the bank's validation split)")
    args, settings = parsed_grid(parser)
    also = [json.loads(line) for path in args.also for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    items = dev_questions() + [q for q in also if q.get("split") not in ("validation", "dev")]
    table, saved = [], {}
    for env in settings:
        label = label_of(env)
        got = ask_jsonl(items, env)
        saved[label] = got
        table.append((label, {q["id"]: counted(q, got[q["id"]]) for q in items}))
        print(f"{label}: {summary(list(table[-1][1].values()))}", flush=True)
        for qid in args.show:
            print(f"  --- {qid}:\n{got[qid].get('text', '')}\n")
    if args.save:
        args.save.write_text(json.dumps(saved))
    ids = [q["id"] for q in items]
    for seed in args.seeds:
        folds = held_out([rows for _, rows in table], ids, seed, args.folds)
        rows = [table[best][1][i] for best, test in folds for i in test]
        chosen = [table[best][0] for best, _ in folds]
        print(f"CV seed {seed} (held-out, {args.folds} folds): {summary(rows)}; chosen: {' | '.join(chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
